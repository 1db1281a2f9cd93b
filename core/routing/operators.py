"""Operator semantics of the route language (Kamailio ``rvalue.c`` typing).

Used by the compiler's expression closures at run time.
"""
from __future__ import annotations

from typing import Any, Callable

from siprouter.core.routing.values import to_int, to_str


def mixed_compare(cmp: Callable[[Any, Any], bool], a: Any, b: Any) -> bool:
    """Kamailio's typing: the right operand takes the left one's type; an
    undefined left side takes the right side's type; ``x == $null`` is true
    only when x is $null too."""
    if b is None:
        if cmp is op_eq:
            return a is None
        if cmp is op_ne:
            return a is not None
        b = 0 if a.__class__ is int else ""
    if a is None:
        a = 0 if b.__class__ is int else ""
    if a.__class__ is int:
        return cmp(a, to_int(b))
    return cmp(to_str(a), to_str(b))


def op_eq(a: Any, b: Any) -> bool:
    return a == b


def op_ne(a: Any, b: Any) -> bool:
    return a != b


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": op_eq, "!=": op_ne,
    "<": lambda a, b: a < b, ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
}


def _cdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _cmod(a: int, b: int) -> int:
    return a - b * _cdiv(a, b)


ARITH: dict[str, Callable[[int, int], int]] = {
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _cdiv,
    "mod": _cmod,
    "|": lambda a, b: a | b,
    "&": lambda a, b: a & b,
    "^": lambda a, b: a ^ b,
    "<<": lambda a, b: a << (b & 31),
    ">>": lambda a, b: a >> (b & 31),
}
