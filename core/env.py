"""Server services handed to modules: ``ServerEnv`` and its per-module view ``ModuleEnv``.

One ``ServerEnv`` exists per running server (contracts §5).  It is built right
after ``resolve_modules`` from the config and the module set; the server
(``siprouter.core.server``) later attaches the run-time pieces with
``attach_runtime(loop=..., transport=...)``.  Until then — in unit tests and
in ``siprouter check`` — the clock is ``time.monotonic`` and the loop-bound
methods raise a clear ``RuntimeError``; tests attach a :class:`ManualClock`
to drive timers by hand::

    env = ServerEnv(cfg, modset)
    clock = ManualClock()
    env.attach_runtime(clock=clock)
    env.call_later(2.0, fired.append, "x")
    clock.advance(2.0)            # runs the callback

A transport backend is any object with ``send(data, dest) -> bool`` and
``send_reply(request, reply) -> bool`` (optionally ``resolve(...)``).
"""
from __future__ import annotations

import asyncio
import heapq
import ipaddress
import itertools
import socket
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable

from siprouter.core.errors import ModuleAPIError
from siprouter.core.log import get_logger
from siprouter.core.stats import Stats

if TYPE_CHECKING:  # pragma: no cover
    from siprouter.core.config import Config, ListenAddr
    from siprouter.core.modsys.loader import ModuleSet

__all__ = ["ServerEnv", "ModuleEnv", "Destination", "ListenSocket", "ManualClock", "TimerHandle"]


try:  # one Destination / ListenSocket for the whole code base: the transport layer's
    from siprouter.core.transport.address import Destination, ListenSocket
except ImportError:  # pragma: no cover - transport layer not installed (early development)
    @dataclass(frozen=True, slots=True)
    class Destination:  # type: ignore[no-redef]
        """Where to send: protocol, IP literal, port, address family, TCP connection id."""

        proto: str
        host: str
        port: int
        af: int = socket.AF_INET
        conn_id: int | None = None

    @dataclass(slots=True)
    class ListenSocket:  # type: ignore[no-redef]
        """One listen address as modules see it (Via / Record-Route use the advertised one)."""

        proto: str
        ip: str
        port: int
        af: int = socket.AF_INET
        advertised_host: str | None = None
        advertised_port: int | None = None


def listen_socket(addr: "ListenAddr") -> ListenSocket:
    """The ListenSocket of a parsed ``listen`` entry (advertised address defaults to its own)."""
    return ListenSocket(addr.proto, addr.ip, addr.port, addr.af,
                        addr.advertise_host or addr.ip, addr.advertise_port or addr.port)


def _noop(*_args: Any) -> None:
    """The callback of a timer handle that already ran or was cancelled."""


class TimerHandle:
    """A cancellable timer; ``cancel()`` is safe from any thread and idempotent."""

    __slots__ = ("when", "fn", "args", "cancelled", "_inner", "_loop", "_loop_thread")

    #: guards ``cancelled``/``_inner`` of every handle: the sections are a few
    #: attribute reads and writes, so one lock costs no contention and saves a
    #: lock object per timer (every suspended transaction holds a handle)
    _lock = threading.Lock()

    def __init__(self, when: float, fn: Callable[..., Any], args: tuple,
                 loop: Any = None, loop_thread: int | None = None):
        self.when = when
        self.fn = fn
        self.args = args
        self.cancelled = False
        self._inner: Any = None
        self._loop = loop
        self._loop_thread = loop_thread

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            inner = self._inner
        if inner is None:
            return
        # the loop's handle refers back to us (its callback is our _run): drop
        # the link so neither waits for the cyclic GC
        self._inner = None
        self.fn, self.args = _noop, ()
        # Event-loop timer handles are not thread-safe (uvloop's crash when a
        # worker thread cancels one): off the loop thread, cancel on the loop.
        # ``cancelled`` above already keeps the callback from running.
        if self._loop is not None and threading.get_ident() != self._loop_thread:
            try:
                self._loop.call_soon_threadsafe(inner.cancel)
            except RuntimeError:  # loop closed at shutdown: nothing left to cancel
                pass
        else:
            inner.cancel()

    def _bind(self, inner: Any) -> None:
        with self._lock:
            self._inner = inner
            cancelled = self.cancelled
        if cancelled:
            inner.cancel()

    def _run(self) -> None:
        fn, args = self.fn, self.args
        # ran once: break the cycle with the loop's handle (whose callback is
        # this method) and drop the callback's references (e.g. tm's
        # transaction), so reference counting frees them now, not a GC pass
        self._inner = None
        self.fn, self.args = _noop, ()
        if not self.cancelled:
            fn(*args)

    def __lt__(self, other: "TimerHandle") -> bool:  # heap order in ManualClock
        return self.when < other.when


class ManualClock:
    """A fake clock and timer queue for tests: time moves only with ``advance()``.

    ``env.attach_runtime(clock=ManualClock())`` makes ``env.now()``,
    ``env.call_later`` and ``env.call_soon`` use it.
    """

    def __init__(self, start: float = 1000.0):
        self._now = start
        self._queue: list[tuple[float, int, TimerHandle]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> TimerHandle:
        handle = TimerHandle(self._now + max(0.0, delay), fn, args)
        with self._lock:
            heapq.heappush(self._queue, (handle.when, next(self._seq), handle))
        return handle

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> TimerHandle:
        return self.call_later(0.0, fn, *args)

    def pending(self) -> int:
        """Timers not yet run nor cancelled."""
        with self._lock:
            return sum(1 for _, _, h in self._queue if not h.cancelled)

    def advance(self, seconds: float = 0.0) -> int:
        """Move time forward, running due callbacks in time order; returns how many ran."""
        target = self._now + seconds
        ran = 0
        while True:
            with self._lock:
                if not self._queue or self._queue[0][0] > target:
                    break
                when, _, handle = heapq.heappop(self._queue)
            self._now = max(self._now, when)
            if not handle.cancelled:
                handle._run()
                ran += 1
        self._now = target
        return ran


class ServerEnv:
    """Core services for modules and the route engine (contracts §5)."""

    def __init__(self, cfg: "Config", modset: "ModuleSet | None" = None, *,
                 stats: Stats | None = None, clock: ManualClock | None = None):
        self.cfg = cfg
        self.modset = modset
        self.core: dict[str, Any] = dict(cfg.core)
        self.listen: list[ListenSocket] = [listen_socket(a) for a in cfg.listen]
        self.aliases: list[str] = list(cfg.core.get("alias", []))
        self.stats = stats or Stats()
        if modset is not None:
            self.stats.declare_modules(modset.ordered)
        self.script: Any = None
        self.workers: Any = None
        self.log = get_logger("core")
        self._apis: dict[str, Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._transport: Any = None
        self._clock: ManualClock | None = clock
        self._module_envs: dict[str, ModuleEnv] = {}
        self._myself = _MyselfTable(self.listen, self.aliases)
        # (host, port) -> is_myself() answer for the table above; reset with it
        self._myself_hits: dict[tuple[str, int | None], bool] = {}

    # -- runtime attachment (the server) -------------------------------------------------------
    def attach_runtime(self, *, loop: asyncio.AbstractEventLoop | None = None, transport: Any = None,
                       clock: ManualClock | None = None, loop_thread: int | None = None) -> None:
        """Attach the event loop, the transport backend and/or a fake clock.

        ``loop_thread`` is the ident of the loop's thread (default: the caller's,
        since the server attaches from the loop thread).
        """
        if loop is not None:
            self._loop = loop
            self._loop_thread = loop_thread if loop_thread is not None else threading.get_ident()
        if transport is not None:
            self._transport = transport
            real = getattr(transport, "listen", None)
            if isinstance(real, list) and real and all(hasattr(x, "advertised_host") for x in real):
                self.listen = list(real)        # the bound sockets (real ports when port 0)
                self._myself = _MyselfTable(self.listen, self.aliases)
                self._myself_hits = {}
        if clock is not None:
            self._clock = clock

    def detach_runtime(self) -> None:
        self._loop = self._loop_thread = self._transport = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        return self._loop

    @property
    def transport(self) -> Any:
        return self._transport

    # -- per-module views --------------------------------------------------------------------
    def for_module(self, name: str) -> "ModuleEnv":
        """The ModuleEnv of module ``name`` (one per module, cached)."""
        menv = self._module_envs.get(name)
        if menv is None:
            menv = self._module_envs[name] = ModuleEnv(self, name)
        return menv

    @property
    def params(self) -> dict[str, dict[str, Any]]:
        """All modules' resolved params (``{module: {param: value}}``)."""
        return self.modset.params if self.modset is not None else {}

    # -- inter-module APIs ---------------------------------------------------------------------
    def _set_api(self, name: str, api: Any) -> None:
        self._apis[name] = api

    def api(self, name: str) -> Any:
        """The API object of module ``name`` (any module; the server's view)."""
        return self._get_api(name, caller=None)

    def _get_api(self, name: str, caller: str | None) -> Any:
        if name in self._apis:
            return self._apis[name]
        who = f"module {caller}" if caller else "the core"
        if self.modset is None or name not in self.modset:
            raise ModuleAPIError(f"{who} asked for the API of {name}, which is not loaded")
        mod = self.modset.get(name)
        if mod is not None and mod.api_factory is None:
            raise ModuleAPIError(f"{who} asked for the API of {name}, which provides no API")
        raise ModuleAPIError(f"{who} asked for the API of {name} before {name} was initialised "
                             f"(declare depends=[{name!r}] so that it initialises first)")

    def hooks(self, point: str) -> list[Callable[..., Any]]:
        """Resolved per-message hook list for ``point`` (plain list; may be empty)."""
        return self.modset.hooks(point) if self.modset is not None else []

    # -- time and the loop ------------------------------------------------------------------------
    def now(self) -> float:
        """Monotonic seconds (the fake clock's time when one is attached)."""
        clock = self._clock
        return clock.now() if clock is not None else time.monotonic()

    def _no_loop(self, what: str) -> RuntimeError:
        return RuntimeError(f"env.{what} needs the server's event loop; none is attached "
                            "(the server calls env.attach_runtime(loop=...); tests attach "
                            "a ManualClock with env.attach_runtime(clock=ManualClock()))")

    def call_later(self, delay_s: float, fn: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``fn(*args)`` on the loop thread after ``delay_s``; thread-safe; returns a handle."""
        if self._clock is not None:
            return self._clock.call_later(delay_s, fn, *args)
        loop = self._loop
        if loop is None:
            raise self._no_loop("call_later")
        handle = TimerHandle(self.now() + delay_s, fn, args, loop, self._loop_thread)
        if threading.get_ident() == self._loop_thread:
            handle._bind(loop.call_later(delay_s, handle._run))
        else:
            loop.call_soon_threadsafe(lambda: handle._bind(loop.call_later(delay_s, handle._run)))
        return handle

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``fn(*args)`` on the loop thread soon; thread-safe."""
        if self._clock is not None:
            return self._clock.call_soon(fn, *args)
        loop = self._loop
        if loop is None:
            raise self._no_loop("call_soon")
        handle = TimerHandle(self.now(), fn, args, loop, self._loop_thread)
        handle._bind(loop.call_soon_threadsafe(handle._run))
        return handle

    # -- transport ---------------------------------------------------------------------------------
    def _need_transport(self, what: str) -> Any:
        t = self._transport
        if t is None:
            raise RuntimeError(f"env.{what} needs a transport; none is attached "
                               "(the server calls env.attach_runtime(transport=...))")
        return t

    def send(self, data: bytes, dest: Destination) -> bool:
        """Send ``data`` to ``dest`` on the right socket / TCP connection; False on error."""
        t = self._transport
        if t is None:
            t = self._need_transport("send")     # raises the explanatory RuntimeError
        return t.send(data, dest)

    def send_reply(self, request: Any, reply: Any) -> bool:
        """Send ``reply`` back along ``request``'s top Via and receive info.

        A final reply is remembered in ``request.attrs["final_reply_sent"]``
        (its status) so that sl refuses to send a second one.
        """
        t = self._transport
        if t is None:
            t = self._need_transport("send_reply")   # raises the explanatory RuntimeError
        ok = t.send_reply(request, reply)
        if ok:
            status = getattr(reply, "status", 0)
            if status >= 200:
                request.attrs["final_reply_sent"] = status
        return ok

    def resolve(self, uri_or_host: Any, port: int | None = None,
                transport: str | None = None) -> Destination | None:
        """Destination for a URI or host: the transport's resolver when attached, else
        literals and ``localhost`` only (no DNS)."""
        t = self._transport
        if t is not None:
            fn = getattr(t, "resolve", None)
            if fn is not None:
                return fn(uri_or_host, port, transport)
        return resolve_literal(uri_or_host, port, transport)

    def is_myself(self, host: str, port: int | None = None) -> bool:
        """True when ``host`` (and ``port``, if given) names this server (listen + alias).

        Hot path (``uri == myself``, loose_route() twice per in-dialog
        request): answers are remembered per (host, port) for the current
        listen/alias table; the dict is bounded because hosts come from the
        network.
        """
        hits = self._myself_hits
        key = (host, port)
        hit = hits.get(key)
        if hit is None:
            hit = self._myself.match(host, port)
            if len(hits) >= 1024:
                hits.clear()
            hits[key] = hit
        return hit


class ModuleEnv:
    """The view of ``ServerEnv`` one module gets (``mod_init(env)`` etc.).

    Everything not defined here is read from the ServerEnv, so ``env.send``,
    ``env.stats``, ``env.call_later`` ... work the same.
    """

    def __init__(self, server: ServerEnv, name: str):
        self.server = server
        self.module = name
        self.log = get_logger(name)

    @property
    def params(self) -> dict[str, Any]:
        """This module's resolved modparams (defaults merged)."""
        return self.server.params.get(self.module, {})

    def api(self, name: str) -> Any:
        """API of a module this one declared in ``depends`` or ``after``; ModuleAPIError otherwise."""
        modset = self.server.modset
        mod = modset.get(self.module) if modset is not None else None
        allowed = set(mod.depends) | set(mod.after) if mod is not None else set()
        if name not in allowed:
            raise ModuleAPIError(f"module {self.module} asked for the API of {name} without "
                                 f"declaring it (add {name!r} to depends or after of {self.module})")
        return self.server._get_api(name, caller=self.module)

    def stat_inc(self, name: str, n: int = 1) -> int:
        """Shorthand for ``env.stats.inc(<this module>, name, n)``."""
        return self.server.stats.inc(self.module, name, n)

    # The ServerEnv attributes modules read per message, as properties: a
    # class-level lookup, where ``__getattr__`` first fails the normal lookup
    # (an AttributeError raised and caught) and then runs Python code.
    listen = property(lambda self: self.server.listen, doc="The ServerEnv's listen sockets.")
    core = property(lambda self: self.server.core, doc="The resolved ``[core]`` parameters.")
    stats = property(lambda self: self.server.stats, doc="The server's Stats.")
    script = property(lambda self: self.server.script, doc="The compiled route script.")
    aliases = property(lambda self: self.server.aliases, doc="The ``alias`` entries.")

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(self.server, attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr in ("server", "module", "log"):
            object.__setattr__(self, attr, value)
        else:
            setattr(self.server, attr, value)

    def __repr__(self) -> str:
        return f"<ModuleEnv {self.module}>"


class _MyselfTable:
    """Host/port pairs of this server: listen addresses (and advertised), aliases."""

    def __init__(self, listen: list[ListenSocket], aliases: list[str]):
        self.entries: list[tuple[str, int | None]] = []
        for ls in listen:
            self.entries.append((_norm_host(ls.ip), ls.port))
            if ls.advertised_host:
                self.entries.append((_norm_host(ls.advertised_host), ls.advertised_port or ls.port))
        for alias in aliases:
            if alias.startswith("["):
                end = alias.find("]")
                host, rest = alias[1:end], alias[end + 1:]
                port = int(rest[1:]) if rest.startswith(":") else None
            else:
                host, _, p = alias.partition(":")
                port = int(p) if p else None
            self.entries.append((_norm_host(host), port))

    def match(self, host: str, port: int | None) -> bool:
        # hot path (``uri == myself`` on every request): _norm_host is cached
        h = _norm_host(host)
        for eh, ep in self.entries:
            if eh == h and (port is None or ep is None or ep == port):
                return True
        return False


@lru_cache(maxsize=4096)   # hot path: ipaddress parsing costs ~10 µs
def _norm_host(host: str) -> str:
    h = host.strip().lower().rstrip(".")
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    try:
        return str(ipaddress.ip_address(h))
    except ValueError:
        return h


def resolve_literal(uri_or_host: Any, port: int | None = None,
                    transport: str | None = None) -> Destination | None:
    """Resolve an IP literal or ``localhost`` (a Uri object, ``"sip:..."`` text or a host)."""
    host = uri_or_host
    proto = transport
    if not isinstance(uri_or_host, str):          # a Uri object
        host = getattr(uri_or_host, "host", None)
        port = port or getattr(uri_or_host, "port", None)
        params = getattr(uri_or_host, "params", {}) or {}
        proto = proto or params.get("transport")
    elif ":" in uri_or_host and uri_or_host.split(":", 1)[0].lower() in ("sip", "sips"):
        rest = uri_or_host.split(":", 1)[1]
        rest = rest.split("@", 1)[-1]
        rest, _, params = rest.partition(";")
        for p in params.split(";"):
            k, _, v = p.partition("=")
            if k.lower() == "transport" and v:
                proto = proto or v
        host = rest
        if host.startswith("["):
            end = host.find("]")
            tail = host[end + 1:]
            host = host[1:end]
            if tail.startswith(":") and tail[1:].isdigit():
                port = port or int(tail[1:])
        elif ":" in host:
            host, _, p = host.partition(":")
            if p.isdigit():
                port = port or int(p)
    if not host:
        return None
    host = host.strip("[]")
    if host.lower() == "localhost":
        host = "127.0.0.1"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    af = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    return Destination((proto or "udp").lower(), str(ip), port or 5060, af)
