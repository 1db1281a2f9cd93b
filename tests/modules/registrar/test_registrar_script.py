"""rr + usrloc + registrar loaded by the real loader and driven by a route script.

A REGISTER is saved (SQLite write-through), survives a restart, an INVITE is
record-routed and looked up, and the BYE coming back is loose-routed.
"""
from __future__ import annotations

import socket
from typing import Any

from siprouter.core.config import load_config_text
from siprouter.core.env import ManualClock, ServerEnv
from siprouter.core.modsys import RouteType
from siprouter.core.modsys.loader import resolve_modules
from siprouter.core.routing import compile_script
from siprouter.core.sip import ReceiveInfo, parse_message

SCRIPT = """
request_route {
    if (method == "REGISTER") {
        save("location");
        exit;
    }
    if (loose_route()) {
        $var(routed) = 1;
        exit;
    }
    record_route();
    lookup("location");
    $var(lookup) = $rc;
    exit;
}
"""


class FakeTransport:
    def __init__(self) -> None:
        self.replies: list[Any] = []

    def send_reply(self, request: Any, reply: Any) -> bool:
        self.replies.append(reply)
        return True


def start(tmp_path) -> tuple[Any, Any, Any, FakeTransport]:
    cfg = load_config_text(f'''
loadmodule = ["pv", "sl", "tm", "rr", "usrloc", "registrar"]
[core]
listen = ["udp:127.0.0.1:5060"]
[modparam.usrloc]
db_mode = 1
db_url = "{tmp_path / 'location.db'}"
''', tmp_path / "siprouter.toml")
    modset = resolve_modules(cfg)
    env = ServerEnv(cfg, modset)
    script = compile_script(None, modset.function_registry(), defines=modset.defines,
                            pvs=modset.pv_registry(), core_params=cfg.core, env=env, text=SCRIPT)
    transport = FakeTransport()
    env.attach_runtime(clock=ManualClock(), transport=transport)
    modset.init_all(env)
    modset.child_init_all(env, 1)
    return modset, env, script, transport


def run(env: Any, script: Any, text: str) -> tuple[Any, Any]:
    msg = parse_message(text.replace("\n", "\r\n").encode())
    msg.rcv = ReceiveInfo("udp", "10.0.0.1", 5070, "127.0.0.1", 5060, socket.AF_INET)
    ctx = script.new_context(msg, RouteType.REQUEST, env)
    script.run(script.route(None, "request"), ctx)
    return msg, ctx


REGISTER = """REGISTER sip:127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK-reg1
Max-Forwards: 70
To: <sip:alice@127.0.0.1>
From: <sip:alice@127.0.0.1>;tag=a1
Call-ID: reg-script-1
CSeq: 1 REGISTER
Contact: <sip:alice@10.0.0.1:5070>;expires=600
Content-Length: 0

"""

INVITE = """INVITE sip:alice@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK-inv1
Max-Forwards: 70
To: <sip:alice@127.0.0.1>
From: <sip:bob@127.0.0.1>;tag=b1
Call-ID: inv-script-1
CSeq: 1 INVITE
Content-Length: 0

"""

BYE = """BYE sip:alice@10.0.0.1:5070 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK-bye1
Max-Forwards: 70
Route: {rr}
To: <sip:alice@127.0.0.1>;tag=al1
From: <sip:bob@127.0.0.1>;tag=b1
Call-ID: inv-script-1
CSeq: 2 BYE
Content-Length: 0

"""


def test_register_lookup_and_in_dialog_through_the_script(tmp_path):
    modset, env, script, transport = start(tmp_path)
    try:
        run(env, script, REGISTER)
        reply = transport.replies[-1]
        assert reply.status == 200
        assert reply.get("Contact") == "<sip:alice@10.0.0.1:5070>;expires=600"
    finally:
        modset.destroy_all(env)

    # a restart: the binding comes back from the SQLite file
    modset, env, script, transport = start(tmp_path)
    try:
        invite, ctx = run(env, script, INVITE)
        assert ctx.vars.get("lookup") == 1
        assert str(invite.uri) == "sip:alice@10.0.0.1:5070"
        rr_value = invite.get_all("Record-Route")[0]
        assert rr_value == "<sip:127.0.0.1:5060;lr;ftag=b1>"
        bye, ctx = run(env, script, BYE.format(rr=rr_value))
        assert ctx.vars.get("routed") == 1
        assert not bye.has("Route")
    finally:
        modset.destroy_all(env)
