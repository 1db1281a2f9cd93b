"""RFC 4475 torture messages at the parser level: every one of the 50 files.

Valid messages get real field assertions; invalid ones either a rejection with
the status the server will use, or -- where the manifest allows ``accept`` --
the lenient parse we chose.  Server-level verdicts (416, 420, 483, ...) are
tested elsewhere; here we check the parser exposes what they need.
"""
import csv
import hashlib
from pathlib import Path

import pytest

from siprouter.core.sip import (
    SipParseError, SipRequest, SipResponse, make_response, missing_required_headers,
    parse_message, single_value_violations,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "rfc4475"
MESSAGES = DATA / "messages"

with open(DATA / "manifest.tsv", newline="", encoding="utf-8") as fh:
    CASES = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
ALL_FILES = sorted(row["file"] for row in CASES)


def raw(name: str) -> bytes:
    return (MESSAGES / f"{name}.dat").read_bytes()


def parse(name: str):
    return parse_message(raw(name))


def reject(name: str) -> SipParseError:
    with pytest.raises(SipParseError) as info:
        parse_message(raw(name))
    return info.value


# --------------------------------------------------------------------- the data
def test_copy_is_byte_exact():
    sums = {}
    for line in (DATA / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(None, 1)
        sums[name.lstrip("*")] = digest
    assert len(sums) == 50 and sorted(sums) == ALL_FILES
    for name, digest in sums.items():
        assert hashlib.sha256((MESSAGES / name).read_bytes()).hexdigest() == digest, name


def test_dat_files_are_marked_binary():
    rules = (DATA / ".gitattributes").read_text()
    assert any(line.split()[:2] == ["*.dat", "binary"] for line in rules.splitlines()
               if line and not line.startswith("#"))


def test_every_manifest_row_has_a_parser_test():
    tested = {name[5:] + ".dat" for name in globals() if name.startswith("test_") and
              name[5:] + ".dat" in ALL_FILES}
    tested |= {f"{name}.dat" for name in REJECTED}
    assert sorted(tested) == ALL_FILES


# ------------------------------------------------------------- 3.1.1 valid
def test_wsinv():
    m = parse("wsinv")
    assert m.method == "INVITE" and m.uri.params == {"unknownparam": None}
    assert m.to.uri.user == "vivekg" and m.to.tag == "1918181833n"
    assert m.from_.display == 'J Rosenberg \\"' and m.from_.tag == "98asjd8"
    assert m.max_forwards == 68 and m.call_id == "wsinv.ndaksdj@192.0.2.1"
    assert m.cseq == (9, "INVITE")
    assert [(v.transport, v.host, v.branch) for v in m.vias] == [
        ("UDP", "192.0.2.2", "390skdjuw"), ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
        ("UDP", "192.168.255.111", "z9hG4bK30239")]
    assert m.get("Subject") == "" and m.has("s")
    assert m.get("NewFangledHeader") == "newfangled value continued newfangled value"
    assert m.get("UnknownHeaderWithUnusualValue") == ";;,,;;,;"
    assert str(m.routes[0].uri) == "sip:services.example.com;lr;unknownwith=value;unknown-no-value"
    c = m.contacts[0]
    assert c.display == 'Quoted string ""' and c.params == {"newparam": "newvalue",
                                                            "secondparam": None, "q": "0.33"}
    assert m.content_length == 150 and len(m.body) == 150
    assert m.to_bytes() == raw("wsinv")


def test_intmeth():
    m = parse("intmeth")
    assert m.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert m.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert m.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert m.uri.host == "example.com"
    assert m.top_via.branch == "z9hG4bK-.!%66*_+`'~"
    assert m.to.display == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert m.from_.display == "token1~` token2'+_ token3*%!.-"
    assert m.from_.tag == "_token~1'+`*%!-."
    assert m.from_.params["fromparam''~+*_!.-%"] == '"работающий"'
    assert m.call_id == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    assert m.cseq == (139122385, m.method)
    assert m.get("extensionHeader-!.%*+_`'~") == "\ufeff大停電"


def test_esc01():
    m = parse("esc01")
    assert m.uri.user == "sips:user@example.com" and m.uri.host == "example.net"
    assert m.to.uri.user == "user" and m.from_.uri.user == "I have spaces"
    contact = m.contacts[0].uri
    assert contact.user == "caller"
    assert contact.params == {"lr": None, "name": "value%41"}      # decoded once, not "valueA"
    assert m.content_type == "application/sdp"
    assert str(contact) == "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31"


def test_escnull():
    m = parse("escnull")
    assert m.to.uri.user == "null-\x00-null" and m.from_.uri.user == "null-\x00-null"
    users = [c.uri.user for c in m.contacts]
    assert users == ["\x00", "\x00\x00"] and users[0] != users[1]
    assert m.content_length == 0


def test_esc02():
    m = parse("esc02")
    assert m.method == "RE%47IST%45R" and m.method != "REGISTER"
    assert m.cseq.method == "RE%47IST%45R"
    assert [c.uri.host for c in m.contacts] == ["host1.example.com", "host3.example.com"]
    assert m.get("C%6Fntact") == "<sip:alias2@host2.example.com>"
    assert m.to.display == "%Z%45" and m.top_via.branch == "z9hG4bK209%fzsnel234"


def test_lwsdisp():
    m = parse("lwsdisp")
    assert m.from_.display == "caller" and m.from_.uri.user == "caller" and m.from_.tag == "323"


def test_longreq():
    m = parse("longreq")
    assert len(m.raw) == len(raw("longreq"))
    assert m.to.display.startswith("I have a user name of extreme") and len(m.to.display) == 103
    assert m.to.uri.port == 6000 and len(m.to.uri.params) == 3
    assert len(m.from_.tag) == 155 and len(m.call_id) == 141
    assert len(m.vias) == 34 and m.count("Via") == 34
    assert m.vias[0].host == "sip33.example.com" and m.vias[-1].received == "192.0.2.5"
    assert m.header_names()[4].startswith("Unknown-LongLong")
    assert m.content_length == 150 == len(m.body)


def test_dblreq():
    data = raw("dblreq")
    m = parse_message(data)
    assert m.method == "REGISTER" and m.body == b""
    assert m.call_id == "dblreq.0ha0isndaksdj99sdfafnl3lk233412"
    assert m.raw == data[:len(m.raw)] and len(m.raw) < len(data)
    assert m.to_bytes() == m.raw and b"INVITE" not in m.to_bytes()


def test_semiuri():
    m = parse("semiuri")
    assert m.uri.user == "user;par=u@example.net" and m.uri.host == "example.com"
    assert m.uri.params == {}
    assert m.get_all("Accept") == ["application/sdp", "application/pkcs7-mime",
                                   "multipart/mixed", "multipart/signed", "message/sip",
                                   "message/sipfrag"]


def test_transports():
    m = parse("transports")
    assert [v.transport for v in m.vias] == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]
    assert [v.host for v in m.vias][3] == "t4.example.com"


def test_mpart01():
    m = parse("mpart01")
    assert m.content_type.startswith("multipart/mixed;boundary=7a9cbec02ceef655")
    assert len(m.body) == m.content_length == 553
    assert b"\x00" in m.body and m.body.startswith(b"--7a9cbec02ceef655\r\n")
    assert m.to_bytes() == raw("mpart01")


def test_unreason():
    m = parse("unreason")
    assert isinstance(m, SipResponse) and m.status == 200
    assert m.reason == "= 2**3 * 5**2 но сто девяносто девять - простое"
    assert len(m.body) == 154 and m.to_bytes() == raw("unreason")


def test_noreason():
    m = parse("noreason")
    assert (m.status, m.reason) == (100, "") and m.to.tag == "902jndnke3"
    assert m.to_bytes() == raw("noreason")


# ------------------------------------------------------ 3.1.2 invalid syntax
# file -> (status, kind, is_request); every one must keep enough for a 400.
REJECTED = {
    "badinv01": (400, "via", True),
    "clerr": (400, "content-length", True),
    "ncl": (400, "content-length", True),
    "scalar02": (400, "cseq", True),
    "scalarlg": (400, "cseq", False),          # a response: the server drops it
    "quotbal": (400, "nameaddr", True),          # chose 400 over inferring the quote
    "ltgtruri": (400, "request-line", True),     # chose 400
    "lwsruri": (400, "request-line", True),      # chose 400
    "escruri": (400, "request-uri", True),       # chose 400
    "badvers": (505, "version", True),
    "mismatch01": (400, "cseq-method-mismatch", True),
    "mismatch02": (400, "cseq-method-mismatch", True),   # server may turn it into 501
    "bigcode": (400, "status-line", False),      # a response: dropped
    "mcl01": (400, "content-length", True),
    "test": (400, "request-line", True),
}


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected(name):
    status, kind, is_request = REJECTED[name]
    err = reject(name)
    assert (err.status, err.kind, err.is_request) == (status, kind, is_request)
    assert err.reason and "\r" not in err.reason and "\n" not in err.reason
    if is_request and name != "test":
        # the server can still answer from the partial view
        reply = make_response(err.partial, err.status, err.reason, to_tag="x")
        wire = reply.to_bytes()
        assert wire.startswith(f"SIP/2.0 {status} ".encode())
        assert reply.call_id == err.partial.get("Call-ID") and reply.has("Via")


def test_mismatch_partials_expose_methods():
    e1, e2 = reject("mismatch01"), reject("mismatch02")
    assert (e1.partial.method, e1.partial.cseq.method) == ("OPTIONS", "INVITE")
    assert (e2.partial.method, e2.partial.cseq.method) == ("NEWMETHOD", "INVITE")


def test_badvers_partial_has_version():
    err = reject("badvers")
    assert err.partial.version == "SIP/7.0" and err.partial.method == "OPTIONS"


def test_test_dat_partial_has_no_via():
    err = reject("test")
    assert not err.partial.has("Via") and not err.partial.has("CSeq")


# -------------------------------------------- lenient choices (accept allowed)
def test_lwsstart():
    m = parse("lwsstart")
    assert m.method == "INVITE" and str(m.uri) == "sip:user@example.com"
    m.add_header("X", "1")
    assert m.to_bytes().startswith(b"INVITE sip:user@example.com SIP/2.0\r\n")


def test_trws():
    m = parse("trws")
    assert m.version == "SIP/2.0" and m.uri.user == "remote-target"
    m.add_header("X", "1")
    assert m.to_bytes().startswith(b"OPTIONS sip:remote-target@example.com SIP/2.0\r\n")


def test_baddate():
    m = parse("baddate")
    assert m.get("Date") == "Fri, 01 Jan 2010 16:00:00 EST"
    assert m.get_all("Date") == ["Fri, 01 Jan 2010 16:00:00 EST"]


def test_regbadct():
    m = parse("regbadct")
    c = m.contacts[0]
    assert c.uri.host == "example.com" and c.uri.headers == {"Route": "<sip:sip.example.com>"}


def test_badaspec():
    m = parse("badaspec")
    assert m.to.display == "Watson, Thomas" and m.to.uri.host == "example.org"
    assert m.from_.display == "Bell, Alexander"


def test_baddn():
    m = parse("baddn")                        # also: no empty line at the end
    assert m.from_.display == "Bell, Alexander" and m.from_.tag == "43"
    assert m.to.display == "Watson, Thomas" and m.body == b""


# ---------------------------------------------------------- 3.2 transaction
def test_badbranch():
    m = parse("badbranch")
    assert m.top_via.branch == "z9hG4bK"      # parses; tm decides how to match it


# --------------------------------------------------------- 3.3 application
def test_insuf():
    m = parse("insuf")
    assert missing_required_headers(m, max_forwards=True) == ["From", "To", "Call-ID",
                                                              "Max-Forwards"]
    assert m.from_ is None and m.to is None and m.call_id is None


def test_unkscm():
    m = parse("unkscm")
    assert m.uri.scheme == "nobodyknowsthisscheme" and not m.uri.is_sip
    assert m.uri.opaque == "totallyopaquecontent"


def test_novelsc():
    m = parse("novelsc")
    assert m.uri.scheme == "soap.beep" and m.uri.opaque == "//192.0.2.103:3002"


def test_unksm2():
    m = parse("unksm2")
    assert m.to.uri.scheme == "isbn" and m.from_.uri.scheme == "http"
    assert m.contacts[0].uri.scheme == "name" and m.contacts[0].uri.opaque == "John_Smith"


def test_bext01():
    m = parse("bext01")
    assert m.get_all("Require") == ["nothingSupportsThis", "nothingSupportsThisEither"]
    assert m.get_all("Proxy-Require") == ["noProxiesSupportThis", "norDoAnyProxiesSupportThis"]


def test_invut():
    assert parse("invut").content_type == "application/unknownformat"


def test_regaut01():
    m = parse("regaut01")
    assert m.get_all("Authorization") == ["NoOneKnowsThisScheme opaque-data=here"]


def test_multi01():
    m = parse("multi01")
    assert single_value_violations(m) == ["Call-ID", "CSeq", "From", "To", "Max-Forwards"]
    assert m.cseq == (5, "INVITE")             # the first one wins if asked


def test_bcast():
    m = parse("bcast")
    assert isinstance(m, SipResponse) and m.vias[1].host == "255.255.255.255"


def test_zeromf():
    m = parse("zeromf")
    assert m.max_forwards == 0


def test_cparam01():
    c = parse("cparam01").contacts[0]
    assert c.params == {"unknownparam": None} and c.uri.params == {}


def test_cparam02():
    c = parse("cparam02").contacts[0]
    assert c.params == {} and c.uri.params == {"unknownparam": None}


def test_regescrt():
    c = parse("regescrt").contacts[0]
    assert c.uri.headers == {"Route": "<sip:sip.example.com>"}
    assert c.uri_text == "sip:user@example.com?Route=%3Csip:sip.example.com%3E"


def test_sdp01():
    m = parse("sdp01")
    assert m.get_all("Accept") == ["text/nobodyKnowsThis"] and m.content_type == "application/sdp"


# ------------------------------------------------------ 3.4 backward compat
def test_inv2543():
    data = raw("inv2543")
    m = parse_message(data)
    assert isinstance(m, SipRequest) and m.content_length is None
    assert m.top_via.branch is None and m.from_.tag is None and m.max_forwards is None
    assert m.body == data[data.index(b"\r\n\r\n") + 4:]
    assert m.record_routes[0].uri.params["maddr"] == "ss1.example.com"
    with pytest.raises(SipParseError):
        parse_message(data, datagram=False)   # on a stream Content-Length is required


# ---------------------------------------------------------------- round trip
VALID = [r["file"][:-4] for r in CASES if r["file"][:-4] not in REJECTED]


@pytest.mark.parametrize("name", VALID)
def test_round_trip_of_every_accepted_message(name):
    data = raw(name)
    m = parse_message(data)
    assert m.to_bytes() == m.raw
    if name != "dblreq":
        assert m.raw == data
    # a rebuilt message parses back to the same fields
    m2 = m.copy()
    m2.add_header("X-Test", "1")
    back = parse_message(m2.to_bytes())
    assert back.body == m.body and back.get_all("Via") == m.get_all("Via")
    assert back.call_id == m.call_id and back.cseq == m.cseq
