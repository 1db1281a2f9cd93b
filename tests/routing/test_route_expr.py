"""Operators, casts, typing rules (spec §4.4) and core keywords."""
from __future__ import annotations

import pytest


def ev(h, expr: str, pre: str = "") -> str:
    """Evaluate ``expr`` in a script and return its value as logged."""
    h.calls.clear()
    h.run(f'request_route {{ {pre} $vn(r) = {expr}; if ($vn(r) == $null) {{ log("NULL"); }} '
          f'else {{ log("$vn(r)"); }} }}')
    return h.calls[-1]


@pytest.mark.parametrize("expr,want", [
    ("1 + 2", "3"), ("7 - 10", "-3"), ("6 * 7", "42"), ("7 / 2", "3"), ("-7 / 2", "-3"),
    ("7 mod 3", "1"), ("-7 mod 3", "-1"), ("6 | 1", "7"), ("6 & 3", "2"), ("6 ^ 3", "5"),
    ("~0", "-1"), ("1 << 4", "16"), ("256 >> 4", "16"), ("-(3)", "-3"),
    ("2 + 3 * 4", "14"), ("(2 + 3) * 4", "20"), ("10 - 2 - 3", "5"),
    ("2147483647 + 1", "-2147483648"), ("1 << 31", "-2147483648"),
    ("\"a\" + \"b\"", "ab"), ("\"a\" + 1", "a1"), ("1 + \"2\"", "3"), ("1 + \"x\"", "1"),
    ("(int)\"42\"", "42"), ("(int)\"abc\"", "0"), ("(int)\"\"", "0"), ("(str)42 + 1", "421"),
    ("1 == 1", "1"), ("1 == 2", "0"), ("1 != 2", "1"), ("\"a\" == \"a\"", "1"),
    ("\"a\" != \"b\"", "1"), ("2 < 3", "1"), ("3 <= 3", "1"), ("4 > 3", "1"), ("3 >= 4", "0"),
    ("\"abc\" < \"abd\"", "1"), ("1 == \"1\"", "1"), ("\"1\" == 1", "1"), ("\"01\" == 1", "0"),
    ("1 == \"01\"", "1"), ("\"01\" eq \"1\"", "0"), ("1 eq \"1\"", "1"), ("\"01\" ieq \"1\"", "1"),
    ("\"a\" ne \"b\"", "1"), ("\"2\" ine 3", "1"),
    ("1 && 0", "0"), ("1 && 2", "1"), ("0 || 0", "0"), ("0 || 3", "1"), ("!0", "1"), ("!5", "0"),
    ("yes", "1"), ("no", "0"), ("true", "1"), ("false", "0"), ("on", "1"), ("off", "0"),
    ("0x10", "16"), ("strlen(\"hello\")", "5"), ("strempty(\"\")", "1"), ("strempty(\"x\")", "0"),
    ("\"abc\" =~ \"B\"", "1"), ("\"abc\" =~ \"^b\"", "0"), ("1 / 0", "0"),
])
def test_operators(h, expr, want):
    assert ev(h, expr) == want


def test_single_quoted_string_and_escapes(h):
    assert ev(h, "'it\\'s'") == "it's"
    assert ev(h, '"a\\tb"') == "a\tb"


def test_bitwise_binds_looser_than_comparison(h):
    # Kamailio cfg.y: "|" has lower precedence than "==": 1 | (2 == 2)
    assert ev(h, "4 | 2 == 2") == "5"


def test_undefined_left_takes_right_type(h):
    assert ev(h, "$vn(u) == 0") == "1"
    assert ev(h, '$vn(u) == ""') == "1"
    assert ev(h, "$vn(u) + 1") == "1"


def test_null_comparisons(h):
    assert ev(h, "$vn(u) == $null") == "1"
    assert ev(h, "$var(u) == $null") == "0"
    assert ev(h, "$avp(none) == $null") == "1"
    assert ev(h, "$avp(none) != $null") == "0"


def test_defined(h):
    assert ev(h, "defined $avp(none)") == "0"
    assert ev(h, "defined $rU") == "1"


def test_strlen_of_pv(h):
    assert ev(h, "strlen($rU)") == "3"


def test_regex_dynamic(h):
    assert ev(h, '$rU =~ $var(p)', pre='$var(p) = "^BO";') == "1"


def test_regex_case_insensitive(h):
    assert ev(h, '$rm =~ "^invite$"') == "1"


def test_pv_string_not_true_unless_numeric(h):
    h.run('request_route { $var(s) = "abc"; if ($var(s)) { log("t"); } else { log("f"); } '
          '$var(n) = "5"; if ($var(n)) { log("t"); } }')
    assert h.calls == ["f", "t"]


def test_negative_pv_value_is_false_in_if(h):
    h.run('request_route { $var(s) = -1; if ($var(s)) { log("t"); } else { log("f"); } }')
    assert h.calls == ["f"]


def test_casts_on_pvs(h):
    assert ev(h, "(int)$var(s) + 1", pre='$var(s) = "41";') == "42"
    assert ev(h, "(str)$var(i) + 1", pre="$var(i) = 4;") == "41"


@pytest.mark.parametrize("expr,want", [
    ('method == "INVITE"', "1"), ('method == "invite"', "1"), ('method != "BYE"', "1"),
    ('uri == "sip:bob@example.com:5080;transport=udp"', "1"),
    ('uri =~ "example\\.com"', "1"), ('src_ip == "10.0.0.1"', "1"), ("src_port == 5060", "1"),
    ('dst_ip == "192.168.1.10"', "1"), ("dst_port == 5060", "1"), ("proto == udp", "1"),
    ("proto == UDP", "1"), ("af == INET", "1"), ('from_uri == "sip:alice@atlanta.com"', "1"),
    ('to_uri =~ "^sip:bob@"', "1"), ("uri == myself", "1"), ("from_uri == myself", "0"),
    ("from_uri != myself", "1"), ("src_ip == myself", "0"), ("dst_ip == myself", "1"),
])
def test_core_keywords(h, expr, want):
    assert ev(h, expr) == want


def test_status_keyword_on_reply(h):
    from route_helpers import make_msg
    reply = make_msg(b"SIP/2.0 404 Not Found\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\r\n"
                     b"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\n"
                     b"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
    h.run('reply_route { if (status == 404 && method == "INVITE") { log("nf $rs $rr"); } }',
          msg=reply, kind="reply")
    assert h.calls == ["nf 404 Not Found"]


def test_short_circuit(h):
    h.run('request_route { if (0 && f(5)) { noop(); } if (1 || f(6)) { log("x"); } }')
    assert h.calls == ["x"]


def test_comments(h):
    h.run('request_route {\n # hash\n // slashes\n /* block\n comment */ log("ok"); }')
    assert h.calls == ["ok"]


def test_string_concat_assignment(h):
    h.run('request_route { $ru = "sip:" + $rU + "@10.1.1.1"; log("$ru"); }')
    assert h.calls == ["sip:bob@10.1.1.1"]


def test_plus_assign(h):
    h.run('request_route { $var(x) = 1; $var(x) += 2; $var(s) = "a"; $var(s) += "b"; log("$var(x)$var(s)"); }')
    assert h.calls == ["3ab"]


def test_keywords_without_receive_info(h):
    from route_helpers import make_msg
    msg = make_msg()
    msg.rcv = None
    h.run('request_route { if (src_port) { log("t"); } else { log("f"); } '
          'if (src_port + 1 == 1) { log("one"); } }', msg=msg)
    assert h.calls == ["f", "one"]
