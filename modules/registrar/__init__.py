"""registrar — SIP registrar: save() REGISTERs into usrloc, lookup() them back.

Kamailio-compatible functions and return codes; the location tables live in
the usrloc module (``env.api("usrloc")``). See README.md.
"""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import Arg, FixupError, Module, RouteType, hookimpl
from siprouter.modules.registrar import errors
from siprouter.modules.registrar.aor import aor_from_text, aor_from_uri
from siprouter.modules.registrar.config import RegistrarConfig
from siprouter.modules.registrar.errors import RegError
from siprouter.modules.registrar.lookup_location import lookup, registered, unregister
from siprouter.modules.registrar.reply import (
    contact_list_value, send_reply, tm_replies_with_headers)
from siprouter.modules.registrar.save_location import (
    SAVE_NO_REPLY, save_register)

module = Module("registrar", version="1.0", depends=["usrloc"], after=["sl", "tm"],
                doc="SIP registrar: save() REGISTER bindings, lookup() them.")

module.param("default_expires", int, default=3600, min=0,
             doc="Lifetime when neither the contact nor the Expires header gives one.")
module.param("min_expires", int, default=60, min=0,
             doc="Shortest accepted lifetime (0: no check); shorter ones are raised.")
module.param("min_expires_mode", int, default=0, min=0, max=1,
             doc="1: reply 423 Interval Too Brief instead of raising to min_expires.")
module.param("max_expires", int, default=0, min=0,
             doc="Longest accepted lifetime (0: no check); longer ones are cut.")
module.param("max_contacts", int, default=0, min=0,
             doc="Most bindings per AOR (0: unlimited); more gives 503 and rc -2.")
module.param("retry_after", int, default=0, min=0,
             doc="Retry-After seconds added to the 503 for too many contacts (0: none).")
module.param("default_q", int, default=-1, min=-1, max=1000,
             doc="q (in thousandths) for contacts without one; -1 unspecified.")
module.param("append_branches", int, default=1, min=0, max=1,
             doc="1: lookup() adds the other contacts of the AOR as branches.")
module.param("case_sensitive", int, default=0, min=0, max=1,
             doc="1: the user part of the AOR is compared case-sensitively.")
module.param("use_domain", int, default=0, min=0, max=1,
             doc="1: the AOR is user@domain, 0: the user part only.")
module.param("realm_prefix", str, default="",
             doc="Prefix stripped from the AOR's domain (e.g. 'sip.').")
module.param("method_filtering", int, default=0, min=0, max=1,
             doc="1: lookup() of an initial request skips contacts not allowing its method.")
module.param("use_path", int, default=0, min=0, max=1,
             doc="1: store the Path header with the binding and use it on lookup().")
module.param("path_mode", int, default=2, min=0, max=2,
             doc="Path handling when use_path is 1 (only 2, 'use if present', is implemented).")
module.param("received_param", str, default="received",
             doc="Contact parameter that carries the received address in the 200 OK.")
module.param("gruu_enabled", int, default=1, min=0, max=1,
             doc="Accepted for Kamailio configs; GRUU (RFC 5627) is not implemented, "
                 "so replies never carry pub-gruu/temp-gruu whatever the value.")
module.stat("accepted_regs", "REGISTERs accepted")
module.stat("rejected_regs", "REGISTERs rejected")

_SAVE_ROUTES = RouteType.REQUEST | RouteType.FAILURE | RouteType.ONREPLY
_LOOKUP_ROUTES = RouteType.REQUEST | RouteType.FAILURE

# Set by mod_init: the resolved config and the usrloc service.
_state: dict[str, Any] = {}


@module.on_init
def mod_init(env: Any) -> None:
    """Read the modparams and bind the usrloc API."""
    cfg = RegistrarConfig.from_params(dict(env.params))
    ul = env.api("usrloc")
    if getattr(ul, "use_domain", False) and not cfg.use_domain:
        # usrloc's use_domain is the usual place to set it in Kamailio configs
        cfg = RegistrarConfig.from_params({**env.params, "use_domain": 1})
    try:
        sl = env.api("sl")  # optional (after=["sl"]): its To tags for our replies
    except Exception:  # noqa: BLE001 — ModuleAPIError: sl not loaded
        sl = None
    try:
        tm = env.api("tm")  # optional (after=["tm"]): stateful replies on a transaction
    except Exception:  # noqa: BLE001 — ModuleAPIError: tm not loaded
        tm = None
    _state.update(cfg=cfg, ul=ul, env=env, sl=sl,
                  tm=tm if tm is not None and tm_replies_with_headers(tm) else None)


def _table(domain: str) -> Any:
    return _state["ul"].get_table(domain)


def _stat(ctx: Any, name: str) -> None:
    stats = getattr(ctx.env, "stats", None)
    if stats is not None:
        try:
            stats.inc("registrar", name)
        except Exception:  # noqa: BLE001 — counters never break routing
            pass


def _flags_value(text: Any) -> int | None:
    """save() flags: an int, or decimal/hex text ("0x01"); None when unparsable."""
    if isinstance(text, int):
        return text
    try:
        return int(str(text).strip() or "0", 0)
    except ValueError:
        return None


def _check_save_flags(args: list, env: Any) -> None:
    if len(args) > 1 and args[1].literal is not None and _flags_value(args[1].literal) is None:
        raise FixupError(f"save(): bad flags {args[1].text!r}, expected a number like 0x02")


def _save_aor(msg: Any, uri: str | None, cfg: RegistrarConfig) -> str:
    """The AOR a REGISTER is for: ``uri`` when given, else the To URI."""
    if uri:
        return aor_from_text(uri, cfg)
    try:
        to = msg.to
        to_uri = to.uri if to is not None else None
    except Exception:  # noqa: BLE001 — SipParseError: unparsable To / To URI
        raise errors.aor_parse() from None
    if to_uri is None:
        raise errors.to_missing()
    return aor_from_uri(to_uri, cfg)


@module.function("save", Arg.STR, Arg.SPVE, Arg.SPVE, routes=_SAVE_ROUTES, optional=2,
                 fixup=_check_save_flags,
                 doc="Store the REGISTER's bindings and reply 200 with the current ones.")
def w_save(ctx: Any, domain: str, flags: Any = 0, uri: str | None = None) -> int:
    """save(domain[, flags[, uri]]): 1 inserted, 2 updated, 3 deleted, 4 returned, -1/-2 error."""
    cfg: RegistrarConfig = _state["cfg"]
    msg = ctx.msg
    iflags = _flags_value(flags)
    if iflags is None or not msg.is_request:
        return -1
    table = _table(domain)
    is_request_route = bool(ctx.route_type & RouteType.REQUEST)
    try:
        aor = _save_aor(msg, uri, cfg)
        rc = save_register(msg, table, aor, cfg, iflags)
    except RegError as err:
        _stat(ctx, "rejected_regs")
        if is_request_route and not iflags & SAVE_NO_REPLY:
            send_reply(ctx, err.status, [("P-Registrar-Error", err.info), *err.headers],
                       _state.get("sl"), _state.get("tm"))
        return err.rc
    _stat(ctx, "accepted_regs")
    if not iflags & SAVE_NO_REPLY and ctx.route_type & (RouteType.REQUEST | RouteType.FAILURE):
        headers = []
        listing = contact_list_value(table.get_contacts(aor), table.clock(), cfg)
        if listing:
            headers.append(("Contact", listing))
        if cfg.use_path:
            # RFC 3327 §5.3: the registrar echoes the Path it stored
            headers.extend(("Path", p) for p in msg.get_all("Path"))
        if not send_reply(ctx, 200, headers, _state.get("sl"), _state.get("tm")):
            return -1
    return rc


@module.function("lookup", Arg.STR, Arg.SPVE, routes=_LOOKUP_ROUTES, optional=1,
                 doc="Rewrite the R-URI to the AOR's best contact; others become branches.")
def w_lookup(ctx: Any, domain: str, uri: str | None = None) -> int:
    """lookup(domain[, uri]): 1 found, -1 not found, -2 method not allowed, -3 error."""
    if not ctx.msg.is_request:
        return -3
    return lookup(ctx.msg, _table(domain), _state["cfg"], uri or None)


@module.function("registered", Arg.STR, Arg.SPVE, routes=RouteType.ANY, optional=1,
                 doc="True when the AOR (R-URI, or the given URI) has a valid binding.")
def w_registered(ctx: Any, domain: str, uri: str | None = None) -> int:
    """registered(domain[, uri]): 1 registered, -1 not (or bad URI)."""
    return registered(ctx.msg, _table(domain), _state["cfg"], uri or None)


@module.function("unregister", Arg.STR, Arg.SPVE, Arg.SPVE, routes=RouteType.ANY, optional=1,
                 doc="Remove the AOR's bindings (or only the one with the given ruid).")
def w_unregister(ctx: Any, domain: str, uri: str, ruid: str | None = None) -> int:
    """unregister(domain, uri[, ruid]): 1 done, -1 bad URI, -3 ruid not found."""
    return unregister(_table(domain), _state["cfg"], uri, ruid or None)


@hookimpl
def siprouter_module() -> Module:
    return module
