"""How late resumed routes start, measured inside the server (no SIPp, no relay).

When: the engine records one sample per resume, at the moment the resumed
route starts running (after tm built its FAILURE-route context, before the
script runs).  ``async.stats`` and the shutdown log line read the summary.

What: per resume kind (``timer`` = async_route/async_sleep, ``ms`` = the ms
variants, ``task`` = async_task_route/…group_route) the lateness is
``start - due`` where ``due`` is ``suspend time + delay`` (for a task: the
suspend time, so it is the dispatch latency).  This is the figure the
targets are about ("resume within 20 ms of N s", "dispatch p99 ≤ 5 ms"); a
SIPp INVITE → 200 time adds the relay to the UAS and back and SIPp's own
clock steps.

Samples go into a fixed histogram of 0.1 ms buckets up to 2 s (one list
index increment per sample, so recording costs no allocation); percentiles
are therefore exact to 0.1 ms.  Early starts (negative lateness: a timer that
fired before its time) are counted in bucket 0 and reported by ``min_ms``.
"""
from __future__ import annotations

import threading
from typing import Any

BUCKET_MS = 0.1
MAX_MS = 2000.0
_NBUCKETS = int(MAX_MS / BUCKET_MS) + 1   # the last bucket holds everything >= MAX_MS


class LatencyHistogram:
    """Thread-safe histogram of lateness samples (seconds in, milliseconds out)."""

    __slots__ = ("_lock", "_buckets", "count", "min_ms", "max_ms", "_sum_ms")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets = [0] * _NBUCKETS
        self.count = 0
        self.min_ms = 0.0
        self.max_ms = 0.0
        self._sum_ms = 0.0

    def add(self, late_s: float) -> None:
        """Record one sample of ``late_s`` seconds (runs on the thread that starts the route)."""
        ms = late_s * 1000.0
        i = int(ms / BUCKET_MS) if ms > 0 else 0
        if i >= _NBUCKETS:
            i = _NBUCKETS - 1
        with self._lock:
            self._buckets[i] += 1
            if self.count == 0 or ms < self.min_ms:
                self.min_ms = ms
            if self.count == 0 or ms > self.max_ms:
                self.max_ms = ms
            self.count += 1
            self._sum_ms += ms

    def percentile(self, q: float) -> float | None:
        """Upper edge (ms) of the bucket holding the ``q`` quantile (0 < q ≤ 1); None if empty."""
        with self._lock:
            n = self.count
            if n == 0:
                return None
            rank = max(1, -(-int(q * n * 1000) // 1000))   # ceil(q*n) without float surprises
            seen = 0
            for i, c in enumerate(self._buckets):
                seen += c
                if seen >= rank:
                    # the top bucket is open-ended: report the largest sample seen instead
                    return self.max_ms if i == _NBUCKETS - 1 else round((i + 1) * BUCKET_MS, 1)
        return self.max_ms   # pragma: no cover — the loop always reaches rank

    def summary(self) -> dict[str, Any]:
        """``{n, min_ms, p50_ms, p99_ms, max_ms, mean_ms}`` (ms values rounded to 0.1)."""
        p50, p99 = self.percentile(0.50), self.percentile(0.99)
        with self._lock:
            n = self.count
            return {"n": n,
                    "min_ms": round(self.min_ms, 1) if n else None,
                    "p50_ms": p50, "p99_ms": p99,
                    "max_ms": round(self.max_ms, 1) if n else None,
                    "mean_ms": round(self._sum_ms / n, 2) if n else None}

    def reset(self) -> None:
        """Forget every sample (RPC ``async.stats`` with ``reset``; bench runs per path)."""
        with self._lock:
            self._buckets = [0] * _NBUCKETS
            self.count = 0
            self.min_ms = self.max_ms = self._sum_ms = 0.0
