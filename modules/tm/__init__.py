"""siprouter module ``tm``: transaction management (Kamailio's tm).

RFC 3261 server and client transactions as sans-IO state machines
(:mod:`server_txn`, :mod:`client_txn`), the transaction table
(:mod:`table`), the stateful proxy core with forking and failure routes
(:mod:`proxy`), the script functions (:mod:`functions`) and the API other
modules use, including t_suspend/t_continue (:mod:`api`).
See README.md in this folder for the admin guide.
"""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import hookimpl

from . import functions, runtime  # noqa: F401  (functions registers the route functions)
from .api import TmApi
from .module_decl import module
from .proxy import TmCore


@module.on_init
def mod_init(env: Any) -> None:
    """Build the engine from the modparams."""
    params = env.params if isinstance(getattr(env, "params", None), dict) else {}
    runtime.env = env
    runtime.core = TmCore(env, params)
    runtime.api = TmApi(runtime.core)
    try:
        # optional (after=["rr"]): double Record-Route for the real outgoing socket
        runtime.core.rr = env.api("rr")
    except Exception:
        runtime.core.rr = None


@module.provides_api
def make_api(env: Any) -> TmApi:
    return runtime.api


@module.hook("reply_in", priority=50)
def reply_in(env: Any, reply: Any) -> bool:
    """Replies to tm's branches are tm's; anything else goes on statelessly."""
    core = runtime.core
    return core.reply_in(reply) if core is not None else False


@module.hook("shutdown", priority=200)
def on_shutdown(env: Any) -> None:
    """Answer every pending transaction (503) so nothing is left hanging.

    Priority 200: after the other modules' shutdown hooks (async answers its
    own suspended transactions first); tm is the safety net.
    """
    core = runtime.core
    if core is None:
        return
    size = len(core.table)
    answered = core.shutdown()
    if core.params.get("log_table_at_shutdown", 1) and core.log is not None:
        core.log.info("tm: shutdown", table_size=size, answered_503=answered,
                      table_left=len(core.table))


@module.rpc("stats", doc="tm counters plus the live table size and suspended transactions.")
def rpc_stats(*_args: Any) -> dict:
    core = runtime.core
    if core is None:
        return {}
    out: dict = dict(core.stats.local)
    out["inuse_transactions"] = len(core.table)
    out["active_transactions"] = core.active_count()
    out["suspended_transactions"] = runtime.api.suspended_count()
    return out


@module.rpc("list", doc="tm.list: the live transactions (index, label, method, status, branches).")
def rpc_list(*_args: Any) -> list:
    core = runtime.core
    if core is None:
        return []
    return [{"index": t.index, "label": t.label, "method": t.method, "status": t.status,
             "call_id": t.uas_request.call_id, "branches": len(t.branches),
             "suspend": t.suspend.value, "canceled": t.canceled}
            for t in core.table.snapshot()]


@module.on_destroy
def destroy(env: Any) -> None:
    runtime.core = runtime.api = runtime.env = None


@hookimpl
def siprouter_module():
    return module
