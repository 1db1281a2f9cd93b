"""uri_param, uri_param_any, uri_param_rm, add_uri_param, E.164 and number tests."""
from __future__ import annotations

from types import SimpleNamespace

import siprouter.modules.siputils as siputils
from siprouter.modules.siputils import uri_ops


def with_ruri(invite, uri: str) -> bytes:
    return invite().replace(b"INVITE sip:bob@example.com SIP/2.0", f"INVITE {uri} SIP/2.0".encode())


def test_uri_param(make_ctx, invite):
    ctx = make_ctx(with_ruri(invite, "sip:bob@example.com;transport=tcp;lr;x="))
    assert uri_ops.uri_param(ctx, "lr") == 1
    assert uri_ops.uri_param(ctx, "x") == 1            # empty value counts as none
    assert uri_ops.uri_param(ctx, "transport") == -1   # has a value
    assert uri_ops.uri_param(ctx, "transport", "tcp") == 1
    assert uri_ops.uri_param(ctx, "transport", "udp") == -1
    assert uri_ops.uri_param(ctx, "Transport", "tcp") == -1  # names are case-sensitive
    assert uri_ops.uri_param(ctx, "nope") == -1


def test_uri_param_errors(make_ctx, invite, reply_bytes):
    assert uri_ops.uri_param(make_ctx(reply_bytes), "lr") == -1
    assert uri_ops.uri_param(make_ctx(with_ruri(invite, "sip:bob@[bad"), validate=False), "lr") == -1


def test_uri_param_any_and_rm(make_ctx, invite):
    ctx = make_ctx(with_ruri(invite, "sip:bob@example.com;Transport=tcp;lr"))
    assert uri_ops.uri_param_any(ctx, "transport") == 1
    assert uri_ops.uri_param_any(ctx, "maddr") == -1
    assert uri_ops.uri_param_rm(ctx, "transport") == 1
    assert str(ctx.msg.uri) == "sip:bob@example.com;lr"
    assert uri_ops.uri_param_rm(ctx, "transport") == -1


def test_add_uri_param(make_ctx, invite, reply_bytes):
    ctx = make_ctx()
    assert uri_ops.add_uri_param(ctx, "nat=yes") == 1
    assert uri_ops.add_uri_param(ctx, "ob") == 1
    assert str(ctx.msg.uri) == "sip:bob@example.com;nat=yes;ob"
    assert ctx.msg.to_bytes().startswith(b"INVITE sip:bob@example.com;nat=yes;ob SIP/2.0")
    assert uri_ops.add_uri_param(ctx, "") == 1
    hdrs = make_ctx(with_ruri(invite, "sip:bob@example.com?subject=hi"), validate=False)
    assert uri_ops.add_uri_param(hdrs, "a=b") == 1
    assert str(hdrs.msg.uri).startswith("sip:bob@example.com;a=b?")
    assert uri_ops.add_uri_param(make_ctx(reply_bytes), "a") == -1


def test_e164(make_ctx):
    ctx = make_ctx()
    assert uri_ops.is_e164(ctx, "+4930123456") == 1
    assert uri_ops.is_e164(ctx, "4930123456") == -1
    assert uri_ops.is_e164(ctx, "+49") == 1
    assert uri_ops.is_e164(ctx, "+4") == -1
    assert uri_ops.is_e164(ctx, "+4930123456789012") == -1  # 17 > e164_max_len 16
    assert uri_ops.is_e164(ctx, "+49a") == -1
    assert uri_ops.is_e164(ctx, "") == -1
    assert uri_ops.is_uri_user_e164(ctx, "sip:+4930123@example.com") == 1
    assert uri_ops.is_uri_user_e164(ctx, "sip:alice@example.com") == -1
    assert uri_ops.is_uri_user_e164(ctx, "sip:example.com") == -1
    assert uri_ops.is_uri_user_e164(ctx, "no-colon") == -1
    assert uri_ops.is_uri_user_e164(ctx, "") == -1


def test_e164_max_len_param():
    env = SimpleNamespace(params={"e164_max_len": 5})
    siputils.mod_init(env)
    try:
        assert uri_ops.e164_check("+1234") == 1
        assert uri_ops.e164_check("+12345") == -1
    finally:
        siputils.mod_init(SimpleNamespace(params={}))
    assert uri_ops.settings["e164_max_len"] == 16


def test_number_tests(make_ctx):
    ctx = make_ctx()
    assert uri_ops.is_tel_number(ctx, "+4930") == 1
    assert uri_ops.is_tel_number(ctx, "030") == 1
    assert uri_ops.is_tel_number(ctx, "+0301") == -2
    assert uri_ops.is_tel_number(ctx, "+") == -2
    assert uri_ops.is_tel_number(ctx, "") == -2
    assert uri_ops.is_numeric(ctx, "0123") == 1
    assert uri_ops.is_numeric(ctx, "12a") == -2
    assert uri_ops.is_numeric(ctx, "") == -2
    assert uri_ops.is_alphanum(ctx, "abc123") == 1
    assert uri_ops.is_alphanum(ctx, "abc-1") == -3
    assert uri_ops.is_alphanum(ctx, "") == -2
