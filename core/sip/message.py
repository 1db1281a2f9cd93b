"""SIP message objects: requests and responses with lazy header views.

Theory of operation
-------------------
``parse_message`` (parser.py) splits the start line and the header lines once
and hands over two parallel lists:

* ``_keys``  -- per field, its name in lower case with a compact form expanded
  (``"v"`` -> ``"via"``): what every lookup by name compares against;
* ``_lines`` -- per field, its line as received (a folded field keeps its
  CRLF+LWS continuation), or ``"Name: value"`` for a field added or changed.

Lookups scan ``_keys`` with ``list.index`` / ``in`` / ``count``, which run in C
and beat building a dict for the 10-20 fields of a typical message.  A value is
cut out of its line (and unfolded) only when asked for.  Parsed views (Via,
From/To, CSeq, Contact...) are built on first access and cached in ``_cache``;
every mutator sets ``_dirty`` and drops the cached views (``_changed``), except
the immutable ones of the headers it did not touch (the CSeq and the parser's
From/To matches), which stay valid.  ``to_bytes`` returns the
received bytes while nothing changed, else joins the start line and the lines
again, with a correct Content-Length.

Parsed views are *read* views: changing a returned Via or NameAddr object does
not change the message -- write it back with ``set_header`` / ``set_top_via``.
The Request-URI is the exception: ``msg.uri`` may be assigned or changed in
place, and ``to_bytes`` notices either.
"""
from __future__ import annotations

import re
import sys
from typing import Any

from .cseq import CSeq, line_match as cseq_line_match
from .grammar import is_token
from .headers import COMMA_SPLIT, canonical_name, header_key, split_commas
from .headers import _KEY_CACHE
from .nameaddr import NameAddr, from_usual_match, parse_nameaddr_list
from .nameaddr import line_match as nameaddr_line_match
from .receive import ReceiveInfo
from .uri import Uri, parse_uri
from .via import Via, vias_of_line

_intern = sys.intern
_key_memo = _KEY_CACHE.get

_Match = re.Match
_new = object.__new__
_tuple_new = tuple.__new__
_SHARED_KEYS = frozenset(("cseq", "from", "to"))
#: header name as given to add_header/set_header -> (key, "Canonical-Name: "),
#: for valid names only (bounded like headers.header_key's memo: the names
#: come from code -- "Via", "Record-Route", "Max-Forwards" -- not from the
#: wire, so this is a table of a handful of constants, not per-message data)
_LINE_PREFIX: dict[str, tuple[str, str]] = {}


def _immutable_views(cache: dict[str, Any]) -> dict[str, Any]:
    """The entries of a view cache that stay valid while other headers change
    and may be shared by copies: the CSeq and the parser's From/To shape
    matches (immutable), or None for an absent header.

    Runs in ``SipMessage.copy`` and after adding/changing other headers.
    """
    # (unrolled, no comprehension frame: runs several times per relayed call)
    keep = {}
    if "cseq" in cache:
        value = cache["cseq"]
        if value is None or value.__class__ is CSeq:
            keep["cseq"] = value
    if "from" in cache:
        value = cache["from"]
        if value is None or value.__class__ is _Match:
            keep["from"] = value
    if "to" in cache:
        value = cache["to"]
        if value is None or value.__class__ is _Match:
            keep["to"] = value
    return keep


def _line_prefix(name: str) -> tuple[str, str]:
    """Validate a header name given by code and return ``(key, "Name: ")``.

    Called by ``SipMessage._new_line`` on the first use of each spelling;
    raises ValueError for a name that is no token.
    """
    if not is_token(name.strip()):
        raise ValueError(f"bad header name {name!r}")
    key = header_key(name)
    prefix = (key, f"{canonical_name(key, name)}: ")
    if len(_LINE_PREFIX) < 1024:
        _LINE_PREFIX[name] = prefix
    return prefix


def line_value(line: str) -> str:
    """The value of a header line: text after the first colon, unfolded, stripped."""
    # (partition: one call instead of find + slice)
    _, colon, value = line.partition(":")
    if not colon:
        value = line                      # no colon: the whole line, as ever
    if "\n" in value:
        # CRLF + LWS (folding) is equivalent to one SP (RFC 3261 §7.3.1)
        value = " ".join(part.strip() for part in value.split("\n"))
    return value.strip()


def line_name(line: str) -> str:
    """The header name of a line as written (stripped)."""
    return line[:line.find(":")].strip()


class SipMessage:
    """Common part of requests and responses (see module docstring)."""

    __slots__ = ("raw", "_keys", "_lines", "_body", "_dirty", "_cache", "_version",
                 "rcv", "flags", "bflags", "dst_uri", "attrs")

    is_request: bool = False

    def __init__(self, version: str = "SIP/2.0") -> None:
        """Create an empty locally built message (``raw`` is None)."""
        self.raw: bytes | None = None
        self._keys: list[str] = []
        self._lines: list[str] = []
        self._body = b""
        self._dirty = True
        self._cache: dict[str, Any] = {}
        self._version = version
        self.rcv: ReceiveInfo | None = None
        self.flags = 0
        self.bflags = 0
        self.dst_uri: str | None = None
        self.attrs: dict = {}

    # -- start line / body ------------------------------------------------------
    @property
    def version(self) -> str:
        """SIP version of the start line, normally ``"SIP/2.0"``."""
        return self._version

    @version.setter
    def version(self, value: str) -> None:
        self._version = value
        self._dirty = True

    @property
    def body(self) -> bytes:
        """Message body (bytes).  Setting it fixes Content-Length on serialisation."""
        return self._body

    @body.setter
    def body(self, value: bytes | str) -> None:
        self._body = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        self._dirty = True

    def _start_line(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _start_changed(self) -> bool:
        return False

    # -- header access ----------------------------------------------------------
    def _positions(self, key: str) -> list[int]:
        keys = self._keys
        n = keys.count(key)
        if n < 2:
            return [keys.index(key)] if n else []
        out: list[int] = []
        i = -1
        for _ in range(n):
            i = keys.index(key, i + 1)
            out.append(i)
        return out

    def get(self, name: str) -> str | None:
        """Value of the first header field called *name* (unfolded, stripped), or None."""
        # (header_key's memo read inline, and line_value's usual case: this
        # runs several times per relayed message -- Route, Max-Forwards...)
        key = _key_memo(name) or header_key(name)
        keys = self._keys
        if key not in keys:
            return None
        line = self._lines[keys.index(key)]
        # (every stored line has its colon: the parser keeps no other, the
        # mutators write "Name: value")
        return line.partition(":")[2].strip() if "\n" not in line else line_value(line)

    def get_all(self, name: str) -> list[str]:
        """All values of *name*, comma-split where the header's grammar is a list.

        Empty list items are dropped.  Headers such as WWW-Authenticate, Date or
        unknown extensions are never split: one entry per field.
        """
        key = header_key(name)
        lines = self._lines
        values = [line_value(lines[i]) for i in self._positions(key)]
        if key in COMMA_SPLIT:
            out: list[str] = []
            for v in values:
                out.extend(item for item in split_commas(v) if item)
            return out
        return values

    def count(self, name: str) -> int:
        """Number of header *fields* (lines) called *name*."""
        return self._keys.count(header_key(name))

    def has(self, name: str) -> bool:
        """True when at least one field called *name* exists."""
        return header_key(name) in self._keys

    def header_names(self) -> list[str]:
        """Names of all fields in order, full canonical spelling."""
        return [canonical_name(k, line_name(line)) for k, line in zip(self._keys, self._lines)]

    def headers(self) -> list[tuple[str, str]]:
        """All fields in order as ``(canonical name, value)`` pairs."""
        return [(canonical_name(k, line_name(line)), line_value(line))
                for k, line in zip(self._keys, self._lines)]

    # -- mutators ---------------------------------------------------------------
    def _changed(self, key: str | None = None) -> None:
        """Forget the parsed views after a change of the fields called *key*
        (None: anything may have changed) and mark the message dirty.

        Runs after every mutator.  The immutable views of *other* headers --
        the CSeq and the parser's From/To shape matches, or None for an
        absent one -- depend only on their own fields, so they are kept: a
        proxy that adds a Via or Record-Route still reads From/To tags and
        CSeq without matching the lines again.  Mutable views (Via,
        NameAddr lists) are always dropped, as before.
        """
        cache = self._cache
        if cache:
            if key is None or key in _SHARED_KEYS:
                cache.clear()
            else:
                self._cache = _immutable_views(cache)
        self._dirty = True

    @staticmethod
    def _new_line(name: str, value: str) -> tuple[str, str]:
        """``(key, "Name: value")`` for a field added by code; ValueError for
        a bad name or a value holding CR/LF.  Runs for every header a module
        adds or sets."""
        if value.__class__ is not str:
            value = str(value)
        if "\r" in value or "\n" in value:
            raise ValueError("header value must not contain CR or LF")
        try:
            key, prefix = _LINE_PREFIX[name]
        except KeyError:
            key, prefix = _line_prefix(name)
        return key, prefix + value.strip()

    def add_header(self, name: str, value: str, *, first: bool = False) -> None:
        """Append a field at the end; with ``first=True`` put it above every
        existing field of that name (or at the very top when there is none) --
        what a proxy does with its own Via."""
        key, line = self._new_line(name, value)
        if first:
            pos = self._keys.index(key) if key in self._keys else 0
            self._keys.insert(pos, key)
            self._lines.insert(pos, line)
        else:
            self._keys.append(key)
            self._lines.append(line)
        self._changed(key)

    def insert_header_after(self, ref_name: str, name: str, value: str) -> None:
        """Insert a field after the last field called *ref_name* (at the end
        when there is none)."""
        key, line = self._new_line(name, value)
        where = self._positions(header_key(ref_name))
        pos = where[-1] + 1 if where else len(self._keys)
        self._keys.insert(pos, key)
        self._lines.insert(pos, line)
        self._changed(key)

    def remove_header(self, name: str) -> int:
        """Remove every field called *name*; return how many were removed."""
        key = header_key(name)
        keys = self._keys
        n = keys.count(key)
        if n == 1:
            # the usual single field: delete in place (the lists belong to
            # this message; copy() copies them)
            pos = keys.index(key)
            del keys[pos]
            del self._lines[pos]
            self._changed(key)
        elif n:
            pairs = [(k, line) for k, line in zip(keys, self._lines) if k != key]
            self._keys = [k for k, _ in pairs]
            self._lines = [line for _, line in pairs]
            self._changed(key)
        return n

    def set_header(self, name: str, value: str) -> None:
        """Replace all fields called *name* by one (at the first one's place)."""
        key, line = self._new_line(name, value)
        keys = self._keys
        n = keys.count(key)
        if n == 1:
            # the usual single field (Max-Forwards...): rewritten in place
            self._lines[keys.index(key)] = line
        elif not n:
            keys.append(key)
            self._lines.append(line)
        else:
            pos = keys.index(key)
            self.remove_header(key)
            self._keys.insert(pos, key)
            self._lines.insert(pos, line)
        self._changed(key)

    def _replace_line(self, pos: int, value: str | None) -> None:
        """Rewrite field *pos* with *value* (keeping its name), or delete it."""
        key = self._keys[pos]
        if value is None:
            del self._keys[pos]
            del self._lines[pos]
        else:
            self._lines[pos] = f"{canonical_name(key, line_name(self._lines[pos]))}: {value}"
        self._changed(key)

    def set_top_via(self, via: Via | str) -> None:
        """Replace the topmost via-parm, leaving any others in its field alone
        (e.g. after adding ``received``/``rport`` to ``msg.top_via``)."""
        if "via" not in self._keys:
            self.add_header("Via", str(via), first=True)
            return
        pos = self._keys.index("via")
        parts = split_commas(line_value(self._lines[pos]))
        parts[0] = str(via)
        self._replace_line(pos, ", ".join(parts))

    def pop_top_via(self) -> Via | None:
        """Remove the topmost via-parm and return it parsed (None if no Via).

        A proxy does this with its own Via before relaying a response.
        """
        if "via" not in self._keys:
            return None
        top = self.top_via
        pos = self._keys.index("via")
        parts = split_commas(line_value(self._lines[pos]))
        self._replace_line(pos, ", ".join(parts[1:]) if len(parts) > 1 else None)
        return top

    def wire_without_top_via(self) -> bytes | None:
        """The received bytes minus the topmost Via field, without touching the message.

        Hot path of a stateless reply relay: when nothing was changed and the
        top Via field holds a single via-parm, cutting its line out of
        ``raw`` equals ``pop_top_via()`` + ``to_bytes()`` (the untouched
        fields keep their exact text) at a fraction of the cost.  None when
        that does not apply (changed message, a comma-separated Via list,
        bare-LF line ends...): use ``pop_top_via`` then.
        """
        raw = self.raw
        if raw is None or self._dirty or self._start_changed():
            return None
        keys = self._keys
        if "via" not in keys or "content-length" not in keys:
            return None           # (to_bytes would add the Content-Length)
        line = self._lines[keys.index("via")]
        if "," in line:
            return None
        cut = ("\r\n" + line + "\r\n").encode("utf-8", "surrogateescape")
        at = raw.find(cut)
        if at < 0:
            return None
        head_end = raw.find(b"\r\n\r\n")
        if at >= head_end:            # must be a header line, not body text
            return None
        return raw[:at] + raw[at + len(cut) - 2:]

    def add_via(self, via: Via | str) -> None:
        """Insert *via* as the new topmost Via field."""
        self.add_header("Via", str(via), first=True)

    # -- parsed views -------------------------------------------------------------
    @property
    def vias(self) -> list[Via]:
        """All via-parms, top first (cached; SipParseError if malformed)."""
        vias = self._cache.get("vias")
        if vias is None:
            lines = self._lines
            keys = self._keys
            if keys.count("via") == 1:        # (the usual case: one scan less)
                vias = vias_of_line(lines[keys.index("via")])
            else:
                vias = []
                for i in self._positions("via"):
                    vias += vias_of_line(lines[i])
            self._cache["vias"] = vias
        return vias

    @property
    def top_via(self) -> Via | None:
        """The topmost via-parm, or None."""
        vias = self._cache.get("vias")    # (set by the parser: no property call)
        if vias is None:
            vias = self.vias
        return vias[0] if vias else None

    @property
    def call_id(self) -> str | None:
        """Call-ID value, or None."""
        try:
            line = self._lines[self._keys.index("call-id")]
        except ValueError:
            return None
        return line.partition(":")[2].strip() if "\n" not in line else line_value(line)

    @property
    def cseq(self) -> CSeq | None:
        """CSeq of the first CSeq field, or None (SipParseError if malformed)."""
        cache = self._cache
        if "cseq" in cache:
            return cache["cseq"]
        keys = self._keys
        if "cseq" in keys:
            line = self._lines[keys.index("cseq")]
            m = cseq_line_match(line)         # the usual "CSeq: 1 INVITE" line
            value = _tuple_new(CSeq, (int(m[1]), m[2])) if m is not None \
                else CSeq.parse(line_value(line))
        else:
            value = None
        cache["cseq"] = value
        return value

    def _nameaddr(self, key: str, where: str) -> NameAddr | None:
        cache = self._cache
        if key in cache:
            value = cache[key]
            if type(value) is _Match:   # validated by the parser, built on first use
                value = cache[key] = from_usual_match(value, where)
            return value
        keys = self._keys
        if key in keys:
            line = self._lines[keys.index(key)]
            m = nameaddr_line_match(line)     # the usual shape, as the parser does
            value = from_usual_match(m, where) if m is not None \
                else NameAddr.parse(line_value(line), where)
        else:
            value = None
        cache[key] = value
        return value

    @property
    def from_(self) -> NameAddr | None:
        """From header as NameAddr, or None."""
        value = self._cache.get("from")
        if value.__class__ is NameAddr:   # built already: no method call
            return value
        return self._nameaddr("from", "From")

    @property
    def to(self) -> NameAddr | None:
        """To header as NameAddr, or None."""
        value = self._cache.get("to")
        if value.__class__ is NameAddr:
            return value
        return self._nameaddr("to", "To")

    def _tag(self, key: str, where: str) -> str | None:
        value = self._cache.get(key)
        if value.__class__ is _Match:
            # the parser's shape match: read the tag without building the
            # NameAddr when the header has at most one parameter
            tag = value[4]                # a lone ";tag=..."
            if tag is not None:
                return tag
            params = value[5]
            if not params:
                return None
            if params.find(";", 1) < 0:
                name, eq, tag = params[1:].partition("=")
                return (tag if eq else None) if name.lower() == "tag" else None
        na = self._nameaddr(key, where)
        return None if na is None else na.params.get("tag")

    @property
    def from_tag(self) -> str | None:
        """``msg.from_.tag`` (None without From), cheaper when the From
        NameAddr was not built yet ($ft, transaction matching)."""
        return self._tag("from", "From")

    @property
    def to_tag(self) -> str | None:
        """``msg.to.tag`` (None without To), cheaper like ``from_tag``."""
        return self._tag("to", "To")

    def _nameaddr_list(self, key: str, where: str) -> list[NameAddr]:
        cache = self._cache
        value = cache.get(key)
        if value is None:
            lines = self._lines
            value = []
            for i in self._positions(key):
                value.extend(parse_nameaddr_list(line_value(lines[i]), where))
            cache[key] = value
        return value

    @property
    def contact_star(self) -> bool:
        """True for ``Contact: *`` (REGISTER removing all bindings)."""
        return self.get("contact") == "*"

    @property
    def contacts(self) -> list[NameAddr]:
        """All Contact values (empty for ``Contact: *``)."""
        if self.contact_star:
            return []
        return self._nameaddr_list("contact", "Contact")

    @property
    def routes(self) -> list[NameAddr]:
        """All Route values, top first."""
        return self._nameaddr_list("route", "Route")

    @property
    def record_routes(self) -> list[NameAddr]:
        """All Record-Route values, top first."""
        return self._nameaddr_list("record-route", "Record-Route")

    def _int_header(self, key: str) -> int | None:
        keys = self._keys                      # key: already lower-case, full form
        if key not in keys:                    # (often absent: no try/except)
            return None
        line = self._lines[keys.index(key)]
        value = line.partition(":")[2].strip() if "\n" not in line else line_value(line)
        if not value.isdigit() or not value.isascii() or len(value) > 18:
            return None
        return int(value)

    @property
    def max_forwards(self) -> int | None:
        """Max-Forwards as int; None when absent or not a number."""
        return self._int_header("max-forwards")

    @property
    def content_length(self) -> int | None:
        """Content-Length header as int; None when absent or not a number."""
        return self._int_header("content-length")

    @property
    def expires(self) -> int | None:
        """Expires header as int; None when absent or not a number."""
        return self._int_header("expires")

    @property
    def content_type(self) -> str | None:
        """Content-Type value (media type and params as written), or None."""
        return self.get("content-type")

    # -- serialisation ------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """Wire form.  Unchanged parsed message: the received bytes exactly.

        Otherwise the start line is rewritten, unchanged fields keep their
        original text, the first Content-Length field gets the body length
        (others are dropped) and one is appended when missing.
        """
        if not self._dirty and not self._start_changed():
            return self.raw  # type: ignore[return-value]
        body = self._body
        keys = self._keys
        lines = self._lines
        if keys.count("content-length") == 1:
            # the usual single Content-Length: rewritten in place, the other
            # lines joined as they are (no per-line loop); it is usually the
            # last field, which saves the scan for it
            pos = len(keys) - 1 if keys[-1] == "content-length" else keys.index("content-length")
            # (one list built and one item replaced: cheaper than slicing
            # around the field; line_name inlined)
            out = [self._start_line(), *lines, "", ""]
            line = lines[pos]
            out[pos + 1] = f"{line[:line.find(':')].strip()}: {len(body)}"
            return "\r\n".join(out).encode("utf-8", "surrogateescape") + body
        out = [self._start_line()]
        if "content-length" in keys:
            cl_done = False
            for key, line in zip(keys, lines):
                if key == "content-length":
                    if not cl_done:
                        cl_done = True
                        out.append(f"{line_name(line)}: {len(body)}")
                else:
                    out.append(line)
        else:
            out.extend(self._lines)
            out.append(f"Content-Length: {len(body)}")
        out.append("")
        out.append("")
        return "\r\n".join(out).encode("utf-8", "surrogateescape") + body

    __bytes__ = to_bytes

    def share_header_names(self) -> None:
        """Make this message's header-name keys the process-wide shared strings.

        When: for messages kept a long time (tm calls it when a request is
        suspended).  Each parsed message has its own lower-case name strings,
        ~60 bytes per header field; shared ones cost nothing per message, and
        copies made afterwards share them too.  Values and order are unchanged.
        """
        self._keys = list(map(_intern, self._keys))

    def copy(self) -> "SipMessage":
        """Copy that can be changed independently of this one.

        Header fields, body, flags and the first level of ``attrs`` are copied;
        ``rcv`` (immutable) is shared; parsed views are rebuilt on demand.
        """
        new = _new(self.__class__)
        new.raw = self.raw
        new._keys = self._keys.copy()          # (always lists: cheaper than list())
        new._lines = self._lines.copy()
        new._body = self._body
        new._dirty = self._dirty
        # immutable cached results are shared: the CSeq, and the parser's
        # From/To shape matches (re.Match), so a copy of a parsed request
        # does not match them again; mutable views (Via, NameAddr) are rebuilt
        cache = self._cache
        new._cache = _immutable_views(cache) if cache else {}
        new._version = self._version
        new.rcv = self.rcv
        new.flags = self.flags
        new.bflags = self.bflags
        new.dst_uri = self.dst_uri
        attrs = self.attrs
        # (no comprehension frame for the usual empty attrs)
        new.attrs = {k: (v.copy() if isinstance(v, (list, dict, set)) else v)
                     for k, v in attrs.items()} if attrs else {}
        self._copy_start(new)
        return new

    def _copy_start(self, new: "SipMessage") -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._start_line()!r}>"


class SipRequest(SipMessage):
    """A request: ``method``, ``uri`` (Uri, settable from Uri or str), ``version``."""

    __slots__ = ("_method", "_uri", "_uri_text")

    is_request = True

    def __init__(self, method: str, uri: Uri | str, version: str = "SIP/2.0") -> None:
        """Create a request built locally; add headers with ``add_header``."""
        super().__init__(version)
        self._method = method
        self._uri: Uri | None = None
        self._uri_text = ""
        self.uri = uri

    @property
    def method(self) -> str:
        """Request method as written (case-sensitive, RFC 3261 §7.1)."""
        return self._method

    @method.setter
    def method(self, value: str) -> None:
        self._method = value
        self._dirty = True

    @property
    def uri(self) -> Uri:
        """Request-URI, parsed on first access (SipParseError if malformed)."""
        uri = self._uri
        if uri is None:
            uri = self._uri = parse_uri(self._uri_text)
        return uri

    @uri.setter
    def uri(self, value: Uri | str) -> None:
        if isinstance(value, Uri):
            self._uri = value
            self._uri_text = str(value)
        else:
            self._uri = None
            self._uri_text = value
        self._dirty = True

    @property
    def uri_text(self) -> str:
        """Request-URI text (current, serialised if the Uri was changed)."""
        return str(self._uri) if self._uri is not None else self._uri_text

    def _start_changed(self) -> bool:
        uri = self._uri
        return uri is not None and str(uri) != self._uri_text

    def _start_line(self) -> str:
        uri = self._uri                   # (uri_text inlined: runs for every to_bytes)
        return f"{self._method} {self._uri_text if uri is None else str(uri)} {self._version}"

    def _copy_start(self, new: SipMessage) -> None:
        new._method = self._method                          # type: ignore[attr-defined]
        new._uri = self._uri.copy() if self._uri is not None else None  # type: ignore[attr-defined]
        new._uri_text = self._uri_text                      # type: ignore[attr-defined]


class SipResponse(SipMessage):
    """A response: ``status`` (int), ``reason`` (str, may be empty), ``version``."""

    __slots__ = ("_status", "_reason")

    is_request = False

    def __init__(self, status: int, reason: str = "", version: str = "SIP/2.0") -> None:
        """Create a response built locally (see also ``make_response``)."""
        super().__init__(version)
        self._status = int(status)
        self._reason = reason

    @property
    def status(self) -> int:
        """Status code, 100..699."""
        return self._status

    @status.setter
    def status(self, value: int) -> None:
        self._status = int(value)
        self._dirty = True

    @property
    def reason(self) -> str:
        """Reason phrase (UTF-8 text, possibly empty)."""
        return self._reason

    @reason.setter
    def reason(self, value: str) -> None:
        self._reason = value
        self._dirty = True

    def _start_line(self) -> str:
        return f"{self._version} {self._status} {self._reason}"

    def _copy_start(self, new: SipMessage) -> None:
        new._status = self._status   # type: ignore[attr-defined]
        new._reason = self._reason   # type: ignore[attr-defined]


__all__ = ["SipMessage", "SipRequest", "SipResponse", "line_name", "line_value"]
