"""Route-engine benchmark: a realistic request_route on a typical INVITE.

Run:  python bench/bench_route.py
Prints the median time of one ``script.run`` (µs, thread CPU time and wall
clock) over several rounds; then the same with the message views the script
touches (From, R-URI, Max-Forwards) parsed before the clock starts, which is
the engine's own cost.
Bounded: under 30 s (usually about 5 s).  The max-forwards function is a small stand-in with
Kamailio's semantics so the benchmark measures the engine, not a module.
"""
from __future__ import annotations

import statistics
import sys
import time

from siprouter.core.modsys import Arg, Module, RouteType
from siprouter.core.routing import FunctionRegistry, PVRegistry, compile_script
from siprouter.core.sip import ReceiveInfo, parse_message
import siprouter.modules.pv as pvmod

INVITE = (
    b"INVITE sip:bob@example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776asdhds\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: Bob <sip:bob@example.com>\r\n"
    b"From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@pc33.atlanta.com>\r\n"
    b"Content-Length: 0\r\n\r\n"
)

SCRIPT = r"""
#!define MAXHOPS 10
request_route {
    # request sanity
    if (!mf_process_maxfwd_header(MAXHOPS)) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (is_method("OPTIONS") && uri == myself) {
        sl_send_reply("200", "Keepalive");
        exit;
    }
    if ($rm == "CANCEL") {
        route(RELAY);
        exit;
    }
    if (method == "REGISTER") {
        sl_send_reply("404", "No registrar");
        exit;
    }
    if ($rU =~ "^\+?[0-9]{3,}$") {
        $var(pstn) = 1;
    }
    if ($si == "10.0.0.1" && $avp(seen) == $null) {
        $avp(seen) = "yes";
    }
    $var(n) = $var(n) + 1;
    $ru = "sip:" + $rU + "@10.1.1.1:5060";
    route(RELAY);
    exit;
}

route[RELAY] {
    if (is_method("INVITE")) {
        $avp(caller) = $fU;
    }
    if (!t_relay()) {
        sl_send_reply("500", "Relay failed");
    }
    return;
}
"""


class _Env:
    def is_myself(self, host, port=None):
        return host in ("192.168.1.10",)


def build():
    m = Module("benchfns")

    @m.function("mf_process_maxfwd_header", Arg.IGP, routes=RouteType.REQUEST | RouteType.FAILURE)
    def maxfwd(ctx, limit):
        mf = ctx.msg.max_forwards
        if mf is None:
            return 2
        return -1 if mf == 0 else 1

    @m.function("sl_send_reply", Arg.IGP, Arg.SPVE)
    def sl_send_reply(ctx, code, reason):
        return 1

    @m.function("is_method", Arg.STR)
    def is_method(ctx, names):
        return 1 if ctx.msg.method == names else -1

    @m.function("t_relay")
    def t_relay(ctx):
        return 1

    reg = FunctionRegistry(pvmod.module.functions + m.functions)
    pvs = PVRegistry(pvmod.module.pvs)
    return compile_script("bench.cfg", reg, defines={}, pvs=pvs, core_params={},
                          env=_Env(), text=SCRIPT)


def main() -> int:
    script = build()
    route = script.route("", "request")
    env = _Env()
    template = parse_message(INVITE)
    rcv = ReceiveInfo("udp", "10.0.0.1", 5060, "192.168.1.10", 5060, 2)
    def measure(preparse: bool) -> tuple[list[float], list[float], list]:
        rounds = []      # wall-clock µs per run
        cpu_rounds = []  # thread CPU µs per run: robust when the machine is shared
        deadline = time.perf_counter() + 12
        ctxs: list = []
        for _ in range(9):
            msgs = []
            for _ in range(n):
                m = template.copy()
                m.rcv = rcv
                if preparse:
                    # engine-only figure: the lazily parsed views the script
                    # touches are parsed before the clock starts
                    m.from_.uri.user, m.uri.user, m.max_forwards
                msgs.append(m)
            ctxs = [script.new_context(m, route.route_type, env) for m in msgs]
            c0 = time.thread_time()
            t0 = time.perf_counter()
            for ctx in ctxs:
                script.run(route, ctx)
            rounds.append((time.perf_counter() - t0) / n * 1e6)
            cpu_rounds.append((time.thread_time() - c0) / n * 1e6)
            if time.perf_counter() > deadline:
                break
        return rounds, cpu_rounds, ctxs

    n = 2000
    rounds, cpu_rounds, ctxs = measure(False)
    e_rounds, e_cpu, _ = measure(True)
    # sanity: the script did what it should
    last = ctxs[-1]
    assert last.msg.uri_text == "sip:bob@10.1.1.1:5060", last.msg.uri_text
    assert last.msg.attrs["avps"]["caller"] == ["alice"]
    print(f"route run (30-line request_route, INVITE): median "
          f"{statistics.median(cpu_rounds):.2f} µs CPU / {statistics.median(rounds):.2f} µs wall "
          f"per run (best round {min(rounds):.2f} µs wall)")
    print(f"  engine only (message views pre-parsed): median "
          f"{statistics.median(e_cpu):.2f} µs CPU / {statistics.median(e_rounds):.2f} µs wall "
          f"(best round {min(e_rounds):.2f} µs wall)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
