"""Text views of a SIP message for the regex functions of textops.

Kamailio's textops works on the raw message buffer and records edits as
"lumps" that only show up in the outgoing message.  siprouter's message
object is edited in place, so the regex functions here read the *current*
serialised message, edit the text and, when the edit touched more than the
body, parse the result back into the same message object.  Consequence
(documented in the README): an edit is visible to the next function at once,
no ``msg_apply_changes()`` is needed.
"""
from __future__ import annotations

import re
from typing import Any

# Run-time state that belongs to the message object, not to its bytes; it
# must survive a re-parse of edited text.
_RUNTIME_ATTRS = ("rcv", "flags", "bflags", "dst_uri", "attrs")

ENCODING = "utf-8"
ERRORS = "surrogateescape"  # byte-transparent: undecodable bytes round-trip


def to_text(data: bytes) -> str:
    """Decode message bytes losslessly for regex work."""
    return data.decode(ENCODING, ERRORS)


def to_bytes(text: str) -> bytes:
    """Inverse of :func:`to_text`."""
    return text.encode(ENCODING, ERRORS)


def message_text(msg: Any) -> str:
    """The whole current message (start line, headers, body) as text."""
    return to_text(msg.to_bytes())


def header_offset(text: str) -> int:
    """Offset of the first header line, i.e. just after the start line.

    Kamailio's replace/subst/search_append start there so that the start line
    (and its Request-URI) is never rewritten by accident.
    """
    nl = text.find("\n")
    return len(text) if nl < 0 else nl + 1


def body_text(msg: Any) -> str:
    """The message body as text ("" when there is none)."""
    return to_text(msg.body or b"")


def set_body_text(msg: Any, text: str) -> None:
    """Replace the body; the message layer fixes Content-Length on output."""
    msg.body = to_bytes(text)


def replace_message(msg: Any, text: str) -> bool:
    """Re-parse ``text`` and move the result into ``msg`` in place.

    Everybody holding ``msg`` (the run context, a transaction) keeps seeing
    the same object.  Returns False (message untouched) when the edited text
    no longer parses or turned a request into a reply.
    """
    from siprouter.core.sip import parse_message  # late: the layer may load after us

    try:
        # no eager validation: like Kamailio's lumps, an edit may leave a
        # header the script never reads in a shape the strict parser dislikes
        new = parse_message(_fix_content_length(to_bytes(normalise_head(text))),
                            datagram=True, validate=False)
    except Exception:  # SipParseError or anything a broken edit provokes
        return False
    if bool(new.is_request) != bool(msg.is_request):
        return False
    kept = {name: getattr(msg, name) for name in _RUNTIME_ATTRS if hasattr(msg, name)}
    if hasattr(msg, "__dict__") and hasattr(new, "__dict__"):
        msg.__dict__.clear()
        msg.__dict__.update(new.__dict__)
    else:  # a slotted implementation
        for cls in type(new).__mro__:
            for slot in getattr(cls, "__slots__", ()):
                if hasattr(new, slot):
                    object.__setattr__(msg, slot, getattr(new, slot))
    for name, value in kept.items():
        setattr(msg, name, value)
    return True


def normalise_head(text: str) -> str:
    """Give every start/header line a CRLF ending again.

    POSIX regexes (and therefore Kamailio's) let ``.`` match the CR of a
    line, so ``subst('/^X: .*$/X: y/')`` leaves a bare LF; the wire form
    needs CRLF, which Kamailio's peers tolerate but our parser would fold.
    The body is left as it is.
    """
    lines = text.split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        if line in ("", "\r"):  # the empty line: end of the header
            return "\r\n".join(out) + "\r\n\r\n" + "\n".join(lines[i + 1:])
        out.append(line[:-1] if line.endswith("\r") else line)
    return "\r\n".join(out)


_CL_LINE = re.compile(rb"^(content-length|l)([ \t]*:[ \t]*)\d*", re.IGNORECASE | re.MULTILINE)


def _fix_content_length(data: bytes) -> bytes:
    """Make Content-Length match the body again after a text edit.

    Without this a datagram parse would cut the edited body at the old length.
    """
    for sep in (b"\r\n\r\n", b"\n\n"):
        cut = data.find(sep)
        if cut >= 0:
            head, body = data[:cut], data[cut + len(sep):]
            head = _CL_LINE.sub(lambda m: m.group(1) + m.group(2) + str(len(body)).encode(),
                                head, count=1)
            return head + sep + body
    return data
