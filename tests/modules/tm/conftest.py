"""Fixtures for tm's unit tests (the harness lives in tm_harness.py)."""
from tm_harness import TmHarness  # noqa: F401
import pytest


@pytest.fixture
def h() -> TmHarness:
    return TmHarness()
