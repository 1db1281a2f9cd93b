"""Via, name-addr, CSeq and the generic header helpers."""
import pytest

from siprouter.core.sip import CSeq, NameAddr, SipParseError, Via, split_commas
from siprouter.core.sip.headers import header_key


def test_via_fields():
    v = Via.parse("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;received=10.0.0.1;rport=5070;maddr=224.2.0.1;ttl=16")
    assert (v.protocol, v.transport, v.host, v.port) == ("SIP/2.0", "UDP", "192.0.2.1", 5060)
    assert v.branch == "z9hG4bK776" and v.received == "10.0.0.1" and v.rport == "5070"
    assert v.maddr == "224.2.0.1" and v.ttl == 16
    assert str(v) == "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;received=10.0.0.1;rport=5070;maddr=224.2.0.1;ttl=16"


def test_via_lws_ipv6_and_rport_flag():
    v = Via.parse("SIP  /   2.0 / tcp   [2001:db8::1]:5061 ;  rport ; BRANCH = z9hG4bKx")
    assert v.transport == "TCP" and v.host == "[2001:db8::1]" and v.port == 5061
    assert v.rport == "" and v.branch == "z9hG4bKx"
    assert Via.parse("SIP/2.0/UDP h").rport is None
    v.rport = 1234
    v.received = "192.0.2.9"
    assert str(v) == "SIP/2.0/TCP [2001:db8::1]:5061;rport=1234;branch=z9hG4bKx;received=192.0.2.9"


@pytest.mark.parametrize("bad", [
    "SIP/2.0 host", "SIP/2.0/UDP", "SIP/2.0/UDP h;;", "SIP/2.0/UDP h:x", "SIP/2.0/UDP h;a=1;",
    "SIP/2.0/UDP [::1", "SIP/2.0/UDP ho$t",
])
def test_bad_via(bad):
    with pytest.raises(SipParseError):
        Via.parse(bad)


def test_nameaddr_forms():
    a = NameAddr.parse('"J Rosenberg \\\\\\"" <sip:jdrosen@example.com> ; tag = 98asjd8')
    assert a.display == 'J Rosenberg \\"' and a.tag == "98asjd8"
    assert a.uri.user == "jdrosen"
    b = NameAddr.parse("sip:+19725552222@gw1.example.net;unknownparam")
    assert b.params == {"unknownparam": None} and b.uri.params == {}
    c = NameAddr.parse("<sip:+19725552222@gw1.example.net;unknownparam>")
    assert c.params == {} and c.uri.params == {"unknownparam": None}
    d = NameAddr.parse("caller<sip:caller@example.com>;tag=323")
    assert d.display == "caller" and d.tag == "323"
    e = NameAddr.parse("token1~` token2'+_ <sip:m@example.com>")
    assert e.display == "token1~` token2'+_"


def test_nameaddr_serialise_and_tag():
    a = NameAddr.parse("Bob <sip:bob@example.com>")
    a.tag = "abc"
    assert str(a) == "Bob <sip:bob@example.com>;tag=abc"
    a.display = 'Say "hi"'
    assert str(a) == '"Say \\"hi\\"" <sip:bob@example.com>;tag=abc'
    b = a.copy()
    b.tag = None
    assert a.tag == "abc" and b.tag is None


@pytest.mark.parametrize("bad", ['"open <sip:a@b>', "<sip:a@b", "<sip:a@b> junk", "", "<>",
                                 '"x" sip:a@b', "sip:a@b;;"])
def test_bad_nameaddr(bad):
    with pytest.raises(SipParseError):
        NameAddr.parse(bad)


def test_cseq():
    assert CSeq.parse("0009\r\n  INVITE".replace("\r\n", " ")) == (9, "INVITE")
    assert str(CSeq(4294967295, "ACK")) == "4294967295 ACK"
    for bad in ["4294967296 INVITE", "1", "x INVITE", "1 INV<ITE", "-1 INVITE"]:
        with pytest.raises(SipParseError):
            CSeq.parse(bad)


def test_split_commas_and_keys():
    assert split_commas('"a,b" <sip:x>, <sip:y,z>,w') == ['"a,b" <sip:x>', "<sip:y,z>", "w"]
    assert split_commas("a,,b") == ["a", "", "b"]
    assert header_key("v") == "via" and header_key("CALL-ID") == "call-id"
    assert header_key("X-Custom") == "x-custom"
