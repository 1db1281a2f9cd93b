"""In-memory stand-ins for tm's API, the route engine and ServerEnv (async/tmx unit tests).

They follow docs/contracts.md §3, §5 and §6 closely enough to drive the async
module's logic without sockets: a fake clock whose ``call_later`` handles fire
on ``advance()``, a tm that records replies, a script whose routes are Python
callables.
"""
from __future__ import annotations

import heapq
import importlib
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from siprouter.core.modsys import RouteType

_thread_vars = threading.local()


def thread_vars() -> dict:
    """$var for the calling thread (the route engine keeps one dict per thread)."""
    if not hasattr(_thread_vars, "d"):
        _thread_vars.d = {}
    return _thread_vars.d


class RecordingLog:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str, dict]] = []
        self._lock = threading.Lock()

    def _rec(self, level: str, event: str, **kw: Any) -> None:
        with self._lock:
            self.lines.append((level, event, kw))

    def debug(self, e, **kw): self._rec("debug", e, **kw)
    def info(self, e, **kw): self._rec("info", e, **kw)
    def warning(self, e, **kw): self._rec("warning", e, **kw)
    def error(self, e, **kw): self._rec("error", e, **kw)
    def exception(self, e, **kw): self._rec("exception", e, **kw)

    def has(self, text: str, level: str | None = None) -> bool:
        with self._lock:
            return any(text in ev and (level is None or lv == level) for lv, ev, _ in self.lines)

    def find(self, text: str) -> list[dict]:
        with self._lock:
            return [kw for _, ev, kw in self.lines if text in ev]


class Handle:
    def __init__(self, when: float, fn: Callable, args: tuple) -> None:
        self.when, self.fn, self.args, self.cancelled = when, fn, args, False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """call_later handles that fire only on advance(); thread-safe."""

    def __init__(self) -> None:
        self.t = 1000.0
        self._heap: list = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self.delays: list[float] = []

    def now(self) -> float:
        return self.t

    def call_later(self, delay: float, fn: Callable, *args: Any) -> Handle:
        with self._lock:
            h = Handle(self.t + delay, fn, args)
            self.delays.append(delay)
            heapq.heappush(self._heap, (h.when, next(self._seq), h))
            return h

    def advance(self, dt: float) -> None:
        end = self.t + dt
        while True:
            with self._lock:
                if not self._heap or self._heap[0][0] > end:
                    break
                when, _, h = heapq.heappop(self._heap)
                self.t = max(self.t, when)
            if not h.cancelled:
                h.fn(*h.args)
        self.t = end

    def pending(self) -> int:
        with self._lock:
            return sum(1 for _, _, h in self._heap if not h.cancelled)


class FakeMsg:
    def __init__(self, method: str = "INVITE", call_id: str = "call-1", **attrs: Any) -> None:
        self.method = method
        self.call_id = call_id
        self.is_request = True
        self.attrs: dict = dict(attrs)
        self.flags = 0
        self.bflags = 0
        self.dst_uri = None
        self.uri = "sip:bob@example.com"


class FakeCtx:
    def __init__(self, msg: FakeMsg, env: "FakeEnv", route_type=RouteType.REQUEST,
                 cont: Callable | None = None) -> None:
        self.msg, self.env, self.route_type = msg, env, route_type
        self.rc, self.sflags, self.drop = 0, 0, False
        self.txn = None
        self.branch = -1
        self.reply = None
        self.vars = thread_vars()
        self.extra: dict = {}
        self._cont = cont

    def continuation(self):
        return self._cont


@dataclass(eq=False)
class FakeTxn:
    index: int
    label: int
    request: FakeMsg
    state: str = "active"          # active, suspended, canceled, gone
    replies: list = field(default_factory=list)
    relayed: int = 0
    suspends: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def canceled(self) -> bool:
        return self.state == "canceled"

    @property
    def final_code(self) -> int:
        finals = [c for c, _ in self.replies if c >= 200]
        return finals[0] if finals else 0


class FakeTm:
    """tm API per contracts §6, with hooks to simulate CANCEL and fr_timer."""

    def __init__(self, env: "FakeEnv") -> None:
        self.env = env
        self.txns: dict[tuple[int, int], FakeTxn] = {}
        self._next = itertools.count(1)
        self.continue_threads: list[str] = []
        self.continue_route_types: list = []

    # API
    def get_txn(self, ctx):
        return ctx.txn

    def t_newtran(self, ctx) -> int:
        if ctx.msg.attrs.get("retransmission_of") is not None:
            txn = ctx.msg.attrs["retransmission_of"]
            if ctx.msg.method == "INVITE":
                txn.replies.append((100, "trying (resent)"))
            return 0
        if ctx.txn is not None:
            return -10
        n = next(self._next)
        txn = FakeTxn(n, 1000 + n, ctx.msg)
        self.txns[(txn.index, txn.label)] = txn
        ctx.txn = txn
        return 1

    def t_suspend(self, ctx):
        txn = ctx.txn
        if txn is None:
            return -1
        if txn.state == "canceled":
            return 1
        if txn.final_code >= 200:
            return -3
        if txn.request.method == "INVITE" and not any(c == 100 for c, _ in txn.replies):
            txn.replies.append((100, "trying -- your call is important to us"))
        txn.state = "suspended"
        txn.suspends += 1
        return (txn.index, txn.label)

    def lookup_ident(self, index, label):
        txn = self.txns.get((index, label))
        return None if txn is None or txn.state == "gone" else txn

    def t_continue(self, index, label, run) -> int:
        txn = self.lookup_ident(index, label)
        if txn is None:
            return -1
        with txn.lock:
            if txn.state == "canceled":
                return 1
            if txn.state != "suspended":
                return -2
            txn.state = "active"
            ctx = FakeCtx(txn.request, self.env, RouteType.FAILURE)
            ctx.txn = txn
            self.continue_threads.append(threading.current_thread().name)
            self.continue_route_types.append(ctx.route_type)
            run(ctx)
            if txn.state == "active" and txn.final_code == 0 and txn.relayed == 0:
                txn.replies.append((500, "I'm terribly sorry, server error occurred (1/TM)"))
                txn.state = "gone"
        return 1

    def t_cancel_suspend(self, index, label) -> int:
        txn = self.lookup_ident(index, label)
        if txn is None or txn.state != "suspended":
            return -1
        txn.state = "active"
        return 1

    def t_reply(self, ctx, code, reason) -> int:
        txn = ctx.txn
        if txn is None:
            return -1
        txn.replies.append((code, reason))
        if code >= 200:
            txn.state = "gone"
        return 1

    def t_relay(self, ctx, dest=None) -> int:
        if ctx.txn is None:
            self.t_newtran(ctx)
        ctx.txn.relayed += 1
        return 1

    def suspended_count(self) -> int:
        return sum(1 for t in self.txns.values() if t.state == "suspended")

    # simulations
    def cancel(self, txn: FakeTxn) -> None:
        with txn.lock:
            txn.replies.append((487, "Request Terminated"))
            txn.state = "canceled"

    def fr_expire(self, txn: FakeTxn) -> None:
        with txn.lock:
            txn.replies.append((408, "Request Timeout"))
            txn.state = "gone"


class FakeScript:
    def __init__(self) -> None:
        self.routes: dict[str, Callable] = {}

    def has_route(self, name, kind="route"):
        return name in self.routes

    def route(self, name, kind="route"):
        return self.routes.get(name)

    def run(self, route, ctx) -> int:
        return route(ctx)

    def run_continuation(self, cont, ctx) -> int:
        return cont(ctx)

    def new_context(self, msg, route_type, env):
        return FakeCtx(msg, env, route_type)


class FakeEnv:
    def __init__(self, *, params: dict | None = None, core: dict | None = None,
                 workers: Any = None) -> None:
        self.clock = FakeClock()
        self.log = RecordingLog()
        self.params = {"workers": 1, "ms_timer": 0, "return": 0, **(params or {})}
        self.core = core or {}
        self.script = FakeScript()
        self.stats = None
        self.workers = workers
        self.tm = FakeTm(self)

    def api(self, name):
        if name == "tm":
            return self.tm
        raise KeyError(name)

    def call_later(self, delay, fn, *args):
        return self.clock.call_later(delay, fn, *args)

    def call_soon(self, fn, *args):
        return self.clock.call_later(0, fn, *args)

    def now(self):
        return self.clock.now()


def async_module():
    """The async package (a keyword: reachable only through importlib)."""
    return importlib.import_module("siprouter.modules.async")


def function(name: str) -> Callable:
    for spec in async_module().module.functions:
        if spec.name == name:
            return spec.impl
    raise KeyError(name)


def spec(name: str):
    for s in async_module().module.functions:
        if s.name == name:
            return s
    raise KeyError(name)


def wait_for(cond: Callable[[], bool], timeout: float = 2.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.002)
    return cond()
