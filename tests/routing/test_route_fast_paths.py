"""The per-message shortcuts of the engine behave like the general code.

``Script.new_context`` fills a RunContext directly (``fresh_context``),
``method == "X"`` and ``uri == myself`` are single closures; these tests
pin them to the general behaviour.
"""
from __future__ import annotations

import threading

from route_helpers import make_msg

from siprouter.core.modsys import RouteType
from siprouter.core.routing.context import RunContext, thread_vars

REPLY = (b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK1\r\n"
         b"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\n"
         b"CSeq: 7 bye\r\nContent-Length: 0\r\n\r\n")


def test_new_context_equals_the_constructor(h):
    script = h.compile("request_route { noop(); }")
    msg = make_msg()
    fast = script.new_context(msg, RouteType.REQUEST, h.env)
    slow = RunContext(msg, RouteType.REQUEST, h.env, script=script, vars=thread_vars())
    for slot in RunContext.__slots__:
        a, b = getattr(fast, slot), getattr(slow, slot)
        if slot == "extra":
            assert a == b == {} and a is not b     # a fresh dict per context
        else:
            assert a == b, slot
    assert fast.vars is thread_vars()


def test_new_context_takes_the_vars_of_the_calling_thread(h):
    script = h.compile("request_route { noop(); }")
    seen = []

    def worker() -> None:
        ctx = script.new_context(make_msg(), RouteType.REQUEST, h.env)
        seen.append((ctx.vars, thread_vars()))

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    (vars_, theirs), = seen
    assert vars_ is theirs and vars_ is not thread_vars()


def test_run_restores_the_outer_control_state(h):
    script = h.compile("request_route { exit; }")
    route = script.route("", "request")
    ctx = script.new_context(make_msg(), RouteType.REQUEST, h.env)
    ctx._flags, ctx._depth, ctx._cont = 2, 3, "outer"
    assert script.run(route, ctx) == 0
    assert (ctx._flags, ctx._depth, ctx._cont) == (2, 3, "outer")


def test_method_test_on_requests_and_replies(h):
    cases = [('method == "INVITE"', None, "1"), ('method == "invite"', None, "1"),
             ('method != "INVITE"', None, "0"), ('method == "BYE"', None, "0"),
             ('method == "BYE"', REPLY, "1"), ('method != "bye"', REPLY, "0")]
    for expr, data, want in cases:
        h.calls.clear()
        msg = make_msg(data) if data is not None else None
        kind = "reply" if data is not None else "request"
        word = "reply_route" if data is not None else "request_route"
        h.run(f'{word} {{ if ({expr}) {{ log("1"); }} else {{ log("0"); }} }}', msg=msg, kind=kind)
        assert h.calls == [want], expr


def test_method_test_on_a_reply_without_cseq(h):
    msg = make_msg(REPLY.replace(b"CSeq: 7 bye\r\n", b""))
    h.run('reply_route { if (method == "BYE") { log("1"); } else { log("0"); } '
          'if (method != "BYE") { log("ne"); } }', msg=msg, kind="reply")
    assert h.calls == ["0", "ne"]


def test_ruri_myself_on_replies_and_without_env(h):
    h.run('reply_route { if (uri == myself) { log("1"); } if (uri != myself) { log("ne"); } }',
          msg=make_msg(REPLY), kind="reply")
    assert h.calls == ["ne"]
    h.calls.clear()
    script = h.compile('request_route { if (uri == myself) { log("1"); } '
                       'if (uri != myself) { log("ne"); } }')
    route = script.route("", "request")
    script.run(route, script.new_context(make_msg(), RouteType.REQUEST, None))
    assert h.calls == ["ne"]


def test_ruri_myself_checks_host_and_port(h):
    class PortEnv:
        core: dict = {}

        def is_myself(self, host, port=None):
            return (host, port) == ("example.com", 5080)

    h.env = PortEnv()
    h.run('request_route { if (uri == myself) { log("mine"); } }')
    assert h.calls == ["mine"]
    h.calls.clear()
    other = make_msg().to_bytes().replace(b"example.com:5080", b"example.com:5090", 1)
    h.run('request_route { if (uri == myself) { log("mine"); } else { log("no"); } }',
          msg=make_msg(other))
    assert h.calls == ["no"]
