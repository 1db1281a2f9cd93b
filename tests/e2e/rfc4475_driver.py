"""Sends the RFC 4475 corpus to a running default-config siprouter; runs inside `unshare -n`.

The torture messages name foreign hosts (example.com, 192.0.2.x, even
255.255.255.255), so this script is meant to run in a private network
namespace where only loopback exists: nothing it or the server sends can
leave the machine.  It

1. brings ``lo`` up and starts ``siprouter -f config/siprouter.toml`` unchanged
   (127.0.0.1:5060, UDP and TCP);
2. plays a client on 127.0.0.2:5060 — the torture messages' Via headers have
   no port or port 5060, so the server's replies (sent to ``received``, the
   Via port or 5060) come back to it — and a user agent on 127.0.0.3:5060
   that REGISTERs the users the messages call, so the proxy has somewhere to
   relay them (an endpoint's verdicts such as 415 are the UA's to give);
3. sends every message as one datagram and records what came back to the
   client (status codes) and what the proxy relayed to the UA (methods);
4. prints one JSON object (file -> observations) on stdout.

Run by tests/e2e/test_rfc4475_server.py; usable by hand:
``unshare -n python3 tests/e2e/rfc4475_driver.py``.
"""
from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "rfc4475"
SERVER = ("127.0.0.1", 5060)
CLIENT = ("127.0.0.2", 5060)
UA = ("127.0.0.3", 5060)
# What the UA (the endpoint the proxy relays to) answers, by the test's
# Call-ID: the endpoint half of the manifest's verdicts.  Anything else: 486.
ENDPOINT_STATUS = {b"invut.": 415, b"sdp01.": 406}
STATUS_RE = re.compile(rb"^SIP/2\.0 (\d{3})")
EXTRA_CLIENT_SOCKETS: list[socket.socket] = []  # client sockets on the other Via ports


def _via_ports() -> list[int]:
    """Ports named by the corpus's top Via headers: replies go to the Via port.

    Like Kamailio (reply_to_via=0), the server answers the source IP but the
    Via's port (5060 when none, the source port with rport), so the client
    listens on each of them.
    """
    ports = {CLIENT[1]}
    for dat in (CORPUS / "messages").glob("*.dat"):
        m = re.search(rb"^(?:via|v)[ \t]*:[^\r\n]*?[\w.\]]:(\d+)", dat.read_bytes(), re.I | re.M)
        if m:
            ports.add(int(m.group(1)))
    return sorted(p for p in ports if 1024 <= p < 65536)


def _udp(addr: tuple[str, int]) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(addr)
    return sock


def _register(client: socket.socket, user: str, n: int) -> int | None:
    """REGISTER sip:<user>@example.com with the UA as its contact; returns the status."""
    msg = (
        f"REGISTER sip:example.com SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {CLIENT[0]}:{CLIENT[1]};branch=z9hG4bK-reg{n};rport\r\n"
        f"Max-Forwards: 70\r\n"
        f"From: <sip:{user}@example.com>;tag=reg{n}\r\n"
        f"To: <sip:{user}@example.com>\r\n"
        f"Call-ID: reg-{user}-{n}@rfc4475\r\n"
        f"CSeq: {n} REGISTER\r\n"
        f"Contact: <sip:{user}@{UA[0]}:{UA[1]}>\r\n"
        f"Expires: 600\r\n"
        f"Content-Length: 0\r\n\r\n"
    ).encode()
    client.sendto(msg, SERVER)
    statuses = _collect(client, None, 1.0, stop_on_final=True)["replies"]
    return statuses[-1] if statuses else None


def _header(data: bytes, *names: bytes) -> bytes:
    """First value of a header (any of ``names``, lower-case) in a raw message."""
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() in names:
            return value.strip()
    return b""


def _ack_for(request: bytes, reply: bytes) -> bytes | None:
    """The ACK a UAC owes a non-2xx final reply to its INVITE (RFC 3261 §17.1.1.3).

    Without it the server's INVITE transaction retransmits the reply for 32 s,
    and the retransmissions would be taken for answers to later messages.
    """
    if not _header(reply, b"cseq", b"").endswith(b"INVITE"):
        return None
    start = request.split(b"\r\n", 1)[0].split(b" ")
    via = _header(request, b"via", b"v")
    if len(start) < 2 or not via:
        return None
    cseq = _header(reply, b"cseq").split(b" ")[0]
    return (b"ACK " + start[1] + b" SIP/2.0\r\nVia: " + via.split(b",")[0]
            + b"\r\nMax-Forwards: 70\r\nFrom: " + _header(reply, b"from", b"f")
            + b"\r\nTo: " + _header(reply, b"to", b"t")
            + b"\r\nCall-ID: " + _header(reply, b"call-id", b"i")
            + b"\r\nCSeq: " + cseq + b" ACK\r\nContent-Length: 0\r\n\r\n")


def _collect(client: socket.socket, ua: socket.socket | None, seconds: float,
             stop_on_final: bool = False, sent: bytes | None = None) -> dict:
    """Reads replies on the client and relayed requests on the UA for ``seconds``.

    With ``sent`` (the request just sent), only replies with its Call-ID count,
    and non-2xx finals to an INVITE are ACKed like a real UAC would.
    """
    seen: dict = {"replies": [], "relayed": []}
    deadline = time.monotonic() + seconds
    socks = [client] + list(EXTRA_CLIENT_SOCKETS) + ([ua] if ua else [])
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return seen
        ready, _, _ = select.select(socks, [], [], left)
        for sock in ready:
            data, src = sock.recvfrom(65535)
            if sock is not ua:
                m = STATUS_RE.match(data)
                if m and sent is not None:
                    if _header(data, b"call-id", b"i") != _header(sent, b"call-id", b"i"):
                        continue  # a late retransmission for an earlier message
                    if int(m.group(1)) >= 300 and (ack := _ack_for(sent, data)):
                        client.sendto(ack, SERVER)
                if m:
                    seen["replies"].append(int(m.group(1)))
                    if stop_on_final and int(m.group(1)) >= 200:
                        return seen
            else:
                _answer_as_endpoint(ua, data, src, seen)


def _answer_as_endpoint(ua: socket.socket, data: bytes, src, seen: dict) -> None:
    """The UA's side: note the relayed request and answer it the way an endpoint would."""
    if data.startswith(b"SIP/2.0"):
        return
    method = data.split(b" ", 1)[0].decode("latin-1")
    seen["relayed"].append(method)
    if method == "ACK":
        return
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    call_id = b"".join(h.split(b":", 1)[1].strip() for h in head[1:]
                       if h.split(b":", 1)[0].strip().lower() in (b"call-id", b"i"))
    status = next((code for prefix, code in ENDPOINT_STATUS.items()
                   if call_id.startswith(prefix)), 486)
    keep = [h for h in head[1:] if h.split(b":", 1)[0].strip().lower()
            in (b"via", b"v", b"from", b"f", b"to", b"t", b"call-id", b"i", b"cseq")]
    reply = b"SIP/2.0 %d Endpoint Verdict\r\n" % status + b"\r\n".join(keep)
    reply += b"\r\nContent-Length: 0\r\n\r\n"
    ua.sendto(reply, src)


def main() -> int:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    log = open(os.environ.get("RFC4475_SERVER_LOG", "/dev/null"), "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "siprouter", "-f", str(ROOT / "config" / "siprouter.toml")],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    results: dict = {}
    try:
        client, ua = _udp(CLIENT), _udp(UA)
        EXTRA_CLIENT_SOCKETS.extend(_udp((CLIENT[0], port)) for port in _via_ports()
                                    if port != CLIENT[1])
        ping = (b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bK-ping%d\r\n"
                b"Max-Forwards: 70\r\nFrom: <sip:ping@127.0.0.2>;tag=p\r\nTo: <sip:127.0.0.1>\r\n"
                b"Call-ID: ping-%d\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
        for attempt in range(100):  # up to ~10 s for the server to come up
            if server.poll() is not None:
                print(json.dumps({"error": f"server exited with {server.returncode}"}))
                return 2
            client.sendto(ping % (attempt, attempt), SERVER)
            if _collect(client, None, 0.1, stop_on_final=True)["replies"]:
                break
        else:
            print(json.dumps({"error": "server did not answer OPTIONS"}))
            return 2
        results["_registrations"] = {u: _register(client, u, i + 1)
                                     for i, u in enumerate(["user", "j.user", "UserB"])}
        for dat in sorted((CORPUS / "messages").glob("*.dat")):
            data = dat.read_bytes()
            client.sendto(data, SERVER)
            results[dat.name] = _collect(client, ua, 0.6, sent=data)
        results["_server_alive"] = server.poll() is None
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        results["_server_exit"] = server.returncode
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
