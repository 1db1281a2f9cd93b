"""A small blocking client for the RPC socket (the CLI and tests use it)."""
from __future__ import annotations

import itertools
import json
import socket
from typing import Any

__all__ = ["RPCClientError", "RPCRemoteError", "rpc_call", "rpc_request"]

_ids = itertools.count(1)


class RPCClientError(Exception):
    """The server could not be reached or gave no usable answer."""


class RPCRemoteError(Exception):
    """The server answered with a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


def rpc_request(path: str, request: Any, timeout: float = 10.0) -> Any:
    """Send one request object (or batch) and return the decoded answer line.

    Raises RPCClientError when the socket cannot be reached, the server
    closes without answering, or the answer is not JSON.
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(path)
        except FileNotFoundError:
            raise RPCClientError(f"cannot connect to {path}: no such socket "
                                 "(is the server running?)") from None
        except ConnectionRefusedError:
            raise RPCClientError(f"cannot connect to {path}: connection refused "
                                 "(is the server running?)") from None
        except socket.timeout:
            raise RPCClientError(f"cannot connect to {path}: timed out") from None
        except OSError as exc:
            raise RPCClientError(f"cannot connect to {path}: {exc.strerror or exc}") from None
        data = (json.dumps(request) + "\n").encode("utf-8")
        chunks: list[bytes] = []
        try:
            sock.sendall(data)
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if chunk.endswith(b"\n") or b"\n" in chunk:
                    break
        except socket.timeout:
            raise RPCClientError(f"no answer from {path} within {timeout:g} s") from None
        except OSError as exc:
            raise RPCClientError(f"connection to {path} failed: {exc.strerror or exc}") from None
    finally:
        sock.close()
    raw = b"".join(chunks)
    line = raw.split(b"\n", 1)[0]
    if not line.strip():
        raise RPCClientError(f"{path} closed the connection without an answer")
    try:
        return json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RPCClientError(f"bad answer from {path}: {exc}") from None


def rpc_call(path: str, method: str, params: Any = None, timeout: float = 10.0) -> Any:
    """Call ``method`` with ``params`` (list or dict); returns the result.

    Raises RPCRemoteError for an error answer, RPCClientError for a transport problem.
    """
    req: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": next(_ids)}
    if params is not None:
        req["params"] = list(params) if isinstance(params, tuple) else params
    answer = rpc_request(path, req, timeout)
    if not isinstance(answer, dict):
        raise RPCClientError(f"bad answer from {path}: not a JSON-RPC response")
    if "error" in answer:
        err = answer.get("error") or {}
        if not isinstance(err, dict):
            raise RPCClientError(f"bad answer from {path}: malformed error")
        raise RPCRemoteError(int(err.get("code", 0) or 0), str(err.get("message", "")),
                             err.get("data"))
    if "result" not in answer:
        raise RPCClientError(f"bad answer from {path}: no result")
    return answer["result"]
