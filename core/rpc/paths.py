"""Where the RPC socket lives: the ``[core] rpc_socket`` value turned into a path.

``rpc_socket`` is a path template; ``{port}`` stands for the port of the
first ``listen`` entry (the real bound port when the server listens on port
0).  ``""`` turns the RPC interface off.  A relative path is relative to the
config file's folder, like ``routes`` and ``mpath``.  Unix socket paths are
limited to 107 bytes.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from siprouter.core.errors import StartupError

__all__ = ["DEFAULT_RPC_SOCKET", "MAX_PATH_BYTES", "socket_path", "check_path"]

DEFAULT_RPC_SOCKET = "/tmp/siprouter-{port}.sock"
MAX_PATH_BYTES = 107           # sun_path is 108 bytes on Linux, NUL included


def check_path(path: str) -> str:
    """StartupError when ``path`` cannot be a Unix socket path; returns it."""
    if "\0" in path:
        raise StartupError(f"rpc_socket {path!r}: NUL character in the path")
    size = len(os.fsencode(path))
    if size > MAX_PATH_BYTES:
        raise StartupError(f"rpc_socket {path}: path too long for a Unix socket "
                           f"({size} bytes, at most {MAX_PATH_BYTES})")
    return path


def socket_path(template: Any, port: int | None, base: Path | str | None = None) -> str | None:
    """The socket path for ``template`` (``None`` when it is ``""``: RPC off).

    ``port`` replaces ``{port}``; ``base`` anchors a relative path.
    Raises StartupError for a bad template.
    """
    if template is None or template == "":
        return None
    if not isinstance(template, str):
        raise StartupError(f"rpc_socket must be a string, got {template!r}")
    if "{port}" in template and not port:
        raise StartupError(f"rpc_socket {template!r} needs {{port}} but there is no known "
                           "listen port (pass the socket path explicitly)")
    rest = template.replace("{port}", "")
    if "{" in rest or "}" in rest:
        raise StartupError(f"rpc_socket {template!r}: the only placeholder is {{port}}")
    path = template.replace("{port}", str(port))
    if not os.path.isabs(path) and base is not None:
        path = os.path.join(os.fspath(base), path)
    return check_path(path)
