"""The seed's async examples (config/examples/*.toml + .cfg), run as they are, checked over UDP.

Each example listens on a fixed port (5071, 5073, 5075).  When that port is
taken on this machine the files are copied with only the port changed.
"""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from async_udp_client import TomlServer, UdpClient

EXAMPLES = Path(__file__).resolve().parents[2] / "config" / "examples"


def _port_free(port: int) -> bool:
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def start_example(name: str, tmp_path: Path, e2e) -> TomlServer:
    """Start siprouter on config/examples/<name>.toml (verbatim unless its port is taken)."""
    toml = EXAMPLES / f"{name}.toml"
    port = int(re.search(r'"udp:127\.0\.0\.1:(\d+)"', toml.read_text()).group(1))
    if not _port_free(port):
        new = e2e.free_port()
        for f in (toml, EXAMPLES / f"{name}.cfg"):
            shutil.copy(f, tmp_path / f.name)
        t = tmp_path / toml.name
        t.write_text(t.read_text().replace(f"127.0.0.1:{port}", f"127.0.0.1:{new}"))
        toml, port = t, new
    return TomlServer(toml, port, tmp_path, e2e.wait_bound)


@pytest.fixture
def example(tmp_path, e2e):
    started: list[TomlServer] = []

    def start(name: str) -> TomlServer:
        d = tmp_path / name
        d.mkdir()
        srv = start_example(name, d, e2e)
        started.append(srv)
        return srv
    yield start
    for srv in started:
        srv.stop()


def _check_404_after_4s(srv: TomlServer) -> None:
    c = UdpClient((srv.host, srv.port))
    try:
        c.send("INVITE")
        replies = c.replies(timeout=8)
    finally:
        c.close()
    codes = [(r.status, round(r.at, 3)) for r in replies]
    assert replies and replies[0].status == 100 and replies[0].at < 0.1, (codes, srv.log())
    final = replies[-1]
    assert final.status == 404 and final.reason == "Not found", (codes, srv.log())
    assert 4.0 <= final.at <= 4.05, codes


@pytest.mark.slow
def test_async_route_example(example):
    _check_404_after_4s(example("async_route"))


@pytest.mark.slow
def test_async_sleep_example(example):
    _check_404_after_4s(example("async_sleep"))


def test_async_task_example_relays_to_a_sipp_uas(example, sipp_uas):
    uas = sipp_uas("uas.xml")
    srv = example("async_task")
    c = UdpClient((srv.host, srv.port))
    try:
        t0 = time.monotonic()
        c.send("INVITE", ruri=f"sip:callee@127.0.0.1:{uas.port}")
        replies = c.replies(timeout=5, cseq_method="INVITE")
    finally:
        c.close()
    codes = [(r.status, round(r.at, 3)) for r in replies]
    assert replies and replies[0].status == 100 and replies[0].at < 0.1, (codes, srv.log())
    assert replies[-1].status == 200, (codes, srv.log())
    assert replies[-1].at < 1.0, codes                  # handed to a worker at once
    assert time.monotonic() - t0 < 5
