"""Message-type and dialog tests of siputils: has_totag, is_request, is_reply,
is_first_hop, is_user, is_domain_local."""
from __future__ import annotations

import ipaddress
from typing import Any

import structlog

log = structlog.get_logger("siprouter.modules.siputils").bind(module="siputils")


def has_totag(ctx: Any) -> int:
    """1 when the To header carries a non-empty tag (an in-dialog request)."""
    try:
        to = ctx.msg.to
    except Exception as exc:  # To present but unparsable
        log.error("has_totag: To parsing failed", error=str(exc))
        return -1
    if to is None:
        log.error("has_totag: no To header")
        return -1
    return 1 if to.tag else -1


def is_request(ctx: Any) -> int:
    """1 for a request, -1 for a reply."""
    return 1 if ctx.msg.is_request else -1


def is_reply(ctx: Any) -> int:
    """1 for a reply, -1 for a request."""
    return -1 if ctx.msg.is_request else 1


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_first_hop(ctx: Any, mode: int = 0) -> int:
    """Is this message at its first hop?

    Request: 1 when it carries a single Via value (nobody forwarded it yet).
    Reply: 1 when there is no Record-Route, or the top Record-Route is this
    server and the reply did not come from that same address (a loop).  With
    mode 0 (default) the top Record-Route host must be an IP address.
    """
    msg = ctx.msg
    if msg.is_request:
        try:
            return 1 if len(msg.vias) < 2 else -1
        except Exception:
            return 1  # Kamailio: "no (parsable) 2nd via" means first hop
    try:
        rrs = msg.record_routes
    except Exception:
        return -1
    if not rrs:
        return 1
    uri = rrs[0].uri
    if mode == 0 and not _is_ip(uri.host or ""):
        return -1
    env = ctx.env
    if env is None or not env.is_myself(uri.host, uri.port):
        return -1
    if mode == 0:
        rcv = getattr(msg, "rcv", None)
        if rcv is not None:
            transport = (uri.params.get("transport") or "udp").lower()
            same_host = (ipaddress.ip_address(uri.host.strip("[]"))
                         == ipaddress.ip_address(rcv.src_ip))
            same_port = rcv.src_port == (uri.port or 5060)
            if same_host and same_port and transport == str(rcv.proto).lower():
                return -1  # came back from ourselves: a loop, not a first hop
    return 1


# Key under which an authentication module records the user whose
# credentials it verified (``msg.attrs``); Kamailio's is_user() looks for
# "authorized credentials" the same way.
AUTH_USER_ATTR = "auth_user"


def is_user(ctx: Any, user: str) -> int:
    """1 when ``user`` is the username of the verified credentials.

    -1 when it differs or when no credentials were verified yet (call
    ``auth_check``/``proxy_authorize`` first, as in Kamailio).
    """
    authorized = ctx.msg.attrs.get(AUTH_USER_ATTR)
    if not authorized:
        log.error("is_user: no authorized credentials found; authorize first")
        return -1
    return 1 if authorized == user else -1


def is_domain_local(ctx: Any, domain: str) -> int:
    """1 when ``domain`` (host or host:port) is one of this server's addresses
    or a ``[core] alias``; -1 otherwise."""
    host, port = _split_hostport(domain)
    if not host or ctx.env is None:
        return -1
    return 1 if ctx.env.is_myself(host, port) else -1


def _split_hostport(text: str) -> tuple[str, int | None]:
    text = text.strip()
    if text.lower().startswith(("sip:", "sips:")):
        text = text.split(":", 1)[1].split("@")[-1].split(";")[0]
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, ""
    return host, int(port) if port.isdigit() else None
