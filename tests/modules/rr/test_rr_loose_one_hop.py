"""loose_route()'s one-hop shortcut gives exactly what the general path gives.

The shortcut (a single ``Route: <sip:host[:port];params>`` field) runs for
every in-dialog request through us alone; every input here also runs through
``_loose_route_general`` and both results (return code, Route set, ``$du``,
Request-URI, consumed parameters) must agree.
"""
from __future__ import annotations

import pytest

from rr_fakes import ctx_for, request
from siprouter.modules.rr import loose
from siprouter.modules.rr.rr_state import rr_state

ROUTES = [
    "<sip:192.0.2.10:5060;lr;ftag=f1>",
    "<sip:192.0.2.10;lr>",
    "<sip:192.0.2.10:5060>",                       # ours without lr
    "<sip:192.0.2.10:5070;lr>",                    # our address, other port
    "<sip:192.0.2.10:99999;lr>",                   # bad port
    "<sip:proxy.example.com:5080;lr;ftag=x;nat=yes>",
    "<sip:edge.example.org;lr>",                   # foreign loose hop
    "<sip:edge.example.org>",                      # foreign strict hop
    "<sip:192.0.2.10:5060;r2=on;lr;ftag=f1>",
    "<sip:192.0.2.10:5060;LR;FTAG=f1>",
    "<sip:192.0.2.10:5060;lr;maddr=[2001:db8::1]>",
    "<sip:192.0.2.10:5060;lr;a=b%41;c>",
    "<sip:-.-;lr>",                                 # host without an alphanumeric
    "<sip:192.0.2.10:5060;;lr>",
    "<sip:192.0.2.10:5060;=x>",
    "<sip:user@192.0.2.10:5060;lr>",
    "<SIP:192.0.2.10:5060;lr>",
    "<sips:192.0.2.10:5060;lr>",
    "<sip:[2001:db8::1];lr>",
    "<sip:192.0.2.10:5060;lr>;x=y",
    "<sip:192.0.2.10:5060;lr?h=v>",
]
RURIS = ["sip:bob@example.net", "sip:192.0.2.10:5060;lr;ftag=f1", "sip:bob@192.0.2.10"]


def _outcome(fn, msg, mode):
    rc = fn(ctx_for(msg), msg, 1, mode) if fn is loose._loose_route_general else fn(ctx_for(msg), 1, mode)
    return (rc, msg.get_all("Route"), msg.dst_uri, str(msg.uri),
            rr_state(msg)["routed_params"], msg.to_bytes())


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("ruri", RURIS)
@pytest.mark.parametrize("to_tag", ["", "t1"])
@pytest.mark.parametrize("mode", [0, 1])
def test_one_hop_agrees_with_general_path(route, ruri, to_tag, mode):
    fast = _outcome(loose.loose_route, request("BYE", ruri, to_tag=to_tag, routes=[route]), mode)
    slow = _outcome(loose._loose_route_general,
                    request("BYE", ruri, to_tag=to_tag, routes=[route]), mode)
    assert fast == slow


def test_one_hop_used_for_our_single_route(monkeypatch):
    """The usual in-dialog request takes the shortcut (the general path never runs)."""
    def general(*args):
        raise AssertionError("general path taken")
    monkeypatch.setattr(loose, "_loose_route_general", general)
    msg = request("ACK", to_tag="t1", routes=["<sip:192.0.2.10:5060;lr;ftag=f1>"])
    assert loose.loose_route(ctx_for(msg)) == 1
    assert not msg.has("Route")
    assert rr_state(msg)["routed_params"] == ";lr;ftag=f1"


def test_long_garbage_route_is_linear():
    """A huge Route value of host characters must not make the match quadratic."""
    msg = request("BYE", to_tag="t1", routes=["<sip:" + "a" * 60000 + "!"])
    assert loose.loose_route(ctx_for(msg)) in (1, -1)
