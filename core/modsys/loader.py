"""Loading the configured modules: discovery -> pluggy -> order -> modparams -> ``ModuleSet``.

``resolve_modules(cfg)`` is everything ``siprouter check`` does with modules:
it imports only the modules ``loadmodule`` names (plus the built-in ``core``
module, always first), registers each with one pluggy ``PluginManager``,
validates the declarations, orders them (``ordering``) and checks the
modparams (``params``).  It runs no module code besides the import and the
``siprouter_module`` hook.  ``ModuleSet.init_all(env)`` then runs ``mod_init``
in order and builds the inter-module API objects.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import pluggy

from siprouter.core.errors import StartupError
from siprouter.core.modsys import hookspecs
from siprouter.core.modsys.declare import Module, ModuleInitError
from siprouter.core.modsys.discovery import Candidate, discover, load_builtin_core
from siprouter.core.modsys.hooks import HOOK_POINTS, resolve_hooks
from siprouter.core.modsys.ordering import order_modules
from siprouter.core.modsys.params import resolve_params

if TYPE_CHECKING:  # pragma: no cover
    from siprouter.core.config import Config
    from siprouter.core.env import ServerEnv

__all__ = ["ModuleSet", "resolve_modules", "make_plugin_manager", "module_from_plugin", "CORE_MODULE"]

CORE_MODULE = "core"


def make_plugin_manager() -> pluggy.PluginManager:
    """A PluginManager for project "siprouter" with siprouter's hookspecs."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


def module_from_plugin(pm: pluggy.PluginManager, plugin: Any, name: str, origin: str) -> Module:
    """Register ``plugin`` under ``name`` and return its ``Module`` (validated)."""
    try:
        pm.register(plugin, name=name)
    except (ValueError, pluggy.PluginValidationError) as exc:
        raise StartupError(f"module {name!r} ({origin}) cannot be registered: {exc}") from None
    impls = [i for i in pm.hook.siprouter_module.get_hookimpls() if i.plugin is plugin]
    if not impls:
        raise StartupError(f"module {name!r} ({origin}) has no siprouter_module() hook "
                           "(decorate it with @siprouter.core.modsys.hookimpl)")
    try:
        mod = impls[0].function()
    except Exception as exc:  # noqa: BLE001
        raise StartupError(f"module {name!r} ({origin}): siprouter_module() failed: "
                           f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(mod, Module):
        raise StartupError(f"module {name!r} ({origin}): siprouter_module() must return a Module, "
                           f"got {type(mod).__name__}")
    if mod.name != name:
        raise StartupError(f"module {name!r} ({origin}) declares itself as {mod.name!r}; "
                           "the entry point / file name and Module name must match")
    _validate(mod, origin)
    return mod


def _validate(mod: Module, origin: str) -> None:
    """Catch declaration mistakes of a module author early, with the module's name."""
    where = f"module {mod.name!r} ({origin})"
    if not isinstance(mod.depends, (list, tuple)) or not isinstance(mod.after, (list, tuple)):
        raise StartupError(f"{where}: depends and after must be lists of module names")
    for spec in mod.params.values():
        # int, str, bool, float, list, dict; or any class whose isinstance() accepts the
        # valid values (a metaclass with __instancecheck__ can express "str or list")
        if not isinstance(spec.type, type):
            raise StartupError(f"{where}: parameter {spec.name!r} has unsupported type {spec.type!r}")
        from siprouter.core.modsys.params import check_param_value
        if spec.default is not None:
            _, why = check_param_value(spec, spec.default)
            if why is not None:
                raise StartupError(f"{where}: default of parameter {spec.name!r} "
                                   f"({spec.default!r}) is invalid: {why}")
    for f in mod.functions:
        if f.optional < 0 or f.optional > len(f.args):
            raise StartupError(f"{where}: function {f.name!r} has optional={f.optional} "
                               f"but only {len(f.args)} args")


@dataclass
class ModuleSet:
    """The loaded modules in start-up order, their params, exports and hooks."""

    ordered: list[Module]
    params: dict[str, dict[str, Any]]
    origins: dict[str, str] = field(default_factory=dict)
    plugin_manager: pluggy.PluginManager | None = None
    hook_lists: dict[str, list[Callable[..., Any]]] = field(default_factory=dict)
    initialised: list[str] = field(default_factory=list)

    # -- lookups -------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [m.name for m in self.ordered]

    def get(self, name: str) -> Module | None:
        for m in self.ordered:
            if m.name == name:
                return m
        return None

    def __contains__(self, name: object) -> bool:
        return any(m.name == name for m in self.ordered)

    @property
    def functions(self) -> list:
        """Every FunctionSpec, in start-up order (later modules later)."""
        return [f for m in self.ordered for f in m.functions]

    @property
    def pvs(self) -> list:
        """Every PVSpec, in start-up order."""
        return [p for m in self.ordered for p in m.pvs]

    @property
    def defines(self) -> dict[str, str]:
        """``{"MOD_<name>": ""}`` for ``#!ifdef MOD_tm`` in the route script."""
        return {f"MOD_{m.name}": "" for m in self.ordered}

    def function_registry(self) -> Any:
        """The route engine's FunctionRegistry filled with every function.

        Falls back to the plain list of FunctionSpec while the route engine
        (``siprouter.core.routing.registry``) is not importable.
        """
        try:
            from siprouter.core.routing.registry import FunctionRegistry
        except ImportError:
            return self.functions
        return _build_registry(FunctionRegistry, self.ordered, "functions")

    def pv_registry(self) -> Any:
        """The route engine's PVRegistry filled with every PV class (or the PVSpec list)."""
        try:
            from siprouter.core.routing.pv import PVRegistry
        except ImportError:
            return self.pvs
        return _build_registry(PVRegistry, self.ordered, "pvs")

    def hooks(self, point: str) -> list[Callable[..., Any]]:
        """The resolved hook list of ``point`` (empty when no module hooks it)."""
        return self.hook_lists.get(point, [])

    # -- pluggy lifecycle events (a typed facade: callers never touch pm.hook) ---------------
    def server_started(self, server: Any) -> None:
        """Call every module's ``siprouter_server_started(server)`` hook implementation."""
        if self.plugin_manager is not None:
            self.plugin_manager.hook.siprouter_server_started(server=server)

    def server_stopping(self, server: Any) -> None:
        """Call every module's ``siprouter_server_stopping(server)`` hook implementation."""
        if self.plugin_manager is not None:
            self.plugin_manager.hook.siprouter_server_stopping(server=server)

    # -- lifecycle -------------------------------------------------------------------------
    def init_all(self, env: "ServerEnv") -> None:
        """``mod_init`` of every module in start-up order, each API built right after.

        A ModuleInitError or any exception becomes StartupError("module X
        failed to initialise: ..."); modules initialised before stay in
        ``initialised`` so that ``destroy_all`` cleans them up.
        """
        for mod in self.ordered:
            if mod.name in self.initialised:
                continue
            menv = env.for_module(mod.name)
            try:
                if mod.init is not None:
                    mod.init(menv)
                self.initialised.append(mod.name)
                if mod.api_factory is not None:
                    env._set_api(mod.name, mod.api_factory(menv))
            except ModuleInitError as exc:
                if mod.name not in self.initialised:
                    self.initialised.append(mod.name)
                raise StartupError(f"module {mod.name} failed to initialise: {exc}") from exc
            except StartupError as exc:
                if mod.name not in self.initialised:
                    self.initialised.append(mod.name)
                raise StartupError(f"module {mod.name} failed to initialise: {exc}") from exc
            except Exception as exc:  # noqa: BLE001
                if mod.name not in self.initialised:
                    self.initialised.append(mod.name)
                menv.log.debug("mod_init traceback", exc_info=True)
                raise StartupError(f"module {mod.name} failed to initialise: "
                                   f"{type(exc).__name__}: {exc}") from exc

    def child_init_all(self, env: "ServerEnv", rank: int) -> None:
        """``child_init(env, rank)`` of every module in start-up order (errors -> StartupError)."""
        for mod in self.ordered:
            if mod.child_init is None:
                continue
            menv = env.for_module(mod.name)
            try:
                mod.child_init(menv, rank)
            except Exception as exc:  # noqa: BLE001
                raise StartupError(f"module {mod.name} failed in child_init({rank}): "
                                   f"{type(exc).__name__}: {exc}") from exc

    def destroy_all(self, env: "ServerEnv") -> None:
        """``destroy(env)`` in reverse start-up order, for initialised modules; errors are logged."""
        done = set(self.initialised)
        for mod in reversed(self.ordered):
            if mod.name not in done:
                continue
            self.initialised.remove(mod.name)
            if mod.destroy is None:
                continue
            menv = env.for_module(mod.name)
            try:
                mod.destroy(menv)
            except Exception as exc:  # noqa: BLE001
                menv.log.error("destroy failed", error=f"{type(exc).__name__}: {exc}",
                               traceback=traceback.format_exc())


def _build_registry(cls: Any, modules: list[Module], attr: str) -> Any:
    """``cls(specs)`` with every module's specs in start-up order (later modules win)."""
    return cls([spec for m in modules for spec in getattr(m, attr)])


def resolve_modules(cfg: "Config", *, candidates: Mapping[str, Candidate] | None = None,
                    load_core: bool = True) -> ModuleSet:
    """Discover, import, register, validate, order and parameterise the configured modules.

    Raises StartupError carrying every problem found (unknown modules, import
    failures, bad declarations, missing dependencies, a cycle, modparam
    errors), each one line, located in the config where possible.
    ``candidates`` replaces discovery (tests).
    """
    def err(message: str, *path: Any) -> StartupError:
        return cfg.error(message, *path) if hasattr(cfg, "error") else StartupError(message)

    def item_err(message: str, name: str) -> StartupError:
        return cfg.item_error(message, "loadmodule", name) if hasattr(cfg, "item_error") \
            else StartupError(message)

    found = dict(candidates) if candidates is not None else discover(cfg.mpath)
    pm = make_plugin_manager()
    errors: list[StartupError] = []
    modules: dict[str, Module] = {}
    origins: dict[str, str] = {}
    core_mod: Module | None = None

    if load_core:
        try:
            plugin = load_builtin_core()
            if plugin is not None:
                core_mod = module_from_plugin(pm, plugin, CORE_MODULE, "siprouter.core.builtin")
                origins[CORE_MODULE] = "siprouter.core.builtin"
        except StartupError as exc:
            errors.append(exc)

    seen: set[str] = set()
    for name in cfg.loadmodule:
        if name in seen:
            errors.append(item_err(f"duplicate loadmodule {name!r}", name))
            continue
        seen.add(name)
        if name == CORE_MODULE:
            errors.append(item_err("module 'core' is always loaded; remove it from loadmodule", name))
            continue
        cand = found.get(name)
        if cand is None:
            where = ", ".join(str(p) for p in cfg.mpath)
            hint = _close(name, found)
            errors.append(item_err(f"unknown module {name!r} (not found in entry points or mpath "
                                   f"[{where}])" + hint, name))
            continue
        try:
            plugin = cand.load()
            modules[name] = module_from_plugin(pm, plugin, name, cand.origin)
            origins[name] = cand.origin
        except StartupError as exc:
            errors.append(item_err(str(exc), name))

    load_order = [n for n in cfg.loadmodule if n in modules]
    always = [CORE_MODULE] if core_mod is not None else []
    # Modules that failed to import count as loaded below, so that their
    # failure is not reported a second time as a missing dependency.
    broken = [n for n in dict.fromkeys(cfg.loadmodule) if n not in modules and n in found]
    ordered_names: list[str] = []
    try:
        ordered_names = order_modules(
            load_order, {n: modules[n].depends for n in load_order},
            {n: modules[n].after for n in load_order}, always=[*always, *broken])
    except StartupError as exc:
        errors.extend(item_err(str(e), e.module) if getattr(e, "module", None) else err(str(e), "loadmodule")
                      for e in exc.errors)
        ordered_names = load_order

    ordered = ([core_mod] if core_mod is not None else []) + [modules[n] for n in ordered_names]
    try:
        params = resolve_params(ordered, cfg.modparam, known=list(found) + [n for n in cfg.loadmodule],
                                broken=broken, error=err)
    except StartupError as exc:
        errors.extend(exc.errors)
        params = {m.name: {p.name: p.default for p in m.params.values()} for m in ordered}

    if errors:
        raise StartupError.collect(errors)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise StartupError(f"module {getattr(exc, 'plugin', '?')!r}: {exc}") from None

    hook_lists = resolve_hooks(ordered)
    modset = ModuleSet(ordered, params, origins, pm, hook_lists)
    unknown_points = sorted(set(hook_lists) - set(HOOK_POINTS))
    if unknown_points:
        from siprouter.core.log import get_logger
        get_logger("core").warning("hook at unknown point", points=unknown_points)
    return modset


def _close(name: str, found: Iterable[str]) -> str:
    import difflib
    close = difflib.get_close_matches(name, list(found), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def load_plugin_modules(names: Iterable[str], mpath: Iterable = ()) -> list[tuple[str, Module | None, str]]:
    """(name, Module or None, origin or error) for ``siprouter modules``: imports each name."""
    found = discover(mpath)
    out = []
    for name in names:
        cand = found.get(name)
        if cand is None:
            out.append((name, None, "not found"))
            continue
        try:
            pm = make_plugin_manager()
            out.append((name, module_from_plugin(pm, cand.load(), name, cand.origin), cand.origin))
        except StartupError as exc:
            out.append((name, None, str(exc)))
    return out

