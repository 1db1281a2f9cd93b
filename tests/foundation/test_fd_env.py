"""ServerEnv / ModuleEnv: runtime attachment, timers, myself, resolve, stats."""
import asyncio
import socket
import threading

import pytest

from siprouter.core.config import load_config_text
from siprouter.core.env import Destination, ManualClock, ModuleEnv, ServerEnv, resolve_literal
from siprouter.core.stats import Stats, UnknownStatError


def make_env(text='[core]\nlisten = ["udp:127.0.0.1:5060", "tcp:[::1]:5070", '
                  '"udp:10.0.0.1:5060 advertise 203.0.113.9:5080"]\nalias = ["sip.example.com", '
                  '"other.example.com:5099"]\n'):
    return ServerEnv(load_config_text(text))


def test_fields():
    env = make_env()
    assert env.core["max_while_loops"] == 100
    assert [(l.proto, l.ip, l.port) for l in env.listen] == [
        ("udp", "127.0.0.1", 5060), ("tcp", "::1", 5070), ("udp", "10.0.0.1", 5060)]
    assert env.listen[1].advertised_host == "::1"
    assert (env.listen[2].advertised_host, env.listen[2].advertised_port) == ("203.0.113.9", 5080)
    assert env.loop is None and env.script is None and env.workers is None
    assert isinstance(env.stats, Stats)
    assert env.hooks("reply_in") == []


@pytest.mark.parametrize("host,port,expected", [
    ("127.0.0.1", None, True), ("127.0.0.1", 5060, True), ("127.0.0.1", 5061, False),
    ("[::1]", 5070, True), ("::1", None, True), ("0:0::1", 5070, True),
    ("SIP.example.com", 1234, True), ("sip.example.com.", None, True),
    ("other.example.com", 5099, True), ("other.example.com", 5060, False),
    ("203.0.113.9", 5080, True), ("10.0.0.2", None, False), ("example.com", None, False),
])
def test_is_myself(host, port, expected):
    assert make_env().is_myself(host, port) is expected


def test_call_later_without_loop_is_a_clear_error():
    env = make_env()
    with pytest.raises(RuntimeError, match="needs the server's event loop"):
        env.call_later(1, print)
    with pytest.raises(RuntimeError, match="ManualClock"):
        env.call_soon(print)


def test_send_without_transport_is_a_clear_error():
    env = make_env()
    with pytest.raises(RuntimeError, match="attach_runtime\\(transport="):
        env.send(b"x", Destination("udp", "127.0.0.1", 5060))


def test_manual_clock_drives_timers():
    env = make_env()
    clock = ManualClock(start=50.0)
    env.attach_runtime(clock=clock)
    fired = []
    env.call_later(2.0, fired.append, "two")
    h = env.call_later(1.0, fired.append, "one-cancelled")
    env.call_later(1.5, fired.append, "one-and-half")
    env.call_soon(fired.append, "soon")
    h.cancel()
    assert env.now() == 50.0
    assert clock.advance(0) == 1 and fired == ["soon"]
    clock.advance(1.6)
    assert fired == ["soon", "one-and-half"] and env.now() == pytest.approx(51.6)
    clock.advance(10)
    assert fired == ["soon", "one-and-half", "two"]
    assert clock.pending() == 0


def test_timer_scheduled_from_a_callback_runs_in_the_same_advance():
    clock = ManualClock()
    fired = []
    clock.call_later(1, lambda: clock.call_later(1, fired.append, "chained"))
    clock.advance(3)
    assert fired == ["chained"]


def test_real_loop_call_later_thread_safe_and_cancel():
    env = make_env()
    loop = asyncio.new_event_loop()
    fired = []
    done = threading.Event()

    def from_thread():
        env.call_later(0.01, fired.append, "thread")
        h = env.call_later(0.02, fired.append, "cancelled")
        h.cancel()
        env.call_soon(fired.append, "soon")
        env.call_later(0.05, done.set)

    async def main():
        env.attach_runtime(loop=loop)
        env.call_later(0.0, fired.append, "loop")
        t = threading.Thread(target=from_thread)
        t.start()
        while not done.is_set():
            await asyncio.sleep(0.005)
        t.join()

    try:
        loop.run_until_complete(asyncio.wait_for(main(), 5))
    finally:
        loop.close()
    assert sorted(fired) == ["loop", "soon", "thread"]
    assert env.loop is loop


def test_transport_backend_delegation():
    class FakeTransport:
        def __init__(self):
            self.sent = []

        def send(self, data, dest):
            self.sent.append((data, dest))
            return True

        def send_reply(self, request, reply):
            self.sent.append((request, reply))
            return True

        def resolve(self, target, port, transport):
            return Destination("tcp", "192.0.2.1", 5060)

    env = make_env()
    t = FakeTransport()
    env.attach_runtime(transport=t)
    dest = Destination("udp", "127.0.0.1", 5060)
    assert env.send(b"hello", dest) is True
    assert env.send_reply("req", "rep") is True
    assert t.sent == [(b"hello", dest), ("req", "rep")]
    assert env.resolve("sip:foo.example.com") == Destination("tcp", "192.0.2.1", 5060)
    env.detach_runtime()
    assert env.transport is None


def test_attach_transport_takes_its_bound_listen_sockets():
    from siprouter.core.env import ListenSocket

    class T:
        listen = [ListenSocket("udp", "127.0.0.1", 40000, socket.AF_INET, "127.0.0.1", 40000)]

        def send(self, data, dest):
            return True

    env = make_env('[core]\nlisten = ["udp:127.0.0.1:5060"]\n')
    assert env.is_myself("127.0.0.1", 5060) and not env.is_myself("127.0.0.1", 40000)
    env.attach_runtime(transport=T())
    assert env.listen == T.listen
    assert env.is_myself("127.0.0.1", 40000) and not env.is_myself("127.0.0.1", 5060)


@pytest.mark.parametrize("target,port,transport,expected", [
    ("127.0.0.1", None, None, Destination("udp", "127.0.0.1", 5060, socket.AF_INET)),
    ("localhost", 5070, "tcp", Destination("tcp", "127.0.0.1", 5070, socket.AF_INET)),
    ("sip:alice@10.0.0.1:5080;transport=TCP", None, None,
     Destination("tcp", "10.0.0.1", 5080, socket.AF_INET)),
    ("sip:[::1]:5090", None, None, Destination("udp", "::1", 5090, socket.AF_INET6)),
    ("sip:example.com", None, None, None),
    ("", None, None, None),
])
def test_resolve_literal(target, port, transport, expected):
    assert resolve_literal(target, port, transport) == expected


def test_module_env_view():
    env = make_env()
    menv = env.for_module("hello")
    assert isinstance(menv, ModuleEnv) and env.for_module("hello") is menv
    assert menv.params == {} and menv.core is env.core and menv.stats is env.stats
    assert menv.is_myself("127.0.0.1")
    menv.script = "compiled"          # attribute writes go to the server env
    assert env.script == "compiled"


# -- stats ---------------------------------------------------------------------------------------

def test_stats_counters_and_snapshot():
    s = Stats()
    s.declare("tm", "relayed", "replies relayed")
    s.declare("tm", "in_use")
    assert s.inc("tm", "relayed") == 1
    assert s.inc("tm", "relayed", 4) == 5
    s.set("tm", "in_use", 7)
    s.dec("tm", "in_use", 2)
    assert s.get("tm", "in_use") == 5
    assert s.snapshot() == {"tm": {"relayed": 5, "in_use": 5}}
    assert s.doc("tm", "relayed") == "replies relayed"
    s.reset("tm")
    assert s.snapshot("tm") == {"tm": {"relayed": 0, "in_use": 0}}
    with pytest.raises(UnknownStatError, match="unknown statistic tm.nope"):
        s.inc("tm", "nope")


def test_stats_gauge():
    s = Stats()
    box = [3]
    s.gauge("async", "queued", lambda: box[0], "queue depth")
    box[0] = 9
    assert s.get("async", "queued") == 9
    assert s.snapshot() == {"async": {"queued": 9}}


def test_stats_thread_safe():
    s = Stats()
    s.declare("m", "c")

    def work():
        for _ in range(10000):
            s.inc("m", "c")
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert s.get("m", "c") == 80000
