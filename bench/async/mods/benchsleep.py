"""Bench-only siprouter module: ``sleep(seconds)`` blocks the calling thread.

The counterpart of Kamailio's cfgutils ``sleep()`` used by the reference
``async.cfg`` ("taskslow" path: a route on an async worker that blocks 1 s).
Loaded through ``mpath``.
"""
from __future__ import annotations

import time

from siprouter.core.modsys import Arg, Module, hookimpl

module = Module("benchsleep", version="1.0", doc="Blocking sleep for the async benchmark.")


@module.function("sleep", Arg.IGP, doc="Block the calling thread for `seconds` seconds.")
def sleep(ctx, seconds: int) -> int:
    time.sleep(seconds)
    return 1


@hookimpl
def siprouter_module():
    return module
