"""loose_route(), check_route_param(), is_direction() (Kamailio's ``loose.c``).

loose_route() follows RFC 3261 §16.4 and §16.12:

* no Route header → -1;
* an initial request (no To tag) whose Route set is only us → our Route is
  removed and -3 ("preloaded route set, nothing left") is returned;
* the Request-URI is ours and there is a To tag → the previous hop was a
  strict router: the real target is restored from the last Route entry
  (or the next hop is strict too and goes into the Request-URI);
* otherwise our own top Route entries (two with ``r2=on``) are removed and
  the next entry becomes ``$du`` (loose next hop) or, when it has no ``lr``,
  the Request-URI, with the old Request-URI appended as the last Route
  (strict next hop).
Return 1 when routing was done from the Route set, -1 on errors.
"""
from __future__ import annotations

import re
from typing import Any

from siprouter.modules.rr.header_ops import uri_params_text, write_routes
from siprouter.modules.rr.rr_state import EMPTY_STATE, rr_state, set_rr_state, split_param_text

RR_DRIVEN = 1
RR_NOT_DRIVEN = -1
RR_ERROR = -1
RR_PRELOADED = -3

LR_MODE_LOOSE_ONLY = 1  # loose_route_mode() bit: never treat R-URI==myself as strict routing


def _is_myself(ctx: Any, uri: Any) -> bool:
    host = getattr(uri, "host", None)
    if not host:
        return False
    return bool(ctx.env.is_myself(host, getattr(uri, "port", None)))


def _is_strict(uri: Any) -> bool:
    """A Route URI without ``lr`` belongs to a strict router (RFC 2543 style)."""
    params = uri.params
    if not params:
        return True
    if "lr" in params:               # the parser lower-cases names: the usual hit
        return False
    return "lr" not in {k.lower() for k in params}


def _uri_text(na: Any) -> str:
    return getattr(na, "uri_text", None) or str(na.uri)


def loose_route(ctx: Any, double_rr: int = 1, mode: int = 0) -> int:
    """Route by the Route set; Kamailio's return codes (1, -1, -3).

    Runs for every request of the usual script (in-dialog or not).
    """
    msg = ctx.msg
    state = msg.attrs.get("rr")
    if state and state.get("routed_params") is not None:
        # (absent or already None: the state says "nothing consumed" as it is)
        set_rr_state(msg, routed_params=None)
    raw_top = msg.get("Route")
    if raw_top is None:
        return RR_NOT_DRIVEN          # an initial request: nothing to parse
    own = _ONE_HOP.fullmatch(raw_top)
    if own is not None and msg.count("Route") == 1:
        rc = _one_hop(ctx, msg, own, mode)
        if rc is not None:
            return rc
    return _loose_route_general(ctx, msg, double_rr, mode)


#: One Route field holding one plain ``<sip:host[:port];params>`` entry: what
#: every in-dialog request carries when we are the only record-router.  The
#: host and parameter classes are narrower than the URI grammar on purpose:
#: whatever they accept, parse_uri() accepts too, with the same host, port and
#: parameter text, so the shortcut below can never disagree with the general
#: path (anything else simply takes that path).
#: (The host class has no "at least one alphanumeric" part, which would make
#: the match quadratic on long garbage: _one_hop() checks that.)
_ONE_HOP = re.compile(r"<sip:([A-Za-z0-9\-._]+)(?::([0-9]{1,5}))?"
                      r"((?:;[A-Za-z0-9\-_.!~*'()%+$&]+(?:=[A-Za-z0-9\-_.!~*'()%+$&:\[\]/]*)?)*)>")


def _one_hop(ctx: Any, msg: Any, own: re.Match, mode: int) -> int | None:
    """loose_route() for a single Route entry matched by ``_ONE_HOP``.

    Runs for every in-dialog request through us alone (ACK, BYE...).
    Returns the result when the entry is ours and the previous hop was not a
    strict router (the Route is removed: nothing is left, so there is no
    ``$du`` to set and ``r2`` has nothing to pop); None otherwise, to let
    the general path decide with the same inputs.
    """
    host, port_text, params = own.groups()
    if not host.strip("-._"):
        return None                     # no alphanumeric: the general path reports it
    port = int(port_text) if port_text is not None else None
    if port is not None and port > 65535:
        return None                     # the general path reports the bad URI
    tag = msg.to_tag
    if tag is None and msg.to is None:
        return RR_NOT_DRIVEN
    is_myself = ctx.env.is_myself
    if tag and not mode & LR_MODE_LOOSE_ONLY:
        try:
            ruri = msg.uri
        except Exception:  # noqa: BLE001 — the general path answers RR_ERROR
            return None
        rhost = getattr(ruri, "host", None)
        if rhost and is_myself(rhost, getattr(ruri, "port", None)):
            return None                 # strict previous hop: _after_strict()
    if not is_myself(host, port):
        return None                     # next hop elsewhere: $du / strict handling
    # set_rr_state() inlined (a fresh dict, never mutated: see its docstring)
    attrs = msg.attrs
    attrs["rr"] = {**(attrs.get("rr") or EMPTY_STATE), "routed_params": params}
    msg.remove_header("Route")
    return RR_DRIVEN if tag else RR_PRELOADED


def _loose_route_general(ctx: Any, msg: Any, double_rr: int, mode: int) -> int:
    """loose_route() for any Route set (several entries, foreign hops, strict routers)."""
    try:
        raw = msg.get_all("Route")
        if not raw:
            return RR_NOT_DRIVEN      # an initial request: nothing to parse
        entries = list(zip(raw, msg.routes))   # as header_ops.route_entries()
    except Exception:  # noqa: BLE001 — a malformed Route header
        return RR_ERROR
    if not entries:
        return RR_NOT_DRIVEN
    # the To tag without building the To name-addr (the parser validated the
    # header; an in-dialog ACK relayed statelessly never needs the object)
    tag = msg.to_tag
    if tag is None and msg.to is None:
        return RR_NOT_DRIVEN
    preloaded = not tag
    try:
        if not preloaded and not mode & LR_MODE_LOOSE_ONLY:
            ruri = msg.uri                     # (_is_myself() inlined: per in-dialog request)
            host = getattr(ruri, "host", None)
            if host and ctx.env.is_myself(host, getattr(ruri, "port", None)):
                return _after_strict(ctx, entries, double_rr)
        return _after_loose(ctx, entries, double_rr, preloaded)
    except Exception:  # noqa: BLE001 — unparsable URIs in the route set
        return RR_ERROR


def _after_loose(ctx: Any, entries: list, double_rr: int, preloaded: bool) -> int:
    """Previous hop was a loose router (or the set was preloaded)."""
    msg = ctx.msg
    first_raw, first = entries[0]
    furi = first.uri
    host = getattr(furi, "host", None)      # (_is_myself() inlined: per in-dialog request)
    if host and ctx.env.is_myself(host, getattr(furi, "port", None)):
        set_rr_state(msg, routed_params=uri_params_text(getattr(first, "uri_text", None) or str(furi)))
        entries.pop(0)
        if double_rr and "r2" in furi.params and entries:
            entries.pop(0)  # the second Record-Route we inserted for the other socket
        if not entries:
            write_routes(msg, [])
            return RR_PRELOADED if preloaded else RR_DRIVEN
    _raw, nxt = entries[0]
    if _is_strict(nxt.uri):
        _route_to_strict(msg, entries)
    else:
        msg.dst_uri = _uri_text(nxt)
    write_routes(msg, [raw for raw, _ in entries])
    return RR_DRIVEN


def _route_to_strict(msg: Any, entries: list) -> None:
    """Next hop is a strict router: it goes into the R-URI, the R-URI to the end."""
    _raw, nxt = entries.pop(0)
    old_ruri = str(msg.uri)
    msg.uri = _uri_text(nxt)
    entries.append((f"<{old_ruri}>", None))


def _after_strict(ctx: Any, entries: list, double_rr: int) -> int:
    """The R-URI is ours: the previous hop was a strict router (RFC 3261 §16.4)."""
    msg = ctx.msg
    # our Record-Route parameters came back in the Request-URI
    set_rr_state(msg, routed_params=uri_params_text(str(msg.uri)))
    _raw, first = entries[0]
    if double_rr and "r2" in first.uri.params and _is_myself(ctx, first.uri):
        entries.pop(0)
        if not entries:
            write_routes(msg, [])
            return RR_NOT_DRIVEN
        _raw, first = entries[0]
    if _is_strict(first.uri):
        # next hop strict as well: behave like a strict router
        entries.pop(0)
        msg.uri = _uri_text(first)
    else:
        if len(entries) < 2:
            return RR_ERROR  # no remote target left to restore
        msg.dst_uri = _uri_text(first)
        _last_raw, last = entries.pop()
        msg.uri = _uri_text(last)
    write_routes(msg, [raw for raw, _ in entries])
    return RR_DRIVEN


def check_route_param(ctx: Any, pattern: Any) -> int:
    """1 when the params of our consumed Route match ``pattern``, else -1."""
    params = rr_state(ctx.msg)["routed_params"]
    if not params:
        return -1
    return 1 if pattern.search(params) else -1


def direction_of(msg: Any) -> str:
    """"downstream" (same way as the initial request) or "upstream", by ftag."""
    params = rr_state(msg)["routed_params"]
    ftag = split_param_text(params).get("ftag") if params else None
    tag = msg.from_.tag if msg.from_ is not None else None
    if not ftag or not tag or ftag == tag:
        return "downstream"  # Kamailio: no ftag or no From tag counts as downstream
    return "upstream"


def is_direction(ctx: Any, direction: str) -> int:
    """1 when the in-dialog request flows ``direction``, else -1."""
    return 1 if direction_of(ctx.msg) == direction.lower() else -1
