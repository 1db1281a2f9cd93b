"""Minimal parser for Authorization / Proxy-Authorization credentials.

Only what the sanity checks need: the scheme and the parameter names and
values of a ``Digest`` credential (RFC 3261 §25.1 / RFC 2617).
"""
from __future__ import annotations

import re

_PARAM = re.compile(r'\s*([A-Za-z0-9\-_.!%*+`\'~]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)\s*(,|$)')


class CredentialsError(ValueError):
    """The header value is not ``scheme param=value, ...``."""


def parse_credentials(value: str) -> tuple[str, dict[str, str]]:
    """``'Digest username="a", nonce=x'`` -> ``("digest", {"username": "a", ...})``.

    Parameter names are lower-cased; quoted values are unquoted.
    """
    text = value.strip()
    scheme, _, rest = text.partition(" ")
    if not scheme:
        raise CredentialsError("empty credentials")
    params: dict[str, str] = {}
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        m = _PARAM.match(rest, pos)
        if not m or m.end() == pos:
            raise CredentialsError(f"bad credentials parameter near {rest[pos:]!r}")
        name, val = m.group(1).lower(), m.group(2)
        if val.startswith('"'):
            val = re.sub(r"\\(.)", r"\1", val[1:-1])
        params[name] = val
        pos = m.end()
    return scheme.lower(), params


def digest_problem(params: dict[str, str]) -> str | None:
    """The reason phrase for an incomplete digest credential, or None if fine.

    Mirrors Kamailio: username, realm, nonce, uri and response must be
    present (qop=auth/auth-int also needs cnonce and nc), then username,
    nonce and response must not be empty.
    """
    required = ["username", "realm", "nonce", "uri", "response"]
    if params.get("qop", "").lower() in ("auth", "auth-int"):
        required += ["cnonce", "nc"]
    if any(name not in params for name in required):
        return "Bad Auth Credentials"
    if not params["username"]:
        return "Auth Empty User"
    if not params["nonce"]:
        return "Auth Empty Nonce"
    if not params["response"]:
        return "Auth Empty Response"
    return None
