"""record_route(), record_route_preset(), add_rr_param(), remove_record_route()."""
from __future__ import annotations

import siprouter.modules.rr as rr
import socket

from rr_fakes import RREnv, ctx_for, request

from siprouter.core.env import ListenSocket
from siprouter.core.sip import ReceiveInfo


def rrs(msg):
    return msg.get_all("Record-Route")


def test_record_route_inserts_after_via():
    msg = request()
    assert rr.w_record_route(ctx_for(msg)) == 1
    assert rrs(msg) == ["<sip:192.0.2.10:5060;lr;ftag=f1>"]
    names = msg.header_names()
    assert names.index("Record-Route") == names.index("Via") + 1
    assert b"Record-Route: <sip:192.0.2.10:5060;lr;ftag=f1>\r\n" in msg.to_bytes()


def test_record_route_twice_is_minus_1():
    msg = request()
    ctx = ctx_for(msg)
    assert rr.w_record_route(ctx) == 1
    assert rr.w_record_route(ctx) == -1
    assert len(rrs(msg)) == 1


def test_record_route_params_and_existing_set_kept_below():
    msg = request(record_routes=["<sip:upstream.example.org;lr>"])
    assert rr.w_record_route(ctx_for(msg), "foo=bar") == 1
    assert rrs(msg) == ["<sip:192.0.2.10:5060;lr;ftag=f1;foo=bar>", "<sip:upstream.example.org;lr>"]


def test_advertised_address_used():
    msg = request()
    msg.rcv = msg.rcv.__class__("udp", "10.0.0.1", 5070, "198.51.100.1", 5080, msg.rcv.af)
    rr.w_record_route(ctx_for(msg))
    assert rrs(msg) == ["<sip:proxy.example.com:5080;lr;ftag=f1>"]


def test_params_full_lr_no_fromtag(rr_params):
    rr_params(enable_full_lr=1, append_fromtag=0)
    msg = request()
    rr.w_record_route(ctx_for(msg))
    assert rrs(msg) == ["<sip:192.0.2.10:5060;lr=on>"]


def test_tcp_inbound_has_transport_param():
    msg = request(proto="tcp", ruri="sip:bob@example.net;transport=tcp")
    rr.w_record_route(ctx_for(msg))
    assert rrs(msg) == ["<sip:192.0.2.10:5060;transport=tcp;lr;ftag=f1>"]


def test_double_rr_when_transport_changes():
    msg = request(ruri="sip:bob@example.net;transport=tcp")
    assert rr.w_record_route(ctx_for(msg)) == 1
    assert rrs(msg) == ["<sip:192.0.2.10:5060;transport=tcp;r2=on;lr;ftag=f1>",
                        "<sip:192.0.2.10:5060;r2=on;lr;ftag=f1>"]


def test_double_rr_disabled(rr_params):
    rr_params(enable_double_rr=0)
    msg = request(ruri="sip:bob@example.net;transport=tcp")
    rr.w_record_route(ctx_for(msg))
    assert rrs(msg) == ["<sip:192.0.2.10:5060;lr;ftag=f1>"]


def test_double_rr_always(rr_params):
    rr_params(enable_double_rr=2)
    msg = request()
    rr.w_record_route(ctx_for(msg))
    assert rrs(msg) == ["<sip:192.0.2.10:5060;r2=on;lr;ftag=f1>"] * 2


def test_add_rr_param_before_and_after():
    msg = request()
    ctx = ctx_for(msg)
    assert rr.w_add_rr_param(ctx, ";nat=yes") == 1
    rr.w_record_route(ctx)
    assert rrs(msg) == ["<sip:192.0.2.10:5060;lr;ftag=f1;nat=yes>"]
    assert rr.w_add_rr_param(ctx, "x=1") == 1
    assert rrs(msg) == ["<sip:192.0.2.10:5060;lr;ftag=f1;nat=yes;x=1>"]
    assert rr.w_add_rr_param(ctx, "") == -1


def test_add_rr_param_after_double_rr_changes_both():
    msg = request(ruri="sip:bob@example.net;transport=tcp",
                  record_routes=["<sip:other.example.org;lr>"])
    ctx = ctx_for(msg)
    rr.w_record_route(ctx)
    rr.w_add_rr_param(ctx, ";k=v")
    assert rrs(msg) == ["<sip:192.0.2.10:5060;transport=tcp;r2=on;lr;ftag=f1;k=v>",
                        "<sip:192.0.2.10:5060;r2=on;lr;ftag=f1;k=v>",
                        "<sip:other.example.org;lr>"]


def test_record_route_preset():
    msg = request()
    assert rr.w_record_route_preset(ctx_for(msg), "1.2.3.4:5090;p=1") == 1
    assert rrs(msg) == ["<sip:1.2.3.4:5090;p=1;ftag=f1;lr>"]


def test_record_route_preset_two_addresses():
    msg = request()
    assert rr.w_record_route_preset(ctx_for(msg), "out.example.com;r2=on", "in.example.com;r2=on") == 1
    assert rrs(msg) == ["<sip:out.example.com;r2=on;ftag=f1;lr>", "<sip:in.example.com;r2=on;ftag=f1;lr>"]


def test_record_route_preset_errors():
    assert rr.w_record_route_preset(ctx_for(request()), "sip:1.2.3.4") == -1
    assert rr.w_record_route_preset(ctx_for(request()), "") == -1
    msg = request()
    ctx = ctx_for(msg)
    rr.w_record_route(ctx)
    assert rr.w_record_route_preset(ctx, "1.2.3.4") == -1


def test_remove_record_route():
    msg = request(record_routes=["<sip:up.example.org;lr>"])
    ctx = ctx_for(msg)
    rr.w_record_route(ctx)
    assert rr.w_remove_record_route(ctx) == 1
    assert rrs(msg) == ["<sip:up.example.org;lr>"]
    assert rr.w_record_route(ctx) == 1  # allowed again


def test_sips_ruri_gives_sips_rr(rr_params):
    msg = request(ruri="sips:bob@example.net", proto="tcp")
    rr_params(enable_double_rr=0)
    rr.w_record_route(ctx_for(msg))
    assert rrs(msg)[0].startswith("<sips:192.0.2.10:5060;transport=tcp;")


def test_declarations():
    f = {s.name: s for s in rr.module.functions}
    from siprouter.core.modsys import RouteType
    assert f["loose_route"].routes == RouteType.REQUEST
    assert f["record_route"].routes == RouteType.REQUEST | RouteType.BRANCH | RouteType.FAILURE
    p = rr.module.params
    assert (p["append_fromtag"].default, p["enable_double_rr"].default, p["enable_full_lr"].default) == (1, 1, 0)


def test_api_fix_record_route_makes_double_rr_for_other_socket():
    api = rr.rr_api(None)
    msg = request(record_routes=["<sip:up.example.org;lr>"])
    rr.w_record_route(ctx_for(msg))
    branch = msg.copy()
    assert api.fix_record_route(branch, "TCP", "192.0.2.10", 5060) is True
    assert rrs(branch) == ["<sip:192.0.2.10:5060;transport=tcp;r2=on;lr;ftag=f1>",
                           "<sip:192.0.2.10:5060;r2=on;lr;ftag=f1>",
                           "<sip:up.example.org;lr>"]
    assert rrs(msg) == ["<sip:192.0.2.10:5060;lr;ftag=f1>", "<sip:up.example.org;lr>"]
    assert msg.attrs["rr"]["added"] == 1  # the request's own state is untouched
    assert api.fix_record_route(branch, "tcp", "192.0.2.10", 5060) is False  # already double


def test_api_fix_record_route_same_socket_or_disabled(rr_params):
    api = rr.rr_api(None)
    msg = request()
    rr.w_record_route(ctx_for(msg))
    assert api.fix_record_route(msg, "udp", "192.0.2.10", 5060) is False
    rr_params(enable_double_rr=0)
    assert api.fix_record_route(msg, "tcp", "192.0.2.10", 5060) is False
    assert api.fix_record_route(request(), "tcp", "192.0.2.10", 5060) is False  # no RR of ours


def test_record_route_in_branch_copy_does_not_leak_into_request():
    from siprouter.core.modsys import RouteType
    msg = request()
    rr.w_add_rr_param(ctx_for(msg), ";a=1")
    branch = msg.copy()  # tm's branch copy shares the first level of attrs
    assert rr.w_record_route(ctx_for(branch, RouteType.BRANCH)) == 1
    assert rrs(branch) == ["<sip:192.0.2.10:5060;lr;ftag=f1;a=1>"]
    assert rr.w_record_route(ctx_for(msg)) == 1  # the request itself is not record-routed yet
    assert msg.attrs["rr"]["added"] == 1 and branch.attrs["rr"] is not msg.attrs["rr"]


def test_tcp_inbound_without_target_transport_keeps_single_rr():
    # Regression: the default script record-routes before lookup(), while the
    # R-URI has no transport; guessing "udp" doubled the RR of TCP-only calls.
    msg = request(proto="tcp", ruri="sip:bob@192.0.2.10")
    rr.w_record_route(ctx_for(msg))
    assert rrs(msg) == ["<sip:192.0.2.10:5060;transport=tcp;lr;ftag=f1>"]


def test_rr_uses_socket_address_when_nothing_is_advertised(monkeypatch):
    # Regression: sockets from the transport layer have no advertised address;
    # the RR was built as <sip:None:None;lr>.
    plain = [ListenSocket("udp", "127.0.0.1", 5062, socket.AF_INET)]
    monkeypatch.setattr(RREnv, "listen", plain)
    msg = request()
    msg.rcv = ReceiveInfo("udp", "10.0.0.1", 5070, "127.0.0.1", 5062, socket.AF_INET)
    rr.w_record_route(ctx_for(msg))
    assert rrs(msg) == ["<sip:127.0.0.1:5062;lr;ftag=f1>"]


def test_outgoing_transport_from_du_and_changed_ruri():
    msg = request()
    msg.dst_uri = "sip:10.0.0.7:5060;transport=TCP"      # $du wins over the R-URI
    rr.w_record_route(ctx_for(msg))
    assert rrs(msg)[0] == "<sip:192.0.2.10:5060;transport=tcp;r2=on;lr;ftag=f1>"
    msg = request()
    msg.dst_uri = "sip:[broken"                          # unparsable $du: single RR
    rr.w_record_route(ctx_for(msg))
    assert rrs(msg) == ["<sip:192.0.2.10:5060;lr;ftag=f1>"]
    msg = request()
    msg.uri.params["transport"] = "tcp"                 # the R-URI changed in place
    rr.w_record_route(ctx_for(msg))
    assert len(rrs(msg)) == 2
