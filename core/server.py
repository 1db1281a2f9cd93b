"""The running server: start-up sequence, message entry points, graceful stop.

``run_server(config_path)`` follows contracts §7: load the config, resolve
the modules, build the ServerEnv, compile the route script, ``mod_init``,
open the listeners, attach loop + transport to the env, ``child_init``,
then run until SIGTERM/SIGINT and stop in reverse ("shutdown" hooks, close
the sockets, ``destroy``).  User mistakes print one line and exit 1.

:class:`Server` holds the per-message entry points, called by the
transport on the loop thread for every framed message:

* a request runs the ``request_in`` hooks, then ``request_route`` (a new
  RunContext per message, route type REQUEST; the implicit end is drop);
* a reply runs the ``reply_in`` hooks (tm takes its replies), then
  ``reply_route`` (CORE_ONREPLY; ``drop``, ``exit`` or a negative last
  result discard it, as in Kamailio), then is forwarded statelessly by its
  second Via after removing ours;
* unparseable input is counted and answered 400/513 when the parser's
  partial view allows a reply, else dropped.

``handle_datagram(data, rcv)`` drives the same path without sockets and
returns what was sent (with a :class:`RecordingTransport`).
"""
from __future__ import annotations

import asyncio
import gc
import signal
import sys
from pathlib import Path
from typing import Any

import structlog

from siprouter.core.modsys import RouteType
from siprouter.core.transport import Destination, RecordingTransport, TransportBase, transport_from_core
from siprouter.core.transport.via import destination_by_via, stamp_received

log = structlog.get_logger("siprouter.server")

#: counters the core keeps (declared under module "core" when Stats allows)
CORE_STATS = {
    "rcv_requests": "requests received",
    "rcv_replies": "replies received",
    "bad_msg": "messages that failed to parse",
    "bad_msg_replied": "unparseable requests answered with 400/513",
    "too_big": "messages over max_message_size",
    "drop_requests": "requests dropped before routing (no Via, ...)",
    "fwd_replies": "replies forwarded statelessly by Via",
    "drop_replies": "replies dropped (not ours, dropped in reply_route, no route back)",
    "script_errors": "route runs that raised an exception",
    "keepalives": "CRLF keep-alives received on UDP",
    "rcv_handler_errors": "exceptions in the receive path",
    "udp_errors": "UDP socket errors",
    "send_errors": "send failures",
    "sent_udp": "messages sent over UDP",
    "sent_tcp": "messages sent over TCP",
    "tcp_accepted": "TCP connections accepted",
    "tcp_connected": "TCP connections opened by us",
    "tcp_connect_failed": "outgoing TCP connections that failed",
    "tcp_refused_max_connections": "TCP connections refused by tcp_max_connections",
    "tcp_idle_closed": "TCP connections closed by tcp_connection_lifetime",
    "tcp_keepalives": "CRLFCRLF pings answered on TCP",
    "tcp_framing_errors": "TCP streams closed for bad framing",
    "tcp_write_overflow": "TCP connections dropped because the peer stopped reading",
    "send_no_socket": "sends with no socket of the right family",
    "send_no_connection": "TCP sends refused by *_no_connect",
    "send_unsupported_proto": "sends to a transport we do not have",
    "reply_no_destination": "replies with no usable Via address",
}

_ROUTE_NAMES = ("", None, "0", "main", "default")
_BLANK = frozenset(b"\r\n \t\0")
# enum members read once: RouteType.X is a class-attribute lookup through the
# enum machinery (~0.1 µs), paid per message otherwise
_REQUEST = RouteType.REQUEST
_CORE_ONREPLY = RouteType.CORE_ONREPLY


def find_route(script: Any, kind: str) -> Any:
    """The top-level block of ``kind`` ("request", "reply"), or ``None``.

    Runs once at start-up.  The compiled script names a top-level block by
    kind; the name it is stored under is tried in the usual spellings.
    """
    if script is None:
        return None
    for name in _ROUTE_NAMES:
        try:
            r = script.route(name, kind)
        except Exception:
            r = None
        if r is not None:
            return r
    return None


class Server:
    """Per-message entry points plus the run loop of one server."""

    def __init__(self, env: Any, transport: TransportBase | None = None, modset: Any = None) -> None:
        self.env = env
        self.rpc: Any = None   # the JSON-RPC control server, once serving
        self.modset = modset
        self.transport = transport if transport is not None else RecordingTransport(
            (env.core or {}).get("listen") or ["udp:127.0.0.1:5060"])
        self.max_size = int((env.core or {}).get("max_message_size", 65535))
        self.script = getattr(env, "script", None)
        self.request_route = find_route(self.script, "request")
        self.reply_route = find_route(self.script, "reply")
        self.request_in = list(self._hooks("request_in"))
        self.reply_in = list(self._hooks("reply_in"))
        self._declare_stats()
        self._sip = _sip_api()
        self._parse = self._sip.parse_message     # per message: one attribute, not two

    # -- helpers -----------------------------------------------------------------
    def _hooks(self, point: str) -> list:
        try:
            return env_hooks(self.env, point)
        except Exception:
            return []

    def _declare_stats(self) -> None:
        """Expose the core counters (kept lock-free in transport.counters) as Stats gauges."""
        stats = getattr(self.env, "stats", None)
        gauge = getattr(stats, "gauge", None)
        if gauge is None:
            return
        for name, doc in CORE_STATS.items():
            try:
                gauge("core", name, lambda n=name: self.transport.counters[n], doc)
            except Exception:
                pass

    def count(self, name: str, n: int = 1) -> None:
        """Bump a core statistic (kept in the transport's counters too)."""
        self.transport.count(name, n)

    # -- sans-IO entry points ------------------------------------------------------
    def handle_datagram(self, data: bytes, rcv: Any, conn_id: int | None = None) -> list[tuple[bytes, Destination]]:
        """Process one received message; returns the sends it caused.

        Only a :class:`RecordingTransport` records sends; with real sockets
        the list is empty (the data went out already).
        """
        sent = getattr(self.transport, "sent", None)
        start = len(sent) if sent is not None else 0
        self.on_message(data, rcv, conn_id)
        return list(sent[start:]) if sent is not None else []

    def on_message(self, data: bytes, rcv: Any, conn_id: int | None) -> None:
        """Transport callback for every datagram / framed stream message.

        Runs on the loop thread; parses, then hands the message to
        :meth:`on_request` or :meth:`on_reply`.  Returns nothing: errors are
        counted (and answered when possible), never raised.
        """
        sip = self._sip
        udp = rcv.proto == "udp"
        if udp:
            # CRLF keep-alive or an empty datagram (checked on the first byte: no copy normally)
            if (not data or data[0] in _BLANK) and not data.strip(b"\r\n \t\0"):
                self.count("keepalives")
                return
            if len(data) > self.max_size:
                self.count("too_big")
                self._reply_unparseable(data, rcv, conn_id, 513)
                return
        try:
            msg = self._parse(data, datagram=udp)
        except sip.SipParseError as err:
            self.count("bad_msg")
            self._reply_error(err, rcv, conn_id)
            return
        except Exception:   # a parser bug must not take the listener down
            self.count("bad_msg")
            log.exception("parser raised", src=f"{rcv.src_ip}:{rcv.src_port}")
            return
        msg.rcv = rcv
        if conn_id is not None:
            msg.attrs["conn_id"] = conn_id
        try:
            if msg.is_request:
                self.on_request(msg)
            else:
                self.on_reply(msg)
        except sip.SipParseError as err:
            # a header the core needed (Via, CSeq...) is malformed: lazily found out
            self.count("bad_msg")
            if msg.is_request:
                self._send_error(msg, int(getattr(err, "status", 400) or 400), rcv, conn_id)

    def on_stream_error(self, err: Any, conn: Any) -> bytes | None:
        """A FramingError on a TCP connection: reply bytes to write, or None.

        Runs when the framer gives up on a stream (no Content-Length, too
        big, garbage).  When the head of the offending message is a request
        we can parse, it is answered with the error's status (400/513);
        the transport closes the connection afterwards.
        """
        self.count("bad_msg")
        status = int(getattr(err, "status", 400) or 400)
        partial = getattr(err, "partial", None)
        if partial is None:
            head = getattr(err, "data", b"") or b""
            partial = self._parse_head(head) if head else None
        if partial is None or not getattr(partial, "is_request", False):
            return None
        try:
            if getattr(partial, "method", "") == "ACK" or not partial.has("Via"):
                return None
            reply = self._error_reply(partial, status)
            return reply.to_bytes() if reply is not None else None
        except Exception:   # too broken to answer: the connection is just closed
            return None

    def _parse_head(self, data: bytes) -> Any:
        """Best-effort parse of a message head (for error replies); None if hopeless."""
        sip = self._sip
        end = data.find(b"\r\n\r\n")
        head = data[:end + 4] if end >= 0 else data[:self.max_size] + b"\r\n\r\n"
        try:
            return sip.parse_message(head, datagram=True)
        except sip.SipParseError as err:
            return getattr(err, "partial", None)
        except Exception:
            return None

    # -- requests --------------------------------------------------------------------
    def on_request(self, msg: Any) -> None:
        """A parsed request: Via stamping, request_in hooks, request_route.

        Runs on the loop thread for every received request (``msg.rcv`` set).
        """
        self.transport.counters["rcv_requests"] += 1
        via = msg.top_via
        if via is None:
            self.count("drop_requests")
            return
        rcv = msg.rcv
        if rcv is not None:
            # stamp_received()'s everyday case tested here, saving the call:
            # UDP from the Via's own address with neither rport nor received
            vparams = via.params
            if (via.host != rcv.src_ip or rcv.proto != "udp" or "rport" in vparams
                    or "received" in vparams):
                stamp_received(msg, rcv)
        env = self.env
        for hook in self.request_in:
            if hook(env, msg):
                return
        route = self.request_route
        if route is None:
            return
        script = self.script
        ctx = script.new_context(msg, _REQUEST, env)
        try:
            script.run(route, ctx)
        except Exception:
            self.count("script_errors")
            log.exception("request_route failed", call_id=msg.call_id, method=msg.method)

    # -- replies ---------------------------------------------------------------------
    def on_reply(self, msg: Any) -> None:
        """A parsed reply: reply_in hooks (tm), reply_route, stateless relay."""
        self.transport.counters["rcv_replies"] += 1
        env = self.env
        for hook in self.reply_in:
            if hook(env, msg):
                return
        route = self.reply_route
        if route is not None:
            script = self.script
            ctx = script.new_context(msg, _CORE_ONREPLY, env)
            try:
                rc = script.run(route, ctx)
            except Exception:
                self.count("script_errors")
                log.exception("reply_route failed", call_id=msg.call_id)
                rc = -1
            # Kamailio (receive.c): a negative result is an error, 0 (exit) or
            # drop means "do not relay"; only a positive run relays the reply
            if ctx.drop or not isinstance(rc, int) or rc <= 0:
                self.count("drop_replies")
                return
        self.forward_reply(msg)

    def forward_reply(self, reply: Any) -> bool:
        """Relay a reply no module took by its second Via (RFC 3261 §16.7/§18.2.2).

        The top Via must be ours (else the reply is dropped); it is removed
        and the reply goes where the next Via says.
        """
        vias = reply.vias
        if len(vias) < 2:
            self.count("drop_replies")
            return False
        top = vias[0]
        if not self.transport.is_myself(top.host, top.port or 5060):
            self.count("drop_replies")
            return False
        dest = destination_by_via(vias[1])
        if dest is None:
            self.count("drop_replies")
            return False
        fast = getattr(reply, "wire_without_top_via", None)
        data = fast() if fast is not None else None
        if data is None:
            if hasattr(reply, "pop_top_via"):
                reply.pop_top_via()
            else:
                _remove_top_via(reply, reply.get_all("Via")[1:])
            data = reply.to_bytes()
        if self.transport.send(data, dest):
            self.transport.counters["fwd_replies"] += 1
            return True
        return False

    # -- unparseable input ---------------------------------------------------------------
    def _reply_error(self, err: Any, rcv: Any, conn_id: int | None) -> None:
        partial = getattr(err, "partial", None)
        if partial is None or not getattr(partial, "is_request", False):
            return
        status = int(getattr(err, "status", 400) or 400)
        self._send_error(partial, status, rcv, conn_id)

    def _reply_unparseable(self, data: bytes, rcv: Any, conn_id: int | None, status: int) -> None:
        """Answer an oversized datagram from what can be parsed of its head."""
        partial = self._parse_head(data)
        if partial is not None and getattr(partial, "is_request", False):
            self._send_error(partial, status, rcv, conn_id)

    def _send_error(self, request: Any, status: int, rcv: Any, conn_id: int | None) -> None:
        """Answer a request we could not parse fully with ``status``, if at all possible.

        Normally the reply goes where the Via says; when the Via itself is
        the broken part, back to the packet's source address.
        """
        try:
            request.rcv = rcv
            if conn_id is not None:
                request.attrs["conn_id"] = conn_id
            if getattr(request, "method", "") == "ACK" or not request.has("Via"):
                return
            try:
                via_ok = request.top_via is not None
            except self._sip.SipParseError:
                via_ok = False
            reply = self._error_reply(request, status)
            if reply is None:
                return
            if via_ok:
                stamp_received(request, rcv)
                sent = self.transport.send_reply(request, reply)
            else:
                dest = Destination(rcv.proto, rcv.src_ip, rcv.src_port, rcv.af, conn_id)
                sent = self.transport.send(reply.to_bytes(), dest,
                                           no_connect=bool(request.attrs.get("reply_no_connect")))
            if sent:
                self.count("bad_msg_replied")
        except Exception:  # the partial view may be too broken to answer: drop
            log.debug("cannot answer unparseable message", src=f"{rcv.src_ip}:{rcv.src_port}")

    def _error_reply(self, request: Any, status: int) -> Any:
        try:
            return self._sip.make_response(request, status)
        except Exception:
            return None

    # -- running -----------------------------------------------------------------------
    def run(self) -> int:
        """Run the server until SIGTERM/SIGINT; returns the process exit code."""
        loop = new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            return loop.run_until_complete(self.serve())
        finally:
            loop.close()

    async def serve(self, stop: asyncio.Event | None = None) -> int:
        """Open listeners, attach the runtime, child_init, wait for ``stop``, stop."""
        loop = asyncio.get_running_loop()
        env = self.env
        core = env.core or {}
        # Signal handlers first: a SIGTERM that arrives while the listeners are
        # opening (a supervisor that saw the port) must still stop us cleanly.
        stop = stop or asyncio.Event()
        self.stop_event = stop
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        if not isinstance(self.transport, _real_transport_type()):
            self.transport = transport_from_core(core, stats=getattr(env, "stats", None))
            self._declare_stats()
        try:
            await self.transport.start(self.on_message, self.on_stream_error)
        except OSError as err:
            print(f"siprouter: cannot listen on {', '.join(map(str, self.transport.listen))}: "
                  f"{err.strerror or err}", file=sys.stderr, flush=True)
            return 1
        attach = getattr(env, "attach_runtime", None)
        if attach is not None:
            attach(loop=loop, transport=self.transport)
        workers = getattr(env, "workers", None)
        if workers is not None:
            workers.start()   # core async_workers groups: threads exist only while serving
        from siprouter.core.errors import StartupError
        try:
            _child_init(env, self.modset)
            from siprouter.core.rpc import start_rpc_server
            self.rpc = await start_rpc_server(env)   # None when [core] rpc_socket = ""
        except StartupError as err:
            for line in err.lines():
                print(f"siprouter: {line}", file=sys.stderr, flush=True)
            if workers is not None:
                workers.stop(5.0)
            self.transport.close()
            _destroy(env, self.modset)
            return 1
        core = env.core or {}
        interval = core.get("gc_interval_ms")      # None: _tune_gc takes the default
        _tune_gc(int(core.get("gc_threshold", 0) or 0),
                 None if interval is None else int(interval))
        _lifecycle(self.modset, "server_started", self)
        log.info("siprouter started", listen=[str(ls) for ls in self.transport.listen])
        await stop.wait()
        log.info("siprouter stopping")
        if self.rpc is not None:
            await self.rpc.stop()
        _lifecycle(self.modset, "server_stopping", self)
        for fn in self._hooks("shutdown"):
            try:
                fn(env)
            except Exception:
                log.exception("shutdown hook failed")
        if workers is not None:
            # Drain queued tasks while the sockets are still open (their
            # transactions were answered by the shutdown hooks if suspended).
            await loop.run_in_executor(None, workers.stop, 5.0)
        self.transport.close()
        _destroy(env, self.modset)
        return 0


# -- small helpers -------------------------------------------------------------------------

def _tune_gc(threshold: int, interval_ms: int | None = None, *,
             freeze_every: int | None = None, full_every: int | None = None) -> None:
    """Runs once when serving starts (on the loop thread): keep the cyclic GC off the per-message path.

    Everything built at start-up (modules, compiled script) is frozen so no
    collection walks it again, and generation 0 collects every ``threshold``
    allocations instead of 700; 0 leaves Python's defaults (and no ticks).

    ``interval_ms`` (core ``gc_interval_ms``; None: its default) > 0 also
    starts a loop timer.  Each tick runs a young pass when 200+ objects are
    new; every ``freeze_every`` ticks (default: 1 s worth) whatever
    survived is frozen (``gc.freeze()``: no later pass walks it, reference
    counting still frees it); every ``full_every`` ticks (default: 10 min
    worth) one full pass over everything (unfreeze, collect, freeze) reclaims
    the cycles that outlived their young pass.  Python's own middle and full
    passes are switched off.

    Why (measured with bench/async at 300 calls/s, docs/performance.md): a
    pass costs ~0.1 µs per reference it visits, and the live calls (a
    suspended call holds ~45 tracked objects for 1-6 s, a relayed one lingers
    5 s) are what the older generations hold.  Collecting them at all paused
    the loop 20-250 ms (threshold only), or 1-76 ms (middle passes every
    100 ms), or ~12 ms (one middle pass a second), each pass delaying resumes
    and 100 Tryings; a full pass over the heap takes 100-170 ms.  Yet calls
    leave almost no cyclic garbage (tm breaks its cycles; a GC-less run found
    ~3 objects/s at 300 calls/s), so walking them again and again buys
    nothing.  Young passes every 20 ms and a freeze (constant time) keep the
    resume p99 at 1-3 ms on a quiet machine (max ~15-25 ms); a 5 ms tick also
    brought the max to 4-6 ms in one sitting (docs/performance.md); the full
    pass stalls the loop once per 10 min.
    """
    if threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    if interval_ms is None:
        from siprouter.core.config import CORE_PARAM_INDEX
        interval_ms = int(CORE_PARAM_INDEX["gc_interval_ms"].default)
    try:
        loop = asyncio.get_running_loop() if interval_ms > 0 else None
    except RuntimeError:        # not serving (a test calling it directly): thresholds only
        loop = None
    if loop is None:
        gc.set_threshold(threshold, 50, 100)
        return
    # only the young generation collects by itself (a fallback if ticks are late)
    gc.set_threshold(threshold, 1 << 30, 1 << 30)
    interval = interval_ms / 1000.0
    if freeze_every is None:
        freeze_every = max(1, round(1.0 / interval))
    if full_every is None:
        full_every = max(1, round(600.0 / interval))
    min_batch = 200             # fewer new objects than this: nothing worth a pass yet
    ticks = 0

    def tick() -> None:
        nonlocal ticks
        ticks += 1
        if ticks % full_every == 0:
            gc.unfreeze()
            gc.collect()
            gc.freeze()
        else:
            if gc.get_count()[0] >= min_batch:
                gc.collect(0)
            if ticks % freeze_every == 0:
                gc.freeze()
        if not loop.is_closed():
            loop.call_later(interval, tick)

    loop.call_later(interval, tick)


def _remove_top_via(msg: Any, rest: list[str]) -> None:
    """Remove the first Via value (ours), keeping ``rest`` in order."""
    msg.remove_header("Via")
    for value in reversed(rest):
        msg.add_header("Via", value, first=True)


def env_hooks(env: Any, point: str) -> list:
    """The env's resolved hook list for ``point`` (empty when it has none)."""
    hooks = getattr(env, "hooks", None)
    if hooks is None:
        return []
    return list(hooks(point) or [])


class _SipAPI:
    """The message-layer functions the server needs, looked up once."""

    def __init__(self) -> None:
        from siprouter.core.sip import SipParseError, make_response, parse_message
        self.parse_message = parse_message
        self.SipParseError = SipParseError
        self.make_response = make_response


def _sip_api() -> _SipAPI:
    return _SipAPI()


def _real_transport_type() -> type:
    from siprouter.core.transport import Transport
    return Transport


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when importable, else asyncio's default."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _child_init(env: Any, modset: Any) -> None:
    """Run every module's child_init (rank 1: the loop process)."""
    if modset is None:
        return
    fn = getattr(modset, "child_init_all", None)
    if fn is not None:
        fn(env, 1)
        return
    for mod in getattr(modset, "ordered", []):
        if mod.child_init is not None:
            mod.child_init(_module_env(env, mod.name), 1)


def _lifecycle(modset: Any, event: str, server: "Server") -> None:
    """Fire a pluggy lifecycle event (server_started / server_stopping); errors logged."""
    fn = getattr(modset, event, None)
    if fn is None:
        return
    try:
        fn(server)
    except Exception:
        log.exception("lifecycle hook failed", event=event)


def _destroy(env: Any, modset: Any) -> None:
    """destroy() of every module in reverse order; errors logged, not raised."""
    if modset is None:
        return
    try:
        fn = getattr(modset, "destroy_all", None)
        if fn is not None:
            fn(env)
            return
        for mod in reversed(getattr(modset, "ordered", [])):
            if mod.destroy is not None:
                mod.destroy(_module_env(env, mod.name))
    except Exception:
        log.exception("destroy failed")


def _module_env(env: Any, name: str) -> Any:
    for attr in ("module_env", "for_module", "view"):
        fn = getattr(env, attr, None)
        if fn is not None:
            try:
                return fn(name)
            except Exception:
                break
    return env


def build_env(config_path: str | Path) -> tuple[Any, Any]:
    """Start-up steps of contracts §7 up to mod_init; returns (env, modset).

    Raises StartupError / ConfigError / ScriptErrors for user mistakes.
    """
    from siprouter.core.config import load_config
    from siprouter.core.env import ServerEnv
    from siprouter.core.modsys.loader import resolve_modules
    from siprouter.core.routing import compile_script

    cfg = load_config(config_path)
    try:
        from siprouter.core.log import configure_from_core
        configure_from_core(cfg.core)
    except Exception:
        pass
    modset = resolve_modules(cfg)
    env = ServerEnv(cfg, modset)
    from siprouter.core.async_workers import WorkerGroups
    env.workers = WorkerGroups.for_env(env)   # started by Server.serve, not by `check`
    script = None
    if cfg.routes is not None:
        script = compile_script(cfg.routes, modset.function_registry(), defines=modset.defines,
                                pvs=modset.pv_registry(), core_params=cfg.core, env=env)
    env.script = script
    try:
        modset.init_all(env)
    except Exception:
        modset.destroy_all(env)     # clean up the modules initialised so far
        raise
    return env, modset


def run_server(config_path: str | Path) -> int:
    """Run a server from a TOML config until signalled; returns the exit code.

    Prints one line per error (no traceback) and returns 1 for config,
    module, script and listen errors.
    """
    from siprouter.core.errors import StartupError
    try:
        from siprouter.core.routing import ScriptErrors
    except Exception:  # pragma: no cover
        ScriptErrors = ()  # type: ignore[assignment]
    try:
        env, modset = build_env(config_path)
    except StartupError as err:  # (build_env destroys what it initialised)
        for line in err.lines():
            print(f"siprouter: {line}", file=sys.stderr, flush=True)
        return 1
    except ScriptErrors as err:  # type: ignore[misc]
        for e in getattr(err, "errors", [err]):
            print(f"siprouter: {e}", file=sys.stderr, flush=True)
        return 1
    except FileNotFoundError as err:
        print(f"siprouter: {err}", file=sys.stderr, flush=True)
        return 1
    server = Server(env, modset=modset)
    return server.run()


def main(argv: list[str] | None = None) -> int:
    """``python -m siprouter.core.server CONFIG`` (the CLI has the full ``-f``)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m siprouter.core.server CONFIG.toml", file=sys.stderr)
        return 2
    return run_server(args[0])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
