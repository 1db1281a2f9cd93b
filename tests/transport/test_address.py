"""Listen specs, resolution, Via helpers (sans-IO)."""
from __future__ import annotations

import socket

import pytest

from siprouter.core.sip import parse_message
from siprouter.core.transport import ListenSpecError, parse_listen, resolve
from siprouter.core.transport.via import compute_branch, destination_by_via, stamp_received
from siprouter.core.sip import ReceiveInfo, Via


@pytest.mark.parametrize("spec,expect", [
    ("udp:127.0.0.1:5060", ("udp", "127.0.0.1", 5060, socket.AF_INET)),
    ("tcp:127.0.0.1", ("tcp", "127.0.0.1", 5060, socket.AF_INET)),
    ("udp:[::1]:5070", ("udp", "::1", 5070, socket.AF_INET6)),
    ("TCP:[::1]", ("tcp", "::1", 5060, socket.AF_INET6)),
])
def test_parse_listen(spec, expect):
    ls = parse_listen(spec)
    assert (ls.proto, ls.ip, ls.port, ls.af) == expect


def test_parse_listen_advertise_and_errors():
    ls = parse_listen("udp:127.0.0.1:5060 advertise 192.0.2.1:5080")
    assert ls.via_host == "192.0.2.1" and ls.via_port == 5080
    assert parse_listen("udp:[::1]:5060").via_host == "[::1]"
    for bad in ("sctp:1.2.3.4:5060", "udp:", "udp:host.example:5060", "udp:1.2.3.4:99999", "udp:[::1"):
        with pytest.raises(ListenSpecError):
            parse_listen(bad)


def test_resolve_literals_localhost_and_uri_params():
    d = resolve("sip:alice@127.0.0.1:5090;transport=TCP")
    assert (d.proto, d.host, d.port) == ("tcp", "127.0.0.1", 5090)
    d = resolve("sip:[::1]")
    assert (d.host, d.port, d.af) == ("::1", 5060, socket.AF_INET6)
    assert resolve("localhost", 5070).host == "127.0.0.1"
    assert resolve("127.0.0.1:5080").port == 5080
    assert resolve("sip:a@no.such.name.invalid") is None
    assert resolve("sips:a@127.0.0.1") is None
    assert resolve("sip:a@127.0.0.1;transport=sctp") is None
    assert resolve("") is None


def test_destination_by_via_rules():
    assert destination_by_via(Via.parse("SIP/2.0/UDP 10.0.0.1:5070")).port == 5070
    d = destination_by_via(Via.parse("SIP/2.0/UDP 10.0.0.1;received=127.0.0.1"))
    assert (d.host, d.port) == ("127.0.0.1", 5060)
    d = destination_by_via(Via.parse("SIP/2.0/UDP 10.0.0.1:5070;received=127.0.0.2;rport=4000"))
    assert (d.host, d.port) == ("127.0.0.2", 4000)
    d = destination_by_via(Via.parse("SIP/2.0/UDP 10.0.0.1:5070;maddr=127.0.0.3"))
    assert d.host == "127.0.0.3"
    assert destination_by_via(Via.parse("SIP/2.0/UDP host.example")) is None
    assert destination_by_via(Via.parse("SIP/2.0/TCP [::1]:5070")).af == socket.AF_INET6


REQ = (b"INVITE sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5070;rport;branch=z9hG4bKa, "
       b"SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKb\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\n"
       b"Call-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")


def test_stamp_received_keeps_other_vias():
    msg = parse_message(REQ)
    assert stamp_received(msg, ReceiveInfo("udp", "127.0.0.1", 4444, "127.0.0.1", 5060, socket.AF_INET))
    vias = parse_message(msg.to_bytes()).vias
    assert [v.branch for v in vias] == ["z9hG4bKa", "z9hG4bKb"]
    assert vias[0].rport == "4444" and vias[0].received == "127.0.0.1"
    # idempotent
    assert not stamp_received(msg, ReceiveInfo("udp", "127.0.0.1", 4444, "127.0.0.1", 5060, socket.AF_INET))


def test_branch_without_magic_cookie_is_stable():
    a = parse_message(REQ.replace(b"z9hG4bKa", b"old1"))
    b = parse_message(REQ.replace(b"z9hG4bKa", b"old1"))
    assert compute_branch(a) == compute_branch(b)
    assert compute_branch(a).startswith("z9hG4bK")


def test_resolve_reads_etc_hosts(tmp_path, monkeypatch):
    import importlib
    r = importlib.import_module("siprouter.core.transport.resolve")
    hosts = tmp_path / "hosts"
    hosts.write_text("# comment\n127.0.0.5  proxy.test  alias.test\n::1 six.test\nbad line\n")
    monkeypatch.setattr(r, "HOSTS_FILE", str(hosts))
    monkeypatch.setattr(r, "_hosts_stamp", (-1.0, -100.0))
    assert r.resolve("sip:a@proxy.test:5080").host == "127.0.0.5"
    assert r.resolve("ALIAS.test").host == "127.0.0.5"
    d = r.resolve("sip:six.test")
    assert d.host == "::1" and d.af == socket.AF_INET6
    assert r.resolve("unknown.test") is None


def test_resolve_text_answers_are_cached_for_literals_only(tmp_path, monkeypatch):
    import importlib
    r = importlib.import_module("siprouter.core.transport.resolve")
    first = r.resolve("sip:bob@127.0.0.1:5090;transport=UDP")
    assert first is r.resolve("sip:bob@127.0.0.1:5090;transport=UDP")   # shared, immutable
    assert r.resolve("sip:bob@127.0.0.1:5090;transport=UDP", 5070).port == 5070
    assert r.resolve("sip:bob@127.0.0.1:5090", transport="tcp").proto == "tcp"
    assert r.resolve("sip:bob@localhost").host == "127.0.0.1"
    # a name from /etc/hosts is read again when the file changes: never cached
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.5 moving.test\n")
    monkeypatch.setattr(r, "HOSTS_FILE", str(hosts))
    monkeypatch.setattr(r, "_hosts_stamp", (-1.0, -100.0))
    assert r.resolve("sip:a@moving.test").host == "127.0.0.5"
    hosts.write_text("127.0.0.6 moving.test\n")
    monkeypatch.setattr(r, "_hosts_stamp", (-1.0, -100.0))
    assert r.resolve("sip:a@moving.test").host == "127.0.0.6"
    # Uri objects: the same rules through the other cache
    from siprouter.core.sip import parse_uri
    u = parse_uri("sip:a@moving.test:5070")
    assert r.resolve(u).host == "127.0.0.6"
    hosts.write_text("127.0.0.7 moving.test\n")
    monkeypatch.setattr(r, "_hosts_stamp", (-1.0, -100.0))
    assert r.resolve(u).host == "127.0.0.7"
    lit = parse_uri("sip:a@127.0.0.1:5070;transport=tcp")
    assert r.resolve(lit) is r.resolve(parse_uri("sip:a@127.0.0.1:5070;transport=tcp"))
    assert r.resolve(lit).proto == "tcp"


def test_transport_resolve_is_the_resolver():
    from siprouter.core.transport import RecordingTransport
    t = RecordingTransport()
    d = t.resolve("sip:a@127.0.0.1:5090")
    assert (d.proto, d.host, d.port) == ("udp", "127.0.0.1", 5090)
    assert t.resolve("sip:a@10.0.0.1", 5070, "tcp").port == 5070


def test_destination_by_via_rport_flag_and_stream_maddr():
    # rport without a value (not filled in): like no rport at all
    d = destination_by_via(Via.parse("SIP/2.0/UDP 10.0.0.1:5070;rport;received=127.0.0.2"))
    assert (d.host, d.port) == ("127.0.0.2", 5070)
    d = destination_by_via(Via.parse("SIP/2.0/UDP 10.0.0.1;rport"))
    assert (d.host, d.port) == ("10.0.0.1", 5060)
    # rport filled without received: the sent-by host with the rport port
    d = destination_by_via(Via.parse("SIP/2.0/UDP 10.0.0.1:5070;rport=4000"))
    assert (d.host, d.port) == ("10.0.0.1", 4000)
    # maddr is ignored on stream transports
    d = destination_by_via(Via.parse("SIP/2.0/TCP 10.0.0.1:5070;maddr=127.0.0.3"), conn_id=7)
    assert (d.proto, d.host, d.port, d.conn_id) == ("tcp", "10.0.0.1", 5070, 7)
    d = destination_by_via(Via.parse("SIP/2.0/UDP localhost:5070"))
    assert (d.host, d.port) == ("127.0.0.1", 5070)
