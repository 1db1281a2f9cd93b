"""Run-time state of one route-script run: :class:`RunContext` (contracts §3).

A context is created per message (``Script.new_context``) and handed to every
route function as ``ctx``.  The control-flow bits (exit/return/break/drop) live
in ``_flags`` so that the compiled closures can test one attribute after each
action instead of raising exceptions.
"""
from __future__ import annotations

import threading
from typing import Any

# control-flow bits carried in RunContext._flags
EXIT = 1
RETURN = 2
BREAK = 4
DROP = 8

_tls = threading.local()


def thread_vars() -> dict:
    """The ``$var`` dict of the calling thread (created on first use).

    Kamailio keeps ``$var`` in per-process private memory, kept across
    messages handled by that process; a thread plays the process here.
    """
    d = getattr(_tls, "vars", None)
    if d is None:
        d = _tls.vars = {}
    return d


class Continuation:
    """The rest of an action list after a function call, resumable later.

    Built at load time, one per call statement that has following
    statements; ``Script.run_continuation`` runs it as a new top-level run.
    """

    __slots__ = ("route_kind", "route_name", "run", "pos")

    def __init__(self, route_kind: str, route_name: str, run: Any, pos: Any) -> None:
        self.route_kind = route_kind
        self.route_name = route_name
        self.run = run
        self.pos = pos

    def __repr__(self) -> str:
        return f"<Continuation {self.route_kind}[{self.route_name}] after {self.pos}>"


class RunContext:
    """What a route function sees: the message, route type, env and run state.

    Public attributes follow contracts §3; ``_flags``, ``_depth`` and
    ``_cont`` are engine-private.
    """

    __slots__ = ("msg", "route_type", "env", "rc", "sflags", "drop", "txn", "branch",
                 "reply", "vars", "extra", "script", "_flags", "_depth", "_cont")

    def __init__(self, msg: Any, route_type: Any, env: Any = None, *,
                 script: Any = None, vars: dict | None = None) -> None:
        self.msg = msg
        self.route_type = route_type
        self.env = env
        self.rc = 0
        self.sflags = 0
        self.drop = False
        self.txn = None
        self.branch = -1
        self.reply = None
        self.vars = thread_vars() if vars is None else vars
        self.extra: dict = {}
        self.script = script
        self._flags = 0
        self._depth = 0
        self._cont: Continuation | None = None

    def continuation(self) -> Continuation | None:
        """The rest of the innermost action list after the running call.

        Call it from inside a route function.  ``None`` when that call is the
        last action of its list or sits inside an expression (``if (f())``).
        """
        return self._cont

    @property
    def exiting(self) -> bool:
        """True once ``exit``/``drop``/a 0 return has ended the run."""
        return bool(self._flags & EXIT)

    def __repr__(self) -> str:
        return f"<RunContext route_type={self.route_type!r} rc={self.rc} drop={self.drop}>"


_new = object.__new__


def fresh_context(msg: Any, route_type: Any, env: Any, script: Any) -> RunContext:
    """``RunContext(msg, route_type, env, script=script, vars=thread_vars())``, faster.

    ``Script.new_context`` calls it for every message: the slots are filled
    directly, without the keyword-argument ``__init__`` call and the
    ``thread_vars()`` call.  Keep it in step with :meth:`RunContext.__init__`
    (a test compares the two).
    """
    ctx = _new(RunContext)
    ctx.msg = msg
    ctx.route_type = route_type
    ctx.env = env
    ctx.rc = 0
    ctx.sflags = 0
    ctx.drop = False
    ctx.txn = None
    ctx.branch = -1
    ctx.reply = None
    v = getattr(_tls, "vars", None)
    ctx.vars = v if v is not None else thread_vars()   # (None: first run on this thread)
    ctx.extra = {}
    ctx.script = script
    ctx._flags = 0
    ctx._depth = 0
    ctx._cont = None
    return ctx
