"""Value conversions of the route language (Kamailio ``rvalue.c`` rules).

Script values are ``int`` (32-bit signed), ``str`` or ``None`` (``$null``).
These helpers run per operation, so they are kept tiny.
"""
from __future__ import annotations

from typing import Any

_NUMERIC = frozenset("0123456789")


def wrap32(v: int) -> int:
    """Wrap an int into the signed 32-bit range, as Kamailio's C ints do."""
    if -0x80000000 <= v <= 0x7FFFFFFF:
        return v
    return ((v + 0x80000000) & 0xFFFFFFFF) - 0x80000000


def to_int(v: Any) -> int:
    """int(undef)=0, int("")=0, int("123")=123, int("-4")=-4, int("abc")=0."""
    if v.__class__ is int:
        return v
    if v is None:
        return 0
    if isinstance(v, int):  # bool
        return int(v)
    t = str(v).strip()
    body = t[1:] if t[:1] in "+-" else t
    if body and _NUMERIC.issuperset(body):
        return wrap32(int(t))
    return 0


def str_to_int_strict(v: str) -> int | None:
    """A numeric literal string such as ``"4"`` or ``"-1"`` -> int; else None."""
    t = v.strip()
    body = t[1:] if t[:1] in "+-" else t
    if body and _NUMERIC.issuperset(body):
        return int(t)
    if t.lower().startswith("0x"):
        try:
            return int(t, 16)
        except ValueError:
            return None
    return None


def to_str(v: Any) -> str:
    """str(undef)="", ints in decimal."""
    if v.__class__ is str:
        return v
    if v is None:
        return ""
    if v is True:
        return "1"
    if v is False:
        return "0"
    return str(v)


def fmt_str(v: Any) -> str:
    """How a value prints inside a string with PVs: ``$null`` is ``<null>``."""
    if v.__class__ is str:
        return v
    if v is None:
        return "<null>"
    return to_str(v)
