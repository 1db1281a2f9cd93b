"""kex: Kamailio core extensions (destination URI, is_myself, pv_printf).

The flag functions Kamailio keeps in kex (setbflag, isbflagset, setsflag ...)
are provided by siprouter's always-loaded ``core`` function set, so kex does
not export them again (a second export would shadow the core one).
"""
from __future__ import annotations

from siprouter.core.modsys import Arg, Module, RouteType
from siprouter.modules.kex import functions

module = Module("kex", version="1.0",
                doc="Core extensions: setdsturi/resetdsturi/isdsturiset, is_myself, "
                    "is_myhost, pv_printf/avp_printf.")

ANY = RouteType.ANY

module.function("isdsturiset", routes=ANY,
                doc="1 when the destination URI is set.")(functions.isdsturiset)
module.function("setdsturi", Arg.SPVE, routes=ANY,
                doc="Set the destination URI; -1 for an empty or invalid URI.")(
    functions.setdsturi)
module.function("resetdsturi", routes=ANY,
                doc="Clear the destination URI.")(functions.resetdsturi)
module.function("is_myself", Arg.SPVE, routes=ANY,
                doc="1 when the URI or host is a local address or alias.")(functions.is_myself)
module.function("is_myhost", Arg.SPVE, routes=ANY,
                doc="1 when the URI host is local (port ignored).")(functions.is_myhost)
for _name in ("pv_printf", "avp_printf"):
    module.function(_name, Arg.PVREF, Arg.SPVE, routes=ANY,
                    doc="Assign the formatted text to a pseudo-variable.")(functions.pv_printf)


from siprouter.core.modsys import hookimpl  # noqa: E402


@hookimpl
def siprouter_module() -> Module:
    """Register kex with the core."""
    return module
