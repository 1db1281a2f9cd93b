"""The compiled script and its entry points (contracts §3 and §7).

``compile_script`` runs once at start-up (and in ``siprouter check``):
preprocess -> lex -> parse -> compile, collecting every error, and returns a
:class:`Script`.  The server and modules then call ``script.run(route, ctx)``
per message, ``script.run_continuation(cont, ctx)`` to resume a suspended
run, and ``script.new_context(...)`` to make the context for a fresh run.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from siprouter.core.modsys.declare import RouteType
from siprouter.core.routing.compiler import BLOCK_TYPES, Compiler, RouteSlot, _COMPILING, block_label
from siprouter.core.routing.context import Continuation, RunContext, fresh_context, thread_vars
from siprouter.core.routing.errors import ScriptError, ScriptErrors
from siprouter.core.routing.lexer import Lexer
from siprouter.core.routing.parser import Parser
from siprouter.core.routing.preprocess import preprocess
from siprouter.core.routing.pv import PVRegistry
from siprouter.core.routing.registry import FunctionRegistry

KINDS = ("request", "reply", "route", "failure", "branch", "onreply", "event", "onsend",
         "branch_failure")


class CompiledRoute:
    """One compiled route block: ``kind``, ``name``, its route type and body."""

    __slots__ = ("kind", "name", "route_type", "body", "pos")

    def __init__(self, kind: str, name: str, route_type: RouteType, body: Any, pos: Any) -> None:
        self.kind = kind
        self.name = name
        self.route_type = route_type
        self.body = body
        self.pos = pos

    @property
    def label(self) -> str:
        """How the block is written in the script, e.g. ``route[RELAY]``."""
        return block_label(self.kind, self.name)

    def __repr__(self) -> str:
        return f"<CompiledRoute {self.label} at {self.pos}>"


def _norm_name(kind: str, name: Any) -> str:
    if kind in ("request", "reply", "onsend") and name in (None, "", "0", 0):
        return ""
    return "" if name is None else str(name)


class Script:
    """A compiled route script: its blocks plus ways to run them."""

    def __init__(self, path: str, routes: dict[tuple[str, str], CompiledRoute],
                 core_params: dict) -> None:
        self.path = path
        self._routes = routes
        self.core_params = core_params

    # -- lookup -------------------------------------------------------------
    def has_route(self, name: Any, kind: str = "route") -> bool:
        """Whether a block ``kind[name]`` exists (``request``/``reply``: name ignored)."""
        return (kind, _norm_name(kind, name)) in self._routes

    def route(self, name: Any, kind: str = "route") -> CompiledRoute | None:
        """The compiled block ``kind[name]`` or None (a missing request_route
        is allowed: the caller then drops the message)."""
        return self._routes.get((kind, _norm_name(kind, name)))

    def routes(self, kind: str | None = None) -> list[CompiledRoute]:
        """All compiled blocks (of one kind), in source order."""
        return [r for r in self._routes.values() if kind is None or r.kind == kind]

    # -- running ------------------------------------------------------------
    def new_context(self, msg: Any, route_type: RouteType, env: Any = None) -> RunContext:
        """A context for a fresh run: ``$rc`` 0, script flags 0, and the
        calling thread's ``$var`` dict.  The server calls it per message."""
        return fresh_context(msg, route_type, env, self)

    def run(self, route: CompiledRoute, ctx: RunContext) -> int:
        """Run ``route`` as a top-level run and return the run's value.

        ``ctx.drop`` tells whether ``drop`` was executed.  ``return`` and
        ``exit`` both end the run here; their value is returned.
        """
        if ctx.script is None:
            ctx.script = self
        # a module may run another block on the same context from inside a
        # function call (e.g. a branch route during t_relay): keep the outer
        # run's control state intact (plain locals: no tuple per run)
        flags = ctx._flags
        depth = ctx._depth
        cont = ctx._cont
        ctx._flags = 0
        ctx._depth = 0
        try:
            return route.body(ctx)
        finally:
            ctx._flags = flags
            ctx._depth = depth
            ctx._cont = cont

    def run_continuation(self, cont: Continuation, ctx: RunContext) -> int:
        """Resume "the rest of the block" captured by ``ctx.continuation()``.

        A new top-level run with fresh private state: the executing thread's
        ``$var`` dict, ``$rc`` 0, script flags 0.
        """
        if ctx.script is None:
            ctx.script = self
        ctx.vars = thread_vars()
        ctx.rc = 0
        ctx.sflags = 0
        ctx.drop = False
        saved = (ctx._flags, ctx._depth, ctx._cont)
        ctx._flags = 0
        ctx._depth = 0
        try:
            return cont.run(ctx)
        finally:
            ctx._flags, ctx._depth, ctx._cont = saved


def compile_script(path: Path | str | None, registry: FunctionRegistry, *,
                   defines: dict[str, str] | None = None, pvs: PVRegistry | None = None,
                   core_params: dict | None = None, env: Any = None,
                   text: str | None = None) -> Script:
    """Load, check and compile a route script.

    Runs at start-up and in ``siprouter check``.  ``text`` compiles a string
    instead of reading ``path`` (``path`` then only names it in errors);
    ``path=None`` with no text gives an empty script.  Raises
    :class:`ScriptErrors` with *every* problem found, in source order.
    """
    core_params = dict(core_params or {})
    pvs = pvs if pvs is not None else PVRegistry()
    if path is None and text is None:
        return Script("<none>", {}, core_params)
    src = preprocess(path if path is not None else "<script>", defines or {}, text=text)
    errors: list[ScriptError] = list(src.errors)
    lexer = Lexer(src)
    tokens = lexer.tokens()
    errors.extend(lexer.errors)
    parser = Parser(tokens, src.text)
    tree = parser.parse()
    errors.extend(parser.errors)

    # collect the block names first: calls may name blocks defined later
    names: dict[str, set[str]] = {k: set() for k in KINDS}
    seen: dict[tuple[str, str], Any] = {}
    blocks = []
    for b in tree.blocks:
        key = (b.kind, b.name)
        if key in seen:
            errors.append(ScriptError.at(b.pos, "duplicate route", block_label(b.kind, b.name)))
            continue
        seen[key] = b.pos
        names[b.kind].add(b.name)
        blocks.append(b)

    comp = Compiler(registry, pvs, core_params, env, names)
    routes: dict[tuple[str, str], CompiledRoute] = {}
    token = _COMPILING.set(names)
    try:
        for b in blocks:
            body = comp.compile_block(b)
            routes[(b.kind, b.name)] = CompiledRoute(
                b.kind, b.name, BLOCK_TYPES.get(b.kind, RouteType.REQUEST), body, b.pos)
            if b.kind == "route":
                slot: RouteSlot = comp.slots[b.name]
                slot.body = body
    finally:
        _COMPILING.reset(token)
    errors.extend(comp.errors)
    if errors:
        order = {f: i for i, f in enumerate(dict.fromkeys(o[0] for o in src.origins))}
        errors.sort(key=lambda e: (order.get(e.file, len(order)), e.line, e.col))
        raise ScriptErrors(errors)
    return Script(str(path) if path is not None else "<script>", routes, core_params)
