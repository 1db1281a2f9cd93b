"""Property tests: hostile input only ever yields SipParseError, and
parse -> to_bytes is the identity on the corpus."""
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from siprouter.core.sip import (
    FramingError, SipParseError, StreamFramer, make_response, parse_message,
    single_value_violations,
)

MESSAGES = Path(__file__).resolve().parents[1] / "data" / "rfc4475" / "messages"
CORPUS = [p.read_bytes() for p in sorted(MESSAGES.glob("*.dat"))]
PARSEABLE = []
for _data in CORPUS:
    try:
        parse_message(_data)
    except SipParseError:
        continue
    PARSEABLE.append(_data)

SETTINGS = settings(max_examples=int(os.environ.get("SIP_FUZZ_EXAMPLES", "300")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Bytes that matter to the grammar, to make random input interesting.
SPECIAL = st.sampled_from([b"\r\n", b"\r\n ", b":", b";", b",", b"<", b">", b'"', b"\\",
                           b"@", b"%", b"%0", b"[", b"]", b"/", b"=", b" ", b"\t", b"\x00",
                           b"\xff", b"SIP/2.0", b"Via", b"l", b"Content-Length: ", b"9",
                           b"\xb2", b"\xc2\xb2", b"\xd9\xa3", b"CSeq: ", b"sip:"])


def touch_everything(msg) -> None:
    """Read every lazy view; each may raise only SipParseError."""
    views = ["vias", "top_via", "call_id", "cseq", "from_", "to", "contacts", "contact_star",
             "routes", "record_routes", "max_forwards", "content_length", "expires",
             "content_type"]
    if msg.is_request:
        views.append("uri")
    for name in views:
        try:
            value = getattr(msg, name)
            if name in ("from_", "to") and value is not None:
                value.uri
                str(value)
            if name in ("contacts", "routes", "record_routes"):
                for na in value:
                    str(na.uri)
            if name == "vias":
                for via in value:
                    str(via)
            if name == "uri":
                str(value)
        except SipParseError:
            pass
    for hname in msg.header_names():
        msg.get(hname)
        msg.get_all(hname)
    single_value_violations(msg)
    msg.to_bytes()
    if msg.is_request:
        make_response(msg, 400, "Bad", to_tag="t").to_bytes()


def check_parse(data: bytes, datagram: bool = True) -> None:
    try:
        msg = parse_message(data, datagram=datagram)
    except SipParseError as err:
        assert 400 <= err.status <= 599 and err.reason
        if err.partial is not None:
            touch_everything(err.partial)
        return
    touch_everything(msg)


@SETTINGS
@given(st.binary(max_size=600))
def test_random_bytes(data):
    check_parse(data)
    check_parse(data, datagram=False)


@SETTINGS
@given(st.lists(st.one_of(SPECIAL, st.binary(max_size=8)), max_size=80))
def test_random_grammar_soup(parts):
    data = b"INVITE sip:a@b SIP/2.0\r\n" + b"".join(parts)
    check_parse(data)
    check_parse(data + b"\r\n\r\n")


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.integers(0, 2))
        pos = draw(st.integers(0, len(data)))
        if op == 0 and data:                                   # delete a run
            del data[pos:pos + draw(st.integers(1, 10))]
        elif op == 1:                                          # insert special bytes
            data[pos:pos] = draw(SPECIAL)
        elif data:                                             # flip one byte
            data[min(pos, len(data) - 1)] = draw(st.integers(0, 255))
    return bytes(data)


@SETTINGS
@given(mutated())
def test_mutated_corpus(data):
    check_parse(data)
    check_parse(data, datagram=False)


@SETTINGS
@given(st.lists(st.sampled_from(CORPUS + [b"\r\n\r\n", b"\r\n"]), max_size=6),
       st.lists(st.integers(1, 200), min_size=1, max_size=20), st.integers(200, 70000))
def test_framer_never_raises(pieces, cuts, max_size):
    stream = b"".join(pieces)
    framer = StreamFramer(max_size=max_size)
    pos = 0
    i = 0
    events = []
    while pos < len(stream):
        step = cuts[i % len(cuts)]
        events += framer.feed(stream[pos:pos + step])
        pos += step
        i += 1
    for ev in events:
        if isinstance(ev, FramingError):
            assert ev is events[-1] and framer.broken
        elif isinstance(ev, bytes) and ev != b"\r\n\r\n":
            assert len(ev) <= max_size
            check_parse(ev, datagram=False)


@SETTINGS
@given(st.binary(max_size=400), st.integers(1, 50))
def test_framer_random_bytes(data, step):
    framer = StreamFramer(max_size=300)
    for i in range(0, len(data), step):
        for ev in framer.feed(data[i:i + step]):
            if isinstance(ev, bytes) and ev != b"\r\n\r\n":
                check_parse(ev, datagram=False)


def test_round_trip_identity_on_corpus():
    assert len(PARSEABLE) >= 34
    for data in PARSEABLE:
        msg = parse_message(data)
        touch_everything(msg)                      # reading views must not change bytes
        assert msg.to_bytes() == msg.raw
        assert data.startswith(msg.raw)


@SETTINGS
@given(st.sampled_from(PARSEABLE))
def test_rebuilt_message_reparses_identically(data):
    msg = parse_message(data)
    copy = msg.copy()
    copy.set_header("X-Probe", "1")
    again = parse_message(copy.to_bytes())
    assert again.headers()[:-1] != [] or not msg.headers()
    assert [h for h in again.headers() if h[0] not in ("X-Probe", "Content-Length")] == \
        [h for h in msg.headers() if h[0] != "Content-Length"]
    assert again.body == msg.body


# The usual forms of Via and sip URIs take a regex fast path; the same text
# forced through the general path (an escape, LWS around "/") must agree.
TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=12)
PORT = st.one_of(st.none(), st.integers(0, 70000))
PARAMS = st.dictionaries(st.text(alphabet="abcxyz", min_size=1, max_size=5),
                         st.one_of(st.none(), TOKEN), max_size=3)


def _param_text(params):
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())


@SETTINGS
@given(st.one_of(st.none(), TOKEN), TOKEN, PORT, PARAMS)
def test_uri_fast_and_general_paths_agree(user, host, port, params):
    from siprouter.core.sip import parse_uri
    hostport = host if port is None else f"{host}:{port}"
    fast_text = f"sip:{user + '@' if user else ''}{hostport}{_param_text(params)}"
    slow_text = f"sip:{'%61' + user + '@' if user else ''}{hostport}{_param_text(params)}"
    outcomes = []
    for text, cut in ((fast_text, 0), (slow_text, 1)):
        try:
            u = parse_uri(text)
            outcomes.append((u.user and u.user[cut:], u.host, u.port, u.params))
        except SipParseError:
            outcomes.append("error")
    assert outcomes[0] == outcomes[1]


@SETTINGS
@given(st.sampled_from(["UDP", "tcp", "TLS", "SCTP", "WS"]), TOKEN, PORT, PARAMS)
def test_via_fast_and_general_paths_agree(transport, host, port, params):
    from siprouter.core.sip import Via
    hostport = host if port is None else f"{host}:{port}"
    outcomes = []
    for proto in ("SIP/2.0/", "SIP / 2.0 / "):
        try:
            v = Via.parse(f"{proto}{transport} {hostport}{_param_text(params)}")
            outcomes.append((v.protocol, v.transport, v.host, v.port, v.params))
        except SipParseError:
            outcomes.append("error")
    assert outcomes[0] == outcomes[1]
