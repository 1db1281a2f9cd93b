"""A tiny UDP SIP client for the async end-to-end tests: send one request, time the replies.

Not a UA: it sends the request once (the server answers 100 at once, so no
retransmission is needed), optionally a CANCEL, and records every reply with
its arrival time relative to the send.
"""
from __future__ import annotations

import socket
import time
import uuid
from dataclasses import dataclass, field


@dataclass
class Timed:
    status: int
    reason: str
    at: float                     # seconds after the request was sent
    raw: bytes = field(repr=False, default=b"")


def build_request(method: str, target: str, local: tuple[str, int], *, call_id: str,
                  branch: str, ruri: str | None = None, cseq: int = 1,
                  extra: str = "") -> bytes:
    host, port = local
    ruri = ruri or f"sip:test@{target}"
    return (f"{method} {ruri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {host}:{port};branch={branch};rport\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <sip:alice@{host}:{port}>;tag=a{call_id[:8]}\r\n"
            f"To: <{ruri}>\r\n"
            f"Call-ID: {call_id}\r\n"
            f"CSeq: {cseq} {method}\r\n"
            f"Contact: <sip:alice@{host}:{port}>\r\n"
            f"{extra}"
            f"Content-Length: 0\r\n\r\n").encode()


class UdpClient:
    def __init__(self, server: tuple[str, int], host: str = "127.0.0.1") -> None:
        self.server = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.local = self.sock.getsockname()
        self.t0 = 0.0

    def close(self) -> None:
        self.sock.close()

    def send(self, method: str = "INVITE", *, call_id: str | None = None, branch: str | None = None,
             ruri: str | None = None, cseq: int = 1) -> tuple[str, str]:
        call_id = call_id or uuid.uuid4().hex
        branch = branch or "z9hG4bK" + uuid.uuid4().hex[:12]
        data = build_request(method, f"{self.server[0]}:{self.server[1]}", self.local,
                             call_id=call_id, branch=branch, ruri=ruri, cseq=cseq)
        if method != "CANCEL" or not self.t0:
            self.t0 = time.monotonic()
        self.sock.sendto(data, self.server)
        return call_id, branch

    def ack(self, reply: Timed, *, call_id: str, branch: str, ruri: str | None = None) -> None:
        """ACK a non-2xx final reply (same branch as the INVITE, To tag of the reply)."""
        to = next((ln for ln in reply.raw.decode(errors="replace").split("\r\n")
                   if ln.lower().startswith(("to:", "t:"))), "To: <sip:test@x>")
        host, port = self.local
        ruri = ruri or f"sip:test@{self.server[0]}:{self.server[1]}"
        data = (f"ACK {ruri} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {host}:{port};branch={branch};rport\r\n"
                f"Max-Forwards: 70\r\n"
                f"From: <sip:alice@{host}:{port}>;tag=a{call_id[:8]}\r\n"
                f"{to}\r\nCall-ID: {call_id}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n")
        self.sock.sendto(data.encode(), self.server)

    def replies(self, until_final: bool = True, timeout: float = 10.0,
                cseq_method: str | None = None) -> list[Timed]:
        """Collect replies until a final one (for ``cseq_method``) or the timeout."""
        out: list[Timed] = []
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.sock.settimeout(max(0.001, end - time.monotonic()))
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                break
            now = time.monotonic()
            first = data.split(b"\r\n", 1)[0].decode(errors="replace")
            if not first.startswith("SIP/2.0 "):
                continue
            code, _, reason = first[8:].partition(" ")
            t = Timed(int(code), reason, now - self.t0, data)
            out.append(t)
            method = _cseq_method(data)
            if until_final and t.status >= 200 and (cseq_method is None or method == cseq_method):
                break
        return out


def _cseq_method(data: bytes) -> str | None:
    for line in data.split(b"\r\n"):
        if line.lower().startswith(b"cseq:"):
            parts = line.split()
            return parts[-1].decode() if len(parts) >= 3 else None
    return None


class TomlServer:
    """siprouter started on an existing TOML file (``python -m siprouter.core.server``)."""

    def __init__(self, toml, port: int, workdir, wait_bound) -> None:
        import subprocess
        import sys
        self.host, self.port = "127.0.0.1", port
        self.log_path = workdir / "server.log"
        self._fh = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "siprouter.core.server", str(toml)],
                                     stdout=self._fh, stderr=subprocess.STDOUT, cwd=workdir,
                                     start_new_session=True)
        if not wait_bound(port, ["udp"], proc=self.proc):
            code = self.stop()
            raise RuntimeError(f"siprouter did not start (exit {code}):\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 5.0) -> int:
        """SIGTERM, then SIGKILL after ``timeout`` (this PID only)."""
        import signal
        import subprocess
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if not self._fh.closed:
            self._fh.close()
        return self.proc.returncode
