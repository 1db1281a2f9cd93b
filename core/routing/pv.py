"""Pseudo-variable registry: ``$name``, ``$name(inner)``, ``$(name(inner)[idx]{tr})``.

The module loader builds one :class:`PVRegistry` from every loaded module's
:class:`~siprouter.core.modsys.PVSpec`.  The compiler asks it to compile each
PV text it meets *once*, at load time; the result is a :class:`CompiledPV`
whose ``get``/``set`` are plain closures with the class, the parsed inner
name, the index and the transformations already bound — no name lookup
happens per message.

Calling conventions towards module getters/setters (contracts §4)::

    getter(ctx, name)                    # class without index
    getter(ctx, name, index=idx)         # ``indexed`` class; idx int, "*" or None
    setter(ctx, name, value)             # value None = $null (delete)
    setter(ctx, name, value, index=idx)  # ``indexed`` class
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable

from siprouter.core.modsys.declare import PVSpec
from siprouter.core.routing.errors import PVError
from siprouter.core.routing.lexer import scan_pv
from siprouter.core.routing.transforms import compile_transform, split_transforms
from siprouter.core.routing.values import fmt_str, to_int

_CLASS = re.compile(r"([A-Za-z_][A-Za-z0-9_]*|\?)")

Getter = Callable[[Any], Any]


class CompiledPV:
    """A PV bound at load time.

    ``get(ctx)`` returns ``str``/``int``/``None``; ``set(ctx, value)`` exists
    only when ``writable``.  Also usable as an ``Arg.PVREF`` argument.
    """

    __slots__ = ("text", "cls", "name", "index", "get", "set", "writable", "raw_get", "raw_set")

    def __init__(self, text: str, cls: str, name: Any, index: Any, get: Getter,
                 set_: Callable[[Any, Any], None] | None) -> None:
        self.text = text
        self.cls = cls
        self.name = name
        self.index = index
        self.get = get
        self.set = set_ if set_ is not None else self._read_only
        self.writable = set_ is not None
        # (getter, name) / (setter, name) when the compiler may call the module
        # function directly, saving one closure layer on hot paths
        self.raw_get: tuple | None = None
        self.raw_set: tuple | None = None

    def _read_only(self, ctx: Any, value: Any) -> None:
        raise PVError(f"pseudo-variable {self.text} is read-only")

    def __repr__(self) -> str:
        return f"CompiledPV({self.text})"


def _null_get(ctx: Any) -> None:
    return None


NULL_PV = CompiledPV("$null", "null", None, None, _null_get, None)


class PVRegistry:
    """All PV classes of the loaded modules, by class name.

    Built once at start-up (``PVRegistry(specs)``); when two modules declare
    the same class the later one wins, as for functions.
    """

    def __init__(self, specs: Iterable[PVSpec] = ()) -> None:
        self._specs: dict[str, PVSpec] = {}
        for s in specs:
            self._specs[s.name] = s
        self._cache: dict[str, CompiledPV] = {}

    def add(self, spec: PVSpec) -> None:
        """Register one more class (tests, or modules registering late)."""
        self._specs[spec.name] = spec
        self._cache.clear()

    def names(self) -> list[str]:
        """Class names, sorted."""
        return sorted(self._specs)

    def spec(self, name: str) -> PVSpec | None:
        """The declaration of class ``name`` or ``None``."""
        return self._specs.get(name)

    # -- compile ----------------------------------------------------------
    def compile(self, text: str) -> CompiledPV:
        """Compile one PV text (``"$ru"``, ``"$(avp(x)[*])"``...).

        Runs at load time.  Raises :class:`PVError` for an unknown class, a
        missing or malformed name, a bad index or transformation.
        """
        hit = self._cache.get(text)
        if hit is not None:
            return hit
        pv = self._compile(text)
        self._cache[text] = pv
        return pv

    def _compile(self, text: str) -> CompiledPV:
        if text == "$null":
            return NULL_PV
        if not text.startswith("$") or len(text) < 2:
            raise PVError(f"invalid pseudo-variable {text}")
        if text[1] == "(":
            if not text.endswith(")"):
                raise PVError(f"unterminated pseudo-variable {text}")
            body = text[2:-1]
            head, trs = split_transforms(body)
            cls, inner, idx_text = self._split_head(head, text)
        else:
            cls, inner, idx_text = self._split_head(text[1:], text)
            trs = []
        if cls == "null" and inner is None and idx_text is None:
            base = NULL_PV
        else:
            base = self._bind(text, cls, inner, idx_text)
        if not trs:
            return base
        fns = [compile_transform(t) for t in trs]
        bget = base.get

        if len(fns) == 1:
            f0 = fns[0]

            def get(ctx: Any) -> Any:
                return f0(bget(ctx))
        else:
            def get(ctx: Any) -> Any:
                v = bget(ctx)
                for f in fns:
                    v = f(v)
                return v
        # a transformed value is computed, so it cannot be assigned to
        return CompiledPV(text, base.cls, base.name, base.index, get, None)

    @staticmethod
    def _split_head(head: str, text: str) -> tuple[str, str | None, str | None]:
        m = _CLASS.match(head)
        if not m:
            raise PVError(f"invalid pseudo-variable {text}")
        cls = m.group(1)
        rest = head[m.end():]
        inner = None
        if rest.startswith("("):
            end = _match_close(rest, 0, "(", ")")
            if end < 0:
                raise PVError(f"unterminated name in pseudo-variable {text}")
            inner = rest[1:end]
            rest = rest[end + 1:]
        idx_text = None
        if rest.startswith("["):
            end = _match_close(rest, 0, "[", "]")
            if end < 0:
                raise PVError(f"unterminated index in pseudo-variable {text}")
            idx_text = rest[1:end].strip()
            rest = rest[end + 1:]
        if rest.strip():
            raise PVError(f"invalid pseudo-variable {text}")
        return cls, inner, idx_text

    def _bind(self, text: str, cls: str, inner: str | None, idx_text: str | None) -> CompiledPV:
        spec = self._specs.get(cls)
        if spec is None:
            raise PVError(f"unknown pseudo-variable class ${cls}")
        name: Any = None
        if inner is not None:
            if spec.parse_name is not None:
                try:
                    name = spec.parse_name(inner)
                except ValueError as e:
                    raise PVError(f"bad name in pseudo-variable {text} ({e})") from None
            elif spec.needs_name:
                name = inner
            else:
                raise PVError(f"pseudo-variable ${cls} takes no name")
        elif spec.needs_name:
            raise PVError(f"pseudo-variable ${cls} needs a name, e.g. ${cls}(name)")
        getter, setter = spec.getter, spec.setter
        if idx_text is None:
            if spec.indexed and _index_defaults_none(getter) and (
                    setter is None or _index_defaults_none(setter)):
                # index=None is the default anyway: call without the keyword
                # argument (cheaper) and let the compiler call getter/setter
                # directly, like a plain PV
                def get(ctx: Any) -> Any:
                    return getter(ctx, name)
                set_ = (lambda ctx, v: setter(ctx, name, v)) if setter else None
                pv = CompiledPV(text, cls, name, None, get, set_)
                pv.raw_get = (getter, name)
                pv.raw_set = (setter, name) if setter else None
                return pv
            if spec.indexed:
                def get(ctx: Any) -> Any:
                    return getter(ctx, name, index=None)
                set_ = (lambda ctx, v: setter(ctx, name, v, index=None)) if setter else None
            else:
                def get(ctx: Any) -> Any:
                    return getter(ctx, name)
                set_ = (lambda ctx, v: setter(ctx, name, v)) if setter else None
                pv = CompiledPV(text, cls, name, None, get, set_)
                pv.raw_get = (getter, name)
                pv.raw_set = (setter, name) if setter else None
                return pv
            return CompiledPV(text, cls, name, None, get, set_)
        if not spec.indexed:
            raise PVError(f"pseudo-variable ${cls} takes no index")
        if idx_text == "*":
            index: Any = "*"
        elif idx_text.startswith("$"):
            ipv = self.compile(idx_text)
            iget = ipv.get

            def get(ctx: Any) -> Any:
                return getter(ctx, name, index=to_int(iget(ctx)))
            set_ = (lambda ctx, v: setter(ctx, name, v, index=to_int(iget(ctx)))) if setter else None
            return CompiledPV(text, cls, name, idx_text, get, set_)
        else:
            try:
                index = int(idx_text)
            except ValueError:
                raise PVError(f"bad index in pseudo-variable {text}") from None

        def get(ctx: Any) -> Any:
            return getter(ctx, name, index=index)
        set_ = (lambda ctx, v: setter(ctx, name, v, index=index)) if setter else None
        return CompiledPV(text, cls, name, index, get, set_)

    # -- strings with PVs ---------------------------------------------------
    def compile_format(self, text: str) -> str | Callable[[Any], str]:
        """Compile a string that may contain PVs (``"a $ru b"``).

        Runs at load time.  Returns the string itself when it holds no PV,
        else a function ``ctx -> str`` (``$null`` prints as ``<null>``).
        ``\\$`` stands for a literal dollar.  Raises :class:`PVError`.
        """
        parts: list[str | Getter] = []
        buf: list[str] = []
        i = 0
        n = len(text)
        while i < n:
            c = text[i]
            if c == "\\" and i + 1 < n and text[i + 1] == "$":
                buf.append("$")
                i += 2
                continue
            if c == "$":
                j = scan_pv(text, i)
                if j > i:
                    if buf:
                        parts.append("".join(buf))
                        buf = []
                    parts.append(self.compile(text[i:j]).get)
                    i = j
                    continue
            buf.append(c)
            i += 1
        if buf:
            parts.append("".join(buf))
        if not parts:
            return ""
        if len(parts) == 1 and isinstance(parts[0], str):
            return parts[0]
        if len(parts) == 1:
            g = parts[0]
            return lambda ctx: fmt_str(g(ctx))
        items = tuple(parts)
        is_const = tuple(isinstance(p, str) for p in items)

        def fmt(ctx: Any) -> str:
            return "".join([p if c else fmt_str(p(ctx)) for p, c in zip(items, is_const)])
        return fmt


def _match_close(s: str, start: int, open_: str, close: str) -> int:
    depth = 0
    for k in range(start, len(s)):
        if s[k] == open_:
            depth += 1
        elif s[k] == close:
            depth -= 1
            if depth == 0:
                return k
    return -1


def unescape_dollar(text: str) -> str:
    """A literal string used where PVs are not expanded: ``\\$`` -> ``$``."""
    return text.replace("\\$", "$")


def _index_defaults_none(fn: Any) -> bool:
    """True when ``fn``'s ``index`` parameter defaults to None (checked once, at compile time)."""
    import inspect
    try:
        param = inspect.signature(fn).parameters.get("index")
    except (TypeError, ValueError):
        return False
    return param is not None and param.default is None and param.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
