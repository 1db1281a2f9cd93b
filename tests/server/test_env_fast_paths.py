"""ServerEnv/ModuleEnv shortcuts taken per message behave like the plain code."""
from __future__ import annotations

import socket

import pytest

from server_doubles import make_server, parse, rcv, request
from siprouter.core.config import Config
from siprouter.core.env import ListenSocket, ModuleEnv, ServerEnv
from siprouter.core.stats import Stats, UnknownStatError
from siprouter.core.transport import RecordingTransport


def make_env(listen=("udp:127.0.0.1:5060",), alias=()):
    return ServerEnv(Config.from_dict({"core": {"listen": list(listen), "alias": list(alias)}}))


def test_is_myself_answers_are_remembered_per_table():
    env = make_env(alias=["sip.example.com"])
    assert env.is_myself("127.0.0.1", 5060) and env.is_myself("127.0.0.1", 5060)
    assert env.is_myself("SIP.example.com") and not env.is_myself("127.0.0.2", 5060)
    assert not env.is_myself("127.0.0.1", 40000)

    class T:
        listen = [ListenSocket("udp", "127.0.0.1", 40000, socket.AF_INET, "127.0.0.1", 40000)]

        def send(self, data, dest):
            return True

    env.attach_runtime(transport=T())      # new listen sockets: old answers dropped
    assert env.is_myself("127.0.0.1", 40000) and not env.is_myself("127.0.0.1", 5060)


def test_is_myself_memory_is_bounded():
    env = make_env()
    for i in range(3000):
        assert not env.is_myself(f"10.1.{i // 250}.{i % 250}", 5060)
    assert len(env._myself_hits) <= 1024
    assert env.is_myself("127.0.0.1", 5060)


def test_module_env_reads_server_attributes_live():
    env = make_env()
    menv = env.for_module("hello")
    assert isinstance(menv, ModuleEnv)
    assert menv.script is None
    env.script = marker = object()
    assert menv.script is marker                  # set on the server later: seen
    menv.script = other = object()                 # set through the view: on the server
    assert env.script is other and menv.script is other
    assert menv.listen is env.listen and menv.core is env.core
    assert menv.stats is env.stats and menv.aliases is env.aliases
    env.attach_runtime(transport=RecordingTransport(["udp:127.0.0.1:0"]))
    assert menv.listen is env.listen
    assert not hasattr(menv, "no_such_attribute")


def test_send_and_send_reply_without_transport_explain():
    env = make_env()
    with pytest.raises(RuntimeError, match="needs a transport"):
        env.send(b"x", None)
    with pytest.raises(RuntimeError, match="needs a transport"):
        env.send_reply(None, None)


def test_send_reply_remembers_final_status_only():
    srv, env, transport = make_server()
    req = parse(request())
    req.rcv = rcv()
    from siprouter.core.sip import make_response
    assert env.send_reply(req, make_response(req, 180))
    assert "final_reply_sent" not in req.attrs
    assert env.send_reply(req, make_response(req, 486))
    assert req.attrs["final_reply_sent"] == 486


def test_stats_inc_unknown_and_lock_released():
    stats = Stats()
    stats.declare("m", "a")
    assert stats.inc("m", "a") == 1 and stats.inc("m", "a", 5) == 6 and stats.dec("m", "a") == 5
    with pytest.raises(UnknownStatError):
        stats.inc("m", "nope")
    assert not stats._lock.locked()               # released on the error path too
    assert stats.inc("m", "a") == 6


def test_request_via_stamped_only_when_needed():
    seen = []
    srv, env, _ = make_server(lambda ctx: seen.append(ctx.msg.top_via) or 1)
    # the everyday case: UDP from the Via address, no rport: untouched bytes
    data = request(via="SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK-a")
    srv.handle_datagram(data, rcv("127.0.0.1", 5080))
    assert "received" not in seen[-1].params and "rport" not in seen[-1].params
    # another source address: received added
    srv.handle_datagram(data, rcv("127.0.0.9", 5080))
    assert seen[-1].params.get("received") == "127.0.0.9"
    # over TCP: rport always filled
    srv.handle_datagram(data, rcv("127.0.0.1", 40001, proto="tcp", conn_id=3))
    assert seen[-1].params.get("rport") == "40001"
    # a received the client sent goes through stamp_received() (kept: the
    # sent-by already is the source address, as before the shortcut)
    data = request(via="SIP/2.0/UDP 127.0.0.1:5080;received=10.0.0.1;branch=z9hG4bK-b")
    srv.handle_datagram(data, rcv("127.0.0.1", 5080))
    assert seen[-1].params.get("received") == "10.0.0.1"
    # rport asked for: filled, and received added
    data = request(via="SIP/2.0/UDP 127.0.0.1:5080;rport;branch=z9hG4bK-c")
    srv.handle_datagram(data, rcv("127.0.0.1", 40002))
    assert seen[-1].params.get("rport") == "40002" and seen[-1].params.get("received") == "127.0.0.1"
