"""Must-reproduce checklist (spec kamailio-behaviour.md, end): load-time items, through the
real config loader (``build_env``: TOML + route script + real modules) and the real
``siprouter check`` entry point.  Item numbers are in each test's docstring."""
from __future__ import annotations

import threading

import pytest

from checklist_harness import write_config
from siprouter.core.errors import StartupError
from siprouter.core.routing import ScriptErrors
from siprouter.core.server import build_env

OK = "request_route { exit; }\n"


def _build(tmp_path, script=OK, **kw):
    env, modset = build_env(write_config(tmp_path, script, **kw))
    return env, modset


def _errors(tmp_path, script=OK, **kw) -> str:
    with pytest.raises((StartupError, ScriptErrors)) as ei:
        env, modset = _build(tmp_path, script, **kw)
        modset.destroy_all(env)
    return str(ei.value)


# -- item 1 ----------------------------------------------------------------------------
def test_item01_loadmodule_order_drives_start_order(tmp_path):
    """1: without dependencies, modules start in loadmodule order (both orders tried)."""
    for i, mods in enumerate((("sl", "pv", "textops", "maxfwd"), ("maxfwd", "textops", "pv", "sl"))):
        d = tmp_path / str(i)
        d.mkdir()
        env, modset = _build(d, mods=mods)
        assert [m.name for m in modset.ordered if m.name != "core"] == list(mods)
        modset.destroy_all(env)


def test_item01_async_before_tm_starts_after_tm(tmp_path):
    """1 (deliberate deviation): async listed before tm is not an error; the dependency
    order starts tm and tmx first."""
    env, modset = _build(tmp_path, mods=("async", "tmx", "tm", "sl"))
    names = [m.name for m in modset.ordered]
    assert names.index("tm") < names.index("tmx") < names.index("async")
    modset.destroy_all(env)


def test_item01_async_without_tm_fails_startup_naming_tm(tmp_path):
    """1: async without tm fails start-up with a message naming tm."""
    text = _errors(tmp_path, mods=("sl", "async"))
    assert "async needs tm, which is not loaded (add 'tm' to loadmodule)" in text


# -- item 2 ----------------------------------------------------------------------------
def test_item02_modparam_for_a_module_not_loaded_names_it(tmp_path):
    """2: a modparam for a module that is not loaded is a config error naming the module
    (TOML has no statement order; this is Kamailio's 'modparam before loadmodule')."""
    text = _errors(tmp_path, mods=("sl", "tm"), modparam="[modparam.async]\nworkers = 2\n")
    assert "modparam for module 'async', which is not loaded (add 'async' to loadmodule)" in text


def test_item02_module_name_is_an_anchored_case_insensitive_regex(tmp_path):
    """2: the section name is a regex anchored on the whole module name, case-insensitive:
    "t." matches tm but not tmx (tmx has no fr_timer, which would be an error); "TM" is tm."""
    for i, section in enumerate(('"t."', '"TM"', '"tm|sl"')):
        d = tmp_path / str(i)
        d.mkdir()
        mp = f"[modparam.{section}]\nfr_timer = 1234\n"
        if section == '"tm|sl"':
            text = _errors(d, mods=("sl", "tm", "tmx", "async"), modparam=mp)
            assert "module 'sl' has no parameter 'fr_timer'" in text
            continue
        env, modset = _build(d, mods=("sl", "tm", "tmx", "async"), modparam=mp)
        assert modset.params["tm"]["fr_timer"] == 1234
        modset.destroy_all(env)


def test_item02_string_for_an_int_param_is_an_error(tmp_path):
    """2: a string given to an int parameter is an error."""
    text = _errors(tmp_path, mods=("sl", "tm", "tmx", "async"),
                   modparam='[modparam.async]\nworkers = "2"\n')
    assert 'modparam async.workers = "2": expected an integer, got a string' in text


# -- item 3 ----------------------------------------------------------------------------
def test_item03_async_modparam_defaults(tmp_path):
    """3: workers=1, ms_timer=0, return=0 (5.6 profile: there is no `mode` parameter)."""
    env, modset = _build(tmp_path, mods=("sl", "tm", "tmx", "async"))
    assert modset.params["async"] == {"workers": 1, "ms_timer": 0, "return": 0}
    modset.destroy_all(env)


def test_item03_workers_zero_starts_no_timer_threads_one_starts_one(tmp_path):
    """3: workers<=0 starts no timer threads (and workers=N starts N)."""
    for n in (0, 2):
        d = tmp_path / str(n)
        d.mkdir()
        before = set(threading.enumerate())
        env, modset = _build(d, mods=("sl", "tm", "tmx", "async"),
                             modparam=f"[modparam.async]\nworkers = {n}\n")
        new = [t for t in threading.enumerate() if t not in before and t.name.startswith("async-mod")]
        assert len(new) == n
        modset.destroy_all(env)


# -- item 6 ----------------------------------------------------------------------------
def test_item06_non_numeric_literal_fails_at_startup(tmp_path):
    """6: async_sleep("abc") is a start-up error with the position."""
    text = _errors(tmp_path, 'request_route { async_sleep("abc"); exit; }\n',
                   mods=("sl", "tm", "tmx", "async"))
    assert "r.cfg:1:29: parameter must be an integer" in text and '"abc"' in text


# -- item 10 ---------------------------------------------------------------------------
def test_item10_literal_unknown_or_long_route_name_is_a_load_error(tmp_path):
    """10 (deliberate deviation): a *literal* unknown route name, or one of 63+ chars,
    is refused when the script loads (Kamailio: -1 at call time)."""
    text = _errors(tmp_path, 'request_route { async_route("NOPE", "1"); }\n',
                   mods=("sl", "tm", "tmx", "async"))
    assert "r.cfg:1:" in text and "NOPE" in text
    d = tmp_path / "long"
    d.mkdir()
    name = "L" * 63
    text = _errors(d, f'request_route {{ async_route("{name}", "1"); }}\nroute[{name}] {{ exit; }}\n',
                   mods=("sl", "tm", "tmx", "async"))
    assert "r.cfg:1:" in text and "longer than 62" in text


# -- item 23 ---------------------------------------------------------------------------
def test_item23_task_route_without_core_workers_is_a_load_error(tmp_path):
    """23: async_task_route with no core async workers fails at load (literal and dynamic
    route names alike)."""
    for i, arg in enumerate(('"R"', '"$var(r)"')):
        d = tmp_path / str(i)
        d.mkdir()
        text = _errors(d, f'request_route {{ async_task_route({arg}); }}\nroute[R] {{ exit; }}\n',
                       mods=("sl", "tm", "tmx", "pv", "async"))
        assert "async task framework was not initialized - set async_workers in [core]" in text


def test_item23_python_api_call_without_core_workers_returns_error(harness):
    """23: a direct (KEMI-like, fixup-free) call of async_task_route with no core group
    returns -1 at once and leaves no T behind: it never hangs."""
    h = harness("""
request_route { cl_api_task_route("R"); send_reply("480", "rc=$rc"); }
route[R] { send_reply("404", "resumed"); }
""", loadmodule=("sl", "tm", "tmx", "pv", "async", "clprobe"), mpath=True)
    cid, _ = h.request()
    assert h.final(cid) == (480, "rc=-1")
    assert h.env.api("tm").suspended_count() == 0 and h.env.api("tm").table_size() == 0


# -- item 24 ---------------------------------------------------------------------------
def test_item24_unknown_literal_group_is_a_load_error(tmp_path):
    """24: an unknown literal group in async_task_group_route/_data is an error."""
    for i, call in enumerate(('async_task_group_route("R", "nope")',
                              'async_task_group_data("R", "nope", "x")')):
        d = tmp_path / str(i)
        d.mkdir()
        text = _errors(d, f"request_route {{ {call}; exit; }}\nroute[R] {{ exit; }}\n",
                       mods=("sl", "tm", "tmx", "async"), core="async_workers = 1")
        assert "unknown async worker group 'nope'" in text


def test_item24_unknown_dynamic_group_is_minus_one_and_nothing_hangs(harness):
    """24: an unknown group from a PV gives -1 at once; no T is left suspended."""
    h = harness("""
request_route {
    $var(g) = "nope";
    if ($rU == "data") { async_task_group_data("R", "$var(g)", "x"); }
    else { async_task_group_route("R", "$var(g)"); }
    send_reply("480", "rc=$rc");
}
route[R] { send_reply("404", "ran"); }
""", core="async_workers = 1")
    for user in ("route", "data"):
        cid, _ = h.request(user=user)
        assert h.final(cid) == (480, "rc=-1"), user
    assert h.env.api("tm").suspended_count() == 0


# -- item 25 ---------------------------------------------------------------------------
def test_item25_invalid_group_value_is_a_startup_error(tmp_path):
    """25: an invalid async_workers_group value stops the start (Kamailio only logs it)."""
    with pytest.raises(Exception) as ei:
        _build(tmp_path, core='async_workers_group = [{ name = "db", workers = 0 }]')
    assert "invalid workers value 0" in str(ei.value)


def test_item25_group_order_and_default_override(tmp_path):
    """25: the order of async_workers and the groups does not matter; name=default
    replaces the default group."""
    cores = ('async_workers = 4\nasync_workers_group = [{ name = "abc", workers = 2 }]',
             'async_workers_group = [{ name = "abc", workers = 2 }]\nasync_workers = 4',
             'async_workers = 4\nasync_workers_group = [{ name = "DEFAULT", workers = 3 }]')
    seen = []
    for i, core in enumerate(cores):
        d = tmp_path / str(i)
        d.mkdir()
        env, modset = _build(d, mods=("sl",), core=core)
        st = env.workers.stats() if env.workers is not None else {}
        seen.append({k: v.get("workers") for k, v in st.items()})
        modset.destroy_all(env)
    assert seen[0] == seen[1] == {"default": 4, "abc": 2}
    assert seen[2] == {"default": 3}


# -- items 28 / 29 -------------------------------------------------------------------
@pytest.mark.parametrize("script,message", [
    ("request_route { nope(); }\n", "r.cfg:1:17: unknown function (missing loadmodule?): nope"),
    ("request_route { async_sleep(); }\n",
     "r.cfg:1:17: wrong number of parameters (0 given, expected 1): async_sleep"),
    ('request_route { exit; }\nonreply_route[R] { async_sleep("1"); exit; }\n',
     "r.cfg:2:20: function cannot be used in onreply_route[R]: async_sleep"),
    ('request_route { exit; }\nbranch_route[B] { async_route("X", "1"); }\nroute[X] { exit; }\n',
     "r.cfg:2:19: function cannot be used in branch_route[B]: async_route"),
    ('request_route { route(X); }\nroute[X] { t_drop_replies(); }\n',
     "function cannot be used in route[X]: t_drop_replies"),
])
def test_item28_29_function_lookup_errors_name_function_and_block(tmp_path, script, message):
    """28/29: name + arity + route type are checked at load; texts name function and
    block; route[] blocks are checked as request routes; async_* refused in onreply and
    branch routes."""
    text = _errors(tmp_path, script, mods=("sl", "tm", "tmx", "async"))
    assert message in text


# -- item 32 ---------------------------------------------------------------------------
@pytest.mark.parametrize("script,core,message", [
    ("request_route { exit; }\nroute[A] { exit; }\nroute[A] { exit; }\n", "",
     "r.cfg:3:1: duplicate route: route[A]"),
    ("request_route { route(NOPE); }\n", "", "r.cfg:1:17: route not found: NOPE"),
    (OK, "async_worker = 1", "unknown core parameter 'async_worker'"),
])
def test_item32_config_errors(tmp_path, script, core, message):
    """32: duplicate route names, a static route(X) without block X and unknown core
    parameters are config errors."""
    with pytest.raises(Exception) as ei:
        _build(tmp_path, script, mods=("sl",), core=core)
    assert message in str(ei.value)


def test_item32_missing_request_route_is_allowed(harness):
    """32: a script without request_route loads; requests get no answer (drop)."""
    h = harness("route[A] { exit; }\n")
    cid, _ = h.request("MESSAGE")
    assert h.replies(cid) == []


# -- item 35 ---------------------------------------------------------------------------
CHECK_CASES = {
    "literal": ('request_route { async_sleep("abc"); exit; }\n', "", "parameter must be an integer"),
    "route-ref": ("request_route { route(NOPE); }\n", "", "route not found: NOPE"),
    "fixup": ('request_route { async_task_route("R"); }\nroute[R] { exit; }\n', "",
              "async task framework was not initialized"),
    "route-type": ('request_route { exit; }\nonreply_route[R] { async_sleep("1"); exit; }\n', "",
                   "function cannot be used in onreply_route[R]: async_sleep"),
    "unknown-fn": ("request_route { nope(); }\n", "", "unknown function (missing loadmodule?): nope"),
    "dup-route": ("request_route { exit; }\nroute[A] { exit; }\nroute[A] { exit; }\n", "",
                  "duplicate route: route[A]"),
    "core-param": (OK, "async_worker = 1", "unknown core parameter 'async_worker'"),
}


@pytest.mark.parametrize("name", sorted(CHECK_CASES))
def test_item35_check_catches_kamailio_c_errors_and_more(tmp_path, capsys, name):
    """35: `siprouter check` fails (exit 1, one line per error) for what `kamailio -c`
    catches (unknown function, duplicate route, unknown core param) and for what it
    misses (fixup literal, static route reference, async_workers fixup, route type)."""
    from siprouter.cli import main
    script, core, needle = CHECK_CASES[name]
    cfg = write_config(tmp_path, script, mods=("sl", "tm", "tmx", "async"), core=core)
    rc = main(["check", "-f", str(cfg)])
    out = capsys.readouterr()
    assert rc == 1
    assert needle in out.err
    assert "Traceback" not in out.err + out.out


def test_item35_check_catches_missing_dependency_and_passes_good_config(tmp_path, capsys):
    """35: a missing dependency fails check; a good config prints `config file ok`."""
    from siprouter.cli import main
    bad = tmp_path / "bad"
    bad.mkdir()
    assert main(["check", "-f", str(write_config(bad, OK, mods=("sl", "async")))]) == 1
    assert "async needs tm, which is not loaded" in capsys.readouterr().err
    good = tmp_path / "good"
    good.mkdir()
    assert main(["check", "-f", str(write_config(good, OK, mods=("sl", "tm", "tmx", "async")))]) == 0
    assert "config file ok" in capsys.readouterr().out


# -- item 33 ---------------------------------------------------------------------------
def test_item33_tm_defaults_through_the_loader(tmp_path):
    """33: tm defaults as a config without [modparam.tm] gets them (all in ms)."""
    env, modset = _build(tmp_path, mods=("sl", "tm"))
    p = modset.params["tm"]
    assert (p["fr_timer"], p["fr_inv_timer"], p["wt_timer"]) == (30000, 120000, 5000)
    assert (p["retr_timer1"], p["retr_timer2"]) == (500, 4000)
    assert (p["max_inv_lifetime"], p["max_noninv_lifetime"]) == (180000, 32000)
    assert p["auto_inv_100"] == 1 and p["restart_fr_on_each_reply"] == 1
    modset.destroy_all(env)


def test_item03_negative_workers_is_a_config_error(tmp_path):
    """3 (note): Kamailio treats workers<=0 alike; here workers has a minimum of 0, so a
    negative value is refused at load (0 is the way to turn the timers off)."""
    with pytest.raises(Exception) as ei:
        _build(tmp_path, mods=("sl", "tm", "tmx", "async"), modparam="[modparam.async]\nworkers = -1\n")
    assert "modparam async.workers = -1: below the minimum 0" in str(ei.value)
