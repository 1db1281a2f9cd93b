"""Per-server state of tmx: the tm API and helpers shared by the function files.

When: ``mod_init`` binds ``tm``; functions and PV getters read it per call.
"""
from __future__ import annotations

from typing import Any

tm: Any = None              # tm's API object (contracts §6)
env: Any = None             # tmx's ModuleEnv
precheck: Any = None        # PrecheckTable when modparam precheck_trans = 1


def is_core_faked(ctx: Any) -> bool:
    """True for a request the core made up (event routes, async *_data tasks).

    Such a message was never received, so no transaction may be created or
    suspended for it (Kamailio issues #1727, #3720).  tm's faked requests for
    failure routes and resumes are *not* core faked: suspending again there
    is allowed.
    """
    msg = getattr(ctx, "msg", None)
    if msg is None or not getattr(msg, "is_request", False):
        return True
    attrs = getattr(msg, "attrs", None) or {}
    return bool(attrs.get("core_faked"))


def call_id_of(ctx: Any) -> str | None:
    try:
        return ctx.msg.call_id
    except Exception:  # noqa: BLE001 — for log lines only
        return None


def log_error(ctx: Any, event: str, **kw: Any) -> None:
    logger = getattr(env, "log", None)
    if logger is not None:
        logger.error(event, call_id=call_id_of(ctx), **kw)
