"""Response-context policy (RFC 3261 §16.7): which final reply goes upstream.

When: all branches of a transaction have a final answer (or were closed by a
timeout or CANCEL) and no 2xx went upstream; also for ``t_check_status`` and
``t_branch_*`` in failure_route.  What: pure functions over the branches.
"""
from __future__ import annotations

from typing import Any, Iterable


def pick_best(branches: Iterable[Any]) -> Any:
    """Best final reply (§16.7 step 6): any 6xx, else the lowest class.

    Within a class a real reply beats a faked one (timeout 408, cancel 487),
    503 ranks last (Kamailio's priorities), then the earliest branch wins.
    Open branches, the consumed blind branch of a resumed suspension and
    replies dropped by ``t_drop_replies``/``failure_reply_mode`` never win.
    """
    best, best_rank = None, None
    for b in branches:
        if b.open or b.never_pick or b.dropped or b.final_status < 300:
            continue
        s = b.final_status
        cls = 0 if s >= 600 else s // 100
        penalty = 2 if s == 503 else (1 if b.faked or s == 408 else 0)
        rank = (cls, penalty, b.index)
        if best_rank is None or rank < best_rank:
            best, best_rank = b, rank
    return best


def aggregate_challenges(branches: Iterable[Any], best: Any, reply: Any) -> None:
    """Copy every branch's challenge into the relayed 401/407 (§16.7 step 7)."""
    for b in branches:
        if b is best or b.final_reply is None or b.final_status not in (401, 407):
            continue
        for name in ("WWW-Authenticate", "Proxy-Authenticate"):
            for v in b.final_reply.get_all(name):
                if v not in reply.get_all(name):
                    reply.add_header(name, v)
