"""sanity: RFC syntax checks on received messages (Kamailio's sanity module).

``sanity_check([msg_checks [, uri_checks]])`` runs the selected checks and,
for a request that fails one, answers it statelessly (400/416/420/505) and
returns 0, which ends the script.  See README.md for the check bits.
"""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import Arg, FixedArg, FixupError, Module, RouteType
from siprouter.modules.sanity import reply, runner
from siprouter.modules.sanity.checks import DEFAULT_SIZES, Settings
from siprouter.modules.sanity.flags import (DEFAULT_CHECKS, DEFAULT_URI_CHECKS, MAX_CHECKS,
                                            URI_MAX_CHECKS)

module = Module("sanity", version="1.0", depends=["sl"],
                doc="Syntax and RFC checks of received messages with stateless error "
                    "replies.")
module.param("default_checks", int, default=DEFAULT_CHECKS, min=1, max=MAX_CHECKS - 1,
             doc="Checks run by sanity_check() without parameters (3047).")
module.param("uri_checks", int, default=DEFAULT_URI_CHECKS, min=1, max=URI_MAX_CHECKS - 1,
             doc="URIs checked by 'parse uris' (7: R-URI, From, To).")
module.param("proxy_require", str, default="",
             doc="Comma-separated option tags accepted in Proxy-Require.")
module.param("autodrop", int, default=1, min=0, max=1,
             doc="1: a failed check returns 0 (script ends); 0: it returns -1.")
module.param("noreply", int, default=0, min=0, max=1,
             doc="1: do not answer, leave it to sanity_reply() or the script.")
module.param("size_checks", int, default=0, min=0, max=1,
             doc="1: run the size checks on every sanity_check().")
for _name, _default in DEFAULT_SIZES.items():
    module.param(_name, int, default=_default, min=0,
                 doc=f"Limit for the {_name[5:]} size check (0 disables it).")

R = RouteType
ROUTES = R.REQUEST | R.ONREPLY


@module.on_init
def mod_init(env: Any) -> None:
    """Resolve modparams and bind the sl API (for its To-tags)."""
    p = env.params
    tags = p.get("proxy_require", "") or ""
    if isinstance(tags, (list, tuple)):
        tags = ",".join(tags)
    runner.settings = Settings(
        default_checks=int(p.get("default_checks", DEFAULT_CHECKS)),
        uri_checks=int(p.get("uri_checks", DEFAULT_URI_CHECKS)),
        proxy_require=tuple(t.strip() for t in tags.split(",") if t.strip()),
        autodrop=int(p.get("autodrop", 1)),
        noreply=int(p.get("noreply", 0)),
        size_checks=int(p.get("size_checks", 0)),
        sizes={name: int(p.get(name, default)) for name, default in DEFAULT_SIZES.items()},
    )
    try:
        reply.sl_api["api"] = env.api("sl")
    except Exception:
        reply.sl_api["api"] = None


def _fixup_masks(args: list[FixedArg], env: Any = None) -> None:
    bounds = ((MAX_CHECKS, "msg checks"), (URI_MAX_CHECKS, "uri checks"))
    for arg, (upper, what) in zip(args, bounds):
        if isinstance(arg.literal, int) and not 1 <= arg.literal < upper:
            raise FixupError(f"{what} parameter ({arg.literal}) outside of valid range "
                             f"<1-{upper - 1}>")


_DOC = ("Run the sanity checks; 1 passed, 0 failed and answered (script ends), "
        "-1 failed with autodrop=0 or bad parameters.")
module.function("sanity_check", routes=ROUTES, doc=_DOC)(runner.sanity_check)
module.function("sanity_check", Arg.IGP, routes=ROUTES, fixup=_fixup_masks,
                doc=_DOC)(runner.sanity_check)
module.function("sanity_check", Arg.IGP, Arg.IGP, routes=ROUTES, fixup=_fixup_masks,
                doc=_DOC)(runner.sanity_check)
module.function("sanity_reply", routes=ROUTES,
                doc="Send the reply a failed sanity_check() recorded (noreply=1).")(
    runner.sanity_reply)


from siprouter.core.modsys import hookimpl  # noqa: E402


@hookimpl
def siprouter_module() -> Module:
    """Register sanity with the core."""
    return module
