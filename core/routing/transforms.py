"""Transformations: the ``{class.name,arg,...}`` suffixes of a PV.

``compile_transform(text)`` runs at load time and returns a plain function
``value -> value`` (values are ``str``, ``int`` or ``None`` for ``$null``);
unknown names or bad arguments raise :class:`PVError`.  Arguments are
literals (PVs inside transformation arguments are not supported).
"""
from __future__ import annotations

import base64
import hashlib
import re
import urllib.parse
from typing import Any, Callable

from siprouter.core.routing.errors import PVError
from siprouter.core.routing.values import to_int, to_str

Transform = Callable[[Any], Any]

_URI = re.compile(
    r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):"
    r"(?:(?P<user>[^:@;?]*)(?::(?P<password>[^@;?]*))?@)?"
    r"(?P<host>\[[^\]]*\]|[^:;?]*)"
    r"(?::(?P<port>[0-9]*))?"
    r"(?P<params>;[^?]*)?"
    r"(?:\?(?P<headers>.*))?$")


def parse_uri_parts(text: str) -> dict[str, str] | None:
    """Split a SIP URI into its parts (strings; missing parts are "").

    A small standalone parser so the transformations do not depend on the
    message layer; returns ``None`` when ``text`` is not a URI.
    """
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    m = _URI.match(text)
    if not m:
        return None
    return {k: (v or "") for k, v in m.groupdict().items()}


def _params(text: str, sep: str = ";") -> list[tuple[str, str]]:
    out = []
    for part in text.split(sep):
        part = part.strip()
        if not part:
            continue
        k, _, v = part.partition("=")
        out.append((k.strip(), v.strip()))
    return out


def _nameaddr(text: str) -> tuple[str, str, str]:
    """(display name, uri, params after '>') of a name-addr / addr-spec."""
    text = text.strip()
    lt = text.find("<")
    if lt >= 0:
        gt = text.find(">", lt)
        if gt < 0:
            return "", text[lt + 1:], ""
        return text[:lt].strip(), text[lt + 1:gt], text[gt + 1:]
    uri, _, params = text.partition(";")
    return "", uri, (";" + params) if params else ""


def _uri_tr(part: str) -> Transform:
    def tr(v: Any) -> Any:
        if v is None:
            return None
        p = parse_uri_parts(to_str(v))
        if p is None:
            return None
        if part == "port":
            return int(p["port"]) if p["port"] else None
        if part == "params":
            return p["params"][1:] if p["params"] else ""
        return p[part]
    return tr


def _int_arg(args: list[str], i: int, name: str) -> int:
    try:
        return int(args[i])
    except (IndexError, ValueError):
        raise PVError(f"transformation {name} needs an integer argument {i + 1}") from None


def compile_transform(text: str) -> Transform:
    """Compile one transformation body (the text between ``{`` and ``}``)."""
    parts = text.split(",")
    name, args = parts[0].strip(), parts[1:]
    s = to_str

    def nullsafe(fn: Callable[[str], Any]) -> Transform:
        return lambda v: None if v is None else fn(s(v))

    if name == "s.len":
        return lambda v: 0 if v is None else len(s(v))
    if name == "s.int":
        return lambda v: to_int(v)
    if name == "s.substr":
        off, ln = _int_arg(args, 0, name), _int_arg(args, 1, name)

        def substr(x: str) -> str:
            start = off if off >= 0 else max(0, len(x) + off)
            return x[start:] if ln == 0 else x[start:start + ln]
        return nullsafe(substr)
    if name == "s.select":
        idx = _int_arg(args, 0, name)
        if len(args) < 2 or len(args[1]) != 1:
            raise PVError("transformation s.select needs a one-character separator")
        sep = args[1]

        def select(x: str) -> Any:
            fields = x.split(sep)
            try:
                return fields[idx]
            except IndexError:
                return None
        return nullsafe(select)
    if name == "s.tolower":
        return nullsafe(str.lower)
    if name == "s.toupper":
        return nullsafe(str.upper)
    if name == "s.strip":
        n = _int_arg(args, 0, name)
        return nullsafe(lambda x: x[n:])
    if name == "s.striptail":
        n = _int_arg(args, 0, name)
        return nullsafe(lambda x: x[:-n] if n else x)
    if name in ("s.trim", "s.rtrim", "s.ltrim"):
        fn = {"s.trim": str.strip, "s.rtrim": str.rstrip, "s.ltrim": str.lstrip}[name]
        return nullsafe(fn)
    if name == "s.prefixes":
        return nullsafe(lambda x: ",".join(x[:i] for i in range(1, len(x) + 1)))
    if name == "s.md5":
        return nullsafe(lambda x: hashlib.md5(x.encode()).hexdigest())
    if name == "s.sha256":
        return nullsafe(lambda x: hashlib.sha256(x.encode()).hexdigest())
    if name == "s.encode.hexa":
        return nullsafe(lambda x: x.encode().hex())
    if name == "s.decode.hexa":
        return nullsafe(lambda x: bytes.fromhex(x).decode(errors="replace"))
    if name == "s.encode.base64":
        return nullsafe(lambda x: base64.b64encode(x.encode()).decode())
    if name == "s.decode.base64":
        return nullsafe(lambda x: base64.b64decode(x.encode()).decode(errors="replace"))
    if name == "s.replace":
        if len(args) != 2:
            raise PVError("transformation s.replace needs two arguments")
        a, b = args
        return nullsafe(lambda x: x.replace(a, b))
    if name == "s.numeric":
        return nullsafe(lambda x: "".join(c for c in x if c.isdigit()))
    if name == "s.unquote":
        return nullsafe(lambda x: x[1:-1] if len(x) >= 2 and x[0] == x[-1] and x[0] in "\"'" else x)
    if name == "s.unbracket":
        return nullsafe(lambda x: x[1:-1] if len(x) >= 2 and x[0] == "<" and x[-1] == ">" else x)
    if name == "s.escape.param":
        return nullsafe(lambda x: urllib.parse.quote(x, safe="[]/:&+$-_.!~*'()"))
    if name == "s.unescape.param" or name == "s.unescape.user":
        return nullsafe(urllib.parse.unquote)
    if name in ("uri.user", "uri.host", "uri.port", "uri.params", "uri.scheme",
                "uri.passwd", "uri.headers"):
        part = {"uri.passwd": "password"}.get(name, name[4:])
        return _uri_tr(part)
    if name == "uri.transport":
        return _uri_param_tr("transport")
    if name == "uri.param":
        if len(args) != 1 or not args[0]:
            raise PVError("transformation uri.param needs a parameter name")
        return _uri_param_tr(args[0])
    if name in ("param.value", "param.valueat", "param.count", "param.name"):
        sep = args[1] if len(args) > 1 and args[1] else ";"
        if name == "param.count":
            sep = args[0] if args and args[0] else ";"
            return nullsafe(lambda x: len(_params(x, sep)))
        if not args or not args[0]:
            raise PVError(f"transformation {name} needs an argument")
        if name == "param.value":
            key = args[0].lower()

            def pvalue(x: str) -> Any:
                for k, v in _params(x, sep):
                    if k.lower() == key:
                        return v
                return None
            return nullsafe(pvalue)
        idx = _int_arg(args, 0, name)

        def pat(x: str) -> Any:
            ps = _params(x, sep)
            if not 0 <= idx < len(ps):
                return None
            return ps[idx][1] if name == "param.valueat" else ps[idx][0]
        return nullsafe(pat)
    if name in ("nameaddr.name", "nameaddr.uri", "nameaddr.params", "tobody.uri",
                "tobody.display", "tobody.tag", "tobody.user", "tobody.host"):
        return _nameaddr_tr(name)
    raise PVError(f"unknown transformation {{{name}}}")


def _uri_param_tr(pname: str) -> Transform:
    key = pname.lower()

    def tr(v: Any) -> Any:
        if v is None:
            return None
        p = parse_uri_parts(to_str(v))
        if p is None:
            return None
        for k, val in _params(p["params"]):
            if k.lower() == key:
                return val
        return None
    return tr


def _nameaddr_tr(name: str) -> Transform:
    def tr(v: Any) -> Any:
        if v is None:
            return None
        disp, uri, params = _nameaddr(to_str(v))
        if name == "nameaddr.name" or name == "tobody.display":
            return disp.strip('"')
        if name in ("nameaddr.uri", "tobody.uri"):
            return uri
        if name == "nameaddr.params":
            return params[1:] if params.startswith(";") else params
        if name == "tobody.tag":
            for k, val in _params(params):
                if k.lower() == "tag":
                    return val
            return None
        p = parse_uri_parts(uri)
        if p is None:
            return None
        return p["user"] if name == "tobody.user" else p["host"]
    return tr


def split_transforms(text: str) -> tuple[str, list[str]]:
    """Split ``"avp(x)[1]{s.len}{s.int}"`` into the head and the bodies of
    the trailing ``{...}`` groups."""
    bodies: list[str] = []
    # find the first "{" at depth 0 outside parentheses/brackets
    depth = 0
    start = -1
    for k, c in enumerate(text):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "{" and depth == 0:
            start = k
            break
    if start < 0:
        return text, bodies
    head, rest = text[:start], text[start:]
    k = 0
    while k < len(rest):
        if rest[k] != "{":
            raise PVError(f"unexpected text after transformation: {rest[k:]}")
        depth = 0
        j = k
        while j < len(rest):
            if rest[j] == "{":
                depth += 1
            elif rest[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= len(rest):
            raise PVError("unterminated transformation")
        bodies.append(rest[k + 1:j])
        k = j + 1
    return head, bodies
