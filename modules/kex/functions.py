"""Route functions of kex (Kamailio's kex module, partial)."""
from __future__ import annotations

from typing import Any

import structlog

log = structlog.get_logger("siprouter.modules.kex").bind(module="kex")


def isdsturiset(ctx: Any) -> int:
    """1 when the destination URI ($du) is set, else -1."""
    return 1 if ctx.msg.dst_uri else -1


def setdsturi(ctx: Any, uri: str) -> int:
    """Set the destination URI ($du); -1 when ``uri`` is empty or not a URI.

    Kamailio stores any text; siprouter parses it first so a typo fails here
    instead of at forwarding time.
    """
    if not uri:
        log.error("setdsturi: empty URI")
        return -1
    from siprouter.core.sip import parse_uri
    try:
        parse_uri(uri)
    except Exception as exc:
        log.error("setdsturi: cannot parse URI", uri=uri, error=str(exc))
        return -1
    ctx.msg.dst_uri = uri
    return 1


def resetdsturi(ctx: Any) -> int:
    """Clear the destination URI ($du); always 1."""
    ctx.msg.dst_uri = None
    return 1


def _host_port(value: str, with_port: bool) -> tuple[str, int | None] | None:
    """Host (and port) of a sip:/sips: URI, or the value itself as a host."""
    if value[:4].lower() == "sip:" or value[:5].lower() == "sips:":
        from siprouter.core.sip import parse_uri
        try:
            uri = parse_uri(value)
        except Exception:
            return None
        return uri.host, (uri.port if with_port else None)
    return value, None


def is_myself(ctx: Any, value: str) -> int:
    """1 when the URI's host:port (or the plain host) is this server."""
    hp = _host_port(value, with_port=True)
    if hp is None:
        log.error("is_myself: failed to parse uri", uri=value)
        return -1
    return 1 if ctx.env.is_myself(hp[0], hp[1]) else -1


def is_myhost(ctx: Any, value: str) -> int:
    """1 when the URI's host (port ignored) is this server."""
    hp = _host_port(value, with_port=False)
    if hp is None:
        log.error("is_myhost: failed to parse uri", uri=value)
        return -1
    return 1 if ctx.env.is_myself(hp[0], None) else -1


def pv_printf(ctx: Any, target: Any, text: str) -> int:
    """Assign the formatted ``text`` to the writable pseudo-variable ``target``."""
    try:
        target.set(ctx, text)
    except Exception as exc:
        log.error("pv_printf: cannot set the pseudo-variable", error=str(exc))
        return -1
    return 1
