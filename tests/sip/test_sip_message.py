"""Parsing, header access, mutation and serialisation of messages."""
import pytest

from siprouter.core.sip import (
    CSeq, NameAddr, ReceiveInfo, SipParseError, SipRequest, SipResponse, Uri, Via,
    missing_required_headers, parse_message, single_value_violations,
)

from sip_samples import INVITE, INVITE_SDP


def test_request_start_line_and_basic_fields():
    msg = parse_message(INVITE)
    assert isinstance(msg, SipRequest) and msg.is_request
    assert msg.method == "INVITE"
    assert msg.version == "SIP/2.0"
    assert str(msg.uri) == "sip:bob@biloxi.example.com"
    assert msg.uri.user == "bob" and msg.uri.host == "biloxi.example.com"
    assert msg.call_id == "3848276298220188511@atlanta.example.com"
    assert msg.cseq == CSeq(1, "INVITE")
    assert msg.from_.tag == "9fxced76sl" and msg.from_.display == "Alice"
    assert msg.to.tag is None and msg.to.uri.user == "bob"
    assert msg.top_via.branch == "z9hG4bK74bf9"
    assert msg.top_via.rport == ""
    assert msg.top_via.port == 5060 and msg.top_via.transport == "UDP"
    assert msg.max_forwards == 70
    assert msg.content_length == len(INVITE_SDP)
    assert msg.body == INVITE_SDP
    assert [str(c.uri) for c in msg.contacts] == ["sip:alice@client.atlanta.example.com;transport=udp"]
    assert msg.contacts[0].uri.transport == "udp"


def test_response_parse():
    raw = (b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
           b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n"
           b"Call-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
    msg = parse_message(raw)
    assert isinstance(msg, SipResponse) and not msg.is_request
    assert (msg.status, msg.reason, msg.version) == (180, "Ringing", "SIP/2.0")
    assert msg.to.tag == "2"
    assert msg.to_bytes() == raw


def test_runtime_state_exists_on_every_message():
    msg = parse_message(INVITE)
    assert msg.rcv is None and msg.flags == 0 and msg.bflags == 0
    assert msg.dst_uri is None and msg.attrs == {}
    msg.rcv = ReceiveInfo("udp", "192.0.2.1", 5060, "192.0.2.2", 5060, 2)
    msg.flags |= 4
    msg.attrs["avps"] = {}
    with pytest.raises(AttributeError):
        msg.no_such_attribute = 1            # __slots__: no accidental attributes
    built = SipResponse(200, "OK")
    assert built.raw is None and built.flags == 0 and built.attrs == {}


def test_header_names_case_insensitive_and_compact():
    raw = (b"OPTIONS sip:x@example.com SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bKa\r\n"
           b"f: <sip:a@example.com>;tag=1\r\nt: sip:b@example.com\r\ni: cid\r\n"
           b"CSEQ: 2 OPTIONS\r\nm: <sip:a@h>\r\nk: path, outbound\r\nl: 0\r\n\r\n")
    msg = parse_message(raw)
    assert msg.get("Call-ID") == msg.get("i") == msg.get("CALL-id") == "cid"
    assert msg.has("Via") and msg.has("v") and not msg.has("Route")
    assert msg.get_all("Supported") == ["path", "outbound"]
    assert msg.header_names() == ["Via", "From", "To", "Call-ID", "CSeq", "Contact",
                                  "Supported", "Content-Length"]
    assert msg.cseq.number == 2


def test_comma_split_only_for_list_headers_and_not_inside_quotes_or_brackets():
    raw = (b"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa, "
           b"SIP/2.0/TCP g:5070;branch=z9hG4bKb\r\nVia: SIP/2.0/UDP k;branch=z9hG4bKc\r\n"
           b"From: \"Bell, Alexander\" <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\n"
           b"Call-ID: c\r\nCSeq: 1 REGISTER\r\n"
           b"Contact: \"A, B\" <sip:a,b@h1>;q=0.5, <sip:c@h2;x=1,2>\r\n"
           b"WWW-Authenticate: Digest realm=\"a,b\", nonce=\"n\", algorithm=MD5\r\n"
           b"Authorization: Digest username=\"u\", realm=\"r\"\r\n"
           b"Date: Sat, 13 Nov 2010 23:29:00 GMT\r\nContent-Length: 0\r\n\r\n")
    msg = parse_message(raw)
    assert [v.host for v in msg.vias] == ["h", "g", "k"]
    assert msg.count("Via") == 2 and len(msg.get_all("Via")) == 3
    assert [c.uri.user for c in msg.contacts] == ["a,b", "c"]
    assert msg.contacts[0].display == "A, B" and msg.contacts[0].params == {"q": "0.5"}
    assert msg.get_all("WWW-Authenticate") == [
        'Digest realm="a,b", nonce="n", algorithm=MD5']
    assert len(msg.get_all("Authorization")) == 1
    assert msg.get_all("Date") == ["Sat, 13 Nov 2010 23:29:00 GMT"]
    assert msg.from_.display == "Bell, Alexander"


def test_folding_is_joined_with_one_space():
    raw = (b"OPTIONS sip:x@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n ;branch=z9hG4bKa\r\n"
           b"Subject: first\r\n\tsecond\r\nFrom: <sip:a@example.com>;tag=1\r\n"
           b"To: <sip:b@example.com>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
    msg = parse_message(raw)
    assert msg.get("Subject") == "first second"
    assert msg.top_via.branch == "z9hG4bKa"
    assert msg.to_bytes() == raw
    msg.add_header("X-A", "1")
    assert b"Subject: first\r\n\tsecond\r\n" in msg.to_bytes()   # untouched line kept


def test_untouched_round_trip_is_identical_and_changed_message_is_rebuilt():
    msg = parse_message(INVITE)
    _ = (msg.uri, msg.top_via, msg.from_, msg.to, msg.contacts, msg.cseq)
    assert msg.to_bytes() is msg.raw
    msg.body = b"abc"
    out = msg.to_bytes()
    assert out.endswith(b"\r\nContent-Length: 3\r\n\r\nabc")
    again = parse_message(out)
    assert again.body == b"abc" and again.content_length == 3


def test_rebuild_adds_missing_content_length_and_drops_duplicates():
    raw = (b"INVITE sip:x@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\n"
           b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c\r\n"
           b"CSeq: 1 INVITE\r\n\r\nbody")
    msg = parse_message(raw)                  # datagram: body to the end
    assert msg.body == b"body" and msg.content_length is None
    msg.add_header("Max-Forwards", "70")
    out = msg.to_bytes()
    assert out.endswith(b"Max-Forwards: 70\r\nContent-Length: 4\r\n\r\nbody")
    raw2 = raw.replace(b"\r\n\r\n", b"\r\nContent-Length: 4\r\nl: 4\r\n\r\n")
    msg2 = parse_message(raw2)
    msg2.set_header("Subject", "s")
    assert msg2.to_bytes().count(b"Content-Length") + msg2.to_bytes().count(b"\r\nl:") == 1


def test_mutators():
    msg = parse_message(INVITE)
    msg.add_header("Record-Route", "<sip:p1.example.com;lr>", first=True)
    assert msg.header_names()[0] == "Record-Route"
    msg.add_header("Via", "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKproxy", first=True)
    assert msg.header_names()[1] == "Via"          # above the existing Via
    assert msg.top_via.host == "proxy.example.com"
    assert len(msg.vias) == 2
    msg.insert_header_after("Call-ID", "X-Test", "1")
    names = msg.header_names()
    assert names[names.index("Call-ID") + 1] == "X-Test"
    assert msg.remove_header("x-test") == 1 and not msg.has("X-Test")
    assert msg.remove_header("X-None") == 0
    msg.set_header("Max-Forwards", "69")
    assert msg.max_forwards == 69 and msg.count("Max-Forwards") == 1
    msg.set_header("Subject", "hi")
    assert msg.get("subject") == "hi"
    top = msg.pop_top_via()
    assert top.host == "proxy.example.com" and msg.top_via.host == "client.atlanta.example.com"
    via = msg.top_via
    via.received = "192.0.2.7"
    via.rport = "5062"
    msg.set_top_via(via)
    reparsed = parse_message(msg.to_bytes())
    assert reparsed.top_via.received == "192.0.2.7" and reparsed.top_via.rport == "5062"
    assert reparsed.get("Record-Route") == "<sip:p1.example.com;lr>"
    assert reparsed.body == INVITE_SDP
    with pytest.raises(ValueError):
        msg.add_header("X-Bad", "a\r\nInjected: 1")
    with pytest.raises(ValueError):
        msg.add_header("X Bad:", "a")


def test_set_top_via_keeps_other_vias_in_same_field():
    raw = (b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2\r\n"
           b"From: <sip:a@e.com>;tag=1\r\nTo: <sip:b@e.com>;tag=2\r\nCall-ID: c\r\n"
           b"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
    msg = parse_message(raw)
    assert msg.pop_top_via().host == "a"
    assert [v.host for v in msg.vias] == ["b"]
    assert parse_message(msg.to_bytes()).top_via.branch == "z9hG4bK2"


def test_request_uri_assignment_and_in_place_change():
    msg = parse_message(INVITE)
    msg.uri = "sip:carol@chicago.example.com"
    assert msg.to_bytes().startswith(b"INVITE sip:carol@chicago.example.com SIP/2.0\r\n")
    msg2 = parse_message(INVITE)
    msg2.uri.user = "dave"
    assert msg2.to_bytes().startswith(b"INVITE sip:dave@biloxi.example.com SIP/2.0\r\n")
    msg3 = parse_message(INVITE)
    msg3.uri = Uri("sips", "eve", host="example.org", port=5061)
    assert msg3.to_bytes().startswith(b"INVITE sips:eve@example.org:5061 SIP/2.0\r\n")


def test_copy_is_independent():
    msg = parse_message(INVITE)
    msg.attrs["avps"] = {"a": 1}
    msg.flags = 3
    dup = msg.copy()
    dup.set_header("Max-Forwards", "1")
    dup.uri.user = "zed"
    dup.attrs["avps"]["b"] = 2
    assert msg.max_forwards == 70 and msg.uri.user == "bob"
    assert "b" not in msg.attrs["avps"] and dup.flags == 3
    assert msg.to_bytes() == INVITE
    assert dup.max_forwards == 1


def test_contact_star_and_expires():
    raw = (b"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\n"
           b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: c\r\n"
           b"CSeq: 1 REGISTER\r\nContact: *\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n")
    msg = parse_message(raw)
    assert msg.contact_star and msg.contacts == [] and msg.expires == 0


def test_routes_and_record_routes():
    raw = (b"BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\n"
           b"Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\nRoute: <sip:p3;lr>\r\n"
           b"Record-Route: <sip:rr.example.com;lr>\r\n"
           b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\nCall-ID: c\r\n"
           b"CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n")
    msg = parse_message(raw)
    assert [r.uri.host for r in msg.routes] == ["p1.example.com", "p2.example.com", "p3"]
    assert "lr" in msg.routes[0].uri.params
    assert msg.record_routes[0].uri.host == "rr.example.com"


def test_checks_helpers():
    raw = (b"INVITE sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\nCSeq: 1 INVITE\r\n"
           b"CSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n")
    msg = parse_message(raw)
    assert single_value_violations(msg) == ["CSeq"]
    assert missing_required_headers(msg) == ["From", "To", "Call-ID"]
    assert missing_required_headers(msg, max_forwards=True) == ["From", "To", "Call-ID",
                                                                "Max-Forwards"]


def test_lf_only_line_ends_and_leading_crlf_are_tolerated():
    raw = (b"\r\nOPTIONS sip:x@h SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\n"
           b"From: <sip:a@example.com>;tag=1\nTo: <sip:b@example.com>\nCall-ID: c\n"
           b"CSeq: 1 OPTIONS\nContent-Length: 2\n\nab")
    msg = parse_message(raw)
    assert msg.body == b"ab" and msg.call_id == "c"
    assert msg.raw == raw[2:]


@pytest.mark.parametrize("raw, status, kind", [
    (b"", 400, "empty"),
    (b"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nContent-Length: x\r\n\r\n", 400,
     "content-length"),
    (b"OPTIONS sip:x@h SIP/3.0\r\nVia: SIP/2.0/UDP h\r\nContent-Length: 0\r\n\r\n", 505,
     "version"),
    (b"SIP/2.0 1000 Big\r\nVia: SIP/2.0/UDP h\r\nContent-Length: 0\r\n\r\n", 400,
     "status-line"),
    (b"SIP/2.0 099 Small\r\nVia: SIP/2.0/UDP h\r\nContent-Length: 0\r\n\r\n", 400,
     "status-line"),
    (b"OPTIONS sip:x@h SIP/2.0\r\nBad Header: 1\r\nContent-Length: 0\r\n\r\n", 400, "header"),
    (b"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h:99999\r\nContent-Length: 0\r\n\r\n", 400,
     "via"),
    (b"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nCSeq: x OPTIONS\r\n\r\n", 400, "cseq"),
    (b"OPTIONS sip:x@ SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nCSeq: 1 OPTIONS\r\n\r\n", 400, "uri"),
])
def test_parse_errors(raw, status, kind):
    with pytest.raises(SipParseError) as info:
        parse_message(raw)
    assert info.value.status == status
    assert info.value.kind == kind
    assert info.value.reason


def test_max_size_gives_513():
    with pytest.raises(SipParseError) as info:
        parse_message(INVITE, max_size=100)
    assert info.value.status == 513


def test_stream_message_needs_content_length():
    raw = INVITE.replace(b"Content-Length: ", b"X-Length: ")
    assert parse_message(raw).body == INVITE_SDP
    with pytest.raises(SipParseError) as info:
        parse_message(raw, datagram=False)
    assert info.value.reason == "Missing Content-Length"
    assert info.value.partial.call_id == "3848276298220188511@atlanta.example.com"


def test_partial_lets_a_server_answer():
    raw = INVITE.replace(b"CSeq: 1 INVITE", b"CSeq: 99999999999 INVITE")
    with pytest.raises(SipParseError) as info:
        parse_message(raw)
    err = info.value
    assert err.is_request and err.status == 400
    assert err.partial.get("Call-ID") and err.partial.get("Via")


def test_locally_built_request_serialises():
    req = SipRequest("OPTIONS", "sip:bob@example.com")
    req.add_header("Via", str(Via("UDP", "192.0.2.1", 5060, {"branch": "z9hG4bKx"})))
    req.add_header("From", str(NameAddr("sip:alice@example.com", "Alice", {"tag": "1"})))
    req.add_header("To", "<sip:bob@example.com>")
    req.add_header("Call-ID", "abc")
    req.add_header("CSeq", str(CSeq(1, "OPTIONS")))
    req.add_header("Max-Forwards", "70")
    out = req.to_bytes()
    assert out.startswith(b"OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx\r\n")
    assert out.endswith(b"Content-Length: 0\r\n\r\n")
    back = parse_message(out)
    assert back.from_.display == "Alice" and back.cseq == (1, "OPTIONS")


def test_headers_list_add_via_bytes_and_uri_text():
    msg = parse_message(INVITE)
    assert msg.headers()[0] == ("Via", "SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;rport")
    msg.add_via(Via("TCP", "edge.example.com", None, {"branch": "z9hG4bKe"}))
    assert msg.top_via.transport == "TCP" and len(msg.vias) == 2
    assert bytes(msg) == msg.to_bytes()
    assert msg.uri_text == "sip:bob@biloxi.example.com"
    assert msg.content_type == "application/sdp"


def test_folded_header_with_lf_line_ends():
    raw = (b"OPTIONS sip:x@h SIP/2.0\nVia: SIP/2.0/UDP h\n ;branch=z9hG4bKa\n"
           b"From: <sip:a@example.com>;tag=1\nTo: <sip:b@example.com>\nCall-ID: c\n"
           b"CSeq: 1 OPTIONS\nContent-Length: 0\n\n")
    msg = parse_message(raw)
    assert msg.top_via.branch == "z9hG4bKa"
    msg.add_header("X", "1")
    assert parse_message(msg.to_bytes()).top_via.branch == "z9hG4bKa"


def test_compact_content_length_is_rewritten_in_place():
    raw = (b"MESSAGE sip:x@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\nl: 2\r\n"
           b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: c\r\n"
           b"CSeq: 1 MESSAGE\r\n\r\nhi")
    msg = parse_message(raw)
    msg.body = "hello"
    assert b"\r\nl: 5\r\n" in msg.to_bytes() and msg.to_bytes().endswith(b"\r\n\r\nhello")
    assert msg.remove_header("Content-Length") == 1
    assert msg.to_bytes().endswith(b"Content-Length: 5\r\n\r\nhello")


def test_bytearray_and_memoryview_input():
    for data in (bytearray(INVITE), memoryview(INVITE)):
        msg = parse_message(data)
        assert type(msg.raw) is bytes and msg.to_bytes() == INVITE


# -- mutators keep the views of the headers they do not touch ---------------------
def test_views_of_untouched_headers_survive_a_change_of_another_header():
    # add_header/set_header/remove_header keep the parser's From/To matches and
    # the CSeq when another header changes (a proxy adds Via and Record-Route,
    # then reads the tags): same values as a fresh parse of the new wire form
    msg = parse_message(INVITE)
    msg.add_header("Record-Route", "<sip:p.example.com;lr>", first=True)
    msg.add_header("Via", "SIP/2.0/UDP p.example.com;branch=z9hG4bKp1", first=True)
    msg.set_header("Max-Forwards", "69")
    msg.remove_header("Contact")
    again = parse_message(msg.to_bytes())
    for m in (msg, again):
        assert m.from_tag == "9fxced76sl" and m.to_tag is None
        assert m.cseq == CSeq(1, "INVITE")
        assert str(m.from_) == str(again.from_) and str(m.to) == str(again.to)
        assert m.top_via.branch == "z9hG4bKp1" and len(m.vias) == 2
        assert m.contacts == [] and m.max_forwards == 69


@pytest.mark.parametrize("name", ["From", "f", "FROM"])
def test_changing_from_drops_its_view(name):
    msg = parse_message(INVITE)
    assert msg.from_tag == "9fxced76sl"
    msg.set_header(name, "<sip:x@example.com>;tag=new")
    assert msg.from_tag == "new" and msg.from_.tag == "new"
    assert msg.cseq == CSeq(1, "INVITE")


def test_changing_to_and_cseq_drops_their_views():
    msg = parse_message(INVITE)
    assert msg.to_tag is None and msg.cseq == CSeq(1, "INVITE")
    msg.set_header("t", "<sip:bob@biloxi.example.com>;tag=t1")     # compact form
    msg.set_header("CSeq", "2 BYE")
    assert msg.to_tag == "t1" and msg.to.tag == "t1"
    assert msg.cseq == CSeq(2, "BYE")
    msg.remove_header("To")
    assert msg.to is None and msg.to_tag is None
    msg.add_header("To", "<sip:c@example.com>;tag=t2")
    assert msg.to_tag == "t2"


def test_absent_header_view_is_refreshed_when_it_is_added():
    msg = parse_message(INVITE)
    msg.remove_header("From")
    assert msg.from_ is None
    msg.add_header("Via", "SIP/2.0/UDP p;branch=z9hG4bKq", first=True)
    assert msg.from_ is None
    msg.insert_header_after("Via", "From", "<sip:a@example.com>;tag=back")
    assert msg.from_tag == "back"


def test_a_copy_keeps_the_shared_views_correct_after_changes():
    msg = parse_message(INVITE)
    msg.add_header("Via", "SIP/2.0/UDP p;branch=z9hG4bKq", first=True)
    copy = msg.copy()
    copy.set_header("From", "<sip:z@example.com>;tag=z")
    assert msg.from_tag == "9fxced76sl" and copy.from_tag == "z"
    assert copy.top_via.branch == "z9hG4bKq"


# -- _new_line: header names given by code -------------------------------------------
def test_added_header_names_are_validated_every_time_and_spelled_canonically():
    msg = parse_message(INVITE)
    for _ in range(2):                       # (the second time from the name table)
        with pytest.raises(ValueError):
            msg.add_header("Bad Name", "x")
        with pytest.raises(ValueError):
            msg.add_header("X-Ok", "a\r\nInjected: 1")
    msg.add_header("record-route", "<sip:p;lr>")
    msg.add_header("  record-route ", "<sip:q;lr>")
    msg.add_header("x-Custom-Thing", 7)       # non-str value: str()-ed
    msg.add_header("x-Custom-Thing", " padded ")
    wire = msg.to_bytes()
    assert b"\r\nRecord-Route: <sip:p;lr>\r\n" in wire
    assert b"\r\nRecord-Route: <sip:q;lr>\r\n" in wire
    assert b"\r\nx-Custom-Thing: 7\r\n" in wire and b"\r\nx-Custom-Thing: padded\r\n" in wire
    assert msg.get_all("x-custom-thing") == ["7", "padded"]


def test_set_header_keeps_the_place_of_the_field():
    msg = parse_message(INVITE)
    names = msg.header_names()
    msg.set_header("Max-Forwards", "5")                 # one field: rewritten in place
    assert msg.header_names() == names and msg.max_forwards == 5
    msg.add_header("X-Two", "1")
    msg.insert_header_after("Max-Forwards", "X-Two", "2")
    msg.set_header("X-Two", "3")                         # two fields -> one, at the first
    assert msg.get_all("X-Two") == ["3"]
    assert msg.header_names().index("X-Two") == names.index("Max-Forwards") + 1
    msg.set_header("X-New", "n")                         # absent: appended
    assert msg.header_names()[-1] == "X-New"


def test_get_unfolds_a_folded_value():
    data = INVITE.replace(b"\r\nCall-ID: ", b"\r\nSubject: first\r\n  second\r\nCall-ID: ", 1)
    msg = parse_message(data)
    assert msg.get("Subject") == "first second" and msg.get("s") == "first second"
    assert msg.get("Call-ID") == "3848276298220188511@atlanta.example.com"
    assert msg.get("X-Absent") is None


@pytest.mark.parametrize("where", ["last", "middle"])
def test_to_bytes_rewrites_the_content_length_wherever_it_is(where):
    data = INVITE
    if where == "middle":
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        cl = next(line for line in lines if line.lower().startswith(b"content-length"))
        lines.remove(cl)
        lines.insert(2, cl)
        data = b"\r\n".join(lines) + b"\r\n\r\n" + body
    msg = parse_message(data)
    msg.body = b"v=0\r\n"
    wire = msg.to_bytes()
    again = parse_message(wire)
    assert again.body == b"v=0\r\n" and again.content_length == 5
    assert again.count("Content-Length") == 1
    assert again.header_names() == msg.header_names()


@pytest.mark.parametrize("vias", [
    ["Via: SIP/2.0/UDP p1;branch=z9hG4bK1", "Via: SIP/2.0/UDP p2;branch=z9hG4bK2;received=1.2.3.4"],
    ["Via: SIP/2.0/UDP p1;branch=z9hG4bK1, SIP/2.0/TCP p2;branch=z9hG4bK2",
     "Via: SIP/2.0/UDP p3;branch=z9hG4bK3"],
    ['Via: SIP/2.0/UDP p1;branch=z9hG4bK1;x="a,b"', "v: SIP/2.0/UDP p2;branch=z9hG4bK2"],
    ["Via: SIP/2.0/UDP p1;branch=z9hG4bK1"],
])
def test_pop_top_via_leaves_the_views_a_fresh_parse_gives(vias):
    head = "SIP/2.0 200 OK\r\n" + "\r\n".join(vias) + (
        "\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c\r\n"
        "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
    msg = parse_message(head.encode())
    before = [str(v) for v in msg.vias]
    top = msg.pop_top_via()
    assert str(top) == before[0]
    fresh = parse_message(msg.to_bytes())
    assert [str(v) for v in msg.vias] == [str(v) for v in fresh.vias] == before[1:]
    assert (msg.top_via and str(msg.top_via)) == (fresh.top_via and str(fresh.top_via))
    if len(before) > 1:
        assert str(msg.pop_top_via()) == before[1]
        assert [str(v) for v in msg.vias] == before[2:]
