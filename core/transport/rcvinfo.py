"""The receive-info record attached to every incoming message.

The message layer owns ``ReceiveInfo`` (contracts §1); this indirection
lets the transport import it even while ``siprouter.core.sip`` is being
written, with an identical stand-in.
"""
from __future__ import annotations

from typing import Any

try:  # the real one, when the SIP layer provides it
    from siprouter.core.sip import ReceiveInfo  # type: ignore[attr-defined]
except Exception:  # pragma: no cover - only before core/sip exists
    from dataclasses import dataclass

    @dataclass(slots=True)
    class ReceiveInfo:  # type: ignore[no-redef]
        """Where a message came from and on which of our sockets."""

        proto: str
        src_ip: str
        src_port: int
        dst_ip: str
        dst_port: int
        af: int
        conn_id: int | None = None


def make_rcv(proto: str, src: Any, dst_ip: str, dst_port: int, af: int) -> Any:
    """ReceiveInfo from a socket address tuple (v4 or v6)."""
    return ReceiveInfo(proto, src[0], src[1], dst_ip, dst_port, af)
