"""Test doubles for registrar tests (unique module name: conftest files clash)."""
from __future__ import annotations

import socket
from typing import Any

from siprouter.core.modsys import RouteType
from siprouter.core.routing.context import RunContext
from siprouter.core.sip import ReceiveInfo, parse_message


class RegistrarEnv:
    """ModuleEnv slice: params, api("usrloc"), send_reply (recorded), stats."""

    def __init__(self, module: Any, usrloc: Any, **params: Any) -> None:
        self.params = {name: spec.default for name, spec in module.params.items()}
        self.params.update(params)
        self._usrloc = usrloc
        self.sent: list[Any] = []
        self.log = None
        self.stats = None

    def api(self, name: str) -> Any:
        if name == "usrloc":
            return self._usrloc
        raise LookupError(f"{name} not loaded")  # like ModuleAPIError

    def send_reply(self, request: Any, reply: Any) -> bool:
        self.sent.append(reply)
        return True

    def is_myself(self, host: str, port: int | None = None) -> bool:
        return host in ("192.0.2.10", "registrar.example.com")


def register(*contacts: str, to: str = "<sip:alice@example.com>", callid: str = "call-1",
             cseq: int = 1, extra: str = "") -> Any:
    """A parsed REGISTER with the given Contact header values (one field each)."""
    lines = [
        "REGISTER sip:example.com SIP/2.0",
        "Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK-r1",
        "Max-Forwards: 70",
        f"To: {to}",
        "From: <sip:alice@example.com>;tag=f1",
        f"Call-ID: {callid}",
        f"CSeq: {cseq} REGISTER",
        *[f"Contact: {c}" for c in contacts],
    ]
    text = "\r\n".join(lines) + "\r\n" + extra + "Content-Length: 0\r\n\r\n"
    return with_rcv(parse_message(text.encode()))


def request(method: str = "INVITE", ruri: str = "sip:alice@example.com", to_tag: str = "") -> Any:
    """A parsed request to route with lookup()."""
    to = "<sip:alice@example.com>" + (f";tag={to_tag}" if to_tag else "")
    text = (f"{method} {ruri} SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bK-i1\r\n"
            "Max-Forwards: 70\r\n"
            f"To: {to}\r\n"
            "From: <sip:bob@example.com>;tag=b1\r\n"
            "Call-ID: inv-1\r\n"
            f"CSeq: 1 {method}\r\n"
            "Content-Length: 0\r\n\r\n")
    return with_rcv(parse_message(text.encode()))


def with_rcv(msg: Any) -> Any:
    msg.rcv = ReceiveInfo("udp", "10.0.0.1", 5070, "192.0.2.10", 5060, socket.AF_INET)
    return msg


def ctx_for(msg: Any, env: Any, route_type: RouteType = RouteType.REQUEST) -> RunContext:
    return RunContext(msg, route_type, env, vars={})
