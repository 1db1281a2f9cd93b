"""JSON-RPC 2.0 protocol and method registry, without sockets."""
from __future__ import annotations

import asyncio
import json

import pytest

from rpc_testkit import make_env
from siprouter.core.errors import StartupError
from siprouter.core.modsys import Module
from siprouter.core.rpc import (INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND,
                                PARSE_ERROR, SERVER_ERROR, build_registry, exported_name)
from siprouter.core.rpc.protocol import handle_line


@pytest.fixture
def reg():
    return build_registry(make_env())


def ask(reg, payload) -> object:
    line = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    out = asyncio.run(handle_line(reg, line + b"\n"))
    if out is None:
        return None
    assert out.endswith(b"\n") and out.count(b"\n") == 1, out
    return json.loads(out)


def call(reg, method, params=None, id_=1):
    req = {"jsonrpc": "2.0", "method": method, "id": id_}
    if params is not None:
        req["params"] = params
    return ask(reg, req)


def error_of(answer) -> tuple[int, str]:
    assert "result" not in answer, answer
    return answer["error"]["code"], answer["error"]["message"]


# -- success -----------------------------------------------------------------------------------

def test_positional_and_default_params(reg):
    assert call(reg, "demo.add", [2, 3]) == {"jsonrpc": "2.0", "result": 5, "id": 1}
    assert call(reg, "demo.add", [2])["result"] == 3


def test_named_params(reg):
    assert call(reg, "demo.kw", {"key": "a", "value": 4})["result"] == {"a": 4}
    assert call(reg, "demo.add", {"a": 1, "b": 10})["result"] == 11


def test_id_is_echoed_string_or_null(reg):
    assert call(reg, "demo.add", [1], id_="abc")["id"] == "abc"
    assert call(reg, "demo.add", [1], id_=None)["id"] is None


def test_env_is_injected_when_first_parameter_is_named_env(reg):
    assert call(reg, "demo.whoami")["result"] == "demo"
    assert call(reg, "demo.hit", [5])["result"] == 5
    assert call(reg, "demo.hit")["result"] == 6
    # env is not a client parameter
    code, msg = error_of(call(reg, "demo.hit", [1, 2]))
    assert code == INVALID_PARAMS and "demo.hit(n=1)" in msg


def test_async_method_is_awaited(reg):
    assert call(reg, "demo.sleep", [0])["result"] == "slept"


def test_results_are_made_json(reg):
    res = call(reg, "demo.odd")["result"]
    assert res == {"set": [1, 2, 3], "tuple": [1, "a"], "bytes": "xy", "obj": "object"}


def test_dotted_module_rpc_name_is_verbatim(reg):
    assert call(reg, "core.shadow_free")["result"] == 7
    assert exported_name("htable", "dump") == "htable.dump"
    assert exported_name("kex", "stats.x") == "stats.x"


def test_missing_jsonrpc_member_is_accepted(reg):
    assert ask(reg, {"method": "demo.add", "params": [1, 1], "id": 9})["result"] == 2


# -- errors ------------------------------------------------------------------------------------

def test_unknown_method(reg):
    code, msg = error_of(call(reg, "demo.ad"))
    assert code == METHOD_NOT_FOUND
    assert "unknown method 'demo.ad'" in msg and "did you mean 'demo.add'" in msg


def test_wrong_params(reg):
    code, msg = error_of(call(reg, "demo.add", [1, 2, 3]))
    assert code == INVALID_PARAMS and msg.startswith("invalid params for demo.add(a, b=1):")
    code, msg = error_of(call(reg, "demo.add"))
    assert code == INVALID_PARAMS and "missing a required argument: 'a'" in msg
    code, msg = error_of(call(reg, "demo.kw", {"nokey": 1}))
    assert code == INVALID_PARAMS


def test_exception_in_method_is_internal_error_without_traceback(reg):
    answer = call(reg, "demo.boom")
    code, msg = error_of(answer)
    assert code == INTERNAL_ERROR
    assert msg == "internal error in demo.boom: ZeroDivisionError: division by zero in boom"
    assert "Traceback" not in json.dumps(answer)


def test_value_error_is_a_server_error_with_its_message(reg):
    assert error_of(call(reg, "demo.refuse", ["that"])) == (SERVER_ERROR, "demo.refuse: cannot do that")


def test_rpcerror_keeps_code_and_data(reg):
    err = call(reg, "demo.custom")["error"]
    assert err == {"code": 418, "message": "teapot", "data": {"why": "short and stout"}}


def test_parse_error(reg):
    answer = ask(reg, b'{"method": "demo.add", ')
    assert error_of(answer)[0] == PARSE_ERROR and answer["id"] is None
    assert error_of(ask(reg, b"\xff\xfe"))[0] == PARSE_ERROR


@pytest.mark.parametrize("payload,why", [
    ([1], "a request must be a JSON object"),
    ({"jsonrpc": "1.0", "method": "demo.add", "id": 1}, '"jsonrpc" must be "2.0"'),
    ({"jsonrpc": "2.0", "method": 5, "id": 1}, '"method" must be a non-empty string'),
    ({"jsonrpc": "2.0", "method": "demo.add", "params": 3, "id": 1}, '"params" must be an array'),
    ({"jsonrpc": "2.0", "method": "demo.add", "id": {"x": 1}}, '"id" must be'),
])
def test_invalid_requests(reg, payload, why):
    answer = ask(reg, payload)
    if isinstance(answer, list):
        answer = answer[0]
    code, msg = error_of(answer)
    assert code == INVALID_REQUEST and why in msg


def test_notification_gets_no_answer_but_runs(reg):
    assert ask(reg, {"jsonrpc": "2.0", "method": "demo.hit", "params": [2]}) is None
    assert call(reg, "stats.fetch", ["demo:hits"])["result"] == {"demo.hits": 2}


def test_blank_line_gets_no_answer(reg):
    assert asyncio.run(handle_line(reg, b"  \r\n")) is None


def test_batch(reg):
    answers = ask(reg, [
        {"jsonrpc": "2.0", "method": "demo.add", "params": [1], "id": 1},
        {"jsonrpc": "2.0", "method": "nope", "id": 2},
        {"jsonrpc": "2.0", "method": "demo.hit"},            # notification: no answer
        {"jsonrpc": "2.0", "method": "core.echo", "params": ["x", 1], "id": 3},
    ])
    assert [a["id"] for a in answers] == [1, 2, 3]
    assert answers[0]["result"] == 2 and answers[1]["error"]["code"] == METHOD_NOT_FOUND
    assert answers[2]["result"] == ["x", 1]
    assert error_of(ask(reg, []))[0] == INVALID_REQUEST
    assert ask(reg, [{"jsonrpc": "2.0", "method": "demo.hit"}]) is None


# -- registration ------------------------------------------------------------------------------

def test_duplicate_module_rpc_is_a_startup_error():
    a, b = Module("a"), Module("b")
    a.rpc("core.version")(lambda: "mine")
    b.rpc("x")(lambda: 1)
    b.rpc("x")(lambda: 2)
    with pytest.raises(StartupError) as info:
        build_registry(make_env([a, b]))
    lines = info.value.lines()
    assert any("'core.version' is exported twice (by core and by a)" in ln for ln in lines)
    assert any("'b.x' is exported twice (by b and by b)" in ln for ln in lines)


def test_builtin_methods_are_listed(reg):
    names = call(reg, "system.listMethods")["result"]
    for name in ("core.version", "core.uptime", "core.modules", "core.rpc_list", "core.echo",
                 "stats.get_statistics", "stats.reset_statistics", "stats.fetch",
                 "stats.clear_statistics", "system.methodHelp", "demo.add", "demo.hit"):
        assert name in names
    assert names == sorted(names) == call(reg, "core.rpc_list")["result"]


def test_method_help(reg):
    assert call(reg, "system.methodHelp", ["demo.add"])["result"] == "demo.add(a, b=1): a + b"
    assert call(reg, "system.methodHelp", ["demo.hit"])["result"] == \
        "demo.hit(n=1): Count a hit; returns the new value."
    assert error_of(call(reg, "system.methodHelp", ["zz"]))[0] == METHOD_NOT_FOUND


def test_core_methods(reg):
    import siprouter
    assert call(reg, "core.version")["result"].startswith(f"siprouter {siprouter.__version__} (python ")
    up = call(reg, "core.uptime")["result"]
    assert set(up) == {"now", "up_since", "uptime"} and up["uptime"] >= 0
    assert call(reg, "core.modules")["result"] == [{"name": "demo", "version": "2.5"}]


def test_real_modules_rpcs_register_with_their_conventions():
    """The shipped modules' RPCs (htable takes params, usrloc/async *args, kex...) register."""
    from siprouter.core.config import load_config_text
    from siprouter.core.env import ServerEnv
    from siprouter.core.modsys.loader import resolve_modules
    cfg = load_config_text('loadmodule = ["htable", "usrloc", "sl", "tm", "tmx", "async"]\n'
                           '[core]\nlisten = ["udp:127.0.0.1:5099"]\n')
    modset = resolve_modules(cfg)
    reg = build_registry(ServerEnv(cfg, modset))
    assert {"htable.dump", "htable.listTables", "usrloc.dump", "async.stats"} <= set(reg.names())
    assert error_of(call(reg, "htable.dump", ["zz"])) == (SERVER_ERROR,
                                                          "htable.dump: unknown hash table 'zz'")
