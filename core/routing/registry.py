"""Function registry: route-function declarations by name, looked up at load time.

The module loader builds one :class:`FunctionRegistry` from every loaded
module's :class:`~siprouter.core.modsys.FunctionSpec` list, in load order.
The compiler resolves each call once (name + arity + route type); nothing is
looked up per message.
"""
from __future__ import annotations

from typing import Iterable

from siprouter.core.modsys.declare import FunctionSpec, RouteType


def route_allows(spec_routes: int, block: int) -> bool:
    """Kamailio's rule: ``(fn & block) == block``, or for an event route any
    overlap with REQUEST|ONEVENT."""
    if (spec_routes & block) == block:
        return True
    return block == RouteType.EVENT and bool(spec_routes & (RouteType.REQUEST | RouteType.ONEVENT))


class FunctionRegistry:
    """Route functions by name; a name may have several arities.

    Specs given later override earlier ones with the same name and an
    overlapping arity ("the last loaded module wins", as in Kamailio).
    """

    def __init__(self, specs: Iterable[FunctionSpec] = ()) -> None:
        self._by_name: dict[str, list[FunctionSpec]] = {}
        for s in specs:
            self.add(s)

    def add(self, spec: FunctionSpec) -> None:
        """Register one more spec (searched before the earlier ones)."""
        self._by_name.setdefault(spec.name, []).insert(0, spec)

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def names(self) -> list[str]:
        """All function names, sorted."""
        return sorted(self._by_name)

    def candidates(self, name: str) -> list[FunctionSpec]:
        """Every spec exported under ``name``, latest first."""
        return list(self._by_name.get(name, ()))

    def lookup(self, name: str, nargs: int) -> FunctionSpec | None:
        """The spec for ``name`` called with ``nargs`` arguments, or None."""
        for s in self._by_name.get(name, ()):
            if len(s.args) - s.optional <= nargs <= len(s.args):
                return s
        return None

    def arity_matches(self, name: str, nargs: int) -> list[FunctionSpec]:
        """All specs that accept ``nargs`` arguments, latest first."""
        return [s for s in self._by_name.get(name, ())
                if len(s.args) - s.optional <= nargs <= len(s.args)]
