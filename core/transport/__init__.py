"""Transport layer: UDP/TCP listeners, connection reuse, Via/rport handling.

Public names (contracts §5): :class:`Destination`, :class:`ListenSocket`,
:func:`parse_listen`, :class:`Transport` (real sockets), and
:class:`RecordingTransport` (sans-IO, for tests and ``check``).
"""
from siprouter.core.transport.address import (  # noqa: F401
    DEFAULT_PORT, Destination, ListenSocket, ListenSpecError, ip_family, normalize_ip, parse_listen,
)
from siprouter.core.transport.manager import (  # noqa: F401
    RecordingTransport, Transport, TransportBase, transport_from_core,
)
from siprouter.core.transport.resolve import resolve, resolve_host  # noqa: F401

__all__ = ["DEFAULT_PORT", "Destination", "ListenSocket", "ListenSpecError", "ip_family",
           "normalize_ip", "parse_listen", "RecordingTransport", "Transport", "TransportBase",
           "transport_from_core", "resolve", "resolve_host"]
