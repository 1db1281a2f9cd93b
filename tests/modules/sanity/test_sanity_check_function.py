"""sanity_check() / sanity_reply(): return codes, stateless replies, modparams,
and the RFC 4475 cases a proxy must answer."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

import siprouter.modules.sanity as sanity
from siprouter.core.modsys import Arg, FixedArg, FixupError, RouteType
from siprouter.core.sip import SipParseError, parse_message
from siprouter.modules.sanity import runner

RFC4475 = Path(__file__).resolve().parents[2] / "data" / "rfc4475" / "messages"


def init(env, **params):
    env.params = {n: s.default for n, s in sanity.module.params.items()} | params
    sanity.mod_init(env)


@pytest.fixture(autouse=True)
def defaults(env):
    init(env)
    yield
    init(env)


def sent_codes(env):
    return [reply.status for _req, reply in env.sent]


def test_pass_returns_1_and_sends_nothing(make_ctx, env):
    assert runner.sanity_check(make_ctx()) == 1
    assert runner.sanity_check(make_ctx(), 17895, 7) == 1
    assert env.sent == []


def test_failure_replies_and_returns_0(make_ctx, env, invite):
    ctx = make_ctx(invite().replace(b"314159 INVITE", b"314159 BYE"), validate=False)
    assert runner.sanity_check(ctx, 32, 7) == 0
    (req, reply), = env.sent
    assert req is ctx.msg and reply.status == 400
    assert reply.reason == "CSeq method does not match request method"
    assert reply.to.tag  # stateless negative reply gets a To-tag
    assert reply.get("Call-ID") == ctx.msg.get("Call-ID")


def test_autodrop_0_returns_minus_1(make_ctx, env, invite):
    init(env, autodrop=0)
    ctx = make_ctx(invite().replace(b"314159 INVITE", b"314159 BYE"), validate=False)
    assert runner.sanity_check(ctx, 32, 7) == -1
    assert sent_codes(env) == [400]


def test_noreply_then_sanity_reply(make_ctx, env, invite):
    init(env, noreply=1)
    ctx = make_ctx(invite().replace(b"314159 INVITE", b"314159 BYE"), validate=False)
    assert runner.sanity_check(ctx, 32, 7) == 0
    assert env.sent == []
    assert runner.sanity_reply(ctx) == 1
    assert sent_codes(env) == [400]
    # nothing recorded any more: Kamailio answers 500
    assert runner.sanity_reply(ctx) == 1
    assert env.sent[-1][1].status == 500 and env.sent[-1][1].reason == "Server Sanity Failure"


def test_sanity_reply_without_noreply_is_noop(make_ctx, env):
    assert runner.sanity_reply(make_ctx()) == 1
    assert env.sent == []


def test_sanity_reply_send_failure(make_ctx, env):
    init(env, noreply=1)
    env.send_ok = False
    assert runner.sanity_reply(make_ctx()) == -1


def test_no_reply_to_ack_or_reply(make_ctx, env, invite, reply_bytes):
    ack = invite().replace(b"INVITE sip", b"ACK sip").replace(b"314159 INVITE", b"314159 BYE")
    assert runner.sanity_check(make_ctx(ack, validate=False), 32, 7) == 0
    bad_reply = reply_bytes.replace(b"CSeq: 314159 INVITE", b"CSeq: 99999999999 INVITE")
    ctx = make_ctx(bad_reply, route_type=RouteType.CORE_ONREPLY, validate=False)
    assert runner.sanity_check(ctx, 17604, 6) == 0
    assert env.sent == []


def test_silent_failure_sends_nothing(make_ctx, env, invite):
    data = invite().replace(b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc\r\n", b"")
    assert runner.sanity_check(make_ctx(data, validate=False), 4, 7) == 0
    assert env.sent == []


@pytest.mark.parametrize("checks_, uris", [(0, 7), (1 << 17, 7), (1, 0), (1, 16), (-5, 7)])
def test_bad_masks_return_minus_1(make_ctx, checks_, uris):
    assert runner.sanity_check(make_ctx(), checks_, uris) == -1


def test_fixup_rejects_literal_masks_out_of_range():
    spec = next(f for f in sanity.module.functions if f.name == "sanity_check" and len(f.args) == 2)
    with pytest.raises(FixupError):
        spec.fixup([FixedArg(Arg.IGP, "0", 0), FixedArg(Arg.IGP, "7", 7)])
    with pytest.raises(FixupError):
        spec.fixup([FixedArg(Arg.IGP, "1", 1), FixedArg(Arg.IGP, "16", 16)])
    spec.fixup([FixedArg(Arg.IGP, "17895", 17895), FixedArg(Arg.IGP, "7", 7)])
    spec.fixup([FixedArg(Arg.IGP, "$var(x)", None), FixedArg(Arg.IGP, "7", 7)])


def test_declaration():
    specs = [f for f in sanity.module.functions if f.name == "sanity_check"]
    assert sorted(len(f.args) for f in specs) == [0, 1, 2]
    assert all(f.routes == RouteType.REQUEST | RouteType.ONREPLY for f in specs)
    assert sanity.module.depends == ["sl"]
    assert sanity.module.params["default_checks"].default == 3047
    assert sanity.module.params["uri_checks"].default == 7
    assert sanity.siprouter_module() is sanity.module


def test_sl_totag_used_when_available(make_ctx, env, invite):
    env.apis["sl"] = SimpleNamespace(totag=lambda req: "sltag")
    init(env)
    ctx = make_ctx(invite().replace(b"314159 INVITE", b"314159 BYE"), validate=False)
    assert runner.sanity_check(ctx, 32, 7) == 0
    assert env.sent[0][1].to.tag == "sltag"


def rfc(name: str):
    data = (RFC4475 / f"{name}.dat").read_bytes()
    try:
        return parse_message(data)
    except SipParseError as exc:  # mismatch01 & co. are caught by the parser too
        return exc.partial


def ctx_for(env, msg):
    return SimpleNamespace(msg=msg, env=env, route_type=RouteType.REQUEST, vars={}, extra={})


@pytest.mark.parametrize("name,checks_,uris,code", [
    ("insuf", 17895, 7, 400),       # missing To, From, Call-ID
    ("multi01", 17895, 7, 400),     # duplicated single-value headers
    ("unkscm", 17895, 7, 416),      # unknown R-URI scheme
    ("novelsc", 17895, 7, 416),     # known but atypical scheme
    ("mismatch01", 17895, 7, 400),  # OPTIONS with CSeq INVITE
    ("badvers", 17895, 7, 505),     # SIP/7.0
    ("scalar02", 17895, 7, 400),    # CSeq above 2**32-1
    ("bext01", 3047, 7, 420),       # Proxy-Require (default checks include 512)
])
def test_rfc4475_proxy_answers(env, name, checks_, uris, code):
    ctx = ctx_for(env, rfc(name))
    assert runner.sanity_check(ctx, checks_, uris) == 0
    assert sent_codes(env) == [code]


def test_rfc4475_bext01_unsupported_lists_proxy_require_tags(env):
    ctx = ctx_for(env, rfc("bext01"))
    assert runner.sanity_check(ctx) == 0  # default_checks 3047
    reply = env.sent[0][1]
    assert reply.status == 420 and reply.reason == "Bad Proxy Require Extension"
    assert reply.get("Unsupported") == "noProxiesSupportThis, norDoAnyProxiesSupportThis"


def test_rfc4475_bext01_passes_when_extensions_supported(env):
    init(env, proxy_require="noProxiesSupportThis, norDoAnyProxiesSupportThis")
    assert runner.sanity_check(ctx_for(env, rfc("bext01"))) == 1


@pytest.mark.parametrize("name", ["wsinv", "esc01", "lwsdisp", "intmeth", "escnull"])
def test_rfc4475_valid_requests_pass_default_config_checks(env, name):
    if not (RFC4475 / f"{name}.dat").exists():
        pytest.skip("message not in the corpus")
    assert runner.sanity_check(ctx_for(env, rfc(name)), 17895, 7) == 1
    assert env.sent == []
