"""Where a message came from: filled in by the transport layer on receipt."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReceiveInfo:
    """Receive-side facts of one message (Kamailio's ``rcv_info``).

    ``proto`` is lower-case (``"udp"``, ``"tcp"``, ``"tls"``, ``"ws"``...),
    ``af`` the socket address family (``socket.AF_INET`` / ``AF_INET6`` value),
    ``conn_id`` the stream connection id for replies over the same connection
    (None for datagrams).  Immutable: a transport makes one per message.
    """

    proto: str
    src_ip: str
    src_port: int
    dst_ip: str
    dst_port: int
    af: int
    conn_id: int | None = None
