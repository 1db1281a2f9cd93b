"""t_reply_callid and t_cancel_callid: act on a transaction found by Call-ID and CSeq.

When: any route (typically an RPC-like event route, or another request's
route); the target transaction is locked by tm while it is answered/canceled.
"""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import Arg, RouteType

from . import runtime
from .module_decl import module


def find_by_callid(tm: Any, callid: str, cseq: str) -> Any:
    """The live transaction with this Call-ID and CSeq number (``"12"`` or ``"12 INVITE"``)."""
    num = cseq.strip().split()[0] if cseq.strip() else ""
    finder = getattr(tm, "lookup_callid", None)
    if finder is not None:
        return finder(callid, num)
    table = getattr(tm, "table", None)
    txns = table.snapshot() if table is not None and hasattr(table, "snapshot") else []
    for txn in txns:
        req = getattr(txn, "uas_request", None) or getattr(txn, "request", None)
        if req is None or req.call_id != callid:
            continue
        cs = getattr(req, "cseq", None)
        if cs is not None and str(cs.number) == num and req.method != "CANCEL" and \
                not getattr(txn, "ended", False):
            return txn
    return None


def _txn_ctx(ctx: Any, txn: Any) -> Any:
    """A context bound to ``txn`` for tm calls made on its behalf."""
    script = ctx.env.script
    tctx = script.new_context(txn.request, RouteType.REQUEST, ctx.env)
    tctx.txn = txn
    return tctx


@module.function("t_reply_callid", Arg.SPVE, Arg.SPVE, Arg.IGP, Arg.SPVE,
                 doc="Reply `code reason` to the transaction with this Call-ID and CSeq.")
def t_reply_callid(ctx: Any, callid: str, cseq: str, code: int, reason: str) -> int:
    tm = runtime.tm
    txn = find_by_callid(tm, callid, cseq)
    if txn is None:
        runtime.log_error(ctx, "t_reply_callid: transaction not found", target=callid, cseq=cseq)
        return -1
    return 1 if tm.t_reply(_txn_ctx(ctx, txn), code, reason) > 0 else -1


@module.function("t_cancel_callid", Arg.SPVE, Arg.SPVE, Arg.IGP, Arg.IGP, optional=1,
                 doc="Cancel the branches of the transaction with this Call-ID and CSeq.")
def t_cancel_callid(ctx: Any, callid: str, cseq: str, flag: int, rcode: int = 0) -> int:
    tm = runtime.tm
    txn = find_by_callid(tm, callid, cseq)
    if txn is None:
        runtime.log_error(ctx, "t_cancel_callid: transaction not found", target=callid, cseq=cseq)
        return -1
    cancel = getattr(tm, "t_cancel_branches", None) or getattr(tm, "cancel_transaction", None)
    if cancel is None:
        runtime.log_error(ctx, "t_cancel_callid: tm offers no branch cancel")
        return -1
    return 1 if cancel(txn, rcode or None) >= 0 else -1
