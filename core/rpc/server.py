"""The RPC server: JSON-RPC 2.0 on a Unix stream socket, served on the server's event loop.

::

    rpc = await start_rpc_server(env)            # None when [core] rpc_socket = ""
    ...
    await rpc.stop()

One request a line (newline-delimited JSON), one answer a line, in order,
per connection; connections are served concurrently.  A line longer than
``max_request`` bytes is answered with an error and the connection closed.
Methods run on the loop thread (see ``registry`` for the calling
convention).  The socket file is created with mode 0600 and removed on stop.
"""
from __future__ import annotations

import asyncio
import errno
import os
import socket
import stat as _stat
import time
from typing import Any

from siprouter.core.errors import StartupError
from siprouter.core.log import get_logger
from siprouter.core.rpc.builtin import add_builtin_methods
from siprouter.core.rpc.errors import INVALID_REQUEST, RPCError
from siprouter.core.rpc.paths import DEFAULT_RPC_SOCKET, check_path, socket_path
from siprouter.core.rpc.protocol import encode, error_response, handle_line
from siprouter.core.rpc.registry import RPCRegistry

__all__ = ["RPCServer", "build_registry", "start_rpc_server", "MAX_REQUEST", "MAX_CONNECTIONS",
           "IDLE_TIMEOUT"]

MAX_REQUEST = 64 * 1024        # bytes in one request line
MAX_CONNECTIONS = 32           # clients served at once
IDLE_TIMEOUT = 300.0           # seconds a connection may sit without a request


def build_registry(env: Any, started: float | None = None) -> RPCRegistry:
    """The built-in methods plus every loaded module's RPCs; StartupError on a duplicate name."""
    registry = RPCRegistry()
    add_builtin_methods(registry, env, time.time() if started is None else started)
    modset = getattr(env, "modset", None)
    if modset is not None:
        registry.add_modules(modset.ordered, env)
    return registry


class RPCServer:
    """A running RPC listener; ``await stop()`` closes it and removes the socket file."""

    def __init__(self, env: Any, path: str, registry: RPCRegistry, *,
                 max_request: int = MAX_REQUEST, max_connections: int = MAX_CONNECTIONS,
                 idle_timeout: float = IDLE_TIMEOUT):
        self.env = env
        self.path = path
        self.registry = registry
        self.max_request = max_request
        self.max_connections = max_connections
        self.idle_timeout = idle_timeout
        self.log = get_logger("rpc")
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._inode: tuple[int, int] | None = None
        self.requests = 0

    # -- life cycle ----------------------------------------------------------------------
    async def start(self) -> "RPCServer":
        sock = _bind(self.path)
        try:
            st = os.stat(self.path)
            self._inode = (st.st_dev, st.st_ino)
            self._server = await asyncio.start_unix_server(
                self._serve_client, sock=sock, limit=self.max_request + 1)
        except BaseException:
            sock.close()
            self._unlink()
            raise
        self.log.info("rpc listening", socket=self.path, methods=len(self.registry))
        return self

    @property
    def running(self) -> bool:
        return self._server is not None

    async def stop(self) -> None:
        """Stop accepting, drop the connected clients, remove the socket file (idempotent)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._clients):
            task.cancel()
        if self._clients:
            await asyncio.gather(*self._clients, return_exceptions=True)
        try:
            await asyncio.wait_for(server.wait_closed(), 2.0)
        except (asyncio.TimeoutError, Exception):  # noqa: BLE001
            pass
        self._unlink()
        self.log.info("rpc stopped", socket=self.path)

    def _unlink(self) -> None:
        """Remove the socket file if it is still the one we created."""
        try:
            st = os.stat(self.path)
            if self._inode is None or (st.st_dev, st.st_ino) == self._inode:
                os.unlink(self.path)
        except OSError:
            pass

    # -- one client ----------------------------------------------------------------------
    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if len(self._clients) >= self.max_connections:
            writer.write(encode(error_response(RPCError(
                f"too many RPC clients (at most {self.max_connections})", INVALID_REQUEST))))
            await _close(writer)
            return
        if task is not None:
            self._clients.add(task)
        self._writers.add(writer)
        try:
            while True:
                try:
                    line = await asyncio.wait_for(reader.readuntil(b"\n"), self.idle_timeout)
                except asyncio.IncompleteReadError as exc:   # EOF: a last line without "\n"
                    if exc.partial.strip():
                        await self._answer(writer, exc.partial)
                    break
                except asyncio.LimitOverrunError:
                    writer.write(encode(error_response(RPCError(
                        f"request larger than {self.max_request} bytes", INVALID_REQUEST))))
                    await writer.drain()
                    break
                except asyncio.TimeoutError:
                    break
                if len(line) > self.max_request + 1:
                    writer.write(encode(error_response(RPCError(
                        f"request larger than {self.max_request} bytes", INVALID_REQUEST))))
                    await writer.drain()
                    break
                await self._answer(writer, line)
        except (ConnectionError, asyncio.CancelledError, BrokenPipeError):
            pass
        except Exception:  # noqa: BLE001 - a client must never take the server down
            self.log.error("rpc connection failed", exc_info=True)
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._clients.discard(task)
            await _close(writer)

    async def _answer(self, writer: asyncio.StreamWriter, line: bytes) -> None:
        self.requests += 1
        try:
            out = await handle_line(self.registry, line, self.log)
        except Exception:  # noqa: BLE001 - handle_line already turns method errors into answers
            self.log.error("rpc request failed", exc_info=True)
            out = encode(error_response(RPCError("internal error", -32603)))
        if out is not None:
            writer.write(out)
            await writer.drain()


async def _close(writer: asyncio.StreamWriter) -> None:
    try:
        writer.close()
        await asyncio.wait_for(writer.wait_closed(), 1.0)
    except (Exception, asyncio.CancelledError):  # noqa: BLE001
        pass


def _bind(path: str) -> socket.socket:
    """A listening Unix socket at ``path`` (mode 0600), replacing a stale socket file.

    StartupError when another process serves the path, when the path is not a
    socket, or when it cannot be created.
    """
    check_path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise StartupError(f"rpc_socket {path}: {exc.strerror or exc}") from None
    if st is not None:
        if not _stat.S_ISSOCK(st.st_mode):
            raise StartupError(f"rpc_socket {path}: exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(1.0)
        try:
            probe.connect(path)
        except (ConnectionRefusedError, FileNotFoundError):
            try:                                   # left behind by a server that died
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise StartupError(f"rpc_socket {path}: cannot remove the stale socket: "
                                   f"{exc.strerror or exc}") from None
        except OSError:
            pass                                   # let bind() report it
        else:
            raise StartupError(f"rpc_socket {path} is in use by another running process "
                               "(another siprouter?); set [core] rpc_socket to another path, "
                               "or to \"\" to turn the RPC interface off")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        os.chmod(path, 0o600)          # before listen(): nobody can connect in between
        sock.listen(16)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        why = exc.strerror or str(exc)
        if exc.errno == errno.EADDRINUSE:
            why = "address already in use"
        raise StartupError(f"rpc_socket {path}: cannot listen: {why}") from None
    return sock


async def start_rpc_server(env: Any, path: str | None = None, *, registry: RPCRegistry | None = None,
                           **options: Any) -> RPCServer | None:
    """Start the RPC interface on the running loop; ``None`` when it is turned off.

    ``path`` defaults to ``env.core["rpc_socket"]`` (``{port}`` = the port of
    the first listen socket, a relative path is relative to the config file's
    folder; a missing key or ``""`` means off).  The registry (built-in
    methods + every module's RPCs) is built here: a duplicate method name is
    a StartupError, as is a socket path in use or not creatable — except for
    the default ``rpc_socket`` value, where that is a logged warning and the
    server runs without RPC.  ``options``: ``max_request``,
    ``max_connections``, ``idle_timeout``.
    """
    lenient = False
    template: Any = None
    if path is None:
        core = getattr(env, "core", None) or {}
        template = core.get("rpc_socket", "")
        lenient = template == DEFAULT_RPC_SOCKET
    if registry is None:
        registry = build_registry(env)          # duplicate names: always an error
    try:
        if path is None:
            listen = getattr(env, "listen", None) or []
            port = getattr(listen[0], "port", None) if listen else None
            cfg_path = getattr(getattr(env, "cfg", None), "path", None)
            base = os.path.dirname(os.path.abspath(cfg_path)) if cfg_path else None
            path = socket_path(template, port, base)
            if path is None:
                return None
        return await RPCServer(env, os.fspath(path), registry, **options).start()
    except StartupError as exc:
        if not lenient:
            raise
        # the default socket (not configured explicitly) must not stop a SIP server:
        # another server on the same port number, a stale file of another user ...
        get_logger("rpc").warning("rpc interface not started (set [core] rpc_socket to "
                                  "choose another path)", error=str(exc))
        return None
