"""async_task_data / async_task_group_data: run a route on a worker with a data string.

When: the function queues the task and returns 1 at once; a core async worker
later runs ``route[routename]`` on a core faked request (no transaction, no
suspend), where ``$async(data)`` gives the string and ``$async(gname)`` the group.
"""
from __future__ import annotations

import threading
from typing import Any

from siprouter.core.modsys import Arg, RouteType

from . import runtime
from .functions import _fix_task, _log, _lookup_route
from .module_decl import module

_FAKED = (b"OPTIONS sip:you@siprouter.invalid SIP/2.0\r\n"
          b"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKasyncdata\r\n"
          b"From: <sip:async@siprouter.invalid>;tag=async\r\n"
          b"To: <sip:you@siprouter.invalid>\r\n"
          b"Call-ID: async-task-data\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")

_local = threading.local()


def current_data() -> str | None:
    """``$async(data)``: the data string of the *_data task running on this thread."""
    return getattr(_local, "data", None)


def faked_request() -> Any:
    """A fresh core faked request (marked so async/tmx refuse to suspend it)."""
    from siprouter.core.sip import parse_message   # the SIP layer; imported late on purpose
    msg = parse_message(_FAKED)
    msg.attrs["core_faked"] = True
    return msg


def _run_data_task(env: Any, route: Any, data: str) -> None:
    _local.data = data
    try:
        ctx = env.script.new_context(faked_request(), RouteType.REQUEST, env)
        env.script.run(route, ctx)
    finally:
        _local.data = None


def _do_data(ctx: Any, fn: str, name: str, group: str, data: str) -> int:
    eng = runtime.engine
    workers = getattr(eng.env, "workers", None) if eng is not None else None
    if workers is None or not workers.has_group(group):
        _log(ctx, f"{fn}: no async worker group", group=group)
        return -1
    route = _lookup_route(ctx, fn, name)
    if route is None:
        return -1
    env = ctx.env
    if not workers.submit(group, lambda: _run_data_task(env, route, data)):
        _log(ctx, f"{fn}: task queue refused the task", group=group)
        return -1
    eng._count("tasks_data")
    return 1


@module.function("async_task_data", Arg.ROUTE, Arg.SPVE, routes=RouteType.ANY, fixup=_fix_task(None),
                 doc="Run route[routename] on a default-group worker with $async(data); returns 1.")
def async_task_data(ctx: Any, routename: str, data: str) -> int:
    return _do_data(ctx, "async_task_data", routename, "default", data)


@module.function("async_task_group_data", Arg.ROUTE, Arg.SPVE, Arg.SPVE, routes=RouteType.ANY,
                 fixup=_fix_task(1),
                 doc="Run route[routename] on the named group with $async(data); returns 1.")
def async_task_group_data(ctx: Any, routename: str, groupname: str, data: str) -> int:
    return _do_data(ctx, "async_task_group_data", routename, groupname.lower(), data)
