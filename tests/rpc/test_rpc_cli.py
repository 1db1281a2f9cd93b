"""``siprouter rpc``: output, exit codes and one-line errors (the CLI runs as a subprocess)."""
from __future__ import annotations

import json
import os
import shutil
import textwrap

import pytest

from rpc_testkit import RunningRPC, make_env, run_cli, short_tmpdir
from siprouter.cli import parse_rpc_param


@pytest.fixture(scope="module")
def rpc():
    with RunningRPC() as r:
        yield r


def one_line_error(p) -> str:
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert p.stdout == ""
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


def test_param_parsing():
    assert parse_rpc_param("12") == 12 and parse_rpc_param("-3") == -3
    assert parse_rpc_param("1.5") == "1.5" and parse_rpc_param("abc") == "abc"
    assert parse_rpc_param("demo:") == "demo:"
    for text in ("1_000", "+5", " 5", "", "-", "٣"):
        assert parse_rpc_param(text) == text


def test_result_printed_as_pretty_json(rpc):
    p = run_cli("rpc", "-s", rpc.path, "stats.fetch", "demo:")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"demo.hits": 0, "demo.misses": 0}
    assert p.stdout == json.dumps({"demo.hits": 0, "demo.misses": 0}, indent=2) + "\n"


def test_int_params_are_ints_others_strings(rpc):
    p = run_cli("rpc", "-s", rpc.path, "core.echo", "5", "-7", "five", "5.0")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == [5, -7, "five", "5.0"]
    p = run_cli("rpc", "-s", rpc.path, "demo.add", "2", "40")
    assert p.returncode == 0 and json.loads(p.stdout) == 42


def test_string_result(rpc):
    p = run_cli("rpc", "-s", rpc.path, "core.version")
    assert p.returncode == 0 and json.loads(p.stdout).startswith("siprouter ")


def test_unknown_method(rpc):
    line = one_line_error(run_cli("rpc", "-s", rpc.path, "core.versoin"))
    assert line.startswith("siprouter rpc: error -32601: unknown method 'core.versoin'")
    assert "did you mean 'core.version'" in line


def test_bad_params(rpc):
    line = one_line_error(run_cli("rpc", "-s", rpc.path, "demo.add"))
    assert line == ("siprouter rpc: error -32602: invalid params for demo.add(a, b=1): "
                    "missing a required argument: 'a'")


def test_method_failure(rpc):
    line = one_line_error(run_cli("rpc", "-s", rpc.path, "demo.boom"))
    assert "internal error in demo.boom: ZeroDivisionError" in line


def test_server_not_running():
    d = short_tmpdir()
    try:
        line = one_line_error(run_cli("rpc", "-s", f"{d}/none.sock", "core.version"))
        assert line == f"siprouter rpc: cannot connect to {d}/none.sock: no such socket " \
                       "(is the server running?)"
    finally:
        os.rmdir(d)


def _write_config(folder: str, core: str) -> str:
    path = os.path.join(folder, "siprouter.toml")
    with open(path, "w") as fh:
        fh.write(textwrap.dedent(core).lstrip())
    return path


def test_socket_from_config_file():
    d = short_tmpdir()
    try:
        cfg = _write_config(d, f'''
            [core]
            listen = ["udp:127.0.0.1:5177"]
            rpc_socket = "{d}/ctl-{{port}}.sock"
        ''')
        with RunningRPC(make_env(), path=f"{d}/ctl-5177.sock"):
            p = run_cli("rpc", "-f", cfg, "core.echo", "hi")
            assert p.returncode == 0, p.stderr
            assert json.loads(p.stdout) == ["hi"]
            p = run_cli("-f", cfg, "rpc", "core.echo", "global-f")
            assert p.returncode == 0 and json.loads(p.stdout) == ["global-f"]
        line = one_line_error(run_cli("rpc", "-f", cfg, "core.echo"))
        assert f"cannot connect to {d}/ctl-5177.sock" in line
    finally:
        shutil.rmtree(d)


def test_relative_socket_is_relative_to_the_config_file():
    d = short_tmpdir()
    try:
        cfg = _write_config(d, '''
            [core]
            listen = ["udp:127.0.0.1:5178"]
            rpc_socket = "r.sock"
        ''')
        with RunningRPC(make_env(), path=f"{d}/r.sock"):
            p = run_cli("rpc", "-f", cfg, "core.echo", "rel", cwd="/")
            assert p.returncode == 0, p.stderr
            assert json.loads(p.stdout) == ["rel"]
    finally:
        shutil.rmtree(d)


def test_rpc_off_in_config_and_bad_config():
    d = short_tmpdir()
    try:
        cfg = _write_config(d, '''
            [core]
            listen = ["udp:127.0.0.1:5179"]
            rpc_socket = ""
        ''')
        line = one_line_error(run_cli("rpc", "-f", cfg, "core.version"))
        assert line == f"siprouter rpc: the RPC interface is off in {cfg} ([core] rpc_socket = \"\")"
        bad = _write_config(d, '''
            [core]
            listen = ["udp:127.0.0.1:5179"]
            rpc_sockett = "x"
        ''')
        line = one_line_error(run_cli("rpc", "-f", bad, "core.version"))
        assert line.startswith(f"{bad}:3: ") and "rpc_sockett" in line
    finally:
        shutil.rmtree(d)


def test_usage_errors_exit_2():
    p = run_cli("rpc")
    assert p.returncode == 2 and "METHOD" in p.stderr and "Traceback" not in p.stderr
    p = run_cli("rpc", "-f", "a.toml", "-s", "b.sock", "core.version")
    assert p.returncode == 2 and "not allowed with" in p.stderr


def test_help_mentions_rpc():
    p = run_cli("--help")
    assert p.returncode == 0 and "rpc" in p.stdout


def test_port_0_needs_an_explicit_socket():
    d = short_tmpdir()
    try:
        cfg = _write_config(d, '''
            [core]
            listen = ["udp:127.0.0.1:0"]
        ''')
        line = one_line_error(run_cli("rpc", "-f", cfg, "core.version"))
        assert "needs {port} but there is no known listen port" in line
    finally:
        shutil.rmtree(d)
