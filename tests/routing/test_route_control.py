"""Control flow and return-code semantics (spec §4.2/4.3, checklist 30-31)."""
from __future__ import annotations



def test_function_returning_zero_ends_script(h):
    v, ctx = h.run('request_route { f(1); f(0); noop(); }')
    assert h.calls == [("f", 1), ("f", 0)]
    assert v == 0


def test_zero_inside_condition_ends_script(h):
    v, ctx = h.run('request_route { if (f(0)) { noop(); } else { noop(); } noop(); }')
    assert h.calls == [("f", 0)]


def test_zero_inside_nested_condition_expression(h):
    h.run('request_route { if (f(1) && f(0)) { noop(); } noop(); }')
    assert h.calls == [("f", 1), ("f", 0)]


def test_negative_is_false(h):
    h.run('request_route { if (f(-1)) { log("t"); } else { log("f"); } }')
    assert h.calls[-1] == "f"


def test_positive_is_true(h):
    h.run('request_route { if (f(5)) { log("t"); } else { log("f"); } }')
    assert h.calls[-1] == "t"


def test_negative_action_does_not_stop(h):
    h.run('request_route { f(-2); noop(); }')
    assert h.calls == [("f", -2), "noop"]


def test_negation_of_call(h):
    h.run('request_route { if (!f(-1)) { log("neg"); } }')
    assert h.calls[-1] == "neg"


def test_return_without_value_is_one(h):
    h.run('request_route { route(A); log("$rc"); } route[A] { return; }')
    assert h.calls[-1] == "1"


def test_return_value_becomes_route_value(h):
    h.run('request_route { route(A); log("$rc"); } route[A] { return -7; }')
    assert h.calls[-1] == "-7"


def test_return_zero_is_exit(h):
    v, ctx = h.run('request_route { route(A); log("after"); } route[A] { return 0; }')
    assert "after" not in h.calls


def test_exit_leaves_all_levels(h):
    h.run('request_route { route(A); log("top"); } route[A] { route(B); log("a"); } '
          'route[B] { exit; }')
    assert h.calls == []


def test_return_only_leaves_sub_route(h):
    h.run('request_route { route(A); log("top"); } route[A] { route(B); log("a"); } '
          'route[B] { return 2; log("b"); }')
    assert h.calls == ["a", "top"]


def test_drop_sets_flag_and_exits(h):
    v, ctx = h.run('request_route { route(A); log("top"); } route[A] { drop; }')
    assert ctx.drop is True
    assert h.calls == []


def test_no_drop_flag_by_default(h):
    v, ctx = h.run('request_route { exit; }')
    assert ctx.drop is False


def test_block_value_is_last_action_value(h):
    h.run('request_route { route(A); log("$rc"); } route[A] { f(3); f(-4); }')
    assert h.calls[-1] == "-4"


def test_route_in_condition_true(h):
    h.run('request_route { if (route(A)) { log("yes"); } } route[A] { return 2; }')
    assert h.calls[-1] == "yes"


def test_route_in_condition_false(h):
    h.run('request_route { if (route(A)) { log("yes"); } else { log("no"); } } '
          'route[A] { return -2; }')
    assert h.calls[-1] == "no"


def test_route_call_compared_is_boolean(h):
    # Kamailio turns the call into a boolean first: route(X) == -2 never matches
    h.run('request_route { if (route(A) == -2) { log("eq"); } else { log("ne"); } } '
          'route[A] { return -2; }')
    assert h.calls[-1] == "ne"


def test_rc_after_function(h):
    h.run('request_route { f(-5); $var(r) = $rc; log("$var(r) $retcode $?"); }')
    assert h.calls[-1] == "-5 -5 -5"


def test_top_level_return_value(h):
    v, ctx = h.run('request_route { return 9; noop(); }')
    assert v == 9 and h.calls == []


def test_exit_with_value(h):
    v, ctx = h.run('request_route { exit(3); }')
    assert v == 3


def test_if_without_else_not_taken_value_is_one(h):
    h.run('request_route { route(A); log("$rc"); } route[A] { f(-3); if (0) { f(-9); } }')
    assert h.calls[-1] == "1"


def test_else_if_chain(h):
    h.run('request_route { $var(x) = 2; if ($var(x) == 1) { log("1"); } '
          'else if ($var(x) == 2) { log("2"); } else { log("3"); } }')
    assert h.calls == ["2"]


def test_if_single_statement_body(h):
    h.run('request_route { if (1) log("a"); else log("b"); }')
    assert h.calls == ["a"]


def test_nested_blocks(h):
    h.run('request_route { { log("a"); { log("b"); } } }')
    assert h.calls == ["a", "b"]


def test_while_counts(h):
    h.run('request_route { $var(i) = 0; while ($var(i) < 5) { $var(i) = $var(i) + 1; } '
          'log("$var(i)"); }')
    assert h.calls == ["5"]


def test_while_stops_at_max_while_loops(h):
    h.run('request_route { $var(i) = 0; while (1) { $var(i) = $var(i) + 1; } log("$var(i)"); }')
    assert h.calls == ["100"]


def test_while_limit_is_core_param(h):
    h.run('request_route { $var(i) = 0; while (1) { $var(i) = $var(i) + 1; } log("$var(i)"); }',
          core_params={"max_while_loops": 7})
    assert h.calls == ["7"]


def test_while_break(h):
    h.run('request_route { $var(i) = 0; while (1) { $var(i) = $var(i) + 1; '
          'if ($var(i) == 3) { break; } } log("$var(i)"); }')
    assert h.calls == ["3"]


def test_while_exit_inside(h):
    h.run('request_route { while (1) { exit; } log("after"); }')
    assert h.calls == []


def test_while_condition_function_zero_exits(h):
    h.run('request_route { while (f(0)) { log("x"); } log("after"); }')
    assert h.calls == [("f", 0)]


def test_recursion_capped(h):
    h.run('request_route { $var(d) = 0; route(R); log("$var(d)"); } '
          'route[R] { $var(d) = $var(d) + 1; route(R); }')
    assert h.calls == ["256"]


def test_recursion_cap_is_core_param(h):
    h.run('request_route { $var(d) = 0; route(R); log("$var(d)"); } '
          'route[R] { $var(d) = $var(d) + 1; route(R); }', core_params={"max_recursive_level": 10})
    assert h.calls == ["10"]


def test_switch_int_cases_and_break(h):
    h.run('request_route { $var(x) = 2; switch ($var(x)) { case 1: log("one"); break; '
          'case 2: log("two"); break; case 3: log("three"); break; default: log("def"); } }')
    assert h.calls == ["two"]


def test_switch_fall_through(h):
    h.run('request_route { switch (1) { case 1: log("one"); case 2: log("two"); break; '
          'case 3: log("three"); } }')
    assert h.calls == ["one", "two"]


def test_switch_default(h):
    h.run('request_route { switch (9) { case 1: log("one"); break; default: log("def"); } }')
    assert h.calls == ["def"]


def test_switch_no_match_no_default(h):
    h.run('request_route { switch (9) { case 1: log("one"); } log("after"); }')
    assert h.calls == ["after"]


def test_switch_string_cases(h):
    h.run('request_route { switch ($rm) { case "REGISTER": log("reg"); break; '
          'case "INVITE": log("inv"); break; } }')
    assert h.calls == ["inv"]


def test_switch_regex_case(h):
    h.run('request_route { switch ($rU) { case /"^b.b$": log("bob"); break; '
          'default: log("other"); } }')
    assert h.calls == ["bob"]


def test_switch_negative_case(h):
    h.run('request_route { f(-2); switch ($rc) { case -1: log("m1"); break; '
          'case -2: log("m2"); break; } }')
    assert h.calls[-1] == "m2"


def test_break_in_switch_inside_while_only_ends_case(h):
    h.run('request_route { $var(i) = 0; while ($var(i) < 3) { $var(i) = $var(i) + 1; '
          'switch ($var(i)) { case 2: log("two"); break; } } log("end $var(i)"); }')
    assert h.calls == ["two", "end 3"]


def test_route_absorbs_break(h):
    h.run('request_route { route(A); log("top"); } route[A] { break; log("no"); }')
    assert h.calls == ["top"]


def test_route_numeric_and_string_names_are_the_same(h):
    h.run('request_route { route(1); route("1"); } route[1] { log("r1"); }')
    assert h.calls == ["r1", "r1"]


def test_route_quoted_block_name(h):
    h.run('request_route { route(MY); } route["MY"] { log("q"); }')
    assert h.calls == ["q"]


def test_route_from_pv(h):
    h.run('request_route { $var(r) = "B"; route($var(r)); } route[B] { log("b"); }')
    assert h.calls == ["b"]


def test_route_from_pv_unknown_is_minus_one(h):
    h.run('request_route { $var(r) = "NOPE"; route($var(r)); log("$rc"); }')
    assert h.calls == ["-1"]


def test_route_defined_after_use(h):
    h.run('request_route { route(LATER); } route[LATER] { log("later"); }')
    assert h.calls == ["later"]


def test_main_route_aliases(h):
    s = h.compile('route { log("main"); } reply_route { log("rep"); }')
    assert s.has_route("", "request") and s.has_route(None, "reply")
    s2 = h.compile('route[0] { log("main"); } onreply_route { log("r"); }')
    assert s2.has_route("", "request") and s2.has_route("", "reply")


def test_named_block_kinds(h):
    s = h.compile('failure_route[F] { noop(); } branch_route[B] { noop(); } '
                  'onreply_route[R] { noop(); } event_route[tm:local-request] { noop(); }')
    assert s.has_route("F", "failure") and s.has_route("B", "branch")
    assert s.has_route("R", "onreply") and s.has_route("tm:local-request", "event")
    assert not s.has_route("F", "route")


def test_missing_request_route_is_allowed(h):
    s = h.compile('route[X] { noop(); }')
    assert s.route("", "request") is None


def test_function_exception_is_minus_one(h):
    h.run('request_route { boom(); log("$rc"); }')
    assert h.calls == ["-1"]


def test_function_returning_none_is_one(h):
    h.run('request_route { none_ret(); log("$rc"); }')
    assert h.calls == ["1"]


def test_function_without_parentheses(h):
    h.run('request_route { noop; }')
    assert h.calls == ["noop"]


def test_optional_arguments(h):
    h.run('request_route { opt(1); opt(1, 2); opt(1, 2, 3); }')
    assert h.calls == [("opt", 1, 99), ("opt", 1, 2), ("opt3", 1, 2, 3)]


def test_igp_pv_holding_string_returns_minus_one(h):
    h.run('request_route { $var(t) = "2"; f($var(t)); log("$rc"); }')
    assert h.calls == ["-1"]


def test_igp_pv_holding_int(h):
    h.run('request_route { $var(t) = 2; f($var(t)); }')
    assert h.calls == [("f", 2)]


def test_igp_numeric_string_literal(h):
    h.run('request_route { f("4"); }')
    assert h.calls == [("f", 4)]


def test_flag_arg(h):
    h.run('request_route { flag(3); $var(f) = 31; flag($var(f)); $var(f) = 32; flag($var(f)); '
          'log("$rc"); }')
    assert h.calls == [("flag", 3), ("flag", 31), "-1"]


def test_str_arg_and_int_arg(h):
    h.run('request_route { strarg("a\\$b"); intarg("12"); intarg(-3); }')
    assert h.calls == [("strarg", "a$b"), ("intarg", 12), ("intarg", -3)]


def test_regex_arg(h):
    h.run('request_route { if (rx("^BOB", "$rU")) { log("m"); } }')
    assert h.calls == ["m"]


def test_route_arg_static(h):
    h.run('request_route { goto("X"); goto(X); } route[X] { noop(); }')
    assert h.calls == [("goto", "X"), ("goto", "X")]


def test_pvref_arg(h):
    h.run('request_route { pvset($var(a), "v-$rU"); log("$var(a)"); }')
    assert h.calls == ["v-bob"]


def test_pvref_arg_quoted(h):
    h.run('request_route { $avp(x) = 1; pv_unset("$avp(x)"); if (!pv_isset("$avp(x)")) { log("gone"); } }')
    assert h.calls == ["gone"]


def test_any_arg_raw_value(h):
    h.run('request_route { $var(i) = 5; anyarg($var(i)); anyarg("$var(i)"); anyarg("x$var(i)"); anyarg(7); }')
    assert h.calls == [("any", 5), ("any", 5), ("any", "x5"), ("any", 7)]


def test_last_loaded_module_wins():
    from siprouter.core.modsys import Module
    from siprouter.core.routing import FunctionRegistry, compile_script
    a, b = Module("a"), Module("b")
    got = []
    a.function("same")(lambda ctx: got.append("a") or 1)
    b.function("same")(lambda ctx: got.append("b") or 1)
    s = compile_script("x.cfg", FunctionRegistry(a.functions + b.functions), text="request_route { same(); }")
    r = s.route("", "request")
    s.run(r, s.new_context(None, r.route_type))
    assert got == ["b"]


def test_script_flags_reset_per_context(h):
    s = h.compile('request_route { $sf = $sf + 1; log("$sf"); }')
    h.run("", script=s)
    h.run("", script=s)
    assert h.calls == ["1", "1"]


def test_event_route_accepts_request_or_event_functions(h):
    s = h.compile('event_route[core:test] { req_only(); ev_fn(); }')
    assert s.has_route("core:test", "event")


def test_nested_run_on_same_context_keeps_outer_state(h):
    from siprouter.core.modsys import Module
    m = Module("nest")

    @m.function("run_inner")
    def run_inner(ctx):
        inner = ctx.script.route("I", "branch")
        ctx.script.run(inner, ctx)     # e.g. tm running a branch route
        return 1
    h.registry.add(m.functions[0])
    h.run('request_route { route(S); log("top"); } route[S] { run_inner(); log("s"); return 1; } '
          'branch_route[I] { log("i"); exit; }')
    assert h.calls == ["i", "s", "top"]


def test_testing_helpers():
    from siprouter.core.modsys import Module
    from siprouter.core.routing.testing import compile_text, run_block
    import siprouter.modules.pv as pv
    from route_helpers import make_msg
    m = Module("demo")
    seen = []
    m.function("demo_fn")(lambda ctx: seen.append(ctx.msg.method) or 1)
    s = compile_text('#!ifdef MOD_demo\nrequest_route { demo_fn(); $var(x) = 1; return 4; }\n#!endif',
                     m, pv.module)
    value, ctx = run_block(s, make_msg())
    assert value == 4 and seen == ["INVITE"]


def test_negated_call_still_exits_on_zero(h):
    h.run('request_route { if (!f(0)) { log("x"); } log("after"); }')
    assert h.calls == [("f", 0)]


def test_negated_call_with_dynamic_argument(h):
    h.run('request_route { $var(v) = -1; if (!f($var(v))) { log("neg"); } $var(v) = "s"; '
          'if (!f($var(v))) { log("bad-arg-is-false"); } }')
    assert h.calls == [("f", -1), "neg", "bad-arg-is-false"]
