"""Property tests: random and mutated input never escapes as an exception.

Datagrams go through ``Server.handle_datagram``; byte streams are cut into
random chunks and fed to a ``TcpConnection`` with a fake socket, which must
deliver exactly the framed messages and answer keep-alives.
"""
from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import structlog

from server_doubles import make_server, rcv, request
from siprouter.core.sip import parse_message
from siprouter.core.transport.tcp import TcpConnection
from siprouter.modules import sl

# SR_FUZZ_EXAMPLES=5000 for a longer hunt
SETTINGS = settings(max_examples=int(os.environ.get("SR_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEEDS = [request(), request("INVITE", "sip:b@127.0.0.1:5090", body=b"v=0\r\n"),
         (b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsr1\r\n"
          b"Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
          b"To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")]

SERVER, _ENV, TRANSPORT = make_server(lambda ctx: sl.sl_send_reply(ctx, 200, "OK"))


def check_sends(sends):
    for data, dest in sends:
        assert isinstance(data, bytes) and dest.port > 0
        if data.startswith(b"SIP/2.0 "):
            continue
        parse_message(data)        # a forwarded request/reply must itself be parseable


@SETTINGS
@given(st.binary(max_size=600))
def test_random_datagrams(data):
    check_sends(SERVER.handle_datagram(data, rcv()))


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.sampled_from([b"\r\n", b":", b";", b",", b" ", b"\x00", b"\xff", b"<", b"[",
                                                  b"Via: SIP/2.0/UDP", b"Content-Length: 99\r\n"]))
        elif data:
            del data[pos:pos + draw(st.integers(1, 20))]
    return bytes(data)


@SETTINGS
@given(mutated())
def test_mutated_datagrams(data):
    check_sends(SERVER.handle_datagram(data, rcv()))


@SETTINGS
@given(mutated())
def test_mutated_stream_messages(data):
    check_sends(SERVER.handle_datagram(data, rcv(proto="tcp", conn_id=3), conn_id=3))


# -- stream framing through TcpConnection --------------------------------------------------

class FakeSock:
    def __init__(self):
        self.out = bytearray()
        self.closed = False

    def write(self, data):
        self.out += data

    def close(self):
        self.closed = True

    abort = close

    def is_closing(self):
        return self.closed

    def get_write_buffer_size(self):
        return 0

    def get_extra_info(self, name):
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 5060)}.get(name)


class FakeManager:
    max_msg_size = 4096

    def __init__(self):
        self.counters = Counter()
        self.log = structlog.get_logger("test")
        self.errors = []

    def now(self):
        return 0.0

    def count(self, name, n=1):
        self.counters[name] += n

    def admit(self, conn):
        return True

    def connected(self, conn):
        pass

    def forget(self, conn):
        pass

    def on_stream_error(self, err, conn):
        self.errors.append(err)
        return None


def make_conn():
    got = []
    mgr = FakeManager()
    conn = TcpConnection(mgr, listen=object.__new__(type("L", (), {"af": 2})),
                         handler=lambda data, r, cid: got.append(data))
    sock = FakeSock()
    conn.connection_made(sock)
    return conn, sock, got, mgr


@SETTINGS
@given(st.lists(st.sampled_from(SEEDS + [b"\r\n\r\n"]), min_size=1, max_size=6), st.data())
def test_stream_chunks_frame_exactly(items, data):
    stream = b"".join(items)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    conn, sock, got, mgr = make_conn()
    prev = 0
    for c in cuts + [len(stream)]:
        conn.data_received(stream[prev:c])
        prev = c
    assert got == [m for m in items if m != b"\r\n\r\n"]
    assert bytes(sock.out) == b"\r\n" * items.count(b"\r\n\r\n")
    assert not mgr.errors


@SETTINGS
@given(st.lists(st.binary(max_size=200), max_size=8))
def test_random_stream_chunks_never_raise(chunks):
    conn, sock, got, mgr = make_conn()
    for c in chunks:
        conn.data_received(c)
    for m in got:
        assert isinstance(m, bytes)
