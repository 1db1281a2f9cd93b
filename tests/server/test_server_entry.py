"""Server entry points driven without sockets: sl replies, forward(), reply relay, bad input."""
from __future__ import annotations

import socket


from server_doubles import make_server, parse, rcv, request
from siprouter.core import builtin
from siprouter.core.modsys import RouteType
from siprouter.modules import sl


def ok_route(ctx):
    return sl.sl_send_reply(ctx, 200, "OK")


def fwd_route(ctx):
    return builtin.forward(ctx)


# -- sl ---------------------------------------------------------------------------------

def test_options_answered_statelessly_to_source():
    srv, env, _ = make_server(ok_route)
    sends = srv.handle_datagram(request(), rcv(src_port=5080))
    assert len(sends) == 1
    data, dest = sends[0]
    reply = parse(data)
    assert reply.status == 200 and reply.reason == "OK"
    assert reply.to.tag and sl._state.is_our_tag(reply.to.tag)
    assert (dest.proto, dest.host, dest.port) == ("udp", "127.0.0.1", 5080)
    assert env.stats.get("sl", "2xx_replies") == 1


def test_retransmission_gets_same_to_tag_other_request_another():
    srv, *_ = make_server(ok_route)
    a = parse(srv.handle_datagram(request(), rcv())[0][0]).to.tag
    b = parse(srv.handle_datagram(request(), rcv())[0][0]).to.tag
    c = parse(srv.handle_datagram(request(call_id="other"), rcv())[0][0]).to.tag
    assert a == b != c


def test_second_final_reply_to_one_request_is_refused():
    # Regression: registrar's save() answered 400 and the default script's
    # error path then sent sl_reply_error()'s 500 as a second final reply.
    results = []

    def route(ctx):
        results.append(sl.sl_send_reply(ctx, 400, "Bad"))
        results.append(sl.sl_reply_error(ctx))
        results.append(sl.sl_send_reply(ctx, 200, "OK"))

    srv, env, _ = make_server(route)
    sends = srv.handle_datagram(request(), rcv())
    assert [parse(d).status for d, _ in sends] == [400]
    assert results == [1, -1, -1]


def test_provisional_then_final_both_sent():
    def route(ctx):
        sl.sl_send_reply(ctx, 180, "Ringing")
        sl.sl_send_reply(ctx, 486, "Busy")

    srv, *_ = make_server(route)
    assert [parse(d).status for d, _ in srv.handle_datagram(request(), rcv())] == [180, 486]


def test_100_gets_no_to_tag_and_existing_tag_kept():
    srv, *_ = make_server(lambda ctx: sl.sl_send_reply(ctx, 100, "Trying"))
    assert parse(srv.handle_datagram(request(), rcv())[0][0]).to.tag is None
    srv, *_ = make_server(ok_route)
    assert parse(srv.handle_datagram(request(to_tag="xyz"), rcv())[0][0]).to.tag == "xyz"


def test_received_and_rport_rfc3581():
    srv, *_ = make_server(ok_route)
    data, dest = srv.handle_datagram(
        request(via="SIP/2.0/UDP 10.1.2.3:5070;rport;branch=z9hG4bK-r"), rcv("127.0.0.1", 40000))[0]
    via = parse(data).top_via
    assert via.received == "127.0.0.1" and via.rport == "40000"
    assert (dest.host, dest.port) == ("127.0.0.1", 40000)


def test_received_without_rport_replies_to_via_port():
    srv, *_ = make_server(ok_route)
    data, dest = srv.handle_datagram(
        request(via="SIP/2.0/UDP 10.1.2.3:5070;branch=z9hG4bK-r"), rcv("127.0.0.1", 40000))[0]
    via = parse(data).top_via
    assert via.received == "127.0.0.1" and via.rport is None
    assert (dest.host, dest.port) == ("127.0.0.1", 5070)


def test_force_rport():
    def route(ctx):
        builtin.force_rport(ctx)
        return sl.sl_send_reply(ctx, 404, "Not Here")
    srv, *_ = make_server(route)
    data, dest = srv.handle_datagram(request(), rcv("127.0.0.1", 40001))[0]
    assert parse(data).top_via.rport == "40001" and dest.port == 40001


def test_tcp_reply_goes_back_on_the_connection():
    srv, *_ = make_server(ok_route)
    _, dest = srv.handle_datagram(request(via="SIP/2.0/TCP 127.0.0.1:5080;branch=z9hG4bK-t"),
                                  rcv(src_port=41000, proto="tcp", conn_id=7), conn_id=7)[0]
    assert (dest.proto, dest.host, dest.port, dest.conn_id) == ("tcp", "127.0.0.1", 41000, 7)


def test_ipv6_source():
    srv, *_ = make_server(ok_route, core={"listen": ["udp:[::1]:5060"]})
    data, dest = srv.handle_datagram(request(via="SIP/2.0/UDP [::1]:5080;branch=z9hG4bK-6"),
                                     rcv("::1", 5080))[0]
    assert dest.af == socket.AF_INET6 and dest.host == "::1" and dest.port == 5080
    assert parse(data).top_via.received is None


def test_ack_to_our_stateless_reply_is_absorbed():
    ran = []
    srv, env, _ = make_server(lambda ctx: ran.append(ctx.msg.method) or ok_route(ctx))
    tag = parse(srv.handle_datagram(request("INVITE", "sip:x@127.0.0.1"), rcv())[0][0]).to.tag
    srv.handle_datagram(request("ACK", "sip:x@127.0.0.1", to_tag=tag), rcv())
    assert ran == ["INVITE"]
    assert env.stats.get("sl", "received_ACKs") == 1
    # an ACK with someone else's tag reaches the script (and gets no reply)
    assert srv.handle_datagram(request("ACK", "sip:x@127.0.0.1", to_tag="remote"), rcv()) == []
    assert ran == ["INVITE", "ACK"]


def test_sl_refuses_ack_and_bad_codes():
    for code, method in ((200, "ACK"), (99, "OPTIONS"), (700, "OPTIONS")):
        res = []
        srv, *_ = make_server(lambda ctx: res.append(sl.sl_send_reply(ctx, code, "x")))
        assert srv.handle_datagram(request(method), rcv()) == []
        assert res == [-1]


def test_send_reply_uses_tm_when_transaction_exists():
    calls = []

    class FakeTm:
        def get_txn(self, ctx):
            return "T"

        def t_reply(self, ctx, code, reason):
            calls.append((code, reason))
            return 1
    srv, env, _ = make_server(lambda ctx: sl.send_reply(ctx, 486, "Busy"))
    env._set_api("tm", FakeTm())
    assert srv.handle_datagram(request(), rcv()) == []
    assert calls == [(486, "Busy")]


def test_send_reply_stateless_without_tm():
    srv, *_ = make_server(lambda ctx: sl.send_reply(ctx, 486, "Busy"))
    assert parse(srv.handle_datagram(request(), rcv())[0][0]).status == 486


# -- forward() ---------------------------------------------------------------------------

def test_forward_by_request_uri_adds_via_and_decrements_max_forwards():
    srv, env, _ = make_server(fwd_route)
    data, dest = srv.handle_datagram(request("INVITE", "sip:b@127.0.0.1:5090"), rcv())[0]
    out = parse(data)
    assert (dest.proto, dest.host, dest.port) == ("udp", "127.0.0.1", 5090)
    assert len(out.vias) == 2
    assert out.top_via.host == "127.0.0.1" and out.top_via.port == 5060
    assert out.top_via.branch.startswith("z9hG4bK")
    assert out.max_forwards == 69
    assert env.stats.get("core", "fwd_requests") == 1


def test_forward_branch_stable_and_shared_with_cancel():
    srv, *_ = make_server(fwd_route)
    inv = parse(srv.handle_datagram(request("INVITE", "sip:b@127.0.0.1:5090"), rcv())[0][0])
    again = parse(srv.handle_datagram(request("INVITE", "sip:b@127.0.0.1:5090"), rcv())[0][0])
    cancel = parse(srv.handle_datagram(request("CANCEL", "sip:b@127.0.0.1:5090"), rcv())[0][0])
    other = parse(srv.handle_datagram(
        request("INVITE", "sip:b@127.0.0.1:5090", via="SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK-2"),
        rcv())[0][0])
    assert inv.top_via.branch == again.top_via.branch == cancel.top_via.branch != other.top_via.branch


def test_forward_to_du_and_explicit_host_and_tcp_transport():
    def route(ctx):
        ctx.msg.dst_uri = "sip:127.0.0.1:6000;transport=tcp"
        return builtin.forward(ctx)
    srv, *_ = make_server(route)
    data, dest = srv.handle_datagram(request("MESSAGE", "sip:b@127.0.0.1:5090"), rcv())[0]
    assert (dest.proto, dest.port) == ("tcp", 6000)
    assert parse(data).top_via.transport == "TCP"
    srv, *_ = make_server(lambda ctx: builtin.forward(ctx, "127.0.0.2", 7000))
    _, dest = srv.handle_datagram(request("MESSAGE", "sip:b@127.0.0.1:5090"), rcv())[0]
    assert (dest.host, dest.port) == ("127.0.0.2", 7000)


def test_forward_errors_are_negative_and_sl_reply_error_reports_them():
    res = []

    def route(ctx):
        res.append(builtin.forward(ctx))
        return sl.sl_reply_error(ctx)
    srv, *_ = make_server(route)
    sends = srv.handle_datagram(request("INVITE", "sip:b@no.such.host.invalid"), rcv())
    assert res == [-1]
    assert parse(sends[0][0]).status == 478
    res.clear()
    sends = srv.handle_datagram(request("INVITE", "sip:b@127.0.0.1", extra="").replace(
        b"Max-Forwards: 70", b"Max-Forwards: 0"), rcv())
    assert res == [-1] and parse(sends[0][0]).status == 483


# -- replies -------------------------------------------------------------------------------

def reply_bytes(top_via="SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsrX",
                second="SIP/2.0/UDP 10.0.0.9:5080;received=127.0.0.1;rport=40002;branch=z9hG4bK-1"):
    vias = f"Via: {top_via}\r\n" + (f"Via: {second}\r\n" if second else "")
    return (f"SIP/2.0 180 Ringing\r\n{vias}From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\n"
            f"Call-ID: r1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n").encode()


def test_reply_relayed_by_second_via():
    srv, env, _ = make_server()
    data, dest = srv.handle_datagram(reply_bytes(), rcv(src_port=5090))[0]
    out = parse(data)
    assert len(out.vias) == 1 and out.top_via.host == "10.0.0.9"
    assert (dest.host, dest.port) == ("127.0.0.1", 40002)


def test_reply_not_for_us_or_without_second_via_dropped():
    srv, env, tr = make_server()
    assert srv.handle_datagram(reply_bytes(top_via="SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bKq"), rcv()) == []
    assert srv.handle_datagram(reply_bytes(second=None), rcv()) == []
    assert tr.counters["drop_replies"] == 2


def test_reply_route_drop_and_reply_in_hook():
    def reply_route(ctx):
        assert ctx.route_type == RouteType.CORE_ONREPLY
        ctx.drop = True
        return 0
    srv, *_ = make_server(reply=reply_route)
    assert srv.handle_datagram(reply_bytes(), rcv()) == []
    for rc, relayed in ((1, True), (0, False), (-1, False)):
        srv, *_ = make_server(reply=lambda ctx, rc=rc: rc)
        assert bool(srv.handle_datagram(reply_bytes(), rcv())) is relayed
    taken = []
    srv, *_ = make_server(hooks={"reply_in": [lambda env, r: taken.append(r.status) or True]})
    assert srv.handle_datagram(reply_bytes(), rcv()) == [] and taken == [180]


# -- bad input -------------------------------------------------------------------------------

def test_malformed_request_answered_400_garbage_dropped():
    srv, env, tr = make_server(ok_route)
    bad = request().replace(b"CSeq: 1 OPTIONS", b"CSeq: abc OPTIONS")
    sends = srv.handle_datagram(bad, rcv())
    assert sends and sends[0][0].startswith(b"SIP/2.0 400 ")
    assert srv.handle_datagram(b"\x00\xffgarbage\r\n\r\n", rcv()) == []
    assert tr.counters["bad_msg"] == 2


def test_oversized_datagram_answered_513():
    srv, env, tr = make_server(ok_route, core={"listen": ["udp:127.0.0.1:5060"], "max_message_size": 1024})
    big = request(body=b"x" * 2000)
    sends = srv.handle_datagram(big, rcv())
    assert parse(sends[0][0]).status == 513
    assert tr.counters["too_big"] == 1


def test_keepalive_datagram_ignored():
    srv, env, tr = make_server(ok_route)
    assert srv.handle_datagram(b"\r\n\r\n", rcv()) == []
    assert tr.counters["keepalives"] == 1


def test_request_without_via_dropped():
    srv, env, tr = make_server(ok_route)
    data = b"OPTIONS sip:a@b SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    assert srv.handle_datagram(data, rcv()) == []


def test_script_exception_is_contained():
    def boom(ctx):
        raise RuntimeError("bug")
    srv, env, tr = make_server(boom)
    assert srv.handle_datagram(request(), rcv()) == []
    assert tr.counters["script_errors"] == 1


def test_core_counters_visible_in_stats():
    srv, env, tr = make_server(ok_route)
    srv.handle_datagram(request(), rcv())
    srv.handle_datagram(b"junk", rcv())
    assert env.stats.get("core", "rcv_requests") == 1
    assert env.stats.get("core", "bad_msg") == 1


def test_forward_does_not_decrement_twice_after_maxfwd_and_adds_missing():
    def route(ctx):
        ctx.msg.set_header("Max-Forwards", "10")      # as mf_process_maxfwd_header would
        return builtin.forward(ctx)
    srv, *_ = make_server(route)
    assert parse(srv.handle_datagram(request("INVITE", "sip:b@127.0.0.1:5090"), rcv())[0][0]).max_forwards == 10
    srv, *_ = make_server(fwd_route)
    no_mf = request("INVITE", "sip:b@127.0.0.1:5090").replace(b"Max-Forwards: 70\r\n", b"")
    assert parse(srv.handle_datagram(no_mf, rcv())[0][0]).max_forwards == 70


def test_unparseable_via_answered_400_to_source():
    srv, env, tr = make_server(ok_route)
    bad = request(via="SIP/2.0/UDP 192.0.2.15;;,;,,")
    sends = srv.handle_datagram(bad, rcv("127.0.0.1", 40005))
    assert sends and sends[0][0].startswith(b"SIP/2.0 400 ")
    assert (sends[0][1].host, sends[0][1].port) == ("127.0.0.1", 40005)


def test_ack_absorbed_only_for_our_tag_prefix():
    ran = []
    srv, env, _ = make_server(lambda ctx: ran.append(ctx.msg.method) or 1)
    ours = sl._state.prefix + "-abcd"
    assert srv.handle_datagram(request("ACK", "sip:x@127.0.0.1", to_tag=ours), rcv()) == []
    assert ran == [] and env.stats.get("sl", "received_ACKs") == 1
    # the prefix alone, or without its dash, is not one of our tags
    for tag in (sl._state.prefix, sl._state.prefix + "x"):
        srv.handle_datagram(request("ACK", "sip:x@127.0.0.1", to_tag=tag), rcv())
    srv.handle_datagram(request("ACK", "sip:x@127.0.0.1"), rcv())      # no To tag
    assert ran == ["ACK", "ACK", "ACK"] and env.stats.get("sl", "received_ACKs") == 1
