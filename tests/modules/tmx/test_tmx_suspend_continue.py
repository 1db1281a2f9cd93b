"""tmx t_suspend / t_continue from scripts (fake tm per contracts §6)."""
from __future__ import annotations

import threading

from async_fakes import FakeCtx, FakeMsg
import siprouter.modules.tmx as tmx
from siprouter.core.modsys import RouteType

fn = {f.name: f.impl for f in tmx.module.functions}
pv = {p.name: p for p in tmx.module.pvs}


def T(ctx, name):
    return pv["T"].getter(ctx, pv["T"].parse_name(name))


def test_declaration():
    assert tmx.module.depends == ["tm"]
    assert tmx.module.params["precheck_trans"].default == 1
    assert {p.name for p in tmx.module.pvs} >= {"T", "T_branch_idx", "T_reply_code",
                                                 "T_reply_reason", "T_req", "T_rpl", "T_inv"}


def test_t_suspend_creates_the_t_returns_1_and_ids_are_readable(tenv):
    ctx = FakeCtx(FakeMsg(), tenv)
    assert T(ctx, "id_index") is None
    assert fn["t_suspend"](ctx) == 1                 # script goes on
    assert ctx.txn.state == "suspended"
    assert (T(ctx, "id_index"), T(ctx, "id_label")) == (ctx.txn.index, ctx.txn.label)


def test_t_suspend_refuses_core_faked_and_absorbs_retransmissions(tenv):
    faked = FakeCtx(FakeMsg("OPTIONS", core_faked=True), tenv)
    assert fn["t_suspend"](faked) == -1
    assert not tenv.tm.txns
    ctx = FakeCtx(FakeMsg(), tenv)
    fn["t_suspend"](ctx)
    again = FakeCtx(FakeMsg(retransmission_of=ctx.txn), tenv)
    assert fn["t_suspend"](again) == 0
    assert ctx.txn.suspends == 1


def test_t_suspend_after_final_reply_fails(tenv):
    ctx = FakeCtx(FakeMsg(), tenv)
    tenv.tm.t_newtran(ctx)
    tenv.tm.t_reply(ctx, 404, "x")
    ctx.txn.state = "active"
    assert fn["t_suspend"](ctx) == -1


def test_t_continue_runs_route_as_failure_route(tenv):
    seen = []
    tenv.script.routes["RESUME"] = lambda c: (seen.append(fn["t_is_failure_route"](c)),
                                              tenv.tm.t_reply(c, 200, "OK"))[1]
    ctx = FakeCtx(FakeMsg(), tenv)
    fn["t_suspend"](ctx)
    other = FakeCtx(FakeMsg("OPTIONS", "other"), tenv)         # from another request's route
    assert fn["t_continue"](other, ctx.txn.index, ctx.txn.label, "RESUME") == 1
    assert seen == [1] and ctx.txn.final_code == 200


def test_t_continue_errors_are_minus_one_never_a_crash(tenv):
    tenv.script.routes["R"] = lambda c: tenv.tm.t_reply(c, 200, "OK")
    ctx = FakeCtx(FakeMsg(), tenv)
    fn["t_suspend"](ctx)
    i, l = ctx.txn.index, ctx.txn.label
    assert fn["t_continue"](ctx, 999, 999, "R") == -1          # unknown T
    assert fn["t_continue"](ctx, i, l, "NOPE") == -1           # unknown route
    assert ctx.txn.state == "suspended"
    assert fn["t_continue"](ctx, i, l, "R") == 1
    assert fn["t_continue"](ctx, i, l, "R") == -1              # second continue: ended
    ctx2 = FakeCtx(FakeMsg(call_id="c2"), tenv)
    tenv.tm.t_newtran(ctx2)
    assert fn["t_continue"](ctx2, ctx2.txn.index, ctx2.txn.label, "R") == -1   # not suspended


def test_two_concurrent_t_continue_one_wins(tenv):
    runs = []
    gate = threading.Event()
    tenv.script.routes["R"] = lambda c: (runs.append(1), gate.wait(0.2),
                                         tenv.tm.t_reply(c, 200, "OK"))[2]
    ctx = FakeCtx(FakeMsg(), tenv)
    fn["t_suspend"](ctx)
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        fn["t_continue"](ctx, ctx.txn.index, ctx.txn.label, "R"))) for _ in range(2)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert sorted(results) == [-1, 1] and runs == [1]


def test_t_continue_route_that_raises_gets_500_and_caller_survives(tenv):
    tenv.script.routes["BOOM"] = lambda c: 1 / 0
    ctx = FakeCtx(FakeMsg(call_id="boom"), tenv)
    fn["t_suspend"](ctx)
    assert fn["t_continue"](ctx, ctx.txn.index, ctx.txn.label, "BOOM") == 1
    assert ctx.txn.final_code == 500
    assert tenv.log.find("resumed route raised")[0]["call_id"] == "boom"


def test_canceled_t_continue_returns_1_without_running(tenv):
    ran = []
    tenv.script.routes["R"] = lambda c: ran.append(1) or 1
    ctx = FakeCtx(FakeMsg(), tenv)
    fn["t_suspend"](ctx)
    tenv.tm.cancel(ctx.txn)
    assert fn["t_continue"](ctx, ctx.txn.index, ctx.txn.label, "R") == 1
    assert ran == []
