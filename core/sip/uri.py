"""URIs: sip, sips and tel parsed into parts; any other scheme kept opaque.

RFC 3261 §19.1.1 / §25.1::

    SIP-URI          =  "sip:" [ userinfo ] hostport uri-parameters [ headers ]
    SIPS-URI         =  "sips:" [ userinfo ] hostport uri-parameters [ headers ]
    userinfo         =  ( user / telephone-subscriber ) [ ":" password ] "@"
    user             =  1*( unreserved / escaped / user-unreserved )
    user-unreserved  =  "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
    password         =  *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
    hostport         =  host [ ":" port ]
    host             =  hostname / IPv4address / IPv6reference
    uri-parameters   =  *( ";" uri-parameter)
    headers          =  "?" header *( "&" header )

``@`` is legal in none of password, host, parameters or headers, so the first
``@`` ends the userinfo -- even when the user part holds ``;`` or ``?``
(RFC 4475 §3.1.1.2 and §3.1.1.9).  %-escapes in user, password, parameter and
header names and values are decoded exactly once (``value%2541`` becomes
``value%41``, never ``valueA``); the original text is kept, so an unchanged
URI serialises to exactly what was received.
"""
from __future__ import annotations

import re
from urllib.parse import quote, unquote

from .errors import SipParseError
from .grammar import NUMBERS, number_of
from .params import ascii_class

# Characters each part may carry unescaped (besides alnum and "-_.~", which
# urllib.parse.quote never escapes).  mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
_MARK = "-_.!~*'()"
_USER_SAFE = _MARK + "&=+$,;?/"
_PASSWORD_SAFE = _MARK + "&=+$,"
_PARAM_SAFE = _MARK + "[]/:&+$"            # paramchar = param-unreserved / unreserved / escaped
_HEADER_SAFE = _MARK + "[]/?:+$"           # hnv-unreserved / unreserved / escaped


# sip[s]: [user@] host [:port] [;params] -- user without escapes, ';', '?', ':';
# params without '@' or '?' (otherwise the '@' could belong to a user part
# holding ';', RFC 4475 semiuri, and the general path must decide), visible
# ASCII only (a bitmap class, cheap per character; anything else is left to
# the general path, which gives the same result).
# (Written for sre's speed, same language and groups as the plain form
# "(sips?):(?:(U+)@)?(H*A H*|\[...\])(?::(D{1,5}))?(?:;(P*))?$": optional
# parts as "(?:X|)", a BRANCH instead of a REPEAT that allocates a context per
# use; possessive runs wherever the next character can never be one of the
# run's (the user part holds no "@", the host no ":" or ";"), so no
# backtracking -- a URI without user part, e.g. "sip:proxy;lr", no longer
# retries "@" after every host character.  The host "H*AH*" (at least one
# letter or digit) is "[-._]*+ A H*+" for that reason.)
_USUAL_SIP = re.compile(r"(sips?):(?:([A-Za-z0-9\-_.!~*'()&=+$,]++)@|)"
                        r"([\-._]*+[A-Za-z0-9][A-Za-z0-9\-._]*+|\[[0-9A-Fa-f:.]++\])"
                        r"(?::([0-9]{1,5}+)|)"
                        r"(?:;(" + ascii_class("?@") + r"*+)|)$")


def _unescape(text: str) -> str:
    """Decode %HH escapes once; invalid escapes stay as written."""
    if "%" not in text:
        return text
    return unquote(text, errors="surrogateescape")


_UNESCAPED: dict[str, "re.Pattern[str]"] = {}


def _escape(text: str, safe: str) -> str:
    """``quote(text, safe)``: runs when a changed or locally built URI is
    serialised.  Text made only of characters ``quote`` leaves alone
    (ASCII letters, digits, ``_.-~`` and *safe*) -- the usual case -- is
    returned as is after one regex match instead of the quote() call chain."""
    plain = _UNESCAPED.get(safe)
    if plain is None:
        plain = _UNESCAPED[safe] = re.compile("[A-Za-z0-9_.\\-~" + re.escape(safe) + "]*")
    if plain.fullmatch(text) is not None:
        return text
    return quote(text, safe=safe, errors="surrogateescape")


def _bad(text: str, why: str) -> SipParseError:
    return SipParseError(f"Bad URI ({why})", kind="uri")


class Uri:
    """A parsed URI.  Mutable: change attributes, then ``str()`` re-serialises.

    For sip/sips: ``user``, ``password`` (decoded), ``host`` (as written,
    IPv6 with brackets), ``port`` (int or None), ``params`` (ordered dict, names
    lower-cased, values decoded, ``None`` for a flag like ``lr``), ``headers``
    (ordered dict, decoded).  For tel: ``user`` is the number, ``params`` its
    parameters.  Any other scheme: only ``scheme`` and ``opaque`` (the text
    after the colon).
    """

    __slots__ = ("scheme", "user", "password", "host", "port", "params", "headers",
                 "opaque", "_orig", "_snap")

    def __init__(self, scheme: str = "sip", user: str | None = None,
                 password: str | None = None, host: str | None = None,
                 port: int | None = None, params: dict[str, str | None] | None = None,
                 headers: dict[str, str] | None = None, opaque: str | None = None) -> None:
        self.scheme = scheme.lower()
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.params = {} if params is None else params
        self.headers = {} if headers is None else headers
        self.opaque = opaque
        self._orig: str | None = None
        self._snap: tuple | None = None

    # -- helpers --------------------------------------------------------------
    def _state(self) -> tuple:
        params = self.params
        headers = self.headers
        return (self.scheme, self.user, self.password, self.host, self.port,
                tuple(params.items()) if params else (),
                tuple(headers.items()) if headers else (), self.opaque)

    @property
    def is_sip(self) -> bool:
        """True for sip: and sips: URIs."""
        return self.scheme == "sip" or self.scheme == "sips"

    @property
    def hostport(self) -> str:
        """``host`` or ``host:port``."""
        host = self.host or ""
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def transport(self) -> str | None:
        """Value of the ``transport`` parameter, lower-cased, or None."""
        t = self.params.get("transport")
        return t.lower() if t else None

    def copy(self) -> "Uri":
        """Return an independent copy (params and headers dicts copied)."""
        new = _new(Uri)
        new.scheme = self.scheme
        new.user = self.user
        new.password = self.password
        new.host = self.host
        new.port = self.port
        new.params = dict(self.params)
        new.headers = dict(self.headers)
        new.opaque = self.opaque
        new._orig = self._orig
        new._snap = self._snap
        return new

    def __str__(self) -> str:
        """Serialise; an unchanged parsed URI returns its original text."""
        orig = self._orig
        if orig is not None:
            # self._snap == self._state(), inlined (runs for every
            # serialisation of a request: the Request-URI is str()-ed)
            params = self.params
            headers = self.headers
            if self._snap == (self.scheme, self.user, self.password, self.host, self.port,
                              tuple(params.items()) if params else (),
                              tuple(headers.items()) if headers else (), self.opaque):
                return orig
        if not self.is_sip and self.scheme != "tel":
            return f"{self.scheme}:{self.opaque or ''}"
        out = [self.scheme, ":"]
        if self.scheme == "tel":
            out.append(_escape(self.user or "", _USER_SAFE))
        else:
            if self.user is not None:
                out.append(_escape(self.user, _USER_SAFE))
                if self.password is not None:
                    out.append(":")
                    out.append(_escape(self.password, _PASSWORD_SAFE))
                out.append("@")
            out.append(self.host or "")
            if self.port is not None:
                out.append(f":{self.port}")
        for name, value in self.params.items():
            out.append(";" + _escape(name, _PARAM_SAFE))
            if value is not None:
                out.append("=" + _escape(value, _PARAM_SAFE))
        if self.headers:
            out.append("?" + "&".join(f"{_escape(k, _HEADER_SAFE)}={_escape(v, _HEADER_SAFE)}"
                                      for k, v in self.headers.items()))
        return "".join(out)

    def __repr__(self) -> str:
        return f"Uri({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        """Structural equality of the decoded parts (not RFC 3261 §19.1.4 matching)."""
        if not isinstance(other, Uri):
            return NotImplemented
        a, b = self._state(), other._state()
        # scheme and host compare case-insensitively; params as dicts (order-free)
        return (a[0] == b[0] and a[1] == b[1] and a[2] == b[2]
                and (a[3] or "").lower() == (b[3] or "").lower() and a[4] == b[4]
                and self.params == other.params and self.headers == other.headers
                and a[7] == b[7])

    __hash__ = None  # type: ignore[assignment]  # mutable


def _parse_port(text: str, whole: str) -> int:
    if not text.isdigit() or not text.isascii() or len(text) > 5:
        raise _bad(whole, "port")
    port = int(text)
    if port > 65535:
        raise _bad(whole, "port")
    return port


def _parse_uri_params(text: str, whole: str) -> dict[str, str | None]:
    params: dict[str, str | None] = {}
    for item in text.split(";"):
        eq = item.find("=")
        if eq < 0:
            name, value = item, None
        else:
            name, value = item[:eq], _unescape(item[eq + 1:])
        if not name:
            raise _bad(whole, "empty parameter")
        params[_unescape(name).lower()] = value
    return params


def _parse_sip(scheme: str, rest: str, whole: str) -> Uri:
    uri = Uri.__new__(Uri)
    uri.scheme = scheme
    uri.opaque = None
    at = rest.find("@")
    if at >= 0:
        userinfo = rest[:at]
        hp = rest[at + 1:]
        colon = userinfo.find(":")
        if colon >= 0:
            uri.user = _unescape(userinfo[:colon])
            uri.password = _unescape(userinfo[colon + 1:])
        else:
            uri.user = unquote(userinfo, errors="surrogateescape") if "%" in userinfo \
                else userinfo
            uri.password = None
        if not uri.user:
            raise _bad(whole, "empty user")
    else:
        uri.user = uri.password = None
        hp = rest
    q = hp.find("?")
    if q >= 0:
        headers: dict[str, str] = {}
        for item in hp[q + 1:].split("&"):
            eq = item.find("=")
            if eq <= 0:
                raise _bad(whole, "header")
            headers[_unescape(item[:eq])] = _unescape(item[eq + 1:])
        uri.headers = headers
        hp = hp[:q]
    else:
        uri.headers = {}
    semi = hp.find(";")
    if semi >= 0:
        uri.params = _parse_uri_params(hp[semi + 1:], whole)
        hp = hp[:semi]
    else:
        uri.params = {}
    if hp.startswith("["):
        rb = hp.find("]")
        if rb < 0:
            raise _bad(whole, "IPv6 reference")
        host = hp[:rb + 1]
        after = hp[rb + 1:]
        if after:
            if after[0] != ":":
                raise _bad(whole, "host")
            uri.port = _parse_port(after[1:], whole)
        else:
            uri.port = None
        inner = host[1:-1]
        if not inner or inner.strip("0123456789abcdefABCDEF:.") :
            raise _bad(whole, "IPv6 reference")
    else:
        colon = hp.find(":")
        if colon >= 0:
            host = hp[:colon]
            uri.port = _parse_port(hp[colon + 1:], whole)
        else:
            host = hp
            uri.port = None
        plain = host.replace(".", "").replace("-", "").replace("_", "")  # str.translate is slower
        if not plain.isalnum() or not plain.isascii():
            raise _bad(whole, "host")
    uri.host = host
    uri._orig = whole
    uri._snap = uri._state()
    return uri


_new = object.__new__


def parse_uri(text: str) -> Uri:
    """Parse URI *text* (no surrounding ``<>`` or whitespace).

    Called lazily when a Request-URI or a name-addr's URI is first read.
    Raises :class:`SipParseError` (status 400) for a missing scheme, spaces,
    an empty host or a bad port; unknown schemes are accepted as opaque.
    """
    usual = _USUAL_SIP.match(text)
    if usual is not None:
        # One C-level match for the everyday form (no escapes, password or
        # headers); anything else takes the general path below.
        scheme, user, host, port, params = usual.groups()
        uri = _new(Uri)
        uri.scheme = scheme
        uri.user = user
        uri.password = None
        uri.host = host
        if port is not None:
            # (1-5 digits already: NUMBERS remembers their int)
            try:
                port = NUMBERS[port]
            except KeyError:
                port = number_of(port)
            if port > 65535:
                raise _bad(text, "port")
        uri.port = port
        uri.headers = {}
        uri.opaque = None
        uri._orig = text
        if params is None:
            uri.params = {}
            # the snapshot _state() would take, built directly
            uri._snap = (scheme, user, None, host, port, (), (), None)
        else:
            params = uri.params = _parse_uri_params(params, text)
            uri._snap = (scheme, user, None, host, port,
                         tuple(params.items()) if params else (), (), None)
        return uri
    colon = text.find(":")
    if colon <= 0 or " " in text or "\t" in text:
        raise _bad(text, "syntax")
    scheme = text[:colon].lower()
    rest = text[colon + 1:]
    if scheme == "sip" or scheme == "sips":
        return _parse_sip(scheme, rest, text)
    # scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    if not scheme[0].isalpha() or not scheme.isascii() or \
            not scheme.replace("+", "").replace("-", "").replace(".", "").isalnum():
        raise _bad(text, "scheme")
    uri = Uri.__new__(Uri)
    uri.scheme = scheme
    uri.password = None
    uri.port = None
    uri.headers = {}
    if scheme == "tel":
        # telephone-subscriber (RFC 3966): number *( ";" par )
        semi = rest.find(";")
        number = rest if semi < 0 else rest[:semi]
        if not number:
            raise _bad(text, "tel number")
        uri.user = _unescape(number)
        uri.host = None
        uri.params = _parse_uri_params(rest[semi + 1:], text) if semi >= 0 else {}
        uri.opaque = None
    else:
        uri.user = uri.host = None
        uri.params = {}
        uri.opaque = rest
    uri._orig = text
    uri._snap = uri._state()
    return uri
