"""TCP connections: accepted and outgoing, framed by the SIP layer's StreamFramer.

One :class:`TcpConnection` protocol object per connection.  It frames the
byte stream (Content-Length, RFC 3261 §18.3), answers a CRLFCRLF keep-alive
ping with a CRLF pong (RFC 5626 §4.4.1), hands each complete message to the
server handler, and is found again by its remote address so replies and
later requests to the same peer reuse it.  Idle connections are closed by
the manager's sweep (``tcp_connection_lifetime``).
"""
from __future__ import annotations

import asyncio
import itertools
from typing import Any, Callable

from siprouter.core.transport.address import ListenSocket, normalize_ip
from siprouter.core.transport.rcvinfo import ReceiveInfo

try:
    from siprouter.core.sip import StreamFramer  # type: ignore[attr-defined]
    try:
        from siprouter.core.sip import KEEPALIVE  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover
        KEEPALIVE = b"\r\n\r\n"
except Exception:  # pragma: no cover - only before core/sip exists
    StreamFramer = None  # type: ignore[assignment]
    KEEPALIVE = b"\r\n\r\n"

PONG = b"\r\n"
#: bytes queued for a peer that does not read before we give up on it
MAX_WRITE_BUFFER = 4 * 1024 * 1024
_ids = itertools.count(1)


def new_framer(max_size: int) -> Any:
    """A StreamFramer bounded to ``max_size`` bytes per message."""
    if StreamFramer is None:  # pragma: no cover
        raise RuntimeError("siprouter.core.sip.StreamFramer is not available")
    for kwargs in ({"max_size": max_size}, {"max_message_size": max_size}, {}):
        try:
            return StreamFramer(**kwargs)
        except TypeError:
            continue
    return StreamFramer()  # pragma: no cover


def is_keepalive(item: Any) -> bool:
    """True for the framer's keep-alive ping event."""
    return item is KEEPALIVE or (isinstance(item, (bytes, bytearray)) and item == b"\r\n\r\n")


class TcpConnection(asyncio.Protocol):
    """One TCP connection, accepted (``listen`` set) or opened by us."""

    def __init__(self, manager: Any, listen: ListenSocket | None, handler: Callable[..., Any],
                 peer: tuple[str, int] | None = None) -> None:
        self.id = next(_ids)
        self.manager = manager
        self.listen = listen
        self.handler = handler
        self.peer = peer                      # (ip, port), normalised
        self.local: tuple[str, int] = ("", 0)
        self.af = listen.af if listen else 0
        self.framer = new_framer(manager.max_msg_size)
        self.transport: asyncio.Transport | None = None
        self.pending: list[bytes] = []        # writes queued while connecting
        self.last_activity = manager.now()
        self.closed = False

    # -- asyncio callbacks ---------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Runs when accepted/connected: register, enforce the connection limit."""
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self.af = sock.family
        if peer:
            self.peer = (normalize_ip(peer[0]), peer[1])
        if local:
            self.local = (normalize_ip(local[0]), local[1])
        if self.listen is not None:           # accepted: counts against the limit now
            if not self.manager.admit(self):
                self.manager.count("tcp_refused_max_connections")
                transport.close()
                self.closed = True
                return
        else:
            self.manager.connected(self)
        if self.pending:
            for data in self.pending:
                transport.write(data)  # type: ignore[attr-defined]
            self.pending.clear()

    def data_received(self, data: bytes) -> None:
        """Runs per chunk: frame, answer pings, dispatch messages; never raises."""
        if self.closed:
            return
        self.last_activity = self.manager.now()
        try:
            items = self.framer.feed(data)
        except Exception:  # the framer must not take the listener down
            self.manager.count("tcp_framing_errors")
            self.abort()
            return
        for item in items:
            if is_keepalive(item):
                self.write(PONG)
                self.manager.count("tcp_keepalives")
            elif isinstance(item, (bytes, bytearray)):
                rcv = ReceiveInfo("tcp", self.peer[0], self.peer[1], self.local[0], self.local[1], self.af, self.id)
                try:
                    self.handler(bytes(item), rcv, self.id)
                except Exception:
                    self.manager.count("rcv_handler_errors")
                    self.manager.log.exception("handler failed on stream message", conn=self.id)
            else:   # a FramingError: the stream cannot be resynchronised
                self.manager.count("tcp_framing_errors")
                try:
                    reply = self.manager.on_stream_error(item, self)
                    if reply:
                        self.write(reply)
                except Exception:
                    self.manager.log.exception("stream error handler failed", conn=self.id)
                self.close()
                return

    def connection_lost(self, exc: Exception | None) -> None:
        """Runs when the peer or we closed: forget the connection."""
        self.closed = True
        self.manager.forget(self)

    # -- used by the manager ---------------------------------------------------
    def write(self, data: bytes) -> bool:
        """Queue ``data`` on the connection (buffered until connected)."""
        if self.closed:
            return False
        if self.transport is None:
            self.pending.append(data)
            return True
        if self.transport.is_closing():
            return False
        if self.transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
            # the peer stopped reading: do not buffer without bound
            self.manager.count("tcp_write_overflow")
            self.abort()
            return False
        self.transport.write(data)
        self.last_activity = self.manager.now()
        return True

    def close(self) -> None:
        """Close after flushing what is queued."""
        self.closed = True
        if self.transport is not None:
            self.transport.close()
        self.manager.forget(self)

    def abort(self) -> None:
        """Close at once, dropping queued data."""
        self.closed = True
        if self.transport is not None:
            self.transport.abort()
        self.manager.forget(self)
