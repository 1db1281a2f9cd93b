"""Header names: case folding, compact forms, and comma-separated values.

Every header field a message holds is indexed under a *key*: its name in lower
case with a compact form expanded (``"v"`` -> ``"via"``, ``"I"`` ->
``"call-id"``).  :func:`header_key` computes it; :func:`canonical_name` turns a
key back into the spelling used when we write a header ourselves.

RFC 3261 §7.3.1: header field names are case-insensitive, and a header that
allows a comma-separated list (``#element``) may be written as one line with
commas or as several lines -- the two are equivalent.  Only the headers listed
in :data:`COMMA_SPLIT` are split; everything else (WWW-Authenticate,
Authorization, Date, unknown extensions...) is kept whole, because a comma may be
part of its value.
"""
from __future__ import annotations

from .grammar import split_unquoted

# RFC 3261 §7.3.3 compact forms, plus those registered by later RFCs
# (3265/6665 Event o, Allow-Events u; 3515 Refer-To r; 3892 Referred-By b;
# 3841 Accept-Contact a, Reject-Contact j, Request-Disposition d;
# 4028 Session-Expires x; 4474/8224 Identity y, Identity-Info n).
COMPACT_FORMS: dict[str, str] = {
    "i": "call-id", "m": "contact", "e": "content-encoding", "l": "content-length",
    "c": "content-type", "f": "from", "s": "subject", "k": "supported", "t": "to",
    "v": "via", "o": "event", "u": "allow-events", "r": "refer-to", "b": "referred-by",
    "x": "session-expires", "y": "identity", "n": "identity-info", "a": "accept-contact",
    "j": "reject-contact", "d": "request-disposition",
}

_CANONICAL_LIST = [
    "Accept", "Accept-Contact", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow",
    "Allow-Events", "Authentication-Info", "Authorization", "Call-ID", "Call-Info", "Contact",
    "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length",
    "Content-Type", "CSeq", "Date", "Error-Info", "Event", "Expires", "From", "History-Info",
    "Identity", "Identity-Info", "In-Reply-To", "Max-Forwards", "MIME-Version", "Min-Expires",
    "Min-SE", "Organization", "P-Asserted-Identity", "P-Preferred-Identity", "Path",
    "Priority", "Privacy", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Require",
    "RAck", "Reason", "Record-Route", "Refer-To", "Referred-By", "Reject-Contact",
    "Reply-To", "Request-Disposition", "Require", "Retry-After", "Route", "RSeq",
    "Security-Client", "Security-Server", "Security-Verify", "Server", "Service-Route",
    "Session-Expires", "SIP-ETag", "SIP-If-Match", "Subject", "Subscription-State",
    "Supported", "Timestamp", "To", "Unsupported", "User-Agent", "Via", "Warning",
    "WWW-Authenticate",
]
#: key -> spelling we use when writing the header.
CANONICAL: dict[str, str] = {name.lower(): name for name in _CANONICAL_LIST}

#: Keys of headers whose grammar is a comma-separated list (``1#element``).
COMMA_SPLIT: frozenset[str] = frozenset({
    "accept", "accept-contact", "accept-encoding", "accept-language", "alert-info", "allow",
    "allow-events", "call-info", "contact", "content-encoding", "content-language",
    "error-info", "history-info", "in-reply-to", "p-asserted-identity",
    "p-preferred-identity", "path", "proxy-require", "reason", "record-route",
    "reject-contact", "request-disposition", "require", "route", "security-client",
    "security-server", "security-verify", "service-route", "supported", "unsupported",
    "via", "warning",
})

#: Keys of headers that may appear at most once (RFC 3261 §20 / RFC 4475 §3.3.8).
SINGLE_VALUE: tuple[str, ...] = (
    "call-id", "cseq", "from", "to", "max-forwards", "content-length", "content-type",
)

_KEY_CACHE: dict[str, str] = {}


def header_key(name: str) -> str:
    """Return the index key for a header name (lower case, compact form expanded).

    Runs on every header access by name, so results are memoised.
    """
    key = _KEY_CACHE.get(name)
    if key is None:
        key = name.strip().lower()
        key = COMPACT_FORMS.get(key, key)
        if len(_KEY_CACHE) < 4096:      # bounded: names come from code, but be safe
            _KEY_CACHE[name] = key
    return key


def canonical_name(key: str, written: str | None = None) -> str:
    """Return the full spelling for *key*; an unknown header keeps *written*."""
    name = CANONICAL.get(key)
    if name is not None:
        return name
    return written.strip() if written else key


def split_commas(value: str) -> list[str]:
    """Split a list-valued header value at top-level commas.

    Commas inside a quoted-string or inside ``<...>`` do not split (a display
    name "Bell, Alexander" or a URI with a comma in its user part).  Items are
    stripped; empty items are kept, so callers can reject ``a,,b`` when the
    grammar forbids it.
    """
    if "," not in value:
        return [value.strip()]
    if '"' not in value and "<" not in value:
        return [part.strip() for part in value.split(",")]
    parts, _ = split_unquoted(value, ",", angles=True)
    return [part.strip() for part in parts]
