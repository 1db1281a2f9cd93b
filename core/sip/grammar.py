"""Small grammar helpers shared by the header parsers.

RFC 3261 §25.1::

    token       =  1*(alphanum / "-" / "." / "!" / "%" / "*"
                   / "_" / "+" / "`" / "'" / "~" )
    quoted-string  =  SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE
    quoted-pair    =  "\\" (%x00-09 / %x0B-0C / %x0E-7F)
"""
from __future__ import annotations

import re

_TOKEN_RE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")

#: "5060" -> 5060 for the decimal texts of ports, Content-Length and CSeq
#: numbers seen so far (bounded).  These repeat (5060 in nearly every Via and
#: URI, the usual body sizes, small CSeq numbers), and a dict hit costs far
#: less than int(); used by the fast paths as ``NUMBERS[text]`` with
#: ``number_of(text)`` on a KeyError.
NUMBERS: dict[str, int] = {}


def number_of(text: str) -> int:
    """``int(text)`` for a text of ASCII digits, remembered in NUMBERS.

    Called by the fast paths on a NUMBERS miss; the caller has checked the
    characters and checks the range.
    """
    value = int(text)
    if len(NUMBERS) < 4096 and len(text) < 12:
        NUMBERS[text] = value
    return value


def is_token(text: str) -> bool:
    """True when *text* is a non-empty RFC 3261 token.

    The common case (an upper-case method name) avoids the regex.
    """
    if text.isalpha() and text.isascii():
        return True
    return _TOKEN_RE.fullmatch(text) is not None


def quoted_end(text: str, start: int = 0) -> int:
    """Index of the DQUOTE closing the quoted string opened at *start*, or -1."""
    i = text.find('"', start + 1)
    while i > 0:
        # a quote preceded by an odd number of backslashes is escaped
        j = i - 1
        while j > start and text[j] == "\\":
            j -= 1
        if (i - 1 - j) % 2 == 0:
            return i
        i = text.find('"', i + 1)
    return -1


def unquote_string(inner: str) -> str:
    """Resolve quoted-pairs in the text between the quotes."""
    if "\\" not in inner:
        return inner
    out = []
    i = 0
    n = len(inner)
    while i < n:
        ch = inner[i]
        if ch == "\\" and i + 1 < n:
            out.append(inner[i + 1])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def quote_string(text: str) -> str:
    """Write *text* as a quoted-string, escaping ``"`` and ``\\``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def split_unquoted(text: str, sep: str, *, angles: bool = False) -> tuple[list[str], bool]:
    """Split *text* at *sep* outside quoted strings (and outside ``<...>`` when
    *angles*).  Returns the raw parts and whether the text ended inside an
    unterminated quoted string."""
    parts: list[str] = []
    start = 0
    in_quote = False
    in_angle = False
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if in_quote:
            if ch == "\\":
                i += 1                      # quoted-pair: skip the escaped char
            elif ch == '"':
                in_quote = False
        elif ch == '"':
            in_quote = True
        elif angles and ch == "<":
            in_angle = True
        elif angles and ch == ">":
            in_angle = False
        elif ch == sep and not in_angle:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts, in_quote
