"""append_hf, insert_hf, remove_hf, is_present_hf (+ regex variants)."""
from __future__ import annotations

import re

from siprouter.core.sip import parse_message
from siprouter.modules.textops import headers


def names(ctx):
    return ctx.msg.header_names()


def test_append_hf_at_end(make_ctx):
    ctx = make_ctx()
    assert headers.append_hf(ctx, "P-Hint: voicemail\r\n") == 1
    assert names(ctx)[-1] == "P-Hint"
    assert ctx.msg.get("P-Hint") == "voicemail"
    # serialised message parses again and keeps the header
    again = parse_message(ctx.msg.to_bytes())
    assert again.get("P-Hint") == "voicemail"


def test_append_hf_several_lines_without_final_crlf(make_ctx):
    ctx = make_ctx()
    assert headers.append_hf(ctx, "X-A: 1\r\nX-B: 2") == 1
    assert names(ctx)[-2:] == ["X-A", "X-B"]


def test_append_hf_after_last_named_header(make_ctx):
    ctx = make_ctx()
    assert headers.append_hf(ctx, "X-After: r\r\n", "Route") == 1
    n = names(ctx)
    assert n.index("X-After") == max(i for i, x in enumerate(n) if x == "Route") + 1


def test_append_hf_anchor_missing_goes_to_end(make_ctx):
    ctx = make_ctx()
    assert headers.append_hf(ctx, "X-End: 1\r\n", "P-Nothing") == 1
    assert names(ctx)[-1] == "X-End"


def test_append_hf_rejects_garbage(make_ctx):
    ctx = make_ctx()
    before = names(ctx)
    assert headers.append_hf(ctx, "no colon here\r\n") == -1
    assert headers.append_hf(ctx, "") == -1
    assert headers.append_hf(ctx, "Bad Name: x") == -1
    assert names(ctx) == before


def test_insert_hf_at_top(make_ctx):
    ctx = make_ctx()
    assert headers.insert_hf(ctx, "X-Top: 1\r\n") == 1
    assert names(ctx)[0] == "X-Top"


def test_insert_hf_before_first_named(make_ctx):
    ctx = make_ctx()
    assert headers.insert_hf(ctx, "X-Before: 1\r\nX-Before2: 2\r\n", "Route") == 1
    n = names(ctx)
    first_route = n.index("Route")
    assert n[first_route - 2:first_route] == ["X-Before", "X-Before2"]


def test_insert_hf_before_with_compact_anchor(make_ctx):
    ctx = make_ctx()
    assert headers.insert_hf(ctx, "X-B: 1\r\n", "f") == 1  # f = From
    n = names(ctx)
    assert n[n.index("From") - 1] == "X-B"


def test_insert_hf_anchor_missing_goes_to_top(make_ctx):
    ctx = make_ctx()
    assert headers.insert_hf(ctx, "X-T: 1\r\n", "P-None") == 1
    assert names(ctx)[0] == "X-T"


def test_insert_hf_same_name_as_existing_goes_to_top(make_ctx):
    ctx = make_ctx()
    assert headers.insert_hf(ctx, "Route: <sip:p0.example.com;lr>\r\n") == 1
    assert names(ctx)[0] == "Route"
    assert ctx.msg.get("Route") == "<sip:p0.example.com;lr>"


def test_insert_hf_rebuild_path_keeps_other_fields(make_ctx):
    # anchor whose predecessor name repeats later -> the generic rebuild path
    data = (b"OPTIONS sip:b@example.com SIP/2.0\r\n"
            b"Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nX-A: 1\r\nX-T: t\r\nX-A: 2\r\n"
            b"From: <sip:a@e>;tag=1\r\nTo: <sip:b@e>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
            b"Content-Length: 0\r\n\r\n")
    ctx = make_ctx(data)
    assert headers.insert_hf(ctx, "X-New: n\r\n", "X-T") == 1
    assert names(ctx)[:5] == ["Via", "X-A", "X-New", "X-T", "X-A"]
    assert ctx.msg.get_all("X-A") == ["1", "2"]


def test_insert_hf_rejects_garbage(make_ctx):
    assert headers.insert_hf(make_ctx(), "garbage") == -1


def test_remove_hf(make_ctx):
    ctx = make_ctx()
    assert headers.remove_hf(ctx, "Route") == 1
    assert not ctx.msg.has("Route")
    assert headers.remove_hf(ctx, "Route") == -1
    assert b"Route:" not in ctx.msg.to_bytes()


def test_remove_hf_compact_name(make_ctx):
    ctx = make_ctx()
    assert headers.remove_hf(ctx, "m") == 1  # m = Contact
    assert not ctx.msg.has("Contact")


def test_is_present_hf(make_ctx):
    ctx = make_ctx()
    assert headers.is_present_hf(ctx, "route") == 1
    assert headers.is_present_hf(ctx, "v") == 1
    assert headers.is_present_hf(ctx, "P-Asserted-Identity") == -1


def test_remove_and_present_re(make_ctx):
    ctx = make_ctx()
    assert headers.is_present_hf_re(ctx, re.compile("^Ro", re.I)) == 1
    assert headers.remove_hf_re(ctx, re.compile("^(Route|Contact)$", re.I)) == 1
    assert not ctx.msg.has("Route") and not ctx.msg.has("Contact")
    assert headers.remove_hf_re(ctx, re.compile("^X-", re.I)) == -1
    assert headers.is_present_hf_re(ctx, re.compile("^Ro", re.I)) == -1


def test_split_header_text_folding():
    assert headers.split_header_text("X-A: 1\r\n  continued\r\n") == [("X-A", "1 continued")]
    assert headers.split_header_text(":novalue") is None
