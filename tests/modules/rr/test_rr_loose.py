"""loose_route() (RFC 3261 §16.4/§16.12), check_route_param(), is_direction()."""
from __future__ import annotations

import siprouter.modules.rr as rr
from rr_fakes import ctx_for, regex, request

OURS = "<sip:192.0.2.10:5060;lr;ftag=f1;nat=yes>"


def routes(msg):
    return msg.get_all("Route")


def test_no_route_is_minus_1():
    assert rr.w_loose_route(ctx_for(request(to_tag="t1"))) == -1


def test_in_dialog_removes_ours_and_sets_du():
    msg = request("BYE", to_tag="t1", routes=[OURS, "<sip:next.example.com;lr>"])
    assert rr.w_loose_route(ctx_for(msg)) == 1
    assert routes(msg) == ["<sip:next.example.com;lr>"]
    assert msg.dst_uri == "sip:next.example.com;lr"
    assert str(msg.uri) == "sip:bob@example.net"


def test_in_dialog_only_ours_is_1_and_route_gone():
    msg = request("BYE", to_tag="t1", routes=[OURS])
    assert rr.w_loose_route(ctx_for(msg)) == 1
    assert not msg.has("Route") and msg.dst_uri is None


def test_route_split_over_fields_and_commas():
    msg = request("BYE", to_tag="t1",
                  routes=[f"{OURS}, <sip:a.example.com;lr>", "<sip:b.example.com;lr>"])
    assert rr.w_loose_route(ctx_for(msg)) == 1
    assert routes(msg) == ["<sip:a.example.com;lr>", "<sip:b.example.com;lr>"]
    assert msg.dst_uri == "sip:a.example.com;lr"


def test_preloaded_only_ours_is_minus_3():
    msg = request(routes=["<sip:192.0.2.10;lr>"])
    assert rr.w_loose_route(ctx_for(msg)) == -3
    assert not msg.has("Route")


def test_preloaded_foreign_route_is_followed():
    msg = request(routes=["<sip:edge.example.org;lr>"])
    assert rr.w_loose_route(ctx_for(msg)) == 1
    assert msg.dst_uri == "sip:edge.example.org;lr"
    assert routes(msg) == ["<sip:edge.example.org;lr>"]  # not ours: stays for the next hop


def test_double_rr_both_removed():
    msg = request("BYE", to_tag="t1",
                  routes=["<sip:192.0.2.10:5060;transport=tcp;r2=on;lr;ftag=f1>",
                          "<sip:192.0.2.10:5060;r2=on;lr;ftag=f1>", "<sip:uas.example.com;lr>"])
    assert rr.w_loose_route(ctx_for(msg)) == 1
    assert routes(msg) == ["<sip:uas.example.com;lr>"]


def test_next_hop_strict_router():
    msg = request("BYE", to_tag="t1", routes=[OURS, "<sip:strict.example.com>", "<sip:x.example.com;lr>"])
    assert rr.w_loose_route(ctx_for(msg)) == 1
    assert str(msg.uri) == "sip:strict.example.com"
    assert routes(msg) == ["<sip:x.example.com;lr>", "<sip:bob@example.net>"]


def test_previous_hop_strict_router_restores_target():
    # a strict router put our Record-Route URI into the R-URI
    msg = request("BYE", ruri="sip:192.0.2.10:5060;lr;ftag=f1;nat=yes", to_tag="t1",
                  routes=["<sip:next.example.com;lr>", "<sip:bob@uas.example.net>"])
    ctx = ctx_for(msg)
    assert rr.w_loose_route(ctx) == 1
    assert msg.dst_uri == "sip:next.example.com;lr"
    assert str(msg.uri) == "sip:bob@uas.example.net"
    assert routes(msg) == ["<sip:next.example.com;lr>"]
    assert rr.w_check_route_param(ctx, regex("nat=yes")) == 1


def test_previous_and_next_hop_strict():
    msg = request("BYE", ruri="sip:192.0.2.10:5060", to_tag="t1",
                  routes=["<sip:strict2.example.com>", "<sip:bob@uas.example.net>"])
    assert rr.w_loose_route(ctx_for(msg)) == 1
    assert str(msg.uri) == "sip:strict2.example.com"
    assert routes(msg) == ["<sip:bob@uas.example.net>"]


def test_previous_hop_strict_without_remote_target_is_error():
    msg = request("BYE", ruri="sip:192.0.2.10:5060", to_tag="t1", routes=["<sip:next.example.com;lr>"])
    assert rr.w_loose_route(ctx_for(msg)) == -1


def test_loose_route_mode_1_skips_strict_check():
    msg = request("BYE", ruri="sip:192.0.2.10:5060", to_tag="t1", routes=["<sip:next.example.com;lr>"])
    assert rr.w_loose_route_mode(ctx_for(msg), 1) == 1
    assert msg.dst_uri == "sip:next.example.com;lr"


def test_loose_route_preloaded():
    assert rr.w_loose_route_preloaded(ctx_for(request(routes=["<sip:192.0.2.10;lr>"]))) == 1
    assert rr.w_loose_route_preloaded(ctx_for(request(to_tag="t", routes=[OURS]))) == -1
    assert rr.w_loose_route_preloaded(ctx_for(request())) == -1


def test_bad_route_uri_is_minus_1():
    msg = request("BYE", to_tag="t1", routes=["<sip:@@>"])
    assert rr.w_loose_route(ctx_for(msg)) == -1


def test_check_route_param():
    msg = request("BYE", to_tag="t1", routes=[OURS, "<sip:next.example.com;lr>"])
    ctx = ctx_for(msg)
    assert rr.w_check_route_param(ctx, regex("nat=yes")) == -1  # before loose_route
    rr.w_loose_route(ctx)
    assert rr.w_check_route_param(ctx, regex(";nat=yes")) == 1
    assert rr.w_check_route_param(ctx, regex("nat=no")) == -1


def test_check_route_param_foreign_route_is_minus_1():
    msg = request(routes=["<sip:edge.example.org;lr;nat=yes>"])
    ctx = ctx_for(msg)
    rr.w_loose_route(ctx)
    assert rr.w_check_route_param(ctx, regex("nat=yes")) == -1


def test_is_direction_downstream_and_upstream():
    down = request("BYE", to_tag="t1", from_tag="f1", routes=[OURS])
    ctx = ctx_for(down)
    rr.w_loose_route(ctx)
    assert rr.w_is_direction(ctx, "downstream") == 1
    assert rr.w_is_direction(ctx, "upstream") == -1
    up = request("BYE", to_tag="f1", from_tag="t1", routes=[OURS])
    ctx = ctx_for(up)
    rr.w_loose_route(ctx)
    assert rr.w_is_direction(ctx, "upstream") == 1
    assert rr.w_is_direction(ctx, "downstream") == -1
    assert rr.w_is_direction(ctx, "sideways") == -1


def test_is_direction_without_ftag_is_downstream():
    msg = request("BYE", to_tag="t1", routes=["<sip:192.0.2.10;lr>"])
    ctx = ctx_for(msg)
    rr.w_loose_route(ctx)
    assert rr.w_is_direction(ctx, "downstream") == 1


def test_record_route_upstream_in_dialog_uses_to_tag():
    msg = request("INVITE", to_tag="f1", from_tag="t1", routes=[OURS])
    ctx = ctx_for(msg)
    rr.w_loose_route(ctx)
    rr.w_record_route(ctx)
    assert msg.get_all("Record-Route") == ["<sip:192.0.2.10:5060;lr;ftag=f1>"]


def test_round_trip_record_route_then_loose_route():
    invite = request()
    rr.w_record_route(ctx_for(invite))
    rr_value = invite.get_all("Record-Route")[0]
    bye = request("BYE", to_tag="t9", routes=[rr_value])
    assert rr.w_loose_route(ctx_for(bye)) == 1
    assert not bye.has("Route")


def test_direction_fixup_rejects_bad_literal():
    import pytest
    from siprouter.core.modsys import Arg, FixedArg, FixupError
    spec = next(f for f in rr.module.functions if f.name == "is_direction")
    spec.fixup([FixedArg(Arg.STR, '"upstream"', "upstream")], None)
    with pytest.raises(FixupError):
        spec.fixup([FixedArg(Arg.STR, '"up"', "up")], None)


def test_initial_request_leaves_no_rr_state():
    msg = request()
    assert rr.w_loose_route(ctx_for(msg)) == -1
    assert rr.w_check_route_param(ctx_for(msg), regex("ftag")) == -1
    assert msg.attrs.get("rr") is None


def test_routed_params_reset_by_a_later_loose_route():
    msg = request("BYE", to_tag="t1", routes=[OURS, "<sip:next.example.com;lr>"])
    ctx = ctx_for(msg)
    assert rr.w_loose_route(ctx) == 1
    assert rr.w_check_route_param(ctx, regex("nat=yes")) == 1
    # the Route set left is not ours: a second run consumes nothing
    assert rr.w_loose_route(ctx) == 1
    assert rr.w_check_route_param(ctx, regex("nat=yes")) == -1


def test_route_without_lr_param_names_is_strict_case_insensitively():
    msg = request("BYE", to_tag="t1", routes=[OURS, "<sip:next.example.com;LR>"])
    assert rr.w_loose_route(ctx_for(msg)) == 1
    assert msg.dst_uri == "sip:next.example.com;LR"     # lr found: loose next hop


def test_strict_check_reads_the_current_ruri():
    # the R-URI is ours only after the script changed it: strict routing applies
    msg = request("BYE", to_tag="t1",
                  routes=["<sip:edge.example.org>", "<sip:uas.example.com;lr>"])
    msg.uri = "sip:192.0.2.10:5060;ftag=f1"
    assert rr.w_loose_route(ctx_for(msg)) == 1
    assert str(msg.uri) == "sip:edge.example.org"        # next hop strict as well
