"""``$async(data)`` and ``$async(gname)``.

When: read by scripts running on core async workers (``$null`` elsewhere).
"""
from __future__ import annotations

from typing import Any

from siprouter.core.async_workers import current_group

from .module_decl import module
from .task_data import current_data


def _parse_name(text: str) -> str:
    name = text.strip()
    if name not in ("data", "gname"):
        raise ValueError(f"unknown PV async name: {text!r} (data, gname)")
    return name


def _get(ctx: Any, name: str) -> str | None:
    return current_data() if name == "data" else current_group()


module.pv("async", _get, parse_name=_parse_name, needs_name=True,
          doc="$async(data): data string of an async_task_*data task; "
              "$async(gname): name of the worker group running the code.")
