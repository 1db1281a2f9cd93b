"""Test doubles for usrloc tests (a unique module name: conftest files clash)."""
from __future__ import annotations

from typing import Any

from siprouter.core.env import ManualClock


class FakeModuleEnv:
    """The slice of ModuleEnv usrloc uses: params, call_later, log."""

    def __init__(self, module: Any, clock: ManualClock, **params: Any) -> None:
        self.params = {name: spec.default for name, spec in module.params.items()}
        self.params.update(params)
        self.clock = clock
        self.log = None

    def call_later(self, delay: float, fn: Any, *args: Any) -> Any:
        return self.clock.call_later(delay, fn, *args)
