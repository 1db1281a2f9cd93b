"""The Via header: sent-protocol, sent-by and via-params.

RFC 3261 §20.42 / §25.1::

    Via               =  ( "Via" / "v" ) HCOLON via-parm *(COMMA via-parm)
    via-parm          =  sent-protocol LWS sent-by *( SEMI via-params )
    sent-protocol     =  protocol-name SLASH protocol-version SLASH transport
    SLASH             =  SWS "/" SWS
    sent-by           =  host [ COLON port ]
    via-params        =  via-ttl / via-maddr / via-received / via-branch / via-extension

LWS is allowed around each ``/`` (RFC 4475 §3.1.1.1 folds the sent-protocol
over three lines), so the sent-protocol is split on ``/`` and each piece
stripped rather than matched as one token.  RFC 3581 adds ``rport`` with an
optional value.
"""
from __future__ import annotations

import re

from .errors import SipParseError
from .grammar import NUMBERS, number_of
from .headers import split_commas
from .params import ascii_class, format_params, parse_params



# The usual via-parm start: "SIP/2.0/UDP host[:port]" followed by ";" or the end;
# the text after that ";" is captured (the params, parsed by parse_params).
#   sent-protocol = "SIP" "/" "2.0" "/" transport ; sent-by = host [ ":" port ]
#   host = hostname / IPv4address / IPv6reference
_SENT = (r"SIP/2\.0/([A-Za-z0-9\-.!%*_+`'~]+) "
         r"([A-Za-z0-9\-._]*[A-Za-z0-9][A-Za-z0-9\-._]*|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?")
_USUAL = re.compile(_SENT + r"(?:;(.*)|)\Z", re.DOTALL)
_usual_match = _USUAL.match
# The everyday via-parm whole: the start above and at most four parameters
# with lower-case token names and visible-ASCII values (no quote or comma),
# each cut by the regex (groups: name, value or None), so that building the
# params dict takes no str method call and no lower().  parse_params gives
# the same dict for such text.  Anything else (more parameters, upper-case
# names, quoted values, blanks) falls back to _USUAL / the general path.
# (Possessive quantifiers: no backtracking state kept, a little cheaper; the
# host must end with a letter or digit here, the rare other hosts take the
# general path.  Every optional part is written "(?:X|)", not "(?:X)?": the
# same language and groups, but sre runs a BRANCH instead of a REPEAT, which
# allocates a repeat context per use -- this line regex costs ~35% fewer
# instructions so.)
_SENT_FAST = (r"SIP/2\.0/([A-Za-z0-9\-.!%*_+`'~]++) "
              r"([A-Za-z0-9\-._]*[A-Za-z0-9]|\[[0-9A-Fa-f:.]++\])(?::([0-9]{1,5}+)|)")
_PNAME = r"([a-z0-9\-.!%*_+`'~]++)"
_PARAMS4 = (r"(?:;" + _PNAME + r"(?:=(" + ascii_class(';",') + r"*+)|)|)") * 4
_FAST = re.compile(_SENT_FAST + _PARAMS4 + r"\Z")
_fast_match = _FAST.match
# The same on a whole header line as received ("Via:  SIP/2.0/UDP ...  "):
# the name, the colon and the blanks around the value are skipped by the
# regex instead of cutting and stripping the value first.  Same groups.
_LINE = re.compile(r"[^:]*+:[ \t]*+" + _SENT_FAST + _PARAMS4 + r"[ \t]*+\Z")
line_match = _LINE.match
_new = object.__new__


def _bad(why: str) -> SipParseError:
    return SipParseError(f"Bad Via header ({why})", kind="via")


class Via:
    """One via-parm.  Attributes are mutable; ``str()`` writes it back.

    ``protocol`` is ``"SIP/2.0"``, ``transport`` upper-cased (``"UDP"``, or any
    unknown token as sent), ``host`` (IPv6 keeps its brackets), ``port`` int or
    None, ``params`` ordered dict (names lower-cased).
    """

    __slots__ = ("protocol", "transport", "host", "port", "params")

    def __init__(self, transport: str = "UDP", host: str = "", port: int | None = None,
                 params: dict[str, str | None] | None = None, protocol: str = "SIP/2.0") -> None:
        self.protocol = protocol
        self.transport = transport.upper()
        self.host = host
        self.port = port
        self.params = {} if params is None else params

    @classmethod
    def parse(cls, text: str) -> "Via":
        """Parse one via-parm (no commas).  Raises SipParseError."""
        fast = _fast_match(text)
        if fast is not None:
            # the everyday via-parm: one C-level match cuts it all
            return from_fast_match(fast, cls)
        fast = _usual_match(text)
        if fast is not None:
            # One C-level match validates and cuts the usual form; the str
            # method version below costs ~20 interpreted steps.
            transport, host, port, rest = fast.groups()
            via = _new(cls)
            via.protocol = "SIP/2.0"
            via.transport = transport if transport == "UDP" else transport.upper()
            via.host = host
            if port is None:
                via.port = None
            else:
                via.port = port = int(port)
                if port > 65535:
                    raise _bad("sent-by port")
            via.params = {} if rest is None else parse_params(rest, "Via", "via")
            return via
        via = cls.__new__(cls)
        # General form: LWS allowed around each "/" (RFC 4475 wsinv).
        semi = text.find(";")
        head = text if semi < 0 else text[:semi]
        pieces = head.split("/", 2)
        if len(pieces) != 3:
            raise _bad("sent-protocol")
        name = pieces[0].strip()
        version = pieces[1].strip()
        rest = pieces[2].split(None, 1)
        if not name or not version or len(rest) != 2:
            raise _bad("sent-protocol")
        via.protocol = f"{name}/{version}"
        via.transport = rest[0].upper()
        sent_by = rest[1].strip()
        if sent_by.startswith("["):
            rb = sent_by.find("]")
            if rb < 0:
                raise _bad("sent-by")
            host = sent_by[:rb + 1]
            after = sent_by[rb + 1:].strip()
        else:
            colon = sent_by.find(":")
            if colon < 0:
                host, after = sent_by, ""
            else:
                host, after = sent_by[:colon].rstrip(), sent_by[colon:]
            plain = host.replace(".", "").replace("-", "").replace("_", "")  # str.translate is slower
            if not plain.isalnum() or not plain.isascii():
                raise _bad("sent-by host")
        if after:
            port = after[1:].strip() if after[0] == ":" else ""
            if not port.isdigit() or not port.isascii() or len(port) > 5:
                raise _bad("sent-by port")
            via.port = int(port)
            if via.port > 65535:
                raise _bad("sent-by port")
        else:
            via.port = None
        via.host = host
        if semi < 0:
            via.params = {}
            return via
        via.params = parse_params(text[semi + 1:], "Via", "via")
        return via

    # -- well-known parameters --------------------------------------------------
    def _get(self, name: str) -> str | None:
        return self.params.get(name)

    def _set(self, name: str, value: str | None) -> None:
        if value is None:
            self.params.pop(name, None)
        else:
            self.params[name] = value

    @property
    def branch(self) -> str | None:
        """The ``branch`` parameter (transaction id), or None."""
        return self.params.get("branch")

    @branch.setter
    def branch(self, value: str | None) -> None:
        self._set("branch", value)

    @property
    def received(self) -> str | None:
        """The ``received`` parameter, or None."""
        return self.params.get("received")

    @received.setter
    def received(self, value: str | None) -> None:
        self._set("received", value)

    @property
    def rport(self) -> str | None:
        """None when absent, ``""`` when present without a value, else the port text."""
        params = self.params
        if "rport" not in params:
            return None
        value = params["rport"]
        return "" if value is None else value

    @rport.setter
    def rport(self, value: str | int | None) -> None:
        if value is None:
            self.params.pop("rport", None)
        else:
            self.params["rport"] = str(value) if value != "" else None

    @property
    def maddr(self) -> str | None:
        """The ``maddr`` parameter, or None."""
        return self.params.get("maddr")

    @property
    def ttl(self) -> int | None:
        """The ``ttl`` parameter as int, or None when absent or not a number."""
        value = self.params.get("ttl")
        return int(value) if value and value.isdigit() and value.isascii() and len(value) < 6 \
            else None

    @property
    def sent_by(self) -> str:
        """``host`` or ``host:port`` as sent."""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def copy(self) -> "Via":
        """Independent copy (params dict copied)."""
        return Via(self.transport, self.host, self.port, dict(self.params), self.protocol)

    def __str__(self) -> str:
        return f"{self.protocol}/{self.transport} {self.sent_by}{format_params(self.params)}"

    def __repr__(self) -> str:
        return f"Via({str(self)!r})"


def from_fast_match(m: "re.Match[str]", cls: type = Via) -> Via:
    """The Via for a ``line_match`` (or the value fast path) result: what
    ``Via.parse`` gives for that text.  Raises SipParseError for a port
    above 65535.  (The parser calls it for the Via of a request.)"""
    transport, host, port, n1, v1, n2, v2, n3, v3, n4, v4 = m.groups()
    via = _new(cls)
    via.protocol = "SIP/2.0"
    via.transport = transport if transport == "UDP" else transport.upper()
    via.host = host
    if port is not None:
        try:
            port = NUMBERS[port]
        except KeyError:
            port = number_of(port)
        if port > 65535:
            raise _bad("sent-by port")
    via.port = port
    # (names are lower-case already: the regex took no other)
    if n1 is None:
        via.params = {}
    elif n2 is None:
        via.params = {n1: v1}
    elif n3 is None:
        via.params = {n1: v1, n2: v2}
    elif n4 is None:
        via.params = {n1: v1, n2: v2, n3: v3}
    else:
        via.params = {n1: v1, n2: v2, n3: v3, n4: v4}
    return via


def vias_of_line(line: str) -> list[Via]:
    """The via-parms of one Via header *line* ("Via: ...", as stored in a
    message): the line fast path, else ``line_value`` + ``Via.parse`` /
    ``parse_via_list``.  Called by the parser and ``SipMessage.vias``;
    raises SipParseError."""
    m = _LINE.match(line)
    if m is not None:
        return [from_fast_match(m)]
    value = line.partition(":")[2]
    if "\n" in value:
        value = " ".join(part.strip() for part in value.split("\n"))
    value = value.strip()
    return parse_via_list(value) if "," in value else [Via.parse(value)]


def parse_via_list(value: str) -> list[Via]:
    """Parse a Via header value that may hold several comma-separated via-parms."""
    return [Via.parse(part) for part in split_commas(value)]
