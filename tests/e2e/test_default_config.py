"""End to end: the default configuration is a real proxy and registrar out of the box.

The server under test is ``python -m siprouter -f FILE`` where FILE is a
test-local copy of ``config/siprouter.toml`` (same modules, core settings and
modparams) that only changes ``listen`` to a free port and points ``routes``
at the real ``config/siprouter.cfg`` by absolute path; a few tests merge
modparams in (SQLite usrloc, short expiry). Every case runs over UDP and over
TCP (SIPp ``-t u1`` / ``-t t1``). SIPp scenarios are in ``scenarios_default/``;
what SIPp cannot check itself (exact bindings, Record-Route and Via contents)
is checked here from SIPp's ``-trace_msg`` logs.

Users: ``alice…`` (caller) and ``bob…`` (callee: a SIPp UAS whose port is the
contact registered for bob), suffixed per test because tests 1-4 share one
server. Fixtures used from conftest.py: ``sipp`` and ``sipp_uas``.

Run: ``python -m pytest tests/e2e/test_default_config.py``
"""
from __future__ import annotations

import importlib.util
import itertools
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

_HELPERS = Path(__file__).parent / "scenarios_default" / "helpers.py"
_spec = importlib.util.spec_from_file_location("default_config_e2e_helpers", _HELPERS)
h = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = h
_spec.loader.exec_module(h)

pytestmark = pytest.mark.sipp

HOST = "127.0.0.1"
SCEN = h.SCENARIOS
TRANSPORTS = [pytest.param("u1", id="udp"), pytest.param("t1", id="tcp")]
PROTO = {"u1": "UDP", "t1": "TCP"}
_SEQ = itertools.count(1)


# -- fixtures and small steps ----------------------------------------------------------------

def _need_sipp() -> None:
    if shutil.which("sipp") is None:
        pytest.skip("sipp is not installed (apt-get install sip-tester)")


def _start(workdir: Path, modparam: dict | None = None) -> h.DefaultServer:
    workdir.mkdir(parents=True, exist_ok=True)
    port = h.free_port(HOST)
    toml = h.default_toml(workdir / "siprouter.toml", port, host=HOST, modparam=modparam)
    return h.DefaultServer(toml, port, workdir).start()


@pytest.fixture(scope="module")
def default_srv(tmp_path_factory):
    """One server running the default config unchanged (but for its port), shared by
    the tests that need nothing else; they use their own user names."""
    _need_sipp()
    srv = _start(tmp_path_factory.mktemp("default"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def short_expiry_srv(tmp_path_factory):
    """The default config with min_expires 1 and a 1 s usrloc timer."""
    _need_sipp()
    srv = _start(tmp_path_factory.mktemp("expiry"),
                 modparam={"registrar": {"min_expires": 1}, "usrloc": {"timer_interval": 1}})
    yield srv
    srv.stop()


@pytest.fixture
def servers(tmp_path):
    """Factory: ``servers(modparam=None)`` -> a started server of its own (stopped at teardown)."""
    _need_sipp()
    started: list[h.DefaultServer] = []

    def start(modparam: dict | None = None) -> h.DefaultServer:
        srv = _start(tmp_path / f"srv{len(started)}", modparam)
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


class Sip:
    """The SIPp runs of one test, with their message traces."""

    def __init__(self, tmp_path: Path, sipp, sipp_uas, transport: str):
        self.tmp, self._sipp, self._uas = tmp_path, sipp, sipp_uas
        self.t = transport
        self.n = 0
        self.tag = f"{next(_SEQ)}{PROTO[transport].lower()}"

    def user(self, name: str) -> str:
        """A user name of this test only (tests share a server)."""
        return f"{name}{self.tag}"

    def _trace(self, name: str) -> Path:
        self.n += 1
        return self.tmp / f"{self.n:02d}-{name}-msg.log"

    def run(self, scenario: str, srv, service: str, keys: dict[str, object]) -> tuple[object, list]:
        """One bounded UAC run against the proxy; returns (SippResult, trace messages)."""
        trace = self._trace(Path(scenario).stem)
        extra = ["-trace_msg", "-message_file", str(trace)]
        for k, v in keys.items():
            extra += ["-key", k, str(v)]
        res = self._sipp(SCEN / scenario, srv.target, transport=self.t, service=service,
                         local_port=h.free_port(HOST), timeout_s=8, recv_timeout_ms=4000,
                         extra=extra)
        return res, h.read_trace(trace)

    def register(self, srv, user: str, contact_port: int, expires: int):
        return self.run("register.xml", srv, user, {"contact_port": contact_port, "expires": expires})

    def unregister(self, srv, user: str, contact_port: int):
        return self.run("unregister.xml", srv, user, {"contact_port": contact_port})

    def uas(self, scenario: str):
        """A SIPp UAS (one call, then it exits) on a free port; returns (SippProc, trace path)."""
        trace = self._trace(Path(scenario).stem)
        p = self._uas(SCEN / scenario, transport=self.t, host=HOST, port=h.free_port(HOST),
                      timeout_s=15, extra=["-m", "1", "-trace_msg", "-message_file", str(trace)])
        return p, trace


@pytest.fixture
def sip_factory(tmp_path, sipp, sipp_uas):
    return lambda transport: Sip(tmp_path, sipp, sipp_uas, transport)


def contact_uri(user: str, port: int, transport: str) -> str:
    """The contact register.xml binds (SIPp writes [transport] upper-case)."""
    return f"sip:{user}@{HOST}:{port};transport={PROTO[transport]}"


def reply(msgs: list, status: int, method: str | None = None):
    """The first received reply with ``status`` (and CSeq method)."""
    for m in msgs:
        if m.direction == "received" and m.status == status and (method is None or m.cseq_method == method):
            return m
    raise AssertionError(f"no {status} {method or ''} received; trace:\n" + "\n\n".join(map(str, msgs)))


def requests(msgs: list, method: str, direction: str) -> list:
    return [m for m in msgs if m.direction == direction and m.method == method]


def assert_binding(ok200, uri: str, lo: int, hi: int) -> None:
    """The 200 lists exactly this one binding, with lo <= expires <= hi."""
    contacts = ok200.all("contact")
    assert len(contacts) == 1, f"200 must list exactly the one binding of this AOR:\n{ok200}"
    assert h.uri_of(contacts[0]).lower() == uri.lower(), f"binding {contacts[0]!r} is not {uri!r}"
    params = h.header_params(contacts[0])
    assert params.get("expires") is not None, f"no ;expires= on the binding: {contacts[0]!r}"
    assert lo <= int(params["expires"]) <= hi, f"expires {params['expires']} not in [{lo}, {hi}]"


def registered(sip: Sip, srv, user: str, contact_port: int, expires: int, lo: int | None = None) -> None:
    res, msgs = sip.register(srv, user, contact_port, expires)
    assert res.ok, f"REGISTER {user} failed: {res}\n{srv.log()}"
    assert_binding(reply(msgs, 200, "REGISTER"), contact_uri(user, contact_port, sip.t),
                   expires - 10 if lo is None else lo, expires)


def call_404(sip: Sip, srv, user: str) -> None:
    res, msgs = sip.run("call_404.xml", srv, user, {"caller": "alice"})
    assert res.ok, f"INVITE to {user} did not get (only) a 404: {res}\n{srv.log()}"
    assert reply(msgs, 404, "INVITE")


def finish_uas(p, timeout: float = 5.0) -> int | None:
    rc = h.wait_exit(p.proc, timeout)
    if rc is None:
        p.stop()
    return rc


def busy_call(sip: Sip, srv, user: str, uas, uas_trace: Path) -> None:
    """Call ``user``; the registered UAS answers 486: the INVITE reached it through lookup()."""
    res, msgs = sip.run("call_busy.xml", srv, user, {"caller": "alice"})
    rc = finish_uas(uas)
    assert res.ok, f"call to {user} did not reach its registered UAS (486 expected): {res}\n{srv.log()}"
    assert reply(msgs, 486, "INVITE")
    assert rc == 0, f"UAS did not complete (INVITE, 486, ACK from proxy): rc={rc}"
    inv = requests(h.read_trace(uas_trace), "INVITE", "received")
    assert len(inv) == 1 and inv[0].ruri.lower() == contact_uri(user, uas.port, sip.t).lower(), \
        f"the UAS must get the INVITE with its contact as Request-URI: {[str(m) for m in inv]}"


# -- 0. the default config checks ------------------------------------------------------------

def test_check_default_config():
    # the `siprouter` console script of this interpreter (not a PATH shim), else the module
    exe = Path(sysconfig.get_path("scripts")) / "siprouter"
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "siprouter"]
    cp = subprocess.run(cmd + ["check", "-f", "config/siprouter.toml"], cwd=h.REPO,
                        capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, f"siprouter check failed ({cp.returncode}):\n{cp.stdout}\n{cp.stderr}"


# -- 1. two users register -------------------------------------------------------------------

@pytest.mark.parametrize("transport", TRANSPORTS)
def test_two_users_register(transport, default_srv, sip_factory):
    srv = default_srv
    sip = sip_factory(transport)
    alice, bob = sip.user("alice"), sip.user("bob")
    pa, pb = h.free_port(HOST), h.free_port(HOST)
    registered(sip, srv, alice, pa, 600)
    registered(sip, srv, bob, pb, 900)
    # re-registering alice refreshes her one binding (still one contact, new expiry)
    registered(sip, srv, alice, pa, 300)
    assert "Traceback" not in srv.log(), srv.log()


# -- 2. a call through lookup with Record-Route; ACK and BYE follow the route set ------------

def _is_proxy(uri: str, srv) -> bool:
    u = h.parse_simple_uri(uri)
    return u.host == srv.host and (u.port or 5060) == srv.port


@pytest.mark.parametrize("transport", [
    pytest.param("u1", id="udp"),
    pytest.param("t1", id="tcp"),
])
def test_call_through_lookup_with_record_route(transport, default_srv, sip_factory):
    srv = default_srv
    sip = sip_factory(transport)
    alice, bob = sip.user("alice"), sip.user("bob")
    uas, uas_trace = sip.uas("uas.xml")
    registered(sip, srv, bob, uas.port, 600)
    registered(sip, srv, alice, h.free_port(HOST), 600)

    res, uac = sip.run("call.xml", srv, bob, {"caller": alice})
    rc = finish_uas(uas, 5.0 if res.ok else 1.0)
    at_uas = h.read_trace(uas_trace)
    dump = "\n--- UAC:\n" + "\n\n".join(map(str, uac)) + "\n--- UAS:\n" + "\n\n".join(map(str, at_uas))

    # the INVITE reached bob's registered contact and carries the proxy's Record-Route
    inv = requests(at_uas, "INVITE", "received")
    assert inv, f"no INVITE reached the UAS registered as bob: {res}\n{srv.log()}{dump}"
    assert inv[0].ruri.lower() == contact_uri(bob, uas.port, transport).lower(), dump
    rrs = inv[0].all("record-route")
    assert rrs, f"INVITE at the UAS has no Record-Route{dump}"
    top = h.uri_of(rrs[0])
    assert _is_proxy(top, srv), f"top Record-Route {rrs[0]!r} is not the proxy {srv.target}{dump}"
    assert all(_is_proxy(h.uri_of(r), srv) for r in rrs), f"foreign Record-Route{dump}"
    assert "lr" in h.parse_simple_uri(top).params, f"Record-Route without ;lr{dump}"
    # the whole call completed on both sides
    assert res.ok, f"UAC call failed: {res}\n{srv.log()}{dump}"
    assert rc == 0, f"UAS did not complete the call (rc={rc}){dump}"

    # the caller sent ACK and BYE with the learnt route set (the proxy's Record-Route)
    for method in ("ACK", "BYE"):
        sent = requests(uac, method, "sent")
        assert sent, f"UAC sent no {method}{dump}"
        routes = sent[0].all("route")
        assert routes and all(_is_proxy(h.uri_of(r), srv) for r in routes), \
            f"{method} from the caller does not route via the proxy: {routes}{dump}"
        # ... and they reached the callee through the proxy: proxy's Via on top,
        # the callee's Contact as Request-URI, our Route entries consumed
        got_at_uas = requests(at_uas, method, "received")
        assert got_at_uas, f"{method} did not reach the UAS{dump}"
        m = got_at_uas[0]
        vias = m.all("via")
        assert len(vias) == 2, f"{method} at UAS: expected proxy + caller Via{dump}"
        _, vh, vp = h.via_sent_by(vias[0])
        assert (vh, vp) == (srv.host, srv.port), f"{method} at the UAS did not come via the proxy{dump}"
        assert h.parse_simple_uri(m.ruri).port == uas.port, dump
        assert not any(_is_proxy(h.uri_of(r), srv) for r in m.all("route")), \
            f"{method} at the UAS still has the proxy's Route{dump}"
    assert "Traceback" not in srv.log(), srv.log()

    # the Record-Route entry the callee routes through names the transport the callee
    # talks to the proxy with (caller and callee on the same transport: one plain
    # Record-Route, as Kamailio inserts, no r2=on pair with a UDP entry on a TCP call)
    want = PROTO[transport].lower()
    got = (h.parse_simple_uri(top).params.get("transport") or "udp").lower()
    assert got == want, f"the callee-facing Record-Route says transport {got}, the callee is on {want}{dump}"
    assert len(rrs) == 1, f"caller and callee on {want}: one Record-Route expected, got {rrs}{dump}"


# -- 3. an unknown user gets 404 -------------------------------------------------------------

@pytest.mark.parametrize("transport", TRANSPORTS)
def test_unknown_user_gets_404(transport, default_srv, sip_factory):
    srv = default_srv
    sip = sip_factory(transport)
    registered(sip, srv, sip.user("alice"), h.free_port(HOST), 600)
    call_404(sip, srv, sip.user("nobody"))
    assert "Traceback" not in srv.log(), srv.log()


# -- 4. Expires: 0 removes the binding -------------------------------------------------------

@pytest.mark.parametrize("transport", TRANSPORTS)
def test_expires_zero_removes_binding(transport, default_srv, sip_factory):
    srv = default_srv
    sip = sip_factory(transport)
    bob = sip.user("bob")
    uas, uas_trace = sip.uas("uas_busy.xml")
    registered(sip, srv, bob, uas.port, 600)
    busy_call(sip, srv, bob, uas, uas_trace)            # the binding routes calls ...

    res, msgs = sip.unregister(srv, bob, uas.port)
    assert res.ok, f"REGISTER Expires: 0 failed: {res}\n{srv.log()}"
    ok = reply(msgs, 200, "REGISTER")
    gone = contact_uri(bob, uas.port, transport).lower()
    assert all(h.uri_of(c).lower() != gone for c in ok.all("contact")), \
        f"the 200 to Expires: 0 still lists the binding:\n{ok}"
    call_404(sip, srv, bob)                             # ... and is gone now
    assert "Traceback" not in srv.log(), srv.log()


# -- 5. bindings survive a restart with SQLite -----------------------------------------------

@pytest.mark.parametrize("transport,db_mode", [
    pytest.param("u1", 1, id="udp-write_through"),
    pytest.param("t1", 1, id="tcp-write_through"),
    pytest.param("u1", 2, id="udp-write_back"),        # written at shutdown (SIGTERM)
])
def test_bindings_persist_across_restart(transport, db_mode, servers, sip_factory, tmp_path):
    db = tmp_path / "db" / "location.sqlite"
    srv = servers(modparam={"usrloc": {"db_mode": db_mode, "db_url": f"sqlite:///{db}"}})
    sip = sip_factory(transport)
    uas, uas_trace = sip.uas("uas_busy.xml")
    registered(sip, srv, "bob", uas.port, 600)

    code = srv.stop()
    assert code == 0, f"SIGTERM did not stop the server cleanly (exit {code}):\n{srv.log()}"
    assert db.is_file(), f"no SQLite file at {db} after the stop:\n{srv.log()}"
    srv.start()                       # same TOML, same port, same db

    busy_call(sip, srv, "bob", uas, uas_trace)
    assert "Traceback" not in srv.log(), srv.log()


# -- 6. bindings expire on time --------------------------------------------------------------

@pytest.mark.parametrize("transport", TRANSPORTS)
def test_binding_expires_on_time(transport, short_expiry_srv, sip_factory):
    srv = short_expiry_srv
    sip = sip_factory(transport)
    bob = sip.user("bob")
    uas, uas_trace = sip.uas("uas_busy.xml")
    t0 = time.monotonic()
    registered(sip, srv, bob, uas.port, 2, lo=1)       # not raised to a default minimum
    if time.monotonic() - t0 < 1.0:                     # (on a very slow host, skip this part)
        busy_call(sip, srv, bob, uas, uas_trace)        # routable while it lives
    time.sleep(max(0.0, t0 + 3.0 - time.monotonic()))
    call_404(sip, srv, bob)
    assert "Traceback" not in srv.log(), srv.log()
