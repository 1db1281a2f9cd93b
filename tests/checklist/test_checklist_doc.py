"""docs/kamailio-checklist.md stays honest: every checklist item 1..35 has one table row,
every row names at least one test, and every `path::test_name` it cites exists."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "kamailio-checklist.md"
REF = re.compile(r"`(tests/[\w/.-]+\.py)::(\w+)(?:\[[^\]`]*\])?`")
ROW = re.compile(r"^\|\s*(\d+)\s*\|(.*)\|\s*$")
STATUSES = {"reproduced", "deliberate deviation", "gap"}


def _rows() -> dict[int, list[str]]:
    rows: dict[int, list[str]] = {}
    for line in DOC.read_text().splitlines():
        m = ROW.match(line)
        if m:
            n = int(m.group(1))
            assert n not in rows, f"item {n} has two rows"
            rows[n] = [c.strip() for c in line.strip().strip("|").split("|")]
    return rows


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            names.add(node.name)
    return names


def test_every_item_has_one_row_with_a_status_and_tests():
    rows = _rows()
    assert sorted(rows) == list(range(1, 36))
    for n, cells in rows.items():
        assert len(cells) == 4, (n, cells)
        status = cells[2].strip("* ")
        assert status in STATUSES, (n, status)
        assert REF.search(cells[3]), f"item {n} cites no test"


def test_every_cited_test_exists():
    refs = REF.findall(DOC.read_text())
    assert len(refs) >= 35
    missing = []
    cache: dict[str, set[str]] = {}
    for path, name in refs:
        f = ROOT / path
        if not f.is_file():
            missing.append(f"{path} (no such file)")
            continue
        names = cache.setdefault(path, _test_names(f))
        if name not in names:
            missing.append(f"{path}::{name}")
    assert not missing, missing


def test_every_checklist_test_is_cited():
    """Each test_checklist_* test (besides this file's) appears in the document."""
    text = DOC.read_text()
    here = Path(__file__).parent
    uncited = []
    for f in sorted(here.glob("test_checklist_*.py")):
        if f.name == Path(__file__).name:
            continue
        rel = f.relative_to(ROOT).as_posix()
        for name in sorted(_test_names(f)):
            if f"`{rel}::{name}" not in text:
                uncited.append(f"{rel}::{name}")
    assert not uncited, uncited
