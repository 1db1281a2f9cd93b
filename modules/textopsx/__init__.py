"""textopsx: extra text operations (Kamailio's textopsx module, partial).

``msg_apply_changes`` exists for config compatibility: siprouter applies
message edits at once, so there is nothing left to apply.
"""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import Arg, FixedArg, FixupError, Module, RouteType
from siprouter.modules.textopsx import functions

module = Module("textopsx", version="1.0",
                doc="Extra text operations: msg_apply_changes, remove_body, "
                    "change_reply_status, fnmatch.")

R = RouteType


def _fixup_status(args: list[FixedArg], env: Any = None) -> None:
    code = args[0].literal if args else None
    if isinstance(code, int) and not 100 <= code <= 699:
        raise FixupError(f"wrong status code: {code}")


def _fixup_fnmatch_flags(args: list[FixedArg], env: Any = None) -> None:
    if len(args) > 2 and isinstance(args[2].literal, str) and set(args[2].literal) - {"i"}:
        raise FixupError(f"unknown fnmatch flags {args[2].literal!r} (only 'i')")


module.function("msg_apply_changes", routes=R.REQUEST | R.ONREPLY,
                doc="Apply pending edits (a no-op in siprouter); 1, or -1 when used "
                    "for a request outside request_route.")(functions.msg_apply_changes)
module.function("remove_body", routes=R.ANY,
                doc="Remove the message body; always 1.")(functions.remove_body)
module.function("change_reply_status", Arg.IGP, Arg.SPVE, routes=R.ONREPLY,
                fixup=_fixup_status,
                doc="Change the status code and reason of a received reply.")(
    functions.change_reply_status)
module.function("fnmatch", Arg.SPVE, Arg.SPVE, routes=R.ANY,
                doc="Shell wildcard match of a value against a pattern.")(functions.fnmatch)
module.function("fnmatch", Arg.SPVE, Arg.SPVE, Arg.STR, routes=R.ANY,
                fixup=_fixup_fnmatch_flags,
                doc="Shell wildcard match; flag 'i' ignores case.")(functions.fnmatch)


from siprouter.core.modsys import hookimpl  # noqa: E402


@hookimpl
def siprouter_module() -> Module:
    """Register textopsx with the core."""
    return module
