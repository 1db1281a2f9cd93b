"""Turning a URI or host into a :class:`Destination` without real DNS.

Runs on the loop thread when a route function needs a target (forward(),
t_relay()).  Deliberately never blocks for long: IP literals are taken as
they are, ``localhost`` maps to the loopback, names come from /etc/hosts
and ``getaddrinfo`` is only used restricted to numeric hosts, so a lookup
cannot stall the loop on a DNS timeout (no SRV/NAPTR, RFC 3263 is
out of scope for now).  Names listed in /etc/hosts are found by
reading that file (cached), not through the system resolver.
"""
from __future__ import annotations

import os
import socket
import time
from typing import Any

from siprouter.core.transport.address import (
    DEFAULT_PORT, PROTOS, Destination, ip_family, normalize_ip, strip_brackets,
)

_LOCALHOST = {"localhost": ("127.0.0.1", socket.AF_INET),
              "localhost6": ("::1", socket.AF_INET6),
              "ip6-localhost": ("::1", socket.AF_INET6)}


HOSTS_FILE = "/etc/hosts"
_HOSTS_RECHECK_S = 5.0
_hosts: dict[str, tuple[str, int]] = {}
_hosts_stamp: tuple[float, float] = (-1.0, -_HOSTS_RECHECK_S)   # (mtime, last check)


def _hosts_table() -> dict[str, tuple[str, int]]:
    """Names from /etc/hosts (first address wins), re-read when the file changes.

    Reading a small local file never stalls the loop the way a DNS query
    can; the mtime is looked at most every few seconds.
    """
    global _hosts, _hosts_stamp
    now = time.monotonic()
    mtime, checked = _hosts_stamp
    if now - checked < _HOSTS_RECHECK_S:
        return _hosts
    try:
        st = os.stat(HOSTS_FILE).st_mtime
    except OSError:
        _hosts_stamp = (mtime, now)
        return _hosts
    if st != mtime:
        table: dict[str, tuple[str, int]] = {}
        try:
            with open(HOSTS_FILE, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    fields = line.split("#", 1)[0].split()
                    if len(fields) < 2:
                        continue
                    af = ip_family(fields[0])
                    if af is None:
                        continue
                    for name in fields[1:]:
                        table.setdefault(name.lower(), (normalize_ip(fields[0]), af))
        except OSError:
            table = _hosts
        _hosts = table
    _hosts_stamp = (st, now)
    return _hosts


def resolve_host(host: str) -> tuple[str, int] | None:
    """IP text and family for ``host``, or ``None`` when it cannot be had quickly.

    IP literals, ``localhost``, then /etc/hosts; no DNS (a lookup could block
    the loop for seconds).
    """
    h = strip_brackets(host.strip())
    af = ip_family(h)
    if af is not None:
        return normalize_ip(h), af
    low = h.lower().rstrip(".")
    if low in _LOCALHOST:
        return _LOCALHOST[low]
    found = _hosts_table().get(low)
    if found is not None:
        return found
    try:   # other numeric spellings getaddrinfo accepts (e.g. "127.1"), never DNS
        infos = socket.getaddrinfo(h, None, 0, socket.SOCK_DGRAM, 0, socket.AI_NUMERICHOST)
    except (OSError, UnicodeError):
        return None
    for fam, _t, _p, _c, sa in infos:
        if fam in (socket.AF_INET, socket.AF_INET6):
            return normalize_ip(sa[0]), fam
    return None


def resolve(target: Any, port: int | None = None, transport: str | None = None) -> Destination | None:
    """Destination for a URI (object or text) or a host; ``None`` when unusable.

    Called by route functions and the env (tm resolves the text of every
    relayed request's next hop).  The transport comes from the explicit
    argument, else the URI's ``transport`` parameter, else UDP (``sips:``
    would be TLS, which we do not have: ``None``).  The port comes from the
    argument, else the URI, else 5060.
    """
    if type(target) is str:
        # hot path (t_relay() of every request resolves "sip:..." text): a
        # target whose host is an IP literal always resolves the same way,
        # and Destination is immutable, so the answer is shared
        key: Any = (target, port, transport)
        hit = _TEXT_CACHE.get(key)
        if hit is not None:
            return hit
        dest, fixed = _resolve_ex(target, port, transport)
        if fixed and dest is not None:
            if len(_TEXT_CACHE) >= _CACHE_MAX:
                _TEXT_CACHE.clear()
            _TEXT_CACHE[key] = dest
        return dest
    # a Uri object: keyed by the parts that decide the answer
    params = getattr(target, "params", None)
    try:
        key = (getattr(target, "scheme", None), getattr(target, "host", None),
               getattr(target, "port", None), tuple(params.items()) if params else (),
               port, transport)
        hit = _LITERAL_CACHE.get(key)
    except TypeError:              # something unhashable: no cache
        key = hit = None
    if hit is not None:
        return hit
    dest, fixed = _resolve_ex(target, port, transport)
    if key is not None and fixed and dest is not None:
        if len(_LITERAL_CACHE) >= _CACHE_MAX:
            _LITERAL_CACHE.clear()
        _LITERAL_CACHE[key] = dest
    return dest


_CACHE_MAX = 4096
#: answers for targets whose host is an IP literal or a fixed loopback name
#: (never /etc/hosts names: that file may change); keyed by Uri parts ...
_LITERAL_CACHE: dict[tuple, Destination] = {}
#: ... and by (text, port, transport) for targets given as text
_TEXT_CACHE: dict[tuple, Destination] = {}

_parse_uri: Any = None


def _uri_parser() -> Any:
    """``siprouter.core.sip.parse_uri``, imported on first use (layering) and kept."""
    global _parse_uri
    if _parse_uri is None:
        from siprouter.core.sip import parse_uri
        _parse_uri = parse_uri
    return _parse_uri


def _resolve(target: Any, port: int | None, transport: str | None) -> Destination | None:
    """Uncached resolution of ``target`` (see :func:`resolve`)."""
    return _resolve_ex(target, port, transport)[0]


def _resolve_ex(target: Any, port: int | None, transport: str | None) -> tuple[Destination | None, bool]:
    """Uncached resolution: ``(destination or None, whether the answer is fixed)``.

    The answer is fixed (may be cached) when it came from an IP literal or a
    loopback name, not from /etc/hosts or getaddrinfo.
    """
    host: str | None
    proto = transport.lower() if transport else None
    uri_port = None
    if isinstance(target, str) and ":" in target and target.split(":", 1)[0].lower() in ("sip", "sips"):
        try:
            target = (_parse_uri or _uri_parser())(target)
        except Exception:
            return None, False
    if isinstance(target, str):
        host = target
        # "host:port" given as one string (IPv4/name or bracketed IPv6)
        if host.startswith("[") and "]:" in host:
            host, _, p = host.rpartition(":")
            uri_port = int(p) if p.isdigit() else None
        elif host.count(":") == 1:
            host, _, p = host.partition(":")
            uri_port = int(p) if p.isdigit() else None
    else:
        scheme = (getattr(target, "scheme", "sip") or "sip").lower()
        if scheme == "sips":
            return None, False
        if scheme not in ("sip",):
            return None, False
        host = getattr(target, "host", None)
        uri_port = getattr(target, "port", None)
        params = getattr(target, "params", None) or {}
        if proto is None:
            for k, v in params.items():
                if k.lower() == "transport" and v:
                    proto = v.lower()
                    break
    if not host:
        return None, False
    proto = proto or "udp"
    if proto not in PROTOS:
        return None, False
    h = strip_brackets(host.strip())
    fixed = ip_family(h) is not None or h.lower().rstrip(".") in _LOCALHOST
    found = resolve_host(host)
    if found is None:
        return None, False
    ip, af = found
    p = port if port else (uri_port or DEFAULT_PORT)
    if not 0 < int(p) <= 65535:
        return None, False
    return Destination(proto, ip, int(p), af), fixed
