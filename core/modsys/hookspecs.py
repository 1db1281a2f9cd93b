"""The pluggy hook specifications of siprouter: the plugin author's manual.

pluggy carries discovery and lifecycle events only; per-message work goes
through plain lists resolved at start-up (see ``Module.hook``).

Every module package is a pluggy plugin: it is registered under its module
name and implements at least ``siprouter_module``.
"""
from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "siprouter"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def siprouter_module() -> Any:
    """Runs once when the module is loaded; returns its ``Module`` declaration."""


@hookspec
def siprouter_server_started(server: Any) -> None:
    """Runs after every module initialised and the listeners are open."""


@hookspec
def siprouter_server_stopping(server: Any) -> None:
    """Runs when a graceful stop begins, before ``destroy`` callbacks."""
