"""Continuations: "the rest of the innermost block" (checklist 7, 9, 11, 12)."""
from __future__ import annotations

import threading

from siprouter.core.modsys import RouteType
from siprouter.core.routing import thread_vars


def _cont(h):
    conts = [c for c in h.calls if isinstance(c, tuple) and c[0] == "suspend"]
    return conts[-1][1]


def test_continuation_is_rest_of_block(h):
    v, ctx = h.run('request_route { log("a"); suspend(); log("b"); log("c"); }')
    assert v == 0 and h.calls[-1][0] == "suspend"
    cont = _cont(h)
    assert cont is not None
    h.calls.clear()
    ctx2 = h.script.new_context(ctx.msg, RouteType.FAILURE, h.env)
    h.script.run_continuation(cont, ctx2)
    assert h.calls == ["b", "c"]


def test_last_action_has_no_continuation(h):
    h.run('request_route { log("a"); suspend(); }')
    assert _cont(h) is None
    assert h.calls[-1] == ("suspend", None)


def test_in_expression_has_no_continuation(h):
    h.run('request_route { if (suspend()) { log("x"); } log("after"); }')
    assert h.calls[0] == ("suspend", None)
    assert h.calls[-1] == "after"   # returned -1: script goes on


def test_continuation_in_if_body_resumes_only_that_body(h):
    v, ctx = h.run('request_route { if (1) { suspend(); log("in-if"); } log("after-if"); }')
    cont = _cont(h)
    h.calls.clear()
    h.script.run_continuation(cont, h.script.new_context(ctx.msg, RouteType.FAILURE, h.env))
    assert h.calls == ["in-if"]


def test_continuation_in_sub_route_resumes_only_that_route(h):
    v, ctx = h.run('request_route { route(S); log("top-after"); } '
                   'route[S] { suspend(); log("s1"); return 5; log("never"); }')
    cont = _cont(h)
    assert cont.route_kind == "route" and cont.route_name == "S"
    h.calls.clear()
    ctx2 = h.script.new_context(ctx.msg, RouteType.FAILURE, h.env)
    value = h.script.run_continuation(cont, ctx2)
    assert h.calls == ["s1"] and value == 5


def test_continuation_fresh_state(h):
    v, ctx = h.run('request_route { $var(x) = 7; $sf = 3; f(-4); suspend(); '
                   'log("$var(x) $sf $rc"); }')
    cont = _cont(h)
    h.calls.clear()
    done = []

    def other_thread():
        ctx2 = h.script.new_context(ctx.msg, RouteType.FAILURE, h.env)
        ctx2.sflags = 9
        ctx2.rc = 4
        h.script.run_continuation(cont, ctx2)
        done.append(True)
    t = threading.Thread(target=other_thread)
    t.start()
    t.join()
    assert done and h.calls == ["0 0 0"]


def test_continuation_keeps_message_state(h):
    v, ctx = h.run('request_route { $avp(k) = "kept"; $ru = "sip:new@h"; suspend(); '
                   'log("$avp(k) $ru"); }')
    cont = _cont(h)
    h.calls.clear()
    h.script.run_continuation(cont, h.script.new_context(ctx.msg, RouteType.FAILURE, h.env))
    assert h.calls == ["kept sip:new@h"]


def test_continuation_exit_inside(h):
    v, ctx = h.run('request_route { suspend(); exit; log("never"); }')
    cont = _cont(h)
    h.calls.clear()
    h.script.run_continuation(cont, h.script.new_context(ctx.msg, RouteType.FAILURE, h.env))
    assert h.calls == []


def test_continuation_in_while_body(h):
    v, ctx = h.run('request_route { while (1) { suspend(); log("w"); break; } }')
    cont = _cont(h)
    h.calls.clear()
    h.script.run_continuation(cont, h.script.new_context(ctx.msg, RouteType.FAILURE, h.env))
    assert h.calls == ["w"]


def test_continuation_resume_can_suspend_again(h):
    v, ctx = h.run('request_route { suspend(); log("1"); suspend(); log("2"); }')
    c1 = _cont(h)
    h.script.run_continuation(c1, h.script.new_context(ctx.msg, RouteType.FAILURE, h.env))
    c2 = _cont(h)
    assert c2 is not c1
    h.calls.clear()
    h.script.run_continuation(c2, h.script.new_context(ctx.msg, RouteType.FAILURE, h.env))
    assert h.calls == ["2"]


def test_run_named_route_as_top_level(h):
    s = h.compile('route[R] { log("r"); return 3; } failure_route[F] { log("f"); }')
    r = s.route("R")
    ctx = s.new_context(None, RouteType.FAILURE, h.env)
    assert s.run(r, ctx) == 3 and ctx._flags == 0
    s.run(s.route("F", "failure"), ctx)
    assert h.calls == ["r", "f"]


def test_new_context_defaults(h):
    s = h.compile('request_route { noop(); }')
    ctx = s.new_context(None, RouteType.REQUEST, h.env)
    assert ctx.rc == 0 and ctx.sflags == 0 and ctx.drop is False and ctx.vars is thread_vars()
    assert ctx.branch == -1 and ctx.txn is None and ctx.reply is None and ctx.extra == {}
