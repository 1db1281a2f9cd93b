"""Regex functions of textops: search, replace and sed-style subst.

Regexes from the script are POSIX extended, case-insensitive and
line-oriented (Kamailio compiles them with ``REG_EXTENDED|REG_ICASE|
REG_NEWLINE``): ``^``/``$`` match at line boundaries and ``.`` never matches
a newline.  ``search`` looks at the whole message; ``replace``, ``subst`` and
``search_append`` start after the start line, as in Kamailio, so the
Request-URI is only changed by ``subst_uri``.
"""
from __future__ import annotations

import functools
import re
from typing import Any

import structlog

from siprouter.modules.textops import msgtext
from siprouter.modules.textops.subst_expr import SubstExpr

log = structlog.get_logger("siprouter.modules.textops").bind(module="textops")


@functools.lru_cache(maxsize=512)
def _line_regex(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, (flags | re.MULTILINE | re.IGNORECASE) & ~re.DOTALL)


def posix_like(regex: re.Pattern[str] | str) -> re.Pattern[str]:
    """The script regex as Kamailio would run it (case-insensitive, per line)."""
    if isinstance(regex, str):
        return _line_regex(regex, 0)
    return _line_regex(regex.pattern, regex.flags & ~re.UNICODE)


def search(ctx: Any, regex: re.Pattern[str]) -> int:
    """1 when ``regex`` matches somewhere in the message, else -1."""
    return 1 if posix_like(regex).search(msgtext.message_text(ctx.msg)) else -1


def search_body(ctx: Any, regex: re.Pattern[str]) -> int:
    """1 when ``regex`` matches in the body; -1 on no match or no body."""
    body = msgtext.body_text(ctx.msg)
    if not body:
        return -1
    return 1 if posix_like(regex).search(body) else -1


def search_append(ctx: Any, regex: re.Pattern[str], text: str) -> int:
    """Insert ``text`` right after the first match (headers and body)."""
    whole = msgtext.message_text(ctx.msg)
    start = msgtext.header_offset(whole)
    m = posix_like(regex).search(whole, start)
    if not m:
        return -1
    return _commit(ctx, whole[:m.end()] + text + whole[m.end():])


def replace(ctx: Any, regex: re.Pattern[str], text: str) -> int:
    """Replace the first match (after the start line) with ``text``."""
    return _replace(ctx, regex, text, count=1)


def replace_all(ctx: Any, regex: re.Pattern[str], text: str) -> int:
    """Replace every match (after the start line) with ``text``."""
    return _replace(ctx, regex, text, count=0)


def replace_body(ctx: Any, regex: re.Pattern[str], text: str) -> int:
    """Replace the first match in the body with ``text``."""
    return _replace_in_body(ctx, regex, text, count=1)


def replace_body_all(ctx: Any, regex: re.Pattern[str], text: str) -> int:
    """Replace every match in the body with ``text``."""
    return _replace_in_body(ctx, regex, text, count=0)


def subst(ctx: Any, expr: SubstExpr) -> int:
    """sed-style substitution over headers and body: 1 if it matched, else -1."""
    whole = msgtext.message_text(ctx.msg)
    start = msgtext.header_offset(whole)
    new_tail, n = expr.apply(whole[start:], lambda: _ruri(ctx))
    if n == 0:
        return -1
    return _commit(ctx, whole[:start] + new_tail)


def subst_body(ctx: Any, expr: SubstExpr) -> int:
    """sed-style substitution over the body only."""
    body = msgtext.body_text(ctx.msg)
    new, n = expr.apply(body, lambda: _ruri(ctx))
    if n == 0:
        return -1
    msgtext.set_body_text(ctx.msg, new)
    return 1


def subst_uri(ctx: Any, expr: SubstExpr) -> int:
    """sed-style substitution on the Request-URI; 1 when it changed."""
    msg = ctx.msg
    if not msg.is_request:
        return -1
    old = _ruri(ctx)
    new, n = expr.apply(old, lambda: old)
    if n == 0:
        return -1
    from siprouter.core.sip import parse_uri
    try:
        msg.uri = parse_uri(new)
    except Exception as exc:  # the new text is not a URI
        log.error("subst_uri: result is not a valid URI", uri=new, error=str(exc))
        return -1
    return 1


def subst_user(ctx: Any, expr: SubstExpr) -> int:
    """sed-style substitution on the user part of the Request-URI."""
    msg = ctx.msg
    if not msg.is_request:
        return -1
    try:
        uri = msg.uri.copy()
    except Exception:
        return -1
    old = uri.user or ""
    new, n = expr.apply(old, lambda: _ruri(ctx))
    if n == 0:
        return -1
    uri.user = new or None
    msg.uri = uri
    return 1


def _ruri(ctx: Any) -> str:
    return str(ctx.msg.uri) if ctx.msg.is_request else ""


def _replace(ctx: Any, regex: re.Pattern[str], text: str, count: int) -> int:
    whole = msgtext.message_text(ctx.msg)
    start = msgtext.header_offset(whole)
    # a function replacement keeps backslashes in ``text`` literal
    new_tail, n = posix_like(regex).subn(lambda _m: text, whole[start:], count=count)
    if n == 0:
        return -1
    return _commit(ctx, whole[:start] + new_tail)


def _replace_in_body(ctx: Any, regex: re.Pattern[str], text: str, count: int) -> int:
    body = msgtext.body_text(ctx.msg)
    if not body:
        return -1
    new, n = posix_like(regex).subn(lambda _m: text, body, count=count)
    if n == 0:
        return -1
    msgtext.set_body_text(ctx.msg, new)
    return 1


def _commit(ctx: Any, text: str) -> int:
    """Apply an edited whole-message text; -1 when the result is not SIP."""
    if not msgtext.replace_message(ctx.msg, text):
        log.error("textops: edited message does not parse any more; unchanged")
        return -1
    return 1
