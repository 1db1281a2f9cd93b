"""Request-URI parameter functions and number tests of siputils."""
from __future__ import annotations

from typing import Any

import structlog

log = structlog.get_logger("siprouter.modules.siputils").bind(module="siputils")

# modparam e164_max_len, set by mod_init
settings = {"e164_max_len": 16}


def _ruri(ctx: Any):
    msg = ctx.msg
    if not msg.is_request:
        return None
    try:
        return msg.uri
    except Exception:
        return None


def uri_param(ctx: Any, name: str, value: str | None = None) -> int:
    """1 when the R-URI has parameter ``name`` (case-sensitive, as Kamailio).

    Without ``value`` the parameter must have no value; with it the value
    must be equal.
    """
    uri = _ruri(ctx)
    if uri is None:
        log.error("uri_param: ruri parsing failed")
        return -1
    if name not in uri.params:
        return -1
    have = uri.params[name]
    if value is None:
        return 1 if not have else -1
    return 1 if (have or "") == value else -1


def uri_param_any(ctx: Any, name: str) -> int:
    """1 when the R-URI has parameter ``name`` with or without a value
    (name compared ignoring case)."""
    uri = _ruri(ctx)
    if uri is None:
        return -1
    return 1 if any(k.lower() == name.lower() for k in uri.params) else -1


def add_uri_param(ctx: Any, param: str) -> int:
    """Append ``;name[=value]`` to the R-URI; 1 (also for an empty param)."""
    if not param:
        return 1
    uri = _ruri(ctx)
    if uri is None:
        log.error("add_uri_param: ruri parsing failed")
        return -1
    new = uri.copy()
    name, sep, value = param.partition("=")
    new.params[name] = value if sep else None
    ctx.msg.uri = new
    return 1


def uri_param_rm(ctx: Any, name: str) -> int:
    """Remove parameter ``name`` (ignoring case) from the R-URI; 1 if it was
    there, -1 otherwise."""
    uri = _ruri(ctx)
    if uri is None:
        return -1
    keys = [k for k in uri.params if k.lower() == name.lower()]
    if not keys:
        return -1
    new = uri.copy()
    for key in keys:
        del new.params[key]
    ctx.msg.uri = new
    return 1


def e164_check(user: str) -> int:
    """'+' then 2.. digits, at most ``e164_max_len`` characters in all."""
    if 2 < len(user) <= settings["e164_max_len"] and user[0] == "+" and user[1:].isdigit() \
            and user[1:].isascii():
        return 1
    return -1


def is_e164(ctx: Any, value: str | None) -> int:
    """1 when the value is an E.164 number (``+`` and digits)."""
    if not value:
        return -1
    return e164_check(value)


def is_uri_user_e164(ctx: Any, uri: str | None) -> int:
    """1 when the user part of the URI text is an E.164 number."""
    if not uri:
        return -1
    colon = uri.find(":")
    if colon < 0:
        log.error("is_uri_user_e164: parsing URI failed", uri=uri)
        return -1
    at = uri.find("@", colon + 1)
    if at < 0:
        return -1
    return e164_check(uri[colon + 1:at])


def is_tel_number(ctx: Any, value: str) -> int:
    """1 for an optional '+' (then 1-9) followed by digits; else -2."""
    if not value:
        return -2
    rest = value
    if value[0] == "+":
        if len(value) < 2 or value[1] not in "123456789":
            return -2
        rest = value[2:]
    return 1 if all(c in "0123456789" for c in rest) else -2


def is_numeric(ctx: Any, value: str) -> int:
    """1 when the value is decimal digits only; else -2."""
    return 1 if value and all(c in "0123456789" for c in value) else -2


def is_alphanum(ctx: Any, value: str) -> int:
    """1 for ASCII letters and digits only; -2 when empty, -3 otherwise."""
    if not value:
        return -2
    return 1 if value.isascii() and value.isalnum() else -3
