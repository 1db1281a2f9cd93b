"""Writing xlog lines through structlog."""
from __future__ import annotations

from typing import Any

import structlog

from siprouter.modules.xlog.levels import method_for, parse_level

_fallback = structlog.get_logger("siprouter.xlog").bind(module="xlog")


def _logger() -> Any:
    try:
        from siprouter.core.log import get_logger
    except ImportError:  # core logging not available (early unit tests)
        return _fallback
    return get_logger("xlog")


def _context(ctx: Any) -> dict[str, Any]:
    """call_id and method of the routed message, as the core binds them."""
    msg = getattr(ctx, "msg", None)
    if msg is None:
        return {}
    out: dict[str, Any] = {}
    try:
        call_id = msg.get("Call-ID")
        if call_id:
            out["call_id"] = call_id
        out["method"] = msg.method if msg.is_request else (msg.cseq.method if msg.cseq else None)
    except Exception:
        pass
    return out


def emit(ctx: Any, level: int, text: str, facility: str | None = None) -> int:
    """Log ``text`` (already PV-formatted) at Kamailio ``level``; returns 1."""
    method, name = method_for(level)
    logger = _logger()
    extra = _context(ctx)
    if facility:
        extra["facility"] = facility
    # Kamailio formats usually end with "\n"; structlog adds its own line end
    getattr(logger, method)(text.rstrip("\r\n"), xlog_level=name, **extra)
    return 1


def log_at(ctx: Any, level: str | int, text: str, facility: str | None = None) -> int:
    """xlog with a level given at run time; -1 when it is not a valid level."""
    try:
        numeric = parse_level(level)
    except (ValueError, TypeError):
        _logger().error("xlog: invalid log level value", value=level)
        return -1
    return emit(ctx, numeric, text, facility)
