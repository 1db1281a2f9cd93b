"""A real siprouter server in process for module tests: sans-IO transport, manual clock.

``Harness(tmp_path, script, loadmodule=..., core=..., modparam=...)`` builds the
server from a TOML + route script exactly as ``siprouter`` does (``build_env``),
attaches a ``ManualClock`` and a ``RecordingTransport``; ``request()`` feeds a
request through ``Server.on_message``; ``replies()``/``final()`` read what was
sent back.  Worker threads (resumes, tasks) are real.
"""
from __future__ import annotations

import socket
import uuid
from pathlib import Path

from siprouter.core.env import ManualClock
from siprouter.core.server import Server, build_env
from siprouter.core.sip import ReceiveInfo


class Harness:
    def __init__(self, tmp_path: Path, script: str, *, loadmodule=("sl", "tm", "tmx", "pv", "async"),
                 core: str = "", modparam: str = "", mpath: Path | str | None = None) -> None:
        (tmp_path / "r.cfg").write_text(script)
        mods = ", ".join(f'"{m}"' for m in loadmodule)
        mp = f'mpath = ["{mpath}"]\n' if mpath else ""
        (tmp_path / "s.toml").write_text(
            f'{mp}loadmodule = [{mods}]\nroutes = "r.cfg"\n\n[core]\n'
            f'listen = ["udp:127.0.0.1:5060"]\nlog_level = "warning"\n{core}\n{modparam}\n')
        self.env, self.modset = build_env(tmp_path / "s.toml")
        self.clock = ManualClock()
        self.server = Server(self.env, modset=self.modset)
        self.env.attach_runtime(clock=self.clock, transport=self.server.transport)
        if self.env.workers is not None:
            self.env.workers.start()   # what Server.serve does before child_init
        self.sent = self.server.transport.sent

    def close(self) -> None:
        for fn in self.env.hooks("shutdown"):
            fn(self.env)
        self.modset.destroy_all(self.env)
        workers = getattr(self.env, "workers", None)
        if workers is not None:
            workers.stop(2)

    def request(self, method="INVITE", *, call_id=None, branch=None, user="bob") -> tuple[str, str]:
        call_id = call_id or uuid.uuid4().hex
        branch = branch or "z9hG4bK" + uuid.uuid4().hex[:10]
        data = (f"{method} sip:{user}@example.com SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:5099;branch={branch}\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=f1\r\n"
                f"To: <sip:{user}@example.com>\r\nCall-ID: {call_id}\r\nCSeq: 1 {method}\r\n"
                f"Content-Length: 0\r\n\r\n").encode()
        rcv = ReceiveInfo("udp", "127.0.0.1", 5099, "127.0.0.1", 5060, socket.AF_INET)
        self.server.on_message(data, rcv, None)
        return call_id, branch

    def replies(self, call_id: str, method: str | None = None) -> list[tuple[int, str]]:
        """(status, reason) of the replies sent for this Call-ID (and CSeq method)."""
        out = []
        for data, _ in list(self.sent):
            first, _, rest = data.partition(b"\r\n")
            if not first.startswith(b"SIP/2.0 ") or f"Call-ID: {call_id}".encode() not in rest:
                continue
            if method is not None and f" {method}\r\n".encode() not in \
                    next((ln + b"\r\n" for ln in rest.split(b"\r\n") if ln.startswith(b"CSeq:")), b""):
                continue
            code, _, reason = first[8:].decode().partition(" ")
            out.append((int(code), reason))
        return out

    def final(self, call_id: str, method: str | None = None) -> tuple[int, str] | None:
        f = [r for r in self.replies(call_id, method) if r[0] >= 200]
        return f[0] if f else None

    def forwarded(self, call_id: str) -> bytes:
        """The first request tm forwarded for this Call-ID."""
        for data, _ in list(self.sent):
            if not data.startswith(b"SIP/2.0") and f"Call-ID: {call_id}".encode() in data:
                return data
        raise AssertionError("no forwarded request")

    def reply_from_branch(self, forwarded: bytes, code: int, reason: str) -> None:
        """Feed the server a reply to ``forwarded`` as the next hop would send it."""
        # RecordingTransport listen sockets carry no advertised address, so tm writes
        # "None:None" in its Via here; a real UA would copy it, the parser would not take it.
        lines = forwarded.replace(b" None:None;", b" 127.0.0.1:5060;").split(b"\r\n")
        keep = [ln for ln in lines
                if ln.split(b":")[0].lower() in (b"via", b"from", b"to", b"call-id", b"cseq")]
        keep = [ln + b";tag=callee" if ln.lower().startswith(b"to:") else ln for ln in keep]
        data = (f"SIP/2.0 {code} {reason}\r\n".encode() + b"\r\n".join(keep)
                + b"\r\nContent-Length: 0\r\n\r\n")
        rcv = ReceiveInfo("udp", "127.0.0.1", 5098, "127.0.0.1", 5060, socket.AF_INET)
        self.server.on_message(data, rcv, None)


def harness_maker(tmp_path: Path, cls: type = None):
    """Body of a ``harness`` fixture: yields ``make(script, **kw) -> Harness``.

    Each harness gets its own folder under ``tmp_path`` and is closed after
    the test.  Use as ``yield from harness_maker(tmp_path)``.
    """
    cls = cls or Harness
    made = []

    def make(script, **kw):
        d = tmp_path / f"h{len(made)}"
        d.mkdir()
        h = cls(d, script, **kw)
        made.append(h)
        return h
    yield make
    for h in made:
        h.close()
