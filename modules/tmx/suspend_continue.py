"""t_suspend() and t_continue(tindex, tlabel, rtname) for scripts.

When: t_suspend in a request/failure route parks the transaction (the script
goes on: return 1; the author exits); t_continue from any route or thread
resumes it by running route[rtname] as a failure route.
"""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import Arg

from . import runtime
from .module_decl import module

SUSPENDED_KEY = "tmx.suspended"     # ctx.extra: (index, label) of the last t_suspend


@module.function("t_suspend",
                 doc="Create the transaction if needed and suspend it; 1 on success, the script goes on.")
def t_suspend(ctx: Any) -> int:
    tm = runtime.tm
    if runtime.is_core_faked(ctx):
        runtime.log_error(ctx, "t_suspend: suspending a faked request is not allowed")
        return -1
    txn = tm.get_txn(ctx)
    if txn is None or getattr(ctx, "txn", None) is not txn:
        # No T yet, or tm matched this message to an existing T (a retransmission):
        # t_newtran creates it, or resends the last reply and returns 0.
        rc = tm.t_newtran(ctx)
        if rc == 0 or (txn is not None and rc < 0):
            return 0            # retransmission: tm answered it; never suspend twice
        if rc < 0:
            runtime.log_error(ctx, "t_suspend: cannot create the transaction", rc=rc)
            return -1
    res = tm.t_suspend(ctx)
    if isinstance(res, tuple):
        ctx.extra[SUSPENDED_KEY] = res
        return 1
    if res == 1:
        return 1                # already canceled: Kamailio reports success too
    runtime.log_error(ctx, "t_suspend: failed to suspend the processing", rc=res)
    return -1


@module.function("t_continue", Arg.IGP, Arg.IGP, Arg.SPVE,
                 doc="Resume suspended transaction [tindex:tlabel] in route[rtname]; 1 or -1.")
def t_continue(ctx: Any, tindex: int, tlabel: int, rtname: str) -> int:
    tm = runtime.tm
    script = ctx.env.script
    route = script.route(rtname, "route") if script is not None else None
    if route is None:
        runtime.log_error(ctx, "t_continue: unable to find route block", route=rtname)
        return -1

    def run(rctx: Any) -> int:
        try:
            return script.run(route, rctx)
        except Exception:  # noqa: BLE001 — tm then answers 500; the caller must survive
            logger = getattr(runtime.env, "log", None)
            if logger is not None:
                logger.exception("t_continue: resumed route raised", call_id=runtime.call_id_of(rctx),
                                 index=tindex, label=tlabel, route=rtname)
            return -1

    rc = tm.t_continue(tindex, tlabel, run)
    if rc == 1:
        return 1
    logger = getattr(runtime.env, "log", None)
    if logger is not None:
        logger.warning("t_continue: resuming the processing of transaction failed",
                       index=tindex, label=tlabel, rc=rc,
                       reason="not suspended" if rc == -2 else "active transaction not found")
    return -1
