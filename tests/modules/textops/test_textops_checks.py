"""is_method, has_body, starts_with and the string comparisons."""
from __future__ import annotations

import pytest

from siprouter.core.modsys import FixedArg, FixupError, Arg
from siprouter.modules.textops import checks



def test_is_method_single_and_list(make_ctx, invite):
    ctx = make_ctx()
    assert checks.is_method(ctx, "INVITE") == 1
    assert checks.is_method(ctx, "REGISTER") == -1
    assert checks.is_method(ctx, "INVITE|REGISTER") == 1
    assert checks.is_method(ctx, "REGISTER|OPTIONS") == -1
    assert checks.is_method(ctx, "invite") == 1  # names compare ignoring case


def test_is_method_unknown_single_method_is_text_compare(make_ctx, invite):
    ctx = make_ctx(invite().replace(b"INVITE sip", b"FOO sip").replace(b"314159 INVITE", b"314159 FOO"))
    assert checks.is_method(ctx, "FOO") == 1
    assert checks.is_method(ctx, "BAR") == -1


def test_is_method_on_reply_uses_cseq(make_ctx, reply_bytes):
    ctx = make_ctx(reply_bytes)
    assert checks.is_method(ctx, "INVITE") == 1
    assert checks.is_method(ctx, "BYE|CANCEL") == -1


def test_is_method_bad_list_is_false_at_run_time(make_ctx):
    assert checks.is_method(make_ctx(), "INVITE|FOO") == -1
    assert checks.is_method(make_ctx(), "") == -1


@pytest.mark.parametrize("text", ["INVITE|FOO", "", "INVITE||BYE"])
def test_is_method_fixup_rejects(text):
    with pytest.raises(FixupError):
        checks.fixup_is_method([FixedArg(Arg.STR, text, text)])


def test_is_method_fixup_accepts_known_list_and_unknown_single():
    checks.fixup_is_method([FixedArg(Arg.STR, "INVITE|REGISTER|KDMQ", "INVITE|REGISTER|KDMQ")])
    checks.fixup_is_method([FixedArg(Arg.STR, "FOO", "FOO")])


def test_has_body(make_ctx, invite):
    assert checks.has_body(make_ctx()) == 1
    assert checks.has_body(make_ctx(), "application/sdp") == 1
    assert checks.has_body(make_ctx(), "Application/SDP") == 1
    assert checks.has_body(make_ctx(), "text/plain") == -1
    assert checks.has_body(make_ctx(invite(body=""))) == -1


def test_has_body_without_content_length_is_false(make_ctx, invite):
    data = invite(body="abc").replace(b"Content-Length: 3\r\n", b"")
    assert checks.has_body(make_ctx(data)) == -1


def test_has_body_without_content_type_means_sdp(make_ctx, invite):
    data = invite().replace(b"Content-Type: application/sdp\r\n", b"")
    assert checks.has_body(make_ctx(data), "application/sdp") == 1


def test_has_body_bad_type_at_run_time(make_ctx):
    assert checks.has_body(make_ctx(), "nonsense") == -1


@pytest.mark.parametrize("text", ["nonsense", "a/b,c/d", "/sdp"])
def test_has_body_fixup_rejects(text):
    with pytest.raises(FixupError):
        checks.fixup_has_body([FixedArg(Arg.STR, text, text)])


def test_starts_with(make_ctx):
    ctx = make_ctx()
    assert checks.starts_with(ctx, "sip:alice@x", "sip:") == 1
    assert checks.starts_with(ctx, "sip", "sip:") == -1         # shorter
    assert checks.starts_with(ctx, "tel:123", "sip:") == -1     # sorts after
    assert checks.starts_with(ctx, "abc:123", "sip:") == -2     # sorts before
    assert checks.starts_with(ctx, "x", "") == 1


def test_ends_with_and_cmp(make_ctx):
    ctx = make_ctx()
    assert checks.ends_with(ctx, "alice@example.com", ".com") == 1
    assert checks.ends_with(ctx, "a", ".com") == -1
    assert checks.ends_with(ctx, "alice.net", ".com") == -1     # ".net" sorts after
    assert checks.ends_with(ctx, "alice.biz", ".com") == -2     # ".biz" sorts before
    assert checks.cmp_str(ctx, "a", "a") == 1
    assert checks.cmp_str(ctx, "b", "a") == -1
    assert checks.cmp_str(ctx, "a", "b") == -2
    assert checks.cmp_istr(ctx, "ABC", "abc") == 1
    assert checks.cmp_istr(ctx, "abd", "ABC") == -1
