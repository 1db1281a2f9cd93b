"""Test-only siprouter module (loaded through ``mpath``): ``test_sleep(ms)`` blocks its thread.

Stands in for a slow database or HTTP call in a route run on an async worker.
"""
from __future__ import annotations

import time

from siprouter.core.modsys import Arg, Module, hookimpl

module = Module("testsleep", version="1.0", doc="Blocking sleep for async end-to-end tests.")


@module.function("test_sleep", Arg.IGP, doc="Block the calling thread for `ms` milliseconds.")
def test_sleep(ctx, ms: int) -> int:
    time.sleep(ms / 1000.0)
    return 1


@hookimpl
def siprouter_module():
    return module
