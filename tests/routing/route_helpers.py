"""Shared helpers for the route-engine tests: a test function module, a real
SIP message, and a harness to compile+run a script text in one call.

(A uniquely named module, not conftest: several test folders have a conftest.)"""
from __future__ import annotations

from pathlib import Path

from siprouter.core.modsys import Arg, FixupError, Module, RouteType
from siprouter.core.routing import FunctionRegistry, PVRegistry, compile_script
from siprouter.core.sip import ReceiveInfo, parse_message
import siprouter.modules.pv as pvmod

INVITE = (
    b"INVITE sip:bob@example.com:5080;transport=udp SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK776asdhdt\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: Bob <sip:bob@example.com>\r\n"
    b"From: \"Alice\" <sip:alice@atlanta.com>;tag=1928301774\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@pc33.atlanta.com>\r\n"
    b"User-Agent: TestUA/1.0\r\n"
    b"X-Multi: one\r\n"
    b"X-Multi: two\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n\r\nv=0\n"
)

BROKEN_DIR = Path(__file__).parent / "broken"


def make_msg(data: bytes = INVITE):
    """A parsed INVITE with receive info, as the transport would hand it over."""
    msg = parse_message(data)
    msg.rcv = ReceiveInfo("udp", "10.0.0.1", 5060, "192.168.1.10", 5060, 2)
    return msg


class Env:
    """Minimal ServerEnv stand-in: only is_myself is used by the engine."""

    def __init__(self, me=("192.168.1.10", "example.com")):
        self.me = set(me)
        self.core: dict = {}

    def is_myself(self, host, port=None):
        return host in self.me


def build_test_module() -> tuple[Module, list]:
    """Functions used by the tests; every call is appended to ``calls``."""
    m = Module("rtest")
    calls: list = []

    @m.function("f", Arg.IGP, doc="returns its argument")
    def f(ctx, n):
        calls.append(("f", n))
        return n

    @m.function("log", Arg.SPVE)
    def log_(ctx, s):
        calls.append(s)
        return 1

    @m.function("noop")
    def noop(ctx):
        calls.append("noop")
        return 1

    @m.function("req_only", routes=RouteType.REQUEST)
    def req_only(ctx):
        return 1

    @m.function("reply_only", routes=RouteType.ONREPLY)
    def reply_only(ctx):
        return 1

    @m.function("ev_fn", routes=RouteType.ONEVENT)
    def ev_fn(ctx):
        return 1

    @m.function("strarg", Arg.STR)
    def strarg(ctx, s):
        calls.append(("strarg", s))
        return 1

    @m.function("intarg", Arg.INT)
    def intarg(ctx, n):
        calls.append(("intarg", n))
        return 1

    @m.function("rx", Arg.REGEX, Arg.SPVE)
    def rx(ctx, pattern, s):
        return 1 if pattern.search(s) else -1

    @m.function("goto", Arg.ROUTE)
    def goto(ctx, name):
        calls.append(("goto", name))
        return 1

    @m.function("flag", Arg.FLAG)
    def flag(ctx, n):
        calls.append(("flag", n))
        return 1

    @m.function("pvset", Arg.PVREF, Arg.SPVE)
    def pvset(ctx, pv, v):
        pv.set(ctx, v)
        return 1

    @m.function("anyarg", Arg.ANY)
    def anyarg(ctx, v):
        calls.append(("any", v))
        return 1

    @m.function("opt", Arg.INT, Arg.INT, optional=1)
    def opt(ctx, a, b=99):
        calls.append(("opt", a, b))
        return 1

    @m.function("opt", Arg.INT, Arg.INT, Arg.INT)
    def opt3(ctx, a, b, c):
        calls.append(("opt3", a, b, c))
        return 1

    def sec_fixup(args, env):
        v = args[0].literal
        if v is not None and not 1 <= v <= 99:
            raise FixupError("seconds must be 1..99")

    @m.function("secs", Arg.IGP, fixup=sec_fixup)
    def secs(ctx, n):
        return 1

    @m.function("suspend")
    def suspend(ctx):
        """Captures the continuation like async_sleep, returns 0 (ends script)."""
        cont = ctx.continuation()
        calls.append(("suspend", cont))
        return 0 if cont is not None else -1

    @m.function("boom")
    def boom(ctx):
        raise RuntimeError("module bug")

    @m.function("none_ret")
    def none_ret(ctx):
        return None

    # Kamailio-like declarations used by the broken/*.cfg expectations
    @m.function("async_sleep", Arg.IGP, routes=RouteType.REQUEST | RouteType.FAILURE)
    def async_sleep(ctx, n):
        return 1

    @m.function("async_route", Arg.ROUTE, Arg.IGP, routes=RouteType.REQUEST | RouteType.FAILURE)
    def async_route(ctx, r, n):
        return 1

    @m.function("mf_process_maxfwd_header", Arg.IGP, routes=RouteType.REQUEST | RouteType.FAILURE)
    def maxfwd(ctx, limit):
        mf = ctx.msg.max_forwards
        if mf is None:
            return 2
        if mf == 0:
            return -1
        ctx.msg.set_header("Max-Forwards", str(min(mf, limit) - 1 if mf > limit else mf - 1))
        return 1

    @m.function("sl_send_reply", Arg.IGP, Arg.SPVE, routes=RouteType.REQUEST | RouteType.FAILURE)
    def sl_send_reply(ctx, code, reason):
        calls.append(("reply", code, reason))
        return 1

    @m.function("setflag", Arg.FLAG)
    def setflag(ctx, n):
        ctx.msg.flags |= 1 << n
        return 1

    @m.function("xlog", Arg.SPVE)
    def xlog1(ctx, s):
        calls.append(s)
        return 1

    @m.function("xlog", Arg.STR, Arg.SPVE)
    def xlog2(ctx, level, s):
        calls.append(s)
        return 1

    return m, calls


class Harness:
    """Compile a script text against pv + rtest and run its routes."""

    def __init__(self):
        self.module, self.calls = build_test_module()
        self.registry = FunctionRegistry(pvmod.module.functions + self.module.functions)
        self.pvs = PVRegistry(pvmod.module.pvs)
        self.env = Env()

    def compile(self, text: str, *, defines=None, core_params=None, path="test.cfg"):
        return compile_script(path, self.registry, defines=defines or {}, pvs=self.pvs,
                              core_params=core_params or {}, env=self.env, text=text)

    def compile_file(self, path, *, defines=None, core_params=None):
        return compile_script(path, self.registry, defines=defines or {}, pvs=self.pvs,
                              core_params=core_params or {}, env=self.env)

    def run(self, text: str, *, msg=None, kind="request", name="", defines=None,
            core_params=None, script=None):
        """Compile ``text`` and run block ``kind[name]``; returns (value, ctx)."""
        script = script or self.compile(text, defines=defines, core_params=core_params)
        msg = msg if msg is not None else make_msg()
        route = script.route(name, kind)
        assert route is not None, f"no {kind}[{name}]"
        ctx = script.new_context(msg, route.route_type, self.env)
        value = script.run(route, ctx)
        self.script = script
        return value, ctx
