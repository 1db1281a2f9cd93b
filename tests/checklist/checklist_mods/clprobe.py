"""Test-only siprouter module for the checklist tests (loaded through ``mpath``).

``cl_probe(tag)`` records (tag, thread name) so a test can tell which thread ran
a piece of route script; it returns 1.
"""
from __future__ import annotations

import threading

from siprouter.core.modsys import Arg, Module, hookimpl

module = Module("clprobe", version="1.0", doc="Thread probe for the checklist tests.")

SEEN: list[tuple[str, str]] = []


@module.function("cl_probe", Arg.SPVE, doc="Record (tag, current thread name); returns 1.")
def cl_probe(ctx, tag: str) -> int:
    SEEN.append((tag, threading.current_thread().name))
    return 1


@module.function("cl_api_task_route", Arg.SPVE,
                 doc="Call async_task_route's implementation directly, skipping the load-time "
                     "fixup (what a KEMI/Python caller does); returns its result.")
def cl_api_task_route(ctx, routename: str) -> int:
    import importlib
    functions = importlib.import_module("siprouter.modules.async.functions")  # 'async' is a keyword
    return functions.async_task_route(ctx, routename)


@hookimpl
def siprouter_module():
    return module
