"""Shared end-to-end fixtures: a siprouter subprocess and bounded SIPp runs.

Fixtures (function scope; everything started is stopped by PID):

``siprouter_server(script, *, loadmodule=("sl",), core=None, modparam=None,
protos=("udp", "tcp"), ipv6=False)`` -> :class:`ServerProc`
    Writes ``siprouter.toml`` + ``siprouter.cfg`` into a temp dir, picks a
    port free for UDP and TCP on 127.0.0.1 (or ::1), starts
    ``python -m siprouter.core.server CONFIG`` and waits until every listen
    socket is bound (``/proc/net``).  ``.host``, ``.port``, ``.log()``,
    ``.stop()`` (SIGTERM, then SIGKILL after 5 s; returns the exit code).

``sipp(scenario, target, *, calls=1, rate=10, transport="u1", ...)`` -> :class:`SippResult`
    Runs SIPp with ``-m``, ``-timeout`` and ``-recv_timeout`` bounds (and a
    hard subprocess timeout), parses its exit code and the final line of
    its ``-trace_stat`` CSV.  ``sipp_uas(...)`` starts a SIPp UAS in the
    background (returned :class:`SippProc` is stopped at teardown).

Everything skips cleanly (``pytest.skip``) when ``sipp`` is not installed.
Scenarios shipped here: ``SIPP_DIR / "options.xml" | "uac.xml" | "uas.xml"``.
"""
from __future__ import annotations

import csv
import signal
import socket
import shutil
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pytest

SIPP_DIR = Path(__file__).parent / "sipp"
SIPP = shutil.which("sipp")
START_TIMEOUT_S = 10.0


# -- ports ---------------------------------------------------------------------------------

def free_port(host: str = "127.0.0.1", *, tries: int = 50) -> int:
    """A port currently free for both UDP and TCP on ``host``."""
    af = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(tries):
        with socket.socket(af, socket.SOCK_DGRAM) as u:
            u.bind((host, 0))
            port = u.getsockname()[1]
            try:
                with socket.socket(af, socket.SOCK_STREAM) as t:
                    t.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found")


def _bound_ports(proto: str) -> set[int]:
    """Local ports bound for ``proto`` ("udp"/"tcp"), from /proc/net (v4 + v6)."""
    ports: set[int] = set()
    for name in (proto, proto + "6"):
        try:
            with open(f"/proc/net/{name}") as fh:
                next(fh)
                for line in fh:
                    parts = line.split()
                    local, state = parts[1], parts[3]
                    if proto == "tcp" and state != "0A":     # LISTEN
                        continue
                    ports.add(int(local.rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


def wait_bound(port: int, protos: Iterable[str], timeout: float = START_TIMEOUT_S,
               proc: subprocess.Popen | None = None) -> bool:
    """Wait until ``port`` is bound for every proto; False on timeout or process exit."""
    deadline = time.monotonic() + timeout
    protos = list(protos)
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        if all(port in _bound_ports(p) for p in protos):
            return True
        time.sleep(0.05)
    return False


def ipv6_available() -> bool:
    """True when ::1 can be bound."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# -- the server ----------------------------------------------------------------------------

@dataclass
class ServerProc:
    """A running siprouter subprocess."""

    proc: subprocess.Popen
    host: str
    port: int
    workdir: Path
    log_path: Path
    _log_fh: object = None

    @property
    def target(self) -> str:
        """``host:port`` for SIPp (IPv6 in brackets)."""
        h = f"[{self.host}]" if ":" in self.host else self.host
        return f"{h}:{self.port}"

    def log(self) -> str:
        """Everything the server wrote to stdout/stderr so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 5.0) -> int:
        """SIGTERM, wait, SIGKILL if needed (this PID only); returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None
        return self.proc.returncode


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(workdir: Path, script: str, *, host: str, port: int, loadmodule: Iterable[str] = ("sl",),
                 core: dict | None = None, modparam: dict | None = None,
                 protos: Iterable[str] = ("udp", "tcp")) -> Path:
    """Write ``siprouter.toml`` + ``siprouter.cfg``; returns the TOML path."""
    h = f"[{host}]" if ":" in host else host
    core = dict(core or {})
    core.setdefault("listen", [f"{p}:{h}:{port}" for p in protos])
    core.setdefault("log_level", "warning")
    lines = [f"loadmodule = {_toml_value(list(loadmodule))}", 'routes = "siprouter.cfg"', "", "[core]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in core.items()]
    for mod, params in (modparam or {}).items():
        lines += ["", f"[modparam.{mod}]"] + [f"{k} = {_toml_value(v)}" for k, v in params.items()]
    (workdir / "siprouter.cfg").write_text(textwrap.dedent(script))
    cfg = workdir / "siprouter.toml"
    cfg.write_text("\n".join(lines) + "\n")
    return cfg


def start_server(workdir: Path, script: str, *, host: str = "127.0.0.1", port: int | None = None,
                 protos: Iterable[str] = ("udp", "tcp"), **kw) -> ServerProc:
    """Start siprouter on a free port and wait for its sockets; raises on failure."""
    protos = list(protos)
    port = port or free_port(host)
    cfg = write_config(workdir, script, host=host, port=port, protos=protos, **kw)
    log_path = workdir / "server.log"
    fh = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "siprouter.core.server", str(cfg)],
                            stdout=fh, stderr=subprocess.STDOUT, cwd=workdir,
                            start_new_session=True)
    srv = ServerProc(proc, host, port, workdir, log_path, fh)
    if not wait_bound(port, protos, proc=proc):
        code = srv.stop()
        raise RuntimeError(f"siprouter did not start (exit {code}):\n{srv.log()}")
    return srv


@pytest.fixture
def e2e():
    """The plain helpers of this file (no import of ``conftest`` needed):
    ``free_port``, ``ipv6_available``, ``wait_bound``, ``write_config``,
    ``start_server``, ``run_sipp``, ``read_stat_csv``, ``SIPP_DIR``."""
    import types
    return types.SimpleNamespace(free_port=free_port, ipv6_available=ipv6_available,
                                 wait_bound=wait_bound, write_config=write_config,
                                 start_server=start_server, run_sipp=run_sipp,
                                 read_stat_csv=read_stat_csv, SIPP_DIR=SIPP_DIR)


@pytest.fixture
def siprouter_server(tmp_path):
    """Factory fixture: ``siprouter_server(script, **kw)`` -> ServerProc (stopped at teardown)."""
    started: list[ServerProc] = []

    def factory(script: str, **kw) -> ServerProc:
        d = tmp_path / f"srv{len(started)}"
        d.mkdir()
        srv = start_server(d, script, **kw)
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()


# -- SIPp ----------------------------------------------------------------------------------------

@dataclass
class SippResult:
    """Outcome of one bounded SIPp run."""

    returncode: int
    stats: dict = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""

    def _int(self, key: str) -> int:
        try:
            return int(self.stats.get(key, 0) or 0)
        except ValueError:
            return 0

    @property
    def successful(self) -> int:
        return self._int("SuccessfulCall(C)")

    @property
    def failed(self) -> int:
        return self._int("FailedCall(C)")

    @property
    def retransmissions(self) -> int:
        return self._int("Retransmissions(C)")

    @property
    def ok(self) -> bool:
        """SIPp's own verdict: exit 0 = every call succeeded."""
        return self.returncode == 0

    def __str__(self) -> str:
        return (f"sipp rc={self.returncode} ok={self.successful} failed={self.failed} "
                f"retrans={self.retransmissions}\n{self.stderr[-2000:]}")


def read_stat_csv(path: Path) -> dict:
    """Last row of a SIPp ``-trace_stat`` CSV as a dict (empty when missing)."""
    try:
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh, delimiter=";"))
    except OSError:
        return {}
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0], rows[-1]))


def need_sipp() -> str:
    """The sipp path, or skip the test."""
    if SIPP is None:
        pytest.skip("sipp is not installed (apt-get install sip-tester)")
    return SIPP


def sipp_args(scenario: str | Path, *, local_host: str = "127.0.0.1", local_port: int | None = None,
              transport: str = "u1", service: str = "svc", extra: Iterable[str] = ()) -> list[str]:
    scen = Path(scenario)
    if not scen.is_absolute() and not scen.exists():
        scen = SIPP_DIR / scen
    args = [need_sipp(), "-sf", str(scen), "-i", local_host, "-t", transport, "-s", service, "-nostdin",
            "-max_socket", "64"]
    if local_port:
        args += ["-p", str(local_port)]
    return args + list(extra)


def run_sipp(scenario: str | Path, target: str, *, workdir: Path, calls: int = 1, rate: float = 10,
             transport: str = "u1", timeout_s: float = 10, recv_timeout_ms: int = 3000,
             local_host: str = "127.0.0.1", local_port: int | None = None, service: str = "svc",
             rsa: str | None = None, extra: Iterable[str] = ()) -> SippResult:
    """One bounded SIPp client run; returns its exit code and final stats."""
    stat = workdir / f"sipp-{time.monotonic_ns()}.csv"
    args = sipp_args(scenario, local_host=local_host, local_port=local_port, transport=transport,
                     service=service, extra=extra)
    args += ["-m", str(calls), "-r", str(rate), "-timeout", f"{int(timeout_s)}", "-timeout_error",
             "-recv_timeout", str(recv_timeout_ms), "-trace_stat", "-stf", str(stat), "-fd", "1"]
    if rsa:
        args += ["-rsa", rsa]
    args.append(target)
    try:
        cp = subprocess.run(args, cwd=workdir, capture_output=True, text=True, timeout=timeout_s + 15)
        rc, out, err = cp.returncode, cp.stdout, cp.stderr
    except subprocess.TimeoutExpired as exc:
        rc, out, err = -9, str(exc.stdout or ""), str(exc.stderr or "")
    return SippResult(rc, read_stat_csv(stat), out, err)


@dataclass
class SippProc:
    """A background SIPp (UAS) process."""

    proc: subprocess.Popen
    port: int

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


@pytest.fixture
def sipp(tmp_path):
    """Fixture: ``sipp(scenario, target, **kw)`` -> SippResult (see run_sipp)."""
    need_sipp()

    def run(scenario, target, **kw) -> SippResult:
        kw.setdefault("workdir", tmp_path)
        return run_sipp(scenario, target, **kw)
    return run


@pytest.fixture
def sipp_uas(tmp_path):
    """Fixture: ``sipp_uas(scenario="uas.xml", transport="u1", host=..., timeout_s=20)`` -> SippProc.

    Waits until the UAS port is bound; stopped by PID at teardown.
    """
    need_sipp()
    procs: list[SippProc] = []

    def start(scenario: str | Path = "uas.xml", *, transport: str = "u1", host: str = "127.0.0.1",
              port: int | None = None, timeout_s: float = 20, extra: Iterable[str] = ()) -> SippProc:
        port = port or free_port(host)
        args = sipp_args(scenario, local_host=host, local_port=port, transport=transport, extra=extra)
        args += ["-timeout", f"{int(timeout_s)}", "-trace_err"]
        proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        p = SippProc(proc, port)
        procs.append(p)
        if not wait_bound(port, ["tcp" if transport.startswith("t") else "udp"], timeout=5, proc=proc):
            p.stop()
            raise RuntimeError("SIPp UAS did not start")
        return p

    yield start
    for p in procs:
        p.stop()
