"""Transports on real sockets (127.0.0.1 / ::1): UDP, TCP framing, keep-alive,
bad input, idle timeout, connection limit, outgoing connection reuse.

The server runs in-process on the test's event loop with a FakeScript, so
these tests depend only on the transport, server, sl and core module.
"""
from __future__ import annotations

import asyncio
import socket

import pytest

from server_doubles import make_server, parse, request
from siprouter.core import builtin
from siprouter.core.server import new_event_loop
from siprouter.core.transport import Transport
from siprouter.modules import sl

T = 3.0   # seconds any single wait may take


def ok_route(ctx):
    return sl.sl_send_reply(ctx, 200, "OK")


def run(coro):
    loop = new_event_loop()
    try:
        return loop.run_until_complete(asyncio.wait_for(coro, 20))
    finally:
        loop.close()


async def start(route=ok_route, listen=("udp:127.0.0.1:0", "tcp:127.0.0.1:0"), **tkw):
    # the config refuses port 0; the env gets nominal addresses, the transport the real ones
    nominal = [x.replace(":0", ":5060") for x in listen]
    srv, env, _ = make_server(route, core={"listen": nominal})
    tr = Transport(list(listen), stats=env.stats, **tkw)
    srv.transport = tr
    await tr.start(srv.on_message, srv.on_stream_error)
    env.attach_runtime(loop=asyncio.get_running_loop(), transport=tr)
    return srv, env, tr


def port_of(tr, proto, af=socket.AF_INET):
    return next(ls.port for ls in tr.listen if ls.proto == proto and ls.af == af)


class UdpClient(asyncio.DatagramProtocol):
    def __init__(self):
        self.q: asyncio.Queue = asyncio.Queue()

    def datagram_received(self, data, addr):
        self.q.put_nowait(data)


async def udp_client(host="127.0.0.1"):
    loop = asyncio.get_running_loop()
    t, p = await loop.create_datagram_endpoint(UdpClient, local_addr=(host, 0))
    return t, p


async def recv_msg(reader):
    """Read one SIP message (Content-Length 0 replies) from a stream."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), T)
    return head


def test_udp_options_and_garbage_survives():
    async def main():
        srv, env, tr = await start()
        t, p = await udp_client()
        port = port_of(tr, "udp")
        t.sendto(b"\x00\x01garbage", ("127.0.0.1", port))
        t.sendto(b"NOT SIP AT ALL\r\n\r\n", ("127.0.0.1", port))
        lp = t.get_extra_info("sockname")[1]
        t.sendto(request(via=f"SIP/2.0/UDP 127.0.0.1:{lp};branch=z9hG4bK-u"), ("127.0.0.1", port))
        reply = parse(await asyncio.wait_for(p.q.get(), T))
        assert reply.status == 200
        assert tr.counters["bad_msg"] == 2
        t.close()
        tr.close()
    run(main())


def test_udp_ipv6():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")

    async def main():
        srv, env, tr = await start(listen=("udp:[::1]:0",))
        t, p = await udp_client("::1")
        port = port_of(tr, "udp", socket.AF_INET6)
        lp = t.get_extra_info("sockname")[1]
        t.sendto(request(via=f"SIP/2.0/UDP [::1]:{lp};branch=z9hG4bK6"), ("::1", port))
        reply = parse(await asyncio.wait_for(p.q.get(), T))
        assert reply.status == 200
        t.close()
        tr.close()
    run(main())


def test_tcp_framing_keepalive_pipelining():
    async def main():
        srv, env, tr = await start()
        r, w = await asyncio.open_connection("127.0.0.1", port_of(tr, "tcp"))
        w.write(b"\r\n\r\n")                       # RFC 5626 ping
        assert await asyncio.wait_for(r.readexactly(2), T) == b"\r\n"
        req = request(via="SIP/2.0/TCP 127.0.0.1:5080;branch=z9hG4bK-t")
        for i in range(0, len(req), 17):           # split across many chunks
            w.write(req[i:i + 17])
            await w.drain()
            await asyncio.sleep(0)
        assert (await recv_msg(r)).startswith(b"SIP/2.0 200 OK")
        two = request(via="SIP/2.0/TCP 127.0.0.1:5080;branch=z9hG4bK-a", call_id="a") + \
            request(via="SIP/2.0/TCP 127.0.0.1:5080;branch=z9hG4bK-b", call_id="b")
        w.write(two)
        got = [await recv_msg(r), await recv_msg(r)]
        assert all(g.startswith(b"SIP/2.0 200") for g in got)
        assert tr.counters["tcp_keepalives"] == 1
        w.close()
        tr.close()
    run(main())


def test_tcp_bad_stream_answered_and_closed_listener_survives():
    async def main():
        srv, env, tr = await start()
        port = port_of(tr, "tcp")
        r, w = await asyncio.open_connection("127.0.0.1", port)
        bad = request(via="SIP/2.0/TCP 127.0.0.1:5080;branch=z9hG4bK-x").replace(b"Content-Length: 0\r\n", b"")
        w.write(bad)
        data = await asyncio.wait_for(r.read(), T)     # reply (if any) then EOF
        assert data == b"" or data.startswith(b"SIP/2.0 400")
        assert tr.counters["tcp_framing_errors"] >= 1
        w.close()
        r2, w2 = await asyncio.open_connection("127.0.0.1", port)
        w2.write(b"\x00" * 10 + b"\r\n\r\n" + request(via="SIP/2.0/TCP 127.0.0.1:5080;branch=z9hG4bK-y"))
        await asyncio.wait_for(r2.read(), T)          # garbage: closed (maybe after a 400)
        r3, w3 = await asyncio.open_connection("127.0.0.1", port)
        w3.write(request(via="SIP/2.0/TCP 127.0.0.1:5080;branch=z9hG4bK-z"))
        assert (await recv_msg(r3)).startswith(b"SIP/2.0 200")
        for w_ in (w2, w3):
            w_.close()
        tr.close()
    run(main())


def test_tcp_oversized_message_513_and_close():
    async def main():
        srv, env, tr = await start()
        tr.max_msg_size = 1024
        srv.max_size = 1024
        r, w = await asyncio.open_connection("127.0.0.1", port_of(tr, "tcp"))
        # framer is built per connection from transport.max_msg_size
        w.write(request(via="SIP/2.0/TCP 127.0.0.1:5080;branch=z9hG4bK-big", body=b"x" * 4000))
        data = await asyncio.wait_for(r.read(), T)
        assert data == b"" or data.startswith(b"SIP/2.0 513")
        w.close()
        tr.close()
    run(main())


def test_tcp_idle_timeout():
    async def main():
        srv, env, tr = await start(tcp_connection_lifetime=0.3)
        r, w = await asyncio.open_connection("127.0.0.1", port_of(tr, "tcp"))
        w.write(b"\r\n\r\n")
        await asyncio.wait_for(r.readexactly(2), T)
        assert await asyncio.wait_for(r.read(), T) == b""   # closed by the server
        assert tr.counters["tcp_idle_closed"] == 1 and not tr.conns
        tr.close()
    run(main())


def test_tcp_max_connections():
    async def main():
        srv, env, tr = await start(tcp_max_connections=2)
        port = port_of(tr, "tcp")
        conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
        for r, w in conns:          # make sure both are accepted
            w.write(b"\r\n\r\n")
            await asyncio.wait_for(r.readexactly(2), T)
        r3, w3 = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(r3.read(), T) == b""
        assert tr.counters["tcp_refused_max_connections"] == 1
        conns[0][1].close()
        await asyncio.sleep(0.1)
        r4, w4 = await asyncio.open_connection("127.0.0.1", port)
        w4.write(b"\r\n\r\n")
        assert await asyncio.wait_for(r4.readexactly(2), T) == b"\r\n"
        for _, w in conns[1:] + [(r4, w4)]:
            w.close()
        tr.close()
    run(main())


def test_forward_over_tcp_reuses_connection_and_relays_reply():
    async def main():
        accepted = []
        received: asyncio.Queue = asyncio.Queue()

        async def uas(reader, writer):
            accepted.append(writer)
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                await received.put(head)
                req = parse(head)
                reply = ("SIP/2.0 200 OK\r\n" + "".join(f"Via: {v}\r\n" for v in req.get_all("Via")) +
                         f"From: {req.get('From')}\r\nTo: {req.get('To')};tag=u\r\nCall-ID: {req.call_id}\r\n"
                         f"CSeq: {req.get('CSeq')}\r\nContent-Length: 0\r\n\r\n")
                writer.write(reply.encode())

        uas_srv = await asyncio.start_server(uas, "127.0.0.1", 0)
        uas_port = uas_srv.sockets[0].getsockname()[1]
        srv, env, tr = await start(route=lambda ctx: builtin.forward(ctx))
        t, p = await udp_client()
        lp = t.get_extra_info("sockname")[1]
        for n in range(2):
            t.sendto(request("MESSAGE", f"sip:b@127.0.0.1:{uas_port};transport=tcp",
                             via=f"SIP/2.0/UDP 127.0.0.1:{lp};branch=z9hG4bK-{n}", call_id=f"m{n}"),
                     ("127.0.0.1", port_of(tr, "udp")))
            fwd = parse(await asyncio.wait_for(received.get(), T))
            assert fwd.top_via.transport == "TCP" and len(fwd.vias) == 2
            reply = parse(await asyncio.wait_for(p.q.get(), T))
            assert reply.status == 200 and len(reply.vias) == 1
        assert len(accepted) == 1                    # the second request reused the connection
        assert tr.counters["tcp_connected"] == 1
        t.close()
        tr.close()
        uas_srv.close()
    run(main())


def test_forward_no_connect_and_connect_failure_are_clean():
    async def main():
        mode = {"no_connect": True}

        def route(ctx):
            if mode["no_connect"]:
                builtin.set_forward_no_connect(ctx)
            ctx.extra["rc"] = builtin.forward(ctx)
            return 1
        srv, env, tr = await start(route=route)
        t, p = await udp_client()
        t.sendto(request("MESSAGE", "sip:b@127.0.0.1:9;transport=tcp", via="SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-n"),
                 ("127.0.0.1", port_of(tr, "udp")))
        await asyncio.sleep(0.2)
        assert srv.script.contexts[-1].extra["rc"] == -1
        assert tr.counters["send_no_connection"] == 1
        # connect failure: counted, nothing raised
        mode["no_connect"] = False
        t.sendto(request("MESSAGE", "sip:b@127.0.0.1:9;transport=tcp", via="SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-n"),
                 ("127.0.0.1", port_of(tr, "udp")))
        for _ in range(40):
            await asyncio.sleep(0.05)
            if tr.counters["tcp_connect_failed"]:
                break
        assert tr.counters["tcp_connect_failed"] == 1 and not tr.conns
        t.close()
        tr.close()
    run(main())


def test_port_in_use_raises_oserror():
    async def main():
        srv, env, tr = await start(listen=("udp:127.0.0.1:0",))
        port = port_of(tr, "udp")
        tr2 = Transport([f"udp:127.0.0.1:{port}"])
        with pytest.raises(OSError):
            await tr2.start(lambda *a: None)
        tr.close()
    run(main())


def test_tcp_ipv6():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")

    async def main():
        srv, env, tr = await start(listen=("tcp:[::1]:0",))
        r, w = await asyncio.open_connection("::1", port_of(tr, "tcp", socket.AF_INET6))
        w.write(request(via="SIP/2.0/TCP [::1]:5080;branch=z9hG4bK-t6"))
        assert (await recv_msg(r)).startswith(b"SIP/2.0 200 OK")
        w.close()
        tr.close()
    run(main())


def test_send_from_another_thread_is_marshalled():
    async def main():
        import threading
        srv, env, tr = await start(listen=("udp:127.0.0.1:0",))
        t, p = await udp_client()
        lp = t.get_extra_info("sockname")[1]
        from siprouter.core.transport import Destination
        results = []
        th = threading.Thread(target=lambda: results.append(
            tr.send(b"hello", Destination("udp", "127.0.0.1", lp))))
        th.start()
        th.join(5)
        assert results == [True]
        assert await asyncio.wait_for(p.q.get(), T) == b"hello"
        t.close()
        tr.close()
    run(main())
