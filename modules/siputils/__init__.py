"""siputils: SIP utility tests and R-URI helpers (Kamailio's siputils module, partial)."""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import Arg, Module, RouteType
from siprouter.modules.siputils import checks, uri_ops

module = Module("siputils", version="1.0",
                doc="SIP utilities: has_totag, is_request/is_reply, is_first_hop, R-URI "
                    "parameters, E.164 and number tests, is_user, is_domain_local.")
module.param("e164_max_len", int, default=16, min=3, max=64,
             doc="Maximum length of an E.164 number including the leading '+'.")

R = RouteType
URI_PARAM_ROUTES = R.REQUEST | R.BRANCH | R.FAILURE


@module.on_init
def mod_init(env: Any) -> None:
    """Take over the resolved modparams."""
    uri_ops.settings["e164_max_len"] = int(env.params.get("e164_max_len", 16))


module.function("has_totag", routes=R.ANY,
                doc="1 when the To header has a tag.")(checks.has_totag)
module.function("is_request", routes=R.ANY,
                doc="1 when the message is a request.")(checks.is_request)
module.function("is_reply", routes=R.ANY,
                doc="1 when the message is a reply.")(checks.is_reply)
module.function("is_first_hop", routes=R.ANY,
                doc="1 when the message is at its first hop.")(checks.is_first_hop)
module.function("is_first_hop", Arg.IGP, routes=R.ANY,
                doc="is_first_hop with mode (1: Record-Route host may be a name).")(
    checks.is_first_hop)
module.function("is_user", Arg.SPVE, routes=R.REQUEST | R.LOCAL,
                doc="1 when the authorized credentials' username equals the value.")(
    checks.is_user)
module.function("is_domain_local", Arg.SPVE, routes=R.ANY,
                doc="1 when the domain is a local address or [core] alias.")(
    checks.is_domain_local)
module.function("uri_param", Arg.SPVE, routes=URI_PARAM_ROUTES,
                doc="1 when the R-URI has the parameter without a value.")(uri_ops.uri_param)
module.function("uri_param", Arg.SPVE, Arg.SPVE, routes=URI_PARAM_ROUTES,
                doc="1 when the R-URI has the parameter with this value.")(uri_ops.uri_param)
module.function("uri_param_any", Arg.SPVE, routes=URI_PARAM_ROUTES,
                doc="1 when the R-URI has the parameter, any value.")(uri_ops.uri_param_any)
module.function("uri_param_rm", Arg.SPVE, routes=URI_PARAM_ROUTES,
                doc="Remove a parameter from the R-URI.")(uri_ops.uri_param_rm)
module.function("add_uri_param", Arg.STR, routes=R.REQUEST,
                doc="Append ';param' to the R-URI.")(uri_ops.add_uri_param)
module.function("is_e164", Arg.SPVE, routes=R.REQUEST | R.FAILURE | R.LOCAL,
                doc="1 when the value is an E.164 number.")(uri_ops.is_e164)
module.function("is_uri_user_e164", Arg.SPVE, routes=R.ANY,
                doc="1 when the user part of the URI is an E.164 number.")(
    uri_ops.is_uri_user_e164)
module.function("is_tel_number", Arg.SPVE, routes=R.ANY,
                doc="1 for a telephone number ('+' optional, digits).")(uri_ops.is_tel_number)
module.function("is_numeric", Arg.SPVE, routes=R.ANY,
                doc="1 for digits only.")(uri_ops.is_numeric)
module.function("is_alphanum", Arg.SPVE, routes=R.ANY,
                doc="1 for ASCII letters and digits only.")(uri_ops.is_alphanum)


from siprouter.core.modsys import hookimpl  # noqa: E402


@hookimpl
def siprouter_module() -> Module:
    """Register siputils with the core."""
    return module
