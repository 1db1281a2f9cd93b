"""save(): bindings, expires/q rules, Contact: *, CSeq ordering, errors and replies."""
from __future__ import annotations

import pytest

import siprouter.modules.registrar as reg
from reg_fakes import ctx_for, register
from siprouter.core.modsys import RouteType


def save(env, msg, *args, route_type=RouteType.REQUEST):
    return reg.w_save(ctx_for(msg, env, route_type), "location", *args)


def bindings(env, aor="alice"):
    return env.ul.get_table("location").get_contacts(aor)


def test_register_inserts_and_replies_200_with_contacts(start_registrar):
    env = start_registrar()
    assert save(env, register("<sip:alice@10.0.0.1:5070>;expires=120")) == 1
    reply = env.sent[-1]
    assert reply.status == 200 and reply.reason == "OK"
    assert reply.get("Contact") == "<sip:alice@10.0.0.1:5070>;expires=120"
    assert reply.to.tag  # stateless reply carries a To tag
    b = bindings(env)
    assert [(c.uri, c.expires, c.callid, c.cseq) for c in b] == [
        ("sip:alice@10.0.0.1:5070", 1120.0, "call-1", 1)]
    assert b[0].socket == "udp:192.0.2.10:5060"


def test_update_returns_2_and_delete_returns_3(start_registrar):
    env = start_registrar()
    save(env, register("<sip:alice@h>", cseq=1))
    assert save(env, register("<sip:alice@h>;expires=300", cseq=2)) == 2
    assert bindings(env)[0].cseq == 2
    assert save(env, register("<sip:alice@h>;expires=0", cseq=3)) == 3
    assert bindings(env) == []
    assert env.sent[-1].status == 200 and env.sent[-1].get("Contact") is None


def test_no_contact_returns_4_listing_bindings(start_registrar):
    env = start_registrar()
    save(env, register("<sip:alice@a>;q=0.5", "<sip:alice@b>;q=1"))
    assert save(env, register(cseq=2)) == 4
    assert env.sent[-1].get("Contact") == "<sip:alice@b>;q=1.0;expires=3600, <sip:alice@a>;q=0.5;expires=3600"


def test_expires_header_default_min_max(start_registrar):
    env = start_registrar(max_expires=1800)
    save(env, register("<sip:a1@h>", extra="Expires: 600\r\n"))
    save(env, register("<sip:a2@h>", callid="c2"))                   # default_expires 3600 → max 1800
    save(env, register("<sip:a3@h>;expires=10", callid="c3"))        # raised to min_expires 60
    save(env, register("<sip:a4@h>;expires=abc", callid="c4"))       # unparsable → default, then max
    got = {c.uri: c.expires - 1000 for c in bindings(env)}
    assert got == {"sip:a1@h": 600, "sip:a2@h": 1800, "sip:a3@h": 60, "sip:a4@h": 1800}


def test_min_expires_mode_replies_423(start_registrar):
    env = start_registrar(min_expires_mode=1)
    assert save(env, register("<sip:alice@h>;expires=10")) == -1
    reply = env.sent[-1]
    assert reply.status == 423 and reply.get("Min-Expires") == "60"
    assert bindings(env) == []


def test_bad_expires_header_is_400(start_registrar):
    env = start_registrar()
    assert save(env, register("<sip:alice@h>", extra="Expires: soon\r\n")) == -1
    assert env.sent[-1].status == 400
    assert env.sent[-1].get("P-Registrar-Error") == "Expires parse error"


def test_bad_q_is_400(start_registrar):
    env = start_registrar()
    assert save(env, register("<sip:alice@h>;q=2")) == -1
    assert env.sent[-1].status == 400
    assert env.sent[-1].get("P-Registrar-Error") == "Invalid q param in contact"


def test_star_with_expires_0_removes_all(start_registrar):
    env = start_registrar()
    save(env, register("<sip:alice@a>", "<sip:alice@b>"))
    assert save(env, register("*", cseq=2, extra="Expires: 0\r\n")) == 3
    assert bindings(env) == []
    assert env.sent[-1].status == 200


@pytest.mark.parametrize("contacts,extra,info", [
    (("*",), "Expires: 10\r\n", "* used in contact and expires is not zero"),
    (("*",), "", "* used in contact and expires is not zero"),
    (("*", "<sip:alice@h>"), "Expires: 0\r\n", "* used in contact and more than 1 contact"),
])
def test_star_misuse_is_400(start_registrar, contacts, extra, info):
    env = start_registrar()
    assert save(env, register(*contacts, extra=extra)) == -1
    assert env.sent[-1].status == 400 and env.sent[-1].get("P-Registrar-Error") == info


def test_out_of_order_cseq_is_400_and_retransmission_ignored(start_registrar):
    env = start_registrar()
    save(env, register("<sip:alice@h>;expires=100", cseq=5))
    assert save(env, register("<sip:alice@h>;expires=200", cseq=4)) == -1
    assert env.sent[-1].status == 400
    assert env.sent[-1].get("P-Registrar-Error") == "Invalid CSeq number"
    # same Call-ID and CSeq again: a retransmission, binding untouched, still 200
    assert save(env, register("<sip:alice@h>;expires=300", cseq=5)) == 1
    assert env.sent[-1].status == 200
    assert bindings(env)[0].expires == 1100.0


def test_max_contacts_gives_503_and_minus_2(start_registrar):
    env = start_registrar(max_contacts=1, retry_after=30)
    assert save(env, register("<sip:alice@a>")) == 1
    assert save(env, register("<sip:alice@b>", callid="c2")) == -2
    assert env.sent[-1].status == 503 and env.sent[-1].get("Retry-After") == "30"
    # refreshing the existing one is fine
    assert save(env, register("<sip:alice@a>", cseq=2)) == 2


def test_non_sip_to_is_400(start_registrar):
    env = start_registrar()
    assert save(env, register("<sip:alice@h>", to="<http://example.com/alice>")) == -1
    assert env.sent[-1].status == 400
    assert env.sent[-1].get("P-Registrar-Error") == "Error while parsing AOR"


def test_tel_to_is_accepted(start_registrar):
    env = start_registrar()
    assert save(env, register("<sip:alice@h>", to="<tel:+15551234>")) == 1
    assert env.ul.get_table("location").aors() == ["+15551234"]


def test_to_without_user_is_400(start_registrar):
    env = start_registrar()
    assert save(env, register("<sip:alice@h>", to="<sip:example.com>")) == -1
    assert env.sent[-1].get("P-Registrar-Error") == "No username in To URI"


def test_flags_no_reply_and_memory(start_registrar):
    env = start_registrar()
    assert save(env, register("<sip:alice@h>"), "0x03") == 1
    assert env.sent == []
    assert bindings(env)[0].flags & 1


def test_flag_single_contact_replaces_others(start_registrar):
    env = start_registrar()
    save(env, register("<sip:alice@a>", "<sip:alice@b>"))
    save(env, register("<sip:alice@c>", cseq=2), "0x04")
    assert [c.uri for c in bindings(env)] == ["sip:alice@c"]


def test_uri_param_overrides_to(start_registrar):
    env = start_registrar()
    assert save(env, register("<sip:x@h>"), "0", "sip:bob@example.com") == 1
    assert [c.uri for c in bindings(env, "bob")] == ["sip:x@h"]


def test_bad_flags_return_minus_1(start_registrar):
    env = start_registrar()
    assert save(env, register("<sip:alice@h>"), "zz") == -1


def test_aor_case_and_domain(start_registrar):
    env = start_registrar(use_domain=1)
    save(env, register("<sip:alice@h>", to="<sip:Alice@Example.COM>"))
    assert env.ul.get_table("location").aors() == ["alice@example.com"]


def test_case_sensitive(start_registrar):
    env = start_registrar(case_sensitive=1)
    save(env, register("<sip:alice@h>", to="<sip:Alice@example.com>"))
    assert env.ul.get_table("location").aors() == ["Alice"]


def test_failure_route_replies_but_onreply_does_not(start_registrar):
    env = start_registrar()
    assert save(env, register("<sip:alice@h>"), route_type=RouteType.FAILURE) == 1
    assert len(env.sent) == 1
    assert save(env, register("<sip:alice@h2>", callid="c2"), route_type=RouteType.ONREPLY) == 1
    assert len(env.sent) == 1


def test_error_reply_only_in_request_route(start_registrar):
    env = start_registrar()
    assert save(env, register("<sip:alice@h>;q=9"), route_type=RouteType.FAILURE) == -1
    assert env.sent == []


def test_user_agent_allow_and_branch_flags_stored(start_registrar):
    env = start_registrar()
    msg = register("<sip:alice@h>", extra="User-Agent: Phone/2\r\nAllow: INVITE, BYE\r\n")
    msg.bflags = 5
    save(env, msg)
    c = bindings(env)[0]
    assert c.user_agent == "Phone/2" and c.cflags == 5 and c.methods is not None


def test_instance_and_reg_id_stored_and_echoed(start_registrar):
    env = start_registrar()
    save(env, register('<sip:alice@h>;+sip.instance="<urn:uuid:1>";reg-id=1'))
    c = bindings(env)[0]
    assert c.instance == '"<urn:uuid:1>"' and c.reg_id == 1
    assert env.sent[-1].get("Contact").endswith(';+sip.instance="<urn:uuid:1>";reg-id=1')


def test_path_stored_with_use_path(start_registrar):
    env = start_registrar(use_path=1)
    save(env, register("<sip:alice@h>", extra="Path: <sip:edge.example.com;lr>\r\n"))
    assert bindings(env)[0].path == ["<sip:edge.example.com;lr>"]
    assert env.sent[-1].get("Path") == "<sip:edge.example.com;lr>"


def test_module_declaration():
    names = {f.name: f for f in reg.module.functions}
    assert names["save"].routes & RouteType.REQUEST and names["save"].optional == 2
    assert names["lookup"].routes == RouteType.REQUEST | RouteType.FAILURE
    p = reg.module.params
    assert (p["default_expires"].default, p["min_expires"].default, p["max_expires"].default,
            p["max_contacts"].default, p["append_branches"].default) == (3600, 60, 0, 0, 1)
    assert reg.module.depends == ["usrloc"]
