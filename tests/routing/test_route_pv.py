"""Pseudo-variables through the engine: get/set, scopes, transformations."""
from __future__ import annotations

import threading

import pytest

from route_helpers import make_msg


def logged(h, body: str, **kw) -> list:
    h.calls.clear()
    h.run("request_route { " + body + " }", **kw)
    return h.calls


@pytest.mark.parametrize("pv,want", [
    ("$ru", "sip:bob@example.com:5080;transport=udp"), ("$rU", "bob"), ("$rd", "example.com"),
    ("$rp", "5080"), ("$rz", "sip"), ("$rm", "INVITE"), ("$si", "10.0.0.1"), ("$sp", "5060"),
    ("$Ri", "192.168.1.10"), ("$Rp", "5060"), ("$pr", "udp"), ("$proto", "udp"),
    ("$fu", "sip:alice@atlanta.com"), ("$fU", "alice"), ("$fd", "atlanta.com"), ("$fn", "Alice"),
    ("$ft", "1928301774"), ("$tu", "sip:bob@example.com"), ("$tU", "bob"), ("$td", "example.com"),
    ("$tn", "Bob"), ("$tt", "<null>"), ("$ci", "a84b4c76e66710@pc33.atlanta.com"), ("$cs", "314159"),
    ("$ua", "TestUA/1.0"), ("$hdr(User-Agent)", "TestUA/1.0"), ("$hdr(x-multi)", "one"),
    ("$(hdr(X-Multi)[1])", "two"), ("$(hdr(X-Multi)[-1])", "two"), ("$(hdr(X-Multi)[*])", "one,two"),
    ("$hdrc(X-Multi)", "2"), ("$hdrc(Nope)", "0"), ("$hdr(Nope)", "<null>"), ("$du", "<null>"),
    ("$rb", "v=0\n"), ("$bs", "4"), ("$cT", "application/sdp"), ("$rv", "SIP/2.0"),
    ("$null", "<null>"), ("$(hdr(Via)[1])", "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK776asdhdt"),
])
def test_message_pvs(h, pv, want):
    assert logged(h, f'log("{pv}");') == [want]


def test_ml_and_mb(h):
    out = logged(h, 'log("$ml"); $var(m) = $mb; log("$(var(m){s.len})");')
    assert out[0] == out[1] and int(out[0]) > 100


def test_write_ruri_parts(h):
    assert logged(h, '$rU = "carol"; $rd = "b.example"; $rp = 5070; log("$ru");') == \
        ["sip:carol@b.example:5070;transport=udp"]


def test_write_ru_and_du(h):
    v, ctx = h.run('request_route { $ru = "sip:x@y"; $du = "sip:10.0.0.9:5060"; }')
    assert ctx.msg.uri_text == "sip:x@y" and ctx.msg.dst_uri == "sip:10.0.0.9:5060"


def test_du_null_clears(h):
    v, ctx = h.run('request_route { $du = "sip:a"; $du = $null; }')
    assert ctx.msg.dst_uri is None


def test_var_default_zero_and_null_reset(h):
    assert logged(h, 'log("$var(nope)"); $var(a) = "x"; $var(a) = $null; log("$var(a)");') == ["0", "0"]


def test_vz_and_vn(h):
    assert logged(h, 'log("$vz(q) $vn(q)"); $vn(q) = 3; log("$vn(q)"); $vn(q) = $null; log("$vn(q)");') \
        == ["0 <null>", "3", "<null>"]


def test_var_kept_across_runs_on_same_thread(h):
    s = h.compile('request_route { $var(c) = $var(c) + 1; log("$var(c)"); }')
    h.run("", script=s)
    h.run("", script=s)
    assert h.calls == ["1", "2"]


def test_var_private_to_thread(h):
    s = h.compile('request_route { $var(c) = $var(c) + 1; log("$var(c)"); }')
    h.run("", script=s)

    def worker():
        h.run("", script=s)
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    h.run("", script=s)
    assert h.calls == ["1", "1", "2"]


def test_avp_stack(h):
    v, ctx = h.run('request_route { $avp(a) = 1; $avp(a) = "two"; log("$avp(a) $(avp(a)[0]) '
                   '$(avp(a)[1]) $(avp(a)[2])"); }')
    assert h.calls == ["two two 1 <null>"]
    assert ctx.msg.attrs["avps"]["a"] == [1, "two"]


def test_avp_delete_all_and_replace(h):
    v, ctx = h.run('request_route { $avp(a) = 1; $avp(a) = 2; $(avp(a)[*]) = $null; log("$avp(a)"); '
                   '$avp(b) = 1; $avp(b) = 2; $(avp(b)[*]) = 9; log("$avp(b) $(avp(b)[1])"); }')
    assert h.calls == ["<null>", "9 <null>"]


def test_avp_null_deletes_newest(h):
    assert logged(h, '$avp(a) = 1; $avp(a) = 2; $avp(a) = $null; log("$avp(a)");') == ["1"]


def test_avp_s_prefix(h):
    assert logged(h, '$avp(s:k) = "v"; log("$avp(k)");') == ["v"]


def test_avp_index_from_pv(h):
    assert logged(h, '$avp(a) = "x"; $avp(a) = "y"; $var(i) = 1; log("$(avp(a)[$var(i)])");') == ["x"]


def test_avps_live_on_message(h):
    msg = make_msg()
    msg.attrs["avps"] = {"pre": ["set-before"]}
    h.run('request_route { log("$avp(pre)"); }', msg=msg)
    assert h.calls == ["set-before"]


def test_xavp(h):
    v, ctx = h.run('request_route { $xavp(r=>a) = 1; $xavp(r[0]=>b) = "x"; $xavp(r=>a) = 2; '
                   'log("$xavp(r=>a) $xavp(r[1]=>a) $xavp(r[1]=>b) $xavp(r=>b)"); }')
    assert h.calls == ["2 1 x <null>"]
    assert "r" in ctx.msg.attrs["xavps"]


def test_xavp_delete(h):
    assert logged(h, '$xavp(r=>a) = 1; $xavp(r) = $null; log("$xavp(r=>a)");') == ["<null>"]


def test_shv_shared_between_threads(h):
    s = h.compile('request_route { log("$shv(n)"); $shv(n) = $shv(n) + 1; }')
    h.run("", script=s)
    t = threading.Thread(target=lambda: h.run("", script=s))
    t.start()
    t.join()
    h.run("", script=s)
    assert h.calls == ["0", "1", "2"]


def test_flags_pvs(h):
    v, ctx = h.run('request_route { $mf = 5; $bf = 2; $sf = 8; log("$mf $bf $sf"); }')
    assert h.calls == ["5 2 8"] and ctx.msg.flags == 5 and ctx.msg.bflags == 2


def test_time_pvs(h):
    out = logged(h, 'log("$Ts"); log("$time(year)"); log("$TV(s)"); log("$TV(u)");')
    assert int(out[0]) > 1_600_000_000 and int(out[1]) >= 2024 and int(out[2]) > 0


def test_pv_transformation_chain_on_assignment(h):
    assert logged(h, '$var(x) = $(ru{uri.host}{s.toupper}); log("$var(x)");') == ["EXAMPLE.COM"]


@pytest.mark.parametrize("tr,value,want", [
    ("s.len", "hello", "5"), ("s.int", "12", "12"), ("s.int", "1x", "0"),
    ("s.substr,1,3", "abcdef", "bcd"), ("s.substr,2,0", "abcdef", "cdef"),
    ("s.substr,-2,0", "abcdef", "ef"), ("s.select,1,:", "a:b:c", "b"), ("s.select,-1,:", "a:b:c", "c"),
    ("s.select,5,:", "a:b:c", "<null>"),
    ("s.tolower", "AbC", "abc"), ("s.toupper", "AbC", "ABC"), ("s.strip,2", "abcd", "cd"),
    ("s.striptail,2", "abcd", "ab"), ("s.prefixes", "123", "1,12,123"),
    ("s.md5", "abc", "900150983cd24fb0d6963f7d28e17f72"), ("s.encode.hexa", "AB", "4142"),
    ("s.decode.hexa", "4142", "AB"), ("s.encode.base64", "abc", "YWJj"), ("s.decode.base64", "YWJj", "abc"),
    ("s.trim", "  a  ", "a"), ("s.replace,a,o", "banana", "bonono"), ("s.numeric", "+1 (23) 4", "1234"),
    ("uri.user", "sip:u@h.com:5062;lr;transport=tcp", "u"), ("uri.host", "sip:u@h.com:5062;lr", "h.com"),
    ("uri.port", "sip:u@h.com:5062", "5062"), ("uri.param,transport", "sip:u@h;transport=tcp", "tcp"),
    ("uri.transport", "sip:u@h;transport=tls", "tls"), ("uri.params", "sip:u@h;a=1;b", "a=1;b"),
    ("uri.scheme", "sips:u@h", "sips"), ("param.value,b", "a=1;b=2", "2"), ("param.count", "a=1;b=2", "2"),
    ("param.value,x", "a=1;b=2", "<null>"), ("nameaddr.uri", "\"A\" <sip:a@b>;tag=1", "sip:a@b"),
    ("nameaddr.name", "\"A\" <sip:a@b>;tag=1", "A"), ("tobody.tag", "<sip:a@b>;tag=xyz", "xyz"),
    ("s.unquote", "\"q\"", "q"), ("s.unbracket", "<sip:a@b>", "sip:a@b"),
])
def test_transformations(h, tr, value, want):
    h.calls.clear()
    esc = value.replace('"', '\\"')
    h.run(f'request_route {{ $var(v) = "{esc}"; log("$(var(v){{{tr}}})"); }}')
    assert h.calls == [want]


def test_transformation_on_null(h):
    assert logged(h, 'log("$(avp(none){s.len})");') == ["0"]
