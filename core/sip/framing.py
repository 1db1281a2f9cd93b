"""Cutting a byte stream (TCP, TLS) into SIP messages -- sans-IO.

RFC 3261 §18.3: on a stream, Content-Length is mandatory and tells where a
message ends.  RFC 5626 §4.4.1: a client keeps a flow alive with a "ping" of
CRLFCRLF, answered by a "pong" of a single CRLF.  RFC 3261 §7.5: CRLFs before
a start line are ignored.

Theory of operation: ``feed`` appends to a buffer and loops: at a message
boundary, CRLFCRLF is a keep-alive ping (event :data:`KEEPALIVE`) and a lone
CRLF is skipped; otherwise it looks for the end of the header section, reads
Content-Length from it, and once the whole message is buffered emits it as
``bytes`` (parse it with ``parse_message(data, datagram=False)``).  A missing
or bad Content-Length, or a message over ``max_size``, emits a
:class:`FramingError`; the framer is then broken (the stream can no longer be
resynchronised) and the connection should be closed.
"""
from __future__ import annotations

from .errors import FramingError

KEEPALIVE = b"\r\n\r\n"
"""Event for a CRLFCRLF keep-alive ping (compare with ``is`` or ``==``)."""

_HEADER_END = b"\r\n\r\n"


def _content_length(head: bytes) -> int:
    """Content-Length from a header block (folding allowed); raises FramingError."""
    text = head.decode("latin-1")
    if "\r\n " in text or "\r\n\t" in text:
        text = text.replace("\r\n ", " ").replace("\r\n\t", " ")
    found: int | None = None
    for line in text.split("\r\n")[1:]:
        colon = line.find(":")
        if colon <= 0:
            continue
        name = line[:colon].strip().lower()
        if name != "content-length" and name != "l":
            continue
        value = line[colon + 1:].strip()
        if not value.isdigit() or not value.isascii() or len(value) > 12:
            raise FramingError("Bad Content-Length", data=head)
        if found is not None and int(value) != found:
            raise FramingError("Conflicting Content-Length", data=head)
        found = int(value)
    if found is None:
        raise FramingError("Missing Content-Length", data=head)
    return found


class StreamFramer:
    """Per-connection framer.  ``feed(bytes) -> list[bytes | FramingError]``.

    Events are complete messages (``bytes``), :data:`KEEPALIVE` for each
    CRLFCRLF ping, and at most one :class:`FramingError`, after which the
    framer ignores further input (``broken`` is True).
    """

    __slots__ = ("max_size", "_buf", "_need", "_scan", "broken")

    def __init__(self, max_size: int = 65535) -> None:
        self.max_size = max_size
        self._buf = bytearray()
        self._need = 0          # total length of the message being read, once known
        self._scan = 0          # where to resume looking for CRLFCRLF
        self.broken = False

    @property
    def buffered(self) -> int:
        """Bytes held that do not yet form a complete message."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes | FramingError]:
        """Add received bytes; return the events they complete (maybe none)."""
        if self.broken:
            return []
        buf = self._buf
        buf += data
        events: list[bytes | FramingError] = []
        while buf:
            if not self._need:
                first = buf[0]
                if first == 13 or first == 10:
                    if buf.startswith(KEEPALIVE):
                        del buf[:4]
                        events.append(KEEPALIVE)
                        continue
                    if len(buf) < 4 and KEEPALIVE.startswith(bytes(buf)):
                        break           # could become a ping: wait
                    # a pong (lone CRLF) or stray line end before a start line
                    del buf[:2 if buf.startswith(b"\r\n") else 1]
                    continue
                end = buf.find(_HEADER_END, self._scan)
                if end < 0:
                    if len(buf) > self.max_size:
                        return self._fail(events, FramingError(
                            "Message Too Large", 513, kind="too-large"))
                    self._scan = max(0, len(buf) - 3)
                    break
                try:
                    length = _content_length(bytes(buf[:end]))
                except FramingError as exc:
                    return self._fail(events, exc)
                self._need = end + 4 + length
                if self._need > self.max_size:
                    return self._fail(events, FramingError(
                        "Message Too Large", 513, kind="too-large", data=bytes(buf[:end])))
            if len(buf) < self._need:
                break
            events.append(bytes(buf[:self._need]))
            del buf[:self._need]
            self._need = 0
            self._scan = 0
        return events

    def _fail(self, events: list, error: FramingError) -> list:
        self.broken = True
        self._buf.clear()
        events.append(error)
        return events
