"""Lexer: preprocessed script text -> list of tokens with real positions.

Runs once per script load.  Token kinds:

* ``ID``   identifiers and keywords (the parser tells them apart),
* ``INT``  decimal or ``0x`` hex integer literals (value: ``int``),
* ``STR``  single- or double-quoted strings, escapes already decoded,
* ``PV``   a whole pseudo-variable: ``$ru``, ``$hdr(From)``, ``$(avp(x)[*]{s.len})``,
* ``OP``   operators and punctuation,
* ``EOF``.

``#!define`` names are substituted here: an ``ID`` token that names a define
is replaced by the tokens of its value, all positioned at the identifier.
"""
from __future__ import annotations

from dataclasses import dataclass

from siprouter.core.routing.errors import ScriptError, SourcePos
from siprouter.core.routing.preprocess import Source

# longest first so that "==" wins over "="
_OPS = ("<<", ">>", "==", "!=", "=~", "!~", "<=", ">=", "&&", "||", ":=", "+=",
        "<", ">", "=", "+", "-", "*", "/", "%", "|", "&", "^", "~", "!", "(", ")",
        "{", "}", "[", "]", ";", ",", ":")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}
_MAX_DEFINE_DEPTH = 16


@dataclass(slots=True)
class Token:
    """One token.  ``start``/``end`` index the preprocessed text (raw slices)."""

    kind: str
    value: object
    pos: SourcePos
    start: int
    end: int
    text: str

    def __repr__(self) -> str:
        return f"Token({self.kind}, {self.value!r}, {self.pos})"


def scan_pv(text: str, i: int) -> int:
    """Return the end index of the pseudo-variable starting with ``$`` at ``i``.

    Used by the lexer and by the string formatter (``"a $ru b"``).  Returns
    ``i`` when no PV starts there (a lone ``$``).
    """
    n = len(text)
    j = i + 1
    if j < n and text[j] == "(":
        return _balanced(text, j)
    if j < n and text[j] == "?":
        return j + 1
    if j >= n or not (text[j].isalpha() or text[j] == "_"):
        return i
    while j < n and (text[j].isalnum() or text[j] == "_"):
        j += 1
    if j < n and text[j] == "(":
        return _balanced(text, j)
    return j


def _balanced(text: str, j: int) -> int:
    """End index just after the ``)`` matching the ``(`` at ``j`` (or len on EOF).

    Braces are counted too because a transformation argument may contain a
    parenthesis-free but brace-nested expression such as ``{s.select,0,(}``.
    """
    depth = 0
    brace = 0
    n = len(text)
    k = j
    while k < n:
        c = text[k]
        if c == "\n":
            return k  # a PV never spans lines; the parser reports it
        if c == "{":
            brace += 1
        elif c == "}" and brace:
            brace -= 1
        elif brace == 0 and c == "(":
            depth += 1
        elif brace == 0 and c == ")":
            depth -= 1
            if depth == 0:
                return k + 1
        k += 1
    return n


class Lexer:
    """Turns a :class:`Source` into tokens; errors are collected, not raised."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self.text = src.text
        self.errors: list[ScriptError] = []
        # start offset of every line, to map an offset to (file, line, col)
        self._line_starts = [0]
        for k, c in enumerate(self.text):
            if c == "\n":
                self._line_starts.append(k + 1)

    def pos(self, offset: int) -> SourcePos:
        """Map an offset in the preprocessed text to its real file position."""
        import bisect
        li = bisect.bisect_right(self._line_starts, offset) - 1
        col = offset - self._line_starts[li] + 1
        if 0 <= li < len(self.src.origins):
            f, line = self.src.origins[li]
        else:
            f, line = (self.src.origins[-1] if self.src.origins else ("<script>", 1))
        return SourcePos(f, line, col)

    def tokens(self) -> list[Token]:
        """Lex the whole text (with define substitution); ends with ``EOF``."""
        out: list[Token] = []
        for tok in self._raw(self.text, 0, None):
            self._substitute(tok, out, 0)
        end = len(self.text)
        out.append(Token("EOF", None, self.pos(end), end, end, ""))
        return out

    def _substitute(self, tok: Token, out: list[Token], depth: int) -> None:
        defs = self.src.defines
        if tok.kind != "ID" or tok.value not in defs:
            out.append(tok)
            return
        if depth > _MAX_DEFINE_DEPTH:
            self.errors.append(ScriptError.at(tok.pos, "recursive #!define", tok.value))
            return
        value = defs[tok.value]
        for sub in self._raw(value, 0, tok):
            self._substitute(sub, out, depth + 1)

    def _raw(self, text: str, base: int, at: Token | None):
        """Yield tokens of ``text``; ``at`` pins all positions to one token
        (used for define values)."""
        n = len(text)
        i = 0

        def mkpos(k: int) -> SourcePos:
            return at.pos if at is not None else self.pos(k)

        def mk(kind: str, value: object, s: int, e: int) -> Token:
            if at is not None:
                return Token(kind, value, at.pos, at.start, at.end, text[s:e])
            return Token(kind, value, mkpos(s), s, e, text[s:e])

        while i < n:
            c = text[i]
            if c in " \t\r\n\f\v":
                i += 1
                continue
            if c == "#":
                j = text.find("\n", i)
                i = n if j < 0 else j
                continue
            if c == "/" and text.startswith("//", i):
                j = text.find("\n", i)
                i = n if j < 0 else j
                continue
            if c == "/" and text.startswith("/*", i):
                j = text.find("*/", i + 2)
                if j < 0:
                    self.errors.append(ScriptError.at(mkpos(i), "unterminated comment", "/*"))
                    i = n
                else:
                    i = j + 2
                continue
            if c.isdigit():
                j = i
                if text.startswith(("0x", "0X"), i):
                    j = i + 2
                    while j < n and text[j] in "0123456789abcdefABCDEF":
                        j += 1
                    val = int(text[i + 2:j] or "0", 16)
                else:
                    while j < n and text[j].isdigit():
                        j += 1
                    val = int(text[i:j])
                if j < n and (text[j].isalpha() or text[j] == "_"):
                    # e.g. "10abc": keep it as one bad word for a clear error
                    k = j
                    while k < n and (text[k].isalnum() or text[k] in "_."):
                        k += 1
                    yield mk("BAD", text[i:k], i, k)
                    i = k
                    continue
                yield mk("INT", val, i, j)
                i = j
                continue
            if c.isalpha() or c == "_":
                j = i + 1
                while j < n and (text[j].isalnum() or text[j] == "_"):
                    j += 1
                yield mk("ID", text[i:j], i, j)
                i = j
                continue
            if c in "\"'":
                j = i + 1
                buf: list[str] = []
                closed = False
                while j < n:
                    d = text[j]
                    if d == "\\" and j + 1 < n:
                        e = text[j + 1]
                        if e == "\n":
                            j += 2
                            continue
                        # unknown escapes keep the backslash ("\d" in a regex); "\$"
                        # stays as is so that strings with PVs can tell it from a PV
                        buf.append(_ESCAPES.get(e, "\\" + e))
                        j += 2
                        continue
                    if d == c:
                        closed = True
                        break
                    if d == "\n":
                        break
                    buf.append(d)
                    j += 1
                if not closed:
                    self.errors.append(ScriptError.at(mkpos(i), "unterminated string", text[i:j]))
                    # already reported: the parser stays quiet about this token
                    yield mk("BAD", None, i, j)
                    i = j
                    continue
                yield mk("STR", "".join(buf), i, j + 1)
                i = j + 1
                continue
            if c == "$":
                j = scan_pv(text, i)
                if j == i:
                    yield mk("BAD", "$", i, i + 1)
                    i += 1
                    continue
                yield mk("PV", text[i:j], i, j)
                i = j
                continue
            for op in _OPS:
                if text.startswith(op, i):
                    yield mk("OP", op, i, i + len(op))
                    i += len(op)
                    break
            else:
                yield mk("BAD", c, i, i + 1)
                i += 1
