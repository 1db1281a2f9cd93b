"""CPU cost of the stateless relay path, without sockets or SIPp.

Run:  python bench/stateless/bench_path.py [ROUNDS]     (about 5 s)
      python bench/stateless/bench_path.py --profile    (cProfile, top 35)

Builds the server from ``bench/stateless/stateless.toml`` (the compiled
``stateless.cfg``: ``uri == myself`` test, else ``forward()``) with the real
``Transport`` and ``UdpListener`` whose asyncio transport is replaced by a
recorder, then feeds it the six datagrams of the SIPp call scenario
(INVITE, 180, 200, ACK, BYE, 200 -- 200 different calls) through
``UdpListener.datagram_received``, i.e. the path from the socket callback to
``transport.sendto``.  Prints the median thread-CPU µs per call and per
message over ROUNDS rounds (default 15).  What it leaves out: uvloop and the
kernel (recvfrom/sendto, wakeups), about 12 µs per message on the
development VM, and cache effects -- in the running server the same Python
code takes longer (see docs/performance.md).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from siprouter.core.server import Server, build_env
from siprouter.core.transport.manager import Transport
from siprouter.core.transport.udp import UdpListener

HERE = Path(__file__).resolve().parent
UAC = ("127.0.0.1", 5080)
UAS = ("127.0.0.1", 5090)


class _Recorder:
    """Stands in for the asyncio datagram transport."""

    def __init__(self) -> None:
        self.out: list = []

    def is_closing(self) -> bool:
        return False

    def sendto(self, data: bytes, addr) -> None:
        self.out.append((data, addr))


def _request(method: str, call: int, cseq: int, to_tag: str = "", body: bytes = b"") -> bytes:
    head = (f"{method} sip:service@127.0.0.1:5090 SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK-{call}-{cseq}-{method}\r\n"
            f"From: sipp <sip:sipp@127.0.0.1:5080>;tag={call}SIPpTag001\r\n"
            f"To: service <sip:service@127.0.0.1:5090>{to_tag}\r\n"
            f"Call-ID: {call}-1@127.0.0.1\r\n"
            f"CSeq: {cseq} {method}\r\n"
            f"Contact: sip:sipp@127.0.0.1:5080\r\n"
            f"Max-Forwards: 70\r\n"
            f"Subject: Performance Test\r\n"
            + ("Content-Type: application/sdp\r\n" if body else "")
            + f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


_SDP = (b"v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\n"
        b"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def _reply(forwarded: bytes, code: int, reason: str) -> bytes:
    """The UAS's reply to a forwarded request: its Vias, From, To (+tag), Call-ID, CSeq."""
    lines = forwarded.split(b"\r\n\r\n")[0].decode().split("\r\n")[1:]
    keep = [ln for ln in lines if ln.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")]
    keep = [ln + ";tag=uas1" if ln.startswith("To:") and "tag=" not in ln else ln for ln in keep]
    keep += ["Contact: <sip:127.0.0.1:5090;transport=UDP>", "Content-Length: 0"]
    return (f"SIP/2.0 {code} {reason}\r\n" + "\r\n".join(keep) + "\r\n\r\n").encode()


def build(calls: int = 200):
    env, _modset = build_env(HERE / "stateless.toml")
    transport = Transport(["udp:127.0.0.1:5066"])
    server = Server(env, transport=transport, modset=_modset)
    transport.handler = server.on_message
    ls = transport.listen[0]
    listener = UdpListener(ls, transport._dispatch, transport)
    rec = _Recorder()
    listener.transport = rec
    transport.udp[ls.af] = [listener]
    env.attach_runtime(loop=None, transport=transport)
    feed = listener.datagram_received
    script = []
    for i in range(calls):
        inv = _request("INVITE", i, 1, body=_SDP)
        feed(inv, UAC)
        fwd_inv = rec.out[-1][0]
        bye = _request("BYE", i, 2, ";tag=uas1")
        feed(bye, UAC)
        fwd_bye = rec.out[-1][0]
        script.append([(inv, UAC), (_reply(fwd_inv, 180, "Ringing"), UAS),
                       (_reply(fwd_inv, 200, "OK"), UAS), (_request("ACK", i, 1, ";tag=uas1"), UAC),
                       (bye, UAC), (_reply(fwd_bye, 200, "OK"), UAS)])
    rec.out.clear()
    return feed, rec, script


def main(argv: list[str]) -> int:
    feed, rec, script = build()
    n_msgs = len(script[0])

    def run_all() -> int:
        for msgs in script:
            for data, addr in msgs:
                feed(data, addr)
        n = len(rec.out)
        rec.out.clear()
        return n

    if "--profile" in argv:
        import cProfile
        import pstats
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(20):
            run_all()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(35)
        return 0
    sent = run_all()
    assert sent == len(script) * n_msgs, f"expected every datagram relayed, got {sent}"
    rounds = int(argv[0]) if argv and argv[0].isdigit() else 15
    samples = []
    for _ in range(rounds):
        t0 = time.thread_time()
        run_all()
        samples.append((time.thread_time() - t0) / len(script) * 1e6)
    med = statistics.median(samples)
    print(f"stateless relay path (datagram_received -> sendto, {n_msgs} datagrams/call): "
          f"median {med:.1f} µs CPU per call ({med / n_msgs:.1f} µs per message), "
          f"min {min(samples):.1f}, {rounds} rounds of {len(script)} calls")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
