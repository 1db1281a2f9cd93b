"""Parser: tokens -> :class:`~siprouter.core.routing.ast.ScriptAST`.

Runs once per script load.  Recursive descent over Kamailio's route-block
grammar.  It never stops at the first problem: a syntax error is recorded
and the parser skips to the next ``;`` or ``}`` and carries on, so one
``siprouter check`` run lists every error.

Operator precedence follows Kamailio's ``cfg.y`` (lowest first)::

    ||   &&   |   &   ^   << >>   == != =~ eq ne ieq ine   < > <= >=
    + -   * / mod   unary ! ~ - , defined, (int)/(str) casts
"""
from __future__ import annotations

from siprouter.core.routing import ast
from siprouter.core.routing.errors import ScriptError
from siprouter.core.routing.lexer import Token

# block keyword -> (kind when unnamed or named "0", kind when named)
_BLOCKS = {
    "request_route": ("request", None),
    "route": ("request", "route"),
    "reply_route": ("reply", None),
    "onreply_route": ("reply", "onreply"),
    "failure_route": (None, "failure"),
    "branch_route": (None, "branch"),
    "event_route": (None, "event"),
    "onsend_route": ("onsend", None),
    "branch_failure_route": (None, "branch_failure"),
}

CORE_KEYWORDS = {"method", "uri", "status", "src_ip", "src_port", "dst_ip", "dst_port",
                 "proto", "af", "from_uri", "to_uri", "myself", "msg_len",
                 "udp", "tcp", "tls", "sctp", "ws", "wss", "inet", "inet6"}
_CONST_WORDS = {"udp", "tcp", "tls", "sctp", "ws", "wss", "inet", "inet6"}
_TRUE = {"yes", "true", "on"}
_FALSE = {"no", "false", "off"}
_STATEMENT_WORDS = {"if", "else", "switch", "case", "default", "while", "return", "exit",
                    "drop", "break"}

# binary precedence levels, lowest first
_LEVELS: list[set[str]] = [
    {"||"}, {"&&"}, {"|"}, {"&"}, {"^"}, {"<<", ">>"},
    {"==", "!=", "=~", "!~", "eq", "ne", "ieq", "ine"},
    {"<", ">", "<=", ">="},
    {"+", "-"},
    {"*", "/", "mod", "%"},
]
_WORD_OPS = {"eq", "ne", "ieq", "ine", "mod"}


class _Bail(Exception):
    """Internal: abandon the current statement after recording an error."""


class Parser:
    """Builds the AST; ``errors`` collects every syntax problem."""

    def __init__(self, tokens: list[Token], text: str) -> None:
        self.toks = tokens
        self.text = text
        self.i = 0
        self.errors: list[ScriptError] = []

    # -- token helpers ----------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def is_op(self, value: str, tok: Token | None = None) -> bool:
        t = tok or self.tok
        return t.kind == "OP" and t.value == value

    def is_word(self, value: str, tok: Token | None = None) -> bool:
        t = tok or self.tok
        return t.kind == "ID" and t.value == value

    def advance(self) -> Token:
        t = self.toks[self.i]
        if t.kind != "EOF":
            self.i += 1
        return t

    def fail(self, tok: Token, message: str, text: str | None = None) -> _Bail:
        if tok.kind == "BAD" and tok.value is None:
            return _Bail()     # the lexer already reported this token
        self.errors.append(ScriptError.at(tok.pos, message, tok.text if text is None else text))
        return _Bail()

    def expect_op(self, value: str, what: str | None = None) -> Token:
        if self.is_op(value):
            return self.advance()
        t = self.tok
        shown = "end of file" if t.kind == "EOF" else t.text
        raise self.fail(t, f"syntax error: expected '{value}'" + (f" {what}" if what else ""), shown)

    def sync(self) -> None:
        """Error recovery: skip to just after the next ``;`` or a closed
        ``{...}`` group, or stop before a ``}`` that closes the enclosing block."""
        parens = 0
        braces = 0
        while self.tok.kind != "EOF":
            if self.is_op("("):
                parens += 1
            elif self.is_op(")"):
                parens = max(0, parens - 1)
            elif self.is_op("{"):
                braces += 1
            elif self.is_op("}"):
                if braces == 0:
                    return
                braces -= 1
                if braces == 0:
                    self.advance()
                    return
            elif self.is_op(";") and parens == 0 and braces == 0:
                self.advance()
                return
            self.advance()

    # -- top level ----------------------------------------------------------
    def parse(self) -> ast.ScriptAST:
        """Parse the whole token list; returns the AST (errors in ``errors``)."""
        blocks: list[ast.RouteBlock] = []
        while self.tok.kind != "EOF":
            t = self.tok
            if self.is_op(";"):
                self.advance()
                continue
            if t.kind == "ID" and t.value in _BLOCKS:
                try:
                    b = self.parse_block()
                    if b is not None:
                        blocks.append(b)
                except _Bail:
                    self._skip_to_next_block()
                continue
            if self.is_op("}"):
                self.fail(t, "unbalanced braces: '}' without a matching '{'")
                self.advance()
                continue
            self.fail(t, "syntax error: expected a route block (request_route, route[NAME], ...)")
            self._skip_to_next_block()
        return ast.ScriptAST(blocks)

    def _skip_to_next_block(self) -> None:
        depth = 0
        self.advance()
        while self.tok.kind != "EOF":
            if self.is_op("{"):
                depth += 1
            elif self.is_op("}"):
                depth -= 1
                if depth <= 0:
                    self.advance()
                    return
            elif depth <= 0 and self.tok.kind == "ID" and self.tok.value in _BLOCKS:
                return
            self.advance()

    def parse_block(self) -> ast.RouteBlock | None:
        kw = self.advance()
        unnamed_kind, named_kind = _BLOCKS[kw.value]
        name = ""
        if self.is_op("["):
            lb = self.advance()
            start = self.i
            while not self.is_op("]") and self.tok.kind != "EOF" and not self.is_op("{"):
                self.advance()
            if not self.is_op("]"):
                raise self.fail(lb, "syntax error: missing ']' after route name", kw.text + "[")
            name_toks = self.toks[start:self.i]
            self.advance()
            if len(name_toks) == 1 and name_toks[0].kind in ("ID", "STR", "INT"):
                name = str(name_toks[0].value)
            elif name_toks:
                name = self.text[name_toks[0].start:name_toks[-1].end].strip()
            if not name:
                raise self.fail(lb, "syntax error: empty route name", kw.text + "[]")
        if name in ("", "0") and unnamed_kind is not None:
            kind, name = unnamed_kind, ""
        elif name and named_kind is not None:
            kind = named_kind
        else:
            what = "needs a name" if not name else "takes no name"
            raise self.fail(kw, f"syntax error: {kw.value} {what}", kw.text)
        if not self.is_op("{"):
            t = self.tok
            raise self.fail(t, "syntax error: expected '{' to open the route block",
                            "end of file" if t.kind == "EOF" else t.text)
        body = self.parse_braced(kw)
        return ast.RouteBlock(kw.pos, kind, name, body)

    def parse_braced(self, opener: Token) -> list[ast.Stmt]:
        """Parse ``{ stmts }``; an EOF before ``}`` is an unbalanced-brace error."""
        lb = self.expect_op("{")
        body: list[ast.Stmt] = []
        while not self.is_op("}"):
            if self.tok.kind == "EOF":
                raise self.fail(lb, "unbalanced braces: '{' is never closed", "{")
            try:
                st = self.parse_stmt()
                if st is not None:
                    body.append(st)
            except _Bail:
                self.sync()
        self.advance()
        return body

    # -- statements -------------------------------------------------------
    def parse_body(self, opener: Token) -> list[ast.Stmt]:
        """An if/else body: a braced block or one statement."""
        if self.is_op("{"):
            return self.parse_braced(opener)
        st = self.parse_stmt()
        return [st] if st is not None else []

    def end_stmt(self) -> None:
        if self.is_op(";"):
            self.advance()
            return
        t = self.tok
        raise self.fail(t, "syntax error: missing ';'", "end of file" if t.kind == "EOF" else t.text)

    def parse_stmt(self) -> ast.Stmt | None:
        t = self.tok
        if self.is_op(";"):
            self.advance()
            return None
        if self.is_op("{"):
            return ast.Block(t.pos, self.parse_braced(t))
        if t.kind == "PV":
            return self.parse_assign()
        if t.kind != "ID":
            raise self.fail(t, "syntax error: unexpected token", "end of file" if t.kind == "EOF" else t.text)
        w = t.value
        if w == "if":
            return self.parse_if()
        if w == "switch":
            return self.parse_switch()
        if w == "while":
            self.advance()
            self.expect_op("(", "after 'while'")
            cond = self.parse_expr()
            self.expect_op(")", "to close the while condition")
            body = self.parse_body(t)
            return ast.While(t.pos, cond, body)
        if w in ("return", "exit", "drop"):
            self.advance()
            value = None
            if not self.is_op(";"):
                value = self.parse_expr()
            self.end_stmt()
            return {"return": ast.Return, "exit": ast.Exit, "drop": ast.Drop}[w](t.pos, value)
        if w == "break":
            self.advance()
            self.end_stmt()
            return ast.Break(t.pos)
        if w in ("else", "case", "default"):
            raise self.fail(t, f"syntax error: unexpected '{w}'")
        if w == "route" and self.is_op("(", self.peek()):
            rc = self.parse_route_call()
            self.end_stmt()
            return ast.ExprStmt(t.pos, rc)
        if w in CORE_KEYWORDS or w in _TRUE or w in _FALSE:
            raise self.fail(t, "syntax error: expression used as a statement")
        # module function call; "fn;" is the same as "fn();"
        self.advance()
        args: list[ast.Expr] = []
        end = t.end
        if self.is_op("("):
            args, end = self.parse_args()
        call = ast.CallExpr(t.pos, w, args, self.text[t.start:end] if t.start < end else w)
        self.end_stmt()
        return ast.ExprStmt(t.pos, call)

    def parse_assign(self) -> ast.Stmt:
        t = self.advance()
        target = ast.PVRef(t.pos, t.value)
        if self.tok.kind == "OP" and self.tok.value in ("=", ":=", "+="):
            op = self.advance().value
        else:
            nt = self.tok
            raise self.fail(nt, "syntax error: expected '=' after pseudo-variable",
                            "end of file" if nt.kind == "EOF" else nt.text)
        value = self.parse_expr()
        self.end_stmt()
        return ast.Assign(t.pos, target, op, value)

    def parse_if(self) -> ast.Stmt:
        t = self.advance()
        self.expect_op("(", "after 'if'")
        cond = self.parse_expr()
        self.expect_op(")", "to close the if condition")
        then = self.parse_body(t)
        orelse = None
        if self.is_word("else"):
            e = self.advance()
            if self.is_word("if"):
                orelse = [self.parse_if()]
            else:
                orelse = self.parse_body(e)
        return ast.If(t.pos, cond, then, orelse)

    def parse_switch(self) -> ast.Stmt:
        t = self.advance()
        self.expect_op("(", "after 'switch'")
        expr = self.parse_expr()
        self.expect_op(")", "to close the switch expression")
        lb = self.expect_op("{", "to open the switch body")
        cases: list[ast.Case] = []
        while not self.is_op("}"):
            c = self.tok
            if c.kind == "EOF":
                raise self.fail(lb, "unbalanced braces: '{' is never closed", "{")
            if self.is_word("case"):
                self.advance()
                regex = False
                if self.is_op("/"):
                    self.advance()
                    regex = True
                v = self.tok
                if v.kind in ("INT", "STR"):
                    self.advance()
                    value: ast.Expr = (ast.IntLit(v.pos, v.value) if v.kind == "INT"
                                       else ast.StrLit(v.pos, v.value))
                elif self.is_op("-") and self.peek().kind == "INT":
                    self.advance()
                    n = self.advance()
                    value = ast.IntLit(v.pos, -n.value)
                elif v.kind == "ID":
                    self.advance()
                    value = ast.StrLit(v.pos, v.value, quoted=False)
                else:
                    self.fail(v, "syntax error: bad case value")
                    self.sync()
                    continue
                if regex and not isinstance(value, ast.StrLit):
                    self.fail(v, "syntax error: a regex case needs a string")
                self.expect_op(":", "after the case value")
                cases.append(ast.Case(c.pos, value, regex))
            elif self.is_word("default"):
                self.advance()
                self.expect_op(":", "after 'default'")
                cases.append(ast.Case(c.pos, None))
            else:
                if not cases:
                    self.fail(c, "syntax error: statement before the first 'case'")
                    self.sync()
                    continue
                try:
                    st = self.parse_stmt()
                    if st is not None:
                        cases[-1].body.append(st)
                except _Bail:
                    self.sync()
        self.advance()
        return ast.Switch(t.pos, expr, cases)

    def parse_route_call(self) -> ast.RouteCall:
        t = self.advance()  # "route"
        self.expect_op("(")
        n = self.tok
        if n.kind in ("ID", "STR", "INT") and self.is_op(")", self.peek()):
            self.advance()
            self.advance()
            return ast.RouteCall(t.pos, str(n.value))
        if self.is_op(")"):
            raise self.fail(n, "syntax error: route() needs a route name", "route()")
        target = self.parse_expr()
        self.expect_op(")", "to close route(")
        return ast.RouteCall(t.pos, None, target)

    def parse_args(self) -> tuple[list[ast.Expr], int]:
        """``( arg, ... )``; a bare identifier argument is a string."""
        self.expect_op("(")
        args: list[ast.Expr] = []
        if self.is_op(")"):
            return args, self.advance().end
        while True:
            a = self.tok
            if (a.kind == "ID" and a.value not in _TRUE | _FALSE
                    and (self.is_op(",", self.peek()) or self.is_op(")", self.peek()))):
                self.advance()
                args.append(ast.StrLit(a.pos, a.value, quoted=False))
            else:
                args.append(self.parse_expr())
            if self.is_op(","):
                self.advance()
                continue
            end = self.expect_op(")", "to close the argument list").end
            return args, end

    # -- expressions --------------------------------------------------------
    def parse_expr(self, level: int = 0) -> ast.Expr:
        if level >= len(_LEVELS):
            return self.parse_unary()
        left = self.parse_expr(level + 1)
        ops = _LEVELS[level]
        while True:
            t = self.tok
            op = t.value if (t.kind == "OP" or (t.kind == "ID" and t.value in _WORD_OPS)) else None
            if op not in ops:
                return left
            if op == "!~":
                raise self.fail(t, "syntax error: '!~' is not supported, use !(a =~ b)", "!~")
            self.advance()
            right = self.parse_expr(level + 1)
            left = ast.Binary(t.pos, "mod" if op == "%" else op, left, right)

    def parse_unary(self) -> ast.Expr:
        t = self.tok
        if t.kind == "OP" and t.value in ("!", "~", "-"):
            self.advance()
            operand = self.parse_unary()
            if t.value == "-" and isinstance(operand, ast.IntLit):
                return ast.IntLit(t.pos, -operand.value)
            return ast.Unary(t.pos, t.value, operand)
        if self.is_word("defined"):
            self.advance()
            return ast.Defined(t.pos, self.parse_unary())
        if (self.is_op("(") and self.peek().kind == "ID" and self.peek().value in ("int", "str")
                and self.is_op(")", self.peek(2))):
            self.advance()
            to = self.advance().value
            self.advance()
            return ast.Cast(t.pos, to, self.parse_unary())
        return self.parse_primary()

    def parse_primary(self) -> ast.Expr:
        t = self.tok
        if t.kind == "INT":
            self.advance()
            return ast.IntLit(t.pos, t.value)
        if t.kind == "STR":
            self.advance()
            return ast.StrLit(t.pos, t.value)
        if t.kind == "PV":
            self.advance()
            return ast.PVRef(t.pos, t.value)
        if self.is_op("("):
            self.advance()
            e = self.parse_expr()
            self.expect_op(")", "to close '('")
            return e
        if t.kind == "ID":
            w = t.value
            if w in _TRUE:
                self.advance()
                return ast.IntLit(t.pos, 1)
            if w in _FALSE:
                self.advance()
                return ast.IntLit(t.pos, 0)
            if w in ("strlen", "strempty") and self.is_op("(", self.peek()):
                self.advance()
                self.advance()
                e = self.parse_expr()
                self.expect_op(")", f"to close {w}(")
                return ast.StrFunc(t.pos, w, e)
            if w == "route" and self.is_op("(", self.peek()):
                return self.parse_route_call()
            if w in CORE_KEYWORDS:
                self.advance()
                return ast.Keyword(t.pos, w)
            if w.lower() in _CONST_WORDS:       # UDP, TCP, INET6... in any case
                self.advance()
                return ast.Keyword(t.pos, w.lower())
            if w in _STATEMENT_WORDS:
                raise self.fail(t, f"syntax error: unexpected '{w}' in an expression")
            if self.is_op("(", self.peek()):
                self.advance()
                args, end = self.parse_args()
                return ast.CallExpr(t.pos, w, args, self.text[t.start:end] if t.start < end else w)
            self.advance()
            raise self.fail(t, "syntax error: unknown identifier in expression")
        if t.kind == "BAD":
            self.advance()
            raise self.fail(t, "syntax error: invalid token")
        raise self.fail(t, "syntax error: expected an expression",
                        "end of file" if t.kind == "EOF" else t.text)
