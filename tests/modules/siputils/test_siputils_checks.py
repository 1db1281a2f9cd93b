"""has_totag, is_request, is_reply, is_first_hop, is_user, is_domain_local."""
from __future__ import annotations

import siprouter.modules.siputils as siputils
from siprouter.core.modsys import RouteType
from siprouter.core.sip import ReceiveInfo
from siprouter.modules.siputils import checks


def test_has_totag(make_ctx, invite, reply_bytes):
    assert checks.has_totag(make_ctx()) == -1
    assert checks.has_totag(make_ctx(reply_bytes)) == 1
    tagged = invite().replace(b"To: <sip:bob@example.com>", b"To: <sip:bob@example.com>;tag=abc")
    assert checks.has_totag(make_ctx(tagged)) == 1
    empty = invite().replace(b"To: <sip:bob@example.com>", b"To: <sip:bob@example.com>;tag=")
    assert checks.has_totag(make_ctx(empty)) == -1


def test_has_totag_errors(make_ctx, invite):
    assert checks.has_totag(make_ctx(invite().replace(b"To: <sip:bob@example.com>\r\n", b""))) == -1
    broken = invite().replace(b"To: <sip:bob@example.com>", b"To: <sip:bob@example.com")
    assert checks.has_totag(make_ctx(broken, validate=False)) == -1


def test_is_request_is_reply(make_ctx, reply_bytes):
    assert checks.is_request(make_ctx()) == 1
    assert checks.is_reply(make_ctx()) == -1
    assert checks.is_request(make_ctx(reply_bytes)) == -1
    assert checks.is_reply(make_ctx(reply_bytes)) == 1


def test_is_first_hop_request(make_ctx, invite):
    assert checks.is_first_hop(make_ctx()) == 1
    two = invite().replace(b"Max-Forwards", b"Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKx\r\nMax-Forwards")
    assert checks.is_first_hop(make_ctx(two)) == -1
    comma = invite().replace(b"branch=z9hG4bKabc", b"branch=z9hG4bKabc, SIP/2.0/UDP h2;branch=z9hG4bKy")
    assert checks.is_first_hop(make_ctx(comma)) == -1


def test_is_first_hop_reply(make_ctx, reply_bytes):
    assert checks.is_first_hop(make_ctx(reply_bytes)) == 1  # no Record-Route
    rr_me = reply_bytes.replace(b"Content-Length", b"Record-Route: <sip:10.0.0.9;lr>\r\nContent-Length")
    ctx = make_ctx(rr_me)
    assert checks.is_first_hop(ctx) == 1
    rr_other = reply_bytes.replace(b"Content-Length", b"Record-Route: <sip:10.9.9.9;lr>\r\nContent-Length")
    assert checks.is_first_hop(make_ctx(rr_other)) == -1
    rr_name = reply_bytes.replace(b"Content-Length",
                                  b"Record-Route: <sip:proxy.example.com;lr>\r\nContent-Length")
    assert checks.is_first_hop(make_ctx(rr_name)) == -1      # mode 0: must be an IP
    assert checks.is_first_hop(make_ctx(rr_name), 1) == 1    # mode 1: names allowed


def test_is_first_hop_reply_loop(make_ctx, reply_bytes):
    rr_me = reply_bytes.replace(b"Content-Length", b"Record-Route: <sip:10.0.0.9;lr>\r\nContent-Length")
    ctx = make_ctx(rr_me)
    ctx.msg.rcv = ReceiveInfo("udp", "10.0.0.9", 5060, "10.0.0.9", 5060, 2)
    assert checks.is_first_hop(ctx) == -1  # came from ourselves


def test_is_user(make_ctx):
    ctx = make_ctx()
    assert checks.is_user(ctx, "alice") == -1  # nothing authorized yet
    ctx.msg.attrs[checks.AUTH_USER_ATTR] = "alice"
    assert checks.is_user(ctx, "alice") == 1
    assert checks.is_user(ctx, "bob") == -1


def test_is_domain_local(make_ctx):
    ctx = make_ctx()
    assert checks.is_domain_local(ctx, "proxy.example.com") == 1
    assert checks.is_domain_local(ctx, "10.0.0.9:5060") == 1
    assert checks.is_domain_local(ctx, "sip:bob@proxy.example.com;transport=udp") == 1
    assert checks.is_domain_local(ctx, "example.org") == -1
    assert checks.is_domain_local(ctx, "") == -1
    ctx.env = None
    assert checks.is_domain_local(ctx, "proxy.example.com") == -1


def test_declared_routes():
    fns = {(f.name, len(f.args)): f for f in siputils.module.functions}
    for name in ("has_totag", "is_request", "is_reply", "is_first_hop"):
        assert fns[(name, 0)].routes == RouteType.ANY
    assert fns[("is_user", 1)].routes == RouteType.REQUEST | RouteType.LOCAL
    assert fns[("add_uri_param", 1)].routes == RouteType.REQUEST
    assert siputils.siprouter_module() is siputils.module
