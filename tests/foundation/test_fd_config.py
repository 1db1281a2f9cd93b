"""load_config: TOML, unknown keys with lines, core params, async worker groups."""
import re
import socket
from pathlib import Path

import pytest

from siprouter.core.config import (CORE_PARAMS, Config, ConfigError, load_config,
                                   load_config_text, parse_listen, worker_groups,
                                   core_params_markdown)
from siprouter.core.errors import StartupError

REPO = Path(__file__).resolve().parents[2]


def errors_of(text, path="t.toml"):
    with pytest.raises(ConfigError) as ei:
        load_config_text(text, path)
    return ei.value.lines()


def one_error(text, path="t.toml"):
    lines = errors_of(text, path)
    assert len(lines) == 1, lines
    return lines[0]


def test_empty_config_gets_every_default():
    cfg = load_config_text("")
    assert cfg.loadmodule == [] and cfg.mpath == [] and cfg.routes is None and cfg.modparam == {}
    assert list(cfg.core) == [p.name for p in CORE_PARAMS]
    assert cfg.core["async_workers"] == 0
    assert cfg.core["max_while_loops"] == 100
    assert cfg.core["max_recursive_level"] == 256
    assert cfg.core["log_format"] == "console"


def test_default_config_of_the_project_loads():
    cfg = load_config(REPO / "config" / "siprouter.toml")
    assert "tm" in cfg.loadmodule
    assert cfg.routes == REPO / "config" / "siprouter.cfg"
    assert cfg.modparam["tm"]["fr_timer"] == 30000


def test_config_error_is_a_startup_error():
    assert issubclass(ConfigError, StartupError)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found") as ei:
        load_config(tmp_path / "nope.toml")
    assert str(tmp_path / "nope.toml") in str(ei.value)


@pytest.mark.parametrize("text,line", [
    ("loadmodule = [\"a\"]\n[core\n", 2),
    ("a = 1\nb = \n", 2),
    ("[core]\nlisten = [\"udp:1.2.3.4:5060\"\n", 2),
    ("x = 'unterminated\n", 1),
    ("[core]\nasync_workers = 1\nasync_workers = 2\n", 3),
])
def test_toml_syntax_error_names_the_line(text, line):
    err = one_error(text)
    assert err.startswith(f"t.toml:{line}: TOML syntax error"), err


def test_unknown_top_level_key_with_line():
    assert one_error('loadmodule = []\n\nloadmodules = ["tm"]\n') == \
        "t.toml:3: unknown top-level key 'loadmodules' (known: loadmodule, mpath, routes, core, " \
        "modparam); did you mean 'loadmodule'?"


def test_unknown_core_key_with_line_and_hint():
    err = one_error("[core]\nlisten = []\n# comment\nasync_worker = 2\n")
    assert err == "t.toml:4: unknown core parameter 'async_worker'; did you mean 'async_workers'?"


def test_unknown_key_in_dotted_and_inline_forms():
    lines = errors_of('loadmodule = []\ncore.bogus = 1\n')
    assert lines == ["t.toml:2: unknown core parameter 'bogus'"]
    lines = errors_of('[core]\nasync_workers_group = [\n  { name = "db", workers = 1 },\n'
                      '  { name = "x", workers = 1, colour = "red" },\n]\n')
    assert len(lines) == 1 and lines[0].startswith("t.toml:4: core parameter async_workers_group: "
                                                   "unknown key 'colour' in async_workers_group[1]")


def test_unknown_key_in_array_of_tables():
    lines = errors_of('[[core.async_workers_group]]\nname = "a"\nworkers = 1\n'
                      '[[core.async_workers_group]]\nname = "b"\nworker = 1\n')
    assert lines[0].startswith("t.toml:6: core parameter async_workers_group: unknown key 'worker'")


def test_all_errors_are_reported_not_just_the_first():
    lines = errors_of('foo = 1\n[core]\nasync_workers = "4"\nlog_level = "loud"\nbar = 2\n')
    assert [l.split(":")[1] for l in lines] == ["1", "3", "4", "5"]


@pytest.mark.parametrize("key,value,message", [
    ("async_workers", '"4"', "async_workers: must be an integer, got a string '4'"),
    ("async_workers", "true", "async_workers: must be an integer, got a boolean (true/false) true"),
    ("async_workers", "-1", "async_workers: -1 is below the minimum 0"),
    ("max_message_size", "100", "max_message_size: 100 is below the minimum 1024"),
    ("max_message_size", "999999999", "above the maximum"),
    ("async_nonblock", "1", "async_nonblock: must be a boolean (true/false), got an integer 1"),
    ("log_level", '"loud"', "log_level: 'loud' is not one of 'debug', 'info', 'warning', 'error', 'critical'"),
    ("log_format", '"xml"', "log_format: 'xml' is not one of 'console', 'json'"),
    ("listen", '"udp:1.2.3.4:5060"', "listen: must be a list, got a string"),
    ("listen", "[5060]", "listen: every item must be a string, got an integer 5060"),
    ("alias", '["not a host"]', "alias: 'not a host' is not a host name or address"),
    ("tcp_connection_lifetime", "0", "below the minimum 1"),
])
def test_core_param_validation(key, value, message):
    err = one_error(f"[core]\n{key} = {value}\n")
    assert err.startswith("t.toml:2: core parameter ") and message in err, err


@pytest.mark.parametrize("text,expected", [
    ("udp:127.0.0.1:5060", ("udp", "127.0.0.1", 5060, socket.AF_INET)),
    ("tcp:10.0.0.1:5080", ("tcp", "10.0.0.1", 5080, socket.AF_INET)),
    ("UDP:127.0.0.1", ("udp", "127.0.0.1", 5060, socket.AF_INET)),
    ("udp:[::1]:5070", ("udp", "::1", 5070, socket.AF_INET6)),
    ("tcp:[2001:db8::1]", ("tcp", "2001:db8::1", 5060, socket.AF_INET6)),
    ("udp:127.0.0.1:0", ("udp", "127.0.0.1", 0, socket.AF_INET)),
    ("udp:localhost:5062", ("udp", "127.0.0.1", 5062, socket.AF_INET)),
])
def test_listen_forms(text, expected):
    a = parse_listen(text)
    assert (a.proto, a.ip, a.port, a.af) == expected


def test_listen_advertise():
    a = parse_listen("udp:10.0.0.1:5060 advertise 203.0.113.5:5062")
    assert (a.advertise_host, a.advertise_port) == ("203.0.113.5", 5062)
    assert str(a) == "udp:10.0.0.1:5060 advertise 203.0.113.5:5062"


@pytest.mark.parametrize("text,fragment", [
    ("sctp:1.2.3.4:5060", "unsupported protocol 'sctp'"),
    ("udp:1.2.3:5060", "is not an IPv4 address"),
    ("udp:::1:5060", "brackets"),
    ("udp:[::1", "unclosed"),
    ("udp:[zz::1]:5060", "is not an IPv6 address"),
    ("udp:1.2.3.4:-1", "bad port"),
    ("udp:1.2.3.4:99999", "out of range"),
    ("udp:1.2.3.4:abc", "bad port"),
    ("1.2.3.4", "expected 'proto:ip:port'"),
])
def test_listen_errors(text, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        parse_listen(text)


def test_listen_duplicates_and_line():
    err = one_error('[core]\nlisten = ["udp:127.0.0.1:5060", "udp:127.0.0.1"]\n')
    assert err.startswith("t.toml:2:") and "duplicate listen address" in err


def test_listen_normalised_and_parsed():
    cfg = load_config_text('[core]\nlisten = ["UDP:127.0.0.1", "tcp:[::1]:5061"]\n')
    assert cfg.core["listen"] == ["udp:127.0.0.1:5060", "tcp:[::1]:5061"]
    assert [a.af for a in cfg.listen] == [socket.AF_INET, socket.AF_INET6]


# -- async workers -------------------------------------------------------------------------

def groups(text):
    return {n: (g.workers, g.nonblock, g.usleep) for n, g in load_config_text(text).worker_groups.items()}


def test_no_async_workers_no_groups():
    assert groups("") == {}


def test_async_workers_make_the_default_group():
    assert groups("[core]\nasync_workers = 4\nasync_nonblock = true\nasync_usleep = 10\n") == \
        {"default": (4, True, 10)}


def test_group_order_does_not_matter():
    before = groups('[core]\nasync_workers_group = [{name="abc", workers=2}]\nasync_workers = 4\n')
    after = groups('[core]\nasync_workers = 4\nasync_workers_group = [{name="abc", workers=2}]\n')
    assert before == after == {"default": (4, False, 0), "abc": (2, False, 0)}


def test_group_named_default_replaces_default():
    assert groups('[core]\nasync_workers = 4\nasync_workers_group = '
                  '[{name="Default", workers=2, nonblock=true, usleep=5}]\n') == {"default": (2, True, 5)}


def test_named_group_alone_adds_implicit_default_with_one_worker():
    assert groups('[core]\nasync_workers_group = [{name="db", workers=3}]\n') == \
        {"default": (1, False, 0), "db": (3, False, 0)}


def test_group_names_case_insensitive():
    cfg = load_config_text('[core]\nasync_workers_group = [{name="DB", workers=1}]\n')
    assert "db" in cfg.worker_groups


def test_group_as_array_of_tables():
    cfg = load_config_text('[[core.async_workers_group]]\nname = "db"\nworkers = 2\nnonblock = true\n')
    assert cfg.core["async_workers_group"] == [{"name": "db", "workers": 2, "nonblock": True, "usleep": 0}]


@pytest.mark.parametrize("group,fragment", [
    ('{workers=1}', "needs a name"),
    ('{name="", workers=1}', "needs a name"),
    ('{name="a b", workers=1}', "invalid name value 'a b'"),
    ('{name="db"}', "(db) needs 'workers'"),
    ('{name="db", workers=0}', "invalid workers value 0"),
    ('{name="db", workers="2"}', "workers must be an integer, got a string '2'"),
    ('{name="db", workers=1, nonblock=1}', "nonblock must be a boolean"),
    ('{name="db", workers=1, usleep=-5}', "invalid usleep value -5"),
    ('"name=db;workers=1"', "must be a table"),
])
def test_group_errors(group, fragment):
    err = one_error(f"[core]\nasync_workers_group = [{group}]\n")
    assert err.startswith("t.toml:2: core parameter async_workers_group: ") and fragment in err, err


def test_duplicate_group_names():
    err = one_error('[core]\nasync_workers_group = [{name="db", workers=1}, {name="DB", workers=2}]\n')
    assert "duplicate async worker group 'db'" in err


def test_worker_groups_function_on_plain_dict():
    assert worker_groups({"async_workers": 0, "async_workers_group": []}) == {}


# -- top-level keys -----------------------------------------------------------------------

def test_routes_and_mpath_relative_to_the_file(tmp_path):
    (tmp_path / "mods").mkdir()
    (tmp_path / "r.cfg").write_text("request_route { exit; }\n")
    (tmp_path / "s.toml").write_text('mpath = ["mods"]\nroutes = "r.cfg"\n')
    cfg = load_config(tmp_path / "s.toml")
    assert cfg.mpath == [(tmp_path / "mods").resolve()]
    assert cfg.routes == tmp_path / "r.cfg"


def test_missing_routes_and_mpath(tmp_path):
    (tmp_path / "s.toml").write_text('mpath = ["nope"]\n\nroutes = "missing.cfg"\n')
    with pytest.raises(ConfigError) as ei:
        load_config(tmp_path / "s.toml")
    lines = ei.value.lines()
    assert lines[0].startswith(f"{tmp_path / 's.toml'}:1: mpath folder 'nope' does not exist")
    assert lines[1].startswith(f"{tmp_path / 's.toml'}:3: route script 'missing.cfg' not found")


def test_loadmodule_types_and_duplicates():
    assert one_error('loadmodule = "tm"\n').startswith("t.toml:1: loadmodule must be a list")
    err = one_error('loadmodule = [\n  "sl",\n  "tm",\n  "sl",\n]\n')
    assert err == "t.toml:4: duplicate loadmodule 'sl'"


def test_modparam_tables_kept_for_the_loader():
    cfg = load_config_text('[modparam.tm]\nfr_timer = 1\n[modparam."a|b"]\nx = "y"\n')
    assert cfg.modparam == {"tm": {"fr_timer": 1}, "a|b": {"x": "y"}}
    assert cfg.line_of("modparam", "a|b", "x") == 4
    assert one_error("modparam = 3\n").startswith("t.toml:1: modparam must be tables")
    assert one_error("[modparam]\ntm = 3\n").startswith("t.toml:2: modparam.tm must be a table")


def test_from_dict_validates():
    cfg = Config.from_dict({"loadmodule": ["sl"], "core": {"async_workers": 2}})
    assert cfg.core["async_workers"] == 2
    with pytest.raises(ConfigError, match="unknown core parameter 'nope'"):
        Config.from_dict({"core": {"nope": 1}})


def test_docs_config_md_is_in_sync_with_the_table():
    text = (REPO / "docs" / "config.md").read_text()
    begin, end = "<!-- core-params:begin -->\n", "<!-- core-params:end -->"
    assert begin in text and end in text
    table = text.split(begin, 1)[1].split(end, 1)[0]
    assert table == core_params_markdown(), \
        "docs/config.md is out of date: paste siprouter.core.config.core_params_markdown()"
