"""tmx pseudo-variables: $T(name), $T_branch_idx, $T_reply_code, $T_reply_reason,
$T_req(pv), $T_rpl(pv), $T_inv(pv).

When: read in any route; each getter looks at the current transaction
(``tm.get_txn(ctx)``), the running route type and, in reply/failure routes,
``ctx.reply``.  Inner PVs of $T_req/$T_rpl/$T_inv are compiled once, on first use,
with the server's PV registry.
"""
from __future__ import annotations

import threading
from typing import Any

from siprouter.core.modsys import RouteType

from . import runtime
from .module_decl import module

T_NAMES = ("id_index", "id_label", "id_index_n", "id_label_n", "reply_code", "reply_reason",
           "reply_last", "branch_index", "ruid", "reply_type")


def _txn(ctx: Any, create: bool = False) -> Any:
    tm = runtime.tm
    txn = tm.get_txn(ctx)
    if txn is None and create and ctx.msg is not None and getattr(ctx.msg, "is_request", False) \
            and not runtime.is_core_faked(ctx):
        if tm.t_newtran(ctx) > 0:
            txn = tm.get_txn(ctx)
    return txn


def _rt(ctx: Any) -> int:
    return int(ctx.route_type)


def branch_idx(ctx: Any) -> int:
    """-1 without T; branch index in branch/onreply routes; number of branches elsewhere."""
    txn = _txn(ctx)
    if txn is None:
        return -1
    if _rt(ctx) & int(RouteType.BRANCH | RouteType.TM_ONREPLY):
        return ctx.branch
    return len(getattr(txn, "branches", ()))


def reply_code(ctx: Any) -> int:
    """Request route: last reply sent; onreply: this reply; failure: the winning reply; else 0."""
    rt = _rt(ctx)
    if rt & int(RouteType.TM_ONREPLY | RouteType.FAILURE | RouteType.CORE_ONREPLY):
        rpl = ctx.reply
        return int(rpl.status) if rpl is not None else 0
    txn = _txn(ctx)
    if txn is None:
        return 0
    return int(getattr(txn, "status", 0) or 0)


def reply_reason(ctx: Any) -> str | None:
    rt = _rt(ctx)
    if rt & int(RouteType.TM_ONREPLY | RouteType.FAILURE | RouteType.CORE_ONREPLY):
        rpl = ctx.reply
        return rpl.reason if rpl is not None else None
    txn = _txn(ctx)
    rpl = getattr(txn, "uas_reply", None) if txn is not None else None
    return getattr(rpl, "reason", None) if rpl is not None else None


def _reply_last(ctx: Any) -> int:
    txn = _txn(ctx)
    if txn is None:
        return 0
    for br in reversed(getattr(txn, "branches", [])):
        rpl = getattr(br, "last_reply", None)
        if rpl is not None:
            return int(rpl.status)
    return 0


def _reply_type(ctx: Any) -> int:
    """1 when the winning reply in failure_route was made by tm (timeout, resume), else 0."""
    txn = _txn(ctx)
    if txn is None or not _rt(ctx) & int(RouteType.FAILURE):
        return 0
    rpl = ctx.reply
    for br in getattr(txn, "branches", []):
        if getattr(br, "faked", False) and (rpl is None or br.final_reply is None):
            return 1
    return 0 if rpl is not None else 1


def _t_get(ctx: Any, name: str) -> Any:
    if name in ("id_index", "id_label", "id_index_n", "id_label_n"):
        txn = _txn(ctx, create=name.endswith("_n"))
        if txn is None:
            return None
        return txn.index if name.startswith("id_index") else txn.label
    if name == "reply_code":
        return reply_code(ctx)
    if name == "reply_reason":
        return reply_reason(ctx)
    if name == "reply_last":
        return _reply_last(ctx)
    if name == "branch_index":
        return branch_idx(ctx)
    if name == "reply_type":
        return _reply_type(ctx)
    return None                 # ruid: no location record ids here


def _t_name(text: str) -> str:
    name = text.strip()
    if name not in T_NAMES:
        raise ValueError(f"unknown $T name {text!r} (known: {', '.join(T_NAMES)})")
    return name


module.pv("T", _t_get, parse_name=_t_name, needs_name=True,
          doc="$T(id_index|id_label|id_index_n|id_label_n|reply_code|reply_reason|reply_last|"
              "branch_index|reply_type|ruid): transaction attributes.")
module.pv("T_branch_idx", lambda ctx, name=None: branch_idx(ctx), doc="Branch index / count; -1 without T.")
module.pv("T_reply_code", lambda ctx, name=None: reply_code(ctx), doc="Reply code; 0 when none.")
module.pv("T_reply_reason", lambda ctx, name=None: reply_reason(ctx), doc="Reply reason phrase.")


# -- $T_req / $T_rpl / $T_inv: evaluate a PV on another message ----------------------------
class _OnMessage:
    """A view of ``ctx`` whose ``msg`` is another message (inner PV evaluation)."""

    __slots__ = ("_ctx", "msg", "reply")

    def __init__(self, ctx: Any, msg: Any, reply: Any = None) -> None:
        self._ctx = ctx
        self.msg = msg
        self.reply = reply

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._ctx, attr)


_compiled: dict[str, Any] = {}
_compile_lock = threading.Lock()


def _inner(text: str) -> Any:
    pv = _compiled.get(text)
    if pv is not None:
        return pv
    with _compile_lock:
        pv = _compiled.get(text)
        if pv is None:
            pv = _compiled[text] = _registry().compile(text)
    return pv


def _registry() -> Any:
    env = runtime.env
    reg = getattr(env, "pv_registry", None)
    if reg is None:
        modset = getattr(env, "modset", None)
        reg = modset.pv_registry() if modset is not None else None
        if reg is None:
            raise LookupError("no PV registry available")
        try:
            env.pv_registry = reg
        except Exception:  # noqa: BLE001
            pass
    return reg


def _inner_name(text: str) -> str:
    t = text.strip()
    if not t.startswith("$"):
        raise ValueError(f"expected a pseudo-variable, got {text!r}")
    return t


def _eval_on(ctx: Any, msg: Any, text: str, reply: Any = None) -> Any:
    if msg is None:
        return None
    return _inner(text).get(_OnMessage(ctx, msg, reply))


def _t_req(ctx: Any, text: str) -> Any:
    txn = _txn(ctx)
    return _eval_on(ctx, getattr(txn, "request", None), text) if txn is not None else None


def _t_rpl(ctx: Any, text: str) -> Any:
    if not _rt(ctx) & int(RouteType.FAILURE):
        return None
    rpl = ctx.reply
    return _eval_on(ctx, rpl, text, rpl) if rpl is not None else None


def _t_inv(ctx: Any, text: str) -> Any:
    msg = ctx.msg
    if msg is None or getattr(msg, "method", None) != "CANCEL":
        return None
    finder = getattr(runtime.tm, "lookup_invite", None)       # tm API: lookup_invite(cancel_msg)
    txn = finder(msg) if finder is not None else None
    if txn is None or not hasattr(txn, "request"):
        return None
    return _eval_on(ctx, txn.request, text)


module.pv("T_req", _t_req, parse_name=_inner_name, needs_name=True,
          doc="$T_req(pv): pv evaluated on the transaction's request (e.g. from reply routes).")
module.pv("T_rpl", _t_rpl, parse_name=_inner_name, needs_name=True,
          doc="$T_rpl(pv): pv evaluated on the winning reply, in failure_route.")
module.pv("T_inv", _t_inv, parse_name=_inner_name, needs_name=True,
          doc="$T_inv(pv): pv evaluated on the INVITE being canceled, while handling a CANCEL.")
