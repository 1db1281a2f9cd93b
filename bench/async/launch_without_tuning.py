"""Start the bench server with the latency fixes of 2026-11-26 switched off ("before" runs).

Usage (from run.sh): ``LAUNCH=launch_without_tuning.py ./run.sh -n -d 30 -o DIR``
runs ``python3 launch_without_tuning.py async.toml`` in this folder.

Switched off, each back to what the server did before:
* GC ticks: ``_tune_gc(threshold, 0)`` - collections only every ``gc_threshold``
  allocations (the middle generation every 50 of them);
* GIL switch interval: Python's 5 ms (worker pools no longer shorten it);
* resume timers: ``env.call_later`` on the event loop instead of the async
  module's timer thread.
Everything else (the server-side lateness figures included) is the current tree,
so before/after differ only by these three.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any

import siprouter.core.async_workers as async_workers
import siprouter.core.server as server

_tune_gc = server._tune_gc
server._tune_gc = lambda threshold, interval_ms=None, **kw: _tune_gc(threshold, 0)
async_workers.shorten_switch_interval = lambda seconds=0.005: sys.getswitchinterval()

_timer = importlib.import_module("siprouter.modules.async.timer")
_runtime = importlib.import_module("siprouter.modules.async.runtime")


def _on_loop(self: Any, due: float, entry: Any) -> None:
    """ResumeTimer.schedule replacement: the loop's timer, as before."""
    eng = _runtime.engine
    entry.handle = eng.env.call_later(max(0.0, due - eng.env.now()), eng._fire, entry)


_timer.ResumeTimer.schedule = _on_loop

if __name__ == "__main__":
    sys.exit(server.main(sys.argv[1:]))
