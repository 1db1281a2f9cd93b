"""lookup(), registered(), unregister(): R-URI rewrite, branches, return codes."""
from __future__ import annotations

import siprouter.modules.registrar as reg
from reg_fakes import ctx_for, register, request
from siprouter.core.modsys import RouteType
from siprouter.modules.usrloc import Contact


def save(env, *contacts, **kw):
    assert reg.w_save(ctx_for(register(*contacts, **kw), env), "location") > 0


def test_lookup_not_found_is_minus_1(start_registrar):
    env = start_registrar()
    msg = request()
    assert reg.w_lookup(ctx_for(msg, env), "location") == -1
    assert str(msg.uri) == "sip:alice@example.com"


def test_lookup_rewrites_ruri(start_registrar):
    env = start_registrar()
    save(env, "<sip:alice@10.0.0.1:5070;transport=tcp>")
    msg = request()
    assert reg.w_lookup(ctx_for(msg, env), "location") == 1
    assert str(msg.uri) == "sip:alice@10.0.0.1:5070;transport=tcp"
    assert msg.dst_uri is None
    assert "branches" not in msg.attrs


def test_lookup_multiple_contacts_make_branches_by_q(start_registrar, clock):
    env = start_registrar()
    save(env, "<sip:alice@low>;q=0.1", "<sip:alice@high>;q=0.9", "<sip:alice@mid>;q=0.5")
    msg = request()
    assert reg.w_lookup(ctx_for(msg, env), "location") == 1
    assert str(msg.uri) == "sip:alice@high"
    assert msg.attrs["branches"] == [
        {"uri": "sip:alice@mid", "dst_uri": None, "q": 0.5, "path": [], "flags": 0, "bflags": 0},
        {"uri": "sip:alice@low", "dst_uri": None, "q": 0.1, "path": [], "flags": 0, "bflags": 0},
    ]


def test_append_branches_off(start_registrar):
    env = start_registrar(append_branches=0)
    save(env, "<sip:alice@a>", "<sip:alice@b>")
    msg = request()
    assert reg.w_lookup(ctx_for(msg, env), "location") == 1
    assert "branches" not in msg.attrs


def test_lookup_with_uri_param(start_registrar):
    env = start_registrar()
    save(env, "<sip:alice@a>")
    msg = request(ruri="sip:someone-else@example.com")
    assert reg.w_lookup(ctx_for(msg, env), "location", "sip:alice@example.com") == 1
    assert str(msg.uri) == "sip:alice@a"


def test_lookup_bad_uri_is_minus_3(start_registrar):
    env = start_registrar()
    assert reg.w_lookup(ctx_for(request(), env), "location", "not a uri") == -3
    assert reg.w_lookup(ctx_for(request(ruri="mailto:alice@example.com"), env), "location") == -3
    assert reg.w_lookup(ctx_for(request(ruri="tel:+1555"), env), "location") == -1


def test_lookup_expired_binding_not_found(start_registrar, clock):
    env = start_registrar()
    save(env, "<sip:alice@a>;expires=60")
    clock.advance(61)
    assert reg.w_lookup(ctx_for(request(), env), "location") == -1


def test_lookup_method_filtering_gives_minus_2(start_registrar):
    env = start_registrar(method_filtering=1)
    save(env, "<sip:alice@a>", extra="Allow: INVITE, ACK, BYE\r\n")
    assert reg.w_lookup(ctx_for(request("MESSAGE"), env), "location") == -2
    assert reg.w_lookup(ctx_for(request("INVITE"), env), "location") == 1
    # in-dialog requests are not filtered
    assert reg.w_lookup(ctx_for(request("MESSAGE", to_tag="t1"), env), "location") == 1


def test_lookup_uses_received_and_path_and_restores_flags(start_registrar):
    env = start_registrar()
    table = env.ul.get_table("location")
    table.insert(Contact(aor="alice", uri="sip:alice@192.168.1.2:5060", expires=5000.0,
                         received="sip:203.0.113.5:40000", cflags=3))
    msg = request()
    assert reg.w_lookup(ctx_for(msg, env), "location") == 1
    assert msg.dst_uri == "sip:203.0.113.5:40000" and msg.bflags == 3
    table.delete_record("alice")
    table.insert(Contact(aor="alice", uri="sip:alice@h", expires=5000.0,
                         path=["<sip:edge.example.com;lr>"]))
    msg = request()
    assert reg.w_lookup(ctx_for(msg, env), "location") == 1
    assert msg.dst_uri == "sip:edge.example.com;lr"
    assert msg.attrs["path_vector"] == ["<sip:edge.example.com;lr>"]


def test_registered(start_registrar):
    env = start_registrar()
    assert reg.w_registered(ctx_for(request(), env), "location") == -1
    save(env, "<sip:alice@a>")
    assert reg.w_registered(ctx_for(request(), env), "location") == 1
    assert reg.w_registered(ctx_for(request(), env), "location", "sip:bob@example.com") == -1
    assert reg.w_registered(ctx_for(request(), env), "location", "::bad") == -1


def test_registered_on_reply_uses_to(start_registrar):
    from siprouter.core.sip import make_response
    env = start_registrar()
    save(env, "<sip:alice@a>")
    reply = make_response(request(), 200)
    assert reg.w_registered(ctx_for(reply, env, RouteType.ONREPLY), "location") == 1


def test_unregister(start_registrar):
    env = start_registrar()
    save(env, "<sip:alice@a>", "<sip:alice@b>")
    table = env.ul.get_table("location")
    ruid = table.get_contacts("alice")[0].ruid
    ctx = ctx_for(request(), env)
    assert reg.w_unregister(ctx, "location", "sip:alice@example.com", ruid) == 1
    assert len(table.get_contacts("alice")) == 1
    assert reg.w_unregister(ctx, "location", "sip:alice@example.com", "no-such-ruid") == -3
    assert reg.w_unregister(ctx, "location", "sip:alice@example.com") == 1
    assert table.get_contacts("alice") == []
    assert reg.w_unregister(ctx, "location", "bad uri") == -1


def test_sl_totag_used_when_sl_loaded(start_registrar):
    class FakeSL:
        def totag(self, request):
            return "sltag-1"

    env = start_registrar()
    reg._state["sl"] = FakeSL()
    try:
        save(env, "<sip:alice@a>")
        assert env.sent[-1].to.tag == "sltag-1"
    finally:
        reg._state["sl"] = None


def test_reply_goes_through_tm_when_a_transaction_exists(start_registrar):
    class FakeTM:
        def __init__(self):
            self.calls = []

        def t_reply(self, ctx, code, reason=None, *, headers=None):
            self.calls.append((code, reason, headers))
            return 1

    class OldTM:
        def t_reply(self, ctx, code, reason=None):
            return 1

    from siprouter.modules.registrar.reply import tm_replies_with_headers
    assert tm_replies_with_headers(FakeTM()) and not tm_replies_with_headers(OldTM())
    env = start_registrar()
    tm = FakeTM()
    reg._state["tm"] = tm
    try:
        ctx = ctx_for(register("<sip:alice@a>;expires=100"), env)
        ctx.txn = object()
        assert reg.w_save(ctx, "location") == 1
        assert tm.calls == [(200, "OK", [("Contact", "<sip:alice@a>;expires=100")])]
        assert env.sent == []  # nothing stateless
        save(env, "<sip:alice@b>")  # no transaction: stateless as before
        assert len(env.sent) == 1 and len(tm.calls) == 1
    finally:
        reg._state["tm"] = None
