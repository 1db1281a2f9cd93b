"""The transport manager: opens the listeners and sends to a Destination.

One object per server.  ``start()`` binds every ``[core] listen`` entry on
the running loop (uvloop when installed) and routes received messages to a
single handler ``handler(data, rcv, conn_id)``; ``send(data, dest)`` is the
one call that picks the socket for a destination: a UDP listener of the
right address family, or the TCP connection to that address (reused,
opened when missing unless ``no_connect``).

:class:`RecordingTransport` has the same interface without sockets; the
server's sans-IO entry points and the unit tests use it.
"""
from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from typing import Any, Callable, Iterable

import structlog

from siprouter.core.transport.address import Destination, ListenSocket, normalize_ip, parse_listen
from siprouter.core.transport.resolve import resolve as _resolve
from siprouter.core.transport.tcp import TcpConnection
from siprouter.core.transport.udp import UdpListener
from siprouter.core.transport.via import reply_destination

DEFAULT_MAX_MSG = 65535


#: (bound once: send() asks for the calling thread per message)
_get_ident = threading.get_ident


class TransportBase:
    """What both the real and the recording transport offer.

    ``listen`` is the list of :class:`ListenSocket`; ``aliases`` extra
    host names/addresses that count as "myself".
    """

    def __init__(self, listen: Iterable[ListenSocket | str], *, aliases: Iterable[str] = (),
                 stats: Any = None, log: Any = None) -> None:
        self.listen: list[ListenSocket] = [parse_listen(x) if isinstance(x, str) else x for x in listen]
        self.aliases = {normalize_ip(a.rsplit(":", 1)[0] if a.count(":") == 1 else a) for a in aliases}
        self.counters: Counter[str] = Counter()
        self.stats = stats
        self.log = log or structlog.get_logger("siprouter.transport")

    def count(self, name: str, n: int = 1) -> None:
        """Bump a transport/core statistic.

        Hot path: a plain Counter, no lock; the server exposes these in the
        shared Stats as gauges reading ``counters`` (see Server._declare_stats).
        """
        self.counters[name] += n

    def listen_for(self, proto: str, af: int) -> ListenSocket | None:
        """The listen socket whose address we advertise for ``proto``/``af``."""
        fallback = None
        for ls in self.listen:
            if ls.proto == proto:
                if ls.af == af:
                    return ls
                fallback = fallback or ls
        return fallback

    def is_myself(self, host: str, port: int | None = None) -> bool:
        """True when host[:port] is one of our listen addresses or an alias.

        A missing port matches any of our ports (Kamailio's ``myself``
        compares the port only when the URI has one).
        """
        h = normalize_ip(host)
        if h in self.aliases:
            return True
        for ls in self.listen:
            if h in (ls.ip, normalize_ip(ls.advertised_host or ls.ip)) or (
                    h in ("localhost",) and ls.ip in ("127.0.0.1", "::1")):
                if port is None or port in (ls.port, ls.via_port):
                    return True
        return False

    #: ``resolve(target, port=None, transport=None) -> Destination | None``: see
    #: :func:`siprouter.core.transport.resolve.resolve` (the function itself, not
    #: a wrapper method: tm resolves the next hop of every relayed request)
    resolve = staticmethod(_resolve)

    def send(self, data: bytes, dest: Destination, *, no_connect: bool = False) -> bool:  # pragma: no cover
        raise NotImplementedError

    def send_reply(self, request: Any, reply: Any) -> bool:
        """Send our ``reply`` to ``request`` where §18.2.2 says (see via.reply_destination).

        Runs when sl/tm answer a request.  Honors ``set_reply_no_connect()``
        (``request.attrs["reply_no_connect"]``).  False when there is no
        usable destination or the send failed.
        """
        dest = reply_destination(request)
        if dest is None:
            self.count("reply_no_destination")
            return False
        if request.attrs.get("reply_no_connect"):
            return self.send(reply.to_bytes(), dest, no_connect=True)
        return self.send(reply.to_bytes(), dest)


class RecordingTransport(TransportBase):
    """Sans-IO transport: ``send`` records ``(data, dest)`` in ``sent``."""

    def __init__(self, listen: Iterable[ListenSocket | str] = ("udp:127.0.0.1:5060",), **kw: Any) -> None:
        super().__init__(listen, **kw)
        self.sent: list[tuple[bytes, Destination]] = []

    def send(self, data: bytes, dest: Destination, *, no_connect: bool = False) -> bool:
        """Record the send; always succeeds."""
        self.sent.append((data, dest))
        self.counters["sent_" + dest.proto] += 1
        return True


class Transport(TransportBase):
    """Real UDP/TCP sockets on an asyncio loop."""

    def __init__(self, listen: Iterable[ListenSocket | str], *, aliases: Iterable[str] = (),
                 stats: Any = None, log: Any = None, tcp_connection_lifetime: float = 3605,
                 tcp_max_connections: int = 2048, max_msg_size: int = DEFAULT_MAX_MSG,
                 tcp_connect_timeout: float = 5.0) -> None:
        super().__init__(listen, aliases=aliases, stats=stats, log=log)
        self.lifetime = float(tcp_connection_lifetime)
        self.max_connections = int(tcp_max_connections)
        self.max_msg_size = int(max_msg_size)
        self.connect_timeout = float(tcp_connect_timeout)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.handler: Callable[..., Any] | None = None
        self.stream_error_handler: Callable[..., bytes | None] | None = None
        self.udp: dict[int, list[UdpListener]] = {}           # af -> listeners
        self.servers: list[asyncio.base_events.Server] = []
        self.conns: dict[int, TcpConnection] = {}               # id -> connection
        self.by_addr: dict[tuple[str, int], TcpConnection] = {}  # (ip, port) -> connection
        self._sweep: asyncio.TimerHandle | None = None
        self._loop_thread: int | None = None
        self.now = time.monotonic
        # UDP sends made on the running loop wait here until the end of the
        # loop iteration (see send())
        self._pending: list[tuple[UdpListener, bytes, str, int]] = []

    # -- lifecycle -------------------------------------------------------------
    async def start(self, handler: Callable[..., Any],
                    stream_error_handler: Callable[..., bytes | None] | None = None) -> None:
        """Bind every listen entry on the running loop; raises OSError (port in use)."""
        self.loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self.handler = handler
        self.stream_error_handler = stream_error_handler
        try:
            for ls in self.listen:
                if ls.proto == "udp":
                    # the handler itself, not _dispatch: one call less per datagram
                    _t, proto = await self.loop.create_datagram_endpoint(
                        lambda ls=ls: UdpListener(ls, handler, self),
                        local_addr=(ls.ip, ls.port), family=ls.af)
                    self.udp.setdefault(ls.af, []).append(proto)
                elif ls.proto == "tcp":
                    srv = await self.loop.create_server(
                        lambda ls=ls: TcpConnection(self, ls, self._dispatch),
                        host=ls.ip, port=ls.port, family=ls.af, reuse_address=True, backlog=1024)
                    if ls.port == 0:
                        ls.port = srv.sockets[0].getsockname()[1]
                    self.servers.append(srv)
        except OSError:
            self.close()
            raise
        self._arm_sweep()

    def close(self) -> None:
        """Close every listener and connection (graceful stop); queued UDP sends go out first."""
        self.flush()
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        for lst in self.udp.values():
            for u in lst:
                if u.transport is not None:
                    u.transport.close()
        self.udp.clear()
        for srv in self.servers:
            srv.close()
        self.servers.clear()
        for c in list(self.conns.values()):
            c.abort()
        self.conns.clear()
        self.by_addr.clear()

    def _dispatch(self, data: bytes, rcv: Any, conn_id: int | None) -> None:
        handler = self.handler
        if handler is not None:
            handler(data, rcv, conn_id)

    def on_stream_error(self, err: Any, conn: TcpConnection) -> bytes | None:
        """A FramingError on ``conn``: the server may build a reply to write."""
        if self.stream_error_handler is None:
            return None
        return self.stream_error_handler(err, conn)

    # -- TCP connection table ----------------------------------------------------
    def admit(self, conn: TcpConnection) -> bool:
        """Register an accepted connection; False when over ``tcp_max_connections``."""
        if len(self.conns) >= self.max_connections:
            return False
        self._register(conn)
        self.count("tcp_accepted")
        return True

    def connected(self, conn: TcpConnection) -> None:
        """An outgoing connection completed (already registered when opened)."""
        self.count("tcp_connected")

    def _register(self, conn: TcpConnection) -> None:
        self.conns[conn.id] = conn
        if conn.peer is not None:
            self.by_addr[conn.peer] = conn

    def forget(self, conn: TcpConnection) -> None:
        """Drop ``conn`` from the tables (idempotent)."""
        if self.conns.pop(conn.id, None) is not None and conn.peer is not None:
            if self.by_addr.get(conn.peer) is conn:
                del self.by_addr[conn.peer]

    def _arm_sweep(self) -> None:
        if self.loop is None:
            return
        interval = max(0.05, min(1.0, self.lifetime / 4))
        self._sweep = self.loop.call_later(interval, self._sweep_idle)

    def _sweep_idle(self) -> None:
        """Close connections idle for ``tcp_connection_lifetime`` seconds."""
        limit = self.now() - self.lifetime
        for c in list(self.conns.values()):
            if c.last_activity <= limit:
                self.count("tcp_idle_closed")
                c.close()
        self._arm_sweep()

    def _connect(self, dest: Destination) -> TcpConnection | None:
        """Open a connection to ``dest`` (asynchronously; writes are queued)."""
        if self.loop is None or len(self.conns) >= self.max_connections:
            self.count("tcp_refused_max_connections")
            return None
        conn = TcpConnection(self, self.listen_for("tcp", dest.af), self._dispatch,
                             peer=(dest.host, dest.port))
        conn.listen = None   # outgoing: not counted through admit()
        self._register(conn)

        async def do_connect() -> None:
            try:
                await asyncio.wait_for(self.loop.create_connection(lambda: conn, dest.host, dest.port),
                                       self.connect_timeout)
            except (OSError, asyncio.TimeoutError):
                self.count("tcp_connect_failed")
                conn.closed = True
                self.forget(conn)
        self.loop.create_task(do_connect())
        return conn

    # -- sending -------------------------------------------------------------
    def send(self, data: bytes, dest: Destination, *, no_connect: bool = False) -> bool:
        """Send ``data`` to ``dest``; False on any error (never raises).

        UDP goes out of a listener of the destination's family; TCP uses the
        connection ``dest.conn_id`` names, else the one to that address, else
        opens one (unless ``no_connect``: set_reply_no_connect /
        set_forward_no_connect).  Thread-safe: called off the loop thread
        (an async worker's route), the send is marshalled to the loop and
        True means "queued".
        """
        if self._loop_thread is not None and _get_ident() != self._loop_thread:
            self.loop.call_soon_threadsafe(self._send_on_loop, data, dest, no_connect)
            return True
        if dest.proto == "udp":
            # _send_on_loop()'s UDP case inline: the hot path (every relayed
            # message), one call less
            lst = self.udp.get(dest.af)
            if lst:
                if self.loop.is_running():
                    # Deferred to the end of this loop iteration.  Each datagram
                    # that reaches a sleeping receiver costs the sender its
                    # wake-up (~10 µs of kernel time on a VM, a tenth of the
                    # server's CPU under load: docs/performance.md); sent back
                    # to back after a burst of received messages, one wakes it.
                    # Nothing is lost by not sending now: the event loop's
                    # sendto never raises a socket error (they reach
                    # error_received, counted as udp_errors, either way).
                    pending = self._pending
                    if not pending:
                        self.loop.call_soon(self.flush)
                    pending.append((lst[0], data, dest.host, dest.port))
                    self.counters["sent_udp"] += 1
                    return True
                if lst[0].sendto(data, dest.host, dest.port):
                    self.counters["sent_udp"] += 1
                    return True
                return False
        return self._send_on_loop(data, dest, no_connect)

    def flush(self) -> None:
        """Write out the deferred UDP sends, in order.

        Runs on the loop thread: scheduled by the first deferred send of a
        loop iteration; also called before any other send and by ``close()``,
        so the order of sends is kept.  What the socket refuses is counted by
        the listener (``send_errors``, ``udp_errors``), as for a direct send.
        """
        pending = self._pending
        if not pending:
            return
        self._pending = []
        for lst, data, host, port in pending:
            lst.sendto(data, host, port)

    def _send_on_loop(self, data: bytes, dest: Destination, no_connect: bool = False) -> bool:
        if self._pending:
            self.flush()        # the deferred sends were made first
        if dest.proto == "udp":
            lst = self.udp.get(dest.af)
            if not lst:
                self.count("send_no_socket")
                return False
            if lst[0].sendto(data, dest.host, dest.port):
                self.counters["sent_udp"] += 1
                return True
            return False
        if dest.proto == "tcp":
            conn = self.conns.get(dest.conn_id) if dest.conn_id is not None else None
            if conn is None or conn.closed:
                conn = self.by_addr.get((dest.host, dest.port))
            if conn is None or conn.closed:
                if no_connect:
                    self.count("send_no_connection")
                    return False
                conn = self._connect(dest)
                if conn is None:
                    return False
            if conn.write(data):
                self.count("sent_tcp")
                return True
            return False
        self.count("send_unsupported_proto")
        return False


def transport_from_core(core: dict, *, stats: Any = None, log: Any = None) -> Transport:
    """Build the Transport from resolved ``[core]`` parameters.

    Keys read: ``listen`` (list of "proto:ip:port"), ``alias``,
    ``tcp_connection_lifetime`` (s), ``tcp_max_connections``,
    ``max_message_size`` (bytes, per datagram or TCP frame).
    """
    listen = core.get("listen") or ["udp:127.0.0.1:5060"]
    if isinstance(listen, str):
        listen = [listen]
    aliases = core.get("alias") or []
    if isinstance(aliases, str):
        aliases = [aliases]
    return Transport(listen, aliases=aliases, stats=stats, log=log,
                     tcp_connection_lifetime=core.get("tcp_connection_lifetime", 3605),
                     tcp_max_connections=core.get("tcp_max_connections", 2048),
                     max_msg_size=core.get("max_message_size", DEFAULT_MAX_MSG))


def af_name(af: int) -> str:
    """``"ipv4"``/``"ipv6"`` for logs."""
    return "ipv6" if af == socket.AF_INET6 else "ipv4"
