"""Start-up order: topological over ``depends`` and ``after``, ``loadmodule`` order as tie-break.

``depends`` is hard (the module must be loaded; error names both), ``after``
is soft (ordering only when the other module is loaded).  Among modules whose
prerequisites are met, the one listed first in ``loadmodule`` starts first, so
a config without dependencies starts in exactly its ``loadmodule`` order
(Kamailio's rule).  Destroy runs in reverse.
"""
from __future__ import annotations

import heapq
from typing import Mapping, Sequence

from siprouter.core.errors import StartupError

__all__ = ["order_modules"]


def order_modules(names: Sequence[str], depends: Mapping[str, Sequence[str]],
                  after: Mapping[str, Sequence[str]] | None = None,
                  always: Sequence[str] = ()) -> list[str]:
    """Order ``names`` (in load order) so that every module follows its prerequisites.

    ``always`` names modules that are loaded implicitly and satisfy a
    ``depends`` without taking part in the order (the built-in ``core``).
    Raises StartupError listing every missing dependency, or the first cycle
    found, written in dependency order: ``"dependency cycle: a -> b -> a"``
    (``a`` needs ``b``, ``b`` needs ``a``).
    """
    after = after or {}
    position = {name: i for i, name in enumerate(names)}
    errors = []
    for name in names:
        for dep in depends.get(name, ()):
            if dep not in position and dep not in always:
                e = StartupError(f"{name} needs {dep}, which is not loaded (add {dep!r} to loadmodule)")
                e.module = name  # type: ignore[attr-defined]  # lets the loader point at its line
                errors.append(e)
    if errors:
        raise StartupError.collect(errors)

    prereq: dict[str, list[str]] = {}
    for name in names:
        reqs = [d for d in [*depends.get(name, ()), *after.get(name, ())] if d in position and d != name]
        prereq[name] = list(dict.fromkeys(reqs))
        if name in depends.get(name, ()) or name in after.get(name, ()):
            raise StartupError(f"dependency cycle: {name} -> {name}")
    waiting = {name: len(reqs) for name, reqs in prereq.items()}
    users: dict[str, list[str]] = {name: [] for name in names}
    for name, reqs in prereq.items():
        for r in reqs:
            users[r].append(name)
    ready = [(position[n], n) for n in names if waiting[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(name)
        for user in users[name]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, (position[user], user))
    if len(order) < len(names):
        left = [n for n in names if n not in set(order)]
        raise StartupError("dependency cycle: " + " -> ".join(_find_cycle(left, prereq)))
    return order


def _find_cycle(left: list[str], prereq: Mapping[str, Sequence[str]]) -> list[str]:
    """A cycle among the unordered modules, starting at the first in load order."""
    remaining = set(left)
    for start in left:
        path = [start]
        on_path = {start: 0}
        stack = [iter([r for r in prereq[start] if r in remaining])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                on_path.pop(path.pop(), None)
                continue
            if nxt in on_path:
                return path[on_path[nxt]:] + [nxt]
            on_path[nxt] = len(path)
            path.append(nxt)
            stack.append(iter([r for r in prereq[nxt] if r in remaining]))
    return left + left[:1]  # pragma: no cover - Kahn's algorithm left nodes, so a cycle exists
