"""Route functions of textopsx (Kamailio's textopsx module, the useful part)."""
from __future__ import annotations

import fnmatch as _fnmatch
from typing import Any

import structlog

from siprouter.core.modsys import RouteType

log = structlog.get_logger("siprouter.modules.textopsx").bind(module="textopsx")


def msg_apply_changes(ctx: Any) -> int:
    """Make earlier edits visible to the rest of the script.

    siprouter edits the message object in place, so every change is already
    visible; the function only keeps Kamailio's usage rule: it is an error
    (-1) for a request outside ``request_route``.
    """
    msg = ctx.msg
    if msg.is_request and ctx.route_type != RouteType.REQUEST:
        log.error("msg_apply_changes: invalid usage - not in request route or a reply")
        return -1
    return 1


def remove_body(ctx: Any) -> int:
    """Drop the body (Content-Length becomes 0 on output); always 1."""
    if ctx.msg.body:
        ctx.msg.body = b""
    return 1


def change_reply_status(ctx: Any, code: int, reason: str) -> int:
    """Change a received reply's status code and reason phrase.

    The new code must be 100..699; when the old or the new code is below
    300 (provisional or success) the class must stay the same (Kamailio's
    rule: only negative final replies may be turned into each other).
    """
    msg = ctx.msg
    if msg.is_request:
        return -1
    if not 100 <= code <= 699 or not reason:
        log.error("change_reply_status: invalid status", code=code, reason=reason)
        return -1
    old = msg.status
    if (code < 300 or old < 300) and code // 100 != old // 100:
        log.error("change_reply_status: class change not allowed", old=old, new=code)
        return -1
    msg.status = code
    msg.reason = reason
    return 1


def fnmatch(ctx: Any, value: str, pattern: str, flags: str = "") -> int:
    """Shell-style wildcard match; flag ``i`` ignores case."""
    if "i" in flags:
        value, pattern = value.lower(), pattern.lower()
    return 1 if _fnmatch.fnmatchcase(value, pattern) else -1
