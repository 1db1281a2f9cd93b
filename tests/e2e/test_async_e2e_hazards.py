"""Async hazards end to end over UDP: CANCEL, fr_timer, shutdown, blocking tasks, retransmissions."""
from __future__ import annotations

import time
from pathlib import Path

from async_udp_client import TomlServer, UdpClient

MODS = ("sl", "tm", "tmx", "async")


def _client(srv) -> UdpClient:
    return UdpClient((srv.host, srv.port))


CANCEL_SCRIPT = """
request_route {
    if (method == "CANCEL") {
        if (t_check_trans()) { t_relay(); }
        exit;
    }
    async_route("RESUME", "1");
}
route[RESUME] {
    send_reply("404", "Not found");
    exit;
}
"""


def test_cancel_while_suspended_gives_487_and_skips_the_resume(siprouter_server):
    srv = siprouter_server(CANCEL_SCRIPT, loadmodule=MODS)
    c = _client(srv)
    try:
        call_id, branch = c.send("INVITE")
        first = c.replies(until_final=False, timeout=0.3)
        assert [r.status for r in first] == [100], srv.log()
        c.send("CANCEL", call_id=call_id, branch=branch)
        got = c.replies(until_final=False, timeout=2.0)
    finally:
        c.close()
    by_code = {r.status for r in got}
    assert 487 in by_code and 200 in by_code, ([(r.status, r.reason) for r in got], srv.log())
    assert 404 not in by_code                  # the resume route never ran


FR_SCRIPT = """
request_route {
    t_on_failure("FAIL");
    async_route("RESUME", "2");
}
route[RESUME] {
    send_reply("404", "Not found");
    exit;
}
failure_route[FAIL] {
    if ($T_reply_code == 408) {
        t_reply("480", "Saw 408");
    }
}
"""


def test_fr_timer_expiry_while_suspended_runs_failure_route(siprouter_server):
    srv = siprouter_server(FR_SCRIPT, loadmodule=MODS, modparam={"tm": {"fr_timer": 500}})
    c = _client(srv)
    try:
        c.send("INVITE")
        got = c.replies(timeout=4)
        late = c.replies(until_final=False, timeout=2.0)     # the resume at 2 s sends nothing
    finally:
        c.close()
    finals = [(r.status, r.reason) for r in got + late if r.status >= 200]
    assert finals and finals[0] == (480, "Saw 408"), (finals, srv.log())
    assert all(code != 404 for code, _ in finals)
    assert 0.4 < [r for r in got if r.status >= 200][0].at < 1.5
    assert "resume is a no-op" in srv.log()


SHUTDOWN_SCRIPT = """
request_route {
    async_route("RESUME", "30");
}
route[RESUME] {
    send_reply("404", "Not found");
    exit;
}
"""


def test_shutdown_answers_every_suspended_transaction(siprouter_server):
    srv = siprouter_server(SHUTDOWN_SCRIPT, loadmodule=MODS)
    clients = [_client(srv) for _ in range(5)]
    try:
        for c in clients:
            c.send("INVITE")
        for c in clients:
            assert [r.status for r in c.replies(until_final=False, timeout=0.3)] == [100]
        srv.stop()
        finals = [c.replies(timeout=2) for c in clients]
    finally:
        for c in clients:
            c.close()
    assert [[r.status for r in f if r.status >= 200] for f in finals] == [[503]] * 5, srv.log()


RETRANS_SCRIPT = """
request_route {
    async_route("RESUME", "1");
}
route[RESUME] {
    send_reply("404", "Not found");
    exit;
}
"""


def test_retransmission_of_a_suspended_invite_is_absorbed(siprouter_server):
    srv = siprouter_server(RETRANS_SCRIPT, loadmodule=MODS)
    c = _client(srv)
    try:
        call_id, branch = c.send("INVITE")
        time.sleep(0.2)
        c.send("INVITE", call_id=call_id, branch=branch)      # same request again
        got = c.replies(timeout=2.5)
        assert got and got[-1].status == 404, ([r.status for r in got], srv.log())
        c.ack(got[-1], call_id=call_id, branch=branch)       # stops the 404 retransmissions
        later = c.replies(until_final=False, timeout=1.5)
    finally:
        c.close()
    codes = [r.status for r in got + later]
    assert codes.count(404) == 1, (codes, srv.log())           # resumed once, not twice
    assert codes[:2] == [100, 100]                             # the retransmission got the 100 again
    assert "failed" not in srv.log()


BLOCKING_SCRIPT = """
request_route {
    if (uri =~ "^sip:slow") {
        async_task_route("SLOW");
        exit;
    }
    if (uri =~ "^sip:timer") {
        async_route("TIMER", "1");
        exit;
    }
    send_reply("404", "Not found");
    exit;
}
route[SLOW] {
    test_sleep("1000");
    send_reply("486", "Busy Here");
    exit;
}
route[TIMER] {
    send_reply("480", "Resumed");
    exit;
}
"""


def _start_with_mpath(tmp_path, script: str, core_extra: str, e2e) -> TomlServer:
    port = e2e.free_port()
    mods = Path(__file__).resolve().parent / "async_testmods"
    (tmp_path / "r.cfg").write_text(script)
    (tmp_path / "s.toml").write_text(
        f'loadmodule = ["sl", "tm", "tmx", "async", "testsleep"]\n'
        f'mpath = ["{mods}"]\nroutes = "r.cfg"\n\n[core]\n'
        f'listen = ["udp:127.0.0.1:{port}"]\nlog_level = "warning"\n{core_extra}\n')
    return TomlServer(tmp_path / "s.toml", port, tmp_path, e2e.wait_bound)


def test_blocking_task_routes_do_not_delay_other_calls(tmp_path, e2e):
    srv = _start_with_mpath(tmp_path, BLOCKING_SCRIPT, "async_workers = 2", e2e)
    slow = [_client(srv) for _ in range(4)]
    fast = [_client(srv) for _ in range(20)]
    timer = _client(srv)
    try:
        for c in slow:                        # 2 workers busy for 1 s, 2 tasks queued
            c.send("INVITE", ruri=f"sip:slow@{srv.host}:{srv.port}")
        timer.send("INVITE", ruri=f"sip:timer@{srv.host}:{srv.port}")
        worst = 0.0
        for c in fast:                        # traffic while every worker is busy
            c.send("OPTIONS", ruri=f"sip:fast@{srv.host}:{srv.port}")
            r = c.replies(timeout=1)
            assert r and r[-1].status == 404, srv.log()
            worst = max(worst, r[-1].at)
        assert worst < 0.1, worst
        t = timer.replies(timeout=3)
        assert t[-1].status == 480 and 0.99 < t[-1].at < 1.1, ([(x.status, x.at) for x in t], srv.log())
        finals = [c.replies(timeout=4) for c in slow]
        times = sorted(f[-1].at for f in finals)
        assert [f[-1].status for f in finals] == [486] * 4, srv.log()
        assert 0.95 < times[0] < 1.3 and 1.95 < times[-1] < 2.5, times
    finally:
        for c in slow + fast + [timer]:
            c.close()
        srv.stop()


STRESS_SCRIPT = """
request_route {
    if (method == "ACK") { t_check_trans(); exit; }
    async_ms_route("RESUME", "200");
}
route[RESUME] {
    send_reply("404", "Not found");
    exit;
}
"""


def test_many_concurrent_resumes_keep_the_server_alive(siprouter_server):
    """Resumes cancel tm timers from worker threads; the loop's timers must survive that."""
    srv = siprouter_server(STRESS_SCRIPT, loadmodule=MODS, protos=("udp",),
                           core={"async_workers": 4}, modparam={"async": {"ms_timer": 10}})
    clients = [_client(srv) for _ in range(40)]
    got = 0
    try:
        for _round in range(25):                     # 1000 INVITEs in ~2.5 s
            sent = []
            for c in clients:
                sent.append((c, *c.send("INVITE")))
            time.sleep(0.1)
            for c, cid, br in sent:
                r = c.replies(timeout=2)
                if r and r[-1].status == 404:
                    got += 1
                    c.ack(r[-1], call_id=cid, branch=br)
        assert srv.alive(), srv.log()[-3000:]
    finally:
        for c in clients:
            c.close()
    assert got >= 980, got
