"""record_route(), record_route_preset(), add_rr_param() (Kamailio's ``record.c``).

Our Record-Route URI is ``<sip:HOST:PORT[;transport=T][;r2=on];lr[;ftag=TAG][params]>``,
HOST/PORT being the advertised address of the socket the request came in on.
With enable_double_rr, two are inserted when the request leaves through
another socket (other protocol or address) — the top one for the outgoing
socket, the second for the incoming one, both with ``r2=on`` — so the
in-dialog requests coming back are routed across the same two sockets.

Difference from Kamailio: Kamailio picks the outgoing socket when the
request is sent; we decide it from ``$du`` / the Request-URI at the time
record_route() runs (transport parameter, sips scheme), so call lookup()
before record_route() when the transport may change. enable_double_rr=2
always inserts both.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from siprouter.core.sip import parse_uri
from siprouter.modules.rr.header_ops import prepend_record_routes
from siprouter.modules.rr.loose import direction_of
from siprouter.modules.rr.rr_state import EMPTY_STATE, normalise_param, rr_state, set_rr_state


@dataclass(frozen=True)
class SocketAddr:
    """Where a Record-Route points: protocol and advertised host/port."""

    proto: str   # "udp", "tcp", "tls", ...
    host: str    # IPv6 already in brackets
    port: int


@dataclass
class RRConfig:
    """The rr modparams."""

    enable_full_lr: int = 0
    append_fromtag: int = 1
    enable_double_rr: int = 1
    add_username: int = 0
    ignore_sips: int = 0


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


_ADDRS: dict[tuple[str, str, int], SocketAddr] = {}


def socket_addr(proto: str, host: str, port: int) -> SocketAddr:
    """``SocketAddr(proto, host, port)``, shared: building a frozen dataclass
    costs about a µs and record_route() / RRApi.fix_record_route() run per
    INVITE.  Immutable, so one object per address serves every message."""
    key = (proto, host, port)
    addr = _ADDRS.get(key)
    if addr is None:
        if len(_ADDRS) >= 1024:       # addresses come from the config and rcv: few
            _ADDRS.clear()
        addr = _ADDRS[key] = SocketAddr(proto, host, port)
    return addr


def inbound_socket(ctx: Any) -> SocketAddr | None:
    """The advertised address of the socket the request arrived on."""
    rcv = ctx.msg.rcv
    if rcv is None:
        return None
    proto = rcv.proto.lower()
    dst_ip = rcv.dst_ip
    dst_port = rcv.dst_port
    for sock in getattr(ctx.env, "listen", None) or ():
        if sock.ip == dst_ip and sock.port == dst_port and sock.proto.lower() == proto:
            return socket_addr(proto, sock.via_host, sock.via_port)
    return socket_addr(proto, _bracket(dst_ip), dst_port)


def _outgoing_proto(msg: Any) -> str | None:
    """Protocol the request will leave with, from $du or the R-URI (None: unknown)."""
    target = msg.dst_uri or msg.uri
    try:
        uri = parse_uri(target) if isinstance(target, str) else target
    except Exception:  # noqa: BLE001 — an unparsable target: keep single RR
        return None
    transport = (uri.params.get("transport") or "").lower() if uri.params else ""
    if transport:
        return transport
    if (uri.scheme or "").lower() == "sips":
        return "tls"
    # No transport parameter: the default script record-routes before lookup()
    # has chosen the callee, so the Request-URI may still name this server.
    # Guessing "udp" there would double the Record-Route of a TCP-only call;
    # unknown keeps a single entry (Kamailio decides on the real send socket).
    return None


def outbound_socket(ctx: Any, inbound: SocketAddr) -> SocketAddr:
    """The listen socket the request will most likely leave from."""
    proto = _outgoing_proto(ctx.msg)
    if proto is None or proto == inbound.proto:
        return inbound
    rcv = ctx.msg.rcv
    candidates = [s for s in getattr(ctx.env, "listen", None) or () if s.proto.lower() == proto]
    # prefer the same interface as the incoming one
    candidates.sort(key=lambda s: s.ip != getattr(rcv, "dst_ip", None))
    if not candidates:
        return inbound
    s = candidates[0]
    return socket_addr(proto, s.via_host, s.via_port)


def _from_tag(ctx: Any, state: dict[str, Any] | None = None) -> str | None:
    """The tag to put in ftag: the From tag, or the To tag for upstream in-dialog requests.

    ``state``: the message's rr state when the caller has it at hand.
    """
    msg = ctx.msg
    # (msg.from_tag: the tag without building the From name-addr, per INVITE)
    ftag = msg.from_tag
    if state is None:
        state = rr_state(msg)
    if state["routed_params"] is not None:   # (None for every initial request)
        to = msg.to
        if to is not None and to.tag and direction_of(msg) == "upstream":
            return to.tag
    return ftag


def _username(ctx: Any, cfg: RRConfig) -> str:
    if not cfg.add_username:
        return ""
    user = getattr(ctx.msg.uri, "user", None)
    return f"{user}@" if user else ""


def _scheme(ctx: Any, cfg: RRConfig) -> str:
    scheme = (getattr(ctx.msg.uri, "scheme", "") or "sip").lower()
    return "sips" if scheme == "sips" and not cfg.ignore_sips else "sip"


def build_rr(part: dict[str, Any], extra_params: str, cfg: RRConfig) -> str:
    """One Record-Route value from its parts (see module docstring)."""
    lr = ";lr=on" if cfg.enable_full_lr else ";lr"
    ftag = f";ftag={part['ftag']}" if part.get("ftag") else ""
    params = part.get("params", "") + extra_params
    if part["kind"] == "preset":
        # record_route_preset(): the address text is used as given, ftag before lr
        return f"<{part['scheme']}:{part['user']}{part['address']}{ftag}{params}{lr}>"
    sock: SocketAddr = part["socket"]
    transport = f";transport={sock.proto}" if sock.proto != "udp" else ""
    r2 = ";r2=on" if part.get("r2") else ""
    return (f"<{part['scheme']}:{part['user']}{sock.host}:{sock.port}{transport}{r2}"
            f"{lr}{ftag}{params}>")


def _insert(ctx: Any, parts: list[dict[str, Any]], cfg: RRConfig, pending: str | None = None) -> int:
    """Put the Record-Routes built from ``parts`` on top; ``pending``: the
    add_rr_param() text of the rr state when the caller has it at hand."""
    if pending is None:
        pending = rr_state(ctx.msg)["params"]  # from add_rr_param() before us
    if pending:
        parts = [{**p, "params": p.get("params", "") + pending} for p in parts]
    # (else the callers' fresh part dicts are kept as they are: nobody else has them)
    msg = ctx.msg
    prepend_record_routes(msg, [build_rr(p, "", cfg) for p in parts])
    # set_rr_state() inlined (a fresh dict, never mutated: see its docstring)
    attrs = msg.attrs
    attrs["rr"] = {**(attrs.get("rr") or EMPTY_STATE), "added": len(parts), "parts": parts, "params": ""}
    return 1


def record_route(ctx: Any, cfg: RRConfig, params: str = "") -> int:
    """Insert our Record-Route(s); 1 done, -1 already done for this message or no socket."""
    msg = ctx.msg
    state = msg.attrs.get("rr") or EMPTY_STATE     # (rr_state() inlined: per INVITE)
    if state["added"]:
        return -1  # Kamailio: "Double attempt to record-route"
    inbound = inbound_socket(ctx)
    if inbound is None:
        return -1
    common = {"kind": "socket", "scheme": _scheme(ctx, cfg),
              "user": _username(ctx, cfg) if cfg.add_username else "",
              "ftag": _from_tag(ctx, state) if cfg.append_fromtag else None,
              "params": normalise_param(params) if params else ""}
    double = cfg.enable_double_rr
    outbound = outbound_socket(ctx, inbound) if double else inbound
    # (socket_addr() shares the objects: identity answers the usual case
    # without the dataclass __eq__)
    if double == 2 or (double and outbound is not inbound and outbound != inbound):
        parts = [{**common, "socket": outbound, "r2": True},
                 {**common, "socket": inbound, "r2": True}]
    else:
        common["socket"] = inbound          # (common is ours: no copy needed)
        common["r2"] = False
        parts = [common]
    return _insert(ctx, parts, cfg, state["params"])


def record_route_preset(ctx: Any, cfg: RRConfig, address: str, address2: str | None = None) -> int:
    """Insert Record-Route(s) with the given address text(s) ("host:port;params")."""
    state = rr_state(ctx.msg)
    if state["added"]:
        return -1
    addresses = [a.strip() for a in (address, address2) if a]
    if not addresses or any(a.lower().startswith(("sip:", "sips:")) for a in addresses):
        return -1  # the scheme is ours to add (Kamailio docs)
    common = {"kind": "preset", "scheme": _scheme(ctx, cfg), "user": _username(ctx, cfg),
              "ftag": _from_tag(ctx) if cfg.append_fromtag else None, "params": ""}
    return _insert(ctx, [{**common, "address": a} for a in addresses], cfg)


def add_rr_param(ctx: Any, cfg: RRConfig, param: str) -> int:
    """Add ``;name=value`` to our Record-Route(s), now or when record_route() runs."""
    param = normalise_param(param)
    if not param:
        return -1
    state = rr_state(ctx.msg)
    if not state["added"]:
        set_rr_state(ctx.msg, params=state["params"] + param)
        return 1
    parts = [{**p, "params": p.get("params", "") + param} for p in state["parts"]]
    prepend_record_routes(ctx.msg, [build_rr(p, "", cfg) for p in parts],
                          replace_top=state["added"])
    set_rr_state(ctx.msg, parts=parts)
    return 1
