"""The registrar's replies: 200 OK listing the bindings, or the error status.

Kamailio sends them through sl's ``send_reply`` (``reg_send_reply``): on the
transaction when the script created one, else statelessly. We do the same:
tm's ``t_reply(ctx, code, reason, headers=...)`` when a transaction exists
and tm's API takes reply headers, else the core's ``make_response`` handed
to ``env.send_reply``.
The 200 OK carries one Contact header field listing every current binding
as ``<uri>;q=..;expires=N`` (RFC 3261 §10.3 step 8).
"""
from __future__ import annotations

import hashlib
import inspect
from typing import Any

from siprouter.modules.registrar.config import RegistrarConfig
from siprouter.modules.usrloc.contact import Contact

REASONS = {200: "OK", 400: "Bad Request", 420: "Bad Extension", 421: "Extension Required",
           423: "Interval Too Brief", 439: "First Hop Lacks Outbound Support",
           500: "Server Internal Error", 503: "Service Unavailable"}


def contact_list_value(contacts: list[Contact], now: float, cfg: RegistrarConfig) -> str | None:
    """The Contact header value listing ``contacts``, or None when there are none."""
    parts = []
    for c in contacts:
        text = f"<{c.uri}>"
        q = c.q_text()
        if q is not None:
            text += f";q={q}"
        text += f";expires={c.remaining(now)}"
        if c.received and cfg.received_param:
            text += f';{cfg.received_param}="{c.received}"'
        if c.instance:
            text += f";+sip.instance={c.instance}"
        if c.reg_id:
            text += f";reg-id={c.reg_id}"
        parts.append(text)
    return ", ".join(parts) or None


def local_to_tag(msg: Any) -> str:
    """A to-tag that is the same for retransmissions of one request (like sl's)."""
    via = msg.top_via
    seed = "|".join([msg.call_id or "", (msg.from_.tag if msg.from_ else "") or "",
                     (via.branch if via else "") or "", str(msg.cseq.number if msg.cseq else "")])
    return hashlib.md5(seed.encode()).hexdigest()[:16]


def build_reply(msg: Any, status: int, headers: list[tuple[str, str]], sl: Any = None) -> Any:
    """A reply to ``msg`` with ``headers`` appended (To tag added if missing).

    With sl's API the To tag is sl's, so sl recognises the ACK to an error reply.
    """
    from siprouter.core.sip import make_response  # core layer, imported lazily
    if msg.to is not None and msg.to.tag:
        to_tag = None
    else:
        to_tag = sl.totag(msg) if sl is not None else local_to_tag(msg)
    reply = make_response(msg, status, REASONS.get(status), to_tag=to_tag)
    for name, value in headers:
        reply.add_header(name, value)
    return reply


def tm_replies_with_headers(tm: Any) -> bool:
    """True when tm's API can send a stateful reply carrying extra headers."""
    fn = getattr(tm, "t_reply", None)
    if fn is None:
        return False
    try:
        return "headers" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def send_reply(ctx: Any, status: int, headers: list[tuple[str, str]], sl: Any = None,
               tm: Any = None) -> bool:
    """Send the registrar's reply to the REGISTER in ``ctx``; False if sending failed.

    ``tm`` is given only when it passed :func:`tm_replies_with_headers`.
    """
    if tm is not None and ctx.txn is not None:
        return tm.t_reply(ctx, status, REASONS.get(status), headers=headers) > 0
    try:
        reply = build_reply(ctx.msg, status, headers, sl)
        return bool(ctx.env.send_reply(ctx.msg, reply))
    except Exception as exc:  # noqa: BLE001 — a reply failure must not kill the route
        log = getattr(ctx.env, "log", None)
        if log is not None:
            log.error("registrar: failed to send reply", status=status, error=str(exc))
        return False
