"""The control interface: JSON-RPC 2.0 over a Unix domain socket (Kamailio's jsonrpcs + kamcmd).

* :func:`start_rpc_server` / :meth:`RPCServer.stop` — run it on the server's loop;
* :class:`RPCError` — raise from an RPC implementation for a clean error answer;
* :func:`rpc_call` — blocking client (``siprouter rpc`` uses it).

See ``docs/rpc.md``.  Names are imported lazily so that the client (the
CLI) does not load asyncio and structlog.
"""
from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "RPCClientError": "client", "RPCRemoteError": "client", "rpc_call": "client",
    "rpc_request": "client",
    "RPCError": "errors", "PARSE_ERROR": "errors", "INVALID_REQUEST": "errors",
    "METHOD_NOT_FOUND": "errors", "INVALID_PARAMS": "errors", "INTERNAL_ERROR": "errors",
    "SERVER_ERROR": "errors",
    "DEFAULT_RPC_SOCKET": "paths", "socket_path": "paths",
    "RPCMethod": "registry", "RPCRegistry": "registry", "exported_name": "registry",
    "RPCServer": "server", "build_registry": "server", "start_rpc_server": "server",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{where}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
