"""maxfwd: Max-Forwards processing (Kamailio's maxfwd module)."""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import Arg, FixedArg, FixupError, Module, RouteType
from siprouter.modules.maxfwd import processing

module = Module("maxfwd", version="1.0",
                doc="Max-Forwards handling: add, cap and decrement; detect 0 (483).")
module.param("max_limit", int, default=70, min=0, max=255,
             doc="Values above this are lowered to it while decrementing.")

R = RouteType
LT_ROUTES = R.REQUEST | R.FAILURE | R.BRANCH


@module.on_init
def mod_init(env: Any) -> None:
    """Take over the resolved modparams."""
    processing.settings["max_limit"] = int(env.params.get("max_limit", 70))


def _fixup_limit(args: list[FixedArg], env: Any = None) -> None:
    value = args[0].literal if args else None
    if isinstance(value, int) and not 0 <= value <= 255:
        raise FixupError(f"invalid param value: {value} (0..255)")


for _name in ("mf_process_maxfwd_header", "maxfwd_process", "process_maxfwd"):
    module.function(_name, Arg.IGP, routes=R.REQUEST, fixup=_fixup_limit,
                    doc="Add Max-Forwards (2) or decrement it (1); -1 when it is 0, "
                        "-2 on error.")(processing.process_maxfwd)
for _name in ("is_maxfwd_lt", "maxfwd_at_least", "mf_lowlimit"):
    module.function(_name, Arg.IGP, routes=LT_ROUTES, fixup=_fixup_limit,
                    doc="1 when Max-Forwards is below the limit; -1 not, -2 missing, "
                        "-3 unparsable.")(processing.is_maxfwd_lt)


from siprouter.core.modsys import hookimpl  # noqa: E402


@hookimpl
def siprouter_module() -> Module:
    """Register maxfwd with the core."""
    return module
