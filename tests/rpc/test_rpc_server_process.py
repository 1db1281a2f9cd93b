"""A real ``python -m siprouter -f CONFIG`` process, queried over its RPC socket and with the CLI.

Skipped while ``siprouter.core.server`` does not start the RPC server yet.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rpc_testkit import REPO, free_port, run_cli, short_tmpdir
from siprouter.core.rpc import RPCClientError, rpc_call

START_TIMEOUT = 15.0


def _server_wires_rpc() -> bool:
    import siprouter.core.server as server
    return "start_rpc_server" in Path(server.__file__).read_text()


pytestmark = pytest.mark.skipif(not _server_wires_rpc(),
                                reason="core/server.py does not start the RPC server yet")

ROUTES = """
request_route {
    if (is_method("OPTIONS")) {
        sl_send_reply("200", "Alive");
        exit;
    }
    sl_send_reply("404", "Not Here");
}
"""


class Proc:
    def __init__(self, folder: str, port: int, sock_template: str):
        self.folder = folder
        self.port = port
        self.config = os.path.join(folder, "siprouter.toml")
        Path(folder, "siprouter.cfg").write_text(ROUTES)
        Path(self.config).write_text(textwrap.dedent(f'''
            loadmodule = ["sl", "tm", "tmx", "textops"]
            routes = "siprouter.cfg"
            [core]
            listen = ["udp:127.0.0.1:{port}"]
            rpc_socket = "{sock_template}"
            log_level = "info"
        ''').lstrip())
        self.socket = sock_template.replace("{port}", str(port))
        self.log = open(os.path.join(folder, "server.log"), "w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "siprouter", "-f", self.config],
                                     stdout=self.log, stderr=subprocess.STDOUT, cwd=REPO)

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def wait_socket(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}:\n{self.output()}")
            if os.path.exists(self.socket):
                try:
                    rpc_call(self.socket, "core.echo", timeout=2)
                    return
                except RPCClientError:
                    pass
            time.sleep(0.05)
        raise AssertionError(f"no RPC socket after {START_TIMEOUT} s:\n{self.output()}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        return self.proc.returncode


@pytest.fixture
def server():
    folder = short_tmpdir()
    procs: list[Proc] = []

    def start(sock_template: str | None = None, port: int | None = None) -> Proc:
        p = Proc(folder, port or free_port(), sock_template or f"{folder}/ctl-{{port}}.sock")
        procs.append(p)
        return p

    yield start
    for p in procs:
        p.stop()
    shutil.rmtree(folder, ignore_errors=True)


def options(port: int) -> bytes:
    msg = (f"OPTIONS sip:ping@127.0.0.1:{port} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bK-rpc-{time.monotonic_ns()}\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=a\r\nTo: <sip:ping@127.0.0.1>\r\n"
           f"Call-ID: rpc-{time.monotonic_ns()}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(msg.encode(), ("127.0.0.1", port))
        return s.recv(65535)


def test_server_answers_rpc_and_cli_and_counts(server):
    srv = server()
    srv.wait_socket()
    assert rpc_call(srv.socket, "core.version").startswith("siprouter ")
    names = [m["name"] for m in rpc_call(srv.socket, "core.modules")]
    assert names[0] == "core" and {"sl", "tm", "tmx"} <= set(names)
    assert {"core.uptime", "stats.get_statistics"} <= set(rpc_call(srv.socket, "system.listMethods"))

    assert options(srv.port).startswith(b"SIP/2.0 200 Alive")
    got = rpc_call(srv.socket, "stats.fetch", ["core:rcv_requests", "sl:2xx_replies"])
    assert got == {"core.rcv_requests": 1, "sl.2xx_replies": 1}

    p = run_cli("rpc", "-f", srv.config, "stats.get_statistics", "sl:2xx_replies")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == ["sl:2xx_replies = 1"]
    p = run_cli("rpc", "-f", srv.config, "stats.reset_statistics", "sl:")
    assert p.returncode == 0, p.stderr
    assert rpc_call(srv.socket, "stats.fetch", ["sl:2xx_replies"]) == {"sl.2xx_replies": 0}

    p = run_cli("rpc", "-f", srv.config, "no.such")
    assert p.returncode == 1 and "unknown method 'no.such'" in p.stderr and "Traceback" not in p.stderr
    assert options(srv.port).startswith(b"SIP/2.0 200 Alive")        # SIP still served

    assert srv.stop() == 0
    assert not os.path.exists(srv.socket), "socket file left behind"
    p = run_cli("rpc", "-f", srv.config, "core.version")
    assert p.returncode == 1 and "is the server running?" in p.stderr


def test_second_server_on_the_same_socket_does_not_start(server):
    first = server()
    first.wait_socket()
    second = server(sock_template=first.socket)
    assert second.proc.wait(START_TIMEOUT) == 1
    out = second.output()
    assert f"rpc_socket {first.socket} is in use by another running process" in out
    assert "Traceback" not in out
    assert rpc_call(first.socket, "core.echo", ["first"]) == ["first"]
