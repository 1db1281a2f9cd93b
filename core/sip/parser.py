"""``parse_message``: bytes in, a SipRequest or SipResponse out.

RFC 3261 §7 / §25.1::

    generic-message  =  start-line *message-header CRLF [ message-body ]
    Request-Line     =  Method SP Request-URI SP SIP-Version CRLF
    Status-Line      =  SIP-Version SP Status-Code SP Reason-Phrase CRLF
    SIP-Version      =  "SIP" "/" 1*DIGIT "." 1*DIGIT
    Status-Code      =  3DIGIT      (100..699 by §21)
    message-header   =  field-name HCOLON field-value CRLF
    HCOLON           =  *( SP / HTAB ) ":" SWS

Theory of operation: the header block is found with one ``bytes.find`` for
CRLFCRLF, decoded once (UTF-8, with ``surrogateescape`` so that any octets
survive a round trip), and split once into lines.  Each line becomes a field
(see message.py) and its lower-cased, compact-expanded name is indexed (one
regex findall cuts them all when the head is ASCII and CRLF-framed).  Then
framing (Content-Length) is checked, and with ``validate=True`` (the default,
what the server uses) the headers every element touches anyway --
Request-URI, Via, From, To, CSeq -- are decoded so that malformed ones are
refused here with a 400 instead of failing later inside a module.  Everything
else (Contact, Route, Record-Route, unknown headers...) is decoded on first
access.

The validation is eager on purpose: a proxy reads these views for every
message anyway, so deferring them saves nothing on the usual path (the
``validate=False`` + fields row of bench/bench_parser.py) and would move the
400s out of ``parse_message``, where the server expects them.  What makes it
cheap is matching each usual header *line* whole with one regex
(``via.line_match``, ``nameaddr.line_match``, ``cseq.line_match``: name,
colon and blanks included, the parameters cut by the regex), so the value is
never cut out, stripped or split with str calls; the views are built from the
groups (From/To only on first access).  A line of any other shape goes
through ``line_value`` and the general value parsers, which give the same
result and the same errors (tests/sip/test_sip_fastpaths.py).

Verdicts (used by the server; RFC 4475 names in brackets):

* unknown SIP version -> 505 [badvers]; bad status code -> error, responses
  are dropped [bigcode];
* missing / negative / non-numeric / differing duplicate Content-Length -> 400
  [ncl, mcl01]; Content-Length beyond the datagram -> 400 [clerr]; octets after
  the body of a datagram are ignored [dblreq]; no Content-Length on a stream
  -> 400;
* CSeq number > 2**32-1 -> 400 [scalar02, scalarlg]; CSeq method differing
  from the request method -> 400 with ``kind="cseq-method-mismatch"`` and a
  full ``partial`` so a server can prefer 501 for an unknown method
  [mismatch01, mismatch02];
* stray separators in Via -> 400 [badinv01]; unterminated quote in From/To
  -> 400 [quotbal]; ``<...>`` around, LWS inside, or escaped headers in the
  Request-URI -> 400 [ltgtruri, lwsruri, escruri];
* lenient on purpose: several SP between Request-Line elements and trailing SP
  [lwsstart, trws] (the rebuilt start line is normalised), bare LF line ends,
  leading CRLFs (§7.5), a datagram ending without the empty line [baddn].
"""
from __future__ import annotations

import re

from .errors import SipParseError
from .grammar import is_token
from .headers import COMPACT_FORMS
from .cseq import CSeq, line_match as _cseq_line
from .message import SipRequest, SipResponse, line_value
from .nameaddr import NameAddr, line_match as _na_line
from .uri import parse_uri
from .grammar import NUMBERS as _NUMBERS, number_of as _number_of
from .via import from_fast_match as _via_from_match, line_match as _via_line, vias_of_line as _vias_of_line

SIP_2_0 = "SIP/2.0"
_VERSION_RE = re.compile(r"SIP/[0-9]+\.[0-9]+", re.IGNORECASE)   # off the hot path
_CRLF = b"\r\n"
# The names of all header lines joined together must be one run of token chars.
_TOKEN_RUN = re.compile(r"[a-z0-9\-.!%*_+`'~]+")
# "CRLF name:" at the start of every header line of a lower-cased ASCII head
_NAMES_FINDALL = re.compile(r"\r\n([a-z0-9\-.!%*_+`'~]++):").findall
# the same for names of two characters or more: no compact form among them
_LONG_NAMES_FINDALL = re.compile(r"\r\n([a-z0-9\-.!%*_+`'~]{2,}+):").findall
_COMPACT = frozenset(COMPACT_FORMS)
_COMPACT_GET = COMPACT_FORMS.get
_cseq_parse = CSeq.parse
_tuple_new = tuple.__new__
_new = object.__new__


def parse_message(data: bytes, *, datagram: bool = True, max_size: int | None = None,
                  validate: bool = True) -> SipRequest | SipResponse:
    """Parse one SIP message from *data*.

    Called by the transport for each datagram (``datagram=True``) or for each
    message cut out of a stream by ``StreamFramer`` (``datagram=False``: a
    Content-Length is then required).  Returns the message; raises
    :class:`SipParseError` with ``status``, ``reason``, ``is_request``,
    ``kind`` and, when headers could be split, ``partial``.

    With ``validate=True`` (the default, what the server uses) the
    Request-URI, every Via, From, To and CSeq are checked here, so that a
    malformed one is answered with a 400 before any routing; with
    ``validate=False`` they are checked on first access only.
    """
    # (one function, no helper call: this runs for every message received)
    try:
        if type(data) is not bytes:
            data = bytes(data)               # bytearray / memoryview from a transport
        n = len(data)
        if max_size is not None and n > max_size:
            raise SipParseError("Message Too Large", 513, kind="too-large")
        start = 0
        if n and data[0] < 14 and (data[0] == 13 or data[0] == 10):
            # RFC 3261 §7.5: CRLFs before the start line are ignored.
            while start < n and data[start] in (13, 10):
                start += 1
        if start == n:
            raise SipParseError("Empty message", kind="empty")

        # (no start argument in the usual case: a cheaper call)
        end = data.find(b"\r\n\r\n", start) if start else data.find(b"\r\n\r\n")
        sep = "\r\n"
        if end >= 0:
            body_start = end + 4
        else:
            end = data.find(b"\n\n", start)
            if end >= 0:
                body_start = end + 2
                sep = "\n"
            elif datagram and data.endswith(_CRLF):
                end = n - 2                 # no empty line, no body: tolerated on UDP
                body_start = n
            else:
                raise SipParseError("Header section not terminated", kind="framing")

        text = (data[start:end] if start else data[:end]).decode("utf-8", "surrogateescape")
        lines = text.split(sep)
        if sep == "\n":
            lines = [line[:-1] if line.endswith("\r") else line for line in lines]

        # -- start line ----------------------------------------------------------
        first = lines[0]
        pending: SipParseError | None = None
        # (a request's 4th character is never "/": one slice decides most lines)
        if first[3:4] == "/" and first[:4].upper() == "SIP/":
            is_request = False
            parts = first.split(" ", 2)
            version = parts[0]
            code = parts[1] if len(parts) > 1 else ""
            if len(code) != 3 or not code.isdigit() or not code.isascii() or code < "100" \
                    or code > "699":
                raise SipParseError("Bad status code", is_request=False, kind="status-line")
            msg: SipRequest | SipResponse = _new(SipResponse)
            msg._status = int(code)
            msg._reason = parts[2] if len(parts) == 3 else ""
        else:
            is_request = True
            try:
                method, uri_text, version = parts = first.split(" ")
            except ValueError:
                method = ""
            if not method or not uri_text:
                parts = first.split()     # lenient: extra or trailing SP
                if len(parts) != 3:
                    pending = SipParseError("Malformed Request-Line", is_request=True,
                                            kind="request-line")
                    # keep what there is, so the server still sees the headers
                    parts = (parts + ["", "", ""])[:2] + [SIP_2_0]
                method, uri_text, version = parts
            if not (method.isalpha() and method.isascii()) and not is_token(method):
                raise SipParseError("Bad method", is_request=True, kind="request-line")
            if pending is None and uri_text[0] == "<":
                pending = SipParseError("Request-URI in <>", is_request=True,
                                        kind="request-line")
            msg = _new(SipRequest)
            msg._method = method
            msg._uri = None
            msg._uri_text = uri_text
        if version != SIP_2_0 and pending is None:
            if version.upper() == SIP_2_0:
                pass                       # SIP-Version is case-insensitive
            elif _VERSION_RE.fullmatch(version):
                pending = SipParseError("Version Not Supported", 505, is_request,
                                        kind="version")
            elif is_request:
                pending = SipParseError("Bad SIP version", 400, True, kind="request-line")
            else:
                raise SipParseError("Bad SIP version", 400, False, kind="status-line")

        # -- header lines --------------------------------------------------------
        del lines[0]
        # Fastest path (CRLF, ASCII head): one regex findall over the lower-cased
        # head cuts every "CRLF token:" name; when it finds one per line, every
        # line starts with a valid name followed directly by its colon.
        keys = None
        ascii_head = text.isascii()
        if sep == "\r\n" and ascii_head:
            lower = text.lower()
            keys = _LONG_NAMES_FINDALL(lower)
            if len(keys) != len(lines):
                # a one-letter name (a compact form such as "v:") or a bad line
                keys = _NAMES_FINDALL(lower)
                if len(keys) != len(lines):
                    keys = None
                elif not _COMPACT.isdisjoint(keys):
                    keys = [_COMPACT_GET(k, k) for k in keys]
        if keys is None:
            # Fast path: one list comprehension cuts every name; a single regex
            # match over the joined names checks them all.  A folded continuation
            # line has no colon or a name starting with whitespace, so it fails
            # the fast path too, like "Name :" spacing; all of these go to the
            # careful slow path.
            try:
                keys = [line[:line.index(":")].lower() for line in lines]
            except ValueError:
                keys = None
            if keys is None or "" in keys or _TOKEN_RUN.fullmatch("".join(keys)) is None:
                keys, lines, bad = _slow_keys(_unfold(lines), is_request)
                pending = pending or bad
            elif not _COMPACT.isdisjoint(keys):
                keys = [_COMPACT_GET(k, k) for k in keys]

        msg._keys = keys
        msg._lines = lines
        msg._dirty = False
        msg._version = version
        msg.rcv = None
        msg.flags = 0
        msg.bflags = 0
        msg.dst_uri = None
        msg.attrs = {}
        # (msg._cache is set below, once: {} or the validated views)

        # -- framing: Content-Length ---------------------------------------------
        try:
            pos = keys.index("content-length")
        except ValueError:
            pos = -1
        if pos < 0:
            if not datagram:
                _fail(msg, "Missing Content-Length", is_request, "content-length")
            stop = n
        else:
            line = lines[pos]
            value = line.partition(":")[2].strip() if "\n" not in line else line_value(line)
            if not value.isdigit() or not (ascii_head or value.isascii()):
                _fail(msg, "Bad Content-Length", is_request, "content-length")
            try:
                cl = _NUMBERS[value]
            except KeyError:
                cl = _number_of(value)
            # (usually the last field: no duplicate to look for after it)
            if pos + 1 < len(keys) and "content-length" in keys[pos + 1:]:
                for _ in range(keys.count("content-length") - 1):
                    pos = keys.index("content-length", pos + 1)
                    other = line_value(lines[pos])
                    if not other.isdigit() or not other.isascii() or int(other) != cl:
                        _fail(msg, "Conflicting Content-Length", is_request, "content-length")
            stop = body_start + cl
            if stop > n:
                _fail(msg, "Content-Length larger than message", is_request, "content-length")
        msg._body = data[body_start:stop]
        msg.raw = data if (start == 0 and stop == n) else data[start:stop]
        if pending is not None:
            msg._cache = {}
            pending.partial = msg
            raise pending
        if not validate:
            msg._cache = {}
            return msg

        # -- validation: Via, From, To, CSeq, Request-URI ------------------------
        # What reading msg.cseq, .vias, .from_, .to and .uri would do, inlined:
        # this runs for every message.  The usual line shapes are matched
        # whole ("Name: value" with the blanks, no cutting or stripping); any
        # other shape (folded, compact, quoted, several via-parms...) goes
        # through the value parsers, which also produce the 400s.  One list
        # scan per header: the everyday message has them all, a missing one
        # costs the except.
        try:
            try:
                line = lines[keys.index("cseq")]
            except ValueError:
                cseq = None
            else:
                m = _cseq_line(line)
                if m is not None:
                    number, cmethod = m.groups()
                    try:
                        number = _NUMBERS[number]
                    except KeyError:
                        number = _number_of(number)
                    cseq = _tuple_new(CSeq, (number, cmethod))
                else:
                    cseq = _cseq_parse(line_value(line))
            if keys.count("via") == 1:
                line = lines[keys.index("via")]
                m = _via_line(line)
                if m is not None:
                    vias = [_via_from_match(m)]
                else:
                    vias = _vias_of_line(line)
            else:
                vias = []
                pos = -1
                for _ in range(keys.count("via")):
                    pos = keys.index("via", pos + 1)
                    vias += _vias_of_line(lines[pos])
            # From/To: the usual shape is validated by one regex match (kept:
            # immutable, shared by copies) and the NameAddr built from it on
            # first access (SipMessage.from_ / .to); a stateless relay never
            # reads them
            try:
                line = lines[keys.index("from")]
            except ValueError:
                from_ = None
            else:
                from_ = _na_line(line) or NameAddr.parse(line_value(line), "From")
            try:
                line = lines[keys.index("to")]
            except ValueError:
                to = None
            else:
                to = _na_line(line) or NameAddr.parse(line_value(line), "To")
            if is_request:
                uri = msg._uri = parse_uri(uri_text)
                if uri.headers and uri.is_sip:
                    raise SipParseError("Headers in Request-URI", kind="request-uri")
        except SipParseError as exc:
            # (the views that did parse are parsed again on access: same result)
            msg._cache = {}
            exc.is_request = is_request
            exc.partial = msg
            raise
        msg._cache = {"cseq": cseq, "vias": vias, "from": from_, "to": to}
        if is_request and cseq is not None and cseq[1] != method:
            raise SipParseError("CSeq method does not match", 400, True,
                                kind="cseq-method-mismatch", partial=msg)
        return msg
    except SipParseError:
        raise
    except (ValueError, IndexError, KeyError, UnicodeError) as exc:
        # Safety net: whatever slipped through the checks is still bad input.
        raise SipParseError("Malformed message", kind="malformed") from exc


def _fail(msg: SipRequest | SipResponse, reason: str, is_request: bool, kind: str) -> None:
    msg._cache = {}
    msg._body = b""
    msg.raw = None
    msg._dirty = True
    raise SipParseError(reason, 400, is_request, kind=kind, partial=msg)


def _unfold(lines: list[str]) -> list[str]:
    """Merge continuation lines (starting with SP/HT) into the line above.

    The merged line keeps its CRLFs so that an unchanged field is written
    back exactly; ``line_value`` unfolds when the value is read.  A
    continuation with no line above is left alone (``_slow_keys`` rejects it).
    """
    out: list[str] = []
    for line in lines:
        if line and (line[0] == " " or line[0] == "\t") and out:
            out[-1] = out[-1] + "\r\n" + line
        else:
            out.append(line)
    return out


def _slow_keys(lines: list[str], is_request: bool
               ) -> tuple[list[str], list[str], SipParseError | None]:
    """Careful per-line pass for unusual header sections.

    Handles whitespace before the colon ("Via  :") and blank lines, drops
    lines that are no header (no colon, bad name, stray continuation) and
    reports the first such problem, so that the rest can still serve as
    ``partial``.
    """
    keys: list[str] = []
    kept: list[str] = []
    bad: SipParseError | None = None
    for line in lines:
        if not line:
            continue
        colon = line.find(":")
        name = line[:colon].rstrip(" \t").lower() if colon > 0 else ""
        if not name or line[0] in " \t" or not is_token(name):
            bad = bad or SipParseError("Bad header line", 400, is_request, kind="header")
            continue
        keys.append(_COMPACT_GET(name, name))
        kept.append(line)
    return keys, kept, bad
