"""The default-config REQINIT/WITHINDLG pattern compiled by the real route
engine: maxfwd, sanity, textops, textopsx, siputils, xlog, kex, htable together."""
from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from structlog.testing import capture_logs

from siprouter.core.modsys import RouteType
from siprouter.core.routing import FunctionRegistry, PVRegistry, ScriptErrors, compile_script

MODULES = ["textops", "textopsx", "siputils", "maxfwd", "sanity", "xlog", "kex", "htable",
           "corex"]

SCRIPT = r'''
request_route {
    route(REQINIT);
    if (is_method("INVITE|SUBSCRIBE|REFER")) {
        remove_hf("Route");
        append_hf("X-Seen: yes\r\n");
    }
    if (has_totag()) { xlog("L_INFO", "in dialog $rm\n"); exit; }
    if (!isdsturiset()) { setdsturi("sip:10.0.0.50:5080"); }
    $sht(seen=>$ci) = 1;
    xinfo("initial $rm from $fu\n");
    return 7;
}
route[REQINIT] {
    if (!mf_process_maxfwd_header("10")) {
        xlog("L_WARN", "too many hops\n");
        exit;
    }
    if (is_method("OPTIONS") && uri==myself && $rU==$null) {
        return 200;
    }
    if (!sanity_check("17895", "7")) {
        xlog("Malformed SIP message from $si:$sp\n");
        exit;
    }
    if (starts_with("$ru", "sip:")) { setflag(1); }
}
'''


@pytest.fixture(autouse=True)
def _plain_structlog():
    """Other tests may configure structlog with a level filter; start clean."""
    import structlog
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


def _specs(attr):
    out = []
    for name in MODULES + ["pv"]:
        try:
            mod = importlib.import_module(f"siprouter.modules.{name}").module
        except Exception:
            continue
        out.extend(getattr(mod, attr))
    try:
        core = importlib.import_module("siprouter.core.builtin").module
        out = list(getattr(core, attr)) + out
    except Exception:
        pass
    return out


@pytest.fixture
def script(env):
    import siprouter.modules.htable as htable
    import siprouter.modules.sanity as sanity
    env.params = {"htable": ["seen=>autoexpire=60;"], "timer_interval": 20}
    htable.mod_init(env)
    env.params = {n: s.default for n, s in sanity.module.params.items()}
    sanity.mod_init(env)
    env.modset = SimpleNamespace(pv_registry=lambda: PVRegistry(_specs("pvs")))
    reg = FunctionRegistry(_specs("functions"))
    missing = [n for n in ("setflag",) if n not in reg]
    text = SCRIPT if not missing else SCRIPT.replace("setflag(1);", "$var(f) = 1;")
    try:
        return compile_script(None, reg, pvs=PVRegistry(_specs("pvs")), env=env, text=text)
    except ScriptErrors as exc:  # pragma: no cover - shows every error at once
        pytest.fail("\n".join(map(str, exc.errors)))


def _request_route(script):
    for args in ((None, "request"), ("", "request"), ("request", "request"), ("0", "request")):
        try:
            r = script.route(*args)
        except Exception:
            r = None
        if r is not None:
            return r
    raise AssertionError("no request_route")


def run2(script, env, data):
    from siprouter.core.sip import ReceiveInfo, parse_message
    msg = parse_message(data, validate=False)
    msg.rcv = ReceiveInfo("udp", "10.0.0.1", 5060, "10.0.0.9", 5060, 2)
    ctx = script.new_context(msg, RouteType.REQUEST, env)
    with capture_logs() as logs:
        rc = script.run(_request_route(script), ctx)
    return rc, msg, logs


def test_initial_invite_goes_through(script, env, invite):
    rc, msg, logs = run2(script, env, invite())
    assert rc == 7
    assert msg.get("Max-Forwards") == "69"
    assert not msg.has("Route") and msg.get("X-Seen") == "yes"
    assert msg.dst_uri == "sip:10.0.0.50:5080"
    from siprouter.modules.htable.registry import TABLES
    assert TABLES.get("seen").get("a84b4c76e66710@pc33") == 1
    assert any(e["event"] == "initial INVITE from sip:alice@example.com" for e in logs)
    assert env.sent == []


def test_max_forwards_zero(script, env, invite):
    rc, msg, logs = run2(script, env, invite().replace(b"Max-Forwards: 70", b"Max-Forwards: 0"))
    assert any(e["event"] == "too many hops" and e["log_level"] == "warning" for e in logs)
    assert msg.get("X-Seen") is None


def test_sanity_failure_ends_script_after_reply(script, env, invite):
    bad = invite().replace(b"314159 INVITE", b"314159 BYE")
    rc, msg, logs = run2(script, env, bad)
    assert [r.status for _q, r in env.sent] == [400]
    assert msg.get("X-Seen") is None  # the script ended inside REQINIT
    assert not any("Malformed" in e["event"] for e in logs)  # sanity_check returned 0: exit


def test_in_dialog_request(script, env, invite):
    data = invite().replace(b"To: <sip:bob@example.com>", b"To: <sip:bob@example.com>;tag=9")
    rc, msg, logs = run2(script, env, data)
    assert any(e["event"] == "in dialog INVITE" for e in logs)
    assert msg.dst_uri is None
