"""The ``pv`` module: the standard pseudo-variables and a few helper functions.

Like Kamailio's ``pv`` module it owns the core PV classes — message fields
(``$ru``, ``$fu``, ``$hdr(name)``...), script variables (``$var``, ``$vz``,
``$vn``), AVPs and XAVPs, shared variables (``$shv``), flags, time and the
return code (``$rc``).  Every getter here runs per access, so each one is a
direct attribute read on the message; the route compiler has already bound
the class and inner name at load time.

Scopes (ARCHITECTURE §5): ``$var``/``$vz``/``$vn`` live in ``ctx.vars`` (one
dict per executing thread, kept across runs); ``$avp``/``$xavp`` in
``msg.attrs["avps"]``/``["xavps"]`` (they travel with the request into its
transaction); ``$shv`` in one process-wide dict under a lock.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Any

from siprouter.core.modsys import Arg, Module, RouteType, hookimpl

module = Module("pv", version="1.0",
                doc="Core pseudo-variables: message fields, $var, $avp, $xavp, $shv, flags, time.")

module.param("shvset", str, default="",
             doc="Initial $shv values: 'name=i:1;other=s:text' (i: int, s: string).")
module.param("varset", str, default="",
             doc="Initial $var values for every thread: 'name=i:1;other=s:text'.")


# -- helpers -------------------------------------------------------------------
def _is_req(msg: Any) -> bool:
    return msg is not None and msg.is_request


def _ruri(msg: Any) -> Any:
    return msg.uri if _is_req(msg) else None


def _set_ruri_part(attr: str):
    def setter(ctx: Any, name: Any, value: Any) -> None:
        msg = ctx.msg
        if not _is_req(msg):
            raise ValueError("the message is not a request")
        u = msg.uri.copy()
        if attr == "port":
            u.port = None if value in (None, "") else int(value)
        else:
            if value is None and attr == "host":
                raise ValueError("cannot delete the host of the R-URI")
            setattr(u, attr, None if value is None else str(value))
        msg.uri = u
    return setter


def _parse_values(spec: str) -> dict[str, Any]:
    """'a=i:1;b=s:x' -> {"a": 1, "b": "x"} (modparam shvset/varset)."""
    out: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in spec.split(";"))):
        name, _, val = item.partition("=")
        kind, _, text = val.partition(":")
        if kind == "i":
            out[name.strip()] = int(text)
        elif kind == "s":
            out[name.strip()] = text
        else:
            raise ValueError(f"bad value '{item}' (expected name=i:NUM or name=s:TEXT)")
    return out


# -- request line / URI --------------------------------------------------------
def get_ru(ctx: Any, name: Any) -> Any:
    msg = ctx.msg
    return msg.uri_text if _is_req(msg) else None


def set_ru(ctx: Any, name: Any, value: Any) -> None:
    if value is None or value == "":
        raise ValueError("$ru cannot be set to $null")
    if not _is_req(ctx.msg):
        raise ValueError("the message is not a request")
    ctx.msg.uri = str(value)


def get_rU(ctx: Any, name: Any) -> Any:
    msg = ctx.msg
    return msg.uri.user if msg is not None and msg.is_request else None


def get_rd(ctx: Any, name: Any) -> Any:
    msg = ctx.msg
    return msg.uri.host if msg is not None and msg.is_request else None


def get_rp(ctx: Any, name: Any) -> Any:
    u = _ruri(ctx.msg)
    if u is None:
        return None
    return u.port if u.port is not None else 5060   # Kamailio reports the default port


def get_rz(ctx: Any, name: Any) -> Any:
    u = _ruri(ctx.msg)
    return None if u is None else u.scheme


def get_rm(ctx: Any, name: Any) -> Any:
    msg = ctx.msg
    if _is_req(msg):
        return msg.method
    cseq = msg.cseq if msg is not None else None
    return None if cseq is None else cseq.method


def get_rs(ctx: Any, name: Any) -> Any:
    msg = ctx.msg
    return None if msg is None or msg.is_request else msg.status


def get_rr(ctx: Any, name: Any) -> Any:
    msg = ctx.msg
    return None if msg is None or msg.is_request else msg.reason


def get_rv(ctx: Any, name: Any) -> Any:
    return None if ctx.msg is None else ctx.msg.version


def get_du(ctx: Any, name: Any) -> Any:
    return None if ctx.msg is None else ctx.msg.dst_uri


def set_du(ctx: Any, name: Any, value: Any) -> None:
    ctx.msg.dst_uri = None if value in (None, "") else str(value)


# -- receive info ----------------------------------------------------------------
def _rcv(attr: str, upper: bool = False):
    def get(ctx: Any, name: Any) -> Any:
        msg = ctx.msg
        rcv = None if msg is None else msg.rcv
        if rcv is None:
            return None
        v = getattr(rcv, attr)
        return v.upper() if upper and isinstance(v, str) else v
    return get


# -- From / To ------------------------------------------------------------------
def get_fU(ctx: Any, name: Any) -> Any:
    msg = ctx.msg
    na = None if msg is None else msg.from_
    return None if na is None else na.uri.user


def get_ft(ctx: Any, name: Any) -> Any:
    msg = ctx.msg
    return None if msg is None else msg.from_tag


def get_tU(ctx: Any, name: Any) -> Any:
    msg = ctx.msg
    na = None if msg is None else msg.to
    return None if na is None else na.uri.user


def get_tt(ctx: Any, name: Any) -> Any:
    msg = ctx.msg
    return None if msg is None else msg.to_tag


_NA_FAST = {("from_", "user"): get_fU, ("from_", "tag"): get_ft,
            ("to", "user"): get_tU, ("to", "tag"): get_tt}


def _na(attr: str, part: str):
    fast = _NA_FAST.get((attr, part))
    if fast is not None:          # the common ones: no getattr or part dispatch
        return fast

    def get(ctx: Any, name: Any) -> Any:
        msg = ctx.msg
        na = None if msg is None else getattr(msg, attr)
        if na is None:
            return None
        if part == "uri":
            return na.uri_text
        if part == "user":
            return na.uri.user
        if part == "host":
            return na.uri.host
        if part == "display":
            return na.display
        return na.tag
    return get


# -- headers ----------------------------------------------------------------------
def _header_fields(msg: Any, hname: str) -> list[str]:
    from siprouter.core.sip import header_key
    key = header_key(hname)
    return [v for n, v in msg.headers() if header_key(n) == key]


def get_hdr(ctx: Any, name: Any, index: Any = None) -> Any:
    msg = ctx.msg
    if msg is None:
        return None
    if index is None:
        return msg.get(name)
    fields = _header_fields(msg, name)
    if index == "*":
        return ",".join(fields) if fields else None
    try:
        return fields[index]
    except IndexError:
        return None


def get_hdrc(ctx: Any, name: Any) -> Any:
    return 0 if ctx.msg is None else ctx.msg.count(name)


def _hdr_value(hname: str):
    def get(ctx: Any, name: Any) -> Any:
        return None if ctx.msg is None else ctx.msg.get(hname)
    return get


def get_ci(ctx: Any, name: Any) -> Any:
    return None if ctx.msg is None else ctx.msg.call_id


def get_cs(ctx: Any, name: Any) -> Any:
    cseq = None if ctx.msg is None else ctx.msg.cseq
    return None if cseq is None else cseq.number


def get_mb(ctx: Any, name: Any) -> Any:
    return None if ctx.msg is None else ctx.msg.to_bytes().decode("utf-8", "replace")


def get_ml(ctx: Any, name: Any) -> Any:
    return None if ctx.msg is None else len(ctx.msg.to_bytes())


def get_rb(ctx: Any, name: Any) -> Any:
    return None if ctx.msg is None else ctx.msg.body.decode("utf-8", "replace")


def get_bs(ctx: Any, name: Any) -> Any:
    return None if ctx.msg is None else len(ctx.msg.body)


# -- return code -------------------------------------------------------------------
def get_rc(ctx: Any, name: Any) -> Any:
    return ctx.rc


# -- script variables ----------------------------------------------------------------
def get_var(ctx: Any, name: Any) -> Any:
    return ctx.vars.get(name, 0)


def set_var(ctx: Any, name: Any, value: Any) -> None:
    # $var(x) = $null resets the variable to int 0 (Kamailio)
    ctx.vars[name] = 0 if value is None else value


def get_vn(ctx: Any, name: Any) -> Any:
    return ctx.vars.get(("vn", name))


def set_vn(ctx: Any, name: Any, value: Any) -> None:
    ctx.vars[("vn", name)] = value


# -- AVPs: a stack per name, last added read first ---------------------------------------
def _avp_name(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError("empty AVP name")
    if text[:2] in ("s:", "i:"):
        text = text[2:]
    return text


def _avps(ctx: Any, create: bool) -> dict | None:
    attrs = ctx.msg.attrs
    if create:
        d = attrs.get("avps")
        if d is None:
            d = attrs["avps"] = {}
        return d
    return attrs.get("avps")


def get_avp(ctx: Any, name: Any, index: Any = None) -> Any:
    d = _avps(ctx, False)
    stack = None if d is None else d.get(name)
    if not stack:
        return None
    if index is None or index == "*":
        return stack[-1]
    try:
        # index 0 is the newest value; a negative index counts from the oldest
        return stack[-1 - index] if index >= 0 else stack[-index - 1]
    except IndexError:
        return None


def set_avp(ctx: Any, name: Any, value: Any, index: Any = None) -> None:
    d = _avps(ctx, True)
    stack = d.setdefault(name, [])
    if index is None:
        if value is None:
            if stack:
                stack.pop()            # $avp(x) = $null deletes the newest value
        else:
            stack.append(value)        # a plain assignment adds a value on top
    elif index == "*":
        stack.clear()                  # $(avp(x)[*]) = ... replaces all values
        if value is not None:
            stack.append(value)
    else:
        pos = len(stack) - 1 - index
        if not 0 <= pos < len(stack):
            raise ValueError(f"AVP index {index} out of range")
        if value is None:
            del stack[pos]
        else:
            stack[pos] = value
    if not stack:
        d.pop(name, None)


# -- XAVPs: root[idx]=>key[idx] ----------------------------------------------------------
def _xavp_name(text: str) -> tuple:
    def split_idx(part: str) -> tuple[str, int | None]:
        part = part.strip()
        if part.endswith("]") and "[" in part:
            base, _, idx = part[:-1].partition("[")
            return base.strip(), int(idx)
        return part, None
    root, sep, key = text.partition("=>")
    r, ri = split_idx(root)
    if not r:
        raise ValueError("empty XAVP name")
    if not sep:
        return (r, ri, None, None)
    k, ki = split_idx(key)
    if not k:
        raise ValueError("empty XAVP key")
    return (r, ri, k, ki)


def get_xavp(ctx: Any, name: tuple) -> Any:
    root, ri, key, ki = name
    x = ctx.msg.attrs.get("xavps")
    items = None if x is None else x.get(root)
    if not items:
        return None
    try:
        item = items[ri or 0]
    except IndexError:
        return None
    if key is None:
        return item.get("", [None])[0] if "" in item else f"<<xavp:{root}>>"
    vals = item.get(key)
    if not vals:
        return None
    try:
        return vals[ki or 0]
    except IndexError:
        return None


def set_xavp(ctx: Any, name: tuple, value: Any) -> None:
    root, ri, key, ki = name
    attrs = ctx.msg.attrs
    x = attrs.get("xavps")
    if x is None:
        x = attrs["xavps"] = {}
    items = x.setdefault(root, [])
    field = "" if key is None else key
    if value is None:
        if ri is None and key is None:
            x.pop(root, None)                     # $xavp(root) = $null: delete all
            return
        if not items:
            return
        item = items[ri or 0] if (ri or 0) < len(items) else None
        if item is not None:
            if ki is None:
                item.pop(field, None)
            elif ki < len(item.get(field, [])):
                del item[field][ki]
        return
    if ri is None:
        items.insert(0, {field: [value]})         # no root index: a new root item on top
        return
    while len(items) <= ri:
        if ri != len(items):
            raise ValueError(f"XAVP index {ri} out of range")
        items.append({})
    item = items[ri]
    vals = item.setdefault(field, [])
    if ki is None:
        vals.insert(0, value)                     # adds another value of the field
    elif ki < len(vals):
        vals[ki] = value
    else:
        raise ValueError(f"XAVP field index {ki} out of range")


# -- $shv: process-wide ------------------------------------------------------------------
_shv: dict[str, Any] = {}
_shv_lock = threading.Lock()


def get_shv(ctx: Any, name: Any) -> Any:
    with _shv_lock:
        return _shv.get(name, 0)


def set_shv(ctx: Any, name: Any, value: Any) -> None:
    with _shv_lock:
        _shv[name] = 0 if value is None else value


def shv_reset() -> None:
    """Forget every $shv value (tests)."""
    with _shv_lock:
        _shv.clear()


# -- flags -------------------------------------------------------------------------------
def get_mf(ctx: Any, name: Any) -> Any:
    return ctx.msg.flags


def set_mf(ctx: Any, name: Any, value: Any) -> None:
    ctx.msg.flags = int(value or 0) & 0xFFFFFFFF


def get_sf(ctx: Any, name: Any) -> Any:
    return ctx.sflags


def set_sf(ctx: Any, name: Any, value: Any) -> None:
    ctx.sflags = int(value or 0) & 0xFFFFFFFF


def get_bf(ctx: Any, name: Any) -> Any:
    return ctx.msg.bflags


def set_bf(ctx: Any, name: Any, value: Any) -> None:
    ctx.msg.bflags = int(value or 0) & 0xFFFFFFFF


# -- time --------------------------------------------------------------------------------
_TIME_FIELDS = {"sec": "tm_sec", "min": "tm_min", "hour": "tm_hour", "mday": "tm_mday",
                "mon": "tm_mon", "year": "tm_year", "wday": "tm_wday", "yday": "tm_yday",
                "isdst": "tm_isdst"}


def _time_name(text: str) -> str:
    if text not in _TIME_FIELDS:
        raise ValueError(f"unknown $time field '{text}' (one of {', '.join(_TIME_FIELDS)})")
    return text


def get_time(ctx: Any, name: str) -> Any:
    t = time.localtime()
    v = getattr(t, _TIME_FIELDS[name])
    if name == "wday":
        return (v + 1) % 7           # C tm_wday: Sunday = 0
    if name == "yday":
        return v - 1                 # C tm_yday starts at 0
    return v


def get_Ts(ctx: Any, name: Any) -> Any:
    return int(time.time())


def _tv_name(text: str) -> str:
    if text not in ("s", "u", "sn", "un", "Sn", "Sm"):
        raise ValueError("expected s, u, sn or un")
    return text


def get_TV(ctx: Any, name: str) -> Any:
    now = time.time()
    if name in ("s", "sn"):
        return int(now)
    if name in ("u", "un"):
        return int((now % 1) * 1_000_000)
    return f"{now:.6f}"


def get_pp(ctx: Any, name: Any) -> Any:
    return os.getpid()


def _name_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError("empty name")
    return text


# -- declarations ----------------------------------------------------------------------------
_pv = module.pv
_pv("ru", get_ru, set_ru, doc="Request-URI (writable).")
_pv("rU", get_rU, _set_ruri_part("user"), doc="R-URI user (writable).")
_pv("rd", get_rd, _set_ruri_part("host"), doc="R-URI host (writable).")
_pv("rp", get_rp, _set_ruri_part("port"), doc="R-URI port; 5060 when absent (writable).")
_pv("rz", get_rz, doc="R-URI scheme.")
_pv("rm", get_rm, doc="Method (of the request or of the reply's CSeq).")
_pv("rs", get_rs, doc="Reply status code.")
_pv("rr", get_rr, doc="Reply reason phrase.")
_pv("rv", get_rv, doc="SIP version.")
_pv("du", get_du, set_du, doc="Destination URI (writable; $null clears).")
_pv("si", _rcv("src_ip"), doc="Source IP.")
_pv("sp", _rcv("src_port"), doc="Source port.")
_pv("Ri", _rcv("dst_ip"), doc="Receiving IP.")
_pv("Rp", _rcv("dst_port"), doc="Receiving port.")
_pv("pr", _rcv("proto"), doc="Receiving protocol (udp, tcp...).")
_pv("proto", _rcv("proto"), doc="Same as $pr.")
for _cls, _attr, _part, _doc in (
        ("fu", "from_", "uri", "From URI."), ("fU", "from_", "user", "From URI user."),
        ("fd", "from_", "host", "From URI host."), ("fn", "from_", "display", "From display name."),
        ("ft", "from_", "tag", "From tag."),
        ("tu", "to", "uri", "To URI."), ("tU", "to", "user", "To URI user."),
        ("td", "to", "host", "To URI host."), ("tn", "to", "display", "To display name."),
        ("tt", "to", "tag", "To tag.")):
    _pv(_cls, _na(_attr, _part), doc=_doc)
_pv("ci", get_ci, doc="Call-ID.")
_pv("cs", get_cs, doc="CSeq number.")
_pv("ua", _hdr_value("User-Agent"), doc="User-Agent header.")
_pv("ct", _hdr_value("Contact"), doc="Contact header (first field).")
_pv("cT", _hdr_value("Content-Type"), doc="Content-Type header.")
_pv("cl", _hdr_value("Content-Length"), doc="Content-Length header.")
_pv("hdr", get_hdr, parse_name=_name_text, needs_name=True, indexed=True,
    doc="Header value: $hdr(name) first field, $(hdr(name)[n]) n-th field (-1 last), [*] all.")
_pv("hdrc", get_hdrc, parse_name=_name_text, needs_name=True, doc="Number of header fields.")
_pv("mb", get_mb, doc="Whole message.")
_pv("ml", get_ml, doc="Message length.")
_pv("rb", get_rb, doc="Message body.")
_pv("bs", get_bs, doc="Body size.")
_pv("rc", get_rc, doc="Return code of the last function or route.")
_pv("retcode", get_rc, doc="Same as $rc.")
_pv("?", get_rc, doc="Same as $rc.")
_pv("var", get_var, set_var, parse_name=_name_text, needs_name=True,
    doc="Script variable, private to the thread, kept across messages; 0 by default.")
_pv("vz", get_var, set_var, parse_name=_name_text, needs_name=True,
    doc="Same storage as $var: 0 by default and after = $null.")
_pv("vn", get_vn, set_vn, parse_name=_name_text, needs_name=True,
    doc="Script variable that can hold $null (its default).")
_pv("avp", get_avp, set_avp, parse_name=_avp_name, needs_name=True, indexed=True,
    doc="AVP stack attached to the message/transaction; last added is read first.")
_pv("xavp", get_xavp, set_xavp, parse_name=_xavp_name, needs_name=True,
    doc="Extended AVP: $xavp(root=>key), $xavp(root[0]=>key[1]).")
_pv("shv", get_shv, set_shv, parse_name=_name_text, needs_name=True,
    doc="Shared variable, visible to every thread; int 0 by default.")
_pv("mf", get_mf, set_mf, doc="Message flags (writable).")
_pv("sf", get_sf, set_sf, doc="Script flags of this run (writable).")
_pv("bf", get_bf, set_bf, doc="Branch flags of the R-URI branch (writable).")
_pv("time", get_time, parse_name=_time_name, needs_name=True,
    doc="Local time field: sec min hour mday mon year wday yday isdst.")
_pv("Ts", get_Ts, doc="Unix time, seconds.")
_pv("TV", get_TV, parse_name=_tv_name, needs_name=True, doc="$TV(s) seconds, $TV(u) microseconds.")
_pv("pp", get_pp, doc="Process id.")


# -- functions -------------------------------------------------------------------------------
@module.function("pv_isset", Arg.PVREF, doc="1 when the PV is not $null, else -1.")
def pv_isset(ctx: Any, pv: Any) -> int:
    return 1 if pv.get(ctx) is not None else -1


@module.function("pv_unset", Arg.PVREF, doc="Set the PV to $null (delete an AVP, reset a $var).")
def pv_unset(ctx: Any, pv: Any) -> int:
    pv.set(ctx, None)
    return 1


@module.function("is_int", Arg.ANY, doc="1 when the value is an integer, else -1.")
def is_int(ctx: Any, value: Any) -> int:
    return 1 if value.__class__ is int else -1


@module.function("typeof", Arg.ANY, Arg.STR, doc="Type test: 'int', 'str' or 'null'.")
def typeof(ctx: Any, value: Any, kind: str) -> int:
    actual = "null" if value is None else ("int" if value.__class__ is int else "str")
    return 1 if actual == kind else -1


@module.function("not_empty", Arg.ANY, doc="1 when the value is a non-empty string.")
def not_empty(ctx: Any, value: Any) -> int:
    return 1 if isinstance(value, str) and value != "" else -1


@module.function("shv_inc", Arg.STR, Arg.IGP, optional=1, routes=RouteType.ANY,
                 doc="Atomically add n (default 1) to an int $shv; returns 1.")
def shv_inc(ctx: Any, name: str, n: int = 1) -> int:
    with _shv_lock:
        cur = _shv.get(name, 0)
        _shv[name] = (cur if isinstance(cur, int) else 0) + n
    return 1


@module.on_init
def mod_init(env: Any) -> None:
    """Apply the shvset modparam once at start-up."""
    params = getattr(env, "params", {}) or {}
    values = _parse_values(params.get("shvset", "") or "")
    with _shv_lock:
        for k, v in values.items():
            _shv.setdefault(k, v)
    varset = _parse_values(params.get("varset", "") or "")
    if varset:
        _VARSET.update(varset)


_VARSET: dict[str, Any] = {}


@module.on_child_init
def child_init(env: Any, rank: int = 0) -> None:
    """Seed the varset values into the calling thread's $var dict."""
    from siprouter.core.routing import thread_vars
    d = thread_vars()
    for k, v in _VARSET.items():
        d.setdefault(k, v)


@hookimpl
def siprouter_module() -> Module:
    """Runs when the module is loaded; returns the declaration."""
    return module
