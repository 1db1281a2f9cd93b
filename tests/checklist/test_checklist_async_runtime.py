"""Must-reproduce checklist (spec kamailio-behaviour.md, end): run-time items, on a real
in-process server (TOML + route script through ``build_env``, real tm/tmx/async, manual
clock, recorded sends).  Item numbers are in each test's docstring."""
from __future__ import annotations

import importlib
import time

import pytest

from checklist_harness import wait_for

TERRIBLY = "I'm terribly sorry, server error occurred (1/TM)"


def _engine():
    return importlib.import_module("siprouter.modules.async").runtime.engine


# -- item 4 ----------------------------------------------------------------------------
@pytest.mark.parametrize("secs", [0, -5, 100])
def test_item04_out_of_range_seconds_minus_one_and_no_transaction(harness, secs):
    """4: async_route/async_sleep with 0, negative, >=100 s return -1, the script goes
    on, and no T was created (a later t_reply has no T-state to answer with)."""
    h = harness(f"""
request_route {{
    $var(s) = {secs};
    if ($rU == "sleep") {{ async_sleep($var(s)); $var(rc) = $rc; }}
    else {{ async_route("R", $var(s)); $var(rc) = $rc; }}
    if (t_reply("404", "had a T")) {{ exit; }}
    send_reply("480", "rc=$var(rc) no T");
}}
route[R] {{ send_reply("404", "resumed"); }}
""")
    for user in ("route", "sleep"):
        cid, _ = h.request(user=user)
        assert h.final(cid) == (480, "rc=-1 no T"), user
    assert h.env.api("tm").table_size() == 0


@pytest.mark.parametrize("secs", [1, 99])
def test_item04_boundaries_1_and_99_are_accepted(harness, secs):
    """4: 1 and 99 are valid: the call suspends (returns 0, the script ends)."""
    h = harness(f"""
request_route {{ async_route("R", "{secs}"); send_reply("500", "went on"); }}
route[R] {{ send_reply("404", "resumed"); }}
""", modparam="[modparam.tm]\nfr_timer = 120000\n")      # the blind branch must outlive 99 s
    cid, _ = h.request()
    assert h.replies(cid) == [(100, "trying -- your call is important to us")]
    h.clock.advance(secs)
    assert wait_for(lambda: h.final(cid) == (404, "resumed"))


# -- item 5 ----------------------------------------------------------------------------
@pytest.mark.parametrize("ms,ok", [(0, False), (-1, False), (1, True), (29999, True), (30000, False)])
def test_item05_ms_range(harness, ms, ok):
    """5: async_ms_* accept 1..29999 ms; 0, negative and >=30000 give -1."""
    h = harness(f"""
request_route {{
    $var(ms) = {ms};
    async_ms_route("R", $var(ms));
    send_reply("480", "rc=$rc");
}}
route[R] {{ send_reply("404", "resumed"); }}
""", core="async_workers = 1", modparam="[modparam.async]\nms_timer = 10\n")
    cid, _ = h.request()
    if ok:
        assert h.final(cid) is None
        h.clock.advance(ms / 1000.0)
        assert wait_for(lambda: h.final(cid) == (404, "resumed"))
    else:
        assert h.final(cid) == (480, "rc=-1")


def test_item05_ms_needs_ms_timer_at_run_time(harness):
    """5: with ms_timer = 0 a dynamic async_ms_* call is -1 (literal calls: load error,
    see test_checklist_startup.py)."""
    h = harness("""
request_route {
    $var(ms) = 100;
    async_ms_sleep($var(ms));
    send_reply("480", "rc=$rc");
}
""", core="async_workers = 1")
    cid, _ = h.request()
    assert h.final(cid) == (480, "rc=-1")


def test_item05_refused_when_10000_are_queued(harness):
    """5: the 10,000 queued ms items are accepted, the next one is refused (-1)."""
    h = harness("""
request_route {
    async_ms_route("R", "29000");
    send_reply("480", "rc=$rc");
}
route[R] { send_reply("404", "resumed"); }
""", core="async_workers = 1", modparam="[modparam.async]\nms_timer = 10\n")
    ids = [h.request()[0] for _ in range(10000)]
    assert h.final(ids[0]) is None and h.final(ids[-1]) is None
    assert _engine().table.ms_count == 10000
    over, _ = h.request()
    assert h.final(over) == (480, "rc=-1")


# -- item 8 ----------------------------------------------------------------------------
def test_item08_return_zero_stops_the_script(harness):
    """8: default return=0: the suspending function ends the script (nothing after it runs
    before the resume)."""
    h = harness("""
request_route { async_route("R", "1"); send_reply("500", "went on"); }
route[R] { send_reply("404", "resumed"); }
""")
    cid, _ = h.request()
    assert h.replies(cid) == [(100, "trying -- your call is important to us")]
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) == (404, "resumed"))


def test_item08_return_one_runs_the_rest_twice(harness):
    """8: with modparam return=1 the rest of the block runs at once ($rc 1) and again
    after the resume ($rc 0)."""
    h = harness("""
request_route {
    async_sleep("1");
    $var(rc) = $rc;
    $shv(runs) = $shv(runs) + 1;
    if ($shv(runs) == 1) { $shv(rc1) = $var(rc); }
    if ($shv(runs) == 2) { send_reply("404", "runs=$shv(runs) rc1=$shv(rc1) rc2=$var(rc)"); }
    exit;
}
""", modparam="[modparam.async]\nreturn = 1\n")
    import siprouter.modules.pv as pvmod
    pvmod.shv_reset()
    cid, _ = h.request()
    assert h.final(cid) is None
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) is not None)
    assert h.final(cid) == (404, "runs=2 rc1=1 rc2=0")


# -- item 10 ---------------------------------------------------------------------------
def test_item10_only_the_named_route_runs_from_its_start(harness):
    """10: async_route resumes in route[name] from its first action; the caller's block
    never runs again."""
    h = harness("""
request_route {
    $shv(caller) = $shv(caller) + 1;
    async_route("R", "1");
    $shv(after) = 1;
}
route[R] { send_reply("404", "caller=$shv(caller) after=$shv(after)"); }
""")
    import siprouter.modules.pv as pvmod
    pvmod.shv_reset()
    cid, _ = h.request()
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) == (404, "caller=1 after=0"))


def test_item10_unknown_or_long_dynamic_route_name_is_minus_one_at_call(harness):
    """10: an unknown route name given through a PV is -1 at call time (a literal one is
    a load error: deliberate deviation); a name of 63+ chars is refused, 62 is fine."""
    long63, long62 = "L" * 63, "L" * 62
    h = harness(f"""
request_route {{
    if ($rU == "nope") {{ $var(r) = "NOPE"; }}
    if ($rU == "l63") {{ $var(r) = "{long63}"; }}
    if ($rU == "l62") {{ $var(r) = "{long62}"; }}
    async_route("$var(r)", "1");
    send_reply("480", "rc=$rc");
}}
route[{long62}] {{ send_reply("404", "resumed"); }}
route[{long63}] {{ send_reply("404", "resumed"); }}
""")
    for user in ("nope", "l63"):
        cid, _ = h.request(user=user)
        assert h.final(cid) == (480, "rc=-1"), user
    cid, _ = h.request(user="l62")
    assert h.final(cid) is None
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) == (404, "resumed"))


# -- item 11 / 12 ----------------------------------------------------------------------
def test_item11_resumed_route_is_failure_route_with_flags_and_rc_cleared(harness):
    """11: resumed route: t_is_failure_route() true, $rc 0, script flags cleared."""
    h = harness("""
request_route {
    $sf = 6;
    async_route("R", "1");
}
route[R] {
    $var(rc) = $rc;
    if (t_is_failure_route()) { $var(fr) = "yes"; } else { $var(fr) = "no"; }
    send_reply("404", "fr=$var(fr) rc=$var(rc) sf=$sf");
}
""")
    cid, _ = h.request()
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) is not None)
    assert h.final(cid) == (404, "fr=yes rc=0 sf=0")


def test_item11_branch_flags_cleared_after_resume(harness):
    """11: branch flags of the R-URI branch are 0 in the resumed route."""
    h = harness("""
request_route { setbflag(3); async_route("R", "1"); }
route[R] { send_reply("404", "bf=$bf"); }
""")
    cid, _ = h.request()
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) is not None)
    assert h.final(cid) == (404, "bf=0")


def test_item12_what_survives_the_resume(harness):
    """12: $avp, $xavp, msg flags, $ru, $du, header changes, $shv and $sht are kept;
    $var is not carried over (the resuming thread's own value)."""
    h = harness("""
request_route {
    $var(v) = "private";
    $avp(a) = "avp1";
    $xavp(x=>k) = "xv";
    setflag(5);
    $ru = "sip:changed@127.0.0.1:5070";
    $du = "sip:127.0.0.1:5077";
    append_hf("X-Kept: yes\\r\\n");
    $shv(s) = "shv1";
    $sht(t=>k) = "sht1";
    async_sleep("1");
    $var(out) = "var=" + $var(v) + " avp=" + $avp(a) + " xavp=" + $xavp(x=>k)
        + " mf=" + $mf + " ru=" + $ru + " du=" + $du + " shv=" + $shv(s) + " sht=" + $sht(t=>k);
    append_hf("X-State: $var(out)\\r\\n");
    t_relay();
}
""", loadmodule=("sl", "tm", "tmx", "pv", "textops", "htable", "async"),
        modparam='[modparam.htable]\nhtable = "t=>size=4;"\n')
    cid, _ = h.request()
    h.clock.advance(1)
    assert wait_for(lambda: any(b"X-State" in d for d, _ in list(h.sent)))
    fwd = h.forwarded(cid)
    state = next(ln for ln in fwd.split(b"\r\n") if ln.startswith(b"X-State:")).decode()
    assert "avp=avp1" in state and "xavp=xv" in state and "mf=32" in state
    assert "ru=sip:changed@127.0.0.1:5070" in state and "du=sip:127.0.0.1:5077" in state
    assert "shv=shv1" in state and "sht=sht1" in state
    assert "var=private" not in state
    assert b"X-Kept: yes" in fwd
    assert fwd.startswith(b"INVITE sip:changed@127.0.0.1:5070 ")


# -- item 15 ---------------------------------------------------------------------------
def test_item15_resume_runs_on_another_thread(harness):
    """15: the resume runs on a different thread than the one that suspended: the module
    timer threads for async_route/async_sleep, the core group for task and ms resumes."""
    h = harness("""
request_route {
    cl_probe("suspend");
    if ($rU == "task") { async_task_route("T"); }
    if ($rU == "ms") { async_ms_route("T", "50"); }
    async_route("T", "1");
}
route[T] { cl_probe("resume $rU $async(gname)"); send_reply("404", "resumed"); }
""", loadmodule=("sl", "tm", "tmx", "pv", "async", "clprobe"), mpath=True,
        core="async_workers = 1", modparam="[modparam.async]\nms_timer = 10\n")
    import threading
    mod = next(m for m in h.modset.ordered if m.name == "clprobe")
    SEEN = next(f for f in mod.functions if f.name == "cl_probe").impl.__globals__["SEEN"]
    me = threading.current_thread().name
    ids = {u: h.request(user=u)[0] for u in ("timer", "task", "ms")}
    h.clock.advance(1)
    assert wait_for(lambda: all(h.final(c) == (404, "resumed") for c in ids.values()))
    seen = {tag: t for tag, t in SEEN if tag != "suspend"}
    assert [t for tag, t in SEEN if tag == "suspend"] == [me] * 3
    assert seen["resume timer <null>"].startswith("async-mod")
    for tag in ("resume task default", "resume ms default"):
        assert seen[tag] != me and not seen[tag].startswith("async-mod"), tag


def test_item15_worker_sees_state_changed_after_the_suspend(harness):
    """15 (our form): there is no runtime-config framework to refresh; workers share the
    process state, so a value changed after the suspend is what the resumed route sees."""
    h = harness("""
request_route {
    if (method == "MESSAGE") { $shv(setting) = "new"; send_reply("200", "set"); exit; }
    $shv(setting) = "old";
    async_route("R", "1");
}
route[R] { send_reply("404", "setting=$shv(setting)"); }
""")
    cid, _ = h.request()
    m, _ = h.request("MESSAGE")
    assert h.final(m) == (200, "set")
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) == (404, "setting=new"))


# -- item 16 ---------------------------------------------------------------------------
def test_item16_invite_gets_one_100_and_nothing_is_relayed_until_resume(harness):
    """16: a suspended INVITE gets 100 once (auto_inv_100) and nothing is forwarded
    before the resume relays it."""
    h = harness("""
request_route { $du = "sip:127.0.0.1:5098"; async_route("R", "2"); }
route[R] { t_relay(); }
""")
    cid, _ = h.request()
    h.clock.advance(1.9)
    time.sleep(0.05)
    assert h.replies(cid) == [(100, "trying -- your call is important to us")]
    assert not any(not d.startswith(b"SIP/2.0") for d, _ in list(h.sent))
    h.clock.advance(0.1)
    assert wait_for(lambda: any(not d.startswith(b"SIP/2.0") for d, _ in list(h.sent)))
    assert h.forwarded(cid).startswith(b"INVITE ")
    assert h.replies(cid) == [(100, "trying -- your call is important to us")]


def test_item16_non_invite_gets_no_100(harness):
    """16: auto_inv_100 is for INVITE only: a suspended MESSAGE gets nothing at once."""
    h = harness("""
request_route { async_route("R", "1"); }
route[R] { send_reply("404", "resumed"); }
""")
    cid, _ = h.request("MESSAGE")
    assert h.replies(cid) == []
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) == (404, "resumed"))


# -- item 18 ---------------------------------------------------------------------------
def test_item18_fr_timeout_runs_armed_failure_route_then_resume_is_noop(harness):
    """18: fr_timer expiry while suspended runs the armed failure_route with 408; the
    later resume is a logged no-op (route not run)."""
    h = harness("""
request_route { t_on_failure("F"); async_route("R", "5"); }
failure_route[F] { send_reply("480", "failure code=$T_reply_code"); }
route[R] { send_reply("404", "resumed"); }
""", modparam="[modparam.tm]\nfr_timer = 1000\n")
    cid, _ = h.request()
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) == (480, "failure code=408"))
    before = _engine().stats()["expired"]
    h.clock.advance(4)
    assert wait_for(lambda: _engine().stats()["expired"] == before + 1)
    # (the final reply may be retransmitted over UDP; only one distinct final goes out)
    assert {r for r in h.replies(cid) if r[0] >= 200} == {(480, "failure code=408")}


def test_item18_fr_timeout_without_failure_route_sends_408(harness):
    """18: with no failure_route armed, tm answers 408 Request Timeout."""
    h = harness("""
request_route { async_route("R", "5"); }
route[R] { send_reply("404", "resumed"); }
""", modparam="[modparam.tm]\nfr_timer = 1000\n")
    cid, _ = h.request()
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) == (408, "Request Timeout"))
    h.clock.advance(4)
    time.sleep(0.05)
    assert {r for r in h.replies(cid) if r[0] >= 200} == {(408, "Request Timeout")}


# -- item 21 ---------------------------------------------------------------------------
def test_item21_t_continue_return_codes(harness):
    """21: t_continue is 1 on success and -1 for an unknown T, a T that is not
    suspended, or an unknown route; it works from another request's route."""
    h = harness("""
request_route {
    if ($rU == "park") {
        if (t_suspend()) { $shv(i) = $T(id_index); $shv(l) = $T(id_label); exit; }
    }
    if ($rU == "plain") {
        t_newtran(); $shv(pi) = $T(id_index); $shv(pl) = $T(id_label);
        t_reply("180", "Ringing"); exit;
    }
    if ($rU == "unknown") { $var(r) = t_continue($shv(i) + 1000, $shv(l), "R"); }
    if ($rU == "notsusp") { $var(r) = t_continue($shv(pi), $shv(pl), "R"); }
    if ($rU == "noroute") { $var(r) = t_continue($shv(i), $shv(l), "$var(nope)"); }
    if ($rU == "ok") { $var(r) = t_continue($shv(i), $shv(l), "R"); }
    send_reply("200", "r=$rc");
}
route[R] { send_reply("404", "resumed"); }
""")
    park, _ = h.request(user="park")
    plain, _ = h.request(user="plain")
    assert h.final(park) is None
    out = {}
    for user in ("unknown", "notsusp", "noroute", "ok"):
        cid, _ = h.request("MESSAGE", user=user)
        out[user] = h.final(cid)
    assert out == {"unknown": (200, "r=-1"), "notsusp": (200, "r=-1"),
                   "noroute": (200, "r=-1"), "ok": (200, "r=1")}
    assert h.final(park) == (404, "resumed")


# -- item 27 ---------------------------------------------------------------------------
def test_item27_task_group_data_returns_1_and_runs_with_data_and_gname(harness):
    """27: async_task_group_data returns 1, the script goes on, and the route runs on a
    synthetic request with $async(data) and $async(gname) = the group."""
    h = harness("""
request_route {
    if (method == "MESSAGE") { send_reply("200", "d=$shv(d) g=$shv(g)"); exit; }
    async_task_group_data("D", "db", "x-$rU");
    send_reply("404", "went on rc=$rc");
}
route[D] { $shv(d) = $async(data); $shv(g) = $async(gname); }
""", core='async_workers = 1\nasync_workers_group = [{ name = "db", workers = 1 }]')
    cid, _ = h.request(user="carol")
    assert h.final(cid) == (404, "went on rc=1")
    assert wait_for(lambda: h.env.workers.stats()["db"]["tasks_run"] >= 1)
    m, _ = h.request("MESSAGE")
    assert h.final(m) == (200, "d=x-carol g=db")
    assert h.env.api("tm").table_size() <= 1          # no T for the data task itself


# -- item 34 ---------------------------------------------------------------------------
def test_item34_t_newtran_return_codes(harness):
    """34: t_newtran >0 when it creates the T, negative when the T already exists, and 0
    for a retransmission (the script ends; tm resends the last reply)."""
    h = harness("""
request_route {
    $shv(runs) = $shv(runs) + 1;
    t_newtran();
    $var(first) = $rc;
    t_newtran();
    $var(second) = $rc;
    t_reply("486", "first=$var(first) second=$var(second)");
}
""")
    import siprouter.modules.pv as pvmod
    pvmod.shv_reset()
    cid, br = h.request("MESSAGE")
    code, reason = h.final(cid)
    assert code == 486
    first, second = (int(p.split("=")[1]) for p in reason.split())
    assert first > 0 and second < 0
    h.request("MESSAGE", call_id=cid, branch=br)       # retransmission
    assert [r[0] for r in h.replies(cid)] == [486, 486]  # resent, script ended at t_newtran


# -- item 7 ----------------------------------------------------------------------------
def test_item07_last_action_and_any_expression_use_is_minus_one(harness):
    """7: async_sleep as the last action of a block, or inside an expression (also
    negated, also with an out-of-range value: the last-action check comes first) is -1;
    no T is created."""
    h = harness("""
request_route {
    if (async_sleep("1")) { $var(a) = "true"; } else { $var(a) = $rc; }
    if (!async_sleep("0")) { $var(b) = $rc; } else { $var(b) = "false"; }
    route(LAST);
    $var(c) = $rc;
    send_reply("480", "a=$var(a) b=$var(b) c=$var(c)");
}
route[LAST] { async_sleep("1"); }
""")
    cid, _ = h.request()
    assert h.final(cid) == (480, "a=-1 b=-1 c=-1")
    assert h.env.api("tm").table_size() == 0


# -- item 14 ---------------------------------------------------------------------------
def test_item14_seconds_resume_fires_at_n_seconds_not_in_a_slot(harness):
    """14 (deliberate deviation: precise timers, inside Kamailio's (N-1, N+1) window):
    a 2 s resume has not run at 1.99 s and has at 2.00 s."""
    h = harness("""
request_route { async_route("R", "2"); }
route[R] { send_reply("404", "resumed"); }
""")
    cid, _ = h.request()
    h.clock.advance(1.99)
    time.sleep(0.05)
    assert h.final(cid) is None
    h.clock.advance(0.01)
    assert wait_for(lambda: h.final(cid) == (404, "resumed"))


def test_item14_ms_resume_fires_at_its_due_time(harness):
    """14: an ms resume fires at its due time (well within one ms_timer tick)."""
    h = harness("""
request_route { async_ms_route("R", "250"); }
route[R] { send_reply("404", "resumed"); }
""", core="async_workers = 1", modparam="[modparam.async]\nms_timer = 10\n")
    cid, _ = h.request()
    h.clock.advance(0.249)
    time.sleep(0.05)
    assert h.final(cid) is None
    h.clock.advance(0.001)
    assert wait_for(lambda: h.final(cid) == (404, "resumed"))


# -- item 13 ---------------------------------------------------------------------------
@pytest.mark.parametrize("call", ['async_route("R", "1")', 'async_ms_route("R", "100")',
                                  'async_task_route("R")', 't_suspend()'])
def test_item13_resumed_route_without_reply_or_relay_gets_tm_500(harness, call):
    """13: when the resumed route neither relays nor replies, tm sends 500 itself and the
    T ends (every suspending function, and tmx t_suspend/t_continue)."""
    h = harness(f"""
request_route {{
    if (method == "MESSAGE") {{ t_continue($shv(i), $shv(l), "R"); send_reply("200", "c"); exit; }}
    {call};
    $shv(i) = $T(id_index); $shv(l) = $T(id_label);
    exit;
}}
route[R] {{ $var(x) = 1; }}
""", core="async_workers = 1", modparam="[modparam.async]\nms_timer = 10\n")
    cid, _ = h.request()
    if call == "t_suspend()":
        h.request("MESSAGE")
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) == (500, TERRIBLY))
    assert wait_for(lambda: h.env.api("tm").suspended_count() == 0)
