"""Matching keys, the transaction table and the timer glue."""
import threading

from siprouter.core.env import ManualClock
from siprouter.modules.tm.matching import (MAGIC, ack_to_tag_ok, new_branch_base, reply_key,
                                           request_key, stateless_branch)
from siprouter.modules.tm.table import TransactionTable
from siprouter.modules.tm.timers import TimerSet, TimerValues

from tm_harness import invite, reply_to


def test_rfc3261_key_folds_ack_into_invite_and_keeps_cancel_apart():
    inv = invite()
    ack = invite(method="ACK")
    cancel = invite(method="CANCEL")
    assert request_key(inv) == request_key(ack)
    assert request_key(cancel) != request_key(inv)
    assert request_key(cancel, method="INVITE") == request_key(inv)
    assert request_key(inv)[0] == "3261"


def test_sent_by_and_branch_distinguish():
    a = invite(branch="z9hG4bKa")
    b = invite(branch="z9hG4bKb")
    c = invite(via="SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKa")
    assert len({request_key(a), request_key(b), request_key(c)}) == 3


def test_rfc2543_key_and_ack_to_tag():
    via = "SIP/2.0/UDP 10.0.0.9:5060"
    k1 = request_key(invite(via=via))
    assert k1[0] == "2543"
    assert request_key(invite(via=via, method="ACK", to_tag="t")) == k1
    assert request_key(invite(via=via, cseq=2)) != k1
    assert ack_to_tag_ok(invite(via=via, method="ACK", to_tag="t"), "t")
    assert not ack_to_tag_ok(invite(via=via, method="ACK", to_tag="x"), "t")
    assert ack_to_tag_ok(invite(method="ACK", to_tag="x"), "t")   # 3261: branch only


def test_reply_key_and_branch_ids():
    base = new_branch_base()
    assert base.startswith(MAGIC) and new_branch_base() != base
    req = invite(via=f"SIP/2.0/UDP 192.0.2.10:5060;branch={base}.0")
    rep = reply_to(req.to_bytes(), 180)
    assert reply_key(rep) == (f"{base}.0", "INVITE")
    ack = invite(method="ACK", branch="z9hG4bKx")
    assert stateless_branch(ack) == stateless_branch(invite(method="ACK", branch="z9hG4bKx"))
    assert stateless_branch(ack).startswith(MAGIC)


class _T:
    def __init__(self, index, label, key):
        self.index, self.label, self.key = index, label, key
        self.e2e_key = None
        self.method = "INVITE"
        self.branches = []      # what remove() reads the reply keys from


class _B:
    def __init__(self, branch_id, cancel_sent=False):
        self.branch_id, self.cancel_sent = branch_id, cancel_sent


def test_table_insert_is_atomic_and_remove_cleans_indexes():
    t = TransactionTable()
    idx, label = t.new_ident("c", 1)
    a = _T(idx, label, ("k",))
    assert t.insert(a, ("k",)) is None
    b = _T(*t.new_ident("c", 1), ("k",))
    assert t.insert(b, ("k",)) is a
    a.branches.append(_B("br", cancel_sent=True))
    t.add_reply_key(("br", "INVITE"), a, None, "request")
    t.add_reply_key(("br", "CANCEL"), a, None, "cancel")
    t.add_reply_key(("other", "INVITE"), b, None, "request")
    assert t.get_ident(idx, label) is a and t.get_reply(("br", "INVITE"))[0] is a
    assert t.remove(a) and len(t) == 0
    assert t.get(("k",)) is None and t.get_reply(("br", "INVITE")) is None
    assert t.get_reply(("br", "CANCEL")) is None
    assert t.get_reply(("other", "INVITE"))[0] is b     # another transaction's key stays
    assert not t.remove(a)


def test_table_concurrent_inserts_one_winner():
    t = TransactionTable()
    winners = []

    def worker(i):
        x = _T(*t.new_ident("c", 1), ("same",))
        if t.insert(x, ("same",)) is None:
            winners.append(i)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(winners) == 1


def test_labels_unique_index_in_range():
    t = TransactionTable()
    ids = [t.new_ident(f"c{i}", i) for i in range(100)]
    assert len({lab for _, lab in ids}) == 100
    assert all(0 <= i < 65536 for i, _ in ids)


def test_timer_values_from_params_ms_to_s():
    v = TimerValues.from_params({"fr_timer": 1000, "retr_timer1": 250, "wt_timer": 100})
    assert (v.fr, v.t1, v.wt, v.fr_inv, v.t2) == (1.0, 0.25, 0.1, 120.0, 4.0)
    d = TimerValues()
    assert (d.fr, d.fr_inv, d.wt, d.t1, d.t2, d.max_inv_lifetime, d.max_noninv_lifetime) == \
        (30.0, 120.0, 5.0, 0.5, 4.0, 180.0, 32.0)
    assert d.with_fr(fr=2.0).fr == 2.0 and d.with_fr(fr=2.0).fr_inv == 120.0


def test_timerset_rearm_and_clear_ignore_stale_callbacks():
    clock = ManualClock()
    fired = []
    ts = TimerSet(clock.call_later, fired.append, threading.RLock())
    ts.set("A", 1.0)
    ts.set("A", 2.0)          # re-armed: the first must not fire
    clock.advance(1.5)
    assert fired == []
    clock.advance(1.0)
    assert fired == ["A"] and ts.armed() == []
    ts.set("B", 1.0)
    ts.clear("B")
    clock.advance(5)
    assert fired == ["A"]
    ts.set("C", 1.0)
    ts.set("D", 1.0)
    ts.clear_all()
    clock.advance(5)
    assert fired == ["A"] and clock.pending() == 0


def test_decrement_max_forwards_counts_a_hop_once():
    from siprouter.modules.tm.wire import decrement_max_forwards
    # not processed by the script: tm decrements
    msg = invite()
    out = msg.copy()
    decrement_max_forwards(out, msg)
    assert out.max_forwards == msg.max_forwards - 1
    # mf_process_maxfwd_header() ran: the value stays as the script left it
    msg = invite()
    msg.set_header("Max-Forwards", "9")
    msg.attrs["maxfwd.processed"] = True
    out = msg.copy()
    decrement_max_forwards(out, msg)
    assert out.max_forwards == 9
    # ... unless the script removed the header since: one is added
    msg.remove_header("Max-Forwards")
    out = msg.copy()
    decrement_max_forwards(out, msg)
    assert out.max_forwards == 70
    # no header and not processed: added
    msg = invite()
    msg.remove_header("Max-Forwards")
    out = msg.copy()
    decrement_max_forwards(out, msg)
    assert out.max_forwards == 70


def test_stateless_branch_same_for_a_retransmission_different_per_ack():
    a1 = invite(method="ACK", branch="z9hG4bKack1")
    assert stateless_branch(a1) == stateless_branch(invite(method="ACK", branch="z9hG4bKack1"))
    assert stateless_branch(a1) != stateless_branch(invite(method="ACK", branch="z9hG4bKack2"))
    assert stateless_branch(a1) != stateless_branch(
        invite(method="ACK", branch="z9hG4bKack1", call_id="other"))
    # RFC 2543 (no magic cookie): the CSeq number tells two ACKs apart
    via = "SIP/2.0/UDP 10.0.0.9:5060"
    assert stateless_branch(invite(method="ACK", via=via, cseq=1)) != \
        stateless_branch(invite(method="ACK", via=via, cseq=2))
    assert stateless_branch(invite(method="ACK", via=via)).startswith(MAGIC)
