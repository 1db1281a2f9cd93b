"""Preprocessor: ``#!`` directives and file inclusion, before lexing.

Runs once per script load.  It works line by line and never moves text
within a line: a directive line, a skipped ``#!ifdef`` branch or an include
line becomes an empty line in the output, and every output line remembers the
file and line it came from.  That is how error positions stay exact across
includes.  ``#!define`` *substitution* is not done here but by the lexer on
identifier tokens (Kamailio substitutes identifiers, not arbitrary text), so
columns stay right too.

Supported: ``#!define NAME [value]`` (a trailing ``\\`` continues the value),
``#!trydef``, ``#!redefine``, ``#!undef``, ``#!ifdef``, ``#!ifndef``,
``#!else``, ``#!endif``, ``#!subst "/re/repl/flags"`` and ``#!substdef``,
``include_file "path"`` / ``import_file "path"`` (also with ``#!`` in front;
relative to the including file; ``import_file`` of a missing file is
silently skipped) and the marker lines ``#!KAMAILIO``, ``#!SER``, ``#!OPENSER``,
``#!MAXCOMPAT``, ``#!ALL``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from siprouter.core.routing.errors import ScriptError

_MARKERS = {"KAMAILIO", "SER", "OPENSER", "MAXCOMPAT", "ALL"}
_MAX_INCLUDE_DEPTH = 32
_DIRECTIVE = re.compile(r"\s*#!([A-Za-z_]+)\s*(.*)$")
_INCLUDE = re.compile(r"\s*(?:#!)?(include_file|import_file)\s*\(?\s*(\"[^\"]*\"|'[^']*')\s*\)?\s*;?\s*$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Source:
    """The preprocessed script: its text plus where each line came from.

    ``origins[i]`` is ``(file, line)`` of output line ``i + 1``.
    ``defines`` maps every name defined at the end of preprocessing to its
    value (``""`` for a bare ``#!define NAME``) with the position of the
    definition, for the lexer's identifier substitution.
    """

    text: str
    origins: list[tuple[str, int]]
    defines: dict[str, str]
    errors: list[ScriptError] = field(default_factory=list)
    substs: list[tuple[re.Pattern, str, int]] = field(default_factory=list)


class _State:
    def __init__(self, defines: dict[str, str]) -> None:
        self.defines = dict(defines)
        self.out: list[str] = []
        self.origins: list[tuple[str, int]] = []
        self.errors: list[ScriptError] = []
        self.substs: list[tuple[re.Pattern, str, int]] = []
        self.stack: list[str] = []


def preprocess(path: Path | str, defines: dict[str, str] | None = None,
               text: str | None = None) -> Source:
    """Run the preprocessor over ``path`` (or over ``text`` named ``path``).

    Runs at script load.  Returns a :class:`Source`; problems (unbalanced
    ``#!ifdef``, a missing include, an unknown directive) are collected in
    ``Source.errors`` rather than raised.
    """
    st = _State(defines or {})
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            st.errors.append(ScriptError(str(path), 1, 1, "cannot read route script", e.strerror or str(e)))
            return Source("", [], st.defines, st.errors)
    _process(st, path, text, 0)
    return Source("\n".join(st.out), st.origins, st.defines, st.errors, st.substs)


def _emit(st: _State, fname: str, lineno: int, line: str) -> None:
    st.out.append(line)
    st.origins.append((fname, lineno))


def _process(st: _State, path: Path, text: str, depth: int) -> None:
    fname = str(path)
    # (active, seen_else, line) per open #!ifdef; "active" already folds the parents.
    conds: list[list] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        raw = lines[i].rstrip("\r")
        lineno = i + 1
        i += 1
        active = all(c[0] for c in conds)
        m = _DIRECTIVE.match(raw)
        inc = _INCLUDE.match(raw)
        if m and not inc:
            word, rest = m.group(1), m.group(2).strip()
            col = raw.index("#!") + 1
            if word in ("ifdef", "ifndef"):
                name = rest.split()[0] if rest.split() else ""
                if not name:
                    st.errors.append(ScriptError(fname, lineno, col, f"#!{word} needs a name"))
                is_def = name in st.defines
                conds.append([is_def if word == "ifdef" else not is_def, False, lineno, col])
            elif word == "else":
                if not conds:
                    st.errors.append(ScriptError(fname, lineno, col, "#!else without #!ifdef/#!ifndef"))
                elif conds[-1][1]:
                    st.errors.append(ScriptError(fname, lineno, col, "second #!else for the same #!ifdef"))
                else:
                    conds[-1][0] = not conds[-1][0]
                    conds[-1][1] = True
            elif word == "endif":
                if not conds:
                    st.errors.append(ScriptError(fname, lineno, col, "#!endif without #!ifdef/#!ifndef"))
                else:
                    conds.pop()
            elif not active:
                pass
            elif word in ("define", "trydef", "redefine"):
                # a trailing backslash continues the value on the next line
                value_lines = [rest]
                extra = 0
                while value_lines[-1].endswith("\\") and i < len(lines):
                    value_lines[-1] = value_lines[-1][:-1]
                    value_lines.append(lines[i].rstrip("\r").strip())
                    i += 1
                    extra += 1
                full = " ".join(v.strip() for v in value_lines).strip()
                nm = _NAME.match(full)
                if not nm:
                    st.errors.append(ScriptError(fname, lineno, col, f"#!{word} needs a name", raw.strip()))
                else:
                    name, value = nm.group(0), full[nm.end():].strip()
                    if word == "trydef":
                        st.defines.setdefault(name, value)
                    elif word == "define" and name in st.defines:
                        st.errors.append(ScriptError(fname, lineno, col, "name already defined", name))
                    else:
                        st.defines[name] = value
                for _ in range(extra):
                    _emit(st, fname, lineno, "")
            elif word == "undef":
                st.defines.pop(rest.split()[0] if rest else "", None)
            elif word in ("subst", "substdef"):
                _subst(st, fname, lineno, col, word, rest)
            elif word in _MARKERS:
                pass
            else:
                st.errors.append(ScriptError(fname, lineno, col, "unknown preprocessor directive", f"#!{word}"))
            _emit(st, fname, lineno, "")
            continue
        if inc:
            if active:
                target = inc.group(2)[1:-1]
                _include(st, path, target, inc.group(1) == "import_file", fname, lineno,
                         raw.index(inc.group(1)) + 1, depth)
            _emit(st, fname, lineno, "")
            continue
        if not active:
            _emit(st, fname, lineno, "")
            continue
        for rx, repl, count in st.substs:
            raw = rx.sub(repl, raw, count=count)
        _emit(st, fname, lineno, raw)
    for c in conds:
        st.errors.append(ScriptError(fname, c[2], c[3], "#!ifdef/#!ifndef without #!endif"))


def _include(st: _State, path: Path, target: str, optional: bool, fname: str, lineno: int,
             col: int, depth: int) -> None:
    """Splice an included file in place (positions keep pointing into it)."""
    inc_path = Path(target)
    if not inc_path.is_absolute():
        inc_path = path.parent / inc_path
    if depth >= _MAX_INCLUDE_DEPTH:
        st.errors.append(ScriptError(fname, lineno, col, "include nesting too deep", target))
        return
    try:
        text = inc_path.read_text(encoding="utf-8")
    except OSError:
        if not optional:
            st.errors.append(ScriptError(fname, lineno, col, "cannot open included file", target))
        return
    _process(st, inc_path, text, depth + 1)


def _subst(st: _State, fname: str, lineno: int, col: int, word: str, rest: str) -> None:
    """``#!subst "/re/repl/flags"``: applies to the following lines' text."""
    body = rest.strip()
    if len(body) >= 2 and body[0] == body[-1] and body[0] in "\"'":
        body = body[1:-1]
    if len(body) < 2:
        st.errors.append(ScriptError(fname, lineno, col, f"bad #!{word} expression", rest))
        return
    sep = body[0]
    parts = body[1:].split(sep)
    if len(parts) != 3:
        st.errors.append(ScriptError(fname, lineno, col, f"bad #!{word} expression", rest))
        return
    pattern, repl, flags = parts
    try:
        rx = re.compile(pattern, re.I if "i" in flags else 0)
    except re.error as e:
        st.errors.append(ScriptError(fname, lineno, col, f"bad regular expression in #!{word} ({e})", pattern))
        return
    # Kamailio's \1 back-references map directly onto Python's; "g" = all matches
    st.substs.append((rx, repl, 0 if "g" in flags else 1))
    if word == "substdef":
        st.defines[pattern] = repl
