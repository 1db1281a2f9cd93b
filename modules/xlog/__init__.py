"""xlog: formatted log messages from the route script (Kamailio's xlog module).

The format string is an SPVE argument: the route engine substitutes the
pseudo-variables at call time; xlog writes the result through structlog
(``siprouter.core.log``), bound with ``module=xlog``, ``call_id`` and
``method``, with the Kamailio level name in ``xlog_level``.
"""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import Arg, FixedArg, FixupError, Module, RouteType
from siprouter.modules.xlog.levels import LEVELS, parse_level
from siprouter.modules.xlog.output import emit, log_at

module = Module("xlog", version="1.0",
                doc="xlog/xdbg/xinfo/xnotice/xwarn/xerr/xbug/xcrit/xalert: log "
                    "PV-formatted text through structlog.")

ANY = RouteType.ANY


def _fixup_level(args: list[FixedArg], env: Any = None) -> None:
    """A literal level must name a known level (L_DBG .. L_ALERT)."""
    lvl_arg = args[-2] if len(args) >= 2 else None
    if lvl_arg is not None and lvl_arg.literal is not None:
        try:
            parse_level(lvl_arg.literal)
        except ValueError as exc:
            raise FixupError(str(exc)) from None


def _fixed(level: int, doc: str):
    def impl(ctx: Any, text: str) -> int:
        return emit(ctx, level, text)
    impl.__doc__ = doc
    return impl


def xlog_1(ctx: Any, text: str) -> int:
    """xlog(format): log at L_ERR."""
    return emit(ctx, LEVELS["L_ERR"], text)


def xlog_2(ctx: Any, level: str | int, text: str) -> int:
    """xlog(level, format); -1 for a run-time level that is not valid."""
    return log_at(ctx, level, text)


def xlog_3(ctx: Any, facility: str, level: str | int, text: str) -> int:
    """xlog(facility, level, format); the facility is recorded as a field."""
    return log_at(ctx, level, text, facility=facility)


module.function("xlog", Arg.SPVE, routes=ANY, doc="Log the formatted text at L_ERR.")(xlog_1)
module.function("xlog", Arg.ANY, Arg.SPVE, routes=ANY, fixup=_fixup_level,
                doc="Log the formatted text at the given level (name or int PV).")(xlog_2)
module.function("xlog", Arg.STR, Arg.ANY, Arg.SPVE, routes=ANY, fixup=_fixup_level,
                doc="Log with a syslog facility name (kept as a field).")(xlog_3)
for _fname, _level in (("xdbg", "L_DBG"), ("xinfo", "L_INFO"), ("xnotice", "L_NOTICE"),
                       ("xwarn", "L_WARN"), ("xerr", "L_ERR"), ("xbug", "L_BUG"),
                       ("xcrit", "L_CRIT2"), ("xalert", "L_ALERT")):
    module.function(_fname, Arg.SPVE, routes=ANY,
                    doc=f"Log the formatted text at {_level}; returns 1.")(
        _fixed(LEVELS[_level], f"{_fname}(format): log at {_level}."))


from siprouter.core.modsys import hookimpl  # noqa: E402


@hookimpl
def siprouter_module() -> Module:
    """Register xlog with the core."""
    return module
