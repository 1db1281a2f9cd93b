"""Core keywords of route expressions: ``method``, ``uri``, ``src_ip``, ``myself``...

Getters run per evaluation and read the message directly.
"""
from __future__ import annotations

import socket
from typing import Any, Callable

import structlog

from siprouter.core.routing.values import to_str

log = structlog.get_logger("siprouter.routing")
Eval = Callable[[Any], Any]
NOT_CONST = object()


def _rcv_attr(attr: str) -> Eval:
    def get(ctx: Any) -> Any:
        rcv = getattr(ctx.msg, "rcv", None)
        return None if rcv is None else getattr(rcv, attr, None)
    return get


def _method(ctx: Any) -> Any:
    m = ctx.msg
    if getattr(m, "is_request", False):
        return m.method
    cseq = getattr(m, "cseq", None)
    return cseq.method if cseq is not None else None


def method_test(upper: str, negate: bool) -> Eval:
    """``method == "X"`` (``!=`` with ``negate``), ``upper`` the upper-cased constant.

    Reads the method as :func:`_method` does, in the same closure: the test
    runs in most scripts for every message.  Methods compare
    case-insensitively (the usual spelling is already upper-case).
    """
    yes, no = (0, 1) if negate else (1, 0)

    def method_is(ctx: Any) -> int:
        m = ctx.msg
        if getattr(m, "is_request", False):
            v = m.method
        else:
            cseq = getattr(m, "cseq", None)
            v = cseq.method if cseq is not None else None
        if v is None:
            return no
        return yes if (v == upper or v.upper() == upper) else no
    return method_is


def _uri(ctx: Any) -> Any:
    m = ctx.msg
    if not getattr(m, "is_request", False):
        return None
    return m.uri_text


def _status(ctx: Any) -> Any:
    r = ctx.reply
    if r is not None:
        return r.status
    return getattr(ctx.msg, "status", None)


def _hdr_uri(attr: str) -> Eval:
    def get(ctx: Any) -> Any:
        na = getattr(ctx.msg, attr, None)
        return None if na is None else str(na.uri)
    return get


def _proto(ctx: Any) -> Any:
    rcv = getattr(ctx.msg, "rcv", None)
    p = None if rcv is None else getattr(rcv, "proto", None)
    return p.lower() if isinstance(p, str) else p


def _msg_len(ctx: Any) -> int:
    raw = getattr(ctx.msg, "raw", None)
    return len(raw) if raw else len(ctx.msg.to_bytes())


_CONSTANTS: dict[str, Any] = {"udp": "udp", "tcp": "tcp", "tls": "tls", "sctp": "sctp",
                               "ws": "ws", "wss": "wss", "inet": int(socket.AF_INET),
                               "inet6": int(socket.AF_INET6)}


def keyword_constant(name: str) -> Any:
    """Value of a constant keyword (``udp``, ``INET6``...) or ``NOT_CONST``."""
    return _CONSTANTS.get(name, NOT_CONST)


def keyword_getter(name: str) -> Eval:
    """Run-time getter ``ctx -> value`` of a message keyword (``method``, ``uri``...)."""
    getters: dict[str, Eval] = {
        "method": _method, "uri": _uri, "status": _status,
        "src_ip": _rcv_attr("src_ip"), "src_port": _rcv_attr("src_port"),
        "dst_ip": _rcv_attr("dst_ip"), "dst_port": _rcv_attr("dst_port"),
        "af": _rcv_attr("af"), "proto": _proto,
        "from_uri": _hdr_uri("from_"), "to_uri": _hdr_uri("to"), "msg_len": _msg_len,
    }
    return getters[name]


def _host_port(value: str) -> tuple[str, int | None]:
    """Host and port of a URI (``sip:u@h:p;x``) or of a bare host/IP."""
    from siprouter.core.routing.transforms import parse_uri_parts
    if ":" in value and ("@" in value or value.lower().startswith(("sip:", "sips:", "tel:"))):
        p = parse_uri_parts(value)
        if p is not None:
            return p["host"].strip("[]"), int(p["port"]) if p["port"] else None
    return value.strip("[]"), None


def myself_test(lf: Eval, negate: bool) -> Eval:
    """``<expr> == myself``: host (and port) of the value checked by env.is_myself."""
    def is_myself(ctx: Any) -> int:
        v = lf(ctx)
        if v is None or ctx.env is None:
            return 1 if negate else 0
        host, port = _host_port(to_str(v))
        try:
            mine = bool(ctx.env.is_myself(host, port))
        except Exception:
            log.exception("is_myself failed", host=host)
            mine = False
        return 1 if mine != negate else 0
    return is_myself


def myself_uri_test(name: str, negate: bool) -> Eval:
    """``uri == myself`` and friends: host/port straight from the parsed URI."""
    if name == "uri":
        return _ruri_myself_test(negate)

    def is_myself(ctx: Any) -> int:
        m = ctx.msg
        try:
            if name == "uri":
                u = m.uri if m.is_request else None
            else:
                na = m.from_ if name == "from_uri" else m.to
                u = None if na is None else na.uri
        except Exception:
            u = None
        if u is None or ctx.env is None or u.host is None:
            return 1 if negate else 0
        try:
            mine = bool(ctx.env.is_myself(u.host.strip("[]"), u.port))
        except Exception:
            log.exception("is_myself failed", host=u.host)
            mine = False
        return 1 if mine != negate else 0
    return is_myself


def _ruri_myself_test(negate: bool) -> Eval:
    """``uri == myself``: :func:`myself_uri_test` for the Request-URI, the
    name test done at load time (the usual script runs it per request)."""
    yes, no = (0, 1) if negate else (1, 0)

    def ruri_is_myself(ctx: Any) -> int:
        m = ctx.msg
        try:
            u = m.uri if m.is_request else None
        except Exception:
            u = None
        if u is None:
            return no
        host = u.host
        env = ctx.env
        if env is None or host is None:
            return no
        try:
            mine = env.is_myself(host.strip("[]"), u.port)
        except Exception:
            log.exception("is_myself failed", host=host)
            mine = False
        return yes if mine else no
    return ruri_is_myself
