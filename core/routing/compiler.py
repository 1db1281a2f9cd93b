"""Compiler: AST -> Python closures, with every load-time check.

Runs once per script load.  Each statement becomes a function
``act(ctx) -> int`` and each expression a function ``ev(ctx) -> value``;
function specs, PV classes, literals, regexes and route targets are all
resolved here, so running a route does no lookup by name and no parsing.

Control flow (Kamailio ``action.c`` semantics) is carried in
``ctx._flags``: an action list stops as soon as any bit is set; ``route()``
clears RETURN/BREAK ("absorbs" them), loops and switches clear BREAK, EXIT
passes through everything up to the top-level run.

Errors are collected in ``self.errors`` (never raised one by one).
"""
from __future__ import annotations

import contextvars
import re
from typing import Any, Callable

import structlog

from siprouter.core.modsys.declare import Arg, FixedArg, FixupError, RouteType
from siprouter.core.routing import ast
from siprouter.core.routing.context import BREAK, DROP, EXIT, RETURN, Continuation
from siprouter.core.routing.errors import PVError, ScriptError, SourcePos
from siprouter.core.routing.keywords import (NOT_CONST, keyword_constant, keyword_getter,
                                             method_test, myself_test, myself_uri_test)
from siprouter.core.routing.operators import ARITH, COMPARE, mixed_compare, op_eq
from siprouter.core.routing.pv import CompiledPV, PVRegistry, unescape_dollar
from siprouter.core.routing.registry import FunctionRegistry, route_allows
from siprouter.core.routing.values import str_to_int_strict, to_int, to_str, wrap32

log = structlog.get_logger("siprouter.routing")

Action = Callable[[Any], int]
Eval = Callable[[Any], Any]

# block kind -> route type used for the function route-type check
BLOCK_TYPES: dict[str, RouteType] = {
    "request": RouteType.REQUEST,
    "route": RouteType.REQUEST,       # route[] blocks are checked as REQUEST (spec 4.1)
    "reply": RouteType.CORE_ONREPLY,
    "onreply": RouteType.TM_ONREPLY,
    "failure": RouteType.FAILURE,
    "branch": RouteType.BRANCH,
    "event": RouteType.EVENT,
    "onsend": RouteType.ONSEND,
    "branch_failure": RouteType.BRANCH_FAILURE,
}
_BLOCK_WORDS = {"request": "request_route", "route": "route", "reply": "reply_route",
                "onreply": "onreply_route", "failure": "failure_route",
                "branch": "branch_route", "event": "event_route", "onsend": "onsend_route",
                "branch_failure": "branch_failure_route"}

# The route names of the script being compiled, by block kind; lets a module's
# fixup check e.g. a failure_route name (see script_route_names()).
_COMPILING: contextvars.ContextVar[dict[str, set[str]] | None] = contextvars.ContextVar(
    "siprouter_compiling_routes", default=None)


def script_route_names(kind: str = "route") -> set[str] | None:
    """Names of the ``kind`` blocks of the script now being compiled.

    For use inside a ``FunctionSpec.fixup`` (e.g. ``t_on_failure`` checking
    its ``failure_route`` name).  ``None`` outside a compilation.
    """
    d = _COMPILING.get()
    return None if d is None else set(d.get(kind, set()))


def block_label(kind: str, name: str) -> str:
    """``route[NAME]``, ``request_route``... as written in a script."""
    word = _BLOCK_WORDS.get(kind, kind)
    return f"{word}[{name}]" if name else word


class _NoConst:
    def __repr__(self) -> str:
        return "<dynamic>"


NC = _NoConst()


class CE:
    """A compiled expression: ``fn(ctx)``, its value when constant, and
    whether it always yields an int (lets conditions skip a conversion)."""

    __slots__ = ("fn", "const", "isint", "raw", "parts")

    def __init__(self, fn: Eval, const: Any = NC, isint: bool = False) -> None:
        self.fn = fn
        self.const = const
        self.isint = isint
        self.raw: tuple | None = None   # (getter, name) of a plain PV read
        self.parts: tuple | None = None  # (const, getter, name) of "const" + plain PV


def _constant(value: Any) -> CE:
    return CE(lambda ctx: value, value, value.__class__ is int)


class RouteSlot:
    """Holds a route[] body; filled once every block is compiled so that
    calls may refer to blocks defined later in the file."""

    __slots__ = ("name", "body")

    def __init__(self, name: str) -> None:
        self.name = name
        self.body: Action | None = None


def _norm_rc(r: Any) -> int:
    """Coerce a function's return value to an int (None -> 1, bool -> 1/-1)."""
    if r is None:
        return 1
    if r is True:
        return 1
    if r is False:
        return -1
    try:
        return int(r)
    except (TypeError, ValueError):
        return -1


def make_runner(acts: list[Action]) -> Action:
    """Run an action list: stop when a control-flow flag is set; the list's
    value is its last action's value (1 for an empty list)."""
    acts = tuple(acts)
    n = len(acts)
    if n == 0:
        return lambda ctx: 1
    if n == 1:
        return acts[0]
    if n == 2:
        a0, a1 = acts

        def run2(ctx: Any) -> int:
            v = a0(ctx)
            if ctx._flags:
                return v
            return a1(ctx)
        return run2

    def run(ctx: Any) -> int:
        v = 1
        for a in acts:
            v = a(ctx)
            if ctx._flags:
                break
        return v
    return run


def _fused_if_call(parts: tuple, then: Action, orelse: Action | None) -> Action:
    """``if (f(c)) ...`` with a static call as the whole condition: the call
    (what ``call_in_expr`` does) and the ``if`` in one closure, one Python
    call less per statement.  Same semantics as ``if_``/``if_else`` over
    ``call_in_expr``."""
    impl, n, c0, yes, no, failed = parts
    if orelse is None:
        orelse = _ONE
    if n == 0:
        def if_call0(ctx: Any) -> int:
            ctx._cont = None
            try:
                r = impl(ctx)
            except Exception:
                r = failed()
            if r.__class__ is not int:
                r = _norm_rc(r)
            ctx.rc = r
            if r > 0:
                c = yes
            else:
                if r == 0:
                    ctx._flags |= EXIT
                c = no
            if ctx._flags:
                return 0
            return then(ctx) if c else orelse(ctx)
        return if_call0

    def if_call1(ctx: Any) -> int:
        ctx._cont = None
        try:
            r = impl(ctx, c0)
        except Exception:
            r = failed()
        if r.__class__ is not int:
            r = _norm_rc(r)
        ctx.rc = r
        if r > 0:
            c = yes
        else:
            if r == 0:
                ctx._flags |= EXIT
            c = no
        if ctx._flags:
            return 0
        return then(ctx) if c else orelse(ctx)
    return if_call1


def _one(ctx: Any) -> int:
    return 1


_ONE = _one


class Compiler:
    """Compiles the blocks of one script; see the module docstring."""

    def __init__(self, registry: FunctionRegistry, pvs: PVRegistry, core_params: dict,
                 env: Any, route_names: dict[str, set[str]]) -> None:
        self.registry = registry
        self.pvs = pvs
        self.env = env
        self.errors: list[ScriptError] = []
        self.max_while = int(core_params.get("max_while_loops", 100))
        self.max_rec = int(core_params.get("max_recursive_level", 256))
        self.route_names = route_names
        self.slots: dict[str, RouteSlot] = {n: RouteSlot(n) for n in route_names.get("route", ())}
        self.kind = "request"
        self.name = ""
        self.block_type = RouteType.REQUEST
        self._dyn_rx: dict[str, re.Pattern] = {}

    def err(self, pos: SourcePos, message: str, text: str = "") -> None:
        self.errors.append(ScriptError.at(pos, message, text))

    # -- blocks and lists ---------------------------------------------------
    def compile_block(self, blk: ast.RouteBlock) -> Action:
        """Compile one route block's body (sets the block context for checks)."""
        self.kind, self.name = blk.kind, blk.name
        self.block_type = BLOCK_TYPES.get(blk.kind, RouteType.REQUEST)
        return self.compile_list(blk.body)

    def compile_list(self, stmts: list[ast.Stmt]) -> Action:
        acts: list[Action] = []
        cells: list[tuple[int, list, ast.Stmt]] = []
        for st in stmts:
            cell: list = [None]
            act = self.compile_stmt(st, cell)
            if act is None:
                continue
            if isinstance(st, ast.ExprStmt) and isinstance(st.expr, ast.CallExpr):
                cells.append((len(acts), cell, st))  # type: ignore[arg-type]
            acts.append(act)
        # continuations: a call knows the rest of its own list (built once)
        for idx, cell, st in cells:  # type: ignore[misc]
            rest = acts[idx + 1:]
            cell[0] = (Continuation(self.kind, self.name, make_runner(rest), st.pos)
                       if rest else None)
        return make_runner(acts)

    # -- statements -----------------------------------------------------------
    def compile_stmt(self, st: ast.Stmt, cell: list) -> Action | None:
        if isinstance(st, ast.ExprStmt):
            e = st.expr
            if isinstance(e, ast.CallExpr):
                return self.compile_call(e, cell, statement=True)
            if isinstance(e, ast.RouteCall):
                return self.compile_route_call(e, statement=True)
            return None
        if isinstance(st, ast.If):
            return self.compile_if(st)
        if isinstance(st, ast.Switch):
            return self.compile_switch(st)
        if isinstance(st, ast.While):
            return self.compile_while(st)
        if isinstance(st, ast.Assign):
            return self.compile_assign(st)
        if isinstance(st, ast.Return):
            return self.compile_return(st)
        if isinstance(st, ast.Exit):
            return self.compile_exit(st, drop=False)
        if isinstance(st, ast.Drop):
            return self.compile_exit(st, drop=True)
        if isinstance(st, ast.Break):
            def brk(ctx: Any) -> int:
                ctx._flags |= BREAK
                return 1
            return brk
        if isinstance(st, ast.Block):
            return self.compile_list(st.body)
        self.err(st.pos, "internal error: unknown statement", type(st).__name__)
        return None

    def compile_if(self, st: ast.If) -> Action:
        cond = self.compile_cond(st.cond)
        then = self.compile_list(st.then)
        orelse = self.compile_list(st.orelse) if st.orelse is not None else None
        fusable = getattr(cond, "fusable", None)
        if fusable is not None:
            return _fused_if_call(fusable, then, orelse)
        if orelse is None:
            def if_(ctx: Any) -> int:
                c = cond(ctx)
                if ctx._flags:          # a function returned 0 inside the condition
                    return 0
                if c > 0:
                    return then(ctx)
                return 1
            return if_

        def if_else(ctx: Any) -> int:
            c = cond(ctx)
            if ctx._flags:
                return 0
            if c > 0:
                return then(ctx)
            return orelse(ctx)
        return if_else

    def compile_while(self, st: ast.While) -> Action:
        cond = self.compile_cond(st.cond)
        body = self.compile_list(st.body)
        limit = self.max_while
        pos = st.pos

        def while_(ctx: Any) -> int:
            v = 1
            n = 0
            while True:
                c = cond(ctx)
                if ctx._flags:
                    return 0
                if c <= 0:
                    return v
                n += 1
                if limit and n > limit:
                    log.error("while loop stopped after max_while_loops iterations",
                              limit=limit, where=str(pos))
                    return v
                v = body(ctx)
                f = ctx._flags
                if f:
                    if f & BREAK:
                        ctx._flags = f & ~BREAK
                    return v
        return while_

    def compile_switch(self, st: ast.Switch) -> Action:
        val = self.compile_expr(st.expr).fn
        bodies: list[Action] = []
        int_map: dict[int, int] = {}
        str_tests: list[tuple[Any, int]] = []   # (str or compiled regex, index)
        default_idx: int | None = None
        labels = [c for c in st.cases if c.value is not None]
        int_switch = bool(labels) and all(isinstance(c.value, ast.IntLit) for c in labels)
        for i, c in enumerate(st.cases):
            bodies.append(self.compile_list(c.body))
            if c.value is None:
                if default_idx is not None:
                    self.err(c.pos, "duplicate default in switch", "default")
                default_idx = i
            elif int_switch:
                k = c.value.value  # type: ignore[union-attr]
                if k in int_map:
                    self.err(c.pos, "duplicate case value in switch", str(k))
                else:
                    int_map[k] = i
            elif c.regex:
                pattern = c.value.value  # type: ignore[union-attr]
                try:
                    str_tests.append((re.compile(pattern, re.I), i))
                except re.error as e:
                    self.err(c.value.pos, f"bad regular expression ({e})", pattern)
            else:
                v = c.value.value  # type: ignore[union-attr]
                str_tests.append((unescape_dollar(v) if isinstance(v, str) else str(v), i))
        bodies_t = tuple(bodies)

        def run_from(ctx: Any, idx: int) -> int:
            r = 1
            for b in bodies_t[idx:]:   # C-like fall-through until break
                r = b(ctx)
                f = ctx._flags
                if f:
                    if f & BREAK:
                        ctx._flags = f & ~BREAK
                    break
            return r

        if int_switch:
            def switch_int(ctx: Any) -> int:
                k = to_int(val(ctx))
                if ctx._flags:
                    return 0
                idx = int_map.get(k, default_idx)
                return 1 if idx is None else run_from(ctx, idx)
            return switch_int

        tests = tuple(str_tests)

        def switch_str(ctx: Any) -> int:
            s = to_str(val(ctx))
            if ctx._flags:
                return 0
            idx = default_idx
            for t, i in tests:
                if (s == t) if t.__class__ is str else (t.search(s) is not None):
                    idx = i
                    break
            return 1 if idx is None else run_from(ctx, idx)
        return switch_str

    def compile_assign(self, st: ast.Assign) -> Action | None:
        pv = self.compile_pv(st.target)
        value = self.compile_expr(st.value)
        if pv is None:
            return None
        if not pv.writable:
            self.err(st.target.pos, "cannot assign to a read-only pseudo-variable", st.target.text)
            return None
        setter = pv.set
        vfn = value.fn
        pos = st.pos
        text = st.target.text
        if st.op == "+=":
            getter = pv.get

            def add_assign(ctx: Any) -> int:
                cur = getter(ctx)
                v = vfn(ctx)
                nv = wrap32(cur + to_int(v)) if cur.__class__ is int else to_str(cur) + to_str(v)
                try:
                    setter(ctx, nv)
                except Exception:
                    log.exception("assignment failed", pv=text, where=str(pos))
                    return -1
                return 1
            return add_assign
        if pv.raw_set is not None and value.const is NC:
            rs, nm = pv.raw_set
            if value.raw is not None:
                vg, vn = value.raw      # "$avp(a) = $fU": getter and setter called directly

                def assign_pv(ctx: Any) -> int:
                    try:
                        rs(ctx, nm, vg(ctx, vn))
                    except Exception:
                        log.exception("assignment failed", pv=text, where=str(pos))
                        return -1
                    return 1
                return assign_pv

            def assign_direct(ctx: Any) -> int:
                try:
                    rs(ctx, nm, vfn(ctx))
                except Exception:
                    log.exception("assignment failed", pv=text, where=str(pos))
                    return -1
                return 1
            return assign_direct
        if value.const is not NC:
            cv = value.const
            if pv.raw_set is not None:
                rs, nm = pv.raw_set

                def assign_const_direct(ctx: Any) -> int:
                    try:
                        rs(ctx, nm, cv)
                    except Exception:
                        log.exception("assignment failed", pv=text, where=str(pos))
                        return -1
                    return 1
                return assign_const_direct

            def assign_const(ctx: Any) -> int:
                try:
                    setter(ctx, cv)
                except Exception:
                    log.exception("assignment failed", pv=text, where=str(pos))
                    return -1
                return 1
            return assign_const

        def assign(ctx: Any) -> int:
            try:
                setter(ctx, vfn(ctx))
            except Exception:
                log.exception("assignment failed", pv=text, where=str(pos))
                return -1
            return 1
        return assign

    def compile_return(self, st: ast.Return) -> Action:
        if st.value is None:
            def ret1(ctx: Any) -> int:
                ctx._flags |= RETURN
                return 1
            return ret1
        ce = self.compile_expr(st.value)
        if ce.const is not NC:
            v0 = to_int(ce.const)
            flags = RETURN | (EXIT if v0 == 0 else 0)   # "return 0" is exit

            def ret_const(ctx: Any) -> int:
                ctx._flags |= flags
                return v0
            return ret_const
        fn = ce.fn

        def ret(ctx: Any) -> int:
            v = to_int(fn(ctx))
            ctx._flags |= RETURN if v else (RETURN | EXIT)
            return v
        return ret

    def compile_exit(self, st: ast.Exit | ast.Drop, drop: bool) -> Action:
        fn = self.compile_expr(st.value).fn if st.value is not None else None
        if drop:
            def drop_(ctx: Any) -> int:
                v = to_int(fn(ctx)) if fn is not None else 0
                ctx._flags |= EXIT | DROP
                ctx.drop = True
                return v
            return drop_

        def exit_(ctx: Any) -> int:
            v = to_int(fn(ctx)) if fn is not None else 0
            ctx._flags |= EXIT
            return v
        return exit_

    # -- calls ----------------------------------------------------------------
    def compile_route_call(self, e: ast.RouteCall, statement: bool) -> Action | None:
        max_rec = self.max_rec
        pos = e.pos
        if e.name is not None:
            slot = self.slots.get(e.name)
            if slot is None:
                self.err(e.pos, "route not found", e.name)
                return None

            def call_static(ctx: Any) -> int:
                ctx._depth += 1
                if ctx._depth > max_rec:
                    ctx._depth -= 1
                    log.error("too many recursive route levels", limit=max_rec, where=str(pos))
                    ctx.rc = -1
                    return -1
                v = slot.body(ctx)
                ctx._depth -= 1
                f = ctx._flags
                if f & (RETURN | BREAK):
                    ctx._flags = f & ~(RETURN | BREAK)   # route() absorbs return/break
                ctx.rc = v
                return v
            return call_static
        target = self.compile_expr(e.target).fn   # type: ignore[arg-type]
        slots = self.slots

        def call_dynamic(ctx: Any) -> int:
            name = to_str(target(ctx))
            slot = slots.get(name)
            if slot is None:
                log.error("route not found", route=name, where=str(pos))
                ctx.rc = -1
                return -1
            ctx._depth += 1
            if ctx._depth > max_rec:
                ctx._depth -= 1
                log.error("too many recursive route levels", limit=max_rec, where=str(pos))
                ctx.rc = -1
                return -1
            v = slot.body(ctx)
            ctx._depth -= 1
            f = ctx._flags
            if f & (RETURN | BREAK):
                ctx._flags = f & ~(RETURN | BREAK)
            ctx.rc = v
            return v
        return call_dynamic

    def resolve_function(self, e: ast.CallExpr):
        n = len(e.args)
        cands = self.registry.candidates(e.name)
        if not cands:
            self.err(e.pos, "unknown function (missing loadmodule?)", e.name)
            return None
        by_arity = self.registry.arity_matches(e.name, n)
        if not by_arity:
            arities = sorted({f"{len(s.args) - s.optional}" if not s.optional
                              else f"{len(s.args) - s.optional}..{len(s.args)}" for s in cands})
            self.err(e.pos, f"wrong number of parameters ({n} given, expected {' or '.join(arities)})",
                     e.name)
            return None
        for s in by_arity:
            if route_allows(int(s.routes), int(self.block_type)):
                return s
        self.err(e.pos, f"function cannot be used in {block_label(self.kind, self.name)}", e.name)
        return None

    def compile_call(self, e: ast.CallExpr, cell: list | None, statement: bool,
                     negate: bool = False) -> Action | None:
        spec = self.resolve_function(e)
        if spec is None:
            for a in e.args:   # still report problems inside the arguments
                if not isinstance(a, ast.StrLit):
                    self.compile_expr(a)
            return None
        bound = self.bind_args(e, spec)
        if bound is None:
            return None
        static, consts, convs = bound
        impl = spec.impl
        fname = spec.name
        pos = e.pos
        if cell is None:
            cell = [None]

        def failed() -> int:
            log.exception("route function raised", function=fname, where=str(pos))
            return -1

        yes, no = (0, 1) if negate else (1, 0)   # boolean value inside an expression

        if static and statement and len(consts) <= 2:
            # the hot path: a statement call with literal arguments, no extra layer
            n = len(consts)
            c0 = consts[0] if n > 0 else None
            c1 = consts[1] if n > 1 else None
            if n == 0:
                def call0(ctx: Any) -> int:
                    ctx._cont = cell[0]
                    try:
                        r = impl(ctx)
                    except Exception:
                        r = failed()
                    if r.__class__ is not int:
                        r = _norm_rc(r)
                    if r == 0:
                        ctx._flags |= EXIT     # a function returning 0 ends the script
                    ctx.rc = r
                    return r
                return call0
            if n == 1:
                def call1(ctx: Any) -> int:
                    ctx._cont = cell[0]
                    try:
                        r = impl(ctx, c0)
                    except Exception:
                        r = failed()
                    if r.__class__ is not int:
                        r = _norm_rc(r)
                    if r == 0:
                        ctx._flags |= EXIT
                    ctx.rc = r
                    return r
                return call1

            def call2(ctx: Any) -> int:
                ctx._cont = cell[0]
                try:
                    r = impl(ctx, c0, c1)
                except Exception:
                    r = failed()
                if r.__class__ is not int:
                    r = _norm_rc(r)
                if r == 0:
                    ctx._flags |= EXIT
                ctx.rc = r
                return r
            return call2

        if static and not statement and len(consts) <= 2:
            # a call inside a condition: boolean value, no continuation
            c0 = consts[0] if consts else None
            c1 = consts[1] if len(consts) > 1 else None
            n = len(consts)

            def call_in_expr(ctx: Any) -> int:
                ctx._cont = None
                try:
                    if n == 1:
                        r = impl(ctx, c0)
                    elif n == 0:
                        r = impl(ctx)
                    else:
                        r = impl(ctx, c0, c1)
                except Exception:
                    r = failed()
                if r.__class__ is not int:
                    r = _norm_rc(r)
                ctx.rc = r
                if r > 0:
                    return yes
                if r == 0:
                    ctx._flags |= EXIT
                return no
            if n <= 1:
                # compile_if fuses "if (f(c))" / "if (!f(c))" into one closure
                call_in_expr.fusable = (impl, n, c0, yes, no, failed)  # type: ignore[attr-defined]
            return call_in_expr

        if static:
            def invoke(ctx: Any) -> int:
                try:
                    return impl(ctx, *consts)
                except Exception:
                    return failed()
        else:
            convs_t = tuple(convs)

            def invoke(ctx: Any) -> int:
                vals = []
                for c in convs_t:
                    v = c(ctx)
                    if v is _BAD:
                        log.error("bad parameter value at run time: integer expected",
                                  function=fname, where=str(pos))
                        return -1
                    vals.append(v)
                try:
                    return impl(ctx, *vals)
                except Exception:
                    return failed()

        if statement:
            def call_stmt(ctx: Any) -> int:
                ctx._cont = cell[0]
                r = invoke(ctx)
                if r.__class__ is not int:
                    r = _norm_rc(r)
                if r == 0:
                    ctx._flags |= EXIT     # a function returning 0 ends the script
                ctx.rc = r
                return r
            return call_stmt

        def call_expr(ctx: Any) -> int:
            ctx._cont = None               # no continuation inside an expression
            r = invoke(ctx)
            if r.__class__ is not int:
                r = _norm_rc(r)
            if r == 0:
                ctx._flags |= EXIT
            ctx.rc = r
            return yes if r > 0 else no
        return call_expr

    def bind_args(self, e: ast.CallExpr, spec) -> tuple[bool, list, list] | None:
        """Convert each argument once, by its declared kind; run the fixup.

        Returns ``(all_static, constants, converters)`` or None after errors.
        """
        consts: list[Any] = []
        convs: list[Eval] = []
        fixed: list[FixedArg] = []
        static = True
        ok = True
        for a, kind in zip(e.args, spec.args):
            r = self.bind_arg(a, kind)
            if r is None:
                ok = False
                continue
            is_static, value, text = r
            fixed.append(FixedArg(kind, text, value if is_static else None))
            if is_static:
                consts.append(value)
                convs.append(_const_fn(value))
            else:
                static = False
                consts.append(None)
                convs.append(value)
        if not ok:
            return None
        if spec.fixup is not None:
            token = _COMPILING.set(self.route_names)
            try:
                spec.fixup(fixed, self.env)
            except FixupError as ex:
                self.err(e.pos, f"invalid parameter for function {spec.name} ({ex})",
                         e.text or e.name)
                return None
            except Exception as ex:  # a module bug must not hide the other errors
                self.err(e.pos, f"fixup of function {spec.name} failed ({ex!r})", e.text or e.name)
                return None
            finally:
                _COMPILING.reset(token)
        return static, consts, convs

    def bind_arg(self, a: ast.Expr, kind: Arg) -> tuple[bool, Any, str] | None:
        """One argument -> (static?, value or converter, source text) or None."""
        text = _arg_text(a)
        if kind is Arg.STR:
            if isinstance(a, ast.StrLit):
                return True, unescape_dollar(a.value), text
            if isinstance(a, ast.IntLit):
                return True, str(a.value), text
            self.err(a.pos, "parameter must be a static string", text)
            return None
        if kind is Arg.INT:
            lit = self._int_literal(a)
            if lit is None:
                self.err(a.pos, "parameter must be an integer", text)
                return None
            return True, lit, text
        if kind is Arg.REGEX:
            if not isinstance(a, (ast.StrLit, ast.IntLit)):
                self.err(a.pos, "parameter must be a static regular expression", text)
                return None
            pattern = unescape_dollar(str(a.value))
            try:
                return True, re.compile(pattern, re.I), text
            except re.error as ex:
                self.err(a.pos, f"bad regular expression ({ex})", pattern)
                return None
        if kind in (Arg.IGP, Arg.FLAG):
            lit = self._int_literal(a)
            if lit is not None:
                if kind is Arg.FLAG and not 0 <= lit <= 31:
                    self.err(a.pos, "flag out of range (0..31)", text)
                    return None
                return True, lit, text
            if isinstance(a, (ast.StrLit, ast.IntLit)):
                self.err(a.pos, "parameter must be an integer", text)
                return None
            fn = self.compile_expr(a).fn
            is_flag = kind is Arg.FLAG

            def int_conv(ctx: Any) -> Any:
                v = fn(ctx)
                if v.__class__ is not int or (is_flag and not 0 <= v <= 31):
                    return _BAD       # a PV holding a string: the call returns -1
                return v
            return False, int_conv, text
        if kind is Arg.PVREF or kind is Arg.ANY:
            a = _single_pv(a)   # "$avp(x)" written as a string means the PV itself
            text = _arg_text(a)
        if kind is Arg.PVREF:
            if not isinstance(a, ast.PVRef):
                self.err(a.pos, "parameter must be a pseudo-variable", text)
                return None
            pv = self.compile_pv(a)
            if pv is None:
                return None
            if not pv.writable:
                self.err(a.pos, "parameter must be a writable pseudo-variable", text)
                return None
            return True, pv, text
        if kind is Arg.ROUTE:
            if isinstance(a, (ast.StrLit, ast.IntLit)) and "$" not in str(a.value):
                name = unescape_dollar(str(a.value))
                if name not in self.slots:
                    self.err(a.pos, "route not found", name)
                    return None
                return True, name, text
            return self._spve(a, text)
        if kind is Arg.SPVE:
            return self._spve(a, text)
        # Arg.ANY: the raw value
        if isinstance(a, ast.IntLit):
            return True, a.value, text
        if isinstance(a, ast.StrLit):
            return self._spve(a, text)
        ce = self.compile_expr(a)
        if ce.const is not NC:
            return True, ce.const, text
        return False, ce.fn, text

    def _spve(self, a: ast.Expr, text: str) -> tuple[bool, Any, str] | None:
        if isinstance(a, ast.IntLit):
            return True, str(a.value), text
        if isinstance(a, ast.StrLit):
            if not a.quoted:
                return True, a.value, text
            try:
                f = self.pvs.compile_format(a.value)
            except PVError as ex:
                self.err(a.pos, str(ex), text)
                return None
            if isinstance(f, str):
                return True, f, text
            return False, f, text
        ce = self.compile_expr(a)
        if ce.const is not NC:
            return True, to_str(ce.const), text
        fn = ce.fn
        if isinstance(a, ast.PVRef):
            from siprouter.core.routing.values import fmt_str
            return False, (lambda ctx: fmt_str(fn(ctx))), text
        return False, (lambda ctx: to_str(fn(ctx))), text

    @staticmethod
    def _int_literal(a: ast.Expr) -> int | None:
        if isinstance(a, ast.IntLit):
            return a.value
        if isinstance(a, ast.StrLit):
            return str_to_int_strict(a.value)
        return None

    # -- expressions ------------------------------------------------------------
    def compile_pv(self, ref: ast.PVRef) -> CompiledPV | None:
        try:
            return self.pvs.compile(ref.text)
        except PVError as ex:
            self.err(ref.pos, str(ex), ref.text)
            return None

    def compile_cond(self, e: ast.Expr) -> Callable[[Any], int]:
        """A condition: returns an int that is > 0 when true (Kamailio ``v>0``)."""
        ce = self.compile_expr(e)
        if ce.isint:
            return ce.fn
        fn = ce.fn
        return lambda ctx: to_int(fn(ctx))

    def compile_expr(self, e: ast.Expr) -> CE:
        """Compile an expression; errors are recorded and a dummy returned."""
        ce = self._expr(e)
        if ce is None:
            return _constant(0)
        return ce

    def _expr(self, e: ast.Expr) -> CE | None:
        if isinstance(e, ast.IntLit):
            return _constant(wrap32(e.value))
        if isinstance(e, ast.StrLit):
            return _constant(unescape_dollar(e.value))
        if isinstance(e, ast.PVRef):
            pv = self.compile_pv(e)
            if pv is None:
                return None
            ce = CE(pv.get)
            ce.raw = pv.raw_get
            return ce
        if isinstance(e, ast.Keyword):
            if e.name == "myself":
                self.err(e.pos, "'myself' can only be compared with == or !=", "myself")
                return None
            c = keyword_constant(e.name)
            if c is not NOT_CONST:
                return _constant(c)
            # not flagged as int: on a message without receive info these are $null
            return CE(keyword_getter(e.name))
        if isinstance(e, ast.CallExpr):
            act = self.compile_call(e, None, statement=False)
            return CE(act, NC, True) if act is not None else None
        if isinstance(e, ast.RouteCall):
            act = self.compile_route_call(e, statement=False)
            if act is None:
                return None

            def route_value(ctx: Any) -> int:
                return 1 if act(ctx) > 0 else 0    # route() in a condition is boolean
            return CE(route_value, NC, True)
        if isinstance(e, ast.Unary):
            return self._unary(e)
        if isinstance(e, ast.Cast):
            inner = self.compile_expr(e.operand)
            f = inner.fn
            if e.to == "int":
                return self._fold(CE(lambda ctx: to_int(f(ctx)), NC, True), inner)
            return self._fold(CE(lambda ctx: to_str(f(ctx))), inner)
        if isinstance(e, ast.Defined):
            if isinstance(e.operand, ast.PVRef):
                pv = self.compile_pv(e.operand)
                if pv is None:
                    return None
                g = pv.get
                return CE(lambda ctx: 0 if g(ctx) is None else 1, NC, True)
            inner = self.compile_expr(e.operand)
            return _constant(1) if inner.const is not NC else CE(lambda ctx: 1, NC, True)
        if isinstance(e, ast.StrFunc):
            inner = self.compile_expr(e.operand)
            f = inner.fn
            if e.name == "strlen":
                return self._fold(CE(lambda ctx: len(to_str(f(ctx))), NC, True), inner)
            return self._fold(CE(lambda ctx: 1 if to_str(f(ctx)) == "" else 0, NC, True), inner)
        if isinstance(e, ast.Binary):
            return self._binary(e)
        self.err(e.pos, "internal error: unknown expression", type(e).__name__)
        return None

    @staticmethod
    def _fold(ce: CE, *inputs: CE) -> CE:
        """Evaluate at load time when every input is constant."""
        if all(i.const is not NC for i in inputs):
            v = ce.fn(None)
            return CE(lambda ctx: v, v, v.__class__ is int)
        return ce

    def _unary(self, e: ast.Unary) -> CE:
        if e.op == "!" and isinstance(e.operand, ast.CallExpr):
            # "!fn()": the call closure returns the negated boolean itself
            act = self.compile_call(e.operand, None, statement=False, negate=True)
            return CE(act, NC, True) if act is not None else _constant(0)
        inner = self.compile_expr(e.operand)
        f = inner.fn
        if e.op == "!" and inner.isint:
            ce = CE(lambda ctx: 0 if f(ctx) else 1, NC, True)
        elif e.op == "!":
            ce = CE(lambda ctx: 1 if to_int(f(ctx)) == 0 else 0, NC, True)
        elif e.op == "~":
            ce = CE(lambda ctx: wrap32(~to_int(f(ctx))), NC, True)
        else:
            ce = CE(lambda ctx: wrap32(-to_int(f(ctx))), NC, True)
        return self._fold(ce, inner)

    def _binary(self, e: ast.Binary) -> CE | None:
        op = e.op
        if isinstance(e.right, ast.Keyword) and e.right.name == "myself":
            if op not in ("==", "!="):
                self.err(e.pos, "'myself' can only be compared with == or !=", op)
                return None
            if isinstance(e.left, ast.Keyword) and e.left.name in ("uri", "from_uri", "to_uri"):
                return CE(myself_uri_test(e.left.name, op == "!="), NC, True)
            left = self.compile_expr(e.left)
            return CE(myself_test(left.fn, op == "!="), NC, True)
        left = self.compile_expr(e.left)
        if op == "=~":
            return self._match(e, left)
        right = self.compile_expr(e.right)
        lf, rf = left.fn, right.fn
        if op == "&&":
            fn: Eval = lambda ctx: 1 if (to_int(lf(ctx)) != 0 and to_int(rf(ctx)) != 0) else 0
            if left.isint and right.isint:
                fn = lambda ctx: 1 if (lf(ctx) and rf(ctx)) else 0
            return self._fold(CE(fn, NC, True), left, right)
        if op == "||":
            fn = lambda ctx: 1 if (to_int(lf(ctx)) != 0 or to_int(rf(ctx)) != 0) else 0
            if left.isint and right.isint:
                fn = lambda ctx: 1 if (lf(ctx) or rf(ctx)) else 0
            return self._fold(CE(fn, NC, True), left, right)
        if op in COMPARE:
            cmp = COMPARE[op]
            if isinstance(e.left, ast.Keyword) and e.left.name == "method" and op in ("==", "!="):
                # method names compare case-insensitively
                neg = op == "!="
                if right.const.__class__ is str:
                    # one closure reading the method itself (no getter call)
                    return CE(method_test(right.const.upper(), neg), NC, True)
                fn = lambda ctx: (1 if (to_str(lf(ctx)).upper() == to_str(rf(ctx)).upper()) != neg else 0)
                return CE(fn, NC, True)
            fast = self._fast_compare(op, lf, right, left)
            if fast is not None:
                fn = fast
            elif right.const is not NC and left.isint and right.const.__class__ is int:
                c = right.const
                fn = lambda ctx: 1 if cmp(lf(ctx), c) else 0
            else:
                fn = lambda ctx: 1 if mixed_compare(cmp, lf(ctx), rf(ctx)) else 0
            return self._fold(CE(fn, NC, True), left, right)
        if op in ("eq", "ne"):
            want = op == "eq"
            fn = lambda ctx: 1 if (to_str(lf(ctx)) == to_str(rf(ctx))) == want else 0
            return self._fold(CE(fn, NC, True), left, right)
        if op in ("ieq", "ine"):
            want = op == "ieq"
            fn = lambda ctx: 1 if (to_int(lf(ctx)) == to_int(rf(ctx))) == want else 0
            return self._fold(CE(fn, NC, True), left, right)
        if op == "+" and left.const.__class__ is str and right.const is NC:
            c = left.const                      # "sip:" + $rU: always a string
            if right.raw is not None:
                g, nm = right.raw               # the PV getter called directly

                def const_plus_pv(ctx: Any) -> str:
                    v = g(ctx, nm)
                    return c + (v if v.__class__ is str else to_str(v))
                ce = CE(const_plus_pv)
                ce.parts = (c, g, nm)
                return ce
            return CE(lambda ctx: c + to_str(rf(ctx)))
        if op == "+" and right.const.__class__ is str and left.const is NC:
            c = right.const
            parts = left.parts
            if parts is not None:
                # "sip:" + $rU + "@host": one closure for the whole string
                c0, g, nm = parts

                def const_pv_const(ctx: Any) -> str:
                    v = g(ctx, nm)
                    return c0 + (v if v.__class__ is str else to_str(v)) + c
                return CE(const_pv_const)

            def plus_str(ctx: Any) -> Any:
                a = lf(ctx)
                if a.__class__ is str:
                    return a + c
                if a.__class__ is int:
                    return wrap32(a + to_int(c))
                return to_str(a) + c
            return CE(plus_str)
        if op == "+" and left.raw is not None and right.const.__class__ is int:
            g, nm = left.raw                    # "$var(n) + 1"
            c = right.const

            def pv_plus_int(ctx: Any) -> Any:
                a = g(ctx, nm)
                if a.__class__ is int:
                    a += c
                    return a if -0x80000000 <= a <= 0x7FFFFFFF else wrap32(a)
                return to_str(a) + to_str(c)
            return CE(pv_plus_int)
        if op == "+":
            def plus(ctx: Any) -> Any:
                a = lf(ctx)
                b = rf(ctx)
                if a.__class__ is int:
                    return wrap32(a + to_int(b))
                return to_str(a) + to_str(b)
            return self._fold(CE(plus, NC, left.isint), left, right)
        arith = ARITH.get(op)
        if arith is None:
            self.err(e.pos, "syntax error: unknown operator", op)
            return None
        pos = e.pos

        def calc(ctx: Any) -> int:
            try:
                return wrap32(arith(to_int(lf(ctx)), to_int(rf(ctx))))
            except ZeroDivisionError:
                log.error("division by zero in route script", where=str(pos))
                return 0
        return self._fold(CE(calc, NC, True), left, right)

    @staticmethod
    def _fast_compare(op: str, lf: Eval, right: CE, left: CE | None = None) -> Eval | None:
        """Specialised ==/!= against a constant (the common case)."""
        if op not in ("==", "!=") or right.const is NC:
            return None
        c = right.const
        neg = op == "!="
        if left is not None and left.raw is not None and c.__class__ is str:
            g, nm = left.raw     # "$rm == 'CANCEL'": call the PV getter directly

            def eq_str_pv(ctx: Any) -> int:
                a = g(ctx, nm)
                if a.__class__ is str:
                    return 1 if (a == c) != neg else 0
                return 1 if mixed_compare(op_eq, a, c) != neg else 0
            return eq_str_pv
        if left is not None and left.raw is not None and c is None:
            g, nm = left.raw
            if neg:
                return lambda ctx: 0 if g(ctx, nm) is None else 1
            return lambda ctx: 1 if g(ctx, nm) is None else 0
        if c is None:
            if neg:
                return lambda ctx: 0 if lf(ctx) is None else 1
            return lambda ctx: 1 if lf(ctx) is None else 0
        if c.__class__ is str:
            def eq_str(ctx: Any) -> int:
                a = lf(ctx)
                if a.__class__ is str:
                    return 1 if (a == c) != neg else 0
                return 1 if mixed_compare(op_eq, a, c) != neg else 0
            return eq_str
        if c.__class__ is int:
            def eq_int(ctx: Any) -> int:
                a = lf(ctx)
                if a.__class__ is int:
                    return 1 if (a == c) != neg else 0
                return 1 if mixed_compare(op_eq, a, c) != neg else 0
            return eq_int
        return None

    def _match(self, e: ast.Binary, left: CE) -> CE:
        lf = left.fn
        if isinstance(e.right, ast.StrLit):
            pattern = unescape_dollar(e.right.value)
            try:
                rx = re.compile(pattern, re.I)
            except re.error as ex:
                self.err(e.right.pos, f"bad regular expression ({ex})", pattern)
                return _constant(0)
            search = rx.search
            if left.raw is not None:
                g, nm = left.raw                # "$rU =~ ...": the PV getter called directly

                def match_pv(ctx: Any) -> int:
                    v = g(ctx, nm)
                    return 1 if search(v if v.__class__ is str else to_str(v)) is not None else 0
                return CE(match_pv, NC, True)
            return self._fold(CE(lambda ctx: 1 if search(to_str(lf(ctx))) is not None else 0, NC, True),
                              left)
        right = self.compile_expr(e.right)
        rf = right.fn
        cache = self._dyn_rx
        pos = e.pos

        def match_dyn(ctx: Any) -> int:
            p = to_str(rf(ctx))
            rx = cache.get(p)
            if rx is None:
                try:
                    rx = re.compile(p, re.I)
                except re.error:
                    log.error("bad regular expression at run time", regex=p, where=str(pos))
                    return 0
                if len(cache) < 1000:
                    cache[p] = rx
            return 1 if rx.search(to_str(lf(ctx))) is not None else 0
        return CE(match_dyn, NC, True)


_BAD = object()


def _single_pv(a: ast.Expr) -> ast.Expr:
    """A quoted string that is exactly one PV (``"$var(x)"``) -> that PV."""
    if isinstance(a, ast.StrLit) and a.quoted and a.value.startswith("$"):
        from siprouter.core.routing.lexer import scan_pv
        if scan_pv(a.value, 0) == len(a.value):
            return ast.PVRef(a.pos, a.value)
    return a


def _const_fn(v: Any) -> Eval:
    return lambda ctx: v


def _arg_text(a: ast.Expr) -> str:
    if isinstance(a, ast.StrLit):
        return a.value if not a.quoted else f'"{a.value}"'
    if isinstance(a, ast.IntLit):
        return str(a.value)
    if isinstance(a, ast.PVRef):
        return a.text
    if isinstance(a, ast.CallExpr):
        return a.text or a.name
    return type(a).__name__.lower()
