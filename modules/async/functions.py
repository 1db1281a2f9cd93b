"""The async module's route functions and their load-time checks.

When: fixups run once while the route script compiles; the functions run per
call on the thread routing the message (loop thread, or a worker thread in a
resumed route).

What: the argument checks happen in Kamailio's order (spec §1.5) and every
failure returns -1 with a log line, so the script goes on.  On success the
suspending functions return the modparam ``return`` (0 by default: the script
ends).  Improvements over Kamailio are listed in README.md ("Differences").
"""
from __future__ import annotations

from typing import Any, Callable

from siprouter.core.modsys import Arg, FixupError, RouteType
from siprouter.modules.tmx.runtime import is_core_faked   # one definition of "core faked"

from . import runtime
from .engine import MS_QUEUE_LIMIT, call_id_of
from .module_decl import module

SUSPEND_ROUTES = RouteType.REQUEST | RouteType.FAILURE
MAX_NAME = 62               # Kamailio stores names in 63-byte buffers
MAX_SECONDS = 99            # "max 100" in the docs, but 100 is refused
MAX_MS = 29999


# -- shared checks ----------------------------------------------------------------
def _log(ctx: Any, event: str, **kw: Any) -> None:
    eng = runtime.engine
    logger = eng.log if eng is not None else None
    if logger is not None:
        logger.error(event, call_id=call_id_of(ctx), **kw)


def _engine_for_timer(ctx: Any, fn: str) -> Any:
    eng = runtime.engine
    if eng is None or eng.workers <= 0:
        _log(ctx, f"{fn}: no async mod timer workers (modparam workers missing?)")
        return None
    return eng


def _check_seconds(ctx: Any, fn: str, value: int) -> bool:
    if value <= 0:
        _log(ctx, f"{fn}: negative or zero sleep time", value=value)
        return False
    if value > MAX_SECONDS:
        _log(ctx, f"{fn}: max sleep time is 100 sec", value=value)
        return False
    return True


def _check_ms(ctx: Any, fn: str, eng: Any, value: int) -> bool:
    if eng.ms_timer <= 0:
        _log(ctx, f"{fn}: async timer list not initialized - check modparams (ms_timer)")
        return False
    if value <= 0:
        _log(ctx, f"{fn}: negative or zero sleep time", value=value)
        return False
    if value > MAX_MS:
        _log(ctx, f"{fn}: max sleep time is 30000 msec", value=value)
        return False
    if eng.table.ms_count >= MS_QUEUE_LIMIT:
        _log(ctx, f"{fn}: max sleep queue length exceeded ({MS_QUEUE_LIMIT})")
        return False
    workers = getattr(eng.env, "workers", None)
    if workers is None or not workers.has_group("default"):
        _log(ctx, f"{fn}: ms resumes need core async_workers (no default group)")
        return False
    return True


def _lookup_route(ctx: Any, fn: str, name: str) -> Any:
    if len(name) > MAX_NAME:
        _log(ctx, f"{fn}: route name is too long", route=name[:80])
        return None
    script = ctx.env.script
    route = script.route(name, "route")
    if route is None:
        _log(ctx, f"{fn}: route block not found", route=name)
    return route


#: one runner per (script, route): a suspended transaction refers to a shared one
#: instead of holding a closure of its own (~200 B each).  A runner keeps its
#: script and route alive, so their ids in the key cannot be reused by other
#: objects; bounded by the routes of the loaded scripts.
_RUNNERS: dict[tuple[int, int], Callable[[Any], Any]] = {}


def _route_runner(script: Any, route: Any) -> Callable[[Any], Any]:
    """The callable t_continue runs for ``route`` (``runner(ctx)`` -> the route's result)."""
    key = (id(script), id(route))
    runner = _RUNNERS.get(key)
    if runner is None:
        def runner(c: Any, route: Any = route, run: Any = script.run) -> Any:
            return run(route, c)
        if len(_RUNNERS) > 4096:   # scripts reloaded many times (tests): start over
            _RUNNERS.clear()
        _RUNNERS[key] = runner
    return runner


# -- fixups (load time) -------------------------------------------------------------
def _literal(arg: Any) -> Any:
    return getattr(arg, "literal", None)


def _fix_route_name(args: list, env: Any) -> None:
    name = _literal(args[0])
    if isinstance(name, str) and len(name) > MAX_NAME:
        raise FixupError(f"route name longer than {MAX_NAME} characters: {name[:40]}...")


def _fix_ms(args: list, env: Any) -> None:
    """ms functions need ms_timer > 0 and a core default group (literal args only)."""
    if any(_literal(a) is None for a in args):
        return                                   # dynamic: checked per call (-1 + log)
    params = runtime.module_params(env)
    if int(params.get("ms_timer") or 0) <= 0:
        raise FixupError("async ms functions need modparam async ms_timer > 0")
    if int(params.get("workers") or 0) <= 0:
        raise FixupError("async ms functions need modparam async workers > 0")
    groups = runtime.core_groups(env)
    if groups is not None and "default" not in groups:
        raise FixupError("async ms functions run their resume on core async workers: "
                         "set [core] async_workers")


def _fix_task(group_pos: int | None):
    """Fixup for async_task_*: core workers must exist; a literal group must be known."""
    def fixup(args: list, env: Any) -> None:
        _fix_route_name(args, env)
        groups = runtime.core_groups(env)
        if groups is None:
            return
        if not groups:
            raise FixupError("async task framework was not initialized - "
                             "set async_workers in [core]")
        if group_pos is not None:
            gname = _literal(args[group_pos])
            if isinstance(gname, str) and gname.lower() not in groups:
                raise FixupError(f"unknown async worker group {gname!r} "
                                 f"(known: {', '.join(sorted(groups))})")
    return fixup


def _fix_ms_route(args: list, env: Any) -> None:
    _fix_route_name(args, env)
    _fix_ms(args[1:], env)


# -- timer functions ----------------------------------------------------------------
def _do_route(ctx: Any, fn: str, name: str, value: int, ms: bool) -> int:
    eng = _engine_for_timer(ctx, fn)
    if eng is None:
        return -1
    if is_core_faked(ctx):
        _log(ctx, f"{fn}: invalid usage for faked message")
        return -1
    route = _lookup_route(ctx, fn, name)
    if route is None:
        return -1
    if ms:
        if not _check_ms(ctx, fn, eng, value):
            return -1
    elif not _check_seconds(ctx, fn, value):
        return -1
    delay = value / 1000.0 if ms else float(value)
    return eng.suspend(ctx, "ms" if ms else "timer", _route_runner(ctx.env.script, route),
                       delay=delay)


def _do_sleep(ctx: Any, fn: str, value: int, ms: bool) -> int:
    if is_core_faked(ctx):
        _log(ctx, f"{fn}: invalid usage for faked message")
        return -1
    eng = _engine_for_timer(ctx, fn)
    if eng is None:
        return -1
    cont = ctx.continuation()
    if cont is None:
        _log(ctx, f"{fn}: cannot be executed as last action in a route block")
        return -1
    if ms:
        if not _check_ms(ctx, fn, eng, value):
            return -1
    elif not _check_seconds(ctx, fn, value):
        return -1
    script = ctx.env.script
    delay = value / 1000.0 if ms else float(value)
    return eng.suspend(ctx, "ms" if ms else "timer",
                       lambda c: script.run_continuation(cont, c), delay=delay)


@module.function("async_route", Arg.ROUTE, Arg.IGP, routes=SUSPEND_ROUTES, fixup=_fix_route_name,
                 doc="Suspend the transaction; after `seconds` (1..99) run route[routename].")
def async_route(ctx: Any, routename: str, seconds: int) -> int:
    return _do_route(ctx, "async_route", routename, seconds, ms=False)


@module.function("async_ms_route", Arg.ROUTE, Arg.IGP, routes=SUSPEND_ROUTES, fixup=_fix_ms_route,
                 doc="Like async_route with milliseconds (1..29999); needs ms_timer > 0.")
def async_ms_route(ctx: Any, routename: str, ms: int) -> int:
    return _do_route(ctx, "async_ms_route", routename, ms, ms=True)


@module.function("async_sleep", Arg.IGP, routes=SUSPEND_ROUTES,
                 doc="Suspend; after `seconds` continue with the rest of the innermost block.")
def async_sleep(ctx: Any, seconds: int) -> int:
    return _do_sleep(ctx, "async_sleep", seconds, ms=False)


@module.function("async_ms_sleep", Arg.IGP, routes=SUSPEND_ROUTES, fixup=_fix_ms,
                 doc="Like async_sleep with milliseconds (1..29999); needs ms_timer > 0.")
def async_ms_sleep(ctx: Any, ms: int) -> int:
    return _do_sleep(ctx, "async_ms_sleep", ms, ms=True)


# -- task functions -------------------------------------------------------------------
def _task_prereq(ctx: Any, fn: str, group: str) -> Any:
    eng = runtime.engine
    if eng is None:
        return None
    workers = getattr(eng.env, "workers", None)
    if workers is None or not workers.has_group(group):
        _log(ctx, f"{fn}: no async worker group", group=group)
        return None
    return eng


def _do_task_route(ctx: Any, fn: str, name: str, group: str) -> int:
    eng = _task_prereq(ctx, fn, group)
    if eng is None:
        return -1
    if is_core_faked(ctx):
        _log(ctx, f"{fn}: invalid usage for faked message")
        return -1
    route = _lookup_route(ctx, fn, name)
    if route is None:
        return -1
    return eng.suspend(ctx, "task", _route_runner(ctx.env.script, route), group=group.lower())


@module.function("async_task_route", Arg.ROUTE, routes=SUSPEND_ROUTES, fixup=_fix_task(None),
                 doc="Suspend and run route[routename] at once on a core async worker (default group).")
def async_task_route(ctx: Any, routename: str) -> int:
    return _do_task_route(ctx, "async_task_route", routename, "default")


@module.function("async_task_group_route", Arg.ROUTE, Arg.SPVE, routes=SUSPEND_ROUTES,
                 fixup=_fix_task(1),
                 doc="Suspend and run route[routename] at once on the named worker group.")
def async_task_group_route(ctx: Any, routename: str, groupname: str) -> int:
    return _do_task_route(ctx, "async_task_group_route", routename, groupname)
