"""In-process micro-benchmark of the stateful (tm) call path: CPU µs per call.

Builds the server exactly as ``bench/stateful/run.sh`` does (``stateful.toml``:
sl, tm, rr, maxfwd; ``stateful.cfg``), swaps the sockets for a
``RecordingTransport`` and the clock for a ``ManualClock``, and replays the
SIPp call of the shared harness N times through ``Server.on_message``:

    UAC -> INVITE            (tm answers 100, relays the INVITE)
    UAS -> [100] 180 200     (relayed upstream, 100 absorbed)
    UAC -> ACK               (loose_route, forwarded statelessly)
    UAC -> BYE               (loose_route, t_relay)
    UAS -> 200               (relayed upstream)

The clock advances ``1/rate`` seconds per call, so tm's wait timers (wt_timer
5 s) fire and free transactions as they would at that rate: the table holds
``5 * rate`` calls' transactions in steady state, as in the SIPp run.  Nothing
is sent over a socket.  The first call checks that the expected messages came
out (100, INVITE, 180, 200, ACK, BYE, 200).

    python bench/stateful/bench_tm_inprocess.py                 # 5500 warm-up + 3 x 3000 calls
    python bench/stateful/bench_tm_inprocess.py -n 2000 -r 1 --profile   # + cProfile top 40
    python bench/stateful/bench_tm_inprocess.py --uas-100      # the UAS also sends 100

Prints, per measured segment (after a warm-up that fills the table to its
steady state) and as a median, ``us_per_call`` (process CPU time inside
``on_message`` and the timer callbacks, building the test messages excluded,
divided by the calls) and the time the cyclic GC took; about 20 s with the
defaults.
"""
from __future__ import annotations

import argparse
import gc
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

from siprouter.core.env import ManualClock  # noqa: E402
from siprouter.core.server import Server, build_env  # noqa: E402
from siprouter.core.sip import ReceiveInfo  # noqa: E402

PROXY = ("127.0.0.1", 5078)
UAC = ("127.0.0.1", 5080)
UAS = ("127.0.0.1", 5090)
SDP = (b"v=0\r\no=bench 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       b"m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
RCV_UAC = ReceiveInfo("udp", UAC[0], UAC[1], PROXY[0], PROXY[1], socket.AF_INET)
RCV_UAS = ReceiveInfo("udp", UAS[0], UAS[1], PROXY[0], PROXY[1], socket.AF_INET)


def build_server(tmp: Path):
    cfg = (HERE / "stateful.cfg").read_text()
    (tmp / "stateful.cfg").write_text(cfg)
    (tmp / "s.toml").write_text(
        'loadmodule = ["sl", "tm", "rr", "maxfwd"]\nroutes = "stateful.cfg"\n\n[core]\n'
        f'listen = ["udp:{PROXY[0]}:{PROXY[1]}"]\nlog_level = "warning"\n')
    env, modset = build_env(tmp / "s.toml")
    clock = ManualClock()
    server = Server(env, modset=modset)
    env.attach_runtime(clock=clock, transport=server.transport)
    if env.workers is not None:
        env.workers.start()
    return env, modset, server, clock


def _headers(data: bytes, names: tuple[bytes, ...]) -> list[bytes]:
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
    return [ln for ln in head if ln.split(b":", 1)[0].strip().lower() in names]


def uas_reply(fwd: bytes, code: int, reason: str, tag: str, body: bytes = b"",
              rr: bool = True) -> bytes:
    """What the SIPp UAS sends back for the request ``fwd`` it received."""
    names = (b"via", b"record-route", b"from", b"to", b"call-id", b"cseq") if rr else \
        (b"via", b"from", b"to", b"call-id", b"cseq")
    lines = []
    for ln in _headers(fwd, names):
        if ln[:3].lower() == b"to:" and b";tag=" not in ln:
            ln += b";tag=" + tag.encode()
        lines.append(ln)
    extra = b"Contact: <sip:uas@127.0.0.1:5090;transport=UDP>\r\n"
    if body:
        extra += b"Content-Type: application/sdp\r\n"
    return (f"SIP/2.0 {code} {reason}\r\n".encode() + b"\r\n".join(lines) + b"\r\n" + extra
            + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def uac_invite(n: int) -> bytes:
    return (f"INVITE sip:service@{UAS[0]}:{UAS[1]} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {UAC[0]}:{UAC[1]};branch=z9hG4bK-{n}-1-0\r\n"
            f"From: <sip:bench@{UAC[0]}:{UAC[1]}>;tag=4242-{n}\r\n"
            f"To: <sip:service@{UAS[0]}:{UAS[1]}>\r\n"
            f"Call-ID: {n}-4242@127.0.0.1\r\nCSeq: 1 INVITE\r\n"
            f"Contact: <sip:bench@{UAC[0]}:{UAC[1]}>\r\nMax-Forwards: 70\r\n"
            f"Content-Type: application/sdp\r\nContent-Length: {len(SDP)}\r\n\r\n").encode() + SDP


def uac_in_dialog(n: int, method: str, cseq: int, to_hdr: bytes, routes: list[bytes],
                  branch_no: int) -> bytes:
    route = b"".join(b"Route: " + r + b"\r\n" for r in routes)
    return (f"{method} sip:uas@127.0.0.1:5090;transport=UDP SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {UAC[0]}:{UAC[1]};branch=z9hG4bK-{n}-{cseq}-{branch_no}\r\n"
            .encode() + route
            + f"From: <sip:bench@{UAC[0]}:{UAC[1]}>;tag=4242-{n}\r\n".encode()
            + to_hdr + b"\r\n"
            + f"Call-ID: {n}-4242@127.0.0.1\r\nCSeq: {cseq} {method}\r\n"
              f"Contact: <sip:bench@{UAC[0]}:{UAC[1]}>\r\nMax-Forwards: 70\r\n"
              f"Content-Length: 0\r\n\r\n".encode())


def one_call(server, clock, sent: list, n: int, uas_100: bool, step: float) -> float:
    """Replay one call; returns the CPU seconds spent in the server (not in building
    the UAC/UAS messages)."""
    on = server.on_message
    cpu = time.process_time
    inv = uac_invite(n)
    t0 = cpu()
    base = len(sent)
    on(inv, RCV_UAC, None)
    spent = cpu() - t0
    # tm's 100 upstream, the INVITE downstream
    fwd = next(d for d, dst in sent[base:] if d.startswith(b"INVITE"))
    tag = f"uas-{n}"
    msgs = [uas_reply(fwd, 100, "Trying", tag, rr=False)] if uas_100 else []
    msgs.append(uas_reply(fwd, 180, "Ringing", tag))
    ok = uas_reply(fwd, 200, "OK", tag, SDP)
    msgs.append(ok)
    t0 = cpu()
    for m in msgs:
        on(m, RCV_UAS, None)
    spent += cpu() - t0
    # the UAC sees the 200 with the Record-Route: Route set = RR (one proxy: same order)
    to_hdr = next(ln for ln in _headers(ok, (b"to",)))
    routes = [ln.split(b":", 1)[1].strip() for ln in _headers(ok, (b"record-route",))]
    ack = uac_in_dialog(n, "ACK", 1, to_hdr, routes, 1)
    bye = uac_in_dialog(n, "BYE", 2, to_hdr, routes, 2)
    t0 = cpu()
    on(ack, RCV_UAC, None)
    mark = len(sent)
    on(bye, RCV_UAC, None)
    spent += cpu() - t0
    fbye = next(d for d, dst in sent[mark:] if d.startswith(b"BYE"))
    rep = uas_reply(fbye, 200, "OK", tag, rr=False)
    t0 = cpu()
    on(rep, RCV_UAS, None)
    clock.advance(step)          # timers due by now (wt_timer ends of earlier calls)
    return spent + cpu() - t0


# the number of messages each call must produce: 100, INVITE, 180, 200, ACK, BYE, 200
EXPECTED = [b"SIP/2.0 100", b"INVITE", b"SIP/2.0 180", b"SIP/2.0 200", b"ACK", b"BYE",
            b"SIP/2.0 200"]


def run(calls: int, repeat: int, rate: float, uas_100: bool, profile: bool,
        warm: int | None = None) -> list[tuple[float, float, list[int]]]:
    """One server: ``warm`` calls to reach the steady state (default: rate * 5.5 s, the
    transactions of the last wt_timer live in the table), then ``repeat`` measured
    segments of ``calls`` calls.  Returns (us_per_call, gc_s, gc_runs) per segment."""
    out = []
    gcst = _gc_timer()
    with tempfile.TemporaryDirectory() as tmp:
        env, modset, server, clock = build_server(Path(tmp))
        sent = server.transport.sent
        step = 1.0 / rate
        try:
            warm = int(rate * 5.5) if warm is None else warm
            for i in range(max(1, warm)):
                one_call(server, clock, sent, 10_000_000 + i, uas_100, step)
                if i == 0:
                    got = [d[:len(e)] for (d, _), e in zip(sent[-7:], EXPECTED)]
                    assert got == EXPECTED, got
                if len(sent) > 7000:
                    sent.clear()
            sent.clear()
            prof = None
            if profile:
                import cProfile
                prof = cProfile.Profile()
                prof.enable()
            n = 0
            for _ in range(repeat):
                gcst.update(s=0.0, runs=[0, 0, 0], on=True)
                cpu = 0.0
                for _ in range(calls):
                    cpu += one_call(server, clock, sent, n, uas_100, step)
                    n += 1
                    if len(sent) > 7000:
                        sent.clear()
                gcst["on"] = False
                out.append((cpu * 1e6 / calls, gcst["s"], list(gcst["runs"])))
            if prof is not None:
                prof.disable()
                import pstats
                pstats.Stats(prof).sort_stats("tottime").print_stats(40)
                pstats.Stats(prof).sort_stats("cumulative").print_stats(40)
        finally:
            gc.callbacks.remove(gcst["cb"])
            for fn in env.hooks("shutdown"):
                fn(env)
            modset.destroy_all(env)
            if env.workers is not None:
                env.workers.stop(2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--calls", type=int, default=3000, help="calls per measured segment")
    ap.add_argument("-r", "--repeat", type=int, default=3, help="measured segments")
    ap.add_argument("--rate", type=float, default=1000.0,
                    help="calls/s the manual clock simulates (timers fire accordingly; the "
                         "table holds rate * wt_timer calls in steady state)")
    ap.add_argument("--warm", type=int, default=None,
                    help="warm-up calls (default rate * 5.5: steady state reached)")
    ap.add_argument("--uas-100", action="store_true", help="the UAS sends 100 Trying too")
    ap.add_argument("--profile", action="store_true", help="cProfile the segments (slower)")
    ap.add_argument("--gc-threshold", type=int, default=None,
                    help="gc.set_threshold(N, 50, 100) first (0: gc.disable()); "
                         "default: the interpreter's (700, 10, 10), as the server runs today")
    a = ap.parse_args()
    if a.gc_threshold == 0:
        gc.disable()
    elif a.gc_threshold:
        gc.set_threshold(a.gc_threshold, 50, 100)
    res = run(a.calls, a.repeat, a.rate, a.uas_100, a.profile, a.warm)
    for us, gcs, runs in res:
        print(f"segment calls={a.calls} us_per_call={us:.1f} "
              f"gc_us_per_call={gcs * 1e6 / a.calls:.0f} gc_runs={runs}", flush=True)
    med = statistics.median(r[0] for r in res)
    gmed = statistics.median(r[1] for r in res) * 1e6 / a.calls
    print(f"median us_per_call={med:.1f} calls_per_cpu_s={1e6 / med:.0f} gc_us_per_call={gmed:.0f} "
          f"rate={a.rate:g} gc_threshold={gc.get_threshold() if gc.isenabled() else 'disabled'} "
          f"python={sys.version.split()[0]}" + (" (profiled: inflated)" if a.profile else ""))


def _gc_timer() -> dict:
    """Wall time spent in the cyclic GC (gc.callbacks) while ``on`` is set."""
    st: dict = {"s": 0.0, "runs": [0, 0, 0], "t0": 0.0, "on": False}

    def cb(phase: str, info: dict) -> None:
        if not st["on"]:
            return
        if phase == "start":
            st["t0"] = time.perf_counter()
        else:
            st["s"] += time.perf_counter() - st["t0"]
            st["runs"][info["generation"]] += 1
    st["cb"] = cb
    gc.callbacks.append(cb)
    return st


if __name__ == "__main__":
    main()
