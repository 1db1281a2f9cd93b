"""The table of suspended transactions the async module will resume.

When: an entry is added right after tm suspended a transaction for an async
function, and removed when its resume runs (or shutdown answers it).

What: each :class:`PendingResume` moves through one small state machine —
``SCHEDULED`` (timer armed) → ``QUEUED`` (handed to a worker thread) →
``RUNNING`` → gone.  :meth:`PendingTable.claim` is the one atomic step that
lets exactly one party (a worker, or shutdown) act on an entry, which is what
makes "resume vs. shutdown" and "two triggers for one T" race-free.
"""
from __future__ import annotations

import enum
import threading
from dataclasses import dataclass, field
from typing import Any, Callable


class PendingState(enum.Enum):
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    RUNNING = "running"


@dataclass(eq=False, slots=True)
class PendingResume:
    """One suspended T waiting for its resume."""

    index: int
    label: int
    kind: str                                  # "timer", "ms", "task"
    run: Callable[[Any], int]                  # the route run handed to tm.t_continue
    call_id: str | None = None
    group: str | None = None                   # core worker group ("ms"/"task")
    handle: Any = None                         # timer handle while SCHEDULED
    state: PendingState = PendingState.SCHEDULED
    txn_ref: Any = field(default=None, repr=False)
    due: float = 0.0                           # env.now() when the route should start

    @property
    def key(self) -> tuple[int, int]:
        return (self.index, self.label)


class PendingTable:
    """Thread-safe map ``(index, label) -> PendingResume`` with claim semantics."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[int, int], PendingResume] = {}
        self._by_txn: dict[int, PendingResume] = {}   # id(txn) -> entry (the entry keeps txn alive)
        self._ms_count = 0

    def add(self, p: PendingResume) -> None:
        with self._lock:
            self._items[p.key] = p
            if p.txn_ref is not None:
                self._by_txn[id(p.txn_ref)] = p
            if p.kind == "ms":
                self._ms_count += 1

    def has(self, index: int, label: int) -> bool:
        with self._lock:
            return (index, label) in self._items

    def has_txn(self, txn: Any) -> bool:
        """True if ``txn`` (the object tm gave) is already waiting here."""
        with self._lock:
            p = self._by_txn.get(id(txn))
            return p is not None and p.txn_ref is txn

    def mark_queued(self, p: PendingResume) -> bool:
        """SCHEDULED → QUEUED when the timer fires; False if someone else took it."""
        with self._lock:
            if self._items.get(p.key) is not p or p.state is not PendingState.SCHEDULED:
                return False
            p.state = PendingState.QUEUED
            p.handle = None
            return True

    def claim(self, p: PendingResume) -> bool:
        """Take ``p`` out of the table to act on it; only the first caller wins."""
        with self._lock:
            if self._items.get(p.key) is not p or p.state is PendingState.RUNNING:
                return False
            p.state = PendingState.RUNNING
            self._drop(p)
            if p.kind == "ms":
                self._ms_count -= 1
            return True

    def _drop(self, p: PendingResume) -> None:
        del self._items[p.key]
        if p.txn_ref is not None and self._by_txn.get(id(p.txn_ref)) is p:
            del self._by_txn[id(p.txn_ref)]

    def claim_all(self) -> list[PendingResume]:
        """Take every entry (shutdown)."""
        with self._lock:
            items = [p for p in self._items.values() if p.state is not PendingState.RUNNING]
            for p in items:
                p.state = PendingState.RUNNING
                self._drop(p)
            self._ms_count = sum(1 for p in self._items.values() if p.kind == "ms")
            return items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @property
    def ms_count(self) -> int:
        with self._lock:
            return self._ms_count
