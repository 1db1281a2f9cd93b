"""Fixtures of the foundation tests (plain helpers live in fdhelpers.py)."""
from __future__ import annotations

import importlib.metadata

import pytest

from fdhelpers import HELLO_SRC


@pytest.fixture
def mods(tmp_path):
    """A fresh mpath folder."""
    return tmp_path / "mods"


@pytest.fixture
def no_entry_points(monkeypatch):
    """Hide installed entry points so only mpath modules are discovered."""
    real = importlib.metadata.entry_points

    def fake(**kw):
        if kw.get("group") == "siprouter.modules":
            return importlib.metadata.EntryPoints(())
        return real(**kw)
    monkeypatch.setattr(importlib.metadata, "entry_points", fake)


@pytest.fixture
def hello_entry_point(monkeypatch):
    """Register the example's entry point (as `pip install` would) for this test."""
    monkeypatch.syspath_prepend(str(HELLO_SRC))
    real = importlib.metadata.entry_points
    ep = importlib.metadata.EntryPoint(name="hello", value="siprouter_hello", group="siprouter.modules")

    def fake(**kw):
        eps = real(**kw)
        if kw.get("group") == "siprouter.modules":
            return importlib.metadata.EntryPoints((ep, *eps))
        return eps
    monkeypatch.setattr(importlib.metadata, "entry_points", fake)
    return ep
