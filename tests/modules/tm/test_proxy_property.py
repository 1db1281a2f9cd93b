"""Property test of the proxy core: random reply/timeout/CANCEL sequences on a
forked INVITE keep RFC 3261 §16.7's guarantees and leave no transaction behind."""
from hypothesis import given, settings, strategies as st

from siprouter.modules.tm import functions as F

from tm_harness import TmHarness, invite, reply_to

EVENT = st.one_of(
    st.tuples(st.just("reply"), st.integers(0, 2),
              st.sampled_from([100, 180, 183, 200, 302, 404, 486, 487, 503, 603])),
    st.tuples(st.just("wait"), st.sampled_from([0.5, 2.0, 6.0]), st.just(0)),
    st.tuples(st.just("cancel"), st.just(0), st.just(0)),
    st.tuples(st.just("retrans"), st.just(0), st.just(0)))


@settings(max_examples=200, deadline=None)
@given(nbranches=st.integers(1, 3), events=st.lists(EVENT, max_size=14),
       failure=st.booleans())
def test_forked_invite_invariants(nbranches, events, failure):
    h = TmHarness(fr_timer=4000, fr_inv_timer=8000, wt_timer=500)
    if failure:
        h.route("failure", "F", lambda c: F.t_reply(c, 480, "Later")
                if F.t_is_canceled(c) < 0 else None)
    msg = invite()
    msg.attrs["branches"] = [{"uri": f"sip:b{i}@127.0.0.1:{5071 + i}"} for i in range(1, nbranches)]
    ctx = h.ctx(msg)
    if failure:
        F.t_on_failure(ctx, "F")
    assert F.t_relay(ctx) == 1
    invites = [d for d, _ in h.env.sent if d.startswith(b"INVITE")]
    assert len(invites) == nbranches
    got_200 = 0
    for kind, a, b in events:
        if kind == "reply":
            idx = a % nbranches
            h.deliver(reply_to(invites[idx], b, to_tag=f"t{idx}"))
            got_200 += b == 200
        elif kind == "wait":
            h.advance(a)
        elif kind == "cancel":
            F.t_relay(h.ctx(invite(method="CANCEL")))
        else:
            F.t_newtran(h.ctx(invite()))
    h.advance(300)
    finals = [s for s in h.upstream() if s >= 200]
    invite_finals = [r.status for _, r in h.env.replies
                     if r.status >= 200 and r.cseq.method == "INVITE"]
    firsts = list(dict.fromkeys(invite_finals))        # first occurrences (retransmissions folded)
    negatives = [s for s in firsts if s >= 300]
    # at most one negative final, and never one after a 2xx (a 2xx may follow
    # a negative: 2xx are always forwarded, e.g. a 200 crossing a CANCEL)
    assert len(negatives) <= 1
    if any(200 <= s < 300 for s in firsts):
        first2xx = next(i for i, s in enumerate(firsts) if 200 <= s < 300)
        assert all(s < 300 for s in firsts[first2xx:])
    # the INVITE got a final answer
    assert invite_finals, (events, h.upstream())
    # 503 is never relayed
    assert 503 not in invite_finals
    assert finals
    assert h.api.table_size() == 0
