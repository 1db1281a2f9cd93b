"""Building messages locally: replies to a received request.

RFC 3261 §8.2.6.2: a response copies From, Call-ID, CSeq and every Via (in
order) from the request, and To -- adding a tag when the request had none and
the response is not a 100.  §8.2.6.1: a 100 Trying copies Timestamp.  The
headers are copied as text, so a reply can still be built from the
``partial`` of a SipParseError whose Via or To would not parse.
"""
from __future__ import annotations

import re

from .message import SipRequest, SipResponse, line_value
from .status import reason_phrase

# to-param ";tag=" with optional LWS; a fallback when To does not parse.
_TAG_RE = re.compile(r";\s*tag\s*=", re.IGNORECASE)

_COPIED = ("via", "from", "to", "call-id", "cseq")


def _has_tag(request: SipRequest, to_value: str) -> bool:
    try:
        to = request.to
    except ValueError:                       # SipParseError is a ValueError
        to = None
    if to is not None:
        return to.tag is not None
    return _TAG_RE.search(to_value) is not None


def make_response(request: SipRequest, status: int, reason: str | None = None, *,
                  to_tag: str | None = None) -> SipResponse:
    """Return a response to *request* with Via, From, To, Call-ID, CSeq copied.

    Called by sl/tm (and by the server for a 400 to a malformed request).
    *to_tag* is appended to To when the request's To has no tag (ignored for a
    100).  The response has ``Content-Length: 0`` and ``raw`` None.
    """
    resp = SipResponse(status, reason_phrase(status) if reason is None else reason,
                       request.version if request.version.upper() == "SIP/2.0" else "SIP/2.0")
    keys = request._keys
    lines = request._lines
    out_keys = resp._keys
    out_lines = resp._lines
    for key in _COPIED:
        if key not in keys:
            continue
        for i in request._positions(key):
            value = line_value(lines[i])
            if key == "to" and to_tag and status > 100 and not _has_tag(request, value):
                value = f"{value};tag={to_tag}"
            out_keys.append(key)
            out_lines.append(f"{_NAMES[key]}: {value}")
    if status == 100 and "timestamp" in keys:
        for i in request._positions("timestamp"):
            out_keys.append("timestamp")
            out_lines.append(f"Timestamp: {line_value(lines[i])}")
    out_keys.append("content-length")
    out_lines.append("Content-Length: 0")
    return resp


_NAMES = {"via": "Via", "from": "From", "to": "To", "call-id": "Call-ID", "cseq": "CSeq"}
