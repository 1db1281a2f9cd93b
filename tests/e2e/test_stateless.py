"""End to end: a siprouter subprocess, SIPp on the other side (UDP and TCP).

* OPTIONS to the server answered by ``sl_send_reply``;
* a stateless INVITE/ACK/BYE call relayed by ``forward()`` between a SIPp
  UAC and a SIPp UAS;
* start-up errors give one line and exit 1; SIGTERM stops with exit 0.
"""
from __future__ import annotations

import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.sipp

STATELESS = """\
request_route {
    if (uri == myself) {
        sl_send_reply("200", "OK");
        exit;
    }
    forward();
}
"""


@pytest.mark.parametrize("transport", ["u1", "t1"])
def test_options_answered(siprouter_server, sipp, transport):
    srv = siprouter_server(STATELESS)
    res = sipp("options.xml", srv.target, calls=5, rate=20, transport=transport, timeout_s=8)
    assert res.ok and res.successful == 5, f"{res}\n{srv.log()}"


@pytest.mark.parametrize("transport", ["u1", "t1"])
def test_call_through_forward(siprouter_server, sipp, sipp_uas, transport):
    srv = siprouter_server(STATELESS)
    uas = sipp_uas("uas.xml", transport=transport)
    res = sipp("uac.xml", f"127.0.0.1:{uas.port}", rsa=srv.target, calls=5, rate=10,
               transport=transport, timeout_s=10, service="callee")
    assert res.ok and res.successful == 5 and res.failed == 0, f"{res}\n{srv.log()}"
    assert srv.alive()


def test_options_ipv6(siprouter_server, sipp, e2e):
    if not e2e.ipv6_available():
        pytest.skip("no IPv6 loopback")
    srv = siprouter_server(STATELESS, host="::1", protos=("udp",))
    res = sipp("options.xml", srv.target, calls=3, rate=10, transport="u1", local_host="::1", timeout_s=8)
    assert res.ok and res.successful == 3, f"{res}\n{srv.log()}"


def test_sigterm_stops_cleanly(siprouter_server):
    srv = siprouter_server(STATELESS)
    assert srv.stop() == 0


def _run_once(tmp_path, toml: str, script: str = STATELESS) -> subprocess.CompletedProcess:
    (tmp_path / "s.cfg").write_text(script)
    (tmp_path / "s.toml").write_text(toml)
    return subprocess.run([sys.executable, "-m", "siprouter.core.server", str(tmp_path / "s.toml")],
                          capture_output=True, text=True, timeout=20, cwd=tmp_path)


def test_port_in_use_is_one_line_exit_1(tmp_path, e2e):
    port = e2e.free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", port))
        cp = _run_once(tmp_path, f'loadmodule = ["sl"]\nroutes = "s.cfg"\n[core]\n'
                                 f'listen = ["udp:127.0.0.1:{port}"]\n')
    assert cp.returncode == 1
    assert "Traceback" not in cp.stderr
    assert "cannot listen" in cp.stderr and len(cp.stderr.strip().splitlines()) == 1


def test_script_error_is_one_line_exit_1(tmp_path):
    cp = _run_once(tmp_path, 'loadmodule = ["sl"]\nroutes = "s.cfg"\n[core]\nlisten = ["udp:127.0.0.1:5999"]\n',
                   'request_route {\n    no_such_function();\n}\n')
    assert cp.returncode == 1 and "Traceback" not in cp.stderr
    assert "s.cfg:2:" in cp.stderr


def test_config_error_exit_1(tmp_path):
    cp = _run_once(tmp_path, 'loadmodule = ["sl"]\nroutes = "s.cfg"\nbogus_key = 1\n')
    assert cp.returncode == 1 and "Traceback" not in cp.stderr and cp.stderr.strip()
