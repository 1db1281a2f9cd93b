"""tmx with the real tm, route engine and server in process (see async_harness.py)."""
from __future__ import annotations

import pytest

pytest.importorskip("siprouter.modules.tm")

from async_harness import harness_maker  # noqa: E402


@pytest.fixture
def harness(tmp_path):
    yield from harness_maker(tmp_path)


def test_t_reply_callid_answers_another_transaction(harness):
    h = harness("""
request_route {
    if (method == "INVITE") { t_newtran(); exit; }
    if (t_reply_callid("target-1", "1", "486", "Busy Here")) {
        send_reply("200", "done");
    } else {
        send_reply("404", "no such T");
    }
}
""")
    h.request("INVITE", call_id="target-1")
    m, _ = h.request("MESSAGE")
    assert h.final("target-1") == (486, "Busy Here")
    assert h.final(m) == (200, "done")
    m2, _ = h.request("MESSAGE", call_id="other")
    assert h.final(m2) == (404, "no such T") or h.final(m2)[0] == 200


def test_t_cancel_callid_cancels_the_branches(harness):
    h = harness("""
request_route {
    if (method == "INVITE") { $du = "sip:127.0.0.1:5098"; t_relay(); exit; }
    t_cancel_callid("target-2", "1", "0", "487");
    send_reply("200", "done");
}
""")
    h.request("INVITE", call_id="target-2")
    h.reply_from_branch(h.forwarded("target-2"), 180, "Ringing")   # a CANCEL waits for a provisional
    h.request("MESSAGE")
    assert h.final("target-2", "INVITE")[0] == 487
    sent = [d for d, _ in h.sent if d.startswith(b"CANCEL ") and b"target-2" in d]
    assert sent, "no CANCEL sent to the branch"


def test_t_drop_ends_without_a_reply(harness):
    h = harness("""
request_route { t_newtran(); t_drop(); send_reply("404", "never"); }
""")
    cid, _ = h.request("MESSAGE")
    assert h.final(cid) is None


def test_t_precheck_trans_spots_a_retransmission_while_processing(harness):
    h = harness("""
request_route {
    if (t_precheck_trans()) { exit; }
    sl_send_reply("404", "x");
}
""")
    cid, br = h.request("OPTIONS")
    h.request("OPTIONS", call_id=cid, branch=br)      # same request, before the loop moved on
    assert [r[0] for r in h.replies(cid)] == [404]
    h.clock.advance(0)                                # the first copy's processing ended
    h.request("OPTIONS", call_id=cid, branch=br)
    assert [r[0] for r in h.replies(cid)] == [404, 404]


def test_t_req_and_t_inv_and_id_pvs(harness):
    h = harness("""
request_route {
    if (method == "CANCEL") {
        $shv(inv) = $T_inv($ru);
        if (t_check_trans()) { t_relay(); }
        exit;
    }
    if (method == "MESSAGE") {
        send_reply("200", "inv=$shv(inv) n=$shv(n) idx=$shv(idx)");
        exit;
    }
    $shv(n) = $T_branch_idx;
    $shv(idx) = $T(id_index_n);
    t_suspend();
    exit;
}
""")
    cid, br = h.request("INVITE", user="carol")
    h.request("CANCEL", call_id=cid, branch=br, user="carol")
    m, _ = h.request("MESSAGE")
    code, reason = h.final(m)
    assert "inv=sip:carol@example.com" in reason
    assert "n=-1" in reason and "idx=" in reason and "idx=0" not in reason
    assert h.final(cid, "INVITE")[0] == 487


def test_t_suspend_on_a_retransmission_returns_0_and_resends_100(harness):
    h = harness("""
request_route {
    if (t_suspend()) { exit; }
    send_reply("500", "not suspended");
}
""")
    cid, br = h.request("INVITE")
    h.request("INVITE", call_id=cid, branch=br)
    assert [r[0] for r in h.replies(cid)] == [100, 100]
    assert h.env.api("tm").suspended_count() == 1
