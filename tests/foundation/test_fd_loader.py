"""resolve_modules: discovery (mpath, entry points), pluggy, order, modparams, lifecycle, APIs."""
import importlib.metadata

import pytest

from siprouter.core.config import load_config_text
from siprouter.core.env import ServerEnv
from siprouter.core.errors import ModuleAPIError, StartupError
from siprouter.core.modsys import Module
from siprouter.core.modsys.discovery import discover
from siprouter.core.modsys.loader import resolve_modules

from fdhelpers import write_module


def cfg_for(tmp_path, mods, text):
    mods.mkdir(parents=True, exist_ok=True)
    return load_config_text(f'mpath = ["{mods.name}"]\n' + text, tmp_path / "t.toml")


def resolve(tmp_path, mods, text, **kw):
    return resolve_modules(cfg_for(tmp_path, mods, text), load_core=False, **kw)


def errors(tmp_path, mods, text):
    with pytest.raises(StartupError) as ei:
        resolve(tmp_path, mods, text)
    return ei.value.lines()


# -- discovery --------------------------------------------------------------------------------

def test_mpath_file_and_package_modules(tmp_path, mods, no_entry_points):
    write_module(mods, "one")
    write_module(mods, "two", package=True)
    (mods / "README.txt").write_text("not a module")
    found = discover([mods])
    assert set(found) == {"one", "two"}
    ms = resolve(tmp_path, mods, 'loadmodule = ["two", "one"]\n')
    assert ms.names == ["two", "one"]
    assert ms.origins["one"].endswith("one.py")


def test_only_loadmodule_modules_are_imported(tmp_path, mods, no_entry_points):
    write_module(mods, "good")
    (mods / "bomb.py").write_text("raise RuntimeError('must not be imported')\n")
    assert resolve(tmp_path, mods, 'loadmodule = ["good"]\n').names == ["good"]


def test_package_module_with_relative_import(tmp_path, mods, no_entry_points):
    write_module(mods, "pkg", package=True, body="from .helper import VALUE\nmodule.doc = VALUE\n")
    (mods / "pkg" / "helper.py").write_text("VALUE = 'from helper'\n")
    assert resolve(tmp_path, mods, 'loadmodule = ["pkg"]\n').get("pkg").doc == "from helper"


def test_same_module_name_in_two_folders_two_tests(tmp_path, no_entry_points):
    a, b = tmp_path / "a", tmp_path / "b"
    write_module(a, "dup", doc="A")
    write_module(b, "dup", doc="B")
    assert resolve(tmp_path, a, 'loadmodule = ["dup"]\n').get("dup").doc == "A"
    assert resolve(tmp_path, b, 'loadmodule = ["dup"]\n').get("dup").doc == "B"


def test_entry_point_discovery(tmp_path, mods, monkeypatch):
    write_module(tmp_path / "site", "epmod_xyz", doc="from an entry point")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    real = importlib.metadata.entry_points
    ep = importlib.metadata.EntryPoint(name="epmod", value="epmod_xyz", group="siprouter.modules")

    def fake(**kw):
        if kw.get("group") == "siprouter.modules":
            return importlib.metadata.EntryPoints((ep,))
        return real(**kw)
    monkeypatch.setattr(importlib.metadata, "entry_points", fake)
    # the Module is named "epmod_xyz" in the file; entry point name must match it
    lines = errors(tmp_path, mods, 'loadmodule = ["epmod"]\n')
    assert "declares itself as 'epmod_xyz'" in lines[0]
    ep2 = importlib.metadata.EntryPoint(name="epmod_xyz", value="epmod_xyz", group="siprouter.modules")
    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda **kw: importlib.metadata.EntryPoints((ep2,)) if kw.get("group") ==
                        "siprouter.modules" else real(**kw))
    ms = resolve(tmp_path, mods, 'loadmodule = ["epmod_xyz"]\n')
    assert ms.get("epmod_xyz").doc == "from an entry point"
    assert ms.origins["epmod_xyz"].startswith("entry point epmod_xyz")


def test_real_builtin_entry_points_are_listed():
    eps = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="siprouter.modules")}
    assert eps.get("tm") == "siprouter.modules.tm"
    assert eps.get("async") == "siprouter.modules.async"


def test_mpath_overrides_entry_point(tmp_path, mods, hello_entry_point):
    write_module(mods, "hello", doc="local override")
    assert resolve(tmp_path, mods, 'loadmodule = ["hello"]\n').get("hello").doc == "local override"


# -- module errors ----------------------------------------------------------------------------

def test_unknown_module(tmp_path, mods, no_entry_points):
    write_module(mods, "known")
    lines = errors(tmp_path, mods, 'loadmodule = [\n  "known",\n  "knwon2",\n  "foo",\n]\n')
    assert lines[0].startswith(f"{tmp_path / 't.toml'}:4: unknown module 'knwon2' (not found in "
                               f"entry points or mpath [{mods.resolve()}])")
    assert lines[0].endswith("did you mean 'known'?")
    assert lines[1].startswith(f"{tmp_path / 't.toml'}:5: unknown module 'foo'")


def test_missing_dependency_names_both(tmp_path, mods, no_entry_points):
    write_module(mods, "async", depends=["tm"])
    assert errors(tmp_path, mods, 'loadmodule = ["async"]\n') == [
        f"{tmp_path / 't.toml'}:2: async needs tm, which is not loaded (add 'tm' to loadmodule)"]


def test_dependency_listed_later_is_fine(tmp_path, mods, no_entry_points):
    write_module(mods, "async", depends=["tm"])
    write_module(mods, "tm")
    write_module(mods, "sl")
    assert resolve(tmp_path, mods, 'loadmodule = ["async", "sl", "tm"]\n').names == ["sl", "tm", "async"]


def test_after_and_tie_break_through_loader(tmp_path, mods, no_entry_points):
    write_module(mods, "a", after=["c", "missing"])
    write_module(mods, "b")
    write_module(mods, "c")
    assert resolve(tmp_path, mods, 'loadmodule = ["a", "b", "c"]\n').names == ["b", "c", "a"]


def test_cycle_through_loader(tmp_path, mods, no_entry_points):
    write_module(mods, "a", depends=["b"])
    write_module(mods, "b", depends=["a"])
    lines = errors(tmp_path, mods, 'loadmodule = ["a", "b"]\n')
    assert lines == [f"{tmp_path / 't.toml'}:2: dependency cycle: a -> b -> a"]


def test_duplicate_loadmodule_from_dict(tmp_path, mods, no_entry_points):
    write_module(mods, "a")
    cfg = cfg_for(tmp_path, mods, 'loadmodule = ["a"]\n')
    cfg.loadmodule = ["a", "a"]
    with pytest.raises(StartupError, match="duplicate loadmodule 'a'"):
        resolve_modules(cfg, load_core=False)


def test_core_in_loadmodule_is_an_error(tmp_path, mods, no_entry_points):
    assert "module 'core' is always loaded" in errors(tmp_path, mods, 'loadmodule = ["core"]\n')[0]


@pytest.mark.parametrize("source,fragment", [
    ("raise ImportError('no libfoo')", "module 'bad' failed to import"),
    ("import sys; sys.exit(3)", "failed to import"),
    ("x = 1", "has no siprouter_module() hook"),
    ("from siprouter.core.modsys import hookimpl\n@hookimpl\ndef siprouter_module():\n    return 42\n",
     "must return a Module, got int"),
    ("from siprouter.core.modsys import hookimpl\n@hookimpl\ndef siprouter_module():\n    raise KeyError('x')\n",
     "siprouter_module() failed: KeyError"),
    ("from siprouter.core.modsys import hookimpl, Module\nm = Module('bad')\n"
     "m.param('p', int, default='x')\n@hookimpl\ndef siprouter_module():\n    return m\n",
     "default of parameter 'p' ('x') is invalid"),
    ("from siprouter.core.modsys import hookimpl, Module\nm = Module('bad')\n"
     "@hookimpl\ndef siprouter_module():\n    return m\n@hookimpl\ndef siprouter_modul():\n    pass\n",
     "unknown hook 'siprouter_modul'"),
])
def test_broken_module_files(tmp_path, mods, no_entry_points, source, fragment):
    mods.mkdir(parents=True, exist_ok=True)
    (mods / "bad.py").write_text(source + "\n")
    lines = errors(tmp_path, mods, 'loadmodule = ["bad"]\n')
    assert len(lines) == 1 and fragment in lines[0], lines


def test_broken_module_does_not_cascade(tmp_path, mods, no_entry_points):
    mods.mkdir(parents=True, exist_ok=True)
    (mods / "tm.py").write_text("raise ImportError('broken')\n")
    write_module(mods, "tmx", depends=["tm"])
    lines = errors(tmp_path, mods, 'loadmodule = ["tm", "tmx"]\n[modparam.tm]\nx = 1\n')
    assert len(lines) == 1 and "module 'tm' failed to import" in lines[0], lines


# -- modparams --------------------------------------------------------------------------------

PARAMS = '''
module.param("workers", int, default=1, min=0, max=8)
module.param("name", str, default="x", choices=["x", "y"])
module.param("flag", bool, default=False)
module.param("ratio", float, default=0.5, min=0.0, max=1.0)
module.param("items", list, default=[])
'''


@pytest.fixture
def pmods(mods, no_entry_points):
    write_module(mods, "async", body=PARAMS)
    write_module(mods, "tm", body='module.param("workers", str, default="")')
    write_module(mods, "sl")
    return mods


def test_modparam_defaults_merged(tmp_path, pmods):
    ms = resolve(tmp_path, pmods, 'loadmodule = ["async", "sl"]\n[modparam.async]\nworkers = 3\n'
                                  'flag = 1\nratio = 1\n')
    assert ms.params["async"] == {"workers": 3, "name": "x", "flag": True, "ratio": 1.0, "items": []}
    assert ms.params["sl"] == {}


@pytest.mark.parametrize("body,message", [
    ('workers = "2"', 'modparam async.workers = "2": expected an integer, got a string'),
    ("workers = true", "modparam async.workers = true: expected an integer, got a boolean"),
    ("workers = 2.5", "modparam async.workers = 2.5: expected an integer, got a number"),
    ("workers = 9", "modparam async.workers = 9: above the maximum 8"),
    ("workers = -1", "modparam async.workers = -1: below the minimum 0"),
    ('name = "z"', 'modparam async.name = "z": not one of "x", "y"'),
    ("name = 5", "modparam async.name = 5: expected a string, got an integer"),
    ("flag = 2", "modparam async.flag = 2: expected a boolean (true/false or 0/1), got an integer"),
    ("ratio = 2", "modparam async.ratio = 2: above the maximum 1.0"),
    ('items = "a"', 'modparam async.items = "a": expected a list, got a string'),
    ("workerz = 2", "module 'async' has no parameter 'workerz' (given 2; did you mean 'workers'?)"),
    ("zzz = 2", "module 'async' has no parameter 'zzz' (given 2; known: workers, name, flag, ratio, items)"),
])
def test_modparam_errors(tmp_path, pmods, body, message):
    lines = errors(tmp_path, pmods, f'loadmodule = ["async"]\n[modparam.async]\n{body}\n')
    assert lines == [f"{tmp_path / 't.toml'}:4: {message}"]


def test_modparam_for_module_not_loaded(tmp_path, pmods):
    lines = errors(tmp_path, pmods, 'loadmodule = ["sl"]\n[modparam.tm]\nworkers = "a"\n')
    assert lines == [f"{tmp_path / 't.toml'}:3: modparam for module 'tm', which is not loaded "
                     "(add 'tm' to loadmodule)"]


def test_modparam_for_unknown_module(tmp_path, pmods):
    lines = errors(tmp_path, pmods, 'loadmodule = ["sl"]\n[modparam.tmm]\nworkers = 1\n')
    assert lines == [f"{tmp_path / 't.toml'}:3: modparam for unknown module 'tmm'; did you mean 'tm'?"]


def test_modparam_regex_section(tmp_path, pmods):
    ms = resolve(tmp_path, pmods, 'loadmodule = ["async", "tm"]\n[modparam."ASYNC|t.*"]\n')
    assert set(ms.params) == {"async", "tm"}
    # every matched module must have the parameter, and the type must fit each
    lines = errors(tmp_path, pmods, 'loadmodule = ["async", "tm", "sl"]\n[modparam."async|tm|sl"]\nworkers = 2\n')
    assert lines == [
        f"{tmp_path / 't.toml'}:4: modparam tm.workers = 2: expected a string, got an integer",
        f"{tmp_path / 't.toml'}:4: module 'sl' has no parameter 'workers' (given 2; known: none)"]
    lines = errors(tmp_path, pmods, 'loadmodule = ["sl"]\n[modparam."nothing|none"]\nx = 1\n')
    assert "matches no loaded module" in lines[0]


def test_all_module_errors_reported_together(tmp_path, pmods):
    lines = errors(tmp_path, pmods, 'loadmodule = ["async", "nope"]\n[modparam.async]\nworkers = "x"\n'
                                    'name = "q"\n[modparam.sl]\na = 1\n')
    assert len(lines) == 4


# -- ModuleSet ----------------------------------------------------------------------------------

LIFE = '''
EVENTS = []
module.stat("calls", "test counter")

@module.on_init
def init(env):
    EVENTS.append(("init", module.name, dict(env.params)))

@module.on_child_init
def child(env, rank):
    EVENTS.append(("child", module.name, rank))

@module.on_destroy
def destroy(env):
    EVENTS.append(("destroy", module.name))
'''


def share_events(ms, names, log):
    """Point the EVENTS list of the test modules ``names`` at ``log``."""
    for name in names:
        ms.get(name).init.__globals__["EVENTS"] = log


def module_globals(ms, name):
    return ms.get(name).init.__globals__


def test_lifecycle_order(tmp_path, mods, no_entry_points):
    for name, deps in (("a", ["b"]), ("b", []), ("c", [])):
        write_module(mods, name, depends=deps, body=LIFE)
    cfg = cfg_for(tmp_path, mods, 'loadmodule = ["a", "b", "c"]\n')
    ms = resolve_modules(cfg, load_core=False)
    env = ServerEnv(cfg, ms)
    log = []
    share_events(ms, ms.names, log)
    ms.init_all(env)
    ms.child_init_all(env, 1)
    ms.destroy_all(env)
    assert log == [("init", "b", {}), ("init", "a", {}), ("init", "c", {}),
                   ("child", "b", 1), ("child", "a", 1), ("child", "c", 1),
                   ("destroy", "c"), ("destroy", "a"), ("destroy", "b")]
    assert env.stats.snapshot() == {"a": {"calls": 0}, "b": {"calls": 0}, "c": {"calls": 0}}


@pytest.mark.parametrize("raise_stmt,message", [
    ("raise ModuleInitError('cannot open db')", "module b failed to initialise: cannot open db"),
    ("raise ValueError('bad')", "module b failed to initialise: ValueError: bad"),
])
def test_init_failure_and_cleanup(tmp_path, mods, no_entry_points, raise_stmt, message):
    write_module(mods, "a", body=LIFE)
    write_module(mods, "b", body=f"@module.on_init\ndef init(env):\n    {raise_stmt}\n"
                                  "@module.on_destroy\ndef d(env):\n    raise RuntimeError('x')\n")
    write_module(mods, "c", body=LIFE)
    cfg = cfg_for(tmp_path, mods, 'loadmodule = ["a", "b", "c"]\n')
    ms = resolve_modules(cfg, load_core=False)
    env = ServerEnv(cfg, ms)
    log = []
    share_events(ms, ["a", "c"], log)
    with pytest.raises(StartupError) as ei:
        ms.init_all(env)
    assert str(ei.value) == message
    ms.destroy_all(env)          # b's destroy raises: logged, not raised; c never initialised
    assert log == [("init", "a", {}), ("destroy", "a")]


API = '''
class Api:
    def hello(self):
        return "hi from " + module.name

@module.provides_api
def make_api(env):
    return Api()
'''


def test_api_access_rules(tmp_path, mods, no_entry_points):
    write_module(mods, "tm", body=API)
    write_module(mods, "user", depends=["tm"], body='''
GOT = {}
@module.on_init
def init(env):
    GOT["tm"] = env.api("tm").hello()
''')
    write_module(mods, "soft", after=["tm", "absent"], body='''
GOT = {}
@module.on_init
def init(env):
    GOT["tm"] = env.api("tm").hello()
    try:
        env.api("absent")
    except LookupError as e:
        GOT["absent"] = str(e)
''')
    write_module(mods, "rogue", body='''
GOT = {}
@module.on_init
def init(env):
    try:
        env.api("tm")
    except LookupError as e:
        GOT["err"] = str(e)
''')
    cfg = cfg_for(tmp_path, mods, 'loadmodule = ["user", "soft", "rogue", "tm"]\n')
    ms = resolve_modules(cfg, load_core=False)
    env = ServerEnv(cfg, ms)
    ms.init_all(env)
    assert module_globals(ms, "user")["GOT"] == {"tm": "hi from tm"}
    assert module_globals(ms, "soft")["GOT"] == {
        "tm": "hi from tm", "absent": "module soft asked for the API of absent, which is not loaded"}
    assert module_globals(ms, "rogue")["GOT"] == {
        "err": "module rogue asked for the API of tm without declaring it "
               "(add 'tm' to depends or after of rogue)"}
    assert env.api("tm").hello() == "hi from tm"
    with pytest.raises(ModuleAPIError, match="which provides no API"):
        env.api("user")


def test_api_before_init(tmp_path, mods, no_entry_points):
    write_module(mods, "tm", body=API)
    cfg = cfg_for(tmp_path, mods, 'loadmodule = ["tm"]\n')
    env = ServerEnv(cfg, resolve_modules(cfg, load_core=False))
    with pytest.raises(ModuleAPIError, match="before tm was initialised"):
        env.api("tm")


def test_hooks_resolved_by_priority_then_order(tmp_path, mods, no_entry_points):
    write_module(mods, "a", body='''
@module.hook("reply_in", priority=50)
def a_reply(env, reply):
    return False
@module.hook("request_in")
def a_req(env, req):
    return False
''')
    write_module(mods, "b", body='''
@module.hook("reply_in", priority=10)
def b_reply(env, reply):
    return True
@module.hook("reply_in", priority=50)
def b_reply2(env, reply):
    return True
''')
    cfg = cfg_for(tmp_path, mods, 'loadmodule = ["a", "b"]\n')
    ms = resolve_modules(cfg, load_core=False)
    env = ServerEnv(cfg, ms)
    assert [f.__name__ for f in env.hooks("reply_in")] == ["b_reply", "a_reply", "b_reply2"]
    assert [f.__name__ for f in env.hooks("request_in")] == ["a_req"]
    assert env.hooks("shutdown") == []
    assert isinstance(env.hooks("reply_in"), list)


def test_exports_defines_and_registries(tmp_path, mods, no_entry_points):
    write_module(mods, "a", body='''
@module.function("fa", Arg.INT)
def fa(ctx, n):
    return 1
module.pv("pa", lambda ctx, name: "x")
''')
    write_module(mods, "b", body='''
@module.function("fb", Arg.STR, Arg.SPVE, optional=1, routes=RouteType.REQUEST)
def fb(ctx, s, t=""):
    return 1
''')
    ms = resolve(tmp_path, mods, 'loadmodule = ["b", "a"]\n')
    assert ms.defines == {"MOD_b": "", "MOD_a": ""}
    assert [f.name for f in ms.functions] == ["fb", "fa"]
    assert [p.name for p in ms.pvs] == ["pa"]
    assert ms.function_registry() is not None
    assert ms.pv_registry() is not None
    assert "a" in ms and "zz" not in ms
    assert isinstance(ms.get("a"), Module)


def test_builtin_core_is_loaded_first_when_present(tmp_path, mods, no_entry_points):
    from siprouter.core.modsys import discovery
    try:
        plugin = discovery.load_builtin_core()
    except StartupError:
        pytest.skip("siprouter.core.builtin is being written")
    write_module(mods, "a")
    ms = resolve_modules(cfg_for(tmp_path, mods, 'loadmodule = ["a"]\n'))
    if plugin is None:
        assert ms.names == ["a"]
    else:
        assert ms.names == ["core", "a"]
        assert "MOD_core" in ms.defines


def test_pluggy_lifecycle_events(tmp_path, mods, no_entry_points):
    write_module(mods, "a", body='''
SEEN = []
@hookimpl
def siprouter_server_started(server):
    SEEN.append(("started", server))
@hookimpl
def siprouter_server_stopping(server):
    SEEN.append(("stopping", server))
''')
    write_module(mods, "b")
    ms = resolve(tmp_path, mods, 'loadmodule = ["a", "b"]\n')
    ms.server_started("srv")
    ms.server_stopping("srv")
    seen = ms.plugin_manager.get_plugin("a").SEEN
    assert seen == [("started", "srv"), ("stopping", "srv")]


def test_custom_param_type_checked_with_isinstance(tmp_path, mods, no_entry_points):
    write_module(mods, "ht", body='''
class _Meta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, str) or (isinstance(obj, list) and all(isinstance(i, str) for i in obj))

class str_or_list(metaclass=_Meta):
    pass

module.param("htable", str_or_list, default=[])
''')
    ms = resolve(tmp_path, mods, 'loadmodule = ["ht"]\n[modparam.ht]\nhtable = ["a=>size=4"]\n')
    assert ms.params["ht"]["htable"] == ["a=>size=4"]
    lines = errors(tmp_path, mods, 'loadmodule = ["ht"]\n[modparam.ht]\nhtable = 3\n')
    assert lines == [f"{tmp_path / 't.toml'}:4: modparam ht.htable = 3: expected str_or_list, got an integer"]


def test_every_installed_builtin_module_loads_and_is_named_like_its_entry_point():
    from siprouter.core.modsys.loader import load_plugin_modules
    names = sorted(ep.name for ep in importlib.metadata.entry_points(group="siprouter.modules")
                   if ep.value.startswith("siprouter.modules."))
    assert names, "built-in entry points are not installed (pip install -e .)"
    bad = [(n, why) for n, mod, why in load_plugin_modules(names) if mod is None]
    assert bad == []


def test_hookimpl_with_wrong_arguments(tmp_path, mods, no_entry_points):
    write_module(mods, "bad", body='''
@hookimpl
def siprouter_server_started(server, extra):
    pass
''')
    lines = errors(tmp_path, mods, 'loadmodule = ["bad"]\n')
    assert len(lines) == 1 and "module 'bad'" in lines[0] and "cannot be registered" in lines[0], lines
