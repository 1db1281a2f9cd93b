"""tmx tests reuse the async tests' fakes of tm, the route engine and ServerEnv."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "async"))

from async_fakes import FakeEnv  # noqa: E402

import siprouter.modules.tmx as tmx  # noqa: E402


@pytest.fixture
def tenv():
    env = FakeEnv(params={"precheck_trans": 1})
    tmx.mod_init(env)
    yield env
    tmx.destroy(env)
