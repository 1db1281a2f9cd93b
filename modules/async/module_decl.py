"""The async module's declaration: name, dependencies, parameters, statistics.

When: built at import time; the sibling files add functions and PVs to it.
"""
from __future__ import annotations

from siprouter.core.modsys import Module

module = Module(
    "async", version="1.0", depends=["tm", "tmx"],
    doc="Asynchronous SIP request processing: suspend a transaction and resume it "
        "after a delay or on a core async worker thread.")

module.param("workers", int, default=1, min=0, max=1024,
             doc="Threads that run async_route/async_sleep resumes when their timers fire; "
                 "0 turns those two functions off (-1 at run time).")
module.param("ms_timer", int, default=0, min=0, max=1000,
             doc="Enables async_ms_route/async_ms_sleep when > 0 (their timers are precise; "
                 "the value is kept for compatibility).")
module.param("return", int, default=0,
             doc="Value the suspending functions return on success; 0 ends the script.")

for _name, _doc in (
        ("suspended", "transactions suspended by async functions (total)"),
        ("resumed", "resumes that ran their route"),
        ("expired", "resumes that found the transaction gone (fr_timer, shutdown)"),
        ("canceled", "resumes skipped because the transaction was CANCELed"),
        ("failed", "resumed routes that raised an exception"),
        ("shutdown_replied", "suspended transactions answered 503 at shutdown"),
        ("tasks_data", "async_task_data / async_task_group_data tasks queued")):
    module.stat(_name, _doc)
