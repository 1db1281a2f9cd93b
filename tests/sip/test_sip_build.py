"""make_response and reason_phrase (RFC 3261 §8.2.6)."""
import pytest

from siprouter.core.sip import SipParseError, make_response, parse_message, reason_phrase

from sip_samples import INVITE


def test_response_copies_headers_and_adds_to_tag():
    req = parse_message(INVITE.replace(b"Via: ", b"Via: SIP/2.0/UDP p.example.com;branch=z9hG4bKp\r\nVia: ", 1))
    resp = make_response(req, 486, to_tag="abc")
    assert (resp.status, resp.reason) == (486, "Busy Here")
    assert resp.header_names() == ["Via", "Via", "From", "To", "Call-ID", "CSeq", "Content-Length"]
    assert [v.host for v in resp.vias] == ["p.example.com", "client.atlanta.example.com"]
    assert resp.to.tag == "abc" and resp.from_.tag == "9fxced76sl"
    assert resp.call_id == req.call_id and resp.cseq == req.cseq
    wire = resp.to_bytes()
    assert wire.startswith(b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP p.example.com;branch=z9hG4bKp\r\n")
    assert wire.endswith(b"Content-Length: 0\r\n\r\n")
    assert parse_message(wire).to.tag == "abc"


def test_existing_to_tag_kept_and_100_gets_none():
    req = parse_message(INVITE.replace(b"To: Bob <sip:bob@biloxi.example.com>",
                                       b"To: Bob <sip:bob@biloxi.example.com>;tag=old"))
    assert make_response(req, 200, to_tag="new").to.tag == "old"
    plain = parse_message(INVITE.replace(b"CSeq: 1 INVITE", b"CSeq: 1 INVITE\r\nTimestamp: 54"))
    trying = make_response(plain, 100, to_tag="x")
    assert trying.to.tag is None and trying.get("Timestamp") == "54"
    assert make_response(plain, 183, "Early").reason == "Early"


def test_reply_from_partial_of_a_parse_error():
    bad = INVITE.replace(b"To: Bob <sip:bob@biloxi.example.com>", b'To: "Bob <sip:bob@biloxi.example.com>')
    with pytest.raises(SipParseError) as info:
        parse_message(bad)
    resp = make_response(info.value.partial, info.value.status, info.value.reason, to_tag="t1")
    wire = resp.to_bytes()
    assert wire.startswith(b"SIP/2.0 400 Bad To header (unterminated quoted string)\r\n")
    assert b'To: "Bob <sip:bob@biloxi.example.com>;tag=t1\r\n' in wire


def test_reason_phrase():
    assert reason_phrase(200) == "OK" and reason_phrase(404) == "Not Found"
    assert reason_phrase(483) == "Too Many Hops" and reason_phrase(505) == "Version Not Supported"
    assert reason_phrase(499) == "Client Error" and reason_phrase(1000) == "Unknown"
