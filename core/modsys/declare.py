"""How a module declares itself: the one declaration form every module uses.

A module is a Python package that builds one :class:`Module` object at import
time and returns it from the pluggy hook ``siprouter_module()`` (see
``siprouter.core.modsys.hookspecs``).  Everything the core needs to know —
parameters, route functions, pseudo-variables, RPC methods, statistics,
lifecycle callbacks, the inter-module API — hangs off that object, filled in
with decorators::

    from siprouter.core.modsys import Module, Arg, RouteType

    module = Module("maxfwd", version="1.0", depends=["sl"],
                    doc="Max-Forwards processing.")
    module.param("max_limit", int, default=70, min=0, max=256,
                 doc="Upper bound applied to Max-Forwards.")

    @module.function("mf_process_maxfwd_header", Arg.INT,
                     routes=RouteType.REQUEST | RouteType.FAILURE,
                     doc="Decrement Max-Forwards; -1 when it is already 0.")
    def mf_process_maxfwd_header(ctx, limit: int) -> int:
        ...

    @module.on_init
    def mod_init(env):          # runs once, in dependency order
        ...

The records are plain frozen dataclasses so the core can validate them and
``siprouter modules NAME`` can print them.  Nothing here runs per message.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable


class RouteType(enum.IntFlag):
    """Route block types; the bit values are Kamailio's (``src/core/route.h``)."""

    REQUEST = 1
    FAILURE = 2
    TM_ONREPLY = 4
    BRANCH = 8
    ONSEND = 16
    ERROR = 32
    LOCAL = 64
    CORE_ONREPLY = 128
    BRANCH_FAILURE = 256
    ONEVENT = 512
    ONREPLY = TM_ONREPLY | CORE_ONREPLY
    EVENT = REQUEST | ONEVENT
    ANY = 0xFFFFFFFF


class Arg(enum.Enum):
    """Kinds of route-function parameters; each is converted once at load time.

    What the implementation receives at call time for each kind:

    * ``STR``     – a static string (literal only; a PV in it is an error).
    * ``SPVE``    – a ``str``: string that may contain PVs, evaluated per call.
    * ``INT``     – an ``int`` literal (``"4"`` is fine, ``"abc"`` is a load error).
    * ``IGP``     – an ``int``: literal or a PV holding an int; a PV holding a
                    string makes the call return -1 without running the function.
    * ``ROUTE``   – a route name (static or with PVs); the function receives
                    the name as ``str``.  Static names are checked at load.
    * ``REGEX``   – a compiled ``re.Pattern`` (case-insensitive), static.
    * ``FLAG``    – an ``int`` flag number 0..31 (literal or int PV).
    * ``PVREF``   – a writable pseudo-variable reference (object with
                    ``get(ctx)``/``set(ctx, value)``).
    * ``ANY``     – the raw evaluated value (``str`` or ``int``).
    """

    STR = "str"
    SPVE = "spve"
    INT = "int"
    IGP = "igp"
    ROUTE = "route"
    REGEX = "regex"
    FLAG = "flag"
    PVREF = "pvref"
    ANY = "any"


class FixupError(Exception):
    """Raised by a function's ``fixup`` to reject its arguments at load time.

    The route compiler turns it into a ``file:line:col`` error.
    """


class ModuleInitError(Exception):
    """Raised by ``mod_init`` to stop the server start with a clear message."""


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """A typed module parameter (``[modparam.<module>]`` in the config)."""

    name: str
    type: type  # int, str, bool, float, list or dict
    default: Any
    min: int | float | None = None
    max: int | float | None = None
    choices: tuple[Any, ...] | None = None
    doc: str = ""


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """A route function as the route script sees it.

    ``impl(ctx, *args) -> int`` follows Kamailio's return convention: >0 true,
    <0 false, 0 ends the script.  ``optional`` trailing args may be omitted
    (the implementation then gets its Python defaults); a name exported with
    several arities is several specs.  ``fixup(args, env)`` optionally
    validates literal arguments at load time (``args`` is a list of
    :class:`FixedArg`) and raises :class:`FixupError`.
    """

    name: str
    args: tuple[Arg, ...]
    impl: Callable[..., int]
    routes: RouteType = RouteType.ANY
    optional: int = 0
    fixup: Callable[..., None] | None = None
    doc: str = ""
    module: str = ""


@dataclass(frozen=True, slots=True)
class FixedArg:
    """One argument as seen by a load-time ``fixup``.

    ``literal`` is the static value (``str``/``int``/``re.Pattern``) when the
    argument has no PVs in it, else ``None``; ``text`` is the source text.
    """

    kind: Arg
    text: str
    literal: Any


@dataclass(frozen=True, slots=True)
class PVSpec:
    """A pseudo-variable class, e.g. ``$ru`` or ``$hdr(name)``.

    ``getter(ctx, name) -> value`` where ``name`` is the parsed inner name
    (``None`` for classes without one) and the value is ``str``, ``int`` or
    ``None`` (``$null``).  ``setter(ctx, name, value)`` makes it writable;
    ``value`` ``None`` means ``$null`` (delete).  ``parse_name(text)``
    converts the inner name once at load time and may raise ``ValueError``.
    ``indexed`` classes receive ``index`` (int, ``"*"`` or None) as a keyword.
    """

    name: str
    getter: Callable[..., Any]
    setter: Callable[..., None] | None = None
    parse_name: Callable[[str], Any] | None = None
    needs_name: bool = False
    indexed: bool = False
    doc: str = ""
    module: str = ""


@dataclass(frozen=True, slots=True)
class RPCSpec:
    """An RPC method (``module.method``) callable from the CLI/RPC interface."""

    name: str
    impl: Callable[..., Any]
    doc: str = ""


@dataclass(frozen=True, slots=True)
class HookSpec:
    """A per-message hook resolved at start-up into a plain ordered list.

    ``point`` names where it runs (see ``siprouter.core.modsys.hooks``);
    lower ``priority`` runs first.
    """

    point: str
    impl: Callable[..., Any]
    priority: int = 100


@dataclass
class Module:
    """The declaration of one siprouter module (name, params, exports, hooks).

    Built at import time of the module package; registered with the core by
    the pluggy hook ``siprouter_module()``.
    """

    name: str
    version: str = "1.0"
    depends: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    doc: str = ""
    params: dict[str, ParamSpec] = field(default_factory=dict)
    functions: list[FunctionSpec] = field(default_factory=list)
    pvs: list[PVSpec] = field(default_factory=list)
    rpcs: list[RPCSpec] = field(default_factory=list)
    stats: dict[str, str] = field(default_factory=dict)
    hooks: list[HookSpec] = field(default_factory=list)
    init: Callable[..., None] | None = None
    child_init: Callable[..., None] | None = None
    destroy: Callable[..., None] | None = None
    api_factory: Callable[..., Any] | None = None

    # -- declaration helpers -------------------------------------------------
    def param(self, name: str, type_: type, default: Any = None, *, min: Any = None,
              max: Any = None, choices: Iterable[Any] | None = None, doc: str = "") -> ParamSpec:
        """Declare a typed parameter; returns its spec."""
        spec = ParamSpec(name, type_, default, min, max,
                         tuple(choices) if choices is not None else None, doc)
        self.params[name] = spec
        return spec

    def function(self, name: str, *args: Arg, routes: RouteType = RouteType.ANY,
                 optional: int = 0, fixup: Callable[..., None] | None = None,
                 doc: str = "") -> Callable[[Callable[..., int]], Callable[..., int]]:
        """Decorator: export ``impl`` as route function ``name`` with ``args``."""
        def deco(impl: Callable[..., int]) -> Callable[..., int]:
            self.functions.append(FunctionSpec(name, tuple(args), impl, routes, optional,
                                               fixup, doc or (impl.__doc__ or "").strip(),
                                               self.name))
            return impl
        return deco

    def pv(self, name: str, getter: Callable[..., Any], setter: Callable[..., None] | None = None,
           *, parse_name: Callable[[str], Any] | None = None, needs_name: bool = False,
           indexed: bool = False, doc: str = "") -> PVSpec:
        """Declare a pseudo-variable class ``$name`` (or ``$name(inner)``)."""
        spec = PVSpec(name, getter, setter, parse_name, needs_name, indexed, doc, self.name)
        self.pvs.append(spec)
        return spec

    def rpc(self, name: str, doc: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: export an RPC method named ``name``."""
        def deco(impl: Callable[..., Any]) -> Callable[..., Any]:
            self.rpcs.append(RPCSpec(name, impl, doc or (impl.__doc__ or "").strip()))
            return impl
        return deco

    def stat(self, name: str, doc: str = "") -> None:
        """Declare a statistic counter (read over RPC/CLI)."""
        self.stats[name] = doc

    def hook(self, point: str, priority: int = 100) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: register a per-message hook at ``point``."""
        def deco(impl: Callable[..., Any]) -> Callable[..., Any]:
            self.hooks.append(HookSpec(point, impl, priority))
            return impl
        return deco

    def on_init(self, fn: Callable[..., None]) -> Callable[..., None]:
        """Decorator: ``mod_init(env)``, once at start-up in dependency order."""
        self.init = fn
        return fn

    def on_child_init(self, fn: Callable[..., None]) -> Callable[..., None]:
        """Decorator: ``child_init(env, rank)``, once per worker context."""
        self.child_init = fn
        return fn

    def on_destroy(self, fn: Callable[..., None]) -> Callable[..., None]:
        """Decorator: ``destroy(env)``, at shutdown in reverse start-up order."""
        self.destroy = fn
        return fn

    def provides_api(self, factory: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: ``factory(env) -> api``; called after this module's mod_init.

        Other modules get the object with ``env.api("name")`` from their own
        ``mod_init`` (only for modules they depend on).
        """
        self.api_factory = factory
        return factory
