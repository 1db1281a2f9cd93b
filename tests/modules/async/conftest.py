"""Fixtures: a fake server env with the async module initialised on it."""
from __future__ import annotations

import pytest

from async_fakes import FakeEnv, async_module
from siprouter.core.async_workers import WorkerGroups


@pytest.fixture(autouse=True)
def fake_core_request(monkeypatch):
    """*_data tasks build a core faked request; use a fake message until the SIP layer is in."""
    from async_fakes import FakeMsg
    try:
        from siprouter.core.sip import parse_message  # noqa: F401
    except ImportError:
        monkeypatch.setattr(async_module().task_data, "faked_request",
                            lambda: FakeMsg("OPTIONS", "async-task-data", core_faked=True))


@pytest.fixture
def make_env():
    """make_env(params=..., core=...) -> FakeEnv with async mod_init done; torn down after."""
    made = []

    def make(params=None, core=None, start_workers=True):
        core = core if core is not None else {"async_workers": 2}
        workers = WorkerGroups.from_core(core)
        env = FakeEnv(params=params, core=core, workers=workers)
        if start_workers:
            workers.start()
        mod = async_module()
        mod.mod_init(env)
        made.append((mod, env))
        return env

    yield make
    for mod, env in made:
        mod.destroy(env)
        env.workers.stop(2)
