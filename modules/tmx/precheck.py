"""t_precheck_trans(): spot a retransmission of a request still being routed, before any T.

When: early in request_route (Kamailio's default config calls it for every
non-ACK/CANCEL request, then t_check_trans()).  The first copy of a request is
recorded as "in processing"; a retransmission that arrives while that copy is
still being routed (no transaction yet to absorb it) makes the function return
1, so the script can drop it.  The record is removed as soon as the first copy's
processing ends: right after the current loop callback (routing on the loop
thread is synchronous), or after the current task on a worker thread.
"""
from __future__ import annotations

import threading
from typing import Any

from siprouter.core.async_workers import after_current_task, in_worker_thread
from siprouter.core.modsys import RouteType

from . import runtime
from .module_decl import module


def request_key(msg: Any) -> tuple | None:
    """Call-ID, CSeq number and method, top Via branch (what identifies a retransmission)."""
    try:
        cseq = msg.cseq
        via = msg.top_via
        return (msg.call_id, cseq.number if cseq else None, msg.method,
                via.branch if via is not None else None)
    except Exception:  # noqa: BLE001 — an unparseable request just is not tracked
        return None


class PrecheckTable:
    """Keys of requests being processed right now (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: set[tuple] = set()

    def enter(self, key: tuple) -> bool:
        """Record ``key``; False if it was already there (a retransmission)."""
        with self._lock:
            if key in self._keys:
                return False
            self._keys.add(key)
            return True

    def leave(self, key: tuple) -> None:
        with self._lock:
            self._keys.discard(key)

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)


@module.function("t_precheck_trans", routes=RouteType.REQUEST,
                 doc="1 if this request is a retransmission of one still being processed "
                     "(no transaction yet), else -1.")
def t_precheck_trans(ctx: Any) -> int:
    table = runtime.precheck
    if table is None:
        return -1
    if ctx.msg.method in ("ACK", "CANCEL"):
        return -1
    key = request_key(ctx.msg)
    if key is None:
        return -1
    if not table.enter(key):
        return 1
    if in_worker_thread():
        after_current_task(lambda: table.leave(key))
    else:
        ctx.env.call_soon(table.leave, key)
    return -1
