"""Per-server state of tm shared by the function files: the engine and its API.

When: bound by ``mod_init`` (one server per process), cleared by ``destroy``.
"""
from __future__ import annotations

from typing import Any

core: Any = None     # proxy.TmCore
api: Any = None      # api.TmApi
env: Any = None


def log_warn(event: str, **kw: Any) -> None:
    log = getattr(env, "log", None)
    if log is not None:
        log.warning(event, **kw)
