"""siprouter module ``tmx``: transaction extensions on top of tm.

t_suspend/t_continue for scripts, route-type checks, transactions by Call-ID,
t_precheck_trans, t_flush_flags, t_drop and the $T_* pseudo-variables.
See README.md.
"""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import ModuleInitError, hookimpl

from . import callid_ops, precheck, pvs, route_checks, runtime, suspend_continue  # noqa: F401
from .module_decl import module


@module.on_init
def mod_init(env: Any) -> None:
    """Bind tm's API; set up the precheck table when precheck_trans = 1."""
    try:
        runtime.tm = env.api("tm")
    except Exception as exc:  # noqa: BLE001
        raise ModuleInitError(f"tmx: cannot bind the tm API ({exc}); load tm before tmx") from exc
    runtime.env = env
    params = env.params if isinstance(getattr(env, "params", None), dict) else {}
    runtime.precheck = precheck.PrecheckTable() if int(params.get("precheck_trans", 1)) else None


@module.on_destroy
def destroy(env: Any) -> None:
    runtime.tm = None
    runtime.precheck = None


@hookimpl
def siprouter_module():
    return module
