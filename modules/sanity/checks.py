"""The individual sanity checks.

Each check takes the message (and the settings) and returns None when it
passes, or a :class:`Failure` naming the reply Kamailio would send (code,
reason, extra headers) -- ``code`` None means "fail without replying"
(Kamailio's ``FL_MSG_NOREPLY``: the message is too broken to answer).

Header views of the message layer are parsed lazily and raise
``SipParseError`` (a ``ValueError``) on first access; :func:`_get` turns that
into a "could not parse" result.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from siprouter.modules.sanity.credentials import (CredentialsError, digest_problem,
                                                  parse_credentials)
from siprouter.modules.sanity.flags import UriCheck

_BROKEN = object()


@dataclass(frozen=True)
class Failure:
    """Why a check failed and how to answer (code None: no reply)."""

    code: int | None
    reason: str
    headers: tuple[tuple[str, str], ...] = field(default=())


NO_REPLY = Failure(None, "")


@dataclass
class Settings:
    """Resolved modparams of the sanity module."""

    default_checks: int = 3047
    uri_checks: int = 7
    proxy_require: tuple[str, ...] = ()
    autodrop: int = 1
    noreply: int = 0
    size_checks: int = 0
    sizes: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SIZES))


DEFAULT_SIZES = {
    "size_message": 16384, "size_headers": 8192, "size_body": 8192, "size_header": 2048,
    "size_method": 32, "size_ruri": 256, "size_from_uri": 256, "size_to_uri": 256,
    "size_contact_uri": 256, "size_route_uri": 256, "size_path_uri": 256,
    "size_pai_uri": 256,
}


def _get(fn: Callable[[], Any]) -> Any:
    """Value of a lazy view, or ``_BROKEN`` when it does not parse."""
    try:
        return fn()
    except Exception:
        return _BROKEN


# -- request line --------------------------------------------------------------
def check_ruri_sip_version(msg: Any, s: Settings) -> Failure | None:
    """The request line must say SIP/2.0 (505 otherwise)."""
    if not msg.is_request:
        return None
    version = msg.version or ""
    _, slash, number = version.partition("/")
    if not slash:
        return NO_REPLY
    if number != "2.0":
        return Failure(505, "Version Not Supported (R-URI)")
    return None


_KNOWN_SCHEMES = ("sip", "sips", "tel", "tels", "urn")


def check_ruri_scheme(msg: Any, s: Settings) -> Failure | None:
    """The R-URI must parse (400) and use a scheme we handle (416)."""
    if not msg.is_request:
        return None
    uri = _get(lambda: msg.uri)
    if uri is _BROKEN:
        text = getattr(msg, "uri_text", "")
        scheme = text.split(":", 1)[0].lower() if ":" in text else ""
        if scheme and scheme not in _KNOWN_SCHEMES and re.match(r"^[a-z][a-z0-9+.\-]*$", scheme):
            return Failure(416, "Unsupported URI Scheme in Request URI")
        return Failure(400, "Bad Request URI")
    if (uri.scheme or "").lower() not in _KNOWN_SCHEMES:
        return Failure(416, "Unsupported URI Scheme in Request URI")
    return None


# -- required headers ------------------------------------------------------------
_QUADRUPLE = ("From", "To", "Call-ID", "CSeq")


def check_required_headers(msg: Any, s: Settings) -> Failure | None:
    """From, To, Call-ID, CSeq and Via present; From/To/Call-ID/CSeq once.

    Kamailio fails these silently; siprouter answers 400 whenever the top
    Via is usable, as RFC 4475 (insuf, multi01) expects of a proxy.
    """
    can_reply = _get(lambda: msg.top_via) not in (None, _BROKEN)
    missing = [name for name in _QUADRUPLE + ("Via",) if not msg.has(name)]
    if missing:
        if not can_reply:
            return NO_REPLY
        return Failure(400, "Missing Required Header: " + ", ".join(missing))
    repeated = [name for name in _QUADRUPLE if msg.count(name) > 1]
    if repeated:
        return Failure(400 if can_reply else None,
                       "Duplicate Header: " + ", ".join(repeated))
    if not can_reply:
        return NO_REPLY  # a Via we cannot parse
    return None


def check_via1_header(msg: Any, s: Settings) -> Failure | None:
    """The top Via parses and has a host and a branch (no reply)."""
    via = _get(lambda: msg.top_via)
    if via in (None, _BROKEN) or not via.host or not via.branch:
        return NO_REPLY
    return None


def check_rfc3261_compliance(msg: Any, s: Settings) -> Failure | None:
    """Magic-cookie branch; every Route and Record-Route URI has ``;lr``."""
    via = _get(lambda: msg.top_via)
    if via in (None, _BROKEN):
        return NO_REPLY
    if not (via.branch or "").startswith("z9hG4bK"):
        return NO_REPLY
    for view in (lambda: msg.record_routes, lambda: msg.routes):
        entries = _get(view)
        if entries is _BROKEN:
            return NO_REPLY
        for entry in entries:
            uri = _get(lambda: entry.uri)
            if uri is _BROKEN or "lr" not in {k.lower() for k in uri.params}:
                return NO_REPLY
    return None


# -- CSeq ---------------------------------------------------------------------------
def _cseq_parts(msg: Any) -> tuple[str, str] | None:
    raw = msg.get("CSeq")
    if raw is None:
        return None
    parts = raw.split()
    number = parts[0] if parts else ""
    method = parts[1] if len(parts) > 1 else ""
    return number, method


def check_cseq_method(msg: Any, s: Settings) -> Failure | None:
    """The CSeq method equals the request method (case-sensitive)."""
    parts = _cseq_parts(msg)
    if parts is None:
        return NO_REPLY
    number, method = parts
    if not method:
        return Failure(400, "Missing method in CSeq header")
    if msg.is_request and method != msg.method:
        return Failure(400, "CSeq method does not match request method")
    return None


def check_cseq_value(msg: Any, s: Settings) -> Failure | None:
    """The CSeq number is an unsigned integer below 2**31."""
    parts = _cseq_parts(msg)
    if parts is None:
        return NO_REPLY
    number = parts[0]
    if not number:
        return Failure(400, "Missing number in CSeq header")
    if not (number.isdigit() and number.isascii()) or int(number) >= 1 << 31:
        return Failure(400, "CSeq number is illegal")
    return None


# -- Content-Length, Expires ----------------------------------------------------------
def _received_body_length(msg: Any) -> int:
    """Bytes after the blank line in what was received (the body as sent)."""
    raw = getattr(msg, "raw", None)
    current = msg.to_bytes() if raw is None else raw
    for sep in (b"\r\n\r\n", b"\n\n"):
        cut = current.find(sep)
        if cut >= 0:
            return len(current) - cut - len(sep)
    return 0


def check_content_length(msg: Any, s: Settings) -> Failure | None:
    """Content-Length is a number and equals the size of the received body."""
    raw = msg.get("Content-Length")
    if raw is None:
        return None  # allowed on UDP; a stream framer would have rejected it
    value = raw.strip()
    if not (value.isdigit() and value.isascii()):
        return Failure(400, "Content-Length Failure")
    if getattr(msg, "raw", None) is None:
        return None  # built locally: serialisation writes a correct value
    if int(value) != _received_body_length(msg):
        return Failure(400, "Content-Length mis-match")
    return None


def check_expires_value(msg: Any, s: Settings) -> Failure | None:
    """Expires, when present, is an unsigned 32-bit integer."""
    raw = msg.get("Expires")
    if raw is None:
        return None
    value = raw.strip()
    if not value:
        return Failure(400, "Missing number in Expires header")
    if not (value.isdigit() and value.isascii()) or len(value) > 10 or int(value) > 1 << 32:
        return Failure(400, "Expires value is illegal")
    return None


# -- Proxy-Require ------------------------------------------------------------------
def check_proxy_require(msg: Any, s: Settings) -> Failure | None:
    """Every Proxy-Require option tag must be in modparam ``proxy_require``.

    Kamailio answers 420 with an Unsupported header naming the first
    unknown tag and looks only at the first Proxy-Require field; siprouter
    looks at all of them and lists every unknown tag.
    """
    if not msg.has("Proxy-Require"):
        return None
    tags = [t.strip() for value in msg.get_all("Proxy-Require") for t in value.split(",")]
    tags = [t for t in tags if t]
    if not tags:
        return Failure(400, "Bad Proxy Require Header")
    unknown = [t for t in dict.fromkeys(tags) if t not in s.proxy_require]
    if unknown:
        return Failure(420, "Bad Proxy Require Extension",
                       (("Unsupported", ", ".join(unknown)),))
    return None


# -- URIs ------------------------------------------------------------------------------
def check_parse_uris(msg: Any, s: Settings, uri_checks: int) -> Failure | None:
    """The URIs selected by ``uri_checks`` parse (R-URI, From, To, Contact)."""
    if uri_checks & UriCheck.RURI and msg.is_request:
        if _get(lambda: msg.uri) is _BROKEN:
            return Failure(400, "Bad Request URI")
    for flag, name, attr in ((UriCheck.FROM, "From", "from_"), (UriCheck.TO, "To", "to")):
        if not uri_checks & flag:
            continue
        if not msg.get(name):
            return NO_REPLY
        value = _get(lambda: getattr(msg, attr))
        if value in (None, _BROKEN) or _get(lambda: value.uri) is _BROKEN:
            return Failure(400, f"Invalid {name} Header")
    if uri_checks & UriCheck.CONTACT and msg.has("Contact"):
        star = _get(lambda: msg.contact_star)
        contacts = _get(lambda: msg.contacts)
        if star is _BROKEN or contacts is _BROKEN:
            return Failure(400, "Bad Contact Header")
        if not star and contacts and _get(lambda: contacts[0].uri) is _BROKEN:
            return Failure(400, "Bad Contact URI")
    return None


# -- credentials -----------------------------------------------------------------------
_NOT_APPLICABLE = Failure(None, "not a digest credential")


def _digest_verdict(msg: Any) -> Failure | None:
    """Shared part of the DIGEST and AUTHORIZATION checks."""
    values = msg.get_all("Authorization") + msg.get_all("Proxy-Authorization")
    for value in values:
        scheme = value.split(None, 1)[0].lower() if value.strip() else ""
        if scheme and scheme != "digest":
            return _NOT_APPLICABLE  # Basic etc.: not ours to judge
        try:
            _, params = parse_credentials(value)
        except CredentialsError:
            return Failure(400, "Bad Auth Header")
        problem = digest_problem(params)
        if problem:
            return Failure(400, problem)
    return None


def check_digest(msg: Any, s: Settings) -> Failure | None:
    """Digest credentials are complete; a non-digest scheme fails (no reply)."""
    return _digest_verdict(msg)


def check_authorization(msg: Any, s: Settings) -> Failure | None:
    """Like :func:`check_digest`, but other schemes pass."""
    verdict = _digest_verdict(msg)
    return None if verdict is _NOT_APPLICABLE else verdict


# -- tags ------------------------------------------------------------------------------
def _count_tags(value: str) -> int:
    """Number of ``tag`` parameters of a From/To value (outside <> and quotes)."""
    depth_quote = False
    outside = []
    in_angle = False
    for ch in value:
        if depth_quote:
            if ch == '"':
                depth_quote = False
            continue
        if ch == '"':
            depth_quote = True
        elif ch == "<":
            in_angle = True
        elif ch == ">":
            in_angle = False
        elif not in_angle:
            outside.append(ch)
            continue
        outside.append(" ")
    params = "".join(outside).split(";")[1:]
    return sum(1 for p in params if p.split("=", 1)[0].strip().lower() == "tag")


def check_duplicate_tags(msg: Any, s: Settings) -> Failure | None:
    """At most one tag parameter in From and in To."""
    for name, reason in (("From", "Many From Tag Params"), ("To", "Many To Tag Params")):
        value = msg.get(name)
        if value is None:
            return NO_REPLY
        if _count_tags(value) > 1:
            return Failure(400, reason)
    return None


# -- sizes ------------------------------------------------------------------------------
def check_sizes(msg: Any, s: Settings) -> Failure | None:
    """Size limits from the ``size_*`` modparams (0 disables one); no reply."""
    z = s.sizes
    data = msg.to_bytes()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")

    def over(limit_name: str, length: int) -> bool:
        limit = z.get(limit_name, 0)
        return limit > 0 and length > limit

    if over("size_message", len(data)) or over("size_body", len(body)):
        return NO_REPLY
    if over("size_headers", len(head) - len(lines[0])):
        return NO_REPLY
    if any(over("size_header", len(line)) for line in lines[1:]):
        return NO_REPLY
    if msg.is_request:
        if over("size_method", len(msg.method)) or over("size_ruri", len(getattr(msg, "uri_text", "") or "")):
            return NO_REPLY
    else:
        parts = _cseq_parts(msg)
        if parts and over("size_method", len(parts[1])):
            return NO_REPLY
    for attr, limit in (("from_", "size_from_uri"), ("to", "size_to_uri")):
        na = _get(lambda: getattr(msg, attr))
        if na in (None, _BROKEN):
            return NO_REPLY
        if over(limit, len(str(na.uri))):
            return NO_REPLY
    for attr, limit in (("contacts", "size_contact_uri"), ("routes", "size_route_uri"),
                        ("record_routes", "size_route_uri")):
        entries = _get(lambda: getattr(msg, attr))
        if entries is _BROKEN:
            return NO_REPLY
        if any(over(limit, len(str(e.uri))) for e in entries):
            return NO_REPLY
    for header, limit in (("Path", "size_path_uri"), ("P-Asserted-Identity", "size_pai_uri")):
        for value in msg.get_all(header):
            uri = _nameaddr_uri_text(value)
            if uri is None or over(limit, len(uri)):
                return NO_REPLY
    return None


def _nameaddr_uri_text(value: str) -> str | None:
    """The URI text of a name-addr / addr-spec value (None when unparsable)."""
    from siprouter.core.sip import NameAddr
    try:
        return str(NameAddr.parse(value).uri)
    except Exception:
        return None
