"""The siprouter command, run as `python -m siprouter` in a subprocess."""
import textwrap
from pathlib import Path

import pytest

import siprouter
from siprouter import cli

from fdhelpers import HELLO_SRC, fake_dist, run_cli, write_config, write_module

REPO = Path(__file__).resolve().parents[2]


def test_version():
    p = run_cli("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"siprouter {siprouter.__version__}"


def test_help_lists_commands():
    p = run_cli("--help")
    assert p.returncode == 0
    for word in ("run", "check", "modules", "-f"):
        assert word in p.stdout


def test_usage_error_exit_2_no_traceback():
    p = run_cli("frobnicate")
    assert p.returncode == 2 and "Traceback" not in p.out and "invalid choice" in p.out


@pytest.fixture
def good(tmp_path):
    mods = tmp_path / "mods"
    write_module(mods, "fa", body='module.param("n", int, default=1, min=0, max=10)\n')
    write_module(mods, "fb", depends=["fa"])
    return write_config(tmp_path, '''
        loadmodule = ["fb", "fa"]
        mpath = ["mods"]
        [core]
        listen = ["udp:127.0.0.1:5060"]
        [modparam.fa]
        n = 3
    ''')


def test_check_ok(good):
    p = run_cli("check", "-f", str(good))
    assert p.returncode == 0, p.out
    assert p.stdout.startswith("config file ok")
    assert p.stderr == ""


def test_check_uses_config_in_current_folder(tmp_path, good):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "siprouter.toml").write_text(good.read_text().replace('"mods"', '"../mods"'))
    p = run_cli("check", cwd=tmp_path)
    assert p.returncode == 0, p.out
    assert "config/siprouter.toml" in p.stdout


def test_without_config_anywhere_no_traceback(tmp_path):
    p = run_cli("check", cwd=tmp_path)
    assert "Traceback" not in p.out
    assert p.returncode in (0, 1, 2)
    if p.returncode == 2:
        assert "no config file" in p.out


def test_top_level_f_before_command(good):
    p = run_cli("-f", str(good), "check")
    assert p.returncode == 0, p.out


def test_run_missing_config_file(tmp_path):
    p = run_cli("-f", str(tmp_path / "nope.toml"))
    assert p.returncode == 1 and "config file not found" in p.out and "Traceback" not in p.out
    p = run_cli("run", "-f", str(tmp_path / "nope.toml"))
    assert p.returncode == 1 and "config file not found" in p.out


BROKEN = {
    "toml-syntax": ('mpath = []\nloadmodule = ["fa" "fb"]\n', ":2: TOML syntax error"),
    "unknown-top-key": ('loadmodules = ["fa"]\n', ":1: unknown top-level key 'loadmodules'"),
    "unknown-core-key": ('[core]\nlisen = []\n', ":2: unknown core parameter 'lisen'; did you mean 'listen'?"),
    "core-type": ('[core]\nasync_workers = "4"\n', ":2: core parameter async_workers: must be an integer"),
    "core-bounds": ('[core]\nmax_while_loops = 0\n', ":2: core parameter max_while_loops: 0 is below the minimum 1"),
    "bad-listen": ('[core]\nlisten = ["udp:1.2.3.4.5:5060"]\n', ":2: core parameter listen: '1.2.3.4.5' is not an IPv4"),
    "bad-group": ('[core]\nasync_workers_group = [{name = "db", workers = 0}]\n',
                  ":2: core parameter async_workers_group: invalid workers value 0"),
    "missing-routes": ('routes = "nope.cfg"\n', ":1: route script 'nope.cfg' not found"),
    "missing-mpath": ('mpath = ["mods", "nowhere"]\n', ":1: mpath folder 'nowhere' does not exist"),
    "unknown-module": ('mpath = ["mods"]\nloadmodule = ["fa", "nosuch"]\n', ":2: unknown module 'nosuch'"),
    "duplicate-module": ('mpath = ["mods"]\nloadmodule = ["fa", "fa"]\n', ":2: duplicate loadmodule 'fa'"),
    "missing-dependency": ('mpath = ["mods"]\nloadmodule = ["fb"]\n', ":2: fb needs fa, which is not loaded"),
    "cycle": ('mpath = ["mods"]\nloadmodule = ["c1", "c2"]\n', ":2: dependency cycle: c1 -> c2 -> c1"),
    "import-error": ('mpath = ["mods"]\nloadmodule = ["broken"]\n',
                     ":2: module 'broken' failed to import"),
    "modparam-type": ('mpath = ["mods"]\nloadmodule = ["fa"]\n[modparam.fa]\nn = "3"\n',
                      ':4: modparam fa.n = "3": expected an integer, got a string'),
    "modparam-bounds": ('mpath = ["mods"]\nloadmodule = ["fa"]\n[modparam.fa]\nn = 11\n',
                        ":4: modparam fa.n = 11: above the maximum 10"),
    "modparam-unknown-param": ('mpath = ["mods"]\nloadmodule = ["fa"]\n[modparam.fa]\nm = 1\n',
                               ":4: module 'fa' has no parameter 'm' (given 1; known: n)"),
    "modparam-not-loaded": ('mpath = ["mods"]\nloadmodule = ["fa"]\n[modparam.fb]\nx = 1\n',
                            ":3: modparam for module 'fb', which is not loaded (add 'fb' to loadmodule)"),
    "modparam-unknown-module": ('mpath = ["mods"]\nloadmodule = ["fa"]\n[modparam.zzz]\nx = 1\n',
                                ":3: modparam for unknown module 'zzz'"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_check_broken_config_one_clear_message(tmp_path, name):
    text, expected = BROKEN[name]
    mods = tmp_path / "mods"
    write_module(mods, "fa", body='module.param("n", int, default=1, min=0, max=10)\n')
    write_module(mods, "fb", depends=["fa"])
    write_module(mods, "c1", depends=["c2"])
    write_module(mods, "c2", after=["c1"])
    (mods / "broken.py").write_text("import no_such_library_anywhere\n")
    cfg = tmp_path / "siprouter.toml"
    cfg.write_text(text)
    p = run_cli("check", "-f", str(cfg))
    assert p.returncode == 1, p.out
    assert "Traceback" not in p.out
    lines = p.stderr.splitlines()
    assert len(lines) == 2, p.out                       # the error + the summary line
    assert lines[0].startswith(str(cfg) + expected), lines[0]
    assert lines[1] == f"bad config file {cfg} (1 error)"
    assert p.stdout == ""


def test_check_reports_every_error(tmp_path):
    mods = tmp_path / "mods"
    write_module(mods, "fa", body='module.param("n", int, default=1)\n')
    cfg = write_config(tmp_path, '''
        mpath = ["mods"]
        loadmodule = ["fa", "nosuch"]
        [modparam.fa]
        n = "x"
        m = 2
    ''')
    p = run_cli("check", "-f", str(cfg))
    assert p.returncode == 1 and "Traceback" not in p.out
    assert p.stderr.splitlines()[-1].endswith("(3 errors)")


def test_check_config_error_stops_before_modules(tmp_path):
    cfg = write_config(tmp_path, 'loadmodule = ["nosuch"]\n[core]\nbogus = 1\n')
    p = run_cli("check", "-f", str(cfg))
    assert p.returncode == 1
    assert "unknown core parameter 'bogus'" in p.stderr and "nosuch" not in p.stderr


def test_check_prints_script_errors_via_route_engine(tmp_path, monkeypatch, good):
    """check_config prints every ScriptError the route engine raises (fake engine here)."""
    import sys
    import types
    (good.parent / "siprouter.cfg").write_text("request_route { nope(); }\n")
    good.write_text(good.read_text().replace('mpath = ["mods"]', 'mpath = ["mods"]\nroutes = "siprouter.cfg"'))
    fake = types.ModuleType("siprouter.core.routing")

    class ScriptError(Exception):
        pass

    class ScriptErrors(Exception):
        def __init__(self, errors):
            super().__init__(errors)
            self.errors = errors
    seen = {}

    def compile_script(path, registry, *, defines, pvs, core_params, env):
        seen.update(path=path, defines=defines, env=env, registry=registry)
        raise ScriptErrors([ScriptError(f"{path}:1:17: unknown function 'nope'"),
                            ScriptError(f"{path}:3:1: another")])
    fake.compile_script, fake.ScriptErrors = compile_script, ScriptErrors
    monkeypatch.setitem(sys.modules, "siprouter.core.routing", fake)
    errors = cli.check_config(good)
    assert errors == [f"{good.parent / 'siprouter.cfg'}:1:17: unknown function 'nope'",
                      f"{good.parent / 'siprouter.cfg'}:3:1: another"]
    assert "MOD_fa" in seen["defines"] and seen["env"].core["listen"] == ["udp:127.0.0.1:5060"]


def test_modules_list_and_describe(tmp_path):
    site = fake_dist(tmp_path / "site", "siprouter-hello", {"hello": "siprouter_hello"})
    p = run_cli("modules", pythonpath=[site, HELLO_SRC])
    line = [l for l in p.stdout.splitlines() if l.startswith("hello ")]
    assert line and "0.1.0" in line[0] and "Example module" in line[0], p.out
    assert "Traceback" not in p.out
    p = run_cli("modules", "hello", pythonpath=[site, HELLO_SRC])
    assert p.returncode == 0, p.out
    out = p.stdout
    assert "hello 0.1.0 - Example module" in out
    assert "greeting: str = \"Hello\"" in out
    assert "max_name_length: int = 64  (1..1024)" in out
    assert "hello_world(spve)  [args: 1; request_route, failure_route]" in out
    assert "$hello(name)  [read-only]" in out
    assert "hello.count" in out and "greeted" in out


def test_modules_unknown_name():
    p = run_cli("modules", "definitely_not_a_module")
    assert p.returncode == 1 and "unknown module 'definitely_not_a_module'" in p.stderr
    assert "Traceback" not in p.out


def test_modules_mpath_option(tmp_path):
    write_module(tmp_path / "m", "localmod", doc="A local module.\nMore text.")
    p = run_cli("modules", "--mpath", str(tmp_path / "m"))
    assert any(l.startswith("localmod") and "A local module." in l for l in p.stdout.splitlines())
    p = run_cli("modules", "localmod", "--mpath", str(tmp_path / "m"))
    assert p.returncode == 0 and "More text." in p.stdout


def test_example_module_through_installed_entry_point(tmp_path):
    site = fake_dist(tmp_path / "site", "siprouter-hello", {"hello": "siprouter_hello"})
    cfg = write_config(tmp_path, '''
        loadmodule = ["hello"]
        [modparam.hello]
        greeting = "Hi"
        max_name_length = 2000
    ''')
    p = run_cli("check", "-f", str(cfg), pythonpath=[site, HELLO_SRC])
    assert p.returncode == 1 and "modparam hello.max_name_length = 2000: above the maximum 1024" in p.out
    cfg.write_text(cfg.read_text().replace("2000", "20"))
    p = run_cli("check", "-f", str(cfg), pythonpath=[site, HELLO_SRC])
    assert p.returncode == 0, p.out


def test_default_config_path_prefers_local(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = cli.default_config_path()
    assert found is None or found.name == "siprouter.toml"
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "siprouter.toml").write_text("")
    assert cli.default_config_path() == Path("config") / "siprouter.toml"


def test_main_in_process_never_raises_for_internal_errors(monkeypatch, capsys):
    def boom(args):
        raise RuntimeError("kaput")
    monkeypatch.setitem(cli.COMMANDS, "check", boom)
    assert cli.main(["check", "-f", "x"]) == 1
    assert "internal error: RuntimeError: kaput" in capsys.readouterr().err


def _have_route_engine():
    import importlib.util
    try:
        return importlib.util.find_spec("siprouter.core.routing.runtime") is not None
    except ImportError:
        return False


@pytest.mark.skipif(not _have_route_engine(), reason="route engine not installed")
def test_check_prints_every_script_error_with_position(tmp_path, good):
    (tmp_path / "siprouter.cfg").write_text(textwrap.dedent('''\
        request_route {
            nope();
            route(MISSING);
        }
    '''))
    good.write_text(good.read_text() + '\n')
    good.write_text('routes = "siprouter.cfg"\n' + good.read_text())
    p = run_cli("check", "-f", str(good))
    assert p.returncode == 1 and "Traceback" not in p.out
    lines = p.stderr.splitlines()
    script = str(tmp_path / "siprouter.cfg")
    assert any(l.startswith(script + ":2:") and "nope" in l for l in lines), p.out
    assert any(l.startswith(script + ":3:") and "MISSING" in l for l in lines), p.out
    assert lines[-1].endswith("(2 errors)")


@pytest.mark.skipif(not _have_route_engine(), reason="route engine not installed")
def test_example_module_route_script_checks(tmp_path):
    site = fake_dist(tmp_path / "site", "siprouter-hello", {"hello": "siprouter_hello"})
    cfg = write_config(tmp_path, '''
        loadmodule = ["hello"]
        routes = "siprouter.cfg"
    ''', routes='request_route {\n    hello_world("bob");\n    exit;\n}\n')
    p = run_cli("check", "-f", str(cfg), pythonpath=[site, HELLO_SRC])
    assert p.returncode == 0, p.out
    (tmp_path / "siprouter.cfg").write_text('onreply_route {\n    hello_world("bob", "x");\n}\n')
    p = run_cli("check", "-f", str(cfg), pythonpath=[site, HELLO_SRC])
    assert p.returncode == 1 and "hello_world" in p.stderr and ":2:" in p.stderr, p.out
