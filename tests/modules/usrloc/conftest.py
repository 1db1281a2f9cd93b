"""Fixtures for usrloc tests: a module env with a manual clock and real modparams."""
from __future__ import annotations

from typing import Any

import pytest

from siprouter.core.env import ManualClock
from ul_fakes import FakeModuleEnv


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1000.0)


@pytest.fixture
def start_usrloc(clock: ManualClock, monkeypatch: pytest.MonkeyPatch):
    """start_usrloc(**modparams) -> UsrlocService, with its clock on the manual clock.

    Wall time and the timer queue are both driven by ``clock.advance()``.
    """
    import siprouter.modules.usrloc as ul
    started = []
    monkeypatch.setattr(ul, "wall_clock", clock.now)

    def start(**params: Any) -> Any:
        env = FakeModuleEnv(ul.module, clock, **params)
        ul.mod_init(env)
        ul.child_init(env, 1)
        service = ul.usrloc_api(env)
        started.append(env)
        return service

    yield start
    ul.mod_destroy(None)
