"""async + tmx with the real tm, route engine and server, in process (fake clock, recorded sends).

The server is sans-IO here (``RecordingTransport``); timers are driven by a
``ManualClock``; resumes still run on real worker threads.
"""
from __future__ import annotations

import time

import pytest

from async_fakes import wait_for

pytest.importorskip("siprouter.modules.tm")

from async_harness import harness_maker  # noqa: E402
from siprouter.core.server import build_env  # noqa: E402


@pytest.fixture
def harness(tmp_path):
    yield from harness_maker(tmp_path)


def test_async_route_resumes_as_failure_route_with_100_first(harness):
    h = harness("""
request_route { async_route("RESUME", "4"); }
route[RESUME] {
    if (t_is_failure_route()) { send_reply("404", "Not found"); }
    exit;
}
""")
    cid, _ = h.request()
    assert h.replies(cid) == [(100, "trying -- your call is important to us")]
    h.clock.advance(3.9)
    time.sleep(0.05)
    assert h.final(cid) is None
    h.clock.advance(0.1)
    assert wait_for(lambda: h.final(cid) == (404, "Not found"))


def test_async_sleep_scope_is_the_innermost_block(harness):
    h = harness("""
request_route {
    if (method == "INVITE") {
        async_sleep("1");
        setflag(3);
    }
    send_reply("404", "after the if");
}
""")
    cid, _ = h.request()
    h.clock.advance(1)
    # the rest of the if body ran (setflag), nothing after the if: tm answers 500
    assert wait_for(lambda: h.final(cid) is not None)
    assert h.final(cid) == (500, "I'm terribly sorry, server error occurred (1/TM)")


def test_async_sleep_in_subroute_does_not_return_to_caller(harness):
    h = harness("""
request_route {
    route(SUB);
    send_reply("404", "caller went on");
}
route[SUB] {
    async_sleep("1");
    send_reply("486", "rest of sub");
}
""")
    cid, _ = h.request()
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) == (486, "rest of sub"))
    time.sleep(0.05)
    assert [r for r in h.replies(cid) if r[0] >= 200] == [(486, "rest of sub")]


def test_last_action_and_expression_use_return_minus_one(harness):
    h = harness("""
request_route {
    if (async_sleep("1")) { send_reply("200", "true"); exit; }
    $var(rc) = $rc;
    route(LAST);
    send_reply("404", "rc=$var(rc) last=$rc");
}
route[LAST] { async_sleep("1"); }
""")
    cid, _ = h.request()
    assert h.final(cid) == (404, "rc=-1 last=-1")


def test_what_survives_a_resume(harness):
    h = harness("""
request_route {
    $var(x) = "private";
    $avp(a) = "kept";
    $shv(s) = 7;
    setflag(2);
    $sf = 4;
    $ru = "sip:changed@example.org";
    async_sleep("1");
    send_reply("404", "var=$var(x) avp=$avp(a) shv=$shv(s) mf=$mf sf=$sf ru=$ru rc=$rc");
}
""")
    cid, _ = h.request()
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) is not None)
    code, reason = h.final(cid)
    assert code == 404
    assert "avp=kept" in reason and "shv=7" in reason and "ru=sip:changed@example.org" in reason
    assert "mf=4" in reason and "sf=0" in reason and "rc=0" in reason
    assert "var=private" not in reason


def test_chained_suspends_and_return_param(harness):
    h = harness("""
request_route {
    async_sleep("1");
    async_sleep("1");
    send_reply("404", "twice");
}
""")
    cid, _ = h.request()
    h.clock.advance(1)
    time.sleep(0.1)
    assert h.final(cid) is None
    assert wait_for(lambda: h.env.api("tm").suspended_count() == 1)
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) == (404, "twice"))


def test_resumed_route_that_raises_gets_500(harness, monkeypatch):
    h = harness("""
request_route { async_route("BOOM", "1"); }
route[BOOM] { t_is_failure_route(); send_reply("404", "never"); }
""")
    spec = next(f for f in h.env.script.routes("route"))
    def boom(ctx):
        raise RuntimeError("kaboom")
    monkeypatch.setattr(spec, "body", boom)
    cid, _ = h.request()
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) is not None)
    assert h.final(cid)[0] == 500
    eng = __import__("importlib").import_module("siprouter.modules.async").runtime.engine
    assert eng.stats()["failed"] == 1
    cid2, _ = h.request()                       # the timer worker survived
    monkeypatch.undo()
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid2) == (404, "never"))


def test_t_suspend_and_t_continue_from_another_request(harness):
    h = harness("""
request_route {
    if (method == "INVITE") {
        if (t_suspend()) {
            $shv(idx) = $T(id_index);
            $shv(lbl) = $T(id_label);
            exit;
        }
    }
    if (method == "MESSAGE") {
        if (t_continue($shv(idx), $shv(lbl), "RESUME")) {
            send_reply("200", "continued");
        } else {
            send_reply("500", "not continued");
        }
        exit;
    }
}
route[RESUME] { send_reply("404", "resumed"); }
""")
    inv, _ = h.request("INVITE")
    assert h.final(inv) is None
    m1, _ = h.request("MESSAGE")
    assert h.final(inv) == (404, "resumed")
    assert h.final(m1) == (200, "continued")
    m2, _ = h.request("MESSAGE")
    assert h.final(m2) == (500, "not continued")      # second t_continue for one T


def test_cancel_while_suspended(harness):
    h = harness("""
request_route {
    if (method == "CANCEL") { if (t_check_trans()) { t_relay(); } exit; }
    async_route("RESUME", "2");
}
route[RESUME] { send_reply("404", "never"); }
""")
    cid, br = h.request("INVITE")
    h.request("CANCEL", call_id=cid, branch=br)
    assert (487, "Request Terminated") in h.replies(cid)
    h.clock.advance(2)
    eng = __import__("importlib").import_module("siprouter.modules.async").runtime.engine
    assert wait_for(lambda: eng.stats()["canceled"] == 1)
    assert all(r[1] != "never" for r in h.replies(cid))


def test_shutdown_answers_503(harness):
    h = harness("""
request_route { async_route("RESUME", "30"); }
route[RESUME] { send_reply("404", "never"); }
""")
    ids = [h.request()[0] for _ in range(3)]
    for fn in h.env.hooks("shutdown"):
        fn(h.env)
    assert [h.final(c) for c in ids] == [(503, "Service Unavailable")] * 3


def test_task_route_on_core_workers_and_gname(harness):
    h = harness("""
request_route { async_task_group_route("RESUME", "db"); }
route[RESUME] { send_reply("404", "g=$async(gname) ft=$T_reply_code"); }
""", core='async_workers = 1\nasync_workers_group = [{ name = "db", workers = 2 }]')
    cid, _ = h.request()
    assert wait_for(lambda: h.final(cid) is not None)
    assert h.final(cid) == (404, "g=db ft=0")


@pytest.mark.parametrize("line,needle,core", [
    ('async_task_route("R");', "async_workers", ""),
    ('async_task_group_route("R", "nope");', "unknown async worker group", "async_workers = 1"),
    ('async_ms_sleep("10"); exit;', "ms_timer", "async_workers = 1"),
    ('async_route("NOPE", "1");', "NOPE", ""),
    ('async_sleep("abc"); exit;', "", ""),
])
def test_load_time_errors(tmp_path, line, needle, core):
    from siprouter.core.routing import ScriptErrors
    (tmp_path / "r.cfg").write_text(f"request_route {{ {line} }}\nroute[R] {{ exit; }}\n")
    (tmp_path / "s.toml").write_text('loadmodule = ["sl", "tm", "tmx", "async"]\nroutes = "r.cfg"\n'
                                     '[core]\nlisten = ["udp:127.0.0.1:5060"]\n' + core + "\n")
    with pytest.raises(ScriptErrors) as ei:
        build_env(tmp_path / "s.toml")
    assert needle in str(ei.value)
    assert "r.cfg:1:" in str(ei.value)


def test_resuspend_from_failure_route_and_held_replies(harness):
    h = harness("""
request_route {
    $du = "sip:127.0.0.1:5098";
    t_on_failure("F");
    t_relay();
}
failure_route[F] {
    async_route("RESUME", "1");
}
route[RESUME] {
    send_reply("404", "after failure $T_reply_code");
}
""")
    cid, _ = h.request()
    fwd = h.forwarded(cid)
    h.reply_from_branch(fwd, 486, "Busy Here")
    time.sleep(0.05)
    assert h.final(cid) is None                      # suspended from failure_route
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) is not None)
    assert h.final(cid) == (404, "after failure 0")


def test_a_branch_reply_during_suspension_is_held_until_resume(harness):
    h = harness("""
request_route {
    $du = "sip:127.0.0.1:5098";
    t_relay();
    async_route("RESUME", "2");
}
route[RESUME] { exit; }
""")
    cid, _ = h.request()
    fwd = h.forwarded(cid)
    h.reply_from_branch(fwd, 200, "OK")
    time.sleep(0.05)
    assert h.final(cid) is None                      # held: not relayed while suspended
    h.clock.advance(2)
    assert wait_for(lambda: h.final(cid) == (200, "OK"))


def test_retransmission_while_suspended_is_absorbed(harness):
    h = harness("""
request_route { async_route("RESUME", "1"); }
route[RESUME] { send_reply("404", "once"); }
""")
    cid, br = h.request()
    h.request(call_id=cid, branch=br)                # retransmission, no t_check_trans
    assert [r[0] for r in h.replies(cid)] == [100, 100]
    assert h.env.api("tm").suspended_count() == 1
    h.clock.advance(1)
    assert wait_for(lambda: h.final(cid) == (404, "once"))
    time.sleep(0.05)
    assert [r for r in h.replies(cid) if r[0] >= 200] == [(404, "once")]


def test_task_data_runs_detached_with_data(harness):
    h = harness("""
request_route {
    if (method == "MESSAGE") {
        send_reply("200", "d=$shv(d) g=$shv(g) faked=$shv(f)");
        exit;
    }
    async_task_data("DATA", "hello $rm");
    send_reply("404", "went on");
}
route[DATA] {
    $shv(d) = $async(data);
    $shv(g) = $async(gname);
    if (t_suspend()) { $shv(f) = "suspended"; } else { $shv(f) = "refused"; }
}
""", core="async_workers = 1")
    cid, _ = h.request("INVITE")
    assert h.final(cid) == (404, "went on")            # returned 1: the script went on
    eng = __import__("importlib").import_module("siprouter.modules.async").runtime.engine
    assert wait_for(lambda: eng.env.workers.stats()["default"]["tasks_run"] >= 1)
    mid, _ = h.request("MESSAGE")
    assert h.final(mid) == (200, "d=hello INVITE g=default faked=refused")


def _write(tmp_path, script, mods='"sl", "tm", "tmx", "async"', core=""):
    (tmp_path / "r.cfg").write_text(script)
    (tmp_path / "s.toml").write_text(f'loadmodule = [{mods}]\nroutes = "r.cfg"\n'
                                     f'[core]\nlisten = ["udp:127.0.0.1:5060"]\n{core}\n')
    return tmp_path / "s.toml"


def test_async_functions_are_refused_in_onreply_and_branch_routes(tmp_path):
    from siprouter.core.routing import ScriptErrors
    path = _write(tmp_path, 'request_route { exit; }\nonreply_route[R] { async_sleep("1"); exit; }\n'
                            'branch_route[B] { async_route("X", "1"); }\nroute[X] { exit; }\n')
    with pytest.raises(ScriptErrors) as ei:
        build_env(path)
    text = str(ei.value)
    assert "async_sleep" in text and "async_route" in text


def test_missing_tm_is_a_startup_error_naming_it(tmp_path):
    from siprouter.core.errors import StartupError
    path = _write(tmp_path, "request_route { exit; }\n", mods='"sl", "async"')
    with pytest.raises(StartupError) as ei:
        build_env(path)
    assert "tm" in str(ei.value)


def test_async_loaded_before_tm_still_initialises_after_it(tmp_path):
    env, modset = build_env(_write(tmp_path, "request_route { exit; }\n",
                                   mods='"async", "tmx", "tm", "sl"'))
    names = [m.name for m in modset.ordered]
    assert names.index("tm") < names.index("tmx") < names.index("async")
    modset.destroy_all(env)


def test_workers_zero_starts_no_timer_threads(tmp_path):
    import threading
    before = {t.name for t in threading.enumerate()}
    path = _write(tmp_path, "request_route { exit; }\n")
    (tmp_path / "s.toml").write_text((tmp_path / "s.toml").read_text() + "[modparam.async]\nworkers = 0\n")
    env, modset = build_env(path)
    new = {t.name for t in threading.enumerate()} - before
    assert not any(n.startswith("async-mod") for n in new)
    modset.destroy_all(env)


def test_dynamic_route_name_and_seconds_from_pvs(harness):
    h = harness("""
request_route {
    $var(r) = "RES" + "UME";
    $var(s) = 2;
    if ($rU == "bad") { $var(r) = "NOPE"; }
    if ($rU == "str") { $var(s) = "2"; }
    async_route("$var(r)", $var(s));
    send_reply("500", "async_route failed rc=$rc");
}
route[RESUME] { send_reply("404", "resumed"); }
""")
    ok, _ = h.request(user="good")
    bad, _ = h.request(user="bad")
    strpv, _ = h.request(user="str")
    assert h.final(bad) == (500, "async_route failed rc=-1")       # unknown dynamic route
    assert h.final(strpv) == (500, "async_route failed rc=-1")     # PV holding a string
    h.clock.advance(2)
    assert wait_for(lambda: h.final(ok) == (404, "resumed"))
