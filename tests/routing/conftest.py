"""Fixtures of the route-engine tests (helpers live in route_helpers.py)."""
from __future__ import annotations

import pytest

import siprouter.modules.pv as pvmod
from route_helpers import Harness


@pytest.fixture
def h():
    pvmod.shv_reset()
    from siprouter.core.routing import thread_vars
    thread_vars().clear()
    return Harness()


@pytest.fixture(scope="module")
def h_factory():
    """One harness shared by the examples of a hypothesis test."""
    return Harness()
