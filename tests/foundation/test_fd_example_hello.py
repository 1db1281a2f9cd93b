"""The third-party example module (examples/siprouter-hello) loaded like an installed one."""
import tomllib

import pytest

from siprouter.core.config import load_config_text
from siprouter.core.env import ServerEnv
from siprouter.core.errors import StartupError
from siprouter.core.modsys import RouteType
from siprouter.core.modsys.loader import resolve_modules

from fdhelpers import HELLO_SRC


class FakeMsg:
    def __init__(self):
        self.headers = []

    def add_header(self, name, value, *, first=False):
        self.headers.append((name, value))


class FakeCtx:
    def __init__(self, env):
        self.env = env
        self.msg = FakeMsg()


def load(tmp_path, text):
    cfg = load_config_text(text, tmp_path / "t.toml")
    modset = resolve_modules(cfg, load_core=False)
    return cfg, modset, ServerEnv(cfg, modset)


def test_example_distribution_declares_the_entry_point():
    data = tomllib.loads((HELLO_SRC.parent / "pyproject.toml").read_text())
    assert data["project"]["entry-points"]["siprouter.modules"] == {"hello": "siprouter_hello"}


def test_hello_lifecycle_params_stats_pv_function(tmp_path, hello_entry_point):
    cfg, modset, env = load(tmp_path, 'loadmodule = ["hello"]\n[modparam.hello]\n'
                                      'greeting = "Hi"\nmax_name_length = 3\n')
    assert modset.params["hello"] == {"greeting": "Hi", "max_name_length": 3}
    mod = modset.get("hello")
    fn = {f.name: f for f in mod.functions}["hello_world"]
    assert fn.routes == RouteType.REQUEST | RouteType.FAILURE and len(fn.args) == 1
    modset.init_all(env)
    modset.child_init_all(env, 1)
    modset.child_init_all(env, 2)
    state = fn.impl.__globals__["_state"]
    assert state["children"] == [1, 2]
    ctx = FakeCtx(env)
    assert fn.impl(ctx, "alice") == 1
    assert ctx.msg.headers == [("X-Hello", "Hi, ali!")]
    assert env.stats.snapshot("hello") == {"hello": {"greeted": 1}}
    pv = {p.name: p for p in mod.pvs}["hello"]
    assert pv.needs_name and pv.getter(ctx, "bob") == "Hi, bob!"
    assert {r.name: r for r in mod.rpcs}["count"].impl(env) == 1
    modset.destroy_all(env)
    assert state == {}


def test_hello_param_errors(tmp_path, hello_entry_point):
    with pytest.raises(StartupError) as ei:
        load(tmp_path, 'loadmodule = ["hello"]\n[modparam.hello]\nmax_name_length = 0\ngreeting = 1\n')
    assert [l.split(": ", 1)[1] for l in ei.value.lines()] == [
        "modparam hello.max_name_length = 0: below the minimum 1",
        "modparam hello.greeting = 1: expected a string, got an integer"]


def test_hello_init_error(tmp_path, hello_entry_point):
    cfg, modset, env = load(tmp_path, 'loadmodule = ["hello"]\n[modparam.hello]\ngreeting = "  "\n')
    with pytest.raises(StartupError, match="^module hello failed to initialise: greeting must not be empty$"):
        modset.init_all(env)


def test_hello_through_mpath_shim(tmp_path, no_entry_points):
    """An mpath folder entry may re-export a module from elsewhere on sys.path."""
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "hello.py").write_text(f"import sys\nsys.path.insert(0, {str(HELLO_SRC)!r})\n"
                                   "from siprouter_hello import module, siprouter_module  # noqa\n")
    cfg, modset, env = load(tmp_path, 'mpath = ["mods"]\nloadmodule = ["hello"]\n')
    assert modset.names == ["hello"] and modset.params["hello"]["greeting"] == "Hello"
