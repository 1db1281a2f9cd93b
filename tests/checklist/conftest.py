"""Fixtures of the checklist tests (helpers live in checklist_harness.py)."""
from __future__ import annotations

import pytest

pytest.importorskip("siprouter.modules.tm")

from checklist_harness import Harness  # noqa: E402


@pytest.fixture
def harness(tmp_path):
    """harness(script, **kw) -> an in-process server; closed after the test."""
    made = []

    def make(script, **kw):
        d = tmp_path / f"h{len(made)}"
        d.mkdir()
        h = Harness(d, script, **kw)
        made.append(h)
        return h
    yield make
    for h in made:
        h.close()
