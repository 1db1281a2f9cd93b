"""name-addr / addr-spec values: From, To, Contact, Route, Record-Route...

RFC 3261 §25.1::

    from-spec    =  ( name-addr / addr-spec ) *( SEMI from-param )
    name-addr    =  [ display-name ] LAQUOT addr-spec RAQUOT
    addr-spec    =  SIP-URI / SIPS-URI / absoluteURI
    display-name =  *(token LWS)/ quoted-string

Without ``<>`` every ``;`` starts a header parameter, never a URI parameter
(§20.10), which is what RFC 4475 §3.3.12 (cparam01) checks.  Leniency, on
purpose: spaces just inside ``<`` ``>`` are ignored (§3.1.2.14 badaspec), an
unquoted display name may hold any characters up to ``<`` (§3.1.2.15 baddn,
§3.1.1.6 lwsdisp).  An unterminated quoted display name is an error
(§3.1.2.6 quotbal).  The URI itself is parsed only when ``.uri`` is read.
"""
from __future__ import annotations

import re

from .errors import SipParseError
from .grammar import is_token, quote_string, quoted_end, unquote_string
from .headers import split_commas
from .params import (PLAIN_PARAM, PLAIN_VALUE, ascii_class, format_params, parse_params,
                     plain_params)
from .uri import Uri, parse_uri


# The everyday shape: [display-name or "quoted, no escapes"] <URI> [;params]
# with plain parameters (non-empty names; visible ASCII, no quotes or commas)
# and a visible-ASCII URI.  One C-level match cuts and validates it: the
# general path gives the same result for every text this accepts and would
# not raise (the parser relies on that to build From/To views lazily).
# Anything else takes the general path.  (The URI and parameter classes are
# ASCII bitmaps: see params.ascii_class.)
# Groups: 1 quoted display, 2 unquoted display, 3 URI, 4 the value of a lone
# ";tag=" parameter (the usual From/To: no split needed), 5 the params text
# (";a=b;c", or "" when there are none) otherwise.
_URI = ascii_class('<>"')
# (The parameter list is a possessive "*+": what it gives back could only be
# visible characters, which nothing after it accepts, so the language is the
# same; sre runs it without a repeat context, ~20% cheaper with parameters.)
_PARAMS = r'(?:;[tT][aA][gG]=(' + PLAIN_VALUE + r'*+)|((?:;' + PLAIN_PARAM + r')*+))'
_USUAL = re.compile(r'(?:"([^"\\]*)"\s*|([^"<]*))<(' + _URI + r'+)>' + _PARAMS + r'\Z')
usual_match = _USUAL.match
# The same on a whole header line as received ("From:  Bob <sip:b@h>;tag=1  "):
# the name, the colon and the blanks around the value are skipped by the regex
# instead of cutting and stripping the value first.  CR and LF are refused in
# the display name, so a line with a bare LF (``line_value`` unfolds it) takes
# the general path.  Same groups as ``usual_match``.
_LINE = re.compile(r'[^:]*+:[ \t]*+(?:"([^"\\\r\n]*+)"[ \t]*+|([^"<\r\n]*+))<(' + _URI + r'++)>'
                   + _PARAMS + r'[ \t]*+\Z')
line_match = _LINE.match


def from_usual_match(m: "re.Match[str]", where: str) -> "NameAddr":
    """The NameAddr for a ``usual_match`` / ``line_match`` result (what
    ``NameAddr.parse`` returns for that value).  Runs when a From/To view
    validated by the parser is first read."""
    quoted, plain, uri_text, tag, params = m.groups()
    na = _new(NameAddr)
    na._uri = None
    na.display = quoted if quoted is not None else (plain.strip() or None)
    na.uri_text = uri_text
    if tag is not None:                 # the usual lone ";tag=..."
        na.params = {"tag": tag}
    elif not params:
        na.params = {}
    elif params.find(";", 1) < 0:       # one parameter
        name, eq, value = params[1:].partition("=")
        na.params = {name.lower(): value if eq else None}
    else:
        na.params = plain_params(params[1:])
    return na


def _bad(where: str, why: str) -> SipParseError:
    return SipParseError(f"Bad {where} header ({why})", kind="nameaddr")


class NameAddr:
    """A display name, a URI and header parameters (``tag``, ``expires``, ``q``...).

    ``display`` is the unquoted display name or None; ``params`` an ordered
    dict with lower-cased names.  ``uri`` is parsed on first access (may raise
    SipParseError); ``uri_text`` is the URI as written.
    """

    __slots__ = ("display", "uri_text", "_uri", "params")

    def __init__(self, uri: Uri | str, display: str | None = None,
                 params: dict[str, str | None] | None = None) -> None:
        self.display = display
        if isinstance(uri, Uri):
            self._uri: Uri | None = uri
            self.uri_text = str(uri)
        else:
            self._uri = None
            self.uri_text = uri
        self.params = {} if params is None else params

    @classmethod
    def parse(cls, text: str, where: str = "name-addr") -> "NameAddr":
        """Parse one name-addr or addr-spec with its parameters."""
        m = usual_match(text)
        if m is not None and cls is NameAddr:
            return from_usual_match(m, where)
        text = text.strip()
        if not text:
            raise _bad(where, "empty")
        na = cls.__new__(cls)
        na._uri = None
        if text[0] == '"':
            end = quoted_end(text)
            if end < 0:
                raise _bad(where, "unterminated quoted string")
            na.display = unquote_string(text[1:end])
            rest = text[end + 1:].lstrip()
            if not rest.startswith("<"):
                raise _bad(where, "quoted display name without <URI>")
        else:
            lt = text.find("<")
            if lt < 0:
                # addr-spec: every ';' begins a header parameter
                semi = text.find(";")
                uri_text = (text if semi < 0 else text[:semi]).strip()
                if not uri_text or " " in uri_text or "," in uri_text:
                    raise _bad(where, "addr-spec")
                na.display = None
                na.uri_text = uri_text
                na.params = parse_params(text[semi + 1:], where) if semi >= 0 else {}
                return na
            na.display = text[:lt].strip() or None
            rest = text[lt:]
        gt = rest.find(">")
        if gt < 0:
            raise _bad(where, "missing >")
        uri_text = rest[1:gt].strip()
        if not uri_text:
            raise _bad(where, "empty URI")
        na.uri_text = uri_text
        after = rest[gt + 1:].strip()
        if after:
            if after[0] != ";":
                raise _bad(where, "text after >")
            na.params = parse_params(after[1:], where)
        else:
            na.params = {}
        return na

    @property
    def uri(self) -> Uri:
        """The URI, parsed on first access (SipParseError if malformed)."""
        uri = self._uri
        if uri is None:
            uri = self._uri = parse_uri(self.uri_text)
        return uri

    @uri.setter
    def uri(self, value: Uri | str) -> None:
        if isinstance(value, Uri):
            self._uri = value
            self.uri_text = str(value)
        else:
            self._uri = None
            self.uri_text = value

    @property
    def tag(self) -> str | None:
        """The ``tag`` parameter (From/To), or None."""
        return self.params.get("tag")

    @tag.setter
    def tag(self, value: str | None) -> None:
        if value is None:
            self.params.pop("tag", None)
        else:
            self.params["tag"] = value

    def copy(self) -> "NameAddr":
        """Independent copy."""
        new = NameAddr.__new__(NameAddr)
        new.display = self.display
        new.uri_text = self.uri_text
        new._uri = self._uri.copy() if self._uri is not None else None
        new.params = dict(self.params)
        return new

    def __str__(self) -> str:
        uri = str(self._uri) if self._uri is not None else self.uri_text
        display = self.display
        if display:
            words = display.split(" ")
            if all(w and is_token(w) for w in words):
                lead = display + " "
            else:
                lead = quote_string(display) + " "
        else:
            lead = ""
        return f"{lead}<{uri}>{format_params(self.params)}"

    def __repr__(self) -> str:
        return f"NameAddr({str(self)!r})"


_new = object.__new__


def parse_nameaddr_list(value: str, where: str) -> list[NameAddr]:
    """Parse a comma-separated list of name-addrs (Contact, Route, ...)."""
    return [NameAddr.parse(part, where) for part in split_commas(value)]
