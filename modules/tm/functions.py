"""tm's route-script functions (Kamailio names, arguments, route types, return codes).

When: called by the route engine with ``ctx`` (contracts §3).  What: thin
wrappers that find the transaction and call :class:`~.proxy.TmCore` / the
API; everything stateful happens there.  ``runtime.core`` / ``runtime.api``
are bound by ``mod_init``.

Return convention (Kamailio): >0 true, <0 false, 0 ends the script.
"""
from __future__ import annotations

import re
from typing import Any

from siprouter.core.modsys import Arg, FixupError, RouteType

from . import runtime
from .cell import Suspend
from .matching import request_key
from .module_decl import module
from .proxy import E_BAD_ADDRESS

R = RouteType
ANY = R.ANY
_ON_ROUTES = R.REQUEST | R.FAILURE | R.TM_ONREPLY | R.BRANCH

#: attrs keys for settings made before the transaction exists
ATTR_ON = {"failure": "tm.on_failure", "onreply": "tm.on_reply", "branch": "tm.on_branch",
           "branch_failure": "tm.on_branch_failure"}


def _txn(ctx: Any) -> Any:
    return runtime.api.get_txn(ctx)


# ---------------------------------------------------------------------------
# fixups
# ---------------------------------------------------------------------------
def _route_fixup(kind: str, *alt: str) -> Any:
    """Load-time check that a literal route name exists as a ``kind`` block."""
    def fixup(args: list, env: Any) -> None:
        lit = args[0].literal if args else None
        if not isinstance(lit, str):
            return
        try:
            from siprouter.core.routing.compiler import script_route_names
        except ImportError:   # pragma: no cover - older route engine
            return
        for k in (kind, *alt):
            names = script_route_names(k)
            if names is None or lit in names or \
                    (k == "event" and f"tm:branch-failure:{lit}" in names):
                return
        raise FixupError(f"{kind}_route [{lit}] not found")
    return fixup


def _is_set_fixup(args: list, env: Any) -> None:
    lit = args[0].literal
    if isinstance(lit, str) and lit not in ("failure_route", "branch_route", "onreply_route",
                                            "branch_failure_route"):
        raise FixupError(f"t_is_set: unknown route kind {lit!r} "
                         "(failure_route, branch_route, onreply_route, branch_failure_route)")


def _code_fixup(args: list, env: Any) -> None:
    lit = args[0].literal
    if isinstance(lit, int) and not 100 <= lit <= 699:
        raise FixupError(f"reply code {lit} out of range 100..699")


# ---------------------------------------------------------------------------
# creating, checking and releasing transactions
# ---------------------------------------------------------------------------
@module.function("t_newtran", routes=R.REQUEST,
                 doc="Create the transaction: 1 created, 0 retransmission (the last reply "
                     "was resent; ends the script), -10 it already exists, <0 error.")
def t_newtran(ctx: Any) -> int:
    return runtime.core.new_transaction(ctx)


@module.function("t_check_trans", routes=R.REQUEST | R.TM_ONREPLY | R.CORE_ONREPLY | R.BRANCH,
                 doc="Reply: 1 if it matches a transaction.  CANCEL: 1 if its INVITE "
                     "transaction exists.  ACK to a negative reply: absorbed, ends the script. "
                     "ACK to a 2xx: 1 while the INVITE transaction lives.  Other requests: a "
                     "retransmission resends the last reply and ends the script; otherwise -1.")
def t_check_trans(ctx: Any) -> int:
    msg = ctx.msg
    if not getattr(msg, "is_request", False):
        return 1 if runtime.api.get_txn(ctx) is not None else -1
    return runtime.core.check_request(ctx)


@module.function("t_lookup_request", routes=R.REQUEST,
                 doc="1 if the request belongs to an existing transaction (no side effects).")
def t_lookup_request(ctx: Any) -> int:
    txn = runtime.core.table.get(request_key(ctx.msg))
    return 1 if txn is not None and not txn.ended else -1


@module.function("t_lookup_cancel", Arg.INT, routes=R.REQUEST, optional=1,
                 doc="CANCEL: 1 if the INVITE transaction it refers to exists.")
def t_lookup_cancel(ctx: Any, flags: int = 0) -> int:
    if ctx.msg.method != "CANCEL":
        return -1
    return 1 if runtime.core.lookup_cancel(ctx.msg) is not None else -1


@module.function("t_release", routes=R.REQUEST,
                 doc="Release the transaction (no more retransmission handling).")
def t_release(ctx: Any) -> int:
    txn = _txn(ctx)
    if txn is None:
        return -1
    runtime.core.release(txn)
    return 1


# ---------------------------------------------------------------------------
# forwarding and replying
# ---------------------------------------------------------------------------
@module.function("t_relay", routes=R.REQUEST | R.FAILURE,
                 doc="Forward statefully to $du or the R-URI (plus the destination set); "
                     "in failure_route it adds a new branch (serial forking). Negative on error.")
def t_relay(ctx: Any) -> int:
    return runtime.api.t_relay(ctx)


@module.function("t_relay", Arg.SPVE, Arg.IGP, routes=R.REQUEST | R.FAILURE,
                 doc="Forward statefully to host:port (protocol of the R-URI, default UDP).")
def t_relay_to(ctx: Any, host: str, port: int) -> int:
    uri = ctx.msg.uri
    proto = None
    params = getattr(uri, "params", None) or {}
    if params.get("transport"):
        proto = params["transport"]
    dest = ctx.env.resolve(host, int(port), proto)
    if dest is None:
        return E_BAD_ADDRESS
    return runtime.api.t_relay(ctx, dest)


def _relay_proto(proto: str) -> Any:
    def impl(ctx: Any, host: str | None = None, port: int | None = None) -> int:
        if host is None:
            target = ctx.msg.dst_uri or str(ctx.msg.uri)
            d = ctx.env.resolve(target)
            if d is None:
                return E_BAD_ADDRESS
            host, port = d.host, d.port
        dest = ctx.env.resolve(host, int(port or 5060), proto)
        if dest is None:
            return E_BAD_ADDRESS
        return runtime.api.t_relay(ctx, dest)
    return impl


for _proto in ("udp", "tcp"):
    module.function(f"t_relay_to_{_proto}", Arg.SPVE, Arg.IGP, routes=R.REQUEST | R.FAILURE,
                    optional=2, doc=f"t_relay over {_proto.upper()} (to host:port, or to "
                                    "the R-URI/$du host).")(_relay_proto(_proto))


@module.function("t_reply", Arg.IGP, Arg.SPVE, routes=R.REQUEST | R.FAILURE | R.TM_ONREPLY,
                 fixup=_code_fixup,
                 doc="Reply statefully; needs a transaction (-1 without one).")
def t_reply(ctx: Any, code: int, reason: str) -> int:
    if _txn(ctx) is None:
        runtime.log_warn("t_reply: cannot send a t_reply to a message for which no "
                         "T-state has been established")
        return -1
    return runtime.api.t_reply(ctx, code, reason)


@module.function("t_send_reply", Arg.IGP, Arg.SPVE, routes=R.REQUEST | R.FAILURE | R.TM_ONREPLY,
                 fixup=_code_fixup,
                 doc="Reply statefully, creating the transaction if needed.")
def t_send_reply(ctx: Any, code: int, reason: str) -> int:
    return runtime.api.t_send_reply(ctx, code, reason)


@module.function("t_reply_error", routes=R.REQUEST | R.FAILURE,
                 doc="Reply with default_code/default_reason statefully.")
def t_reply_error(ctx: Any) -> int:
    core = runtime.core
    return runtime.api.t_send_reply(ctx, core.default_code, core.default_reason)


@module.function("t_retransmit_reply", routes=ANY,
                 doc="Send the last reply of the transaction again.")
def t_retransmit_reply(ctx: Any) -> int:
    txn = _txn(ctx)
    if txn is None or txn.uas_reply is None:
        return -1
    with txn.lock:
        return 1 if runtime.core._send_reply_wire(txn.uas_request, txn.uas_reply) else -1


# ---------------------------------------------------------------------------
# arming routes
# ---------------------------------------------------------------------------
def _arm(ctx: Any, which: str, name: str) -> int:
    txn = _txn(ctx)
    attr = ATTR_ON[which]
    field = attr.split(".", 1)[1]
    if txn is not None:
        with txn.lock:
            if which == "onreply" and ctx.route_type == R.BRANCH and 0 <= ctx.branch:
                ctx.msg.attrs[attr] = name     # this branch only (set when it is built)
            else:
                setattr(txn, field, name or None)
    else:
        ctx.msg.attrs[attr] = name or None
    return 1


@module.function("t_on_failure", Arg.SPVE, routes=_ON_ROUTES, fixup=_route_fixup("failure"),
                 doc="Arm failure_route[name] for the transaction (once; re-arm in failure_route).")
def t_on_failure(ctx: Any, name: str) -> int:
    return _arm(ctx, "failure", name)


@module.function("t_on_reply", Arg.SPVE, routes=_ON_ROUTES, fixup=_route_fixup("onreply"),
                 doc="Arm onreply_route[name] for the replies of the transaction's branches.")
def t_on_reply(ctx: Any, name: str) -> int:
    return _arm(ctx, "onreply", name)


@module.function("t_on_branch", Arg.SPVE, routes=R.REQUEST | R.FAILURE,
                 fixup=_route_fixup("branch"),
                 doc="Arm branch_route[name], run for every new outgoing branch.")
def t_on_branch(ctx: Any, name: str) -> int:
    return _arm(ctx, "branch", name)


@module.function("t_on_branch_failure", Arg.SPVE, routes=_ON_ROUTES,
                 fixup=_route_fixup("branch_failure", "event"),
                 doc="Arm event_route[tm:branch-failure:name] for each negative branch reply.")
def t_on_branch_failure(ctx: Any, name: str) -> int:
    return _arm(ctx, "branch_failure", name)


@module.function("t_is_set", Arg.STR, routes=ANY, fixup=_is_set_fixup,
                 doc="1 if failure_route / branch_route / onreply_route is armed.")
def t_is_set(ctx: Any, target: str) -> int:
    which = {"failure_route": "failure", "branch_route": "branch", "onreply_route": "onreply",
             "branch_failure_route": "branch_failure"}.get(target)
    if which is None:
        return -1
    txn = _txn(ctx)
    attr = ATTR_ON[which]
    if txn is not None and getattr(txn, attr.split(".", 1)[1]):
        return 1
    return 1 if ctx.msg is not None and getattr(ctx.msg, "attrs", {}).get(attr) else -1


# ---------------------------------------------------------------------------
# state tests
# ---------------------------------------------------------------------------
@module.function("t_is_canceled", routes=ANY, doc="1 if the transaction was canceled.")
def t_is_canceled(ctx: Any) -> int:
    txn = _txn(ctx)
    return 1 if txn is not None and txn.canceled else -1


@module.function("t_is_expired", routes=ANY,
                 doc="1 if the transaction outlived max_inv_lifetime / max_noninv_lifetime.")
def t_is_expired(ctx: Any) -> int:
    txn = _txn(ctx)
    if txn is None:
        return -1
    t = txn.timers_cfg
    life = t.max_inv_lifetime if txn.is_invite else t.max_noninv_lifetime
    return 1 if runtime.core.env.now() - txn.created > life else -1


def _status_of(ctx: Any) -> int:
    msg = ctx.msg
    if msg is not None and not getattr(msg, "is_request", True):
        return msg.status
    if ctx.reply is not None:
        return ctx.reply.status
    txn = _txn(ctx)
    if txn is None:
        return 0
    if ctx.route_type == R.FAILURE:
        best = runtime.core._pick_best(txn)
        if best is not None:
            return best.final_status
    return txn.status


@module.function("t_check_status", Arg.REGEX, routes=ANY,
                 doc="1 if the reply code (onreply: this reply; failure: the winning one; "
                     "request: the last one sent) matches the regular expression.")
def t_check_status(ctx: Any, regex: re.Pattern) -> int:
    code = _status_of(ctx)
    if not code:
        return -1
    return 1 if regex.search(str(code)) else -1


def _failed_branch(ctx: Any, txn: Any) -> Any:
    if 0 <= ctx.branch < len(txn.branches):
        return txn.branches[ctx.branch]
    return runtime.core._pick_best(txn)


_FAIL_ROUTES = R.FAILURE | R.BRANCH_FAILURE | R.ONEVENT


@module.function("t_branch_timeout", routes=_FAIL_ROUTES,
                 doc="1 if the failed branch ended by a timeout.")
def t_branch_timeout(ctx: Any) -> int:
    txn = _txn(ctx)
    b = _failed_branch(ctx, txn) if txn is not None else None
    return 1 if b is not None and b.timed_out else -1


@module.function("t_branch_replied", routes=_FAIL_ROUTES,
                 doc="1 if the failed branch received a reply.")
def t_branch_replied(ctx: Any) -> int:
    txn = _txn(ctx)
    b = _failed_branch(ctx, txn) if txn is not None else None
    return 1 if b is not None and b.replied else -1


@module.function("t_any_timeout", routes=ANY, doc="1 if any branch timed out.")
def t_any_timeout(ctx: Any) -> int:
    txn = _txn(ctx)
    return 1 if txn is not None and any(b.timed_out and not b.blind for b in txn.branches) else -1


@module.function("t_any_replied", routes=ANY, doc="1 if any branch received a reply.")
def t_any_replied(ctx: Any) -> int:
    txn = _txn(ctx)
    return 1 if txn is not None and any(b.replied for b in txn.branches) else -1


@module.function("t_grep_status", Arg.IGP, routes=ANY,
                 doc="1 if some branch received a reply with this code.")
def t_grep_status(ctx: Any, code: int) -> int:
    txn = _txn(ctx)
    if txn is None:
        return -1
    return 1 if any(b.last_reply is not None and b.last_reply.status == code
                    or b.final_status == code and not b.faked for b in txn.branches) else -1


# ---------------------------------------------------------------------------
# timers and reply handling
# ---------------------------------------------------------------------------
@module.function("t_set_fr", Arg.IGP, Arg.IGP, routes=ANY, optional=1,
                 doc="fr_inv_timer (and fr_timer) in ms for this transaction; 0 keeps the default.")
def t_set_fr(ctx: Any, fr_inv: int, fr: int = 0) -> int:
    inv_s = fr_inv / 1000.0 if fr_inv > 0 else None
    fr_s = fr / 1000.0 if fr > 0 else None
    txn = _txn(ctx)
    if txn is None:
        ctx.msg.attrs["tm.fr"] = (inv_s, fr_s)
        return 1
    with txn.lock:
        txn.timers_cfg = txn.timers_cfg.with_fr(fr=fr_s, fr_inv=inv_s)
    return 1


@module.function("t_reset_fr", routes=ANY, doc="Back to the fr_timer/fr_inv_timer modparams.")
def t_reset_fr(ctx: Any) -> int:
    txn = _txn(ctx)
    base = runtime.core.timers
    if txn is None:
        ctx.msg.attrs.pop("tm.fr", None)
        return 1
    with txn.lock:
        txn.timers_cfg = txn.timers_cfg.with_fr(fr=base.fr, fr_inv=base.fr_inv)
    return 1


@module.function("t_set_retr", Arg.IGP, Arg.IGP, routes=ANY,
                 doc="T1 and T2 (ms) for this transaction's retransmissions; 0 keeps the default.")
def t_set_retr(ctx: Any, t1: int, t2: int) -> int:
    txn = _txn(ctx)
    if txn is None:
        ctx.msg.attrs["tm.retr"] = (t1 / 1000.0 if t1 > 0 else None, t2 / 1000.0 if t2 > 0 else None)
        return 1
    with txn.lock:
        txn.timers_cfg = txn.timers_cfg.with_retr(t1 / 1000.0 if t1 > 0 else None,
                                                  t2 / 1000.0 if t2 > 0 else None)
    return 1


@module.function("t_set_auto_inv_100", Arg.IGP, routes=ANY,
                 doc="0 disables the automatic 100 Trying for this INVITE, 1 enables it.")
def t_set_auto_inv_100(ctx: Any, on: int) -> int:
    txn = _txn(ctx)
    if txn is None:
        ctx.msg.attrs["tm.no_auto_100"] = not on
    else:
        txn.no_auto_100 = not on
    return 1


@module.function("t_drop_replies", Arg.STR, routes=R.FAILURE, optional=1,
                 doc="Forget the replies received so far (they no longer compete as best reply). "
                     "mode 'a' all (default), 'l' the last branch's, 'n' none.")
def t_drop_replies(ctx: Any, mode: str = "a") -> int:
    txn = _txn(ctx)
    if txn is None:
        return -1
    with txn.lock:
        closed = [b for b in txn.branches if not b.open]
        if mode == "n":
            return 1
        for b in (closed[-1:] if mode == "l" else closed):
            b.dropped = True
    return 1


# ---------------------------------------------------------------------------
# serial forking by q value
# ---------------------------------------------------------------------------
def _q_of(entry: dict) -> float:
    q = entry.get("q")
    return 1.0 if q is None else float(q)


@module.function("t_load_contacts", Arg.IGP, routes=R.REQUEST | R.FAILURE, optional=1,
                 doc="Order the R-URI and the destination set by q for t_next_contacts(); "
                     "1 (nothing to do when all q are equal), -1 on error.")
def t_load_contacts(ctx: Any, mode: int = 0) -> int:
    msg = ctx.msg
    branches = list(msg.attrs.get("branches") or [])
    ruri_q = msg.attrs.get("ruri_q")
    entries = [{"uri": str(msg.uri), "dst_uri": msg.dst_uri, "q": ruri_q,
                "flags": msg.bflags, "path": msg.attrs.get("path_vector")}]
    for b in branches:
        entries.append(dict(b) if isinstance(b, dict) else {"uri": str(b)})
    if len({_q_of(e) for e in entries}) <= 1:
        return 1          # same q everywhere: leave it to parallel forking
    # stable sort: equal q keep their order
    entries.sort(key=lambda e: -_q_of(e))
    msg.attrs["tm.contacts"] = entries
    msg.attrs["branches"] = []
    _sync_txn_attr(ctx, "tm.contacts", entries)
    return 1


@module.function("t_next_contacts", routes=R.REQUEST | R.FAILURE,
                 doc="Take the next highest-q group from t_load_contacts(): first into the "
                     "R-URI, the rest into the destination set; -1 when none is left.")
def t_next_contacts(ctx: Any) -> int:
    msg = ctx.msg
    entries = list(msg.attrs.get("tm.contacts") or [])
    if not entries:
        return -1
    q = _q_of(entries[0])
    group = [e for e in entries if _q_of(e) == q]
    rest = [e for e in entries if _q_of(e) != q]
    first, others = group[0], group[1:]
    msg.uri = first["uri"]
    msg.dst_uri = first.get("dst_uri")
    msg.attrs["branches"] = [dict(e) for e in others]
    msg.attrs["tm.contacts"] = rest
    _sync_txn_attr(ctx, "tm.contacts", rest)
    return 1


def _sync_txn_attr(ctx: Any, key: str, value: Any) -> None:
    """Keep the transaction's stored request in step (failure_route reads it next time)."""
    txn = _txn(ctx)
    if txn is not None and txn.request is not ctx.msg:
        with txn.lock:
            txn.request.attrs[key] = list(value)


# ---------------------------------------------------------------------------
# misc
# ---------------------------------------------------------------------------
@module.function("t_is_suspended", routes=ANY, doc="1 if the transaction is suspended now.")
def t_is_suspended(ctx: Any) -> int:
    txn = _txn(ctx)
    return 1 if txn is not None and txn.suspend is not Suspend.ACTIVE else -1
