"""TimerHandle lets go of its callback once it ran or was cancelled (regression).

The loop's own handle refers back to our ``TimerHandle`` (its callback is
``TimerHandle._run``) and ours referred to it, so every ``env.call_soon`` /
``call_later`` left a cycle holding the callback's arguments (tm passes the
transaction) until a cyclic GC pass.  Now both links are dropped, so reference
counting frees the arguments at once.
"""
from __future__ import annotations

import asyncio
import gc
import threading
import weakref

from siprouter.core.env import TimerHandle


class _Payload:
    """Stands for a transaction handed to a timer callback."""


def _schedule(loop: asyncio.AbstractEventLoop, fn, arg, delay: float | None = None) -> TimerHandle:
    h = TimerHandle(loop.time(), fn, (arg,), loop, threading.get_ident())
    inner = loop.call_soon(h._run) if delay is None else loop.call_later(delay, h._run)
    h._bind(inner)
    return h


def test_ran_handle_frees_its_arguments_without_the_gc():
    loop = asyncio.new_event_loop()
    gc.disable()
    try:
        seen = []
        payload = _Payload()
        ref = weakref.ref(payload)
        h = _schedule(loop, seen.append, payload)
        del payload
        loop.run_until_complete(asyncio.sleep(0))
        assert len(seen) == 1
        seen.clear()
        assert ref() is None, "the ran handle still holds its callback's arguments"
        assert h._inner is None
    finally:
        gc.enable()
        loop.close()


def test_cancelled_handle_frees_its_arguments_and_never_runs():
    loop = asyncio.new_event_loop()
    gc.disable()
    try:
        seen = []
        payload = _Payload()
        ref = weakref.ref(payload)
        h = _schedule(loop, seen.append, payload, delay=0.001)
        del payload
        h.cancel()
        assert ref() is None, "the cancelled handle still holds its callback's arguments"
        loop.run_until_complete(asyncio.sleep(0.01))
        assert seen == [] and h.cancelled
    finally:
        gc.enable()
        loop.close()
