"""Memory held per suspended transaction (async_route), measured in process.

Builds a real server (tm, tmx, async, route engine) with a sans-IO transport and
a manual clock, suspends N INVITEs with async_route("RESUME", "99"), and
reports the Python heap growth per suspended transaction (tracemalloc) and the
RSS growth.  Usage: python mem_per_suspended.py [N]
"""
from __future__ import annotations

import gc
import socket
import sys
import tempfile
import tracemalloc
import uuid
from pathlib import Path

from siprouter.core.env import ManualClock
from siprouter.core.server import Server, build_env
from siprouter.core.sip import ReceiveInfo

SCRIPT = 'request_route { async_route("RESUME", "99"); }\nroute[RESUME] { t_relay(); }\n'


def rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main(n: int) -> None:
    d = Path(tempfile.mkdtemp())
    (d / "r.cfg").write_text(SCRIPT)
    (d / "s.toml").write_text('loadmodule = ["sl", "tm", "tmx", "async"]\nroutes = "r.cfg"\n'
                              '[core]\nlisten = ["udp:127.0.0.1:5060"]\nlog_level = "warning"\n')
    env, modset = build_env(d / "s.toml")
    clock = ManualClock()
    server = Server(env, modset=modset)
    env.attach_runtime(clock=clock, transport=server.transport)
    rcv = ReceiveInfo("udp", "127.0.0.1", 5099, "127.0.0.1", 5060, socket.AF_INET)

    def invite() -> bytes:
        cid, br = uuid.uuid4().hex, uuid.uuid4().hex[:12]
        return (f"INVITE sip:bob@127.0.0.1:5090 SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK{br}\r\nMax-Forwards: 70\r\n"
                f"From: <sip:alice@example.com>;tag={br[:6]}\r\nTo: <sip:bob@example.com>\r\n"
                f"Call-ID: {cid}\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5099>\r\n"
                f"Content-Type: application/sdp\r\nContent-Length: 0\r\n\r\n").encode()

    msgs = [invite() for _ in range(n)]
    for m in msgs[:100]:                         # warm up caches and lazy imports
        server.on_message(m, rcv, None)
    server.transport.sent.clear()
    gc.collect()
    tracemalloc.start()
    base_heap = tracemalloc.get_traced_memory()[0]
    base_rss = rss_kb()
    for m in msgs[100:]:
        server.on_message(m, rcv, None)
    server.transport.sent.clear()                # sent replies are not per-T state
    gc.collect()
    heap = tracemalloc.get_traced_memory()[0] - base_heap
    rss = rss_kb() - base_rss
    k = n - 100
    tm = env.api("tm")
    print(f"suspended={tm.suspended_count()} measured={k} heap_per_txn_bytes={heap // k} "
          f"rss_per_txn_bytes={rss * 1024 // k} (rss with tracemalloc overhead)")
    for fn in env.hooks("shutdown"):
        fn(env)
    modset.destroy_all(env)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)
