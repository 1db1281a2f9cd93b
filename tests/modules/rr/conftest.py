"""Fixtures for rr tests: the module's config reset around every test."""
from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def rr_params():
    """rr_params(**modparams): re-run rr's mod_init with these params."""
    import siprouter.modules.rr as rr

    def apply(**params: Any) -> None:
        env = type("E", (), {})()
        env.params = {n: s.default for n, s in rr.module.params.items()} | params
        rr.mod_init(env)

    apply()
    yield apply
    apply()
