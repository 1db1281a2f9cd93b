"""Errors raised by the SIP message layer.

A :class:`SipParseError` is what every malformed input turns into: parsing a
message, a header value on first access, a URI, or framing a TCP stream.  It
carries what a server needs to decide how to answer:

* ``reason``  -- short text, usable as the reason phrase of a reply;
* ``status``  -- the status code to answer with (400, 505, 513, ...);
* ``is_request`` -- True/False when the start line told, None when unknown
  (responses are never answered, they are dropped);
* ``kind``    -- a stable machine-readable tag (e.g. ``"cseq-method-mismatch"``)
  so a caller can refine the verdict (RFC 4475 mismatch02 prefers 501 for an
  unknown method);
* ``partial`` -- a best-effort message (start line and header lines split) when
  one could be built, so the server can still copy Via, From, To, Call-ID and
  CSeq into a 400 reply.
"""
from __future__ import annotations

from typing import Any


class SipParseError(ValueError):
    """Raised when bytes or text are not acceptable SIP.

    Raised by ``parse_message``, ``parse_uri``, the lazy header views of a
    message (on first access) and ``StreamFramer`` (returned, not raised).
    """

    def __init__(self, reason: str, status: int = 400, is_request: bool | None = None,
                 *, kind: str = "syntax", partial: Any = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.is_request = is_request
        self.kind = kind
        self.partial = partial

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.reason!r}, status={self.status}, "
                f"is_request={self.is_request}, kind={self.kind!r})")


class FramingError(SipParseError):
    """A byte stream that cannot be cut into SIP messages.

    Returned (inside the event list) by ``StreamFramer.feed``; after one the
    framer is broken and the connection must be closed.  ``data`` holds the
    bytes of the offending message head when there were any, so a server may
    still try to answer 400 before closing.
    """

    def __init__(self, reason: str, status: int = 400, *, kind: str = "framing",
                 data: bytes = b"") -> None:
        super().__init__(reason, status, None, kind=kind)
        self.data = data
