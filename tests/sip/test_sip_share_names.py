"""SipMessage.share_header_names: long-kept messages share their header-name strings."""
from __future__ import annotations

from siprouter.core.sip import parse_message

RAW = (b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
       b"Max-Forwards: 70\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
       b"Call-ID: c1\r\nCSeq: 1 INVITE\r\nX-Custom: y\r\nContent-Length: 0\r\n\r\n")


def test_names_are_shared_and_nothing_else_changes():
    a, b = parse_message(RAW), parse_message(RAW)
    before = (a.header_names(), a.headers(), a.to_bytes())
    assert not any(x is y for x, y in zip(a._keys, b._keys))   # each parse made its own
    a.share_header_names()
    b.share_header_names()
    assert all(x is y for x, y in zip(a._keys, b._keys))
    assert (a.header_names(), a.headers(), a.to_bytes()) == before
    c = a.copy()
    assert all(x is y for x, y in zip(a._keys, c._keys))       # copies share them too
    c.add_header("X-Later", "1")
    assert c.get("x-later") == "1" and a.get("x-later") is None and a.call_id == "c1"
