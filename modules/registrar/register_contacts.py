"""What a REGISTER asks for: its Contact entries with expires and q worked out.

Mirrors Kamailio's ``sip_msg.c``: the contact's ``expires`` parameter wins
over the Expires header, which wins over ``default_expires``; a non-zero
value below ``min_expires`` is raised to it (or refused with 423 when
``min_expires_mode`` is 1) and one above a non-zero ``max_expires`` is cut.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from siprouter.modules.registrar import errors
from siprouter.modules.registrar.config import RegistrarConfig
from siprouter.modules.usrloc.contact import Q_UNSPECIFIED


@dataclass
class RequestedContact:
    """One Contact of a REGISTER: its URI text and the lifetime asked for."""

    uri: str
    expires: int                      # relative seconds, 0 = remove
    q: int = Q_UNSPECIFIED
    params: dict[str, str | None] = field(default_factory=dict)  # header params, lower-cased names
    instance: str | None = None
    reg_id: int = 0
    methods: str | None = None        # RFC 3840 "methods" feature tag, if given


def header_expires(msg: Any) -> int | None:
    """The Expires header as an int, None when absent; RegError when unparsable."""
    value = msg.get("Expires")
    if value is None:
        return None
    value = value.strip()
    if not value.isdigit():
        raise errors.expires_parse()
    return int(value)


def uri_text_of(raw_value: str) -> str:
    """The URI inside a Contact value exactly as written (escapes kept).

    ``"Bob" <sip:b@h?Route=%3Csip:x%3E>;expires=5`` gives ``sip:b@h?Route=%3Csip:x%3E``;
    without angle brackets everything up to the first ``;`` is the URI, because
    header parameters then follow it (RFC 3261 §20).
    """
    in_quotes = False
    for i, ch in enumerate(raw_value):
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == "<" and not in_quotes:
            end = raw_value.find(">", i)
            if end < 0:
                raise errors.contact_parse()
            return raw_value[i + 1:end].strip()
    return raw_value.split(";", 1)[0].strip()


def parse_q(text: str | None, cfg: RegistrarConfig) -> int:
    """q parameter → thousandths; the default_q param when absent; RegError when bad."""
    if text is None:
        return cfg.default_q
    try:
        q = float(text)
    except ValueError:
        raise errors.invalid_q() from None
    if not 0.0 <= q <= 1.0:
        raise errors.invalid_q()
    return int(round(q * 1000))


def contact_expires(param: str | None, hdr: int | None, cfg: RegistrarConfig) -> int:
    """The relative lifetime for one contact (0 keeps meaning "remove")."""
    if param is not None and param.strip():
        text = param.strip()
        # an unparsable expires param falls back to default_expires, like Kamailio
        expires = int(text) if text.isdigit() else cfg.default_expires
    elif hdr is not None:
        expires = hdr
    else:
        expires = cfg.default_expires
    if expires == 0:
        return 0
    if cfg.min_expires and expires < cfg.min_expires:
        if cfg.min_expires_mode:
            raise errors.low_expires(cfg.min_expires)
        expires = cfg.min_expires
    if cfg.max_expires and expires > cfg.max_expires:
        expires = cfg.max_expires
    return expires


def requested_contacts(msg: Any, cfg: RegistrarConfig) -> list[RequestedContact]:
    """The Contact entries of ``msg`` (none for ``Contact: *``), validated."""
    hdr = header_expires(msg)
    raws = msg.get_all("Contact")
    if msg.contact_star or "*" in (r.strip() for r in raws):
        # RFC 3261 §10.3 step 6: "*" only alone and only with Expires: 0
        if len(raws) > 1:
            raise errors.star_contacts()
        if hdr != 0:
            raise errors.star_expires()
        return []
    try:
        parsed = msg.contacts
    except Exception:  # noqa: BLE001 — SipParseError: a malformed Contact
        raise errors.contact_parse() from None
    if len(raws) != len(parsed):
        raise errors.contact_parse()
    result = []
    for raw, na in zip(raws, parsed):
        params = {str(k).lower(): v for k, v in (na.params or {}).items()}
        reg_id = params.get("reg-id")
        result.append(RequestedContact(
            uri=getattr(na, "uri_text", None) or uri_text_of(raw),
            expires=contact_expires(params.get("expires"), hdr, cfg),
            q=parse_q(params.get("q"), cfg),
            params=params,
            instance=params.get("+sip.instance"),
            reg_id=int(reg_id) if reg_id and reg_id.isdigit() else 0,
            methods=params.get("methods"),
        ))
    return result
