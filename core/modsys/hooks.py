"""Per-message hook points (``module.hook(point, priority)``).

pluggy is not used per message; at start-up every module's ``HookSpec`` is
resolved into one plain list per point, ordered by ``priority`` (lower first)
and then by module start-up order.  The core calls them through
``env.hooks(point)``.

Known points (contracts §5):

``request_in``
    ``fn(env, request) -> bool`` before ``request_route``; True means the
    request was consumed and the route does not run.
``reply_in``
    ``fn(env, reply) -> bool`` for every received reply; True means a module
    (tm) took it and the core does not forward it statelessly.
``shutdown``
    ``fn(env)`` when a graceful stop begins.

A hook at a point not listed here is accepted (a later layer may add points)
but logged as a warning at start-up, since it is most often a typo.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from siprouter.core.modsys.declare import Module

__all__ = ["HOOK_POINTS", "resolve_hooks"]

HOOK_POINTS: dict[str, str] = {
    "request_in": "fn(env, request) -> bool, before request_route; True = consumed",
    "reply_in": "fn(env, reply) -> bool, every received reply; True = taken (no stateless forward)",
    "shutdown": "fn(env), when a graceful stop begins",
}


def resolve_hooks(modules: Sequence[Module]) -> dict[str, list[Callable[..., Any]]]:
    """``{point: [impl, ...]}`` ordered by (priority, start-up position)."""
    entries: dict[str, list[tuple[int, int, int, Callable[..., Any]]]] = {}
    for pos, mod in enumerate(modules):
        for seq, hook in enumerate(mod.hooks):
            entries.setdefault(hook.point, []).append((hook.priority, pos, seq, hook.impl))
    return {point: [e[3] for e in sorted(items, key=lambda e: e[:3])]
            for point, items in entries.items()}
