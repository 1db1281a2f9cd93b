"""Load-time error types of the route engine.

Everything the compiler finds wrong with a script becomes a :class:`ScriptError`
carrying the *real* source position (after includes and preprocessing).  The
compiler collects them all and raises one :class:`ScriptErrors` at the end, so
``siprouter check`` can print every problem in one go.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourcePos:
    """A position in a source file: 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class ScriptError(Exception):
    """One load-time problem: ``str(e) == "file:line:col: message: text"``.

    ``text`` is the offending source text (a function name, a PV, a literal);
    it is left out of the string form when empty.
    """

    def __init__(self, file: str, line: int, col: int, message: str, text: str = "") -> None:
        self.file = file
        self.line = line
        self.col = col
        self.message = message
        self.text = text
        super().__init__(str(self))

    @classmethod
    def at(cls, pos: SourcePos, message: str, text: str = "") -> "ScriptError":
        """Build an error at ``pos`` (a :class:`SourcePos`)."""
        return cls(pos.file, pos.line, pos.col, message, text)

    def __str__(self) -> str:
        head = f"{self.file}:{self.line}:{self.col}: {self.message}"
        return f"{head}: {self.text}" if self.text != "" else head

    def __reduce__(self):  # keep picklable despite the custom __init__
        return (ScriptError, (self.file, self.line, self.col, self.message, self.text))


class ScriptErrors(Exception):
    """All load-time errors of one script, in source order."""

    def __init__(self, errors: list[ScriptError]) -> None:
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class PVError(ValueError):
    """Raised while compiling a pseudo-variable or transformation; the
    compiler turns it into a :class:`ScriptError` at the PV's position."""
