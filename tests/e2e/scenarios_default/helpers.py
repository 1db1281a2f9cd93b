"""Helpers for tests/e2e/test_default_config.py (imported by path, not a package).

* :func:`default_toml` — a test-local copy of ``config/siprouter.toml`` with
  its own ``listen``, an absolute ``routes`` path to the real default route
  script, and modparam overrides merged in.
* :class:`DefaultServer` — ``python -m siprouter -f FILE`` in its own session,
  stopped by PID (SIGTERM, then SIGKILL of its process group).
* :func:`read_trace` — the SIP messages of a SIPp ``-trace_msg`` file, with a
  small independent header parser (no use of siprouter's own parser).
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DEFAULT_TOML = REPO / "config" / "siprouter.toml"
DEFAULT_CFG = REPO / "config" / "siprouter.cfg"
SCENARIOS = Path(__file__).resolve().parent


# -- config --------------------------------------------------------------------------------

def _toml_scalar(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_scalar(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} to TOML")


def dump_toml(data: dict, prefix: str = "") -> str:
    """A minimal TOML writer for config dicts (scalars, lists of scalars, nested tables)."""
    lines = [f"{k} = {_toml_scalar(v)}" for k, v in data.items() if not isinstance(v, dict)]
    out = "\n".join(lines) + ("\n" if lines else "")
    for k, v in data.items():
        if isinstance(v, dict):
            name = f"{prefix}.{k}" if prefix else k
            out += f"\n[{name}]\n" + dump_toml(v, name)
    return out


def default_toml(path: Path, port: int, *, host: str = "127.0.0.1",
                 modparam: dict[str, dict] | None = None) -> Path:
    """Write a copy of the default TOML to ``path``: same modules, core settings and
    modparams, but listening on ``host:port`` (UDP + TCP) and running the default
    route script by absolute path; ``modparam`` entries are merged over the defaults."""
    with open(DEFAULT_TOML, "rb") as fh:
        cfg = tomllib.load(fh)
    assert cfg["core"]["listen"] == ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"], \
        "the default listen changed: update this test's copy"
    cfg["core"]["listen"] = [f"udp:{host}:{port}", f"tcp:{host}:{port}"]
    cfg["routes"] = str(DEFAULT_CFG)
    mp = cfg.setdefault("modparam", {})
    for mod, params in (modparam or {}).items():
        mp.setdefault(mod, {}).update(params)
    path.write_text(dump_toml(cfg))
    # what we wrote reads back as the intended config
    with open(path, "rb") as fh:
        assert tomllib.load(fh) == cfg
    return path


# -- ports and readiness -------------------------------------------------------------------

def free_port(host: str = "127.0.0.1", tries: int = 50) -> int:
    """A port currently free for both UDP and TCP on ``host`` (never 5060)."""
    for _ in range(tries):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((host, 0))
            port = u.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.bind((host, port))
            except OSError:
                continue
            if port != 5060:
                return port
    raise RuntimeError("no free port")


def _options_probe(host: str, port: int) -> bytes:
    tag = os.urandom(4).hex()
    return (f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {host}:9;branch=z9hG4bK-probe-{tag};rport\r\n"
            f"From: <sip:probe@{host}>;tag={tag}\r\nTo: <sip:{host}:{port}>\r\n"
            f"Call-ID: probe-{tag}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


def wait_ready(proc: subprocess.Popen, host: str, port: int, timeout: float = 15.0) -> bool:
    """Until the server answers an OPTIONS keepalive over UDP and accepts a TCP
    connection on ``host:port``; False when it exits or the time runs out."""
    deadline = time.monotonic() + timeout
    udp_ok = tcp_ok = False
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind((host, 0))
        u.settimeout(0.2)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            if not udp_ok:
                try:
                    u.sendto(_options_probe(host, port), (host, port))
                    data, _ = u.recvfrom(65535)
                    udp_ok = data.startswith(b"SIP/2.0 ")
                except OSError:       # timeout, ICMP port unreachable
                    time.sleep(0.05)
            if udp_ok and not tcp_ok:
                try:
                    with socket.create_connection((host, port), timeout=0.5):
                        tcp_ok = True
                except OSError:
                    time.sleep(0.05)
            if udp_ok and tcp_ok:
                return True
    return False


# -- the server ----------------------------------------------------------------------------

@dataclass
class DefaultServer:
    """``python -m siprouter -f TOML`` on 127.0.0.1:``port`` (UDP + TCP)."""

    toml: Path
    port: int
    workdir: Path
    host: str = "127.0.0.1"
    proc: subprocess.Popen | None = None
    logs: list[Path] = field(default_factory=list)
    _fh: object = None

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> "DefaultServer":
        log = self.workdir / f"server-{len(self.logs)}.log"
        self.logs.append(log)
        self._fh = open(log, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "siprouter", "-f", str(self.toml)],
                                     stdout=self._fh, stderr=subprocess.STDOUT, cwd=self.workdir,
                                     start_new_session=True)
        if not wait_ready(self.proc, self.host, self.port, timeout):
            code = self.stop()
            raise AssertionError(f"siprouter did not start (exit {code}):\n{self.log()}")
        return self

    def log(self) -> str:
        return "".join(f"--- {p.name}\n" + p.read_text(errors="replace") for p in self.logs if p.exists())

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM (this PID), wait; SIGKILL its process group if it hangs. Returns the exit code."""
        proc = self.proc
        if proc is None:
            return None
        try:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(5)
            else:
                # leftovers of its session (workers it may have forked)
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if self._fh is not None:
                self._fh.close()
                self._fh = None
        return proc.returncode


# -- SIPp message traces -------------------------------------------------------------------

_COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length",
            "c": "content-type", "k": "supported", "s": "subject", "e": "content-encoding"}
_SPLIT = {"via", "route", "record-route", "contact"}      # comma-separated lists


def _split_commas(value: str) -> list[str]:
    """Split a header value at top-level commas (not inside <> or quotes)."""
    out, cur, depth, quoted = [], [], 0, False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


@dataclass
class TracedMessage:
    direction: str             # "sent" | "received"
    proto: str                 # "UDP" | "TCP"
    start: str                 # start line
    headers: list[tuple[str, str]]

    @property
    def is_request(self) -> bool:
        return not self.start.startswith("SIP/2.0")

    @property
    def method(self) -> str | None:
        return self.start.split(" ", 1)[0] if self.is_request else None

    @property
    def status(self) -> int | None:
        return None if self.is_request else int(self.start.split()[1])

    @property
    def ruri(self) -> str | None:
        return self.start.split()[1] if self.is_request else None

    @property
    def cseq_method(self) -> str:
        return (self.get("cseq") or " ").split()[-1]

    def get(self, name: str) -> str | None:
        vals = self.all(name)
        return vals[0] if vals else None

    def all(self, name: str) -> list[str]:
        """Every value of ``name`` in order (list headers split at commas)."""
        name = name.lower()
        out: list[str] = []
        for n, v in self.headers:
            if n == name:
                out.extend(_split_commas(v) if n in _SPLIT else [v])
        return out

    def __str__(self) -> str:
        return "\n".join([self.start] + [f"{n}: {v}" for n, v in self.headers])


_BLOCK = re.compile(r"^-{20,} .*$", re.M)
_INFO = re.compile(r"^(UDP|TCP|TLS|SCTP) message (sent|received)", re.M)


def read_trace(path: Path) -> list[TracedMessage]:
    """The messages of a SIPp ``-trace_msg`` file in order."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    out: list[TracedMessage] = []
    for block in _BLOCK.split(text):
        m = _INFO.search(block)
        if not m:
            continue
        body = block[m.end():].split("\n", 1)[1] if "\n" in block[m.end():] else ""
        lines = body.replace("\r\n", "\n").lstrip("\n").split("\n")
        if not lines or not lines[0].strip():
            continue
        start, headers = lines[0].strip(), []
        for line in lines[1:]:
            if not line.strip():
                break
            if line[0] in " \t" and headers:            # folded line
                n, v = headers[-1]
                headers[-1] = (n, v + " " + line.strip())
                continue
            n, _, v = line.partition(":")
            n = n.strip().lower()
            headers.append((_COMPACT.get(n, n), v.strip()))
        out.append(TracedMessage(m.group(2), m.group(1), start, headers))
    return out


# -- URIs and name-addrs -------------------------------------------------------------------

@dataclass
class SimpleUri:
    user: str | None
    host: str
    port: int | None
    params: dict[str, str | None]


def uri_of(name_addr: str) -> str:
    """The URI inside ``<...>``, or the bare URI before any header parameter."""
    m = re.search(r"<([^>]*)>", name_addr)
    return m.group(1) if m else name_addr.split(";", 1)[0].strip()


def header_params(name_addr: str) -> dict[str, str | None]:
    """Parameters after the ``<...>`` of a name-addr (e.g. ``expires``)."""
    tail = name_addr.rsplit(">", 1)[1] if ">" in name_addr else ""
    out: dict[str, str | None] = {}
    for p in tail.split(";")[1:]:
        k, eq, v = p.partition("=")
        out[k.strip().lower()] = v.strip() if eq else None
    return out


def parse_simple_uri(uri: str) -> SimpleUri:
    m = re.match(r"sips?:(?:([^@;]*)@)?([^:;>]+)(?::(\d+))?((?:;[^?>]*)?)", uri.strip())
    assert m, f"not a SIP URI: {uri!r}"
    params: dict[str, str | None] = {}
    for p in m.group(4).split(";")[1:]:
        k, eq, v = p.partition("=")
        params[k.lower()] = v if eq else None
    return SimpleUri(m.group(1), m.group(2).lower(), int(m.group(3)) if m.group(3) else None, params)


def via_sent_by(via: str) -> tuple[str, str, int | None]:
    """``SIP/2.0/UDP host:port;...`` -> (transport, host, port)."""
    m = re.match(r"SIP\s*/\s*2\.0\s*/\s*(\w+)\s+([^;:\s]+)(?::(\d+))?", via.strip(), re.I)
    assert m, f"bad Via {via!r}"
    return m.group(1).upper(), m.group(2).lower(), int(m.group(3)) if m.group(3) else None


def wait_exit(proc: subprocess.Popen, timeout: float) -> int | None:
    """The exit code of ``proc`` within ``timeout`` s, else None (still running)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return proc.returncode
        time.sleep(0.05)
    return proc.poll()
