"""RPC error type and the JSON-RPC 2.0 error codes used by siprouter."""
from __future__ import annotations

from typing import Any

__all__ = ["RPCError", "PARSE_ERROR", "INVALID_REQUEST", "METHOD_NOT_FOUND", "INVALID_PARAMS",
           "INTERNAL_ERROR", "SERVER_ERROR"]

#: JSON-RPC 2.0 (section 5.1) codes
PARSE_ERROR = -32700          # the line is not valid JSON
INVALID_REQUEST = -32600      # not a request object, too large, bad "params" type
METHOD_NOT_FOUND = -32601     # no such method
INVALID_PARAMS = -32602       # the params do not fit the method's signature, bad filter ...
INTERNAL_ERROR = -32603       # the method raised an unexpected exception / bad result
SERVER_ERROR = -32000         # the method refused the call (RPCError, ValueError, LookupError)


class RPCError(Exception):
    """Raise from an RPC implementation to answer with a JSON-RPC error object.

    ``message`` is shown to the client as is; ``code`` defaults to -32000
    (a server-defined error); ``data`` is optional extra JSON.
    """

    def __init__(self, message: str, code: int = SERVER_ERROR, data: Any = None):
        super().__init__(message)
        self.message = message
        self.code = int(code)
        self.data = data

    def to_json(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err
