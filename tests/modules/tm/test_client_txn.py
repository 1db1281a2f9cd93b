"""RFC 3261 §17.1 client transaction machines with Kamailio's fr timers."""
from siprouter.modules.tm.actions import ClearTimer, PassUp, SetTimer, Terminate, Transmit
from siprouter.modules.tm.client_txn import ClientTransaction, CState
from siprouter.modules.tm.timers import TimerValues

T = TimerValues()


def started(invite=True, reliable=False, timers=T, now=0.0):
    c = ClientTransaction(invite, reliable, timers)
    c.start(now)
    return c


def test_invite_start_arms_a_and_b():
    c = ClientTransaction(True, False, T)
    assert c.start(0.0) == [Transmit("request"), SetTimer("A", 0.5), SetTimer("B", 30.0)]
    assert c.state is CState.CALLING


def test_invite_reliable_has_no_timer_a():
    c = ClientTransaction(True, True, T)
    assert c.start(0.0) == [Transmit("request"), SetTimer("B", 30.0)]


def test_timer_a_doubles_capped_at_t2():
    c = started()
    delays = [c.timer_fired("A", 0)[1].delay for _ in range(6)]
    assert delays == [1.0, 2.0, 4.0, 4.0, 4.0, 4.0]


def test_timer_b_without_reply_times_out():
    c = started()
    a = c.timer_fired("B", 30.0)
    assert PassUp("timeout") in a and isinstance(a[-1], Terminate)
    assert c.timed_out and c.terminated


def test_provisional_stops_retransmission_and_switches_to_fr_inv():
    c = started()
    a = c.response_received(180, 1.0)
    assert a == [ClearTimer("A"), ClearTimer("B"), SetTimer("C", 120.0), PassUp("response")]
    assert c.state is CState.PROCEEDING and c.got_provisional
    assert c.timer_fired("A", 2.0) == []
    # restart_fr_on_each_reply: a second provisional restarts C
    a = c.response_received(183, 10.0)
    assert SetTimer("C", 120.0) in a


def test_no_restart_when_disabled():
    t = TimerValues(restart_fr_on_each_reply=False)
    c = started(timers=t)
    c.response_received(180, 1.0)
    a = c.response_received(183, 2.0)
    assert a == [ClearTimer("A"), PassUp("response")]


def test_fr_inv_capped_by_max_lifetime():
    t = TimerValues(fr_inv=120.0, max_inv_lifetime=50.0)
    c = started(timers=t, now=0.0)
    a = c.response_received(180, 20.0)
    assert SetTimer("C", 30.0) in a


def test_timer_c_reports_timeout_then_waits_for_487():
    c = started()
    c.response_received(180, 1.0)
    a = c.timer_fired("C", 121.0)
    assert a == [PassUp("timeout"), SetTimer("B", 32.0)]
    assert not c.terminated
    a = c.response_received(487, 122.0)
    assert Transmit("ack") in a and c.state is CState.COMPLETED


def test_timer_c_then_nothing_terminates_silently():
    c = started()
    c.response_received(180, 1.0)
    c.timer_fired("C", 121.0)
    a = c.timer_fired("B", 153.0)
    assert PassUp("timeout") not in a and isinstance(a[-1], Terminate)


def test_negative_final_acks_and_timer_d():
    c = started()
    a = c.response_received(486, 1.0)
    assert Transmit("ack") in a and SetTimer("D", 5.0) in a and PassUp("response") in a
    assert c.state is CState.COMPLETED
    # retransmitted final: ACK again, not passed up
    assert c.response_received(486, 2.0) == [Transmit("ack")]
    assert isinstance(c.timer_fired("D", 6.0)[-1], Terminate)


def test_negative_final_reliable_timer_d_zero():
    c = started(reliable=True)
    assert SetTimer("D", 0.0) in c.response_received(404, 1.0)


def test_2xx_accepted_passes_retransmissions_and_timer_m():
    c = started()
    a = c.response_received(200, 1.0)
    assert SetTimer("M", 5.0) in a and PassUp("response") in a and Transmit("ack") not in a
    assert c.state is CState.ACCEPTED
    assert c.response_received(200, 1.5) == [PassUp("response")]
    assert c.response_received(180, 1.6) == []
    assert isinstance(c.timer_fired("M", 6.0)[-1], Terminate)


def test_stop_retransmission_then_fr_is_silent():
    c = started()
    assert c.stop_retransmission() == [ClearTimer("A")]
    assert c.timer_fired("A", 1.0) == []
    a = c.timer_fired("B", 30.0)
    assert PassUp("timeout") not in a and c.terminated


def test_non_invite_flow_e_f_k():
    c = ClientTransaction(False, False, T)
    assert c.start(0.0) == [Transmit("request"), SetTimer("E", 0.5), SetTimer("F", 30.0)]
    assert c.timer_fired("E", 0.5)[1] == SetTimer("E", 1.0)
    assert c.response_received(100, 1.0) == [PassUp("response")]
    assert c.state is CState.PROCEEDING
    # in Proceeding, E fires at T2
    assert c.timer_fired("E", 2.0)[1] == SetTimer("E", 4.0)
    a = c.response_received(200, 3.0)
    assert a == [ClearTimer("E"), ClearTimer("F"), SetTimer("K", 5.0), PassUp("response")]
    assert c.response_received(200, 3.1) == []     # absorbed
    assert isinstance(c.timer_fired("K", 8.0)[-1], Terminate)


def test_non_invite_timer_f():
    c = started(invite=False)
    a = c.timer_fired("F", 30.0)
    assert PassUp("timeout") in a and c.terminated


def test_non_invite_lifetime_cap():
    t = TimerValues(fr=60.0, max_noninv_lifetime=32.0)
    c = ClientTransaction(False, False, t)
    assert c.start(0.0)[-1] == SetTimer("F", 32.0)


def test_transport_error():
    c = started()
    a = c.transport_error()
    assert PassUp("transport_error") in a and c.terminated
    assert c.transport_error() == [] and c.response_received(200, 1) == []


def test_terminate_is_idempotent():
    c = started()
    assert isinstance(c.terminate()[-1], Terminate)
    assert c.terminate() == []


def test_set_timer_actions_are_shared_and_equal_to_new_ones():
    from siprouter.modules.tm.actions import SetTimer, set_timer
    a = set_timer("A", 0.5)
    assert a == SetTimer("A", 0.5) and set_timer("A", 0.5) is a
    assert set_timer("A", 0.25) == SetTimer("A", 0.25) and set_timer("A", 0.25) is not a
    # arbitrary (lifetime-capped) delays still work once the cache is full
    made = [set_timer("B", 1.0 + i / 7) for i in range(1000)]
    assert [m.delay for m in made] == [1.0 + i / 7 for i in range(1000)]
