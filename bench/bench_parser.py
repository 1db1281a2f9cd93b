"""Benchmark of the SIP message layer: parse, read the fields a proxy reads,
serialise.

Run:  python bench/bench_parser.py [--quick]

Prints microseconds per message (median of several repeats) for a typical
INVITE with SDP and a 200 OK.  When the pure-Python ``sipmessage`` package
from PyPI is installed, the same work is timed with it for comparison.
Runs in well under 30 seconds.
"""
from __future__ import annotations

import platform
import statistics
import sys
import time
from typing import Callable

from siprouter.core.sip import parse_message

SDP = (
    b"v=0\r\n"
    b"o=alice 2890844526 2890844526 IN IP4 192.0.2.101\r\n"
    b"s=Session SDP\r\n"
    b"c=IN IP4 192.0.2.101\r\n"
    b"t=0 0\r\n"
    b"m=audio 49172 RTP/AVP 0 8 97 101\r\n"
    b"a=rtpmap:0 PCMU/8000\r\n"
    b"a=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:97 iLBC/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\n"
    b"a=fmtp:101 0-15\r\n"
    b"a=sendrecv\r\n"
)


def _message(start: bytes, headers: list[bytes], body: bytes) -> bytes:
    return (start + b"\r\n" + b"\r\n".join(headers) + b"\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)


# A typical INVITE as it reaches a proxy: 13 header fields, SDP body.
INVITE = _message(b"INVITE sip:bob@biloxi.example.com SIP/2.0", [
    b"Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport",
    b"Max-Forwards: 70",
    b"From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=1928301774",
    b"To: Bob <sip:bob@biloxi.example.com>",
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com",
    b"CSeq: 314159 INVITE",
    b"Contact: <sip:alice@pc33.atlanta.example.com;transport=udp>",
    b"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, UPDATE",
    b"Supported: replaces, timer, 100rel",
    b"User-Agent: ExamplePhone/5.1.2 (build 2231)",
    b"Session-Expires: 1800",
    b"Content-Type: application/sdp",
], SDP)

OK200 = _message(b"SIP/2.0 200 OK", [
    b"Via: SIP/2.0/UDP proxy.biloxi.example.com:5060;branch=z9hG4bK4b43c2ff8.1;received=192.0.2.3",
    b"Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;received=192.0.2.101;rport=5060",
    b"Record-Route: <sip:proxy.biloxi.example.com;lr>",
    b"From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=1928301774",
    b"To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf",
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com",
    b"CSeq: 314159 INVITE",
    b"Contact: <sip:bob@192.0.2.4>",
    b"Supported: replaces, timer",
    b"Content-Type: application/sdp",
], SDP)


def ours_parse_only(data: bytes) -> None:
    parse_message(data, validate=False)


def _read_fields(msg) -> str | None:
    """What a proxy reads of every message; returns the top Via branch.

    The From/To tags are read with ``msg.from_tag`` / ``msg.to_tag``: the
    accessors tm (transaction and ACK matching), rr, sl and ``$ft``/``$tt``
    use.  The row "From/To as NameAddr" reads them through the From/To
    objects instead (``msg.from_.tag``), which also builds the display name,
    the URI text and the parameter dict of both."""
    if msg.is_request:
        msg.uri
    branch = msg.top_via.branch
    msg.from_tag
    msg.to_tag
    msg.call_id
    msg.cseq
    return branch


def ours_parse_access(data: bytes) -> None:
    _read_fields(parse_message(data))


def ours_parse_lazy_access(data: bytes) -> None:
    """Same fields with ``validate=False``: each view is parsed (and checked)
    only when read -- what deferring the validation would cost.  The
    ``parse + fields`` row is what the server pays: ``parse_message`` with
    its default ``validate=True`` (every Via, From, To, CSeq and the
    Request-URI checked before routing)."""
    _read_fields(parse_message(data, validate=False))


def ours_parse_access_nameaddr(data: bytes) -> None:
    """Same fields, the tags read through the From/To NameAddr objects."""
    msg = parse_message(data)
    if msg.is_request:
        msg.uri
    msg.top_via.branch
    msg.from_.tag
    msg.to.tag
    msg.call_id
    msg.cseq


def ours_parse_access_serialise(data: bytes) -> None:
    msg = parse_message(data)
    _read_fields(msg)
    msg.to_bytes()


def ours_proxy_forward(data: bytes) -> None:
    """What a stateless proxy does: read, add its Via, decrement Max-Forwards, write."""
    msg = parse_message(data)
    branch = _read_fields(msg)
    msg.add_header("Via", f"SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK{branch}.0", first=True)
    msg.set_header("Max-Forwards", str(msg.max_forwards - 1))
    msg.to_bytes()


def _sipmessage_funcs() -> dict[str, Callable[[bytes], None]] | None:
    try:
        import sipmessage
    except ImportError:
        return None

    def read_fields(msg) -> None:
        if isinstance(msg, sipmessage.Request):
            msg.uri
        sipmessage.Via.parse(msg.headers["Via"]).parameters.get("branch")
        sipmessage.Address.parse(msg.headers["From"]).parameters.get("tag")
        sipmessage.Address.parse(msg.headers["To"]).parameters.get("tag")
        msg.headers["Call-ID"]
        sipmessage.CSeq.parse(msg.headers["CSeq"])

    def parse_access(data: bytes) -> None:
        read_fields(sipmessage.Message.parse(data))

    def parse_access_serialise(data: bytes) -> None:
        msg = sipmessage.Message.parse(data)
        read_fields(msg)
        bytes(msg)

    def parse_only(data: bytes) -> None:
        sipmessage.Message.parse(data)

    return {"parse only": parse_only, "parse + fields": parse_access,
            "parse + fields + to_bytes": parse_access_serialise}


def measure(fn: Callable[[bytes], None], data: bytes, repeats: int,
            budget_s: float) -> tuple[float, float]:
    """(median, min) µs per call over *repeats* timed batches sized to fit *budget_s*.

    Timed with the process CPU clock (``time.process_time``), so time spent
    waiting for a CPU on a shared machine is not counted; the minimum is
    reported too because cache effects still inflate some batches.  The median
    is the headline number.
    """
    fn(data)
    n = 1
    while True:                                  # calibrate the batch size
        t0 = time.process_time()
        for _ in range(n):
            fn(data)
        dt = time.process_time() - t0
        if dt > budget_s / repeats / 4 or n >= 1 << 20:
            break
        n *= 2
    per_batch = max(1, int(n * (budget_s / repeats) / max(dt, 1e-9)))
    samples = []
    for _ in range(repeats):
        t0 = time.process_time()
        for _ in range(per_batch):
            fn(data)
        samples.append((time.process_time() - t0) / per_batch * 1e6)
    return statistics.median(samples), min(samples)


def _reference(_: bytes) -> None:
    """A fixed pure-Python workload, printed so numbers from different machines
    can be compared (about 8-10 µs on a current desktop CPU with Python 3.11)."""
    sum(range(1000))


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    repeats, budget = (5, 0.25) if quick else (9, 1.0)
    cases = [("INVITE", INVITE), ("200 OK", OK200)]
    rows: list[tuple[str, str, str, tuple[float, float]]] = []
    ours = {"parse only (validate=False)": ours_parse_only,
            "parse + fields": ours_parse_access,
            "parse (validate=False) + fields, checked on access": ours_parse_lazy_access,
            "parse + fields, From/To as NameAddr (from_.tag)": ours_parse_access_nameaddr,
            "parse + fields + to_bytes": ours_parse_access_serialise}
    for label, data in cases:
        for what, fn in ours.items():
            rows.append(("siprouter", label, what, measure(fn, data, repeats, budget)))
        if data is INVITE:
            rows.append(("siprouter", label, "proxy: fields + add Via + Max-Forwards-1 + to_bytes",
                         measure(ours_proxy_forward, data, repeats, budget)))
    other = _sipmessage_funcs()
    if other is not None:
        import sipmessage
        version = getattr(sipmessage, "__version__", "?")
        for label, data in cases:
            for what, fn in other.items():
                rows.append((f"sipmessage {version}", label, what,
                             measure(fn, data, repeats, budget)))
    print(f"Python {platform.python_version()} on {platform.machine()} "
          f"({platform.platform()}); INVITE {len(INVITE)} bytes, 200 OK {len(OK200)} bytes")
    reference = measure(_reference, b"", repeats, budget / 4)
    print(f"median of {repeats} repeats, µs per message; machine speed reference: "
          f"sum(range(1000)) = {reference[0]:.1f} µs (min {reference[1]:.1f})")
    print(f"{'parser':<18} {'message':<8} {'work':<52} {'median':>8} {'min':>8}")
    for parser, label, what, (median, low) in rows:
        print(f"{parser:<18} {label:<8} {what:<52} {median:8.2f} {low:8.2f}")
    if other is None:
        print("(pip install sipmessage to compare with the pure-Python sipmessage parser)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
