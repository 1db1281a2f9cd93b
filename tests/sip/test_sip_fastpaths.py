"""The parser's line fast paths give what the general value parsers give.

``parse_message`` validates Via, From, To and CSeq by matching each whole
header line with one regex (nameaddr.line_match, via.line_match,
cseq.line_match) and builds the views from the groups; anything else goes
through ``line_value`` + ``Via.parse`` / ``NameAddr.parse`` / ``CSeq.parse``.
These tests pin that both routes agree -- values, errors and 400s -- on the
shapes at the border of the fast paths (blanks, tabs, case, parameter count,
quotes, commas, bare LF, non-ASCII, out-of-range ports), and that a
malformed header still turns the whole message into a 400 at parse time,
which is what the server relies on (core/server.py answers a SipParseError
from ``parse_message`` with 400 before routing).
"""
import pytest

from siprouter.core.sip import CSeq, NameAddr, SipParseError, Via, parse_message, parse_uri
from siprouter.core.sip.message import line_value


def _request(*headers: str, uri: str = "sip:bob@example.com", method: str = "INVITE") -> bytes:
    head = [f"{method} {uri} SIP/2.0", *headers]
    if not any(h.lower().startswith("content-length") for h in headers):
        head.append("Content-Length: 0")
    return ("\r\n".join(head) + "\r\n\r\n").encode("utf-8", "surrogateescape")


BASE = {
    "via": "Via: SIP/2.0/UDP h.example.com;branch=z9hG4bK1",
    "from": "From: <sip:a@example.com>;tag=1",
    "to": "To: <sip:b@example.com>",
    "call-id": "Call-ID: c1",
    "cseq": "CSeq: 1 INVITE",
}


def _with(**repl: str) -> bytes:
    lines = dict(BASE)
    for key, line in repl.items():
        lines[key.replace("_", "-")] = line
    return _request(*lines.values())


def _via_reference(line: str) -> list[tuple]:
    value = line_value(line)
    from siprouter.core.sip.via import parse_via_list
    vias = parse_via_list(value) if "," in value else [Via.parse(value)]
    return [(v.protocol, v.transport, v.host, v.port, list(v.params.items())) for v in vias]


VIA_LINES = [
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport",
    "Via:SIP/2.0/UDP h;branch=z9hG4bKx",
    "Via: \t SIP/2.0/UDP h:5060;branch=z9hG4bKx \t ",
    "Via: SIP/2.0/tcp h;branch=z9hG4bKx",
    "Via: SIP/2.0/UDP h;Branch=Upper;RPORT",             # upper-case names: lowered
    "Via: SIP/2.0/UDP h;branch=a=b;rport=;received=1.2.3.4;ttl=5;maddr=x",   # > 4 params
    "Via: SIP/2.0/UDP [2001:db8::1]:5061;branch=z9hG4bKx",
    "Via: SIP/2.0/UDP h;branch=z9hG4bK1, SIP/2.0/TCP g;branch=z9hG4bK2",   # a list
    'Via: SIP/2.0/UDP h;branch=z9hG4bK1;x="a,b"',        # comma inside quotes
    "Via: SIP/2.0/UDP host.example.com.;branch=z9hG4bKx",  # host ending with a dot
    "Via: SIP/2.0/UDP h;branch=z9hG4bKx;",              # empty parameter: 400
    "Via: SIP/2.0/UDP h;;branch=z9hG4bKx",              # empty parameter: 400
    "Via: SIP/2.0/UDP h:65536;branch=z9hG4bKx",         # port out of range: 400
    "Via: SIP/2.0/UDP h:0;branch=z9hG4bKx",
    "Via: SIP/2.0/UDP h;branch=z9hG4bK\xe9",            # non-ASCII value
    "Via: SIP / 2.0 / UDP h;branch=z9hG4bKx",           # LWS around "/"
]


@pytest.mark.parametrize("line", VIA_LINES)
def test_via_line_fast_path_agrees_with_via_parse(line):
    try:
        expected = _via_reference(line)
    except SipParseError as exc:
        with pytest.raises(SipParseError) as err:
            parse_message(_with(via=line))
        assert (err.value.reason, err.value.kind, err.value.status) == \
            (exc.reason, exc.kind, 400)
        assert err.value.partial is not None and err.value.is_request
        return
    msg = parse_message(_with(via=line))
    assert [(v.protocol, v.transport, v.host, v.port, list(v.params.items()))
            for v in msg.vias] == expected
    # the lazy route (no validation in the parser) gives the same views
    lazy = parse_message(_with(via=line), validate=False)
    assert [str(v) for v in lazy.vias] == [str(v) for v in msg.vias]


NAMEADDR_LINES = [
    'From: "Alice Liddell" <sip:alice@atlanta.example.com>;tag=1928301774',
    "From: Bob <sip:bob@biloxi.example.com>",
    "From:<sip:b@h>",
    "From: \t <sip:b@h>;tag=x \t ",
    "From: <sip:b@h>;TAG=Up",
    "From: <sip:b@h>;tag=",
    "From: <sip:b@h>;tag",
    "From: <sip:b@h>;tag=1;x=2;y",
    "From: <sip:b@h>;x=2;tag=1",
    'From: "A \\"q\\"" <sip:b@h>;tag=1',                 # escaped quote: general path
    'From: "Bell, Alexander" <sip:a@h>;tag=1',
    "From: sip:b@h;tag=1",                               # addr-spec
    "From: <sip:b\xe9@h>;tag=1",                          # non-ASCII URI
    "From: <sip:b@h>;tag=\xe9",
    'From: "unterminated <sip:b@h>;tag=1',               # 400 quotbal
    "From: <sip:b@h",                                    # 400 missing >
    "From: <sip:b@h>junk",                               # 400 text after >
    "From: <sip:b@h>;;tag=1",                            # 400 empty parameter
]


@pytest.mark.parametrize("line", NAMEADDR_LINES)
def test_from_to_line_fast_path_agrees_with_nameaddr_parse(line):
    for key in ("from", "to"):
        hline = line if key == "from" else "To" + line[4:]
        where = "From" if key == "from" else "To"
        try:
            ref = NameAddr.parse(line_value(hline), where)
        except SipParseError as exc:
            with pytest.raises(SipParseError) as err:
                parse_message(_with(**{key: hline}))
            assert (err.value.reason, err.value.kind) == (exc.reason, exc.kind)
            assert err.value.status == 400 and err.value.partial is not None
            continue
        msg = parse_message(_with(**{key: hline}))
        na = msg.from_ if key == "from" else msg.to
        tag = msg.from_tag if key == "from" else msg.to_tag
        assert (na.display, na.uri_text, list(na.params.items()), str(na)) == \
            (ref.display, ref.uri_text, list(ref.params.items()), str(ref))
        assert tag == ref.tag
        # a copy shares the parser's result and rebuilds the same view
        copy = parse_message(_with(**{key: hline})).copy()
        cna = copy.from_ if key == "from" else copy.to
        assert str(cna) == str(ref)


@pytest.mark.parametrize("line, expected", [
    ("CSeq: 314159 INVITE", CSeq(314159, "INVITE")),
    ("CSeq:1 INVITE", CSeq(1, "INVITE")),
    ("CSeq: \t 7 INVITE \t ", CSeq(7, "INVITE")),
    ("CSeq: 1234567890 INVITE", CSeq(1234567890, "INVITE")),   # 10 digits: general path
    ("CSeq: 01 INVITE", CSeq(1, "INVITE")),
    ("CSeq: 1  INVITE", CSeq(1, "INVITE")),                     # two blanks: general path
    ("CSeq: 4294967296 INVITE", "CSeq number too large"),
    ("CSeq: 1", "Bad CSeq header"),
    ("CSeq: x INVITE", "Bad CSeq number"),
])
def test_cseq_line_fast_path(line, expected):
    data = _with(cseq=line)
    if isinstance(expected, str):
        with pytest.raises(SipParseError) as err:
            parse_message(data)
        assert err.value.reason == expected and err.value.status == 400
        return
    assert parse_message(data).cseq == expected
    assert parse_message(data, validate=False).cseq == expected


@pytest.mark.parametrize("uri", [
    "sip:bob@example.com", "sip:bob@example.com:5070", "sips:example.com",
    "sip:bob@[2001:db8::1]:5061", "sip:bob@example.com;transport=tcp;lr",
    "sip:bob@example.com?subject=x",                  # headers: 400
    "sip:bob@example.com:65536",                      # port: 400
    "sip:b%41b@example.com", "tel:+1234", "sip:bob@exa\xe9mple.com",
])
def test_request_uri_inline_fast_path_agrees_with_parse_uri(uri):
    data = _with(cseq="CSeq: 1 INVITE")
    data = data.replace(b"sip:bob@example.com", uri.encode("utf-8", "surrogateescape"), 1)
    try:
        ref = parse_uri(uri)
        if ref.headers and ref.is_sip:
            raise SipParseError("Headers in Request-URI", kind="request-uri")
    except SipParseError as exc:
        with pytest.raises(SipParseError) as err:
            parse_message(data)
        assert (err.value.reason, err.value.kind, err.value.status) == (exc.reason, exc.kind, 400)
        return
    msg = parse_message(data)
    got = msg.uri
    assert (got.scheme, got.user, got.host, got.port, got.params, got.headers, str(got)) == \
        (ref.scheme, ref.user, ref.host, ref.port, ref.params, ref.headers, str(ref))
    if got.is_sip:
        got.port = 5099                                # change detection still works
        assert str(got) != uri and msg.to_bytes() != data


def test_first_content_length_rules_with_duplicates():
    # the first Content-Length field is the one checked, the others must agree
    data = _request(*BASE.values(), "Content-Length: x", "Content-Length: 0")
    with pytest.raises(SipParseError) as err:
        parse_message(data)
    assert err.value.reason == "Bad Content-Length"
    data = _request(*BASE.values(), "Content-Length: 0", "Content-Length: 5")
    with pytest.raises(SipParseError) as err:
        parse_message(data)
    assert err.value.reason == "Conflicting Content-Length"


def test_bare_lf_inside_a_line_takes_the_general_path():
    # a bare LF is folding for line_value: the views see the unfolded value
    data = _with(to="To: Bob\n <sip:b@example.com>")
    msg = parse_message(data)
    assert msg.to.display == "Bob" and msg.to.uri_text == "sip:b@example.com"
    data = _with(via="Via: SIP/2.0/UDP h;branch=z9hG4bK1\n ;rport")
    assert parse_message(data).top_via.params == {"branch": "z9hG4bK1", "rport": None}


@pytest.mark.parametrize("repl", [
    {"from": 'From: "unterminated <sip:a@example.com>;tag=1'},
    {"to": "To: <sip:b@example.com"},
    {"via": "Via: SIP/2.0/UDP h;;branch=z9hG4bK1"},
    {"via": "Via: SIP/2.0/UDP h:70000;branch=z9hG4bK1"},
    {"cseq": "CSeq: 99999999999 INVITE"},
    {"cseq": "CSeq: 1 BYE"},
])
def test_malformed_core_header_is_a_400_at_parse_time(repl):
    """What the server path relies on: parse_message (default validate=True)
    raises for every malformed Via/From/To/CSeq, with a partial message to
    answer from -- no header view is left to fail lazily during routing."""
    with pytest.raises(SipParseError) as err:
        parse_message(_with(**repl))
    exc = err.value
    assert exc.status == 400 and exc.is_request is True
    assert exc.partial is not None and exc.partial.call_id == "c1"


# The fast-path regexes write every optional part as "(?:X|)" (and the
# name-addr parameter list as a possessive "*+") because sre runs those
# without a repeat context.  These pin the groups each optional part yields
# when present and when absent, so a rewrite that shifts or drops a group
# (or changes what matches) fails here and not only in a view built later.
@pytest.mark.parametrize("line, groups", [
    ("Via: SIP/2.0/UDP h", ("UDP", "h", None) + (None,) * 8),
    ("Via: SIP/2.0/UDP h:5060", ("UDP", "h", "5060") + (None,) * 8),
    ("Via: SIP/2.0/UDP h;rport", ("UDP", "h", None, "rport", None) + (None,) * 6),
    ("Via: SIP/2.0/UDP h;rport=", ("UDP", "h", None, "rport", "") + (None,) * 6),
    ("Via: SIP/2.0/TCP h:1;a=1;b;c=3;d=4",
     ("TCP", "h", "1", "a", "1", "b", None, "c", "3", "d", "4")),
    ("Via: SIP/2.0/UDP h;a;b;c;d;e", None),             # five parameters: general path
    ("Via: SIP/2.0/UDP h:;a", None),
    ("Via: SIP/2.0/UDP h;A=1", None),                   # upper-case name: general path
])
def test_via_line_regex_groups(line, groups):
    from siprouter.core.sip import via
    m = via.line_match(line)
    assert (m and m.groups()) == groups
    value = line_value(line)
    m = via._fast_match(value)
    assert (m and m.groups()) == groups
    usual = via._usual_match(value)
    if groups is not None:
        assert usual.groups()[:3] == groups[:3]
        assert usual.group(4) == (value.partition(";")[2] if ";" in value else None)


@pytest.mark.parametrize("line, groups", [
    ("To: <sip:b@h>", (None, "", "sip:b@h", None, "")),
    ("To: Bob <sip:b@h>;tag=1", (None, "Bob ", "sip:b@h", "1", None)),
    ('To: "B" <sip:b@h>;x;y=2', ("B", None, "sip:b@h", None, ";x;y=2")),
    ("To: <sip:b@h>;x=;tag=3", (None, "", "sip:b@h", None, ";x=;tag=3")),
    ("To: <sip:b@h>;x;", None),                          # empty parameter
    ("To: <sip:b@h>;=1", None),                          # empty name
])
def test_nameaddr_line_regex_groups(line, groups):
    from siprouter.core.sip import nameaddr
    m = nameaddr.line_match(line)
    assert (m and m.groups()) == groups
    m = nameaddr.usual_match(line_value(line))
    assert (m and m.groups()) == groups


@pytest.mark.parametrize("uri, groups", [
    ("sip:h", ("sip", None, "h", None, None)),
    ("sip:u@h", ("sip", "u", "h", None, None)),
    ("sips:u@h:5061", ("sips", "u", "h", "5061", None)),
    ("sip:h;lr", ("sip", None, "h", None, "lr")),
    ("sip:u@h:1;transport=tcp;lr", ("sip", "u", "h", "1", "transport=tcp;lr")),
    ("sip:u@h;", ("sip", "u", "h", None, "")),
    ("sip:u@h:", None),
    ("sip:u@h?x=1", None),                               # headers: general path
])
def test_usual_sip_uri_regex_groups(uri, groups):
    from siprouter.core.sip import uri as uri_module
    m = uri_module._USUAL_SIP.match(uri)
    assert (m and m.groups()) == groups
