"""Fixtures of the checklist tests (helpers live in checklist_harness.py)."""
from __future__ import annotations

import pytest

pytest.importorskip("siprouter.modules.tm")

from checklist_harness import Harness, async_harness  # noqa: E402


@pytest.fixture
def harness(tmp_path):
    """harness(script, **kw) -> an in-process server; closed after the test."""
    yield from async_harness.harness_maker(tmp_path, Harness)
