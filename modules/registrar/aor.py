"""Address-of-record extraction (Kamailio's ``extract_aor``).

The AOR is the key of a usrloc record: the user part (unescaped) of a SIP/SIPS
URI, plus ``@host`` when use_domain is on; lower-cased unless case_sensitive.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from siprouter.modules.registrar import errors
from siprouter.modules.registrar.config import RegistrarConfig

# tel: is accepted like Kamailio does (its parser maps the number to the user part)
AOR_SCHEMES = ("sip", "sips", "tel")


def parse_uri_text(text: str) -> Any:
    """Parse a URI string with the core parser; raises errors.aor_parse() if it is bad."""
    from siprouter.core.sip import SipParseError, parse_uri  # core layer, imported lazily
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    try:
        return parse_uri(text)
    except (SipParseError, ValueError) as exc:
        raise errors.aor_parse() from exc


def aor_from_uri(uri: Any, cfg: RegistrarConfig, *, need_user: bool = True) -> str:
    """The AOR for ``uri`` (a parsed Uri); raises RegError for a non-SIP or user-less URI."""
    scheme = (getattr(uri, "scheme", "") or "").lower()
    if scheme not in AOR_SCHEMES:
        # RFC 3261 §10.3 step 5: the AOR must be a SIP/SIPS URI (RFC 4475 unksm2)
        raise errors.aor_parse()
    user = unquote(uri.user or "")
    host = (uri.host or "").lower()
    if cfg.realm_prefix and host.startswith(cfg.realm_prefix.lower()):
        host = host[len(cfg.realm_prefix):]
    if not user and need_user and not cfg.use_domain:
        raise errors.to_user()
    if not cfg.case_sensitive:
        user = user.lower()
    if cfg.use_domain and host:
        return f"{user}@{host}" if user else host
    return user


def aor_from_text(text: str, cfg: RegistrarConfig) -> str:
    """The AOR of a URI given as text (function parameters)."""
    return aor_from_uri(parse_uri_text(text), cfg)
