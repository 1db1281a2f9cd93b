"""siprouter module ``async``: suspend transactions and resume them later.

Loaded through the entry point ``siprouter.modules: async`` (``async`` is a Python
keyword, so nothing imports this package with an ``import`` statement; the files
here import each other relatively).
"""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import ModuleInitError, hookimpl

from . import functions, pvs, runtime, task_data  # noqa: F401 — they fill `module`
from .engine import AsyncEngine
from .module_decl import module


@module.on_init
def mod_init(env: Any) -> None:
    """Bind tm's API and start the timer threads."""
    params = runtime.module_params(env)
    try:
        env.api("tm")
    except Exception as exc:  # noqa: BLE001
        raise ModuleInitError(f"async: cannot bind the tm API ({exc}); load tm before async") from exc
    eng = AsyncEngine(env, workers=int(params["workers"]), ms_timer=int(params["ms_timer"]),
                      ret=int(params["return"]))
    if eng.ms_timer <= 0:
        env.log.info("ms_timer is 0: async_ms_sleep and async_ms_route are disabled")
    eng.start()
    runtime.engine = eng
    _register_gauges(env, eng)


def _register_gauges(env: Any, eng: AsyncEngine) -> None:
    """Gauges read at snapshot time: suspended now, and per core group queue depth / tasks run."""
    gauge = getattr(getattr(env, "stats", None), "gauge", None)
    if gauge is None:
        return
    gauge("async", "suspended_now", lambda: len(eng.table), "transactions waiting for a resume now")
    workers = getattr(env, "workers", None)
    for name in (workers.names() if workers is not None else []):
        gauge("async", f"queue_depth_{name}",
              lambda n=name: workers.stats().get(n, {}).get("queue_depth", 0),
              f"tasks waiting in core worker group {name}")
        gauge("async", f"tasks_run_{name}",
              lambda n=name: workers.stats().get(n, {}).get("tasks_run", 0),
              f"tasks run by core worker group {name}")


@module.hook("shutdown", priority=10)
def on_shutdown(env: Any) -> None:
    """Before the sockets close (and before tm's own clean-up): 503 to every waiting T."""
    eng = runtime.engine
    if eng is not None:
        eng.answer_pending()


@module.on_destroy
def destroy(env: Any) -> None:
    """Answer every still-suspended transaction (503) and stop the timer threads."""
    eng = runtime.engine
    if eng is not None:
        eng.shutdown()
        runtime.engine = None


@module.rpc("stats", doc="async counters: suspended now, resumed, expired, canceled, queue depths.")
def rpc_stats(*_args: Any) -> dict:
    eng = runtime.engine
    return eng.stats() if eng is not None else {}


@module.rpc("latency", doc="How late resumed routes started, per kind (timer, ms, task): "
                            "n, min/p50/p99/max ms against suspend time + delay. "
                            "Param \"reset\" returns the figures and starts over.")
def rpc_latency(*args: Any) -> dict:
    """RPC (loop thread): the latency summaries; ``reset`` as first param clears them after."""
    eng = runtime.engine
    if eng is None:
        return {}
    out = {kind: h.summary() for kind, h in eng.latency.items()}
    if args and str(args[0]).lower() == "reset":
        for h in eng.latency.values():
            h.reset()
    return out


@hookimpl
def siprouter_module():
    return module
