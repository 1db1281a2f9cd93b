"""Helpers for the foundation tests: module folders (mpath), configs, fake dists, CLI runs."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HELLO_SRC = REPO / "examples" / "siprouter-hello" / "src"

MODULE_TEMPLATE = '''
from siprouter.core.modsys import Module, Arg, RouteType, ModuleInitError, hookimpl

module = Module({name!r}, version="1.0", depends={depends!r}, after={after!r}, doc={doc!r})
{body}

@hookimpl
def siprouter_module():
    return module
'''


def write_module(folder: Path, name: str, *, depends=(), after=(), body: str = "",
                 doc: str = "", package: bool = False, decl_name: str | None = None) -> Path:
    """Write an mpath module ``<folder>/<name>.py`` (or a package) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    src = MODULE_TEMPLATE.format(name=decl_name or name, depends=list(depends), after=list(after),
                                 doc=doc or f"Test module {name}.", body=textwrap.dedent(body))
    if package:
        (folder / name).mkdir(exist_ok=True)
        path = folder / name / "__init__.py"
    else:
        path = folder / f"{name}.py"
    path.write_text(src)
    return path


def write_config(folder: Path, text: str, name: str = "siprouter.toml",
                 routes: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip())
    if routes is not None:
        (folder / "siprouter.cfg").write_text(routes)
    return path


def fake_dist(folder: Path, name: str, entry_points: dict[str, str]) -> Path:
    """A minimal installed distribution (``*.dist-info``) in ``folder``: put ``folder`` on
    PYTHONPATH and importlib.metadata sees its entry points."""
    info = folder / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    lines = ["[siprouter.modules]"] + [f"{k} = {v}" for k, v in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return folder


def run_cli(*args: str, cwd: Path | None = None, pythonpath: list[Path] = (),
            timeout: float = 60) -> subprocess.CompletedProcess:
    """``python -m siprouter ARGS`` in a subprocess; stdout+stderr text in .out."""
    env = dict(os.environ)
    paths = [str(p) for p in pythonpath]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    env.pop("SIPROUTER_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "siprouter", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    proc.out = proc.stdout + proc.stderr  # type: ignore[attr-defined]
    return proc
