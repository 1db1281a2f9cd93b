"""tmx route-type checks, t_flush_flags, t_precheck_trans, t_reply_callid, $T_* PVs."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from async_fakes import FakeCtx, FakeMsg
import siprouter.modules.tmx as tmx
from siprouter.core.async_workers import GroupConfig, WorkerGroups
from siprouter.core.modsys import RouteType

fn = {f.name: f.impl for f in tmx.module.functions}
pv = {p.name: p for p in tmx.module.pvs}


@pytest.mark.parametrize("rt,expect", [
    (RouteType.REQUEST, {"t_is_request_route"}),
    (RouteType.FAILURE, {"t_is_failure_route"}),
    (RouteType.BRANCH, {"t_is_branch_route"}),
    (RouteType.TM_ONREPLY, {"t_is_reply_route"}),
])
def test_route_type_checks(tenv, rt, expect):
    ctx = FakeCtx(FakeMsg(), tenv, rt)
    names = ("t_is_request_route", "t_is_failure_route", "t_is_branch_route", "t_is_reply_route")
    assert {n for n in names if fn[n](ctx) == 1} == expect


def test_t_flush_flags(tenv):
    ctx = FakeCtx(FakeMsg(), tenv)
    assert fn["t_flush_flags"](ctx) == -1
    tenv.tm.t_newtran(ctx)
    ctx.txn.request = SimpleNamespace(flags=0)
    ctx.msg.flags = 5
    assert fn["t_flush_flags"](ctx) == 1 and ctx.txn.request.flags == 5


class _Via:
    branch = "z9hG4bK1"


def _req(call_id="pc"):
    m = FakeMsg("INVITE", call_id)
    m.cseq = SimpleNamespace(number=1, method="INVITE")
    m.top_via = _Via()
    return m


def test_precheck_on_loop_thread_clears_after_the_current_callback(tenv):
    first = FakeCtx(_req(), tenv)
    assert fn["t_precheck_trans"](first) == -1
    assert fn["t_precheck_trans"](FakeCtx(_req(), tenv)) == 1     # retransmission meanwhile
    tenv.clock.advance(0)                                         # the loop callback ended
    assert fn["t_precheck_trans"](FakeCtx(_req(), tenv)) == -1


def test_precheck_on_worker_thread_clears_after_the_task(tenv):
    wg = WorkerGroups([GroupConfig("default", 1)])
    wg.start()
    out = []
    done = threading.Event()
    wg.submit("default", lambda: out.append(fn["t_precheck_trans"](FakeCtx(_req("w"), tenv))))
    wg.submit("default", lambda: (out.append(fn["t_precheck_trans"](FakeCtx(_req("w"), tenv))),
                                  done.set()))
    assert done.wait(2)
    wg.stop(2)
    assert out == [-1, -1]
    assert len(tmx.runtime.precheck) == 0


def test_precheck_disabled_by_param(tenv):
    tenv.params["precheck_trans"] = 0
    tmx.mod_init(tenv)
    assert fn["t_precheck_trans"](FakeCtx(_req(), tenv)) == -1
    assert fn["t_precheck_trans"](FakeCtx(_req(), tenv)) == -1


def test_t_reply_callid(tenv):
    ctx = FakeCtx(FakeMsg(call_id="target"), tenv)
    tenv.tm.t_newtran(ctx)
    tenv.tm.lookup_callid = lambda callid, cseq: ctx.txn if (callid, cseq) == ("target", "1") else None
    tenv.script.new_context = lambda msg, rt, env: FakeCtx(msg, env, rt)
    ctx.txn.request = ctx.msg
    assert fn["t_reply_callid"](ctx, "target", "1 INVITE", 486, "Busy Here") == 1
    assert ctx.txn.final_code == 486
    assert fn["t_reply_callid"](ctx, "nope", "1", 486, "Busy") == -1


def test_t_pvs_without_transaction(tenv):
    ctx = FakeCtx(FakeMsg(), tenv)
    assert pv["T_branch_idx"].getter(ctx, None) == -1
    assert pv["T_reply_code"].getter(ctx, None) == 0
    assert pv["T"].getter(ctx, "id_label") is None


def test_t_pvs_with_transaction(tenv):
    ctx = FakeCtx(FakeMsg(), tenv)
    tenv.tm.t_newtran(ctx)
    ctx.txn.branches = [SimpleNamespace(faked=True, final_reply=None, last_reply=None)]
    ctx.txn.status = 100
    assert pv["T_branch_idx"].getter(ctx, None) == 1
    assert pv["T_reply_code"].getter(ctx, None) == 100
    fctx = FakeCtx(ctx.msg, tenv, RouteType.FAILURE)
    fctx.txn = ctx.txn
    assert pv["T_reply_code"].getter(fctx, None) == 0          # resumed route: faked reply
    assert pv["T"].getter(fctx, "reply_type") == 1
    fctx.reply = SimpleNamespace(status=408, reason="Request Timeout")
    assert pv["T"].getter(fctx, "reply_code") == 408
    assert pv["T_reply_reason"].getter(fctx, None) == "Request Timeout"
    bctx = FakeCtx(ctx.msg, tenv, RouteType.BRANCH)
    bctx.txn, bctx.branch = ctx.txn, 0
    assert pv["T"].getter(bctx, "branch_index") == 0


def test_id_index_n_creates_the_transaction(tenv):
    ctx = FakeCtx(FakeMsg(), tenv)
    assert pv["T"].getter(ctx, "id_index_n") == ctx.txn.index


def test_t_name_parse_errors():
    with pytest.raises(ValueError):
        pv["T"].parse_name("bogus")
    with pytest.raises(ValueError):
        pv["T_req"].parse_name("ru")


def test_t_req_evaluates_on_the_transaction_request(tenv):
    class Reg:
        def compile(self, text):
            return SimpleNamespace(get=lambda c: c.msg.uri if text == "$ru" else None)
    tenv.pv_registry = Reg()
    tmx.pvs._compiled.clear()
    ctx = FakeCtx(FakeMsg(), tenv, RouteType.TM_ONREPLY)
    tenv.tm.t_newtran(ctx)
    ctx.txn.request = FakeMsg()
    ctx.txn.request.uri = "sip:alice@b"
    ctx.msg = SimpleNamespace(uri="not-this")
    assert pv["T_req"].getter(ctx, "$ru") == "sip:alice@b"
    fctx = FakeCtx(FakeMsg(), tenv, RouteType.FAILURE)
    fctx.reply = SimpleNamespace(uri="reply-msg")
    assert pv["T_rpl"].getter(fctx, "$ru") == "reply-msg"
    tmx.pvs._compiled.clear()
