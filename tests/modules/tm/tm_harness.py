"""Fakes for driving tm without sockets: a clock, a recording transport, a script.

``TmHarness`` wires a real :class:`TmCore`/:class:`TmApi` to a ManualClock
and records everything tm sends.  Routes are plain Python callables
registered with ``h.route(kind, name, fn)``; ``fn(ctx)`` gets a real
RunContext.
"""
from __future__ import annotations

import socket
from typing import Any, Callable

import structlog

from siprouter.core.env import Destination, ListenSocket, ManualClock, resolve_literal
from siprouter.core.modsys import RouteType
from siprouter.core.routing.context import RunContext
from siprouter.core.sip import ReceiveInfo, parse_message
from siprouter.core.stats import Stats
from siprouter.modules.tm import functions as F  # noqa: F401
from siprouter.modules.tm import runtime
from siprouter.modules.tm.api import TmApi
from siprouter.modules.tm.proxy import TmCore
from siprouter.modules.tm.stats import STATS

UPSTREAM = ("10.0.0.1", 5060)


class FakeScript:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Callable[[Any], int]] = {}
        self.runs: list[tuple[str, str, Any]] = []

    def route(self, name: str, kind: str = "route") -> Any:
        fn = self.routes.get((kind, name))
        return None if fn is None else (kind, name, fn)

    def new_context(self, msg: Any, route_type: Any, env: Any) -> RunContext:
        return RunContext(msg, route_type, env, script=self, vars={})

    def run(self, route: Any, ctx: RunContext) -> int:
        kind, name, fn = route
        self.runs.append((kind, name, ctx))
        rc = fn(ctx)
        return 1 if rc is None else rc


class FakeEnv:
    def __init__(self) -> None:
        self.clock = ManualClock()
        self.sent: list[tuple[bytes, Destination]] = []
        self.replies: list[tuple[Any, Any]] = []
        self.listen = [ListenSocket("udp", "192.0.2.10", 5060, socket.AF_INET, "192.0.2.10", 5060)]
        self.script = FakeScript()
        self.stats = Stats()
        for name, doc in STATS.items():
            self.stats.declare("tm", name, doc)
        self.log = structlog.get_logger("tm-test")
        self.loop = None
        self.fail_send = False

    def now(self) -> float:
        return self.clock.now()

    def call_later(self, delay: float, fn: Callable, *args: Any) -> Any:
        return self.clock.call_later(delay, fn, *args)

    def call_soon(self, fn: Callable, *args: Any) -> Any:
        return self.clock.call_soon(fn, *args)

    def send(self, data: bytes, dest: Destination) -> bool:
        if self.fail_send:
            return False
        self.sent.append((data, dest))
        return True

    def send_reply(self, request: Any, reply: Any) -> bool:
        self.replies.append((request, reply))
        return True

    def resolve(self, uri: Any, port: int | None = None, transport: str | None = None) -> Any:
        return resolve_literal(uri, port, transport)


def invite(call_id: str = "call-1", branch: str = "z9hG4bKup1", ruri: str = "sip:bob@127.0.0.1:5070",
           method: str = "INVITE", cseq: int = 1, to_tag: str | None = None, via: str | None = None,
           extra: str = "", proto: str = "udp") -> Any:
    to = "<sip:bob@example.com>" + (f";tag={to_tag}" if to_tag else "")
    via = via or f"SIP/2.0/UDP 10.0.0.1:5060;branch={branch}"
    data = (f"{method} {ruri} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n"
            f"From: <sip:alice@example.com>;tag=a1\r\nTo: {to}\r\nCall-ID: {call_id}\r\n"
            f"CSeq: {cseq} {'INVITE' if method in ('ACK', 'CANCEL') else method}\r\n"
            f"{extra}Contact: <sip:alice@10.0.0.1>\r\nContent-Length: 0\r\n\r\n").encode()
    if method in ("ACK", "CANCEL"):
        data = data.replace(f"CSeq: {cseq} INVITE".encode(), f"CSeq: {cseq} {method}".encode())
    msg = parse_message(data)
    msg.rcv = ReceiveInfo(proto, UPSTREAM[0], UPSTREAM[1], "192.0.2.10", 5060, socket.AF_INET)
    return msg


def reply_to(sent: bytes, status: int, reason: str = "", to_tag: str = "b1") -> Any:
    """A downstream reply to a request tm sent (copies its Vias, adds a To tag)."""
    from siprouter.core.sip import make_response
    req = parse_message(sent)
    rep = make_response(req, status, reason or None, to_tag=to_tag if status > 100 else None)
    return parse_message(rep.to_bytes())


class TmHarness:
    def __init__(self, **params: Any) -> None:
        self.env = FakeEnv()
        self.core = TmCore(self.env, params)
        self.api = TmApi(self.core)
        runtime.core, runtime.api, runtime.env = self.core, self.api, self.env

    # routes
    def route(self, kind: str, name: str, fn: Callable[[Any], Any]) -> None:
        self.env.script.routes[(kind, name)] = fn

    def ctx(self, msg: Any, rt: RouteType = RouteType.REQUEST) -> RunContext:
        return self.env.script.new_context(msg, rt, self.env)

    # observations
    def requests(self, method: str | None = None) -> list[Any]:
        out = [parse_message(d) for d, _ in self.env.sent]
        return [m for m in out if m.is_request and (method is None or m.method == method)]

    def upstream(self) -> list[int]:
        return [r.status for _, r in self.env.replies]

    def advance(self, s: float) -> None:
        self.env.clock.advance(s)

    def deliver(self, reply: Any) -> bool:
        return self.core.reply_in(reply)

    def last_sent(self, method: str) -> bytes:
        for d, _ in reversed(self.env.sent):
            if d.startswith(method.encode() + b" "):
                return d
        raise AssertionError(f"no {method} sent")

    def drain(self, seconds: float = 200.0) -> None:
        self.advance(seconds)


