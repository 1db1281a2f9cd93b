"""Test functions of textops: is_method, has_body, starts_with and friends."""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import FixedArg, FixupError

# Methods Kamailio knows by id (parse_methods); only these may appear in an
# "A|B" list, a single unknown name is compared as text.
KNOWN_METHODS = frozenset({
    "INVITE", "CANCEL", "ACK", "BYE", "INFO", "REGISTER", "SUBSCRIBE", "NOTIFY",
    "MESSAGE", "OPTIONS", "PRACK", "UPDATE", "REFER", "PUBLISH", "KDMQ",
    "GET", "POST", "PUT", "DELETE",
})


def parse_method_list(text: str) -> frozenset[str]:
    """``"INVITE|REGISTER"`` (or ``,``-separated) -> upper-case names.

    Raises ValueError for an empty name, or for an unknown method inside a
    list (Kamailio accepts an unknown method only on its own).
    """
    names = [n.strip().upper() for n in text.replace(",", "|").split("|")]
    if not text.strip() or any(not n for n in names):
        raise ValueError(f"empty method name in {text!r}")
    if len(names) > 1:
        unknown = [n for n in names if n not in KNOWN_METHODS]
        if unknown:
            raise ValueError(f"unknown method {unknown[0]!r} in list {text!r} "
                             "(a list may hold only defined methods)")
    return frozenset(names)


def fixup_is_method(args: list[FixedArg], env: Any = None) -> None:
    """Load-time check of ``is_method``'s literal method list."""
    if args and isinstance(args[0].literal, str):
        try:
            parse_method_list(args[0].literal)
        except ValueError as exc:
            raise FixupError(str(exc)) from None


def _method_of(msg: Any) -> str | None:
    """The request method, or for a reply the method in its CSeq."""
    if msg.is_request:
        return msg.method
    try:
        cseq = msg.cseq
    except Exception:
        return None
    return cseq.method if cseq is not None else None


_method_cache: dict[str, frozenset[str]] = {}


def is_method(ctx: Any, methods: str) -> int:
    """1 when the message's method (CSeq method for replies) is in ``methods``."""
    wanted = _method_cache.get(methods)
    if wanted is None:
        try:
            wanted = parse_method_list(methods)
        except ValueError:
            return -1
        _method_cache[methods] = wanted
    method = _method_of(ctx.msg)
    if method is None:
        return -1
    return 1 if method.upper() in wanted else -1


def parse_mime(text: str) -> str:
    """``"application/sdp"`` -> normalised ``type/subtype``; ValueError if bad."""
    value = text.split(";", 1)[0].strip().lower()
    if "," in value:
        raise ValueError(f"multiple mimes not supported: {text!r}")
    kind, sep, sub = value.partition("/")
    if not sep or not kind.strip() or not sub.strip():
        raise ValueError(f"unsupported mime {text!r}")
    return f"{kind.strip()}/{sub.strip()}"


def fixup_has_body(args: list[FixedArg], env: Any = None) -> None:
    """Load-time check of ``has_body``'s literal MIME type."""
    if args and isinstance(args[0].literal, str) and args[0].literal:
        try:
            parse_mime(args[0].literal)
        except ValueError as exc:
            raise FixupError(str(exc)) from None


def has_body(ctx: Any, mime: str | None = None) -> int:
    """1 when Content-Length is non-zero (and the type is ``mime`` if given).

    Like Kamailio: no Content-Length header means no body (-1); a body
    without Content-Type counts as application/sdp (RFC 3261 default).
    """
    msg = ctx.msg
    try:
        length = msg.content_length
    except Exception:
        return -1
    if not length:
        return -1
    if not mime:
        return 1
    try:
        want = parse_mime(mime)
    except ValueError:
        return -1
    ctype = msg.get("Content-Type")
    have = "application/sdp" if ctype is None else _safe_mime(ctype)
    return 1 if have == want else -1


def _safe_mime(text: str) -> str | None:
    try:
        return parse_mime(text)
    except ValueError:
        return None


def starts_with(ctx: Any, text: str, prefix: str) -> int:
    """1 when ``text`` starts with ``prefix``.

    Otherwise -1 when ``text`` is shorter or sorts after the prefix, -2 when
    it sorts before (Kamailio's strncmp-based result).
    """
    if len(text) < len(prefix):
        return -1
    head = text[:len(prefix)]
    if head == prefix:
        return 1
    return -1 if head > prefix else -2


def ends_with(ctx: Any, text: str, suffix: str) -> int:
    """1 when ``text`` ends with ``suffix``; -1 shorter or sorts after, -2 before."""
    if len(text) < len(suffix):
        return -1
    tail = text[len(text) - len(suffix):]
    if tail == suffix:
        return 1
    return -1 if tail > suffix else -2


def cmp_str(ctx: Any, a: str, b: str) -> int:
    """1 when equal, -1 when ``a`` sorts after ``b``, -2 when before."""
    if a == b:
        return 1
    return -1 if a > b else -2


def cmp_istr(ctx: Any, a: str, b: str) -> int:
    """Case-insensitive :func:`cmp_str`."""
    return cmp_str(ctx, a.lower(), b.lower())
