"""Where the async module keeps its per-server state, and how fixups read config.

When: ``mod_init`` stores the :class:`~.engine.AsyncEngine` here; route functions
read it on every call; ``destroy`` clears it.  Fixups run before ``mod_init``
(while the script compiles), so they read the module parameters and the core
worker groups straight from the configuration through :func:`module_params`
and :func:`core_groups`.
"""
from __future__ import annotations

from typing import Any


DEFAULTS = {"workers": 1, "ms_timer": 0, "return": 0}

engine: Any = None          # AsyncEngine while the server runs


def module_params(env: Any) -> dict[str, Any]:
    """The async modparams, with defaults, from whatever view of the config ``env`` offers."""
    out = dict(DEFAULTS)
    if env is None:
        return out
    params = getattr(env, "params", None)
    if isinstance(params, dict) and ("workers" in params or "ms_timer" in params):
        out.update(params)
        return out
    modset = getattr(env, "modset", None)
    mp = getattr(modset, "params", None)
    if isinstance(mp, dict) and isinstance(mp.get("async"), dict):
        out.update(mp["async"])
        return out
    cfg = getattr(env, "cfg", None) or getattr(env, "config", None)
    raw = getattr(cfg, "modparam", None)
    if isinstance(raw, dict) and isinstance(raw.get("async"), dict):
        out.update(raw["async"])
    return out


def core_groups(env: Any) -> set[str] | None:
    """Configured core worker groups, or None when it cannot be known (no env)."""
    if env is None:
        return None
    workers = getattr(env, "workers", None)
    if workers is not None and hasattr(workers, "names"):
        return {n for n in workers.names() if workers.has_group(n)}
    core = getattr(env, "core", None)
    if not isinstance(core, dict):
        return None
    try:
        from siprouter.core.config import worker_groups   # one place resolves groups
        return set(worker_groups(core))
    except Exception:  # noqa: BLE001 — the core reports config errors itself
        return None
