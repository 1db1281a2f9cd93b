"""tm frees its transactions by reference counting (no work for the cyclic GC).

Cyclic garbage makes Python's full collections slow; under load they stalled
the loop for hundreds of ms (retransmissions, failed calls).  Every scenario
here must leave no tm object to the cyclic collector.
"""
import gc

import pytest

from siprouter.modules.tm import functions as F
from siprouter.modules.tm.cell import Branch, Transaction
from siprouter.modules.tm.timers import TimerSet

from tm_harness import TmHarness, invite, reply_to

TM_TYPES = (Transaction, Branch, TimerSet)


def _call(h, i):
    msg = invite(call_id=f"c{i}", branch=f"z9hG4bKx{i}")
    F.t_relay(h.ctx(msg))
    F.t_relay(h.ctx(invite(call_id=f"c{i}", branch=f"z9hG4bKx{i}")))   # retransmission
    h.advance(0)
    sent = h.last_sent("INVITE")
    h.deliver(reply_to(sent, 180))
    h.deliver(reply_to(sent, 200))


def _cancel(h, i):
    F.t_relay(h.ctx(invite(call_id=f"k{i}", branch=f"z9hG4bKk{i}")))
    sent = h.last_sent("INVITE")
    h.deliver(reply_to(sent, 180))
    F.t_relay(h.ctx(invite(call_id=f"k{i}", branch=f"z9hG4bKk{i}", method="CANCEL")))
    h.deliver(reply_to(h.last_sent("CANCEL"), 200))
    h.deliver(reply_to(sent, 487))


def _failure(h, i):
    h.route("failure", "F", lambda c: F.t_relay_to(c, "127.0.0.1", 5099))
    ctx = h.ctx(invite(call_id=f"f{i}", branch=f"z9hG4bKf{i}"))
    F.t_on_failure(ctx, "F")
    F.t_relay(ctx)
    h.deliver(reply_to(h.last_sent("INVITE"), 486))
    h.deliver(reply_to(h.last_sent("INVITE"), 200))


def _suspend(h, i):
    ctx = h.ctx(invite(call_id=f"s{i}", branch=f"z9hG4bKs{i}"))
    h.api.t_newtran(ctx)
    idx, label = h.api.t_suspend(ctx)
    h.api.t_continue(idx, label, lambda c: F.t_relay(c))
    h.deliver(reply_to(h.last_sent("INVITE"), 404))


def _timeout(h, i):
    F.t_relay(h.ctx(invite(call_id=f"t{i}", branch=f"z9hG4bKt{i}", method="OPTIONS")))


def _suspend_cancel(h, i):
    ctx = h.ctx(invite(call_id=f"sc{i}", branch=f"z9hG4bKsc{i}"))
    h.api.t_newtran(ctx)
    idx, label = h.api.t_suspend(ctx)
    F.t_relay(h.ctx(invite(call_id=f"sc{i}", branch=f"z9hG4bKsc{i}", method="CANCEL")))
    if i % 2:
        h.api.t_continue(idx, label, lambda c: 1)


def _suspend_timeout(h, i):
    ctx = h.ctx(invite(call_id=f"st{i}", branch=f"z9hG4bKst{i}"))
    h.api.t_newtran(ctx)
    h.api.t_suspend(ctx)


@pytest.mark.parametrize("fr", [1000, 60000])
@pytest.mark.parametrize("scenario", [_call, _cancel, _failure, _suspend, _timeout,
                                      _suspend_cancel, _suspend_timeout])
def test_no_cyclic_garbage_and_table_empties(scenario, fr):
    h = TmHarness(wt_timer=100, fr_timer=fr)
    gc.collect()
    gc.disable()
    try:
        for i in range(5):
            scenario(h, i)
        h.advance(400)
        h.env.sent.clear()
        h.env.replies.clear()
        h.env.script.runs.clear()
        assert h.api.table_size() == 0
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        leaked = [o for o in gc.garbage if isinstance(o, TM_TYPES)]
        assert leaked == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
