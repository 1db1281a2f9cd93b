"""UDP sends made on the running loop are written out at the end of the loop
iteration, in order (Transport.send / Transport.flush).

Why the transport defers them: a datagram that reaches a sleeping receiver
costs the sender the receiver's wake-up in the kernel; written back to back
after a burst of received messages, only the first one wakes it
(docs/performance.md, the fourth pass).
"""
from __future__ import annotations

import asyncio
import socket
import threading

from siprouter.core.transport import Destination, Transport
from server_doubles import request
from test_sockets import T, port_of, run, start, udp_client


def _spy_sendto(tr: Transport) -> list[bytes]:
    """Record what the UDP listener really writes, in order."""
    lst = tr.udp[socket.AF_INET][0]
    written: list[bytes] = []
    real = lst.sendto

    def sendto(data: bytes, host: str, port: int) -> bool:
        written.append(data)
        return real(data, host, port)

    lst.sendto = sendto
    return written


async def _server_and_client():
    """A UDP-only server transport and a client socket; returns (tr, client
    transport, client protocol, the client's Destination)."""
    srv, env, tr = await start(listen=("udp:127.0.0.1:0",))
    t, p = await udp_client()
    return tr, t, p, Destination("udp", "127.0.0.1", t.get_extra_info("sockname")[1])


def test_sends_of_one_callback_are_written_after_it_in_order():
    async def main():
        tr, t, p, dest = await _server_and_client()
        written = _spy_sendto(tr)
        before = tr.counters["sent_udp"]
        assert [tr.send(b"one", dest), tr.send(b"two", dest), tr.send(b"three", dest)] == [True] * 3
        # nothing written yet: the loop has not finished this iteration
        assert written == []
        assert tr.counters["sent_udp"] == before + 3
        got = [await asyncio.wait_for(p.q.get(), T) for _ in range(3)]
        assert got == [b"one", b"two", b"three"]
        assert written == got
        t.close()
        tr.close()
    run(main())


def test_close_writes_what_is_pending():
    async def main():
        tr, t, p, dest = await _server_and_client()
        written = _spy_sendto(tr)
        tr.send(b"last words", dest)
        tr.close()
        assert written == [b"last words"]
        assert await asyncio.wait_for(p.q.get(), T) == b"last words"
        t.close()
    run(main())


def test_a_send_marshalled_from_another_thread_comes_after_the_pending_ones():
    async def main():
        tr, t, p, dest = await _server_and_client()
        th = threading.Thread(target=lambda: tr.send(b"from a worker", dest))
        tr.send(b"first", dest)
        # the worker's send reaches the loop as a callback; _send_on_loop writes
        # the pending datagrams before its own
        th.start()
        th.join(5)
        tr._send_on_loop(b"direct", dest)
        got = [await asyncio.wait_for(p.q.get(), T) for _ in range(3)]
        assert got[:2] == [b"first", b"direct"]
        assert got[2] == b"from a worker"
        t.close()
        tr.close()
    run(main())


def test_a_refused_deferred_datagram_is_counted_and_the_loop_goes_on():
    async def main():
        tr, t, p, ok = await _server_and_client()
        # broadcast without SO_BROADCAST: the kernel refuses it (EACCES)
        assert tr.send(b"refused", Destination("udp", "255.255.255.255", 5060)) is True
        assert tr.send(b"after", ok) is True
        assert await asyncio.wait_for(p.q.get(), T) == b"after"
        await asyncio.sleep(0.05)
        assert tr.counters["udp_errors"] + tr.counters["send_errors"] >= 1
        t.close()
        tr.close()
    run(main())


def test_the_server_answers_through_the_deferred_path():
    # end to end on a real socket: a request in, sl's reply out at the end of the iteration
    async def main():
        tr, t, p, _ = await _server_and_client()
        written = _spy_sendto(tr)
        lp = t.get_extra_info("sockname")[1]
        t.sendto(request(via=f"SIP/2.0/UDP 127.0.0.1:{lp};branch=z9hG4bK-b"),
                 ("127.0.0.1", port_of(tr, "udp")))
        reply = await asyncio.wait_for(p.q.get(), T)
        assert reply.startswith(b"SIP/2.0 200 OK")
        assert written == [reply]
        t.close()
        tr.close()
    run(main())
