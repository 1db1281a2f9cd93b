"""Header-field functions of textops: append/insert/remove/test headers.

All functions edit the message in place through the message layer's header
API (contracts §1), so the change is visible to the next function at once.
"""
from __future__ import annotations

import re
from typing import Any

import structlog

log = structlog.get_logger("siprouter.modules.textops").bind(module="textops")

# RFC 3261 token characters for a header name.
_HNAME = re.compile(r"^[A-Za-z0-9\-.!%*_+`'~]+$")


def split_header_text(text: str) -> list[tuple[str, str]] | None:
    """Split ``"Name: value\\r\\n[Name2: value2\\r\\n]"`` into (name, value) pairs.

    The trailing CRLF Kamailio's scripts always carry is optional here.  A
    continuation line (leading white space) is folded into the previous
    value.  Returns None when a line is not ``name: value``.
    """
    pairs: list[tuple[str, str]] = []
    for line in re.split(r"\r?\n", text):
        if not line.strip():
            continue
        if line[0] in " \t" and pairs:  # folded continuation
            name, value = pairs[-1]
            pairs[-1] = (name, f"{value} {line.strip()}")
            continue
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not _HNAME.match(name):
            return None
        pairs.append((name, value.strip()))
    return pairs


# RFC 3261 §7.3.3 compact forms (plus the common RFC 3515/3841/4028 ones),
# so that "f" and "From" name the same field.
_COMPACT = {"i": "call-id", "m": "contact", "e": "content-encoding",
            "l": "content-length", "c": "content-type", "f": "from", "s": "subject",
            "k": "supported", "t": "to", "v": "via", "r": "refer-to",
            "b": "referred-by", "o": "event", "u": "allow-events", "x": "session-expires",
            "a": "accept-contact", "j": "reject-contact", "d": "request-disposition",
            "y": "identity", "n": "identity-info"}


def same_name(a: str, b: str) -> bool:
    """Header names compare case-insensitively, compact forms folded."""
    a, b = a.lower(), b.lower()
    return _COMPACT.get(a, a) == _COMPACT.get(b, b)


def append_hf(ctx: Any, text: str, after: str | None = None) -> int:
    """Add the header line(s) in ``text`` at the end of the header, or after
    the *last* field named ``after`` (at the end when there is none)."""
    msg = ctx.msg
    pairs = split_header_text(text)
    if not pairs:
        log.error("append_hf: not a header line", text=text)
        return -1
    if after and msg.has(after):
        ref = after
        for name, value in pairs:
            msg.insert_header_after(ref, name, value)
            ref = name  # keep the lines in the given order
    else:
        for name, value in pairs:
            msg.add_header(name, value)
    return 1


def insert_hf(ctx: Any, text: str, before: str | None = None) -> int:
    """Insert the header line(s) in ``text`` before the *first* field named
    ``before`` (at the top of the header when not given or not present)."""
    msg = ctx.msg
    pairs = split_header_text(text)
    if not pairs:
        log.error("insert_hf: not a header line", text=text)
        return -1
    names = msg.header_names()
    pos = next((i for i, n in enumerate(names) if before and same_name(n, before)), 0)
    for offset, (name, value) in enumerate(pairs):
        insert_at(msg, pos + offset, name, value)
    return 1


def insert_at(msg: Any, pos: int, name: str, value: str) -> None:
    """Insert one field so that it becomes field number ``pos``.

    The message API only offers "append", "above the fields of the same
    name" and "after the last field of a name"; those cover nearly every
    case.  Otherwise the header is rebuilt in the wanted order (unchanged
    values, only their original spelling of white space is lost).
    """
    names = msg.header_names()
    if pos >= len(names):
        msg.add_header(name, value)
        return
    if pos == 0 and not msg.has(name):
        msg.add_header(name, value, first=True)
        return
    if pos > 0:
        prev = names[pos - 1]
        last_prev = max(i for i, n in enumerate(names) if same_name(n, prev))
        if last_prev == pos - 1:
            msg.insert_header_after(prev, name, value)
            return
    fields = list(msg.headers())
    fields.insert(pos, (name, value))
    for old in dict.fromkeys(names):
        msg.remove_header(old)
    for fname, fvalue in fields:
        msg.add_header(fname, fvalue)


def remove_hf(ctx: Any, name: str) -> int:
    """Remove every field named ``name``: 1 when one or more went, else -1."""
    return 1 if ctx.msg.remove_header(name) > 0 else -1


def is_present_hf(ctx: Any, name: str) -> int:
    """1 when a field named ``name`` is in the message, else -1."""
    return 1 if ctx.msg.has(name) else -1


def remove_hf_re(ctx: Any, regex: re.Pattern[str]) -> int:
    """Remove every field whose name matches ``regex``: 1 if any, else -1."""
    removed = 0
    for name in dict.fromkeys(ctx.msg.header_names()):  # unique, in order
        if regex.search(name):
            removed += ctx.msg.remove_header(name)
    return 1 if removed else -1


def is_present_hf_re(ctx: Any, regex: re.Pattern[str]) -> int:
    """1 when some header name matches ``regex``, else -1."""
    return 1 if any(regex.search(n) for n in ctx.msg.header_names()) else -1
