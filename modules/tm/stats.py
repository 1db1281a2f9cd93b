"""tm's statistics: names, docs, and the counting helper.

When: counters move as transactions are created and end and as replies are
received, relayed, absorbed or generated.  What: the names follow Kamailio's
tm/tmx statistics so dashboards read the same.  Values live in the core's
``env.stats`` (readable over RPC/CLI); ``inuse_transactions`` and
``active_transactions`` are gauges computed from the table.
"""
from __future__ import annotations

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


class TmStats:
    """Counts into ``env.stats`` under module "tm" and keeps a local copy.

    The local copy lets tests and the shutdown log read the values even when
    the core's Stats object does not know tm's names (unit tests).
    """

    def __init__(self, env: Any, module: str = "tm") -> None:
        self.module = module
        self.local: dict[str, int] = {name: 0 for name in STATS}
        self._stats = getattr(env, "stats", None) if env is not None else None

    def inc(self, name: str, n: int = 1) -> None:
        self.local[name] = self.local.get(name, 0) + n
        if self._stats is not None:
            try:
                self._stats.inc(self.module, name, n)
            except Exception:   # undeclared in a bare test env: the local copy suffices
                self._stats = None

    def final(self, status: int) -> None:
        """Count a transaction's final reply by class."""
        if 200 <= status < 700:
            self.inc(f"{status // 100}xx_transactions")

    def register_gauges(self, inuse: Any, active: Any) -> None:
        """Make the in-use/active counters read the table at snapshot time."""
        if self._stats is not None and hasattr(self._stats, "gauge"):
            self._stats.gauge(self.module, "inuse_transactions", inuse)
            self._stats.gauge(self.module, "active_transactions", active)
