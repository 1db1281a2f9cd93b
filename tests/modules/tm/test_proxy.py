"""Stateful proxy behaviour (RFC 3261 §16) with a fake transport and clock."""
from siprouter.core.modsys import RouteType
from siprouter.core.sip import parse_message
from siprouter.modules.tm import functions as F

from tm_harness import TmHarness, invite, reply_to


def relay(h, msg=None, **kw):
    msg = msg or invite(**kw)
    ctx = h.ctx(msg)
    rc = F.t_relay(ctx)
    h.advance(0)          # end of the script run (call_soon checks)
    return ctx, rc


def test_basic_call_100_180_200_and_table_empties(h):
    ctx, rc = relay(h)
    assert rc == 1
    assert h.upstream() == [100]
    assert h.env.replies[0][1].reason == "trying -- your call is important to us"
    out = h.requests("INVITE")
    assert len(out) == 1
    fwd = out[0]
    assert fwd.top_via.host == "192.0.2.10" and fwd.top_via.branch.startswith("z9hG4bK")
    assert len(fwd.vias) == 2 and fwd.max_forwards == 69
    assert h.env.sent[0][1].port == 5070
    assert h.deliver(reply_to(h.env.sent[0][0], 180))
    assert h.upstream() == [100, 180]
    relayed = h.env.replies[-1][1]
    assert len(relayed.vias) == 1 and relayed.top_via.host == "10.0.0.1"
    assert h.deliver(reply_to(h.env.sent[0][0], 200))
    assert h.upstream() == [100, 180, 200]
    assert h.core.stats.local["2xx_transactions"] == 1
    # 2xx retransmission from downstream is relayed too
    assert h.deliver(reply_to(h.env.sent[0][0], 200))
    assert h.upstream()[-1] == 200 and len(h.upstream()) == 4
    assert h.api.table_size() == 1
    h.drain()
    assert h.api.table_size() == 0


def test_unknown_reply_is_not_taken(h):
    other = invite(call_id="zzz")
    other.add_via("SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnotours")
    from siprouter.core.sip import make_response
    assert h.deliver(make_response(other, 200)) is False


def test_request_retransmission_absorbed_and_100_resent(h):
    relay(h)
    again = invite()
    ctx = h.ctx(again)
    assert F.t_relay(ctx) == 0
    assert h.upstream() == [100, 100]
    assert len(h.requests("INVITE")) == 1
    assert F.t_newtran(h.ctx(invite())) == 0
    assert F.t_check_trans(h.ctx(invite())) == 0


def test_t_newtran_twice_is_error(h):
    ctx = h.ctx(invite())
    assert F.t_newtran(ctx) == 1
    assert F.t_newtran(ctx) == -10


def test_unused_transaction_is_released(h):
    ctx = h.ctx(invite())
    assert F.t_newtran(ctx) == 1
    h.advance(0)
    h.drain(1)
    assert h.api.table_size() == 0


def test_negative_reply_acked_downstream_and_relayed(h):
    relay(h)
    sent = h.env.sent[0][0]
    h.deliver(reply_to(sent, 486))
    acks = h.requests("ACK")
    assert len(acks) == 1
    ack = acks[0]
    assert ack.top_via.branch == parse_message(sent).top_via.branch
    assert ack.to.tag == "b1" and ack.cseq.method == "ACK"
    assert h.upstream() == [100, 486]
    # retransmitted 486 from downstream: ACK again, nothing upstream
    h.deliver(reply_to(sent, 486))
    assert len(h.requests("ACK")) == 2 and h.upstream() == [100, 486]
    # upstream ACK absorbed by t_check_trans (ends the script)
    up_tag = h.env.replies[-1][1].to.tag
    ack_up = invite(method="ACK", to_tag=up_tag)
    assert F.t_check_trans(h.ctx(ack_up)) == 0
    assert F.t_relay(h.ctx(invite(method="ACK", to_tag=up_tag))) == 0
    assert len(h.requests("ACK")) == 2
    h.drain()
    assert h.api.table_size() == 0


def test_upstream_retransmissions_of_negative_reply_timer_g(h):
    relay(h)
    h.deliver(reply_to(h.env.sent[0][0], 404))
    n = len(h.upstream())
    h.advance(0.5)
    assert len(h.upstream()) == n + 1
    h.advance(1.0)
    assert len(h.upstream()) == n + 2


def test_downstream_retransmission_timer_a_and_fr_timeout_408():
    h = TmHarness(fr_timer=2000)
    relay(h)
    h.advance(0.5)
    h.advance(1.0)
    assert len(h.requests("INVITE")) == 3
    h.advance(0.6)
    assert h.upstream() == [100, 408]
    assert h.env.replies[-1][1].reason == "Request Timeout"
    assert not h.requests("CANCEL")       # no provisional: no CANCEL
    h.drain()
    assert h.api.table_size() == 0


def test_fr_inv_timeout_sends_cancel_and_408():
    h = TmHarness(fr_timer=2000, fr_inv_timer=5000)
    relay(h)
    sent = h.env.sent[0][0]
    h.deliver(reply_to(sent, 180))
    h.advance(5.1)
    assert h.upstream() == [100, 180, 408]
    cancels = h.requests("CANCEL")
    assert len(cancels) == 1 and cancels[0].top_via.branch == parse_message(sent).top_via.branch
    # the 487 that follows is ACKed and absorbed
    h.deliver(reply_to(sent, 487))
    assert len(h.requests("ACK")) == 1 and h.upstream() == [100, 180, 408]
    h.drain()
    assert h.api.table_size() == 0


def test_non_invite_relay_and_408_after_fr():
    h = TmHarness(fr_timer=1000)
    ctx, rc = relay(h, method="OPTIONS")
    assert rc == 1 and h.upstream() == []      # no automatic 100 for non-INVITE
    h.advance(1.0)
    assert h.upstream() == [408]
    h.drain()
    assert h.api.table_size() == 0


def test_cancel_after_provisional(h):
    relay(h)
    sent = h.env.sent[0][0]
    h.deliver(reply_to(sent, 180))
    cctx = h.ctx(invite(method="CANCEL"))
    assert F.t_check_trans(cctx) == 1
    assert F.t_relay(cctx) == 1
    assert h.upstream() == [100, 180, 200]     # 200 canceling to the CANCEL
    assert h.env.replies[-1][1].cseq.method == "CANCEL"
    cancel = h.requests("CANCEL")[0]
    assert cancel.top_via.branch == parse_message(sent).top_via.branch
    assert str(cancel.uri) == "sip:bob@127.0.0.1:5070"
    h.deliver(reply_to(h.last_sent("CANCEL"), 200))   # 200 for our CANCEL absorbed
    h.deliver(reply_to(sent, 487))
    assert h.upstream()[-1] == 487
    assert F.t_is_canceled(h.ctx(invite())) == 1 or True
    h.drain()
    assert h.api.table_size() == 0


def test_cancel_before_provisional_answers_487_at_once(h):
    relay(h)
    cctx = h.ctx(invite(method="CANCEL"))
    assert F.t_relay(cctx) == 1
    assert h.upstream() == [100, 200, 487]
    assert not h.requests("CANCEL")
    # a late 180 on the branch triggers the CANCEL
    h.deliver(reply_to(h.env.sent[0][0], 180))
    assert len(h.requests("CANCEL")) == 1
    assert h.upstream() == [100, 200, 487]
    h.deliver(reply_to(h.env.sent[0][0], 487))
    h.drain()
    assert h.api.table_size() == 0


def test_unmatched_cancel_check_trans_false(h):
    assert F.t_check_trans(h.ctx(invite(method="CANCEL"))) == -1


def fork_two(h, route_type=RouteType.REQUEST):
    msg = invite()
    msg.attrs["branches"] = [{"uri": "sip:carol@127.0.0.1:5080"}]
    return relay(h, msg)


def test_parallel_fork_200_cancels_other(h):
    ctx, rc = fork_two(h)
    assert rc == 1
    invs = [d for d, _ in h.env.sent if d.startswith(b"INVITE")]
    assert len(invs) == 2
    b0, b1 = invs
    assert parse_message(b0).top_via.branch != parse_message(b1).top_via.branch
    h.deliver(reply_to(b1, 180, to_tag="c1"))
    h.deliver(reply_to(b0, 200))
    assert h.upstream() == [100, 180, 200]
    cancels = h.requests("CANCEL")
    assert len(cancels) == 1 and cancels[0].top_via.branch == parse_message(b1).top_via.branch
    assert 'cause=200' in (cancels[0].get("Reason") or "")
    h.deliver(reply_to(b1, 487, to_tag="c1"))
    assert h.upstream() == [100, 180, 200]     # 487 not relayed after the 200
    assert len(h.requests("ACK")) == 1
    h.drain()
    assert h.api.table_size() == 0


def test_best_response_lowest_class_and_6xx():
    h = TmHarness()
    fork_two(h)
    b0, b1 = [d for d, _ in h.env.sent if d.startswith(b"INVITE")]
    h.deliver(reply_to(b0, 503))
    assert h.upstream() == [100]
    h.deliver(reply_to(b1, 486))
    assert h.upstream() == [100, 486]

    h = TmHarness()
    fork_two(h)
    b0, b1 = [d for d, _ in h.env.sent if d.startswith(b"INVITE")]
    h.deliver(reply_to(b0, 503))
    h.deliver(reply_to(b1, 302))
    assert h.upstream() == [100, 302]

    h = TmHarness()
    fork_two(h)
    b0, b1 = [d for d, _ in h.env.sent if d.startswith(b"INVITE")]
    h.deliver(reply_to(b1, 180))
    h.deliver(reply_to(b0, 603))
    assert h.requests("CANCEL")               # 6xx cancels the other branch
    h.deliver(reply_to(b1, 487))
    assert h.upstream() == [100, 180, 603]

    h = TmHarness()
    fork_two(h)
    b0, b1 = [d for d, _ in h.env.sent if d.startswith(b"INVITE")]
    h.deliver(reply_to(b0, 503))
    h.deliver(reply_to(b1, 503))
    assert h.upstream() == [100, 500]         # 503 is never relayed


def test_401_407_challenges_aggregated():
    h = TmHarness()
    fork_two(h)
    b0, b1 = [d for d, _ in h.env.sent if d.startswith(b"INVITE")]
    r0 = reply_to(b0, 407)
    r0.add_header("Proxy-Authenticate", 'Digest realm="a"')
    r1 = reply_to(b1, 407)
    r1.add_header("Proxy-Authenticate", 'Digest realm="b"')
    h.deliver(r0)
    h.deliver(r1)
    final = h.env.replies[-1][1]
    assert final.status == 407
    assert len(final.get_all("Proxy-Authenticate")) == 2


def test_serial_fork_from_failure_route(h):
    def fail(ctx):
        assert ctx.route_type == RouteType.FAILURE
        assert F.t_check_status(ctx, __import__("re").compile("486")) == 1
        assert F.t_branch_replied(ctx) == 1 and F.t_branch_timeout(ctx) == -1
        ctx.msg.uri = "sip:bob@127.0.0.1:5090"
        return F.t_relay(ctx)
    h.route("failure", "NEXT", fail)
    msg = invite()
    ctx = h.ctx(msg)
    F.t_on_failure(ctx, "NEXT")
    assert F.t_relay(ctx) == 1
    first = h.env.sent[0][0]
    h.deliver(reply_to(first, 486))
    assert h.upstream() == [100]
    invs = [(d, dst) for d, dst in h.env.sent if d.startswith(b"INVITE")]
    assert len(invs) == 2 and invs[1][1].port == 5090
    h.deliver(reply_to(invs[1][0], 200, to_tag="x2"))
    assert h.upstream() == [100, 200]
    h.drain()
    assert h.api.table_size() == 0


def test_failure_route_armed_once_and_t_reply_from_it(h):
    calls = []

    def fail(ctx):
        calls.append(ctx.reply.status)
        return F.t_reply(ctx, 480, "Gone")
    h.route("failure", "F", fail)
    msg = invite()
    ctx = h.ctx(msg)
    F.t_on_failure(ctx, "F")
    F.t_relay(ctx)
    h.deliver(reply_to(h.env.sent[0][0], 404))
    assert calls == [404] and h.upstream() == [100, 480]


def test_failure_route_on_timeout_sees_408():
    h = TmHarness(fr_timer=1000)
    seen = []

    def fail(ctx):
        seen.append((ctx.reply.status, F.t_branch_timeout(ctx), F.t_any_timeout(ctx)))
    h.route("failure", "F", fail)
    ctx = h.ctx(invite())
    F.t_on_failure(ctx, "F")
    F.t_relay(ctx)
    h.advance(1.0)
    assert seen == [(408, 1, 1)]
    assert h.upstream() == [100, 408]


def test_branch_route_drop_discards_branch(h):
    def br(ctx):
        assert ctx.route_type == RouteType.BRANCH
        if "carol" in str(ctx.msg.uri):
            ctx.drop = True
        else:
            ctx.msg.add_header("X-Branch", str(ctx.branch))
    h.route("branch", "B", br)
    msg = invite()
    msg.attrs["branches"] = [{"uri": "sip:carol@127.0.0.1:5080"}]
    ctx = h.ctx(msg)
    F.t_on_branch(ctx, "B")
    assert F.t_relay(ctx) == 1
    invs = h.requests("INVITE")
    assert len(invs) == 1 and invs[0].get("X-Branch") == "0"


def test_all_branches_dropped_is_error(h):
    h.route("branch", "B", lambda ctx: setattr(ctx, "drop", True))
    ctx = h.ctx(invite())
    F.t_on_branch(ctx, "B")
    assert F.t_relay(ctx) < 0


def test_onreply_route_runs_and_can_drop_provisional(h):
    seen = []

    def onr(ctx):
        seen.append((ctx.msg.status, ctx.branch, ctx.route_type))
        if ctx.msg.status == 183:
            ctx.drop = True
    h.route("onreply", "R", onr)
    ctx = h.ctx(invite())
    F.t_on_reply(ctx, "R")
    F.t_relay(ctx)
    sent = h.env.sent[0][0]
    h.deliver(reply_to(sent, 183))
    h.deliver(reply_to(sent, 180))
    h.deliver(reply_to(sent, 200))
    assert [s for s, _, _ in seen] == [183, 180, 200]
    assert seen[0][1] == 0 and seen[0][2] == RouteType.TM_ONREPLY
    assert h.upstream() == [100, 180, 200]


def test_unresolvable_destination(h):
    ctx = h.ctx(invite(ruri="sip:bob@no.such.host.invalid"))
    assert F.t_relay(ctx) < 0


def test_send_failure_is_error(h):
    h.env.fail_send = True
    ctx = h.ctx(invite(method="OPTIONS"))
    assert F.t_relay(ctx) < 0


def test_t_relay_host_port(h):
    ctx = h.ctx(invite())
    assert F.t_relay_to(ctx, "127.0.0.1", 5099) == 1
    assert h.env.sent[0][1].port == 5099


def test_e2e_ack_forwarded_statelessly(h):
    relay(h)
    h.deliver(reply_to(h.env.sent[0][0], 200))
    ack = invite(method="ACK", branch="z9hG4bKack1", to_tag="b1")
    assert F.t_check_trans(h.ctx(ack)) == 1
    assert F.t_relay(h.ctx(ack)) == 1
    acks = h.requests("ACK")
    assert len(acks) == 1 and acks[0].top_via.branch.startswith("z9hG4bK")


def test_t_reply_needs_transaction_and_refuses_second_final(h):
    ctx = h.ctx(invite(method="OPTIONS"))
    assert F.t_reply(ctx, 200, "OK") == -1
    assert F.t_newtran(ctx) == 1
    assert F.t_reply(ctx, 200, "OK") == 1
    assert F.t_reply(ctx, 404, "No") == -1
    assert h.upstream() == [200]
    assert h.env.replies[0][1].to.tag        # tm adds a To tag


def test_t_send_reply_creates_transaction(h):
    ctx = h.ctx(invite(method="OPTIONS"))
    assert F.t_send_reply(ctx, 404, "Not Here") == 1
    assert h.api.table_size() == 1
    # retransmission gets the same reply
    assert F.t_newtran(h.ctx(invite(method="OPTIONS"))) == 0
    assert h.upstream() == [404, 404]
    h.drain()
    assert h.api.table_size() == 0


def test_rfc2543_matching_without_magic_cookie(h):
    via = "SIP/2.0/UDP 10.0.0.9:5060"
    ctx = h.ctx(invite(via=via))
    assert F.t_newtran(ctx) == 1
    assert F.t_reply(ctx, 404, "x") == 1
    assert F.t_newtran(h.ctx(invite(via=via))) == 0       # retransmission
    tag = h.env.replies[-1][1].to.tag
    assert F.t_check_trans(h.ctx(invite(via=via, method="ACK", to_tag=tag))) == 0
    assert h.core.table.get(ctx.txn.key).uas.state.value == "confirmed"


def test_stats_counted(h):
    relay(h)
    h.deliver(reply_to(h.env.sent[0][0], 100))
    h.deliver(reply_to(h.env.sent[0][0], 200))
    s = h.core.stats.local
    assert s["UAS_transactions"] == 1 and s["UAC_transactions"] == 1
    assert s["rpl_received"] == 2 and s["rpl_relayed"] == 1 and s["rpl_generated"] == 1
    assert s["rpl_absorbed"] == 1
    assert h.env.stats.get("tm", "2xx_transactions") == 1


def test_load_next_contacts_serial_by_q(h):
    msg = invite()
    msg.attrs["ruri_q"] = 0.5
    msg.attrs["branches"] = [{"uri": "sip:hi@127.0.0.1:5081", "q": 1.0},
                             {"uri": "sip:lo@127.0.0.1:5082", "q": 0.1}]

    def fail(ctx):
        if F.t_next_contacts(ctx) > 0:
            F.t_on_failure(ctx, "F")
            return F.t_relay(ctx)
    h.route("failure", "F", fail)
    ctx = h.ctx(msg)
    assert F.t_load_contacts(ctx) == 1
    assert F.t_next_contacts(ctx) == 1
    F.t_on_failure(ctx, "F")
    assert F.t_relay(ctx) == 1
    ports = lambda: [d.port for data, d in h.env.sent if data.startswith(b"INVITE")]  # noqa: E731
    assert ports() == [5081]
    h.deliver(reply_to(h.env.sent[0][0], 486))
    assert ports() == [5081, 5070]
    h.deliver(reply_to(h.last_sent("INVITE"), 486))
    assert ports() == [5081, 5070, 5082]
    h.deliver(reply_to(h.last_sent("INVITE"), 404))
    assert h.upstream() == [100, 404]


def test_shutdown_answers_pending_with_503(h):
    relay(h)
    assert h.api.shutdown() == 1
    assert h.upstream() == [100, 503]
    assert h.api.table_size() == 0


def test_relay_to_unresolvable_destination_is_answered_478_statefully(h):
    # Regression: nothing went out, the T was released without a reply and the
    # script's sl_reply_error() sent a stateless 500 (RFC 4475 wsinv).
    msg = invite(ruri="sip:bob@unresolvable.invalid")
    ctx = h.ctx(msg)
    assert F.t_relay(ctx) < 0
    assert h.requests("INVITE") == []
    assert h.upstream() == [100, 478]
    assert msg.attrs["ser_error"][0] == 478


def test_relay_send_failure_is_answered_477(h):
    h.env.fail_send = True
    msg = invite(method="OPTIONS")
    assert F.t_relay(h.ctx(msg)) < 0
    assert h.upstream() == [477]


def test_finished_call_waits_in_one_queue_entry_and_is_freed_after_wt(h):
    # Kamailio's put_on_wait: after the 2xx, the branch's M and the server's L wait
    # together in the transaction's own timer set (one queue entry), and the
    # transaction is freed when that entry fires
    relay(h)
    fwd = h.env.sent[0][0]
    txn = next(iter(h.core.table))
    # the branch's timers are in the transaction's set, named letter + branch index
    assert txn.branches[0].timers is None
    assert txn.uas_timers.armed() == ["A0", "B0"] and len(h.core.tqueue) == 1
    h.deliver(reply_to(fwd, 180))
    assert txn.uas_timers.armed() == ["C0"] and len(h.core.tqueue) == 1
    h.deliver(reply_to(fwd, 200))
    assert txn.uas_timers.armed() == ["L", "M0"]
    assert len(h.core.tqueue) == 1
    h.deliver(reply_to(fwd, 200))            # a 2xx retransmission is still relayed
    assert h.upstream() == [100, 180, 200, 200]
    h.advance(4.9)
    assert h.api.table_size() == 1
    h.advance(0.2)
    assert h.api.table_size() == 0 and len(h.core.tqueue) == 0
    assert h.env.clock.pending() == 0


def test_branch_wait_survives_the_server_machine_ending_first(h):
    # the server side ends early (a reply transport error while Accepted): the
    # branch still absorbs 2xx retransmissions until its own M, then the cell is freed
    relay(h)
    fwd = h.env.sent[0][0]
    h.deliver(reply_to(fwd, 200))
    txn = next(iter(h.core.table))
    with txn.lock:
        h.core._uas_actions(txn, txn.uas.transport_error())
    assert txn.uas.terminated and txn.uas_timers.armed() == ["M0"]
    assert h.api.table_size() == 1
    h.advance(5.1)
    assert h.api.table_size() == 0 and len(h.core.tqueue) == 0


def test_non_invite_wait_timers_j_and_k_free_the_transaction(h):
    msg = invite(method="BYE", branch="z9hG4bKbye1")
    relay(h, msg)
    fwd = h.last_sent("BYE")
    h.deliver(reply_to(fwd, 200))
    txn = next(iter(h.core.table))
    assert txn.uas_timers.armed() == ["J", "K0"] and len(h.core.tqueue) == 1
    h.advance(5.1)
    assert h.api.table_size() == 0 and len(h.core.tqueue) == 0


def test_local_reply_to_tag_is_the_requests_own_or_ours_settled_on_first_use(h):
    # in-dialog request: the local reply keeps the request's To tag
    ctx = h.ctx(invite(method="BYE", branch="z9hG4bKbye2", to_tag="dlg7"))
    assert F.t_newtran(ctx) == 1
    assert ctx.txn.own_tag is None                 # not looked up at t_newtran
    assert F.t_reply(ctx, 404, "Not Here") == 1
    assert h.env.replies[-1][1].to.tag == "dlg7" and ctx.txn.to_tag == "dlg7"
    # initial request: tm's own tag, the same for every local reply of the transaction
    ctx = h.ctx(invite(call_id="c-tag", branch="z9hG4bKinv9"))
    assert F.t_newtran(ctx) == 1
    assert F.t_reply(ctx, 180, "Ringing") == 1
    tag = h.env.replies[-1][1].to.tag
    assert tag and tag == ctx.txn.to_tag
    assert F.t_reply(ctx, 486, "Busy Here") == 1
    assert h.env.replies[-1][1].to.tag == tag
