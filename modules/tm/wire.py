"""Wire-level helpers of the proxy core: building and adjusting SIP messages.

When: every branch tm sends (Via, Max-Forwards, Request-URI text), every
hop-by-hop ACK and CANCEL it generates (RFC 3261 §17.1.1.3, §9.1), every reply
it relays (its own Via removed) or generates.  What: small pure functions over
the message layer's objects; no state, no I/O.
"""
from __future__ import annotations

import re
from typing import Any


_make_response: Any = None


def make_reply(request: Any, status: int, reason: str | None, to_tag: str | None) -> Any:
    """Build a reply with the message layer's ``make_response`` (§8.2.6)."""
    global _make_response
    if _make_response is None:
        # imported once, not per reply: ``from package import name`` in a hot
        # function cost ~38 µs a call under load (importlib's _handle_fromlist)
        from siprouter.core.sip import make_response
        _make_response = make_response
    return _make_response(request, status, reason, to_tag=to_tag)


_parse_message: Any = None


class SentReply:
    """A reply tm generated, kept as the bytes it sent (``txn.uas_reply``).

    When: made by ``TmCore.reply`` right after the reply is built, before it
    is sent; it lives as long as the transaction.  Why: a generated reply is
    only ever resent (request retransmissions) or asked for its status and
    reason, so keeping the bytes is enough; a parsed message costs ~1 KB
    more per transaction (every suspended INVITE holds its 100 Trying).
    Anything else (``to``, ``get(...)``...) is read from a message parsed
    from the bytes on first use.
    """

    __slots__ = ("status", "reason", "_data", "_msg")

    is_request = False

    def __init__(self, msg: Any) -> None:
        self.status: int = msg.status
        self.reason: str = msg.reason
        self._data: bytes = msg.to_bytes()
        self._msg: Any = None

    def to_bytes(self) -> bytes:
        """The wire form, exactly as sent."""
        return self._data

    __bytes__ = to_bytes

    def __getattr__(self, name: str) -> Any:
        # only reached for names that are not slots: parse the bytes once
        if name.startswith("__"):
            raise AttributeError(name)
        msg = self._msg
        if msg is None:
            global _parse_message
            if _parse_message is None:
                from siprouter.core.sip import parse_message
                _parse_message = parse_message
            msg = self._msg = _parse_message(self._data)
        return getattr(msg, name)

    def __repr__(self) -> str:
        return f"<SentReply {self.status} {self.reason!r}>"


def strip_top_via(reply: Any) -> None:
    """Remove tm's own Via from a reply before relaying it (once)."""
    attrs = reply.attrs
    if attrs.get("tm.via_stripped"):
        return
    attrs["tm.via_stripped"] = True
    pop = getattr(reply, "pop_top_via", None)
    if pop is not None:
        pop()
        return
    vias = reply.get_all("Via")
    reply.remove_header("Via")
    for v in reversed(vias[1:]):
        reply.add_header("Via", v, first=True)


def _hop_headers(b: Any) -> list[str]:
    """Via, Max-Forwards and From shared by the ACK and CANCEL of a branch."""
    return [f"Via: {b.via}", "Max-Forwards: 70", f"From: {b.request.get('From')}"]


def build_cancel(b: Any, reason: str | None) -> bytes:
    """CANCEL for branch ``b`` (RFC 3261 §9.1): same R-URI, Via, Call-ID, From, To, Route."""
    req = b.request
    lines = [f"CANCEL {uri_text(req)} SIP/2.0", *_hop_headers(b),
             f"To: {req.get('To')}", f"Call-ID: {req.call_id}",
             f"CSeq: {req.cseq.number} CANCEL"]
    lines += [f"Route: {r}" for r in req.get_all("Route")]
    if reason:
        lines.append(f"Reason: {reason}")
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def build_ack(b: Any, reply: Any) -> bytes:
    """Hop-by-hop ACK for a non-2xx final reply (RFC 3261 §17.1.1.3)."""
    req = b.request
    lines = [f"ACK {uri_text(req)} SIP/2.0", *_hop_headers(b),
             f"To: {reply.get('To')}", f"Call-ID: {req.call_id}",
             f"CSeq: {req.cseq.number} ACK"]
    lines += [f"Route: {r}" for r in req.get_all("Route")]
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


_MF_RE = re.compile(rb"^(?:max-forwards)[ \t]*:[ \t]*(\d+)", re.IGNORECASE | re.MULTILINE)


def decrement_max_forwards(out: Any, msg: Any) -> None:
    """RFC 3261 §16.6 step 3 on a forwarded copy, unless the script already did it.

    Kamailio leaves Max-Forwards to the maxfwd module; decrementing again
    after ``mf_process_maxfwd_header()`` would count this hop twice, so tm
    only decrements a value still equal to the received one (and adds 70
    when the header is missing).
    """
    if msg.attrs.get("maxfwd.processed"):
        # the usual script ran mf_process_maxfwd_header(): only a header the
        # script removed since then is missing (no need to parse the value)
        if out.get("Max-Forwards") is None:
            out.add_header("Max-Forwards", "70")
        return
    mf = out.max_forwards
    if mf is None:
        out.add_header("Max-Forwards", "70")
        return
    if mf <= 0:
        return
    raw = getattr(msg, "raw", None)
    if raw:
        end = raw.find(b"\r\n\r\n")
        m = _MF_RE.search(raw, 0, len(raw) if end < 0 else end)
        if m is not None and int(m.group(1)) != mf:
            return          # changed by the script (maxfwd): already counted
    out.set_header("Max-Forwards", str(mf - 1))


def uri_text(msg: Any) -> str:
    """Request-URI as text without parsing it when the layer keeps the text."""
    text = getattr(msg, "uri_text", None)
    return text if isinstance(text, str) else str(msg.uri)


def sent_by(ls: Any) -> tuple[str, int]:
    """Advertised host/port of a listen socket (env's or the transport's kind)."""
    if ls is None:
        return "127.0.0.1", 5060
    host = getattr(ls, "via_host", None) or getattr(ls, "advertised_host", None) or ls.ip
    port = getattr(ls, "via_port", None) or getattr(ls, "advertised_port", None) or ls.port
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return host, port


def tag_of(nameaddr: Any) -> str | None:
    return nameaddr.tag if nameaddr is not None else None
