"""Script functions: declarations, route types, presets and smaller behaviours."""
import re
import socket

from siprouter.core.modsys import Arg, RouteType
from siprouter.modules.tm import functions as F
from siprouter.modules.tm.module_decl import module
from siprouter.modules.tm.proxy import TmCore

from tm_harness import TmHarness, invite, reply_to


def spec(name, nargs=0):
    return next(s for s in module.functions if s.name == name and len(s.args) == nargs)


def test_declared_functions_and_route_types():
    names = {s.name for s in module.functions}
    for n in ("t_relay", "t_reply", "t_send_reply", "t_newtran", "t_check_trans",
              "t_lookup_request", "t_lookup_cancel", "t_release", "t_on_failure", "t_on_reply",
              "t_on_branch", "t_on_branch_failure", "t_is_set", "t_is_canceled", "t_is_expired",
              "t_check_status", "t_branch_timeout", "t_branch_replied", "t_any_timeout",
              "t_any_replied", "t_set_fr", "t_reset_fr", "t_drop_replies", "t_load_contacts",
              "t_next_contacts"):
        assert n in names, n
    assert spec("t_newtran").routes == RouteType.REQUEST
    assert spec("t_relay").routes == RouteType.REQUEST | RouteType.FAILURE
    assert spec("t_relay", 2).args == (Arg.SPVE, Arg.IGP)
    assert spec("t_drop_replies", 1).routes == RouteType.FAILURE
    assert not spec("t_on_branch", 1).routes & RouteType.TM_ONREPLY


def test_default_params_are_kamailios():
    p = {n: s.default for n, s in module.params.items()}
    assert p["fr_timer"] == 30000 and p["fr_inv_timer"] == 120000 and p["wt_timer"] == 5000
    assert p["retr_timer1"] == 500 and p["retr_timer2"] == 4000
    assert p["max_inv_lifetime"] == 180000 and p["max_noninv_lifetime"] == 32000
    assert p["auto_inv_100"] == 1
    assert p["auto_inv_100_reason"] == "trying -- your call is important to us"
    assert p["restart_fr_on_each_reply"] == 1 and p["failure_reply_mode"] == 3
    assert p["default_code"] == 500 and p["default_reason"] == "Server Internal Error"


def test_stats_declared():
    for n in ("UAS_transactions", "UAC_transactions", "inuse_transactions", "active_transactions",
              "2xx_transactions", "6xx_transactions", "rpl_received", "rpl_relayed",
              "rpl_absorbed", "rpl_generated"):
        assert n in module.stats


def test_presets_before_transaction(h):
    ctx = h.ctx(invite())
    F.t_on_failure(ctx, "F")
    F.t_on_reply(ctx, "R")
    F.t_set_fr(ctx, 5000, 1000)
    assert F.t_is_set(ctx, "failure_route") == 1 and F.t_is_set(ctx, "branch_route") == -1
    F.t_newtran(ctx)
    t = ctx.txn
    assert t.on_failure == "F" and t.on_reply == "R"
    assert (t.timers_cfg.fr, t.timers_cfg.fr_inv) == (1.0, 5.0)
    F.t_reset_fr(ctx)
    assert (t.timers_cfg.fr, t.timers_cfg.fr_inv) == (30.0, 120.0)


def test_t_set_fr_applies_to_new_branches():
    h = TmHarness()
    ctx = h.ctx(invite())
    F.t_set_fr(ctx, 0, 700)
    F.t_relay(ctx)
    h.advance(0.7)
    assert h.upstream() == [100, 408]


def test_no_auto_100():
    h = TmHarness(auto_inv_100=0)
    F.t_relay(h.ctx(invite()))
    assert h.upstream() == []
    h2 = TmHarness()
    ctx = h2.ctx(invite())
    F.t_set_auto_inv_100(ctx, 0)
    F.t_relay(ctx)
    assert h2.upstream() == []


def test_t_lookup_request_and_cancel(h):
    assert F.t_lookup_request(h.ctx(invite())) == -1
    F.t_relay(h.ctx(invite()))
    assert F.t_lookup_request(h.ctx(invite())) == 1
    assert F.t_lookup_cancel(h.ctx(invite(method="CANCEL"))) == 1
    assert F.t_lookup_cancel(h.ctx(invite(method="CANCEL", branch="z9hG4bKzz"))) == -1


def test_t_check_trans_on_reply(h):
    F.t_relay(h.ctx(invite()))
    rep = reply_to(h.env.sent[0][0], 180)
    assert F.t_check_trans(h.ctx(rep, RouteType.CORE_ONREPLY)) == 1
    from siprouter.core.sip import make_response
    other = invite(call_id="x", branch="z9hG4bKq")
    other.add_via("SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnone.0")
    assert F.t_check_trans(h.ctx(make_response(other, 180), RouteType.CORE_ONREPLY)) == -1


def test_t_release(h):
    ctx = h.ctx(invite(method="OPTIONS"))
    assert F.t_release(ctx) == -1
    F.t_newtran(ctx)
    assert F.t_release(ctx) == 1
    assert h.api.table_size() == 0


def test_t_check_status_in_request_route(h):
    ctx = h.ctx(invite(method="OPTIONS"))
    F.t_newtran(ctx)
    assert F.t_check_status(ctx, re.compile("4[0-9][0-9]")) == -1
    F.t_reply(ctx, 404, "x")
    assert F.t_check_status(ctx, re.compile("4[0-9][0-9]")) == 1


def test_t_drop_replies_and_failure_reply_mode_0():
    h = TmHarness(failure_reply_mode=0)

    def fail(ctx):
        if F.t_any_replied(ctx) == 1 and len(ctx.txn.branches) == 1:
            ctx.msg.uri = "sip:b@127.0.0.1:5091"
            F.t_on_failure(ctx, "F")
            return F.t_relay(ctx)
    h.route("failure", "F", fail)
    ctx = h.ctx(invite())
    F.t_on_failure(ctx, "F")
    F.t_relay(ctx)
    h.deliver(reply_to(h.env.sent[0][0], 404))
    h.deliver(reply_to(h.last_sent("INVITE"), 486))
    assert h.upstream() == [100, 404]           # mode 0 keeps the 404 of the first leg

    h = TmHarness()                              # mode 3 (default) discards it
    h.route("failure", "F", fail)
    ctx = h.ctx(invite())
    F.t_on_failure(ctx, "F")
    F.t_relay(ctx)
    h.deliver(reply_to(h.env.sent[0][0], 404))
    h.deliver(reply_to(h.last_sent("INVITE"), 486))
    assert h.upstream() == [100, 486]

    h = TmHarness()
    h.route("failure", "F", lambda c: F.t_drop_replies(c))
    ctx = h.ctx(invite())
    F.t_on_failure(ctx, "F")
    F.t_relay(ctx)
    h.deliver(reply_to(h.env.sent[0][0], 404))
    assert h.upstream() == [100, 500]           # nothing left to relay: default_code


def test_branch_failure_route_runs_per_negative_branch(h):
    seen = []
    h.route("event", "tm:branch-failure:BF", lambda c: seen.append((c.branch, c.reply.status)))
    msg = invite()
    msg.attrs["branches"] = [{"uri": "sip:c@127.0.0.1:5080"}]
    ctx = h.ctx(msg)
    F.t_on_branch_failure(ctx, "BF")
    F.t_relay(ctx)
    b0, b1 = [d for d, _ in h.env.sent if d.startswith(b"INVITE")]
    h.deliver(reply_to(b0, 404))
    h.deliver(reply_to(b1, 486))
    assert seen == [(0, 404), (1, 486)]


def test_tcp_request_has_no_retransmissions():
    h = TmHarness(fr_timer=3000)
    msg = invite(ruri="sip:bob@127.0.0.1:5070;transport=tcp")
    F.t_relay(h.ctx(msg))
    assert h.env.sent[0][1].proto == "tcp"
    assert "SIP/2.0/TCP" in h.env.sent[0][0].decode()
    h.advance(2.0)
    assert len(h.requests("INVITE")) == 1


def test_via_uses_transport_listen_socket_fields():
    class LS:                                     # the transport's ListenSocket shape
        proto, ip, port, af = "udp", "127.0.0.1", 5078, socket.AF_INET
        advertised_host = None
        advertised_port = None
        via_host, via_port = "127.0.0.1", 5078
    h = TmHarness()
    h.env.listen = [LS()]
    F.t_relay(h.ctx(invite()))
    assert h.requests("INVITE")[0].top_via.host == "127.0.0.1"
    assert h.requests("INVITE")[0].top_via.port == 5078


def test_max_forwards_not_decremented_twice(h):
    msg = invite()
    msg.set_header("Max-Forwards", "69")         # as mf_process_maxfwd_header() does
    F.t_relay(h.ctx(msg))
    assert h.requests("INVITE")[0].max_forwards == 69
    h2 = TmHarness()
    F.t_relay(h2.ctx(invite(call_id="x2")))
    assert h2.requests("INVITE")[0].max_forwards == 69


def test_max_forwards_added_by_the_script_is_relayed_as_added(h):
    """mf_process_maxfwd_header() on a request without Max-Forwards adds one with
    its limit; Kamailio relays that value, so tm must not decrement it (regression)."""
    from siprouter.core.sip import parse_message
    from siprouter.modules.maxfwd import processing
    base = invite()
    msg = parse_message(base.to_bytes().replace(b"Max-Forwards: 70\r\n", b""))
    msg.rcv = base.rcv
    assert msg.max_forwards is None
    ctx = h.ctx(msg)
    assert processing.process_maxfwd(ctx, 10) == 2
    F.t_relay(ctx)
    assert h.requests("INVITE")[0].max_forwards == 10


def test_path_becomes_route_for_branch(h):
    msg = invite()
    msg.attrs["branches"] = [{"uri": "sip:c@10.9.9.9", "dst_uri": "sip:127.0.0.1:5085",
                              "path": ["<sip:edge@127.0.0.1:5085;lr>"], "flags": 4}]
    F.t_relay(h.ctx(msg))
    second = h.requests("INVITE")[1]
    assert second.get("Route") == "<sip:edge@127.0.0.1:5085;lr>"
    assert h.env.sent[1][1].port == 5085


def test_core_is_constructible_with_defaults():
    core = TmCore(TmHarness().env, {})
    assert core.timers.fr == 30.0 and core.failure_reply_mode == 3


def test_rr_fix_record_route_called_per_branch_with_outgoing_socket(h):
    calls = []

    class FakeRR:
        def fix_record_route(self, msg, proto, host, port):
            calls.append((msg.method, proto, host, port))
            msg.add_header("X-RR-Fixed", proto)
            return True
    h.core.rr = FakeRR()
    F.t_relay(h.ctx(invite(ruri="sip:bob@127.0.0.1:5070;transport=tcp")))
    assert calls == [("INVITE", "tcp", "192.0.2.10", 5060)]
    assert h.requests("INVITE")[0].get("X-RR-Fixed") == "tcp"


def test_rpc_stats_and_list(h):
    import siprouter.modules.tm as tm_mod
    F.t_relay(h.ctx(invite()))
    st = tm_mod.rpc_stats()
    assert st["inuse_transactions"] == 1 and st["UAS_transactions"] == 1
    assert st["suspended_transactions"] == 0
    lst = tm_mod.rpc_list()
    assert lst[0]["method"] == "INVITE" and lst[0]["status"] == 100
