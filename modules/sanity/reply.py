"""Stateless replies of the sanity module (Kamailio's ``sanity_reply`` path).

Replies go out like sl's: ``make_response`` + ``env.send_reply``; the To-tag
comes from the sl API when it offers ``totag(request)`` (so sl absorbs the
ACK to our negative reply), else from a hash of the request.  sl's own
``send`` cannot add the Unsupported header a 420 needs, hence the local
builder.
"""
from __future__ import annotations

import hashlib
from typing import Any

import structlog

from siprouter.modules.sanity.checks import Failure

log = structlog.get_logger("siprouter.modules.sanity").bind(module="sanity")

# msg.attrs key holding the (code, reason, headers) for sanity_reply() when
# modparam noreply=1 kept the module from answering itself.
PENDING_ATTR = "sanity_reply"

# the sl API object, bound by mod_init (None in unit tests without sl)
sl_api: dict[str, Any] = {"api": None}


def _fallback_totag(request: Any) -> str:
    via = _safe(lambda: request.top_via)
    key = "|".join((request.get("Call-ID") or "", request.get("From") or "",
                    request.get("CSeq") or "", getattr(via, "branch", None) or ""))
    return "sn-" + hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=6).hexdigest()


def _safe(fn: Any) -> Any:
    try:
        return fn()
    except Exception:
        return None


def _to_tag(request: Any) -> str:
    api = sl_api["api"]
    totag = getattr(api, "totag", None)
    if callable(totag):
        try:
            return totag(request)
        except Exception:  # sl could not hash a broken request
            pass
    return _fallback_totag(request)


def send(ctx: Any, code: int, reason: str, headers: tuple[tuple[str, str], ...] = ()) -> bool:
    """Answer ``ctx.msg`` statelessly; False when it could not be sent."""
    from siprouter.core.sip import make_response

    request = ctx.msg
    try:
        reply = make_response(request, code, reason, to_tag=_to_tag(request))
        for name, value in headers:
            reply.add_header(name, value)
        ok = bool(ctx.env.send_reply(request, reply))
    except Exception as exc:
        log.warning("sanity: failed to send reply", code=code, error=str(exc))
        return False
    if not ok:
        log.warning("sanity: failed to send reply", code=code)
    return ok


def handle_failure(ctx: Any, failure: Failure, noreply: bool) -> None:
    """Reply to a failed request as Kamailio's sanity_reply() wrapper does.

    Nothing is sent for replies, for ACK, or for a failure marked "no reply";
    with ``noreply`` the reply is only remembered for sanity_reply().
    """
    msg = ctx.msg
    if not msg.is_request or msg.method == "ACK" or failure.code is None:
        return
    if noreply:
        msg.attrs[PENDING_ATTR] = (failure.code, failure.reason, failure.headers)
        return
    send(ctx, failure.code, failure.reason, failure.headers)


def sanity_reply(ctx: Any, noreply: bool) -> int:
    """Send the reply a failed sanity_check() left behind (modparam noreply=1).

    1 when sent or nothing to do, -1 when sending failed.  Without recorded
    details it answers 500 "Server Sanity Failure", like Kamailio.
    """
    msg = ctx.msg
    if not msg.is_request or msg.method == "ACK" or not noreply:
        return 1
    pending = msg.attrs.pop(PENDING_ATTR, None)
    if pending is None:
        log.info("sanity: no sanity reply info set - sending 500")
        pending = (500, "Server Sanity Failure", ())
    code, reason, headers = pending
    return 1 if send(ctx, code, reason, headers) else -1
