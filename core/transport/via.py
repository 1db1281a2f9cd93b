"""Via handling on the transport boundary (RFC 3261 §18.2, RFC 3581), sans-IO.

* On receipt of a request (§18.2.1): add ``received`` to the top Via when
  its sent-by host differs from the packet's source IP, fill an empty
  ``rport`` with the source port (RFC 3581 §4; ``force_rport()`` acts as if
  the client had asked).  Requests over TCP always get ``rport`` filled, so
  that a reply relayed back by Via finds the connection (the client's
  ephemeral port is the connection's address; the sent-by port is not).
* Where a reply goes (§18.2.2): the same connection for stream transports,
  else ``maddr``, else received/rport, else sent-by.
* Our own Via for a forwarded request and its branch (§16.11: a stateless
  proxy derives the branch from the incoming one so retransmissions, the
  CANCEL and the non-2xx ACK get the same branch).

Works on the message objects of ``siprouter.core.sip`` (contracts §1); only
the Via headers are touched.
"""
from __future__ import annotations

import hashlib
from typing import Any

from siprouter.core.transport.address import (
    DEFAULT_PORT, Destination, ip_family, normalize_ip, strip_brackets,
)

MAGIC = "z9hG4bK"
STREAM_PROTOS = frozenset({"tcp", "tls", "ws", "wss"})


def via_text(via: Any, params: dict[str, str | None]) -> str:
    """Serialise a Via value from its parts with ``params`` (ordered)."""
    host = via.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    out = [f"{via.protocol}/{via.transport} {host}"]
    if via.port:
        out.append(f":{via.port}")
    for k, v in params.items():
        out.append(f";{k}" if v is None else f";{k}={v}")
    return "".join(out)


def replace_top_via(msg: Any, new_top: str) -> None:
    """Replace the first Via value, keeping the others in order."""
    setter = getattr(msg, "set_top_via", None)
    if setter is not None:
        setter(new_top)
        return
    # fallback: every Via value on its own line at the top (same meaning, §7.3.1)
    rest = msg.get_all("Via")[1:]
    msg.remove_header("Via")
    for value in reversed([new_top] + rest):
        msg.add_header("Via", value, first=True)


def stamp_received(request: Any, rcv: Any, *, force_rport: bool = False) -> bool:
    """Add received/rport to the request's top Via per §18.2.1 / RFC 3581.

    Runs when a request is received (and again from ``force_rport()``).
    Returns True when the Via was rewritten.  A request without Via is left
    alone (the caller drops it).
    """
    via = request.top_via
    if via is None or rcv is None:
        return False
    if not force_rport and via.host == rcv.src_ip and rcv.proto == "udp":
        vparams = via.params
        if "rport" not in vparams and "received" not in vparams:
            return False          # the everyday UDP case: nothing to add
    params = dict(via.params)
    changed = False
    src = normalize_ip(rcv.src_ip)
    want_rport = ("rport" in params) or force_rport or rcv.proto in STREAM_PROTOS
    if want_rport and params.get("rport") != str(rcv.src_port):
        params["rport"] = str(rcv.src_port)
        changed = True
    # RFC 3581 §4: with rport filled, received is always added
    if (want_rport or normalize_ip(via.host) != src) and params.get("received") != src:
        params["received"] = src
        changed = True
    if changed:
        replace_top_via(request, via_text(via, params))
    return changed


def _port_of(via: Any) -> int:
    return int(via.port) if via.port else DEFAULT_PORT


def destination_by_via(via: Any, *, proto: str | None = None, conn_id: int | None = None) -> Destination | None:
    """Where a response goes according to one Via (§18.2.2 + RFC 3581 §4).

    Runs for every reply we send or relay.  ``None`` when the Via's address
    is not an IP literal we can use (we do no DNS on the reply path).
    """
    p = (proto or via.transport or "udp").lower()
    # the parameters read straight from the dict (the Via properties are one
    # Python call each); an rport flag without a value is None, like absent
    params = via.params
    maddr = params.get("maddr")
    rport = params.get("rport")
    if maddr and p not in STREAM_PROTOS:
        host, port = maddr, _port_of(via)
    elif rport:
        host, port = params.get("received") or via.host, int(rport)
    else:
        received = params.get("received")
        if received:
            host, port = received, _port_of(via)
        else:
            host = via.host
            port = via.port
            port = int(port) if port else DEFAULT_PORT     # (_port_of() inline)
    key = (p, host, port, conn_id)
    dest = _DEST_CACHE.get(key)
    if dest is not None:
        return dest
    host = strip_brackets(host)
    af = ip_family(host)
    if af is None:
        if host.lower() == "localhost":
            host, af = "127.0.0.1", ip_family("127.0.0.1")
        else:
            return None
    dest = Destination(p, normalize_ip(host), port, af, conn_id)
    if len(_DEST_CACHE) >= 4096:
        _DEST_CACHE.clear()
    _DEST_CACHE[key] = dest     # immutable: shared by every reply along this path
    return dest


_DEST_CACHE: dict[tuple, Destination] = {}


def reply_destination(request: Any) -> Destination | None:
    """Where our reply to ``request`` goes.

    Stream transports: back to the source address on the same connection
    (``rcv.conn_id``).  UDP: by
    the (already stamped) top Via.
    """
    rcv = request.rcv
    if rcv is not None and rcv.proto in STREAM_PROTOS:
        conn_id = getattr(rcv, "conn_id", None) or request.attrs.get("conn_id")
        return Destination(rcv.proto, normalize_ip(rcv.src_ip), rcv.src_port, rcv.af, conn_id)
    via = request.top_via
    if via is None:
        return None
    return destination_by_via(via, proto=rcv.proto if rcv is not None else None)


def compute_branch(request: Any) -> str:
    """Branch for our Via on a statelessly forwarded request (§16.11).

    Stable across retransmissions: derived from the incoming top Via branch
    (with the magic cookie) and sent-by, without the method so a CANCEL or
    a non-2xx ACK gets the INVITE's branch; otherwise from the §8.1.1.7
    fields (Call-ID, CSeq number, tags, top Via, Request-URI).
    """
    via = request.top_via
    if via is not None and via.branch and via.branch.startswith(MAGIC):
        key = f"{via.branch}|{via.host}|{via.port}"
    else:
        cseq = request.cseq
        ft = request.from_.tag if request.from_ is not None else ""
        tt = request.to.tag if request.to is not None else ""
        key = (f"{request.call_id}|{cseq.number if cseq else ''}|{ft}|{tt}|"
               f"{request.get('Via')}|{request.uri}")
    digest = hashlib.blake2b(key.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()
    return f"{MAGIC}sr{digest}"


def our_via(listen: Any, branch: str, proto: str) -> str:
    """Via value we insert: ``SIP/2.0/UDP host:port;branch=...``."""
    return f"SIP/2.0/{proto.upper()} {listen.via_host}:{listen.via_port};branch={branch}"
