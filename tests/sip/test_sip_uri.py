"""URI parsing and serialisation (RFC 3261 §19.1, RFC 3966 tel)."""
import pytest

from siprouter.core.sip import SipParseError, Uri, parse_uri


def test_full_sip_uri():
    u = parse_uri("sips:alice:secret@[2001:db8::10]:5061;transport=tcp;lr;maddr=x?subject=hi&priority=urgent")
    assert u.scheme == "sips" and u.user == "alice" and u.password == "secret"
    assert u.host == "[2001:db8::10]" and u.port == 5061
    assert u.params == {"transport": "tcp", "lr": None, "maddr": "x"}
    assert u.headers == {"subject": "hi", "priority": "urgent"}
    assert u.transport == "tcp" and u.hostport == "[2001:db8::10]:5061"


def test_host_only_and_ipv4():
    u = parse_uri("sip:192.0.2.4")
    assert u.user is None and u.host == "192.0.2.4" and u.port is None
    assert str(u) == "sip:192.0.2.4"


def test_escapes_are_decoded_exactly_once_and_original_kept():
    text = "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31"
    u = parse_uri(text)
    assert u.user == "caller"
    assert u.params == {"lr": None, "name": "value%41"}
    assert str(u) == text                                 # unchanged: original text
    u.params["x"] = "1"
    assert str(u) == "sip:caller@host5.example.net;lr;name=value%2541;x=1"


def test_user_with_semicolon_and_escaped_at():
    u = parse_uri("sip:user;par=u%40example.net@example.com")
    assert u.user == "user;par=u@example.net" and u.host == "example.com" and u.params == {}
    u.host = "example.org"
    assert str(u) == "sip:user;par=u%40example.net@example.org"


def test_tel_and_opaque_schemes():
    t = parse_uri("tel:+1-201-555-0123;phone-context=example.com")
    assert t.scheme == "tel" and t.user == "+1-201-555-0123" and t.host is None
    assert t.params == {"phone-context": "example.com"}
    o = parse_uri("nobodyKnowsThisScheme:totallyopaquecontent")
    assert o.scheme == "nobodyknowsthisscheme" and o.opaque == "totallyopaquecontent"
    assert not o.is_sip and str(o) == "nobodyKnowsThisScheme:totallyopaquecontent"
    assert parse_uri("http://www.example.com").opaque == "//www.example.com"


def test_built_uri_and_copy():
    u = Uri("sip", "bob", host="example.com", port=5070, params={"transport": "tcp"})
    assert str(u) == "sip:bob@example.com:5070;transport=tcp"
    v = u.copy()
    v.params["lr"] = None
    assert "lr" not in u.params and str(v).endswith(";lr")
    assert u == parse_uri("sip:bob@EXAMPLE.com:5070;transport=tcp")


def test_nul_in_user_survives():
    u = parse_uri("sip:null-%00-null@example.com")
    assert u.user == "null-\x00-null"
    u.port = 1
    assert str(u) == "sip:null-%00-null@example.com:1"


@pytest.mark.parametrize("bad", [
    "", "sip", ":x", "sip:", "sip:@host", "sip:user@", "sip:host:port", "sip:host:99999",
    "sip:a b@host", "sip:[::1", "sip:h;;x", "sip:h?novalue", "1abc:x", "sip:ho<st",
])
def test_bad_uris(bad):
    with pytest.raises(SipParseError):
        parse_uri(bad)
