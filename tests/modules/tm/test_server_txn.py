"""RFC 3261 §17.2 server transaction machines, driven without I/O."""
from siprouter.modules.tm.actions import ClearTimer, PassUp, SetTimer, Terminate, Transmit
from siprouter.modules.tm.server_txn import ReplyRefused, ServerTransaction, SState
from siprouter.modules.tm.timers import TimerValues

import pytest

T = TimerValues()


def inv(reliable=False):
    return ServerTransaction(True, reliable, T)


def test_invite_starts_proceeding_and_absorbs_retransmission_before_any_reply():
    s = inv()
    assert s.state is SState.PROCEEDING
    assert s.request_retransmitted() == []


def test_invite_provisional_then_retransmission_resends_it():
    s = inv()
    assert s.send_reply(100) == [Transmit("reply")]
    assert s.request_retransmitted() == [Transmit("reply")]
    assert s.state is SState.PROCEEDING


def test_invite_negative_final_timer_g_doubles_to_t2_and_h_terminates():
    s = inv()
    acts = s.send_reply(486)
    assert acts == [Transmit("reply"), SetTimer("G", 0.5), SetTimer("H", 32.0)]
    assert s.state is SState.COMPLETED
    intervals = []
    for _ in range(5):
        a = s.timer_fired("G")
        assert a[0] == Transmit("reply")
        intervals.append(a[1].delay)
    assert intervals == [1.0, 2.0, 4.0, 4.0, 4.0]
    assert s.request_retransmitted() == [Transmit("reply")]
    a = s.timer_fired("H")
    assert PassUp("ack_timeout") in a and isinstance(a[-1], Terminate)
    assert s.terminated


def test_invite_ack_confirms_then_timer_i():
    s = inv()
    s.send_reply(404)
    a = s.ack_received()
    assert a == [ClearTimer("G"), ClearTimer("H"), SetTimer("I", 5.0)]
    assert s.state is SState.CONFIRMED
    assert s.ack_received() == []            # further ACKs absorbed
    assert s.request_retransmitted() == []
    assert isinstance(s.timer_fired("I")[-1], Terminate)


def test_invite_reliable_no_timer_g_and_zero_timer_i():
    s = inv(reliable=True)
    assert s.send_reply(500) == [Transmit("reply"), SetTimer("H", 32.0)]
    assert s.ack_received()[-1] == SetTimer("I", 0.0)


def test_invite_2xx_goes_accepted_and_timer_l_terminates():
    s = inv()
    assert s.send_reply(200) == [Transmit("reply"), SetTimer("L", 5.0)]
    assert s.state is SState.ACCEPTED
    assert s.resend_2xx() == [Transmit("reply")]
    assert s.request_retransmitted() == [Transmit("reply")]
    with pytest.raises(ReplyRefused):
        s.send_reply(486)
    assert isinstance(s.timer_fired("L")[-1], Terminate)


def test_second_final_refused():
    s = inv()
    s.send_reply(486)
    with pytest.raises(ReplyRefused):
        s.send_reply(200)


def test_non_invite_trying_proceeding_completed_j():
    s = ServerTransaction(False, False, T)
    assert s.state is SState.TRYING
    assert s.request_retransmitted() == []
    s.send_reply(180)
    assert s.state is SState.PROCEEDING
    assert s.request_retransmitted() == [Transmit("reply")]
    assert s.send_reply(200) == [Transmit("reply"), SetTimer("J", 5.0)]
    assert s.request_retransmitted() == [Transmit("reply")]
    assert s.timer_fired("G") == []          # not an INVITE timer
    assert isinstance(s.timer_fired("J")[-1], Terminate)
    assert s.timer_fired("J") == []


def test_non_invite_reliable_timer_j_zero():
    s = ServerTransaction(False, True, T)
    assert s.send_reply(404)[-1] == SetTimer("J", 0.0)


def test_transport_error_and_forced_terminate():
    s = inv()
    s.send_reply(180)
    a = s.transport_error()
    assert PassUp("transport_error") in a and s.terminated
    assert s.transport_error() == []
    s2 = inv()
    assert isinstance(s2.terminate()[-1], Terminate)
    assert s2.terminate() == []


def test_stale_timers_are_ignored():
    s = inv()
    s.send_reply(486)
    s.ack_received()
    assert s.timer_fired("G") == [] and s.timer_fired("H") == []
