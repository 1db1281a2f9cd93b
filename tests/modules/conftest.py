"""Shared fixtures for module tests: real parsed messages, a minimal run context, a fake server env.

Folders with their own conftest.py (rr, usrloc, registrar, tm, ...) override these names.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable

import pytest

from siprouter.core.modsys import RouteType
from siprouter.core.sip import ReceiveInfo, SipParseError, parse_message

INVITE = (
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:alice@example.com>;tag=1928\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: a84b4c76e66710@pc33\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Route: <sip:p1.example.com;lr>\r\n"
    "Route: <sip:p2.example.com;lr>\r\n"
    "Contact: <sip:alice@10.0.0.1>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: {cl}\r\n"
    "\r\n"
    "{body}"
)
SDP = "v=0\r\no=alice 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"

REPLY = (
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc\r\n"
    "From: <sip:alice@example.com>;tag=1928\r\n"
    "To: <sip:bob@example.com>;tag=xyz\r\n"
    "Call-ID: a84b4c76e66710@pc33\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Length: 0\r\n"
    "\r\n"
)


def invite(body: str = SDP, **replace: str) -> bytes:
    """An INVITE with ``body``; ``replace`` swaps text (old=new via dict)."""
    text = INVITE.format(cl=len(body.encode()), body=body)
    for old, new in replace.items():
        text = text.replace(old.replace("_", "-"), new)
    return text.encode()


class FakeEnv:
    """The ServerEnv services the modules use: replies, myself, clock, params."""

    def __init__(self, myself=(("10.0.0.9", None), ("proxy.example.com", None)), now=1000.0):
        self.sent: list[tuple[Any, Any]] = []
        self.myself = set(myself)
        self._now = now
        self.params: dict[str, Any] = {}
        self.send_ok = True
        self.loop = None
        self.timers: list[tuple[float, Any, tuple]] = []
        self.apis: dict[str, Any] = {}

    def send_reply(self, request: Any, reply: Any) -> bool:
        self.sent.append((request, reply))
        return self.send_ok

    def is_myself(self, host: str, port: int | None = None) -> bool:
        return (host, None) in self.myself or (host, port) in self.myself

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def call_later(self, delay: float, fn: Any, *args: Any) -> Any:
        self.timers.append((delay, fn, args))
        return None

    def api(self, name: str) -> Any:
        if name not in self.apis:
            raise LookupError(name)
        return self.apis[name]


@pytest.fixture
def env() -> FakeEnv:
    return FakeEnv()


@pytest.fixture
def make_ctx(env) -> Callable[..., Any]:
    """make_ctx(data=None, route_type=REQUEST, validate=True) -> a run context on a
    parsed message (validate=False keeps broken header values for lazy errors)."""
    def build(data: bytes | str | None = None, route_type: RouteType = RouteType.REQUEST,
              validate: bool = True) -> Any:
        if data is None:
            data = invite()
        if isinstance(data, str):
            data = data.encode()
        try:
            msg = parse_message(data, validate=validate)
        except SipParseError as exc:  # broken beyond lazy views: use the partial message
            if exc.partial is None:
                raise
            msg = exc.partial
        msg.rcv = ReceiveInfo("udp", "10.0.0.1", 5060, "10.0.0.9", 5060, 2)
        return SimpleNamespace(msg=msg, env=env, route_type=route_type, vars={}, extra={},
                               rc=0, drop=False)
    return build


@pytest.fixture(name="invite")
def invite_fixture() -> Callable[..., bytes]:
    """invite(body=SDP) -> bytes of a test INVITE."""
    return invite


@pytest.fixture
def reply_bytes() -> bytes:
    return REPLY.encode()
