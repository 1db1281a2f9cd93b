"""The RPC server on a real Unix socket, on its own event loop in a thread."""
from __future__ import annotations

import json
import os
import socket
import stat
import threading
import time

import pytest

from rpc_testkit import LoopThread, RunningRPC, make_env, raw_exchange, short_tmpdir
from siprouter.core.errors import StartupError
from siprouter.core.rpc import (INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, RPCClientError,
                                RPCRemoteError, rpc_call, start_rpc_server)
from siprouter.core.rpc.paths import DEFAULT_RPC_SOCKET, socket_path


def test_round_trip_and_module_rpc():
    with RunningRPC() as r:
        assert rpc_call(r.path, "demo.add", [40, 2]) == 42
        assert rpc_call(r.path, "demo.hit", [3]) == 3
        assert rpc_call(r.path, "stats.get_statistics", ["demo:hits"]) == ["demo:hits = 3"]
        assert rpc_call(r.path, "demo.sleep", {"seconds": 0.01}) == "slept"


def test_socket_file_is_private_and_removed_on_stop():
    with RunningRPC() as r:
        st = os.stat(r.path)
        assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
        r.stop()
        assert not os.path.exists(r.path)
        with pytest.raises(RPCClientError, match="no such socket"):
            rpc_call(r.path, "core.version")


def test_several_requests_on_one_connection_answered_in_order():
    with RunningRPC() as r:
        reqs = b"".join(json.dumps({"jsonrpc": "2.0", "method": "demo.add", "params": [i],
                                    "id": i}).encode() + b"\n" for i in range(5))
        answers = [json.loads(a) for a in raw_exchange(r.path, reqs, lines=5)]
        assert [(a["id"], a["result"]) for a in answers] == [(i, i + 1) for i in range(5)]


def test_errors_keep_the_server_and_the_connection_running():
    with RunningRPC() as r:
        data = (b'{"broken json\n'
                b'{"jsonrpc":"2.0","method":"nope","id":1}\n'
                b'{"jsonrpc":"2.0","method":"demo.boom","id":2}\n'
                b'{"jsonrpc":"2.0","method":"demo.add","params":[1],"id":3}\n')
        answers = [json.loads(a) for a in raw_exchange(r.path, data, lines=4)]
        assert answers[0]["error"]["code"] == PARSE_ERROR
        assert answers[1]["error"]["code"] == METHOD_NOT_FOUND
        assert "ZeroDivisionError" in answers[2]["error"]["message"]
        assert "Traceback" not in answers[2]["error"]["message"]
        assert answers[3]["result"] == 2
        assert rpc_call(r.path, "core.echo", ["still", "up"]) == ["still", "up"]


def test_last_line_without_newline_is_answered():
    with RunningRPC() as r:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(r.path)
            s.sendall(b'{"jsonrpc":"2.0","method":"demo.add","params":[5],"id":1}')
            s.shutdown(socket.SHUT_WR)
            assert json.loads(s.recv(65536))["result"] == 6


def test_oversized_request_is_refused_and_connection_closed():
    with RunningRPC(max_request=1024) as r:
        big = json.dumps({"jsonrpc": "2.0", "method": "core.echo", "params": ["x" * 5000],
                          "id": 1}).encode() + b"\n"
        answers = raw_exchange(r.path, big, lines=2)
        assert len(answers) == 1
        err = json.loads(answers[0])["error"]
        assert err["code"] == INVALID_REQUEST and "larger than 1024 bytes" in err["message"]
        assert rpc_call(r.path, "core.echo", ["small"]) == ["small"]      # server still fine


def test_remote_error_in_client():
    with RunningRPC() as r:
        with pytest.raises(RPCRemoteError) as info:
            rpc_call(r.path, "demo.add", [1, 2, 3])
        assert info.value.code == -32602 and "demo.add(a, b=1)" in info.value.message


def test_concurrent_clients():
    with RunningRPC() as r:
        results: list = []

        def worker(i: int) -> None:
            results.append(rpc_call(r.path, "demo.add", [i, 0]))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert sorted(results) == list(range(10))


def test_rpc_impl_runs_on_the_loop_thread():
    env = make_env()
    seen: list = []
    with RunningRPC(env) as r:
        r.server.registry.add("test.thread", lambda: seen.append(threading.get_ident()) or 1)
        assert rpc_call(r.path, "test.thread") == 1
        assert seen == [r.lt.thread.ident]


# -- the socket file --------------------------------------------------------------------------

def test_stale_socket_file_is_replaced():
    d = short_tmpdir()
    path = os.path.join(d, "stale.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.close()                          # the file stays, nobody listens
    with RunningRPC(path=path) as r:
        assert rpc_call(r.path, "core.echo", [1]) == [1]
    os.rmdir(d)


def test_socket_in_use_is_a_startup_error():
    with RunningRPC() as r:
        lt = LoopThread()
        try:
            with pytest.raises(StartupError, match="in use by another running process"):
                lt.run(start_rpc_server(make_env(), r.path))
        finally:
            lt.close()
        assert rpc_call(r.path, "core.echo", ["first"]) == ["first"]   # untouched


def test_path_that_is_not_a_socket_is_a_startup_error(tmp_path):
    d = short_tmpdir()
    path = os.path.join(d, "file")
    open(path, "w").close()
    lt = LoopThread()
    try:
        with pytest.raises(StartupError, match="exists and is not a socket"):
            lt.run(start_rpc_server(make_env(), path))
        with pytest.raises(StartupError, match="cannot listen"):
            lt.run(start_rpc_server(make_env(), os.path.join(d, "no", "such", "dir.sock")))
        with pytest.raises(StartupError, match="path too long"):
            lt.run(start_rpc_server(make_env(), "/tmp/" + "x" * 120))
    finally:
        lt.close()
        os.unlink(path)
        os.rmdir(d)


# -- rpc_socket from the config ------------------------------------------------------------------

def test_socket_path_template():
    assert socket_path(DEFAULT_RPC_SOCKET, 5070) == "/tmp/siprouter-5070.sock"
    assert socket_path("", 5060) is None
    assert socket_path("run/rpc-{port}.sock", 7, "/etc/sr") == "/etc/sr/run/rpc-7.sock"
    with pytest.raises(StartupError, match="only placeholder"):
        socket_path("/tmp/{host}.sock", 5060)
    with pytest.raises(StartupError, match="no known listen port"):
        socket_path("/tmp/{port}.sock", None)


def _start_from_config(core: str):
    env = make_env(core=core)
    lt = LoopThread()
    try:
        return env, lt, lt.run(start_rpc_server(env))
    except BaseException:
        lt.close()
        raise


def test_config_rpc_socket_off():
    env, lt, srv = _start_from_config('listen = ["udp:127.0.0.1:5099"]\nrpc_socket = ""')
    lt.close()
    assert srv is None


def test_config_rpc_socket_with_port():
    d = short_tmpdir()
    env, lt, srv = _start_from_config(f'listen = ["udp:127.0.0.1:5123"]\n'
                                      f'rpc_socket = "{d}/s-{{port}}.sock"')
    try:
        assert srv.path == f"{d}/s-5123.sock"
        assert rpc_call(srv.path, "core.echo", []) == []
    finally:
        lt.run(srv.stop())
        lt.close()
        os.rmdir(d)


def test_explicit_socket_problem_stops_start_default_one_only_warns():
    d = short_tmpdir()
    try:
        with pytest.raises(StartupError, match="cannot listen"):
            _start_from_config(f'listen = ["udp:127.0.0.1:5123"]\nrpc_socket = "{d}/no/x.sock"')
        # the default path in use by another process: warning, the server runs without RPC
        port = 5124
        busy = DEFAULT_RPC_SOCKET.replace("{port}", str(port))
        if os.path.exists(busy):
            pytest.skip(f"{busy} exists on this machine")
        holder = socket.socket(socket.AF_UNIX)
        holder.bind(busy)
        holder.listen(1)
        try:
            env, lt, srv = _start_from_config(f'listen = ["udp:127.0.0.1:{port}"]')
            lt.close()
            assert srv is None
        finally:
            holder.close()
            os.unlink(busy)
    finally:
        os.rmdir(d)


# -- connection limits ----------------------------------------------------------------------------

def test_too_many_clients_get_an_error_line():
    with RunningRPC(max_connections=1) as r:
        with socket.socket(socket.AF_UNIX) as held:
            held.connect(r.path)
            held.sendall(b'{"jsonrpc":"2.0","method":"core.echo","id":1}\n')
            held.settimeout(5)
            assert json.loads(held.recv(65536))["result"] == []     # the first is being served
            [line] = raw_exchange(r.path, b"", lines=1)
            err = json.loads(line)["error"]
            assert err["code"] == INVALID_REQUEST and "too many RPC clients" in err["message"]
        time.sleep(0.1)
        assert rpc_call(r.path, "core.echo", [2]) == [2]


def test_idle_connection_is_closed():
    with RunningRPC(idle_timeout=0.2) as r:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(r.path)
            assert s.recv(100) == b""          # closed by the server after 0.2 s


def test_stop_with_a_connected_idle_client_does_not_hang():
    with RunningRPC() as r:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(r.path)
            s.sendall(b'{"jsonrpc":"2.0","method":"core.echo","id":1}\n')
            s.recv(65536)
            t0 = time.monotonic()
            r.stop()
            assert time.monotonic() - t0 < 3
            assert s.recv(100) == b""
