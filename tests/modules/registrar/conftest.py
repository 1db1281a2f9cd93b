"""Fixtures for registrar tests: usrloc + registrar initialised on a manual clock."""
from __future__ import annotations

from typing import Any

import pytest

from reg_fakes import RegistrarEnv
from siprouter.core.env import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1000.0)


@pytest.fixture
def start_registrar(clock: ManualClock, monkeypatch: pytest.MonkeyPatch):
    """start_registrar(usrloc={...}, **registrar_modparams) -> RegistrarEnv (env.ul = service)."""
    import siprouter.modules.registrar as reg
    import siprouter.modules.usrloc as ul
    monkeypatch.setattr(ul, "wall_clock", clock.now)

    def start(usrloc: dict[str, Any] | None = None, **params: Any) -> RegistrarEnv:
        ul_env = type("E", (), {})()
        ul_env.params = {n: s.default for n, s in ul.module.params.items()} | (usrloc or {})
        ul_env.call_later = clock.call_later
        ul.mod_init(ul_env)
        ul.child_init(ul_env, 1)
        service = ul.usrloc_api(ul_env)
        env = RegistrarEnv(reg.module, service, **params)
        reg.mod_init(env)
        env.ul = service
        return env

    yield start
    ul.mod_destroy(None)
