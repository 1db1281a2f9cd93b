"""Syntax tree of a route script, produced by the parser, consumed by the compiler.

Plain dataclasses; every node keeps the :class:`SourcePos` of its first token
so that load-time errors point at the real file:line:col.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from siprouter.core.routing.errors import SourcePos


# -- expressions ------------------------------------------------------------
@dataclass
class Expr:
    pos: SourcePos


@dataclass
class IntLit(Expr):
    value: int


@dataclass
class StrLit(Expr):
    value: str          # escapes decoded; "\$" kept for PV-capable contexts
    quoted: bool = True  # False for a bare identifier used as a string


@dataclass
class PVRef(Expr):
    text: str           # "$ru", "$(avp(x)[*])", "$null"


@dataclass
class Keyword(Expr):
    name: str           # method, uri, status, src_ip, ... ; "myself"


@dataclass
class Unary(Expr):
    op: str             # "!", "~", "-"
    operand: Expr


@dataclass
class Binary(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass
class Cast(Expr):
    to: str             # "int" or "str"
    operand: Expr


@dataclass
class Defined(Expr):
    operand: Expr


@dataclass
class StrFunc(Expr):
    name: str           # "strlen" or "strempty"
    operand: Expr


@dataclass
class CallExpr(Expr):
    """A module function call; as a statement or inside an expression."""

    name: str
    args: list[Expr]
    text: str = ""      # source text of the whole call, for error messages


@dataclass
class RouteCall(Expr):
    """``route(NAME)``: ``name`` static (str) or ``target`` an expression."""

    name: str | None
    target: Expr | None = None


# -- statements -------------------------------------------------------------
@dataclass
class Stmt:
    pos: SourcePos


@dataclass
class ExprStmt(Stmt):
    """A call (function or route) used as a statement."""

    expr: Expr


@dataclass
class If(Stmt):
    cond: Expr
    then: list[Stmt]
    orelse: list[Stmt] | None


@dataclass
class Case:
    pos: SourcePos
    value: Expr | None      # None = default
    regex: bool = False
    body: list[Stmt] = field(default_factory=list)


@dataclass
class Switch(Stmt):
    expr: Expr
    cases: list[Case]


@dataclass
class While(Stmt):
    cond: Expr
    body: list[Stmt]


@dataclass
class Assign(Stmt):
    target: PVRef
    op: str                 # "=" / ":=" / "+="
    value: Expr


@dataclass
class Return(Stmt):
    value: Expr | None


@dataclass
class Exit(Stmt):
    value: Expr | None


@dataclass
class Drop(Stmt):
    value: Expr | None


@dataclass
class Break(Stmt):
    pass


@dataclass
class Block(Stmt):
    body: list[Stmt]


# -- top level --------------------------------------------------------------
@dataclass
class RouteBlock:
    pos: SourcePos
    kind: str           # request, reply, route, failure, branch, onreply, event, onsend
    name: str           # "" for the main request/reply route
    body: list[Stmt]


@dataclass
class ScriptAST:
    blocks: list[RouteBlock]
