"""Fixtures for textops tests: real parsed messages and a minimal run context."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable

import pytest

from siprouter.core.modsys import RouteType
from siprouter.core.sip import parse_message

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


@pytest.fixture
def make_ctx() -> Callable[..., Any]:
    """make_ctx(data=None, route_type=REQUEST, validate=True) -> a run context on a
    parsed message (validate=False keeps broken header values for lazy errors)."""
    def build(data: bytes | str | None = None, route_type: RouteType = RouteType.REQUEST,
              validate: bool = True) -> Any:
        if data is None:
            data = invite()
        if isinstance(data, str):
            data = data.encode()
        msg = parse_message(data, validate=validate)
        return SimpleNamespace(msg=msg, env=None, route_type=route_type, vars={}, extra={},
                               rc=0, drop=False)
    return build


@pytest.fixture(name="invite")
def invite_fixture() -> Callable[..., bytes]:
    """invite(body=SDP) -> bytes of a test INVITE."""
    return invite


@pytest.fixture
def reply_bytes() -> bytes:
    return REPLY.encode()
