"""The RPC methods the core always exports (Kamailio's core and kex ``stats.*`` RPCs).

Statistics filters (``stats.get_statistics``, ``stats.fetch``,
``stats.reset_statistics``, ``stats.clear_statistics``), any number of them:

* none or ``all`` — every statistic;
* ``module:``     — every statistic of one module (``tm:``);
* ``module:name`` — one statistic;
* ``name``        — the statistic ``name`` of whichever module declares it.

Unlike Kamailio, a filter that matches nothing is an error (-32602), not an
empty answer.
"""
from __future__ import annotations

import datetime as _dt
import platform
import time
from typing import Any

from siprouter.core.rpc.errors import INVALID_PARAMS, RPCError
from siprouter.core.rpc.registry import RPCRegistry

__all__ = ["add_builtin_methods", "select_stats"]


def select_stats(stats: Any, filters: tuple[Any, ...]) -> list[tuple[str, str]]:
    """The (module, name) pairs the filters pick, in declaration order, no duplicates."""
    snap = stats.snapshot()
    keys = [(mod, name) for mod, names in snap.items() for name in names]
    if not filters:
        return keys
    picked: dict[tuple[str, str], None] = {}
    for f in filters:
        if not isinstance(f, str) or not f:
            raise RPCError(f"bad statistics filter {f!r}: use all, module:, module:name or name",
                           INVALID_PARAMS)
        if f == "all":
            found = keys
        elif ":" in f:
            mod, _, name = f.partition(":")
            if mod not in snap:
                raise RPCError(f"no statistics for module {mod!r} (modules with statistics: "
                               f"{', '.join(sorted(snap)) or 'none'})", INVALID_PARAMS)
            found = [k for k in keys if k[0] == mod and (not name or k[1] == name)]
            if not found:
                raise RPCError(f"unknown statistic {f!r}", INVALID_PARAMS)
        else:
            found = [k for k in keys if k[1] == f]
            if not found:
                raise RPCError(f"unknown statistic {f!r} (use module: for a whole module)",
                               INVALID_PARAMS)
        for k in found:
            picked[k] = None
    return list(picked)


def _iso(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).isoformat(timespec="seconds")


def add_builtin_methods(registry: RPCRegistry, env: Any, started: float) -> None:
    """Register ``core.*``, ``system.*`` and ``stats.*`` on ``registry``.

    ``started`` is the wall-clock start time (``time.time()``) for core.uptime.
    """
    import siprouter

    started_mono = time.monotonic() - (time.time() - started)

    def core_version() -> str:
        """The server version, like Kamailio's core.version."""
        return (f"siprouter {siprouter.__version__} (python {platform.python_version()}, "
                f"{platform.system().lower()}/{platform.machine()})")

    def core_uptime() -> dict[str, Any]:
        """now, up_since (UTC, ISO 8601) and uptime in seconds."""
        return {"now": _iso(time.time()), "up_since": _iso(started),
                "uptime": int(time.monotonic() - started_mono)}

    def core_modules() -> list[dict[str, str]]:
        """The loaded modules in start-up order (the built-in core module first)."""
        modset = getattr(env, "modset", None)
        if modset is None:
            return []
        return [{"name": m.name, "version": m.version} for m in modset.ordered]

    def rpc_list() -> list[str]:
        """Every RPC method name, sorted."""
        return registry.names()

    def method_help(name: str) -> str:
        """The doc string and the parameters of one RPC method."""
        m = registry.lookup(name)
        return f"{m.usage()}: {m.doc}" if m.doc else m.usage()

    def core_echo(*params: Any) -> list[Any]:
        """Returns its params (a connectivity check)."""
        return list(params)

    stats = env.stats

    def get_statistics(*filters: Any) -> list[str]:
        """["module:name = value", ...] for the filters (all, module:, module:name, name)."""
        return [f"{m}:{n} = {stats.get(m, n)}" for m, n in select_stats(stats, filters)]

    def fetch(*filters: Any) -> dict[str, int]:
        """{"module.name": value} for the filters (all, module:, module:name, name)."""
        return {f"{m}.{n}": stats.get(m, n) for m, n in select_stats(stats, filters)}

    def reset_statistics(*filters: Any) -> int:
        """Zero the counters the filters pick (gauges read live are unaffected); returns how many."""
        picked = select_stats(stats, filters)
        for m, n in picked:
            stats.set(m, n, 0)
        return len(picked)

    def clear_statistics(*filters: Any) -> dict[str, int]:
        """Like stats.fetch, then zero those counters."""
        picked = select_stats(stats, filters)
        out = {f"{m}.{n}": stats.get(m, n) for m, n in picked}
        for m, n in picked:
            stats.set(m, n, 0)
        return out

    for name, fn in (("core.version", core_version), ("core.uptime", core_uptime),
                     ("core.modules", core_modules), ("core.rpc_list", rpc_list),
                     ("core.echo", core_echo),
                     ("system.listMethods", rpc_list), ("system.methodHelp", method_help),
                     ("stats.get_statistics", get_statistics), ("stats.fetch", fetch),
                     ("stats.reset_statistics", reset_statistics),
                     ("stats.clear_statistics", clear_statistics)):
        registry.add(name, fn, module="core")
