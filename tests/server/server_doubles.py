"""Test doubles for driving Server without sockets or the route engine.

``FakeScript`` runs plain Python functions as the request/reply routes, so
these tests exercise the server, sl and core functions on their own; the
real compiled script is used by the integration and e2e tests.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any, Callable

from siprouter.core.config import Config
from siprouter.core.env import ServerEnv
from siprouter.core.server import Server
from siprouter.core.sip import ReceiveInfo, parse_message
from siprouter.core.transport import RecordingTransport

LISTEN = ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"]


@dataclass
class FakeCtx:
    msg: Any
    route_type: Any
    env: Any
    rc: int = 0
    sflags: int = 0
    drop: bool = False
    txn: Any = None
    branch: int = -1
    reply: Any = None
    vars: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


class FakeScript:
    """Routes are Python callables ``fn(ctx) -> int``; ``fn`` may set ctx.drop."""

    def __init__(self, request: Callable | None = None, reply: Callable | None = None) -> None:
        self.routes = {"request": request, "reply": reply}
        self.contexts: list[FakeCtx] = []

    def route(self, name, kind):
        if name not in ("", None):
            return None
        return self.routes.get(kind)

    def has_route(self, name, kind="route"):
        return self.route(name, kind) is not None

    def new_context(self, msg, route_type, env):
        ctx = FakeCtx(msg, route_type, env)
        self.contexts.append(ctx)
        return ctx

    def run(self, route, ctx):
        ctx.rc = route(ctx)
        return ctx.rc


class HookEnv(ServerEnv):
    """ServerEnv whose hook lists are given directly (no module set)."""

    def __init__(self, cfg, hooks: dict | None = None):
        super().__init__(cfg)
        self._hooks = hooks or {}

    def hooks(self, point):
        return list(self._hooks.get(point, []))


def make_server(request=None, reply=None, *, hooks=None, core=None, init_sl=True):
    """(server, env, transport) with a FakeScript and a RecordingTransport."""
    core = dict(core or {})
    core.setdefault("listen", LISTEN)
    cfg = Config.from_dict({"core": core})
    from siprouter.modules import sl
    hooks = hooks if hooks is not None else {"request_in": [sl.absorb_ack]}
    env = HookEnv(cfg, hooks)
    from siprouter.core import builtin
    env.stats.declare_modules([sl.module, builtin.module])
    env.script = FakeScript(request, reply)
    transport = RecordingTransport(core["listen"], stats=env.stats)
    env.attach_runtime(transport=transport)
    if init_sl:
        sl.mod_init(env)
    server = Server(env, transport)
    return server, env, transport


def rcv(src_ip="127.0.0.1", src_port=5080, proto="udp", conn_id=None):
    af = socket.AF_INET6 if ":" in src_ip else socket.AF_INET
    dst = "::1" if af == socket.AF_INET6 else "127.0.0.1"
    return ReceiveInfo(proto, src_ip, src_port, dst, 5060, af, conn_id)


def request(method="OPTIONS", uri="sip:ping@127.0.0.1:5060", *, via="SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK-1",
            to_tag=None, extra="", body=b"", call_id="c1@test", cseq=1) -> bytes:
    to = "<sip:ping@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    head = (f"{method} {uri} SIP/2.0\r\n"
            f"Via: {via}\r\n"
            f"From: <sip:a@127.0.0.1>;tag=f1\r\n"
            f"To: {to}\r\n"
            f"Call-ID: {call_id}\r\n"
            f"CSeq: {cseq} {method}\r\n"
            f"Max-Forwards: 70\r\n"
            f"{extra}"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def parse(data: bytes):
    return parse_message(data)
