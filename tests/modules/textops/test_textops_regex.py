"""search, search_body, search_append, replace, subst, subst_uri, subst_user, subst_body."""
from __future__ import annotations

import re

import pytest

from siprouter.modules.textops import matching
from siprouter.modules.textops.subst_expr import SubstSyntaxError, parse_subst


def rx(p):
    return re.compile(p, re.I)  # what Arg.REGEX hands over


def test_search_whole_message_case_insensitive(make_ctx):
    ctx = make_ctx()
    assert matching.search(ctx, rx("^invite sip:bob")) == 1
    assert matching.search(ctx, rx("^Route: <sip:p2")) == 1   # line anchors
    assert matching.search(ctx, rx("o=alice")) == 1           # body too
    assert matching.search(ctx, rx("P-Asserted")) == -1


def test_search_dot_does_not_cross_lines(make_ctx):
    assert matching.search(make_ctx(), rx("Max-Forwards.*From")) == -1


def test_search_body(make_ctx, invite):
    assert matching.search_body(make_ctx(), rx("^c=IN IP4")) == 1
    assert matching.search_body(make_ctx(), rx("Max-Forwards")) == -1
    assert matching.search_body(make_ctx(invite(body="")), rx(".*")) == -1


def test_search_append(make_ctx):
    ctx = make_ctx()
    assert matching.search_append(ctx, rx("^Max-Forwards: 70"), "0") == 1
    assert ctx.msg.get("Max-Forwards") == "700"
    assert matching.search_append(ctx, rx("no-such-text"), "x") == -1


def test_search_append_never_touches_request_line(make_ctx):
    ctx = make_ctx()
    assert matching.search_append(ctx, rx("^INVITE"), "X") == -1


def test_replace_first_and_all(make_ctx):
    ctx = make_ctx()
    assert matching.replace(ctx, rx("p[12]\\.example\\.com"), "proxy.example.net") == 1
    assert ctx.msg.get_all("Route") == ["<sip:proxy.example.net;lr>", "<sip:p2.example.com;lr>"]
    assert matching.replace_all(ctx, rx("example\\.com"), "example.org") == 1
    assert "example.com" not in ctx.msg.to_bytes().split(b"\r\n", 1)[1].decode()
    assert str(ctx.msg.uri) == "sip:bob@example.com"  # start line untouched
    assert matching.replace(ctx, rx("nothing-like-this"), "x") == -1


def test_replace_keeps_backslashes_literal(make_ctx):
    ctx = make_ctx()
    assert matching.replace(ctx, rx("^Call-ID: .*$"), "Call-ID: a\\1b") == 1
    assert ctx.msg.get("Call-ID") == "a\\1b"


def test_replace_body_fixes_content_length(make_ctx):
    ctx = make_ctx()
    assert matching.replace_body(ctx, rx("10\\.0\\.0\\.1"), "192.168.100.100") == 1
    assert b"o=alice 1 1 IN IP4 192.168.100.100" in ctx.msg.body
    assert b"c=IN IP4 10.0.0.1" in ctx.msg.body  # only the first
    assert matching.replace_body_all(ctx, rx("10\\.0\\.0\\.1"), "1.1.1.1") == 1
    assert b"10.0.0.1" not in ctx.msg.body
    wire = ctx.msg.to_bytes()
    assert f"Content-Length: {len(ctx.msg.body)}".encode() in wire
    assert matching.replace_body(ctx, rx("zzz"), "y") == -1


def test_replace_whole_message_body_length_follows(make_ctx):
    ctx = make_ctx()
    assert matching.replace(ctx, rx("s=-"), "s=a much longer session name") == 1
    assert b"s=a much longer session name" in ctx.msg.body
    assert ctx.msg.content_length == len(ctx.msg.body)


def test_replace_that_breaks_the_message_is_refused(make_ctx):
    ctx = make_ctx()
    before = ctx.msg.to_bytes()
    assert matching.replace(ctx, rx("^Via: .*$"), "Via SIP/2.0 broken") in (1, -1)
    # either the parser accepts the text as an unknown header... or refuses:
    # in both cases the message object is still a usable request
    assert ctx.msg.is_request and ctx.msg.method == "INVITE"
    assert before


def test_subst_expression_parsing():
    e = parse_subst("/^From: (.*)$/X-From: \\1/i")
    assert e.replace_all is False and e.regex.flags & re.I
    assert parse_subst("|a|b|g").replace_all
    for bad in ("/a", "\\a\\b\\", "/a/b/x", "/(/b/", "/a/$x/", "/a/\\2/", "/a/b"):
        with pytest.raises(SubstSyntaxError):
            parse_subst(bad)


def test_subst_escapes():
    e = parse_subst("/a/\\n\\t\\$\\\\\\//")
    assert e.apply("a")[0] == "\n\t$\\/"


def test_subst_on_headers(make_ctx):
    ctx = make_ctx()
    assert matching.subst(ctx, parse_subst("/^(Call-ID: )(.*)$/\\1new-\\2/")) == 1
    assert ctx.msg.get("Call-ID") == "new-a84b4c76e66710@pc33"
    assert matching.subst(ctx, parse_subst("/nomatch/x/")) == -1


def test_subst_global_and_uri_escape(make_ctx):
    ctx = make_ctx()
    assert matching.subst(ctx, parse_subst("/^Route: .*$/X-Was-Route: \\u/g")) == 1
    assert ctx.msg.get_all("X-Was-Route") == ["sip:bob@example.com", "sip:bob@example.com"]
    assert not ctx.msg.has("Route")


def test_subst_uri(make_ctx):
    ctx = make_ctx()
    assert matching.subst_uri(ctx, parse_subst("/^sip:([^@]*)@.*$/sip:\\1@10.1.1.1:5070/")) == 1
    assert str(ctx.msg.uri) == "sip:bob@10.1.1.1:5070"
    assert ctx.msg.to_bytes().startswith(b"INVITE sip:bob@10.1.1.1:5070 SIP/2.0")
    assert matching.subst_uri(ctx, parse_subst("/nomatch/x/")) == -1


def test_subst_uri_invalid_result_and_reply(make_ctx, reply_bytes):
    ctx = make_ctx()
    assert matching.subst_uri(ctx, parse_subst("/^.*$/not a uri/")) == -1
    assert matching.subst_uri(make_ctx(reply_bytes), parse_subst("/a/b/")) == -1


def test_subst_user(make_ctx, reply_bytes):
    ctx = make_ctx()
    assert matching.subst_user(ctx, parse_subst("/^bob$/+4930123/")) == 1
    assert str(ctx.msg.uri) == "sip:+4930123@example.com"
    assert matching.subst_user(ctx, parse_subst("/nomatch/x/")) == -1
    assert matching.subst_user(make_ctx(reply_bytes), parse_subst("/a/b/")) == -1


def test_subst_body(make_ctx, invite):
    ctx = make_ctx()
    assert matching.subst_body(ctx, parse_subst("/^s=[^\\r]*/s=renamed/")) == 1
    assert b"s=renamed\r\n" in ctx.msg.body
    assert matching.subst_body(make_ctx(invite(body="")), parse_subst("/a/b/")) == -1
