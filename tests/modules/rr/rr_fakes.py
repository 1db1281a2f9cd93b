"""Test doubles for rr tests (unique module name: conftest files clash)."""
from __future__ import annotations

import re
import socket
from typing import Any

from siprouter.core.env import ListenSocket
from siprouter.core.modsys import RouteType
from siprouter.core.routing.context import RunContext
from siprouter.core.sip import ReceiveInfo, parse_message

LISTEN = [ListenSocket("udp", "192.0.2.10", 5060, socket.AF_INET, "192.0.2.10", 5060),
          ListenSocket("tcp", "192.0.2.10", 5060, socket.AF_INET, "192.0.2.10", 5060),
          ListenSocket("udp", "198.51.100.1", 5080, socket.AF_INET, "proxy.example.com", 5080)]


class RREnv:
    """ServerEnv slice: listen sockets and is_myself."""

    listen = LISTEN

    def is_myself(self, host: str, port: int | None = None) -> bool:
        ours = {(s.ip, s.port) for s in LISTEN} | {(s.advertised_host, s.advertised_port) for s in LISTEN}
        return any(h == host and (port is None or port == p) for h, p in ours)


def request(method: str = "INVITE", ruri: str = "sip:bob@example.net", *, to_tag: str = "",
            from_tag: str = "f1", routes: list[str] = (), record_routes: list[str] = (),
            proto: str = "udp") -> Any:
    to = "<sip:bob@example.net>" + (f";tag={to_tag}" if to_tag else "")
    lines = [f"{method} {ruri} SIP/2.0",
             "Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK-1",
             "Max-Forwards: 70",
             *[f"Route: {r}" for r in routes],
             *[f"Record-Route: {r}" for r in record_routes],
             f"From: <sip:alice@example.com>;tag={from_tag}",
             f"To: {to}",
             "Call-ID: rr-1",
             f"CSeq: 1 {method}",
             "Content-Length: 0"]
    msg = parse_message(("\r\n".join(lines) + "\r\n\r\n").encode())
    msg.rcv = ReceiveInfo(proto, "10.0.0.1", 5070, "192.0.2.10", 5060, socket.AF_INET)
    return msg


def ctx_for(msg: Any, route_type: RouteType = RouteType.REQUEST) -> RunContext:
    return RunContext(msg, route_type, RREnv(), vars={})


def regex(text: str) -> re.Pattern:
    return re.compile(text, re.IGNORECASE)
