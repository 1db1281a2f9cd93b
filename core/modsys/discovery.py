"""Finding modules: entry points of the group ``siprouter.modules`` and ``mpath`` folders.

Discovery only *names* modules; nothing is imported until ``load`` is called,
and the loader calls it only for modules the config's ``loadmodule`` names.

* An entry point ``name = "python.module.path"`` in the group
  ``siprouter.modules`` (the built-ins are declared the same way in the
  project's ``pyproject.toml``).
* An ``mpath`` folder holding ``<name>/__init__.py`` (a package) or
  ``<name>.py``.  mpath folders are searched first, in their order, so a
  folder can override an installed module of the same name.

The imported Python module is the pluggy plugin: it must provide a
``@hookimpl def siprouter_module()`` that returns the module's declaration.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterable

from siprouter.core.errors import StartupError

__all__ = ["ENTRY_POINT_GROUP", "BUILTIN_CORE", "Candidate", "discover", "load_builtin_core"]

ENTRY_POINT_GROUP = "siprouter.modules"
BUILTIN_CORE = "siprouter.core.builtin"       # the always-loaded module "core"
MPATH_PACKAGE = "siprouter_mpath"              # sys.modules prefix for modules loaded from mpath
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Candidate:
    """A module that can be loaded: its name, where it comes from, how to import it."""

    name: str
    origin: str                       # "entry point siprouter.modules.tm (siprouter 0.1.0)" or a path
    _load: Callable[[], ModuleType]

    def load(self) -> ModuleType:
        """Import the plugin; raises StartupError naming the module on any failure."""
        try:
            return self._load()
        except StartupError:
            raise
        except BaseException as exc:  # noqa: BLE001 - an import may raise anything, SystemExit too
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise StartupError(f"module {self.name!r} failed to import ({self.origin}): "
                               f"{type(exc).__name__}: {exc}") from exc


def entry_point_candidates() -> dict[str, Candidate]:
    """Modules registered under the entry-point group (first registration wins)."""
    found: dict[str, Candidate] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in found:
            continue
        dist = getattr(ep, "dist", None)
        where = f"entry point {ep.value}"
        if dist is not None:
            where += f" ({dist.metadata['Name']} {dist.version})"
        found[ep.name] = Candidate(ep.name, where, ep.load)
    return found


def mpath_candidates(folders: Iterable[Path]) -> dict[str, Candidate]:
    """Modules found in ``mpath`` folders (the first folder holding a name wins)."""
    found: dict[str, Candidate] = {}
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            if entry.is_dir() and (entry / "__init__.py").is_file():
                name, file, pkg = entry.name, entry / "__init__.py", True
            elif entry.is_file() and entry.suffix == ".py" and entry.stem != "__init__":
                name, file, pkg = entry.stem, entry, False
            else:
                continue
            if not _NAME.fullmatch(name) or name in found:
                continue
            found[name] = Candidate(name, str(file if not pkg else entry),
                                    _file_loader(name, file, pkg))
    return found


def _file_loader(name: str, file: Path, package: bool) -> Callable[[], ModuleType]:
    def load() -> ModuleType:
        modname = f"{MPATH_PACKAGE}.{name}"
        loaded = sys.modules.get(modname)
        if loaded is not None:
            if getattr(loaded, "__file__", None) == str(file):
                return loaded
            # another folder's module of the same name was loaded before (tests, reloads)
            modname = f"{modname}_{abs(hash(str(file))):x}"
            if modname in sys.modules:
                return sys.modules[modname]
        if MPATH_PACKAGE not in sys.modules:
            holder = ModuleType(MPATH_PACKAGE)
            holder.__path__ = []  # type: ignore[attr-defined]
            sys.modules[MPATH_PACKAGE] = holder
        spec = importlib.util.spec_from_file_location(
            modname, file, submodule_search_locations=[str(file.parent)] if package else None)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {file}")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[modname] = mod
        try:
            spec.loader.exec_module(mod)
        except BaseException:
            sys.modules.pop(modname, None)
            raise
        return mod
    return load


def discover(mpath: Iterable[Path] = ()) -> dict[str, Candidate]:
    """Every loadable module by name: mpath folders first, then entry points."""
    found = mpath_candidates(mpath)
    for name, cand in entry_point_candidates().items():
        found.setdefault(name, cand)
    return found


def load_builtin_core() -> ModuleType | None:
    """Import ``siprouter.core.builtin`` (module ``core``); None while it does not exist."""
    try:
        mod = importlib.import_module(BUILTIN_CORE)
        if getattr(mod, "__file__", None) is None and not hasattr(mod, "siprouter_module"):
            return None         # an empty folder (namespace package): not written yet
        return mod
    except ModuleNotFoundError as exc:
        if exc.name in (BUILTIN_CORE, BUILTIN_CORE.rpartition(".")[0]):
            return None
        raise StartupError(f"module 'core' failed to import ({BUILTIN_CORE}): "
                           f"{type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # noqa: BLE001
        raise StartupError(f"module 'core' failed to import ({BUILTIN_CORE}): "
                           f"{type(exc).__name__}: {exc}") from exc
