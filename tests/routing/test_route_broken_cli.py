"""The broken scripts of broken/ through `siprouter check`: exact file:line:col, exit 1.

The same expectations as test_route_broken.py, but end to end through the CLI
a user runs (config loading, the real modules, the compiler with every fixup),
so what is promised there is what an admin sees.
"""
from __future__ import annotations

import pytest

from route_helpers import BROKEN_DIR
from siprouter.cli import main

FILES = sorted(BROKEN_DIR.glob("*.cfg"))
MODULES = '["pv", "sl", "tm", "tmx", "async", "maxfwd", "xlog"]'


def _expectations(path) -> list[str]:
    return [line[len("# expect: "):] for line in path.read_text().splitlines()
            if line.startswith("# expect: ")]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_check_cli_reports_exact_positions(path, tmp_path, capsys):
    toml = tmp_path / "broken.toml"
    toml.write_text(f'loadmodule = {MODULES}\nroutes = "{path}"\n\n[core]\nasync_workers = 1\n')
    assert main(["check", "-f", str(toml)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    reported = [line.replace(str(path), path.name, 1) for line in err.splitlines()
                if line.startswith(str(path))]
    assert reported == _expectations(path)
