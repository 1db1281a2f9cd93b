"""sed-style substitution expressions: ``/regex/replacement/flags``.

Used by ``subst``, ``subst_uri``, ``subst_user`` and ``subst_body``.  The rules
follow Kamailio's core ``subst_parser``:

* the first character is the separator (anything but ``\\``); an escaped
  separator inside the regex or replacement is literal;
* flags: ``i`` case-insensitive, ``g`` replace every match (else only the
  first), ``s`` lets ``.`` match a newline (without it the regex works line by
  line: ``^``/``$`` match at line ends, as with POSIX ``REG_NEWLINE``);
* replacement escapes: ``\\0``..``\\9`` (groups, ``\\0`` = whole match),
  ``\\n`` ``\\r`` ``\\t`` ``\\\\`` ``\\$``, ``\\u`` (the current Request-URI);
  any other escaped character stands for itself.

Pseudo-variables inside the replacement are not supported (Kamailio allows
them); an unescaped ``$`` is rejected when the expression is parsed so that a
config relying on it fails at start-up rather than behaving differently.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable


class SubstSyntaxError(ValueError):
    """The expression cannot be parsed; the message says why."""


# A replacement is a list of tokens: literal text, a group number or "uri".
Token = tuple[str, object]

_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "$": "$"}


@dataclass(frozen=True)
class SubstExpr:
    """A parsed ``/re/repl/flags`` expression, ready to apply."""

    source: str
    regex: re.Pattern[str]
    tokens: tuple[Token, ...]
    replace_all: bool

    def apply(self, text: str, ruri: Callable[[], str] = lambda: "") -> tuple[str, int]:
        """Return ``(new_text, number_of_replacements)``."""
        count = 0

        def expand(m: re.Match[str]) -> str:
            nonlocal count
            count += 1
            out = []
            for kind, val in self.tokens:
                if kind == "text":
                    out.append(val)  # type: ignore[arg-type]
                elif kind == "group":
                    out.append(m.group(val) or "")  # type: ignore[arg-type]
                else:  # "uri"
                    out.append(ruri())
            return "".join(out)

        new = self.regex.sub(expand, text, count=0 if self.replace_all else 1)
        return new, count


def parse_subst(expr: str) -> SubstExpr:
    """Parse ``expr``; raises :class:`SubstSyntaxError` with the reason."""
    if len(expr) < 3:
        raise SubstSyntaxError(f"expression is too short: {expr!r}")
    sep = expr[0]
    if sep == "\\":
        raise SubstSyntaxError(f"invalid separator '\\' in {expr!r}")
    re_end = _find_separator(expr, 1, sep)
    if re_end < 0:
        raise SubstSyntaxError(f"no separator found: {expr!r}")
    regex_src = expr[1:re_end].replace("\\" + sep, sep)
    tokens, repl_end = _parse_replacement(expr, re_end + 1, sep)
    flags = re.MULTILINE
    replace_all = False
    for ch in expr[repl_end + 1:]:
        if ch == "i":
            flags |= re.IGNORECASE
        elif ch == "g":
            replace_all = True
        elif ch == "s":
            # Kamailio clears REG_NEWLINE: '.' matches '\n', ^/$ only at the ends
            flags = (flags & ~re.MULTILINE) | re.DOTALL
        else:
            raise SubstSyntaxError(f"unknown flag {ch!r} in {expr!r}")
    try:
        regex = re.compile(regex_src, flags)
    except re.error as exc:
        raise SubstSyntaxError(f"bad regular expression {regex_src!r}: {exc}") from None
    max_group = max((v for k, v in tokens if k == "group"), default=0)
    if max_group > regex.groups:  # type: ignore[operator]
        raise SubstSyntaxError(f"replacement uses group \\{max_group} but the regex "
                               f"has {regex.groups} in {expr!r}")
    return SubstExpr(expr, regex, tuple(tokens), replace_all)


def _find_separator(expr: str, start: int, sep: str) -> int:
    """Index of the next separator not preceded by a backslash, or -1."""
    for i in range(start, len(expr)):
        if expr[i] == sep and expr[i - 1] != "\\":
            return i
    return -1


def _parse_replacement(expr: str, start: int, sep: str) -> tuple[list[Token], int]:
    """Tokens of the replacement and the index of its closing separator."""
    tokens: list[Token] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            tokens.append(("text", "".join(buf)))
            buf.clear()

    i = start
    while i < len(expr):
        ch = expr[i]
        if ch == "\\" and i + 1 < len(expr):
            nxt = expr[i + 1]
            if nxt.isdigit():
                flush()
                tokens.append(("group", int(nxt)))
            elif nxt == "u":
                flush()
                tokens.append(("uri", None))
            else:
                buf.append(_SIMPLE_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        if ch == sep:
            flush()
            return tokens, i
        if ch == "$":
            raise SubstSyntaxError(
                f"pseudo-variables in the replacement are not supported "
                f"(escape '$' as '\\$'): {expr!r}")
        buf.append(ch)
        i += 1
    raise SubstSyntaxError(f"missing separator after the replacement: {expr!r}")
