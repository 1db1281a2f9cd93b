"""t_suspend / t_continue / t_cancel_suspend (spec §2, checklist 13, 16-19, 21, 22)."""
import threading

from siprouter.core.modsys import RouteType
from siprouter.modules.tm import functions as F
from siprouter.modules.tm.proxy import CONTINUE_500_REASON

from tm_harness import TmHarness, invite, reply_to


def suspended(h, msg=None):
    msg = msg or invite()
    ctx = h.ctx(msg)
    assert h.api.t_newtran(ctx) == 1
    ident = h.api.t_suspend(ctx)
    assert isinstance(ident, tuple)
    h.advance(0)
    return ctx, ident


def test_suspend_sends_100_once_and_relays_nothing(h):
    ctx, (idx, label) = suspended(h)
    assert h.upstream() == [100]
    assert h.env.sent == []
    assert h.api.lookup_ident(idx, label) is ctx.txn
    assert h.api.suspended_count() == 1
    # a retransmission is absorbed (100 again), never suspended twice
    assert h.api.t_newtran(h.ctx(invite())) == 0
    assert h.upstream() == [100, 100]
    assert h.api.t_suspend(ctx) == -1
    assert len(ctx.txn.branches) == 1


def test_suspended_request_shares_its_header_names(h):
    """A suspended request waits seconds: its name strings are the shared ones (memory)."""
    import sys
    ctx, _ = suspended(h)
    for msg in (ctx.txn.uas_request, ctx.txn.request):
        assert msg._keys and all(k is sys.intern(k) for k in msg._keys)


def test_continue_runs_failure_type_context_with_request_state(h):
    msg = invite()
    msg.flags = 0b1010
    msg.dst_uri = "sip:127.0.0.1:5077"
    msg.attrs["avps"] = {"x": [1, 2]}
    msg.add_header("X-Test", "kept")
    ctx = h.ctx(msg)
    h.api.t_newtran(ctx)
    msg.uri = "sip:changed@127.0.0.1:5070"
    idx, label = h.api.t_suspend(ctx)
    seen = {}

    def run(rctx):
        seen.update(rt=rctx.route_type, flags=rctx.msg.flags, du=rctx.msg.dst_uri,
                    ru=str(rctx.msg.uri), avps=rctx.msg.attrs.get("avps"),
                    hdr=rctx.msg.get("X-Test"), sflags=rctx.sflags, rc=rctx.rc)
        return F.t_relay(rctx)
    assert h.api.t_continue(idx, label, run) == 1
    assert seen == {"rt": RouteType.FAILURE, "flags": 0b1010, "du": "sip:127.0.0.1:5077",
                    "ru": "sip:changed@127.0.0.1:5070", "avps": {"x": [1, 2]},
                    "hdr": "kept", "sflags": 0, "rc": 0}
    out = h.requests("INVITE")
    assert len(out) == 1 and out[0].get("X-Test") == "kept"
    assert h.env.sent[0][1].port == 5077
    assert h.api.suspended_count() == 0
    h.deliver(reply_to(h.env.sent[0][0], 200))
    assert h.upstream() == [100, 200]
    h.drain()
    assert h.api.table_size() == 0


def test_continue_without_reply_or_branch_sends_500(h):
    ctx, (idx, label) = suspended(h)
    assert h.api.t_continue(idx, label, lambda c: 1) == 1
    final = h.env.replies[-1][1]
    assert (final.status, final.reason) == (500, CONTINUE_500_REASON)
    h.drain()
    assert h.api.table_size() == 0


def test_continue_raising_route_still_ends_with_500(h):
    ctx, (idx, label) = suspended(h)

    def boom(c):
        raise RuntimeError("x")
    assert h.api.t_continue(idx, label, boom) == 1
    assert h.upstream()[-1] == 500


def test_continue_with_t_reply(h):
    ctx, (idx, label) = suspended(h)
    assert h.api.t_continue(idx, label, lambda c: h.api.t_reply(c, 404, "Nope")) == 1
    assert h.upstream() == [100, 404]


def test_continue_unknown_and_not_suspended(h):
    assert h.api.t_continue(1, 999, lambda c: 1) == -1
    ctx = h.ctx(invite())
    h.api.t_newtran(ctx)
    assert h.api.t_continue(ctx.txn.index, ctx.txn.label, lambda c: 1) == -2


def test_second_continue_is_not_suspended(h):
    ctx, (idx, label) = suspended(h)
    ran = []
    assert h.api.t_continue(idx, label, lambda c: ran.append(1) or F.t_relay(c)) == 1
    assert h.api.t_continue(idx, label, lambda c: ran.append(2)) == -2
    assert ran == [1]


def test_cancel_while_suspended_487_and_continue_skips_route(h):
    ctx, (idx, label) = suspended(h)
    cctx = h.ctx(invite(method="CANCEL"))
    assert F.t_check_trans(cctx) == 1
    assert F.t_relay(cctx) == 1
    assert h.upstream() == [100, 200, 487]
    ran = []
    assert h.api.suspended_count() == 1
    assert h.api.t_continue(idx, label, lambda c: ran.append(1)) == 1
    assert ran == []
    assert h.api.suspended_count() == 0
    assert F.t_is_canceled(ctx) == 1
    h.drain()
    assert h.api.table_size() == 0


def test_fr_expiry_while_suspended_runs_failure_route_with_408():
    h = TmHarness(fr_timer=2000)
    seen = []
    h.route("failure", "F", lambda c: seen.append((c.reply.status, c.route_type)) or
            F.t_reply(c, 503, "Later"))
    msg = invite()
    ctx = h.ctx(msg)
    F.t_on_failure(ctx, "F")
    h.api.t_newtran(ctx)
    idx, label = h.api.t_suspend(ctx)
    h.advance(2.0)
    assert seen == [(408, RouteType.FAILURE)]
    assert h.upstream() == [100, 503]
    ran = []
    assert h.api.t_continue(idx, label, lambda c: ran.append(1)) in (-1, -2)
    assert ran == []
    h.drain()
    assert h.api.table_size() == 0


def test_cancel_while_suspended_never_continued_is_freed_by_fr():
    h = TmHarness(fr_timer=3000)
    ctx, (idx, label) = suspended(h)
    F.t_relay(h.ctx(invite(method="CANCEL")))
    assert h.upstream() == [100, 200, 487]
    h.drain()
    assert h.api.table_size() == 0 and h.api.suspended_count() == 0


def test_fr_expiry_while_suspended_without_failure_route_408():
    h = TmHarness(fr_timer=1000)
    ctx, (idx, label) = suspended(h)
    h.advance(1.0)
    assert h.upstream() == [100, 408]
    h.drain()
    assert h.api.table_size() == 0
    assert h.api.t_continue(idx, label, lambda c: 1) == -1


def test_replies_of_other_branches_held_while_suspended(h):
    msg = invite()
    ctx = h.ctx(msg)
    assert F.t_relay(ctx) == 1
    idx, label = h.api.t_suspend(ctx)
    sent = h.env.sent[0][0]
    h.deliver(reply_to(sent, 180))
    h.deliver(reply_to(sent, 486))
    assert h.upstream() == [100]                      # held
    assert h.api.t_continue(idx, label, lambda c: 1) == 1
    assert h.upstream() == [100, 180, 486]            # released after the resume


def test_cancel_suspend_restores_processing(h):
    ctx, (idx, label) = suspended(h)
    assert h.api.t_cancel_suspend(idx, label) == 1
    assert h.api.t_cancel_suspend(idx, label) == -2
    assert h.api.suspended_count() == 0
    assert h.api.t_reply(ctx, 486, "Busy") == 1
    h.drain()
    assert h.api.table_size() == 0


def test_suspend_error_codes(h):
    ctx = h.ctx(invite())
    assert h.api.t_suspend(ctx) == -1                 # no transaction
    h.api.t_newtran(ctx)
    h.api.t_reply(ctx, 404, "x")
    assert h.api.t_suspend(ctx) == -3                 # final reply sent
    ctx2 = h.ctx(invite(call_id="c2", branch="z9hG4bKother"))
    h.api.t_newtran(ctx2)
    ctx2.txn.canceled = True
    assert h.api.t_suspend(ctx2) == 1


def test_nested_suspend_from_continuation(h):
    ctx, (idx, label) = suspended(h)
    second = []

    def run1(c):
        second.append(h.api.t_suspend(c))
        return 0
    assert h.api.t_continue(idx, label, run1) == 1
    assert second == [(idx, label)]
    assert h.api.suspended_count() == 1
    assert h.api.t_continue(idx, label, lambda c: F.t_relay(c)) == 1
    assert len(h.requests("INVITE")) == 1


def test_suspend_in_failure_route_then_continue_adds_branch(h):
    ids = []

    def fail(c):
        ids.append(h.api.t_suspend(c))
    h.route("failure", "F", fail)
    ctx = h.ctx(invite())
    F.t_on_failure(ctx, "F")
    F.t_relay(ctx)
    h.deliver(reply_to(h.env.sent[0][0], 486))
    assert h.upstream() == [100] and isinstance(ids[0], tuple)

    def run(c):
        c.msg.uri = "sip:x@127.0.0.1:5099"
        return F.t_relay(c)
    assert h.api.t_continue(*ids[0], run) == 1
    assert h.env.sent[-1][1].port == 5099
    h.deliver(reply_to(h.last_sent("INVITE"), 200, to_tag="z"))
    assert h.upstream() == [100, 200]


def test_shutdown_answers_suspended_503(h):
    ctx, (idx, label) = suspended(h)
    assert h.api.shutdown() == 1
    assert h.upstream() == [100, 503]
    assert h.api.suspended_count() == 0 and h.api.table_size() == 0


def test_callbacks(h):
    events = []
    ctx = h.ctx(invite())
    h.api.t_newtran(ctx)
    for kind in ("request_out", "response_in", "response_out", "destroy"):
        h.api.register_callback(ctx.txn, kind, lambda t, k, p: events.append(k))
    F.t_relay(ctx)
    h.deliver(reply_to(h.env.sent[0][0], 200))
    h.drain()
    assert events == ["response_out", "request_out", "response_in", "response_out", "destroy"]


# -- races (ARCHITECTURE §5) ------------------------------------------------------
def _threaded_continue(h, idx, label, run):
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("rc", h.api.t_continue(idx, label, run)))
    t.start()
    return t, out


def test_race_cancel_during_resume(h):
    ctx, (idx, label) = suspended(h)
    entered, go = threading.Event(), threading.Event()
    result = {}

    def run(c):
        entered.set()
        go.wait(5)
        result["relay"] = F.t_relay(c)
    t, out = _threaded_continue(h, idx, label, run)
    assert entered.wait(5)
    cctx = h.ctx(invite(method="CANCEL"))
    assert F.t_relay(cctx) == 1           # the loop thread is not blocked by the resume
    go.set()
    t.join(5)
    assert out["rc"] == 1 and result["relay"] < 0
    assert h.upstream() == [100, 200, 487]
    assert h.requests("INVITE") == []


def test_race_retransmission_and_second_continue_during_resume(h):
    ctx, (idx, label) = suspended(h)
    entered, go = threading.Event(), threading.Event()

    def run(c):
        entered.set()
        go.wait(5)
        return h.api.t_reply(c, 486, "Busy")
    t, out = _threaded_continue(h, idx, label, run)
    assert entered.wait(5)
    assert h.api.t_newtran(h.ctx(invite())) == 0        # retransmission absorbed
    assert h.api.t_continue(idx, label, lambda c: 1) == -2
    go.set()
    t.join(5)
    assert out["rc"] == 1
    assert h.upstream() == [100, 100, 486]


def test_race_fr_expiry_during_resume():
    h = TmHarness(fr_timer=1000)
    ctx, (idx, label) = suspended(h)
    entered, go = threading.Event(), threading.Event()

    def run(c):
        entered.set()
        go.wait(5)
        return h.api.t_reply(c, 200, "OK")
    t, out = _threaded_continue(h, idx, label, run)
    assert entered.wait(5)
    h.advance(2.0)                        # fr of the (stopped) blind branch: nothing happens
    go.set()
    t.join(5)
    assert out["rc"] == 1
    assert h.upstream() == [100, 200]


# -- suspending a reply (t_suspend in onreply_route) -------------------------------
def _reply_suspending_harness(h, ids, on=(180, 200)):
    def onr(ctx):
        if ctx.msg.status in on:
            ids.append(h.api.t_suspend(ctx))
    h.route("onreply", "R", onr)
    ctx = h.ctx(invite())
    F.t_on_reply(ctx, "R")
    F.t_relay(ctx)
    return h.env.sent[0][0]


def test_suspended_reply_is_held_then_relayed_after_continue(h):
    ids = []
    sent = _reply_suspending_harness(h, ids)
    h.deliver(reply_to(sent, 180))
    assert isinstance(ids[0], tuple) and h.upstream() == [100]
    assert h.api.suspended_count() == 1
    seen = []

    def run(c):
        seen.append((c.route_type, c.msg.status, c.branch))
        c.msg.add_header("X-Resumed", "1")
    assert h.api.t_continue(*ids[0], run) == 1
    assert seen == [(RouteType.TM_ONREPLY, 180, 0)]
    assert h.upstream() == [100, 180]
    assert h.env.replies[-1][1].get("X-Resumed") == "1"
    # a 200 suspended too, other replies held meanwhile
    h.deliver(reply_to(sent, 200))
    assert h.upstream() == [100, 180]
    assert h.api.t_continue(*ids[1], lambda c: None) == 1
    assert h.upstream() == [100, 180, 200]
    h.drain()
    assert h.api.table_size() == 0


def test_suspended_provisional_dropped_by_continuation(h):
    ids = []
    sent = _reply_suspending_harness(h, ids, on=(183,))
    h.deliver(reply_to(sent, 183))
    assert h.api.t_continue(*ids[0], lambda c: setattr(c, "drop", True)) == 1
    assert h.upstream() == [100]


def test_suspended_reply_relayed_unchanged_when_nobody_continues():
    h = TmHarness(fr_timer=1000)
    ids = []
    sent = _reply_suspending_harness(h, ids, on=(486,))
    h.deliver(reply_to(sent, 486))
    assert h.upstream() == [100]
    h.advance(1.0)
    assert h.upstream() == [100, 486]
    assert h.api.t_continue(*ids[0], lambda c: None) in (-1, -2)


def test_cancel_while_suspended_then_continue_frees_with_long_fr():
    h = TmHarness(fr_timer=60000)
    ctx, (idx, label) = suspended(h)
    F.t_relay(h.ctx(invite(method="CANCEL")))
    assert h.api.t_continue(idx, label, lambda c: 1) == 1
    tag = h.env.replies[-1][1].to.tag
    F.t_check_trans(h.ctx(invite(method="ACK", to_tag=tag)))
    h.drain(10)
    assert h.api.table_size() == 0
