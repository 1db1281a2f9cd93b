"""The in-process server harness of tests/modules/async, for the checklist tests.

``Harness(tmp_path, script, ..., mpath=True)`` is that harness with this
folder's test modules (``checklist_mods``) on ``mpath``; ``write_config`` and
``wait_for`` are small helpers of the checklist tests.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

# Loaded by path: each tests folder is its own import root (no shared package).
_spec = importlib.util.spec_from_file_location(
    "async_harness", Path(__file__).parents[1] / "modules" / "async" / "async_harness.py")
async_harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(async_harness)

MODS_DIR = Path(__file__).parent / "checklist_mods"


def wait_for(cond, timeout=3.0, step=0.005) -> bool:
    """Poll ``cond`` until true (resumes run on real worker threads)."""
    import time
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return bool(cond())


def write_config(tmp_path: Path, script: str, mods=("sl", "tm", "tmx", "pv", "async"),
                 core: str = "", modparam: str = "") -> Path:
    """A TOML config + route script pair, as a deployment writes them."""
    (tmp_path / "r.cfg").write_text(script)
    names = ", ".join(f'"{m}"' for m in mods)
    (tmp_path / "s.toml").write_text(f'loadmodule = [{names}]\nroutes = "r.cfg"\n'
                                     f'[core]\nlisten = ["udp:127.0.0.1:5060"]\n'
                                     f'log_level = "warning"\n{core}\n{modparam}\n')
    return tmp_path / "s.toml"


class Harness(async_harness.Harness):
    def __init__(self, tmp_path: Path, script: str, *, mpath: bool = False, **kw) -> None:
        super().__init__(tmp_path, script, mpath=MODS_DIR if mpath else None, **kw)
