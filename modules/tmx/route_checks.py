"""t_is_failure_route / t_is_branch_route / t_is_reply_route / t_is_request_route,
t_flush_flags and t_drop.

When: any route; they read the running block's type (``ctx.route_type``) or
touch the current transaction under its lock.
"""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import Arg, RouteType

from . import runtime
from .module_decl import module


def _is(ctx: Any, kind: RouteType) -> int:
    return 1 if int(ctx.route_type) & int(kind) else -1


@module.function("t_is_failure_route", doc="1 in failure_route (also in a resumed route), else -1.")
def t_is_failure_route(ctx: Any) -> int:
    return _is(ctx, RouteType.FAILURE)


@module.function("t_is_branch_route", doc="1 in branch_route, else -1.")
def t_is_branch_route(ctx: Any) -> int:
    return _is(ctx, RouteType.BRANCH)


@module.function("t_is_reply_route", doc="1 in tm onreply_route, else -1.")
def t_is_reply_route(ctx: Any) -> int:
    return _is(ctx, RouteType.TM_ONREPLY)


@module.function("t_is_request_route", doc="1 in request_route, else -1.")
def t_is_request_route(ctx: Any) -> int:
    return _is(ctx, RouteType.REQUEST)


@module.function("t_flush_flags",
                 doc="Copy the message flags into the transaction's request (after t_newtran).")
def t_flush_flags(ctx: Any) -> int:
    txn = runtime.tm.get_txn(ctx)
    if txn is None:
        return -1
    req = getattr(txn, "request", None)
    if req is None:
        return -1
    with txn.lock:
        req.flags = ctx.msg.flags
    return 1


@module.function("t_drop", Arg.IGP, optional=1,
                 doc="End the transaction without sending a reply; rcode (default 500) is "
                     "recorded as its status.")
def t_drop(ctx: Any, rcode: int = 500) -> int:
    tm = runtime.tm
    txn = tm.get_txn(ctx)
    if txn is None:
        return -1
    drop = getattr(tm, "t_drop", None)
    if drop is None:
        runtime.log_error(ctx, "t_drop: tm offers no t_drop")
        return -1
    rc = drop(ctx, rcode)
    return 0 if rc >= 0 else -1      # Kamailio: the script ends after t_drop
