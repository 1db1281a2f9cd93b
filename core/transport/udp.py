"""UDP listener: one asyncio datagram protocol per ``udp:`` listen entry.

``datagram_received`` is the hot path: build the ReceiveInfo and hand the
bytes to the server's handler synchronously on the loop thread.  Whatever
the handler raises is counted and logged; the listener keeps running.
"""
from __future__ import annotations

import asyncio
import socket
from typing import Any, Callable

from siprouter.core.transport.address import ListenSocket
from siprouter.core.transport.rcvinfo import ReceiveInfo


#: socket buffer we ask for: bursts of a few thousand datagrams must not be
#: dropped by the kernel while the loop is busy routing (the default is ~200 kB)
UDP_BUFFER_BYTES = 8 * 1024 * 1024


def enlarge_buffers(sock: Any) -> None:
    """Raise SO_RCVBUF/SO_SNDBUF (beyond rmem_max with SO_RCVBUFFORCE when privileged)."""
    if sock is None:
        return
    for force, plain in ((getattr(socket, "SO_RCVBUFFORCE", None), socket.SO_RCVBUF),
                         (getattr(socket, "SO_SNDBUFFORCE", None), socket.SO_SNDBUF)):
        for opt in (force, plain):
            if opt is None:
                continue
            try:
                sock.setsockopt(socket.SOL_SOCKET, opt, UDP_BUFFER_BYTES)
                break
            except OSError:
                continue


class UdpListener(asyncio.DatagramProtocol):
    """Receives datagrams for one listen socket and sends from it."""

    def __init__(self, listen: ListenSocket, handler: Callable[..., Any], manager: Any) -> None:
        self.listen = listen
        self.handler = handler
        self.manager = manager
        self.transport: asyncio.DatagramTransport | None = None
        # ReceiveInfo is immutable: one per source address, reused (building a
        # frozen dataclass costs more than the lookup)
        self._rcv: dict[Any, ReceiveInfo] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Runs once the socket is bound: record the real port (port 0 configs)."""
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("sockname")
        if sock:
            self.listen.port = sock[1]
        enlarge_buffers(transport.get_extra_info("socket"))

    def datagram_received(self, data: bytes, addr: Any) -> None:
        """Runs per datagram: hand it to the server; never lets an error escape."""
        rcv = self._rcv.get(addr)
        if rcv is None:
            rcv = self._new_rcv(addr)
        try:
            self.handler(data, rcv, None)
        except Exception:  # a bad message must never stop the listener
            self.manager.count("rcv_handler_errors")
            self.manager.log.exception("handler failed on datagram", src=f"{addr[0]}:{addr[1]}")

    def _new_rcv(self, addr: Any) -> ReceiveInfo:
        ls = self.listen
        rcv = ReceiveInfo("udp", addr[0], addr[1], ls.ip, ls.port, ls.af)
        cache = self._rcv
        if len(cache) >= 8192:
            cache.clear()
        cache[addr] = rcv
        return rcv

    def error_received(self, exc: Exception) -> None:
        """ICMP errors and the like: counted, nothing else."""
        self.manager.count("udp_errors")

    def sendto(self, data: bytes, host: str, port: int) -> bool:
        """Send one datagram; False when the socket is gone or refuses."""
        t = self.transport
        if t is None or t.is_closing():
            return False
        try:
            t.sendto(data, (host, port))
        except (OSError, ValueError):
            self.manager.count("send_errors")
            return False
        return True
