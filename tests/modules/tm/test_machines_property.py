"""Property tests: any sequence of events keeps the machines' invariants."""
from hypothesis import given, settings, strategies as st

from siprouter.modules.tm.actions import SetTimer, Terminate, Transmit
from siprouter.modules.tm.client_txn import ClientTransaction, CState
from siprouter.modules.tm.server_txn import ReplyRefused, ServerTransaction
from siprouter.modules.tm.timers import TimerValues

T = TimerValues()
STATUS = st.sampled_from([100, 180, 183, 200, 202, 302, 404, 486, 487, 503, 603])
CLIENT_EVENTS = st.lists(st.one_of(
    st.tuples(st.just("resp"), STATUS),
    st.tuples(st.just("timer"), st.sampled_from(list("ABCDEFKM"))),
    st.tuples(st.just("stop"), st.just(0)),
    st.tuples(st.just("error"), st.just(0))), max_size=25)


@settings(max_examples=300, deadline=None)
@given(invite=st.booleans(), reliable=st.booleans(), events=CLIENT_EVENTS)
def test_client_invariants(invite, reliable, events):
    c = ClientTransaction(invite, reliable, T)
    c.start(0.0)
    terminated = False
    passed_final = 0
    for now, (kind, arg) in enumerate(events, 1):
        if kind == "resp":
            acts = c.response_received(arg, float(now))
        elif kind == "timer":
            acts = c.timer_fired(arg, float(now))
        elif kind == "stop":
            acts = c.stop_retransmission()
        else:
            acts = c.transport_error()
        if terminated:
            assert acts == [], (kind, arg)
        for a in acts:
            if isinstance(a, SetTimer):
                assert a.delay >= 0
                assert a.name in "ABCDEFKM"
            if isinstance(a, Transmit) and a.what == "ack":
                assert invite and 300 <= c.last_status
            if isinstance(a, Transmit) and a.what == "request":
                assert c.state in (CState.CALLING, CState.TRYING, CState.PROCEEDING)
        if any(getattr(a, "event", None) == "response" for a in acts) and kind == "resp" \
                and arg >= 300:
            passed_final += 1
        if any(isinstance(a, Terminate) for a in acts):
            terminated = True
            assert c.terminated
    # a negative final response reaches the TU at most once (retransmissions absorbed)
    assert passed_final <= 1


SERVER_EVENTS = st.lists(st.one_of(
    st.tuples(st.just("reply"), STATUS),
    st.tuples(st.just("retr"), st.just(0)),
    st.tuples(st.just("ack"), st.just(0)),
    st.tuples(st.just("timer"), st.sampled_from(list("GHIJL")))), max_size=25)


@settings(max_examples=300, deadline=None)
@given(invite=st.booleans(), reliable=st.booleans(), events=SERVER_EVENTS)
def test_server_invariants(invite, reliable, events):
    s = ServerTransaction(invite, reliable, T)
    finals = 0
    terminated = False
    for kind, arg in events:
        try:
            if kind == "reply":
                acts = s.send_reply(arg)
                if arg >= 200:
                    finals += 1
            elif kind == "retr":
                acts = s.request_retransmitted()
            elif kind == "ack":
                acts = s.ack_received()
            else:
                acts = s.timer_fired(arg)
        except ReplyRefused:
            assert s.final_sent or s.terminated
            continue
        if terminated:
            assert acts == []
        for a in acts:
            if isinstance(a, Transmit):
                assert s.last_status != 0
            if isinstance(a, SetTimer):
                assert a.delay >= 0
                if a.name == "G":
                    assert invite and not reliable
        if any(isinstance(a, Terminate) for a in acts):
            terminated = True
    assert finals <= 1
