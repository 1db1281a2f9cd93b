"""The pv module as a plugin: declaration, getters/setters called directly."""
from __future__ import annotations

import pluggy
import pytest

import siprouter.modules.pv as pv
from siprouter.core.modsys import Module
from siprouter.core.modsys.hookspecs import PROJECT
from siprouter.core.routing import PVRegistry, RunContext
from siprouter.core.sip import ReceiveInfo, parse_message

REQ = (b"OPTIONS sips:carol@chicago.com SIP/2.0\r\n"
       b"Via: SIP/2.0/TLS 10.1.1.1;branch=z9hG4bKx\r\n"
       b"From: <sip:a@b.com>;tag=ab\r\nTo: <sip:carol@chicago.com>;tag=cd\r\n"
       b"Call-ID: c1\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n")
REPLY = (b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\r\n"
         b"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\n"
         b"CSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n")


def ctx_for(data: bytes) -> RunContext:
    msg = parse_message(data)
    msg.rcv = ReceiveInfo("tls", "10.1.1.1", 5061, "10.2.2.2", 5061, 2)
    return RunContext(msg, 1, None, vars={})


def get(ctx, text):
    return PVRegistry(pv.module.pvs).compile(text).get(ctx)


def test_is_a_pluggy_plugin():
    pm = pluggy.PluginManager(PROJECT)
    from siprouter.core.modsys import hookspecs
    pm.add_hookspecs(hookspecs)
    pm.register(pv, "pv")
    mods = pm.hook.siprouter_module()
    assert len(mods) == 1 and isinstance(mods[0], Module) and mods[0].name == "pv"


def test_declares_expected_classes():
    names = {s.name for s in pv.module.pvs}
    for n in ("ru", "rU", "rd", "rp", "rz", "rm", "rs", "rr", "si", "sp", "Ri", "Rp", "pr", "proto",
              "fu", "fU", "fd", "fn", "ft", "tu", "tU", "td", "tn", "tt", "ci", "cs", "ua", "hdr",
              "hdrc", "du", "mb", "ml", "rb", "bs", "rc", "retcode", "?", "var", "vn", "vz", "avp",
              "xavp", "shv", "time", "Ts", "TV", "mf", "sf", "bf"):
        assert n in names, n


@pytest.mark.parametrize("cls,writable", [
    ("ru", True), ("rU", True), ("rd", True), ("rp", True), ("du", True), ("var", True),
    ("vn", True), ("vz", True), ("avp", True), ("xavp", True), ("shv", True), ("mf", True),
    ("sf", True), ("bf", True), ("si", False), ("fu", False), ("ci", False), ("hdr", False),
    ("rc", False),
])
def test_writability(cls, writable):
    spec = next(s for s in pv.module.pvs if s.name == cls)
    assert (spec.setter is not None) == writable


def test_request_values():
    ctx = ctx_for(REQ)
    assert get(ctx, "$rz") == "sips" and get(ctx, "$rp") == 5060 and get(ctx, "$pr") == "tls"
    assert get(ctx, "$tt") == "cd" and get(ctx, "$cs") == 7 and get(ctx, "$rs") is None


def test_reply_values():
    ctx = ctx_for(REPLY)
    assert get(ctx, "$rs") == 180 and get(ctx, "$rr") == "Ringing" and get(ctx, "$rm") == "INVITE"
    assert get(ctx, "$ru") is None and get(ctx, "$rU") is None


def test_setting_ruri_on_reply_fails():
    ctx = ctx_for(REPLY)
    with pytest.raises(ValueError):
        PVRegistry(pv.module.pvs).compile("$rU").set(ctx, "x")


def test_ru_null_refused():
    ctx = ctx_for(REQ)
    with pytest.raises(ValueError):
        PVRegistry(pv.module.pvs).compile("$ru").set(ctx, None)


def test_rp_delete_port():
    ctx = ctx_for(REQ)
    reg = PVRegistry(pv.module.pvs)
    reg.compile("$rp").set(ctx, 5070)
    assert ctx.msg.uri_text == "sips:carol@chicago.com:5070"
    reg.compile("$rp").set(ctx, None)
    assert ctx.msg.uri_text == "sips:carol@chicago.com"


def test_avp_storage_format():
    ctx = ctx_for(REQ)
    reg = PVRegistry(pv.module.pvs)
    reg.compile("$avp(x)").set(ctx, 1)
    reg.compile("$avp(x)").set(ctx, 2)
    assert ctx.msg.attrs["avps"] == {"x": [1, 2]}
    assert reg.compile("$(avp(x)[-1])").get(ctx) == 1


def test_bad_names_rejected():
    reg = PVRegistry(pv.module.pvs)
    from siprouter.core.routing import PVError
    for bad in ("$time(decade)", "$TV(x)", "$avp()", "$xavp(=>a)"):
        with pytest.raises(PVError):
            reg.compile(bad)


def test_shv_inc_and_modparam():
    pv.shv_reset()

    class E:
        params = {"shvset": "a=i:5;b=s:hi", "varset": ""}
    pv.mod_init(E())
    ctx = ctx_for(REQ)
    assert get(ctx, "$shv(a)") == 5 and get(ctx, "$shv(b)") == "hi"
    pv.shv_inc(ctx, "a", 2)
    assert get(ctx, "$shv(a)") == 7
    pv.shv_reset()


def test_bad_shvset():
    class E:
        params = {"shvset": "a=x:1"}
    with pytest.raises(ValueError):
        pv.mod_init(E())


def test_type_functions():
    ctx = ctx_for(REQ)
    assert pv.is_int(ctx, 3) == 1 and pv.is_int(ctx, "3") == -1
    assert pv.typeof(ctx, None, "null") == 1 and pv.typeof(ctx, "x", "str") == 1
    assert pv.not_empty(ctx, "") == -1 and pv.not_empty(ctx, "a") == 1
