"""tm's statistics: names, docs, and the counting helper.

When: counters move as transactions are created and end and as replies are
received, relayed, absorbed or generated.  What: the names follow Kamailio's
tm/tmx statistics so dashboards read the same.  Values live in the core's
``env.stats`` (readable over RPC/CLI); ``inuse_transactions`` and
``active_transactions`` are gauges computed from the table.
"""
from __future__ import annotations

import functools
from typing import Any

STATS: dict[str, str] = {
    "UAS_transactions": "server transactions created",
    "UAC_transactions": "client transactions (branches) created",
    "inuse_transactions": "transactions in the table now (gauge)",
    "active_transactions": "transactions without a final reply yet (gauge)",
    "2xx_transactions": "transactions answered with 2xx",
    "3xx_transactions": "transactions answered with 3xx",
    "4xx_transactions": "transactions answered with 4xx",
    "5xx_transactions": "transactions answered with 5xx",
    "6xx_transactions": "transactions answered with 6xx",
    "rpl_received": "replies received from downstream",
    "rpl_relayed": "replies relayed upstream",
    "rpl_absorbed": "replies absorbed (retransmissions, 100, CANCEL replies)",
    "rpl_generated": "replies generated locally (t_reply, timeouts, errors)",
    "rpl_sent": "replies sent upstream (relayed + generated, incl. retransmissions)",
}


#: counter name of a final reply class (2..6), made once rather than per reply
_CLASS_NAMES = {c: f"{c}xx_transactions" for c in range(2, 7)}

#: computed from the table, not counted
_GAUGES = frozenset(("inuse_transactions", "active_transactions"))


class TmStats:
    """Counts into ``env.stats`` under module "tm".

    ``inc(name, n=1)`` is the core Stats' own ``inc`` with the module name
    bound (one call per event, no wrapper frame).  ``local`` reads the values
    back as a dict (tests, ``tm.stats`` RPC).  In a bare test env whose Stats
    object does not know tm's names, the counts stay in a private dict.
    """

    def __init__(self, env: Any, module: str = "tm") -> None:
        self.module = module
        self._own: dict[str, int] = {name: 0 for name in STATS}
        stats = getattr(env, "stats", None) if env is not None else None
        if stats is not None:
            try:
                stats.inc(module, "rpl_received", 0)   # are tm's names declared there?
            except Exception:
                stats = None
        self._stats = stats
        if stats is not None:
            self.inc = functools.partial(stats.inc, module)   # type: ignore[method-assign]

    def inc(self, name: str, n: int = 1) -> None:
        """Add ``n`` to counter ``name`` (any thread); replaced per instance when
        the core's Stats knows tm's names."""
        self._own[name] = self._own.get(name, 0) + n

    @property
    def local(self) -> dict[str, int]:
        """Every stored tm counter as ``{name: value}`` (gauges excluded)."""
        stats = self._stats
        if stats is None:
            return dict(self._own)
        return {name: stats.get(self.module, name) for name in STATS if name not in _GAUGES}

    def final(self, status: int) -> None:
        """Count a transaction's final reply by class."""
        if 200 <= status < 700:
            self.inc(_CLASS_NAMES[status // 100])

    def register_gauges(self, inuse: Any, active: Any) -> None:
        """Make the in-use/active counters read the table at snapshot time."""
        if self._stats is not None and hasattr(self._stats, "gauge"):
            self._stats.gauge(self.module, "inuse_transactions", inuse)
            self._stats.gauge(self.module, "active_transactions", active)
