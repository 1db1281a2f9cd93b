"""The individual sanity checks (pass, fail with reply code, fail silently)."""
from __future__ import annotations

import pytest

from siprouter.modules.sanity import checks
from siprouter.modules.sanity.checks import NO_REPLY, Settings
from siprouter.modules.sanity.flags import DEFAULT_CHECKS, DEFAULT_URI_CHECKS, UriCheck

S = Settings()


def test_defaults_match_kamailio():
    assert DEFAULT_CHECKS == 3047
    assert DEFAULT_URI_CHECKS == 7


def code(failure):
    return None if failure is None else failure.code


def test_valid_invite_passes_everything(make_ctx):
    msg = make_ctx().msg
    for check in (checks.check_ruri_sip_version, checks.check_ruri_scheme,
                  checks.check_required_headers, checks.check_via1_header,
                  checks.check_rfc3261_compliance, checks.check_cseq_method,
                  checks.check_cseq_value, checks.check_content_length,
                  checks.check_expires_value, checks.check_proxy_require,
                  checks.check_digest, checks.check_authorization,
                  checks.check_duplicate_tags, checks.check_sizes):
        assert check(msg, S) is None, check.__name__
    assert checks.check_parse_uris(msg, S, 15) is None


def test_ruri_version(make_ctx, invite):
    msg = make_ctx(invite().replace(b" SIP/2.0\r\nVia", b" SIP/7.0\r\nVia"), validate=False).msg
    assert code(checks.check_ruri_sip_version(msg, S)) == 505


@pytest.mark.parametrize("ruri,expected", [
    ("tel:+4930123", None), ("sips:bob@example.com", None), ("urn:service:sos", None),
    ("nobodyKnowsThisScheme:opaque", 416), ("soap.beep://192.0.2.103:3002", 416),
])
def test_ruri_scheme(make_ctx, invite, ruri, expected):
    data = invite().replace(b"INVITE sip:bob@example.com", b"INVITE " + ruri.encode())
    assert code(checks.check_ruri_scheme(make_ctx(data, validate=False).msg, S)) == expected


def test_ruri_unparsable_is_400(make_ctx, invite):
    data = invite().replace(b"INVITE sip:bob@example.com", b"INVITE sip:bob@[::1")
    assert code(checks.check_ruri_scheme(make_ctx(data, validate=False).msg, S)) == 400


def test_required_headers_missing_and_duplicated(make_ctx, invite):
    missing = invite().replace(b"Call-ID: a84b4c76e66710@pc33\r\n", b"")
    f = checks.check_required_headers(make_ctx(missing, validate=False).msg, S)
    assert f.code == 400 and "Call-ID" in f.reason
    dup = invite().replace(b"CSeq: 314159 INVITE\r\n", b"CSeq: 314159 INVITE\r\nCSeq: 2 INVITE\r\n")
    f = checks.check_required_headers(make_ctx(dup, validate=False).msg, S)
    assert f.code == 400 and "CSeq" in f.reason


def test_required_headers_without_via_cannot_reply(make_ctx, invite):
    data = invite().replace(b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc\r\n", b"")
    assert checks.check_required_headers(make_ctx(data, validate=False).msg, S) is NO_REPLY


def test_via1_and_rfc3261(make_ctx, invite):
    no_branch = invite().replace(b";branch=z9hG4bKabc", b"")
    assert checks.check_via1_header(make_ctx(no_branch, validate=False).msg, S) is NO_REPLY
    old_branch = invite().replace(b"z9hG4bKabc", b"1234")
    assert checks.check_rfc3261_compliance(make_ctx(old_branch).msg, S) is NO_REPLY
    strict_route = invite().replace(b"<sip:p2.example.com;lr>", b"<sip:p2.example.com>")
    assert checks.check_rfc3261_compliance(make_ctx(strict_route).msg, S) is NO_REPLY


def test_cseq_checks(make_ctx, invite):
    mismatch = invite().replace(b"314159 INVITE", b"314159 OPTIONS")
    msg = make_ctx(mismatch, validate=False).msg
    assert checks.check_cseq_method(msg, S).reason == "CSeq method does not match request method"
    nomethod = make_ctx(invite().replace(b"314159 INVITE", b"314159"), validate=False).msg
    assert code(checks.check_cseq_method(nomethod, S)) == 400
    big = make_ctx(invite().replace(b"314159 INVITE", b"4294967296 INVITE"), validate=False).msg
    assert checks.check_cseq_value(big, S).reason == "CSeq number is illegal"
    over31 = make_ctx(invite().replace(b"314159 INVITE", b"2147483648 INVITE"), validate=False).msg
    assert code(checks.check_cseq_value(over31, S)) == 400
    nocseq = make_ctx(invite().replace(b"CSeq: 314159 INVITE\r\n", b""), validate=False).msg
    assert checks.check_cseq_value(nocseq, S) is NO_REPLY
    assert checks.check_cseq_method(nocseq, S) is NO_REPLY


def test_cseq_method_on_reply_passes(make_ctx, reply_bytes):
    assert checks.check_cseq_method(make_ctx(reply_bytes).msg, S) is None


def test_content_length(make_ctx, invite):
    bad = make_ctx(invite().replace(b"Content-Length: ", b"Content-Length: x"), validate=False)
    assert code(checks.check_content_length(bad.msg, S)) in (400,)
    # datagram with extra bytes after the announced body: the parser already cut
    # them off (RFC 3261 18.3), so the received body matches Content-Length
    longer = invite(body="v=0\r\n").replace(b"Content-Length: 5", b"Content-Length: 3")
    assert checks.check_content_length(make_ctx(longer).msg, S) is None
    # a message whose received bytes disagree with Content-Length
    msg = make_ctx().msg
    msg.raw = msg.raw + b"extra"
    assert checks.check_content_length(msg, S).reason == "Content-Length mis-match"
    no_cl = make_ctx(invite(body="").replace(b"Content-Length: 0\r\n", b"")).msg
    assert checks.check_content_length(no_cl, S) is None


def test_expires(make_ctx, invite):
    def with_exp(v):
        return make_ctx(invite().replace(b"Max-Forwards", b"Expires: " + v + b"\r\nMax-Forwards"),
                        validate=False).msg
    assert checks.check_expires_value(with_exp(b"3600"), S) is None
    assert checks.check_expires_value(with_exp(b"abc"), S).reason == "Expires value is illegal"
    assert checks.check_expires_value(with_exp(b"99999999999"), S).code == 400
    assert checks.check_expires_value(with_exp(b""), S).reason == "Missing number in Expires header"


def test_proxy_require(make_ctx, invite):
    data = invite().replace(b"Max-Forwards", b"Proxy-Require: foo, bar\r\nMax-Forwards")
    msg = make_ctx(data).msg
    f = checks.check_proxy_require(msg, S)
    assert f.code == 420 and f.headers == (("Unsupported", "foo, bar"),)
    assert checks.check_proxy_require(msg, Settings(proxy_require=("foo", "bar"))) is None
    f = checks.check_proxy_require(msg, Settings(proxy_require=("foo",)))
    assert f.headers == (("Unsupported", "bar"),)


def test_parse_uris(make_ctx, invite):
    bad_from = make_ctx(invite().replace(b"From: <sip:alice@example.com>", b"From: <sip:alice@[x>"),
                        validate=False).msg
    assert checks.check_parse_uris(bad_from, S, UriCheck.FROM).reason == "Invalid From Header"
    assert checks.check_parse_uris(bad_from, S, UriCheck.TO) is None
    no_to = make_ctx(invite().replace(b"To: <sip:bob@example.com>\r\n", b""), validate=False).msg
    assert checks.check_parse_uris(no_to, S, UriCheck.TO) is NO_REPLY
    bad_contact = make_ctx(invite().replace(b"Contact: <sip:alice@10.0.0.1>", b"Contact: <sip:@@>"),
                           validate=False).msg
    assert code(checks.check_parse_uris(bad_contact, S, UriCheck.CONTACT)) == 400
    bad_ruri = make_ctx(invite().replace(b"INVITE sip:bob@example.com", b"INVITE sip:bob@[x"),
                        validate=False).msg
    assert checks.check_parse_uris(bad_ruri, S, UriCheck.RURI).reason == "Bad Request URI"


AUTH = (b'Authorization: Digest username="alice", realm="example.com", nonce="abc", '
        b'uri="sip:bob@example.com", response="0123456789abcdef0123456789abcdef"\r\n')


def test_digest_checks(make_ctx, invite):
    def with_auth(line):
        return make_ctx(invite().replace(b"Max-Forwards", line + b"Max-Forwards"),
                        validate=False).msg
    assert checks.check_digest(with_auth(AUTH), S) is None
    no_nonce = AUTH.replace(b' nonce="abc",', b"")
    assert checks.check_digest(with_auth(no_nonce), S).reason == "Bad Auth Credentials"
    empty_user = AUTH.replace(b'username="alice"', b'username=""')
    assert checks.check_digest(with_auth(empty_user), S).reason == "Auth Empty User"
    qop = AUTH.replace(b"\r\n", b", qop=auth\r\n")
    assert checks.check_digest(with_auth(qop), S).reason == "Bad Auth Credentials"
    basic = b"Authorization: Basic QWxhZGRpbjpvcGVu\r\n"
    assert checks.check_digest(with_auth(basic), S).code is None        # fails silently
    assert checks.check_authorization(with_auth(basic), S) is None     # other schemes pass
    garbage = b"Proxy-Authorization: Digest ,,,\r\n"
    assert checks.check_authorization(with_auth(garbage), S).reason == "Bad Auth Header"


def test_duplicate_tags(make_ctx, invite):
    two = make_ctx(invite().replace(b";tag=1928", b";tag=1928;tag=2"), validate=False).msg
    assert checks.check_duplicate_tags(two, S).reason == "Many From Tag Params"
    quoted = make_ctx(invite().replace(b"From: <sip:alice@example.com>",
                                       b'From: "a;tag=x" <sip:alice@example.com;tag=y>'),
                      validate=False).msg
    assert checks.check_duplicate_tags(quoted, S) is None
    to2 = make_ctx(invite().replace(b"To: <sip:bob@example.com>", b"To: <sip:bob@example.com>;tag=a;tag=b"),
                   validate=False).msg
    assert checks.check_duplicate_tags(to2, S).reason == "Many To Tag Params"


def test_sizes(make_ctx, invite):
    msg = make_ctx().msg
    assert checks.check_sizes(msg, S) is None
    small = Settings(sizes=dict(checks.DEFAULT_SIZES, size_body=10))
    assert checks.check_sizes(msg, small) is NO_REPLY
    short_ruri = Settings(sizes=dict(checks.DEFAULT_SIZES, size_ruri=5))
    assert checks.check_sizes(msg, short_ruri) is NO_REPLY
    off = Settings(sizes={k: 0 for k in checks.DEFAULT_SIZES})
    assert checks.check_sizes(msg, off) is None


def test_sizes_path_and_pai(make_ctx, invite):
    data = invite().replace(b"Max-Forwards", b"Path: <sip:edge.example.com;lr>\r\n"
                            b"P-Asserted-Identity: <sip:+4930123@example.com>\r\nMax-Forwards")
    msg = make_ctx(data).msg
    assert checks.check_sizes(msg, S) is None
    short_path = Settings(sizes=dict(checks.DEFAULT_SIZES, size_path_uri=10))
    assert checks.check_sizes(msg, short_path) is NO_REPLY
    short_pai = Settings(sizes=dict(checks.DEFAULT_SIZES, size_pai_uri=10))
    assert checks.check_sizes(msg, short_pai) is NO_REPLY
    bad = make_ctx(invite().replace(b"Max-Forwards", b"P-Asserted-Identity: <sip:@@\r\nMax-Forwards"),
                   validate=False).msg
    assert checks.check_sizes(bad, S) is NO_REPLY
