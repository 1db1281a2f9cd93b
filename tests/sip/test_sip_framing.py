"""StreamFramer: Content-Length framing and keep-alives on streams."""
from siprouter.core.sip import KEEPALIVE, FramingError, StreamFramer, parse_message

from sip_samples import INVITE


def test_messages_split_across_and_within_feeds():
    f = StreamFramer()
    stream = INVITE + INVITE + INVITE
    events = []
    for i in range(0, len(stream), 7):
        events += f.feed(stream[i:i + 7])
    assert events == [INVITE, INVITE, INVITE]
    assert f.buffered == 0
    assert parse_message(events[0], datagram=False).method == "INVITE"


def test_one_feed_many_messages():
    f = StreamFramer()
    assert f.feed(INVITE * 3) == [INVITE] * 3


def test_keepalive_ping_and_pong():
    f = StreamFramer()
    events = f.feed(b"\r\n\r\n" + INVITE + b"\r\n" + INVITE + b"\r\n\r\n")
    assert events == [KEEPALIVE, INVITE, INVITE, KEEPALIVE]
    assert events[0] is KEEPALIVE
    assert f.feed(b"\r\n") == []          # maybe the start of a ping: wait
    assert f.feed(b"\r\n") == [KEEPALIVE]
    assert f.feed(b"\r\n") == []
    assert f.feed(INVITE) == [INVITE]     # the lone CRLF was a pong


def test_missing_content_length_breaks_the_stream():
    f = StreamFramer()
    bad = INVITE.replace(b"Content-Length", b"X-Length")
    events = f.feed(bad)
    assert len(events) == 1 and isinstance(events[0], FramingError)
    assert events[0].reason == "Missing Content-Length" and events[0].data.startswith(b"INVITE")
    assert f.broken and f.feed(INVITE) == []


def test_bad_and_conflicting_content_length():
    for text in (b"Content-Length: -1", b"Content-Length: 10\r\nl: 12"):
        f = StreamFramer()
        bad = INVITE.replace(b"Content-Length: ", b"X-Old: ").replace(
            b"Content-Type", text + b"\r\nContent-Type")
        ev = f.feed(bad)
        assert isinstance(ev[-1], FramingError) and ev[-1].status == 400


def test_max_size():
    f = StreamFramer(max_size=200)
    ev = f.feed(INVITE)
    assert isinstance(ev[0], FramingError) and ev[0].status == 513
    g = StreamFramer(max_size=100)
    ev = g.feed(b"INVITE sip:x SIP/2.0\r\n" + b"X: " + b"a" * 200)
    assert isinstance(ev[0], FramingError) and ev[0].status == 513


def test_folded_content_length():
    msg = (b"OPTIONS sip:x@h SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKa\r\n"
           b"Content-Length:\r\n 2\r\n\r\nab")
    assert StreamFramer().feed(msg) == [msg]


def test_non_ascii_digits_are_not_a_length():
    msg = b"OPTIONS sip:x@h SIP/2.0\r\nContent-Length: \xb2\r\n\r\n"
    ev = StreamFramer().feed(msg)
    assert isinstance(ev[0], FramingError) and ev[0].reason == "Bad Content-Length"
