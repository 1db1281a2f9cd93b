"""Load-time checks on inline scripts (checklist 28, 29, 32)."""
from __future__ import annotations

import pytest

from siprouter.core.routing import ScriptError, ScriptErrors


def errors(h, text: str, **kw) -> list[str]:
    with pytest.raises(ScriptErrors) as ei:
        h.compile(text, **kw)
    return [str(e) for e in ei.value.errors]


def test_script_error_fields():
    e = ScriptError("a.cfg", 3, 7, "unknown function (missing loadmodule?)", "foo")
    assert (e.file, e.line, e.col, e.text) == ("a.cfg", 3, 7, "foo")
    assert str(e) == "a.cfg:3:7: unknown function (missing loadmodule?): foo"


def test_route_blocks_checked_as_request(h):
    assert errors(h, "route[X] {\n reply_only();\n}") == \
        ["test.cfg:2:2: function cannot be used in route[X]: reply_only"]


def test_request_only_function_in_failure_route(h):
    assert errors(h, "failure_route[F] { req_only(); }") == \
        ["test.cfg:1:20: function cannot be used in failure_route[F]: req_only"]


def test_onreply_function_allowed_in_both_reply_kinds(h):
    h.compile("onreply_route[R] { reply_only(); } reply_route { reply_only(); }")


def test_event_route_rule(h):
    h.compile("event_route[a:b] { req_only(); ev_fn(); }")
    assert errors(h, "event_route[a:b] { reply_only(); }") == \
        ["test.cfg:1:20: function cannot be used in event_route[a:b]: reply_only"]


def test_unknown_function_inside_expression(h):
    assert errors(h, "request_route { if (nope(1)) { exit; } }") == \
        ["test.cfg:1:21: unknown function (missing loadmodule?): nope"]


def test_wrong_arity_with_optional(h):
    assert errors(h, "request_route { opt(); }") == \
        ["test.cfg:1:17: wrong number of parameters (0 given, expected 1..2 or 3): opt"]


def test_static_route_argument_checked(h):
    assert errors(h, 'request_route { goto("NOPE"); }') == ["test.cfg:1:22: route not found: NOPE"]


def test_dynamic_route_argument_not_checked(h):
    h.compile('request_route { goto("$var(x)"); }')


def test_str_argument_must_be_static(h):
    assert errors(h, "request_route { strarg($rU); }") == \
        ["test.cfg:1:24: parameter must be a static string: $rU"]


def test_int_argument_must_be_literal(h):
    assert errors(h, "request_route { intarg($var(x)); }") == \
        ["test.cfg:1:24: parameter must be an integer: $var(x)"]


def test_bad_regex_argument(h):
    errs = errors(h, 'request_route { rx("(", "x"); }')
    assert errs[0].startswith("test.cfg:1:20: bad regular expression (") and errs[0].endswith(": (")


def test_pvref_needs_pv(h):
    assert errors(h, 'request_route { pvset("x", "y"); }') == \
        ['test.cfg:1:23: parameter must be a pseudo-variable: "x"']


def test_fixup_error_reported_at_call(h):
    assert errors(h, "request_route {\n  secs(100);\n}") == \
        ["test.cfg:2:3: invalid parameter for function secs (seconds must be 1..99): secs(100)"]


def test_fixup_skipped_value_for_dynamic_arg(h):
    h.compile("request_route { secs($var(x)); }")


def test_unknown_pv_in_string_argument(h):
    assert errors(h, 'request_route { log("a $nosuch b"); }') == \
        ['test.cfg:1:21: unknown pseudo-variable class $nosuch: "a $nosuch b"']


def test_pv_with_unexpected_name(h):
    assert errors(h, "request_route { $var(a) = $ru(x); }") == \
        ["test.cfg:1:27: pseudo-variable $ru takes no name: $ru(x)"]


def test_pv_with_unexpected_index(h):
    assert errors(h, "request_route { $var(a) = $(ru[1]); }") == \
        ["test.cfg:1:27: pseudo-variable $ru takes no index: $(ru[1])"]


def test_transformed_pv_is_read_only(h):
    assert errors(h, "request_route { $(var(a){s.len}) = 1; }") == \
        ["test.cfg:1:17: cannot assign to a read-only pseudo-variable: $(var(a){s.len})"]


def test_null_is_read_only(h):
    assert errors(h, "request_route { $null = 1; }") == \
        ["test.cfg:1:17: cannot assign to a read-only pseudo-variable: $null"]


def test_duplicate_request_route(h):
    assert errors(h, "request_route { exit; }\nroute { exit; }") == \
        ["test.cfg:2:1: duplicate route: request_route"]


def test_route_zero_and_route_one_differ(h):
    s = h.compile("route[0] { exit; } route[1] { exit; }")
    assert s.has_route("", "request") and s.has_route("1", "route")


def test_errors_collected_in_order(h):
    errs = errors(h, "request_route {\n a1();\n a2();\n}\nroute[X] {\n a3();\n}")
    assert [e.split(": ")[-1] for e in errs] == ["a1", "a2", "a3"]


def test_syntax_error_recovery_keeps_going(h):
    errs = errors(h, "request_route {\n xlog(\"a\") \n noop();\n if (1 { exit; }\n nope();\n}")
    assert errs[0] == "test.cfg:3:2: syntax error: missing ';': noop"
    assert errs[-1] == "test.cfg:5:2: unknown function (missing loadmodule?): nope"


def test_non_numeric_literal_via_define(h):
    assert errors(h, '#!define SECS "abc"\nrequest_route { f(SECS); }') == \
        ['test.cfg:2:19: parameter must be an integer: "abc"']


def test_switch_duplicate_case(h):
    assert errors(h, "request_route { switch (1) { case 1: exit; case 1: exit; } }") == \
        ["test.cfg:1:44: duplicate case value in switch: 1"]


def test_empty_script_is_fine(h):
    s = h.compile("# nothing here\n")
    assert s.routes() == []
