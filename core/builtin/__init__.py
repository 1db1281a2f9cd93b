"""The always-loaded ``core`` module: Kamailio's core route functions.

``resolve_modules`` loads it first without a ``loadmodule`` entry
(contracts §7).  It is declared exactly like any other module.

* ``forward()`` / ``forward(host)`` / ``forward(host, port)`` — stateless
  relay of the request to ``$du``, else the Request-URI, else the given
  host: our Via on top with a branch derived from the incoming one
  (RFC 3261 §16.11, so retransmissions, CANCEL and the non-2xx ACK get the
  same branch), Max-Forwards decremented.  Replies come back by Via and are
  relayed by the server.  Errors return -1 and record the reason for
  ``sl_reply_error()``; they never raise.
* ``force_rport()``, ``set_reply_no_connect()``, ``set_forward_no_connect()``
* message flags ``setflag/resetflag/isflagset``, branch flags
  ``setbflag/resetbflag/isbflagset``
* Request-URI edits ``strip``, ``strip_tail``, ``prefix``, ``rewriteuri``/
  ``seturi``, ``rewritehost``/``sethost``, ``rewriteuser``/``setuser``,
  ``rewriteport``/``setport``, ``rewritehostport``/``sethostport``.
"""
from __future__ import annotations

import re
from typing import Any

import structlog

from siprouter.core.modsys import Arg, Module, RouteType, hookimpl
from siprouter.core.transport.via import compute_branch, our_via, stamp_received

module = Module("core", version="1.0", doc="Core route functions (forward, flags, R-URI edits).")

_REQ = RouteType.REQUEST | RouteType.FAILURE | RouteType.BRANCH
_ANY_MSG = RouteType.REQUEST | RouteType.FAILURE | RouteType.BRANCH | RouteType.ONREPLY | RouteType.ONSEND
log = structlog.get_logger("siprouter.core.builtin")

module.stat("fwd_requests", "requests forwarded statelessly by forward()")
module.stat("fwd_errors", "forward() calls that failed")

#: reasons recorded for sl_reply_error (Kamailio's ser_error -> reply mapping)
E_UNRESOLVABLE = (478, "Unresolvable destination")
E_NO_SOCKET = (500, "No socket for destination")
E_SEND = (500, "Send failed")
E_TOO_MANY_HOPS = (483, "Too Many Hops")
E_BAD_URI = (400, "Bad Request-URI")


def _inc(ctx: Any, name: str) -> None:
    stats = getattr(ctx.env, "stats", None)
    if stats is not None:
        try:
            stats.inc("core", name)
        except Exception:
            pass


def _fail(ctx: Any, err: tuple[int, str]) -> int:
    ctx.msg.attrs["ser_error"] = err
    _inc(ctx, "fwd_errors")
    return -1


def _listen_for(env: Any, proto: str, af: int) -> Any:
    """Our listen socket for the outgoing transport/family (its address goes in Via)."""
    transport = getattr(env, "transport", None)
    pick = getattr(transport, "listen_for", None)
    if pick is not None:
        return pick(proto, af)
    for ls in getattr(env, "listen", []) or []:
        if ls.proto == proto and ls.af == af:
            return ls
    return None


_MF_RE = re.compile(rb"^(?:max-forwards)[ \t]*:[ \t]*(\d+)", re.IGNORECASE | re.MULTILINE)


def _maxfwd_already_counted(msg: Any, mf: int) -> bool:
    """True when the script already decremented Max-Forwards (maxfwd module).

    Kamailio leaves the decrement to ``mf_process_maxfwd_header()``; we
    decrement in forward() only when the value is still the received one,
    so a hop is never counted twice (the same rule as tm's relay).
    """
    if msg.attrs.get("maxfwd.processed"):
        return True
    raw = getattr(msg, "raw", None)
    if not raw:
        return False
    m = _MF_RE.search(raw.split(b"\r\n\r\n", 1)[0])
    return m is not None and int(m.group(1)) != mf


_MF_LINE_RE = re.compile(rb"^(max-forwards[ \t]*:[ \t]*)\d+", re.IGNORECASE | re.MULTILINE)


def _fast_wire(msg: Any, via: str, mf: int | None, decrement: bool) -> bytes | None:
    """The forwarded wire form, edited on the serialised bytes (hot path).

    Serialising an untouched message returns its received bytes, so
    inserting our Via line after the start line and rewriting the
    Max-Forwards digits there avoids copying and re-serialising the message
    object (about half the cost).  None when the head is not CRLF-framed.
    """
    data = msg.to_bytes()
    eol = data.find(b"\r\n")
    head_end = data.find(b"\r\n\r\n")
    if eol < 0 or head_end < eol:
        return None
    headers = data[eol + 2:head_end + 2]
    extra = b""
    if mf is None:
        extra = b"Max-Forwards: 70\r\n"                  # RFC 3261 §16.6 step 3
    elif decrement:
        headers, n = _MF_LINE_RE.subn(lambda m: m.group(1) + str(mf - 1).encode(), headers, count=1)
        if n != 1:
            return None
    return b"".join((data[:eol + 2], b"Via: ", via.encode(), b"\r\n", extra, headers, data[head_end + 2:]))


def _untouched_wire(msg: Any, via: str, mf: int | None) -> bytes | None:
    """The forwarded wire form of a message nothing has changed (the usual case).

    The received bytes are the current message, so Max-Forwards still holds
    the received value and must be decremented: cut the received bytes at
    the Max-Forwards line (found by its exact text) and write our Via line
    and the new value in between.  None when this shortcut does not apply.
    """
    raw = getattr(msg, "raw", None)
    if raw is None or mf is None or getattr(msg, "_dirty", True) or msg._start_changed() \
            or msg.attrs.get("maxfwd.processed"):
        return None
    keys = msg._keys
    line = msg._lines[keys.index("max-forwards")]
    if "\n" in line:
        return None
    eol = raw.find(b"\r\n")
    cut = ("\r\n" + line + "\r\n").encode("utf-8", "surrogateescape")
    at = raw.find(cut, eol)
    # the line must lie in the head: before the CRLFCRLF that precedes the body
    if eol < 0 or at < 0 or at + len(cut) > len(raw) - len(msg._body) - 2:
        return None
    value = line[line.find(":") + 1:].lstrip(" \t")
    if not value.isdigit():
        return None                     # trailing blanks etc.: the regex path
    return b"".join((raw[:eol], b"\r\nVia: ", via.encode(), raw[eol:at + 2],
                     f"{line[:len(line) - len(value)]}{mf - 1}".encode(),
                     raw[at + len(cut) - 2:]))


def forward_request(ctx: Any, dest: Any) -> int:
    """Relay ``ctx.msg`` statelessly to ``dest``; 1 sent, -1 failed (reason recorded)."""
    msg = ctx.msg
    env = ctx.env
    ls = _listen_for(env, dest.proto, dest.af)
    if ls is None:
        return _fail(ctx, E_NO_SOCKET)
    mf = msg.max_forwards
    if mf is not None and mf <= 0:
        return _fail(ctx, E_TOO_MANY_HOPS)
    via = our_via(ls, compute_branch(msg), dest.proto)
    data = _untouched_wire(msg, via, mf)
    if data is None:
        decrement = mf is not None and not _maxfwd_already_counted(msg, mf)
        data = _fast_wire(msg, via, mf, decrement)
    if data is None:   # unusual framing (bare LF line ends): go through a copy
        out = msg.copy()
        if mf is None:
            out.add_header("Max-Forwards", "70")          # RFC 3261 §16.6 step 3
        elif decrement:
            out.set_header("Max-Forwards", str(mf - 1))
        out.add_header("Via", via, first=True)
        data = out.to_bytes()
    transport = getattr(env, "transport", None)
    try:
        if transport is not None:
            ok = transport.send(data, dest, no_connect=bool(msg.attrs.get("forward_no_connect")))
        else:
            ok = env.send(data, dest)
    except Exception:
        log.exception("forward send failed", host=dest.host, port=dest.port)
        ok = False
    if not ok:
        return _fail(ctx, E_SEND)
    _inc(ctx, "fwd_requests")
    return 1


@module.function("forward", Arg.SPVE, Arg.IGP, routes=_REQ, optional=2,
                 doc="Forward the request statelessly to `$du`, else the Request-URI, or to "
                     "`host[:port]` when given. Returns 1, or -1 when the destination does not "
                     "resolve, there is no socket for it, or sending fails.")
def forward(ctx: Any, host: str | None = None, port: int | None = None) -> int:
    msg = ctx.msg
    if not getattr(msg, "is_request", False):
        return -1
    env = ctx.env
    try:
        if host:
            dest = env.resolve(host, int(port) if port else None)
        else:
            target = msg.dst_uri or msg.uri
            dest = env.resolve(target)
    except Exception:
        dest = None
    if dest is None:
        return _fail(ctx, E_UNRESOLVABLE)
    return forward_request(ctx, dest)


@module.function("force_rport", routes=_REQ,
                 doc="Act as if the top Via had an empty `rport`: replies go to the source port.")
def force_rport(ctx: Any) -> int:
    msg = ctx.msg
    msg.attrs["force_rport"] = True
    if getattr(msg, "is_request", False) and msg.rcv is not None:
        stamp_received(msg, msg.rcv, force_rport=True)
    return 1


@module.function("set_reply_no_connect", routes=_ANY_MSG,
                 doc="Replies to this request are not sent when their TCP connection is gone.")
def set_reply_no_connect(ctx: Any) -> int:
    ctx.msg.attrs["reply_no_connect"] = True
    return 1


@module.function("set_forward_no_connect", routes=_ANY_MSG,
                 doc="Forwarding this message opens no new TCP connection.")
def set_forward_no_connect(ctx: Any) -> int:
    ctx.msg.attrs["forward_no_connect"] = True
    return 1


# -- flags ------------------------------------------------------------------------------

@module.function("setflag", Arg.FLAG, doc="Set message flag 0..31.")
def setflag(ctx: Any, flag: int) -> int:
    ctx.msg.flags |= 1 << flag
    return 1


@module.function("resetflag", Arg.FLAG, doc="Clear message flag 0..31.")
def resetflag(ctx: Any, flag: int) -> int:
    ctx.msg.flags &= ~(1 << flag)
    return 1


@module.function("isflagset", Arg.FLAG, doc="1 when message flag is set, else -1.")
def isflagset(ctx: Any, flag: int) -> int:
    return 1 if ctx.msg.flags & (1 << flag) else -1


def _branch_flags(msg: Any, branch: int) -> int:
    if branch == 0:
        return msg.bflags
    return msg.attrs.get("branch_bflags", {}).get(branch, 0)


def _set_branch_flags(msg: Any, branch: int, value: int) -> None:
    if branch == 0:
        msg.bflags = value
    else:
        msg.attrs.setdefault("branch_bflags", {})[branch] = value


@module.function("setbflag", Arg.FLAG, Arg.IGP, optional=1,
                 doc="Set branch flag (of branch 0, the Request-URI branch, unless given).")
def setbflag(ctx: Any, flag: int, branch: int = 0) -> int:
    if branch < 0:
        return -1
    _set_branch_flags(ctx.msg, branch, _branch_flags(ctx.msg, branch) | (1 << flag))
    return 1


@module.function("resetbflag", Arg.FLAG, Arg.IGP, optional=1, doc="Clear a branch flag.")
def resetbflag(ctx: Any, flag: int, branch: int = 0) -> int:
    if branch < 0:
        return -1
    _set_branch_flags(ctx.msg, branch, _branch_flags(ctx.msg, branch) & ~(1 << flag))
    return 1


@module.function("isbflagset", Arg.FLAG, Arg.IGP, optional=1, doc="1 when the branch flag is set, else -1.")
def isbflagset(ctx: Any, flag: int, branch: int = 0) -> int:
    if branch < 0:
        return -1
    return 1 if _branch_flags(ctx.msg, branch) & (1 << flag) else -1


# -- Request-URI edits ------------------------------------------------------------------

def _edit_uri(ctx: Any, **changes: Any) -> int:
    msg = ctx.msg
    if not getattr(msg, "is_request", False):
        return -1
    uri = msg.uri.copy()
    for k, v in changes.items():
        setattr(uri, k, v)
    msg.uri = uri
    return 1


@module.function("strip", Arg.IGP, routes=_REQ, doc="Remove the first N characters of the R-URI user.")
def strip(ctx: Any, n: int) -> int:
    if n < 0:
        return -1
    user = ctx.msg.uri.user or ""
    return _edit_uri(ctx, user=user[n:] or None)


@module.function("strip_tail", Arg.IGP, routes=_REQ, doc="Remove the last N characters of the R-URI user.")
def strip_tail(ctx: Any, n: int) -> int:
    if n < 0:
        return -1
    user = ctx.msg.uri.user or ""
    return _edit_uri(ctx, user=(user[:-n] if n else user) or None)


@module.function("prefix", Arg.SPVE, routes=_REQ, doc="Prepend a string to the R-URI user.")
def prefix(ctx: Any, text: str) -> int:
    return _edit_uri(ctx, user=text + (ctx.msg.uri.user or ""))


def _set_uri(ctx: Any, text: str) -> int:
    msg = ctx.msg
    if not getattr(msg, "is_request", False):
        return -1
    try:
        from siprouter.core.sip import parse_uri
        msg.uri = parse_uri(text)
    except Exception:
        msg.attrs["ser_error"] = E_BAD_URI
        return -1
    return 1


@module.function("rewriteuri", Arg.SPVE, routes=_REQ, doc="Replace the Request-URI.")
def rewriteuri(ctx: Any, text: str) -> int:
    return _set_uri(ctx, text)


@module.function("seturi", Arg.SPVE, routes=_REQ, doc="Alias of rewriteuri.")
def seturi(ctx: Any, text: str) -> int:
    return _set_uri(ctx, text)


@module.function("rewritehost", Arg.SPVE, routes=_REQ, doc="Replace the R-URI host.")
def rewritehost(ctx: Any, host: str) -> int:
    return _edit_uri(ctx, host=host) if host else -1


@module.function("sethost", Arg.SPVE, routes=_REQ, doc="Alias of rewritehost.")
def sethost(ctx: Any, host: str) -> int:
    return rewritehost(ctx, host)


@module.function("rewriteuser", Arg.SPVE, routes=_REQ, doc="Replace the R-URI user.")
def rewriteuser(ctx: Any, user: str) -> int:
    return _edit_uri(ctx, user=user or None)


@module.function("setuser", Arg.SPVE, routes=_REQ, doc="Alias of rewriteuser.")
def setuser(ctx: Any, user: str) -> int:
    return rewriteuser(ctx, user)


@module.function("rewriteport", Arg.IGP, routes=_REQ, doc="Replace the R-URI port (0 removes it).")
def rewriteport(ctx: Any, port: int) -> int:
    if not 0 <= port <= 65535:
        return -1
    return _edit_uri(ctx, port=port or None)


@module.function("setport", Arg.IGP, routes=_REQ, doc="Alias of rewriteport.")
def setport(ctx: Any, port: int) -> int:
    return rewriteport(ctx, port)


@module.function("rewritehostport", Arg.SPVE, routes=_REQ, doc="Replace the R-URI host and port (`host:port`).")
def rewritehostport(ctx: Any, hostport: str) -> int:
    host, port = hostport, None
    if hostport.startswith("["):
        end = hostport.find("]")
        host, tail = hostport[:end + 1], hostport[end + 1:]
        port = tail[1:] if tail.startswith(":") else None
    elif hostport.count(":") == 1:
        host, port = hostport.split(":")
    if not host or (port is not None and not port.isdigit()):
        return -1
    return _edit_uri(ctx, host=host, port=int(port) if port else None)


@module.function("sethostport", Arg.SPVE, routes=_REQ, doc="Alias of rewritehostport.")
def sethostport(ctx: Any, hostport: str) -> int:
    return rewritehostport(ctx, hostport)


@hookimpl
def siprouter_module() -> Module:
    return module
