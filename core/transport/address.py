"""Addresses the transport layer deals in: where to send, where we listen.

Pure data and string handling (no sockets), imported by the server, the
environment and modules alike.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from functools import lru_cache

#: transports the core knows; "tls"/"ws" come later through the same interface
PROTOS = ("udp", "tcp")
DEFAULT_PORT = 5060


@dataclass(frozen=True, slots=True)
class Destination:
    """Where one message goes: a transport, an IP literal and a port.

    ``conn_id`` pins a TCP message to one connection (a reply to a request
    that came in on it); ``None`` lets the transport pick or open one by
    address.  ``af`` is ``socket.AF_INET`` or ``socket.AF_INET6``.
    """

    proto: str
    host: str
    port: int
    af: int = socket.AF_INET
    conn_id: int | None = None


@dataclass(slots=True)
class ListenSocket:
    """One configured listen address (``[core] listen`` entry).

    ``advertised_host``/``advertised_port`` are what goes into our Via and
    Record-Route; they default to the socket address.  ``port`` is the real
    bound port (filled in after binding when the config said port 0).
    """

    proto: str
    ip: str
    port: int
    af: int = socket.AF_INET
    advertised_host: str | None = None
    advertised_port: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def via_host(self) -> str:
        """Host text for our Via sent-by: IPv6 literals in brackets."""
        host = self.advertised_host or self.ip
        if ":" in host and not host.startswith("["):
            return f"[{host}]"
        return host

    @property
    def via_port(self) -> int:
        """Port for our Via sent-by."""
        return self.advertised_port or self.port

    def __str__(self) -> str:
        return f"{self.proto}:{self.via_host if self.af == socket.AF_INET6 else self.ip}:{self.port}"


class ListenSpecError(ValueError):
    """A ``listen`` entry that cannot be understood; the text says why."""


def strip_brackets(host: str) -> str:
    """``[::1]`` -> ``::1``; anything else unchanged."""
    if host.startswith("[") and host.endswith("]"):
        return host[1:-1]
    return host


@lru_cache(maxsize=4096)   # hot path: every request/reply; ipaddress parsing is slow
def ip_family(host: str) -> int | None:
    """Address family of an IP literal (brackets allowed), ``None`` for names."""
    try:
        ip = ipaddress.ip_address(strip_brackets(host))
    except ValueError:
        return None
    return socket.AF_INET6 if ip.version == 6 else socket.AF_INET


@lru_cache(maxsize=4096)
def normalize_ip(host: str) -> str:
    """Canonical text of an IP literal (``::0001`` -> ``::1``); names lower-cased."""
    h = strip_brackets(host)
    try:
        return str(ipaddress.ip_address(h))
    except ValueError:
        return h.lower()


def parse_listen(spec: str) -> ListenSocket:
    """Parse ``proto:ip[:port]`` (``udp:127.0.0.1:5060``, ``tcp:[::1]:5060``).

    Runs once at start-up per ``listen`` entry.  An optional
    `` advertise host[:port]`` suffix sets the advertised address.  Raises
    :class:`ListenSpecError` with the offending text.
    """
    text = spec.strip()
    advertise = None
    if " advertise " in text:
        text, advertise = (p.strip() for p in text.split(" advertise ", 1))
    proto, sep, rest = text.partition(":")
    proto = proto.lower()
    if not sep or proto not in PROTOS:
        raise ListenSpecError(f"listen {spec!r}: expected proto:ip:port with proto one of {', '.join(PROTOS)}")
    host, port = _split_hostport(rest, spec)
    af = ip_family(host)
    if af is None:
        if host.lower() == "localhost":
            host, af = "127.0.0.1", socket.AF_INET
        else:
            raise ListenSpecError(f"listen {spec!r}: {host!r} is not an IP address")
    ls = ListenSocket(proto, normalize_ip(host), port, af)
    if advertise:
        ahost, aport = _split_hostport(advertise, spec)
        ls.advertised_host = ahost
        ls.advertised_port = aport
    return ls


def _split_hostport(text: str, spec: str) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port`` -> (host, port)."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ListenSpecError(f"listen {spec!r}: unclosed '['")
        host, tail = text[1:end], text[end + 1:]
        if tail and not tail.startswith(":"):
            raise ListenSpecError(f"listen {spec!r}: junk after ']'")
        port_text = tail[1:] if tail else ""
    elif text.count(":") > 1:
        host, port_text = text, ""     # bare IPv6 literal without port
    else:
        host, _, port_text = text.partition(":")
    if not host:
        raise ListenSpecError(f"listen {spec!r}: missing address")
    if port_text == "":
        return host, DEFAULT_PORT
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ListenSpecError(f"listen {spec!r}: bad port {port_text!r}")
    return host, int(port_text)
