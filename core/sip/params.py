"""Generic parameters: ``;name=value`` lists after Via, name-addr and URIs.

RFC 3261 §25.1::

    generic-param  =  token [ EQUAL gen-value ]
    gen-value      =  token / host / quoted-string

Names are stored in lower case (parameter names are case-insensitive, and a
lookup such as ``params["branch"]`` must not care how the sender spelled it);
values are kept exactly as written, a quoted-string keeps its quotes.  A
parameter without ``=value`` maps to ``None``.
"""
from __future__ import annotations

from .errors import SipParseError
from .grammar import split_unquoted


def split_outside_quotes(text: str, sep: str) -> list[str]:
    """Split *text* at *sep*, ignoring separators inside quoted strings."""
    if '"' not in text:
        return text.split(sep)
    parts, open_quote = split_unquoted(text, sep)
    if open_quote:
        raise SipParseError("Unterminated quoted string in parameters", kind="params")
    return parts


def parse_params(text: str, where: str, kind: str = "params") -> dict[str, str | None]:
    """Parse the text after the first ``;`` into an ordered dict.

    Called when a Via / name-addr is decoded.  Raises :class:`SipParseError`
    naming *where* for an empty parameter (``;;``) or a name with spaces.
    """
    if text.isprintable() and '"' not in text and " " not in text and "," not in text:
        # Fast path, the everyday shape (``branch=z9hG4bK..;rport``): nothing
        # to strip (no whitespace at all: isprintable() is False for every
        # character str.strip() would remove), no quoted strings, no comma.
        params = {}
        for item in text.split(";"):
            name, eq, value = item.partition("=")
            if not name:
                raise SipParseError(f"Bad parameter in {where}", kind=kind)
            params[name.lower()] = value if eq else None
        return params
    params: dict[str, str | None] = {}
    for item in split_outside_quotes(text, ";"):
        eq = item.find("=")
        if eq < 0:
            name = item.strip()
            value = None
        else:
            name = item[:eq].strip()
            value = item[eq + 1:].strip()
        if not name or " " in name or "\t" in name or "," in name:
            raise SipParseError(f"Bad parameter in {where}", kind=kind)
        params[name.lower()] = value
    return params


def ascii_class(excluded: str) -> str:
    """A regex character class: the visible ASCII characters (``!`` to ``~``)
    minus those in *excluded*.

    Used by the fast-path regexes instead of negated classes such as
    ``[^;\\s"]``: ``re`` compiles it to a plain bitmap, which costs far less
    per character than a class holding ``\\s`` (a Unicode lookup for every
    character).  It is stricter -- no controls, no non-ASCII -- which only
    sends such text to the general path.
    """
    chars = [chr(c) for c in range(0x21, 0x7F) if chr(c) not in excluded]
    return "[" + "".join("\\" + ch if ch in "\\]^-[" else ch for ch in chars) + "]"


#: a parameter name / value in the plain shape (see PLAIN_PARAM)
PLAIN_NAME = ascii_class(';=",')
PLAIN_VALUE = ascii_class(';",')
#: one generic-param in the plain shape the fast paths accept: a non-empty
#: name, an optional value, visible ASCII only (no blanks, quotes or commas)
#: (the optional value as "(?:=...|)": a BRANCH in sre, cheaper than the
#: REPEAT that "(?:=...)?" compiles to; same language and groups)
PLAIN_PARAM = PLAIN_NAME + "+(?:=" + PLAIN_VALUE + "*|)"


def plain_params(text: str) -> dict[str, str | None]:
    """``parse_params`` for text already matched as ``(?:PLAIN_PARAM;)*PLAIN_PARAM``.

    No checks left to do (nothing to strip, no quotes, no empty name), so
    this is only the split -- what ``parse_params`` returns for that text.
    """
    params: dict[str, str | None] = {}
    for item in text.split(";"):
        name, eq, value = item.partition("=")
        params[name.lower()] = value if eq else None
    return params


def format_params(params: dict[str, str | None]) -> str:
    """Serialise params back to ``;a=b;c`` form (empty string for none)."""
    if not params:
        return ""
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())
