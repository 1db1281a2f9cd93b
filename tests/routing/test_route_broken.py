"""Every broken script under broken/ fails to load with exactly the errors
written in its ``# expect:`` header lines (path shown as the file name)."""
from __future__ import annotations

import pytest

from siprouter.core.routing import ScriptErrors
from route_helpers import BROKEN_DIR

FILES = sorted(BROKEN_DIR.glob("*.cfg"))


def expectations(path) -> list[str]:
    out = []
    for line in path.read_text().splitlines():
        if line.startswith("# expect: "):
            out.append(line[len("# expect: "):])
    return out


def test_enough_broken_scripts():
    assert len(FILES) >= 20


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_broken_script(h, path):
    want = expectations(path)
    assert want, f"{path.name} has no '# expect:' line"
    with pytest.raises(ScriptErrors) as ei:
        h.compile_file(path)
    got = [str(e).replace(str(path), path.name, 1) for e in ei.value.errors]
    assert got == want


def _real_registries():
    """Registries built from the real modules named in the headers, or None
    when one of them is not importable (yet)."""
    import importlib

    from siprouter.core.routing import FunctionRegistry, PVRegistry
    mods = []
    for name in ("siprouter.core.builtin", "siprouter.modules.pv", "siprouter.modules.sl",
                 "siprouter.modules.async", "siprouter.modules.maxfwd", "siprouter.modules.xlog"):
        try:
            mod = importlib.import_module(name)
        except Exception:
            return None
        decl = getattr(mod, "module", None)
        if decl is None:
            return None
        mods.append(decl)
    return (FunctionRegistry([f for m in mods for f in m.functions]),
            PVRegistry([p for m in mods for p in m.pvs]))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_broken_script_with_real_modules(path):
    """Same expectations against the real module declarations (skipped until
    those modules exist)."""
    regs = _real_registries()
    if regs is None:
        pytest.skip("real modules not importable")
    from siprouter.core.routing import compile_script
    with pytest.raises(ScriptErrors) as ei:
        compile_script(path, regs[0], defines={}, pvs=regs[1], core_params={})
    got = [str(e).replace(str(path), path.name, 1) for e in ei.value.errors]
    assert got == expectations(path)
