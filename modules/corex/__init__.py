"""corex: more core functions (Kamailio's corex module, partial):
append_branch and the internal message flags."""
from __future__ import annotations

from siprouter.core.modsys import Arg, Module, RouteType
from siprouter.modules.corex import functions

module = Module("corex", version="1.0",
                doc="Core extensions: append_branch, msg_iflag_set/reset/is_set.")

R = RouteType
BRANCH_ROUTES = R.REQUEST | R.FAILURE

module.function("append_branch", routes=BRANCH_ROUTES,
                doc="Add the current R-URI as a new branch.")(functions.append_branch)
module.function("append_branch", Arg.SPVE, routes=BRANCH_ROUTES,
                doc="Add a URI as a new branch.")(functions.append_branch)
module.function("append_branch", Arg.SPVE, Arg.SPVE, routes=BRANCH_ROUTES,
                doc="Add a URI with a q value as a new branch.")(functions.append_branch)
module.function("msg_iflag_set", Arg.SPVE, routes=R.ANY,
                doc="Set an internal message flag.")(functions.msg_iflag_set)
module.function("msg_iflag_reset", Arg.SPVE, routes=R.ANY,
                doc="Clear an internal message flag.")(functions.msg_iflag_reset)
module.function("msg_iflag_is_set", Arg.SPVE, routes=R.ANY,
                doc="1 when an internal message flag is set.")(functions.msg_iflag_is_set)


from siprouter.core.modsys import hookimpl  # noqa: E402


@hookimpl
def siprouter_module() -> Module:
    """Register corex with the core."""
    return module
