"""rr — record routing: Record-Route insertion and Route-set processing.

Kamailio-compatible functions and return codes; see README.md.
"""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import Arg, FixupError, Module, RouteType, hookimpl
from siprouter.modules.rr import loose, record
from siprouter.modules.rr.api import RRApi
from siprouter.modules.rr.header_ops import prepend_record_routes
from siprouter.modules.rr.record import RRConfig
from siprouter.modules.rr.rr_state import rr_state, set_rr_state

module = Module("rr", version="1.0", doc="Record-Route and loose routing (RFC 3261 §16.6, §16.12).")

module.param("enable_full_lr", int, default=0, min=0, max=1,
             doc="1: write ';lr=on' instead of ';lr'.")
module.param("append_fromtag", int, default=1, min=0, max=1,
             doc="1: add the From tag as ';ftag=' (needed by is_direction()).")
module.param("enable_double_rr", int, default=1, min=0, max=2,
             doc="1: two Record-Routes when the outgoing socket differs; 2: always two.")
module.param("add_username", int, default=0, min=0, max=1,
             doc="1: put the R-URI user in the Record-Route URI.")
module.param("ignore_sips", int, default=0, min=0, max=1,
             doc="1: always build 'sip:' Record-Routes, even for a sips R-URI.")

_REC_ROUTES = RouteType.REQUEST | RouteType.BRANCH | RouteType.FAILURE

# Resolved at mod_init; the defaults serve `siprouter check` and unit tests.
_cfg: dict[str, RRConfig] = {"cfg": RRConfig()}


@module.on_init
def mod_init(env: Any) -> None:
    """Read the modparams."""
    p = env.params
    _cfg["cfg"] = RRConfig(enable_full_lr=p["enable_full_lr"], append_fromtag=p["append_fromtag"],
                           enable_double_rr=p["enable_double_rr"], add_username=p["add_username"],
                           ignore_sips=p["ignore_sips"])


def _conf() -> RRConfig:
    return _cfg["cfg"]


@module.provides_api
def rr_api(env: Any) -> RRApi:
    """``env.api("rr")``: fix_record_route() for senders that know the outgoing socket."""
    return RRApi(_conf)


@module.function("loose_route", routes=RouteType.REQUEST,
                 doc="Route by the Route set: 1 routed, -1 no Route/error, -3 preloaded to us only.")
def w_loose_route(ctx: Any) -> int:
    # (_cfg read directly, not through _conf(): this runs for every request)
    return loose.loose_route(ctx, _cfg["cfg"].enable_double_rr)


def _check_mode(args: list, env: Any) -> None:
    lit = args[0].literal
    if lit is not None and not 0 <= int(lit) <= 3:
        raise FixupError(f"loose_route_mode(): mode {lit} is not 0..3")


@module.function("loose_route_mode", Arg.IGP, routes=RouteType.REQUEST, fixup=_check_mode,
                 doc="loose_route() with mode bits: 1 = loose routing only (no strict-route check).")
def w_loose_route_mode(ctx: Any, mode: int) -> int:
    return loose.loose_route(ctx, _conf().enable_double_rr, mode)


@module.function("loose_route_preloaded", routes=RouteType.REQUEST,
                 doc="1 when a preloaded Route set was processed, -1 otherwise.")
def w_loose_route_preloaded(ctx: Any) -> int:
    msg = ctx.msg
    if msg.to is not None and msg.to.tag:
        return -1
    rc = loose.loose_route(ctx, _conf().enable_double_rr)
    return 1 if rc in (loose.RR_DRIVEN, loose.RR_PRELOADED) else -1


@module.function("record_route", Arg.SPVE, routes=_REC_ROUTES, optional=1,
                 doc="Insert our Record-Route (two when sockets differ); optional ';params'.")
def w_record_route(ctx: Any, params: str = "") -> int:
    return record.record_route(ctx, _cfg["cfg"], params or "")


@module.function("record_route_preset", Arg.SPVE, Arg.SPVE, routes=_REC_ROUTES, optional=1,
                 doc="Insert Record-Route(s) with the given 'host:port;params' text(s).")
def w_record_route_preset(ctx: Any, address: str, address2: str | None = None) -> int:
    return record.record_route_preset(ctx, _conf(), address, address2)


@module.function("remove_record_route", routes=RouteType.REQUEST | RouteType.FAILURE,
                 doc="Undo record_route() for this message.")
def w_remove_record_route(ctx: Any) -> int:
    state = rr_state(ctx.msg)
    if state["added"]:
        prepend_record_routes(ctx.msg, [], replace_top=state["added"])
    set_rr_state(ctx.msg, added=0, parts=[], params="")
    return 1


@module.function("add_rr_param", Arg.SPVE, routes=_REC_ROUTES,
                 doc="Add ';name=value' to our Record-Route, before or after record_route().")
def w_add_rr_param(ctx: Any, param: str) -> int:
    return record.add_rr_param(ctx, _conf(), param)


@module.function("check_route_param", Arg.REGEX, routes=RouteType.REQUEST,
                 doc="After loose_route(): 1 when our Route's parameters match the regex.")
def w_check_route_param(ctx: Any, pattern: Any) -> int:
    return loose.check_route_param(ctx, pattern)


def _check_direction(args: list, env: Any) -> None:
    lit = args[0].literal
    if lit is not None and str(lit).lower() not in ("downstream", "upstream"):
        raise FixupError(f"is_direction(): {lit!r} is neither 'downstream' nor 'upstream'")


@module.function("is_direction", Arg.STR, routes=RouteType.REQUEST, fixup=_check_direction,
                 doc="After loose_route(): 1 when the request flows in the given direction.")
def w_is_direction(ctx: Any, direction: str) -> int:
    if direction.lower() not in ("downstream", "upstream"):
        return -1
    return loose.is_direction(ctx, direction)


@hookimpl
def siprouter_module() -> Module:
    return module
