"""JSON-RPC 2.0 over newline-delimited JSON: one request (or batch) a line, one answer a line.

Sans-IO apart from awaiting the method: :func:`handle_line` takes the bytes
of one line and returns the bytes of the answer line (``None`` when nothing
is to be sent: notifications, blank lines).

Leniency: a request without ``"jsonrpc"`` is accepted (one typed by hand
into ``nc -U``); a wrong version is an Invalid Request.  A request without
``"id"`` is a notification and gets no answer, as the spec says.
"""
from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any

from siprouter.core.rpc.errors import (INTERNAL_ERROR, INVALID_REQUEST, PARSE_ERROR, RPCError)
from siprouter.core.rpc.registry import RPCRegistry

__all__ = ["handle_line", "handle_request", "encode", "error_response", "to_jsonable",
           "MAX_BATCH"]

MAX_BATCH = 100
_MISSING = object()


def to_jsonable(obj: Any) -> Any:
    """``json.dumps`` fallback: sets, dataclasses, enums, bytes, paths, other objects."""
    if isinstance(obj, (set, frozenset)):
        try:
            return sorted(obj)
        except TypeError:
            return list(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj).decode("utf-8", "replace")
    for attr in ("to_dict", "_asdict"):
        fn = getattr(obj, attr, None)
        if callable(fn):
            return fn()
    return str(obj)


def encode(obj: Any) -> bytes:
    """One answer line (compact JSON, non-ASCII kept, newline-terminated)."""
    return (json.dumps(obj, default=to_jsonable, ensure_ascii=False, separators=(",", ":"))
            + "\n").encode("utf-8")


def error_response(err: RPCError, id_: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": err.to_json(), "id": id_}


def _valid_id(id_: Any) -> bool:
    return id_ is None or (isinstance(id_, (str, int, float)) and not isinstance(id_, bool))


async def handle_request(registry: RPCRegistry, req: Any, log: Any = None) -> dict[str, Any] | None:
    """Answer one decoded request object (``None`` for a notification)."""
    if not isinstance(req, dict):
        return error_response(RPCError("a request must be a JSON object", INVALID_REQUEST))
    id_ = req.get("id", _MISSING)
    notification = id_ is _MISSING
    if notification:
        id_ = None
    elif not _valid_id(id_):
        return error_response(RPCError("\"id\" must be a string, a number or null",
                                       INVALID_REQUEST))
    try:
        if req.get("jsonrpc", "2.0") != "2.0":
            raise RPCError("\"jsonrpc\" must be \"2.0\"", INVALID_REQUEST)
        method = req.get("method")
        if not isinstance(method, str) or not method:
            raise RPCError("\"method\" must be a non-empty string", INVALID_REQUEST)
        params = req.get("params")
        if params is not None and not isinstance(params, (list, dict)):
            raise RPCError("\"params\" must be an array or an object", INVALID_REQUEST)
        impl = registry.lookup(method)
        if log is not None:
            log.debug("rpc call", method=method)
        result = await impl.call(params, log)
        answer = {"jsonrpc": "2.0", "result": result, "id": id_}
        try:
            json.dumps(answer, default=to_jsonable)
        except (TypeError, ValueError, RecursionError) as exc:
            raise RPCError(f"internal error in {method}: result is not JSON-serialisable: {exc}",
                           INTERNAL_ERROR) from None
    except RPCError as err:
        if log is not None:
            log.debug("rpc error", method=req.get("method"), code=err.code, error=err.message)
        answer = error_response(err, id_)
    return None if notification else answer


async def handle_line(registry: RPCRegistry, line: bytes, log: Any = None) -> bytes | None:
    """Answer one line: a request object or a batch (array) of them."""
    text = line.strip()
    if not text:
        return None
    try:
        req = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return encode(error_response(RPCError(f"parse error: {exc}", PARSE_ERROR)))
    if isinstance(req, list):
        if not req:
            return encode(error_response(RPCError("empty batch", INVALID_REQUEST)))
        if len(req) > MAX_BATCH:
            return encode(error_response(RPCError(f"batch of {len(req)} requests; at most "
                                                  f"{MAX_BATCH}", INVALID_REQUEST)))
        answers = [a for a in [await handle_request(registry, r, log) for r in req] if a is not None]
        return encode(answers) if answers else None
    answer = await handle_request(registry, req, log)
    return encode(answer) if answer is not None else None
