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
from .headers import split_commas
from .params import format_params, parse_params



# The usual via-parm start: "SIP/2.0/UDP host[:port]" followed by ";" or the end;
# the text after that ";" is captured (the params, parsed by parse_params).
#   sent-protocol = "SIP" "/" "2.0" "/" transport ; sent-by = host [ ":" port ]
#   host = hostname / IPv4address / IPv6reference
_USUAL = re.compile(r"SIP/2\.0/([A-Za-z0-9\-.!%*_+`'~]+) "
                    r"([A-Za-z0-9\-._]*[A-Za-z0-9][A-Za-z0-9\-._]*|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?(?:;(.*))?\Z", re.DOTALL)
_usual_match = _USUAL.match
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


def parse_via_list(value: str) -> list[Via]:
    """Parse a Via header value that may hold several comma-separated via-parms."""
    return [Via.parse(part) for part in split_commas(value)]
