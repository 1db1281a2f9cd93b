"""Helpers for the RPC tests: a tiny in-test module, a ServerEnv, an RPC server on its own loop."""
from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from siprouter.core.config import load_config_text
from siprouter.core.env import ServerEnv
from siprouter.core.modsys import Module
from siprouter.core.modsys.loader import ModuleSet
from siprouter.core.rpc import RPCError, start_rpc_server

REPO = Path(__file__).resolve().parents[2]


def demo_module(name: str = "demo") -> Module:
    """A module declaring two stats and RPCs of every calling style."""
    mod = Module(name, version="2.5", doc="RPC test module.")
    mod.stat("hits", "calls of demo.hit")
    mod.stat("misses", "never incremented")

    @mod.rpc("hit", doc="Count a hit; returns the new value.")
    def hit(env, n: int = 1) -> int:
        return env.stat_inc("hits", n)

    @mod.rpc("add")
    def add(a, b=1):
        """a + b"""
        return a + b

    @mod.rpc("kw")
    def kw(*, key: str, value: int = 0) -> dict:
        return {key: value}

    @mod.rpc("sleep")
    async def sleep(seconds: float = 0.01) -> str:
        await asyncio.sleep(seconds)
        return "slept"

    @mod.rpc("boom")
    def boom() -> None:
        raise ZeroDivisionError("division by zero in boom")

    @mod.rpc("refuse")
    def refuse(what: str) -> None:
        raise ValueError(f"cannot do {what}")

    @mod.rpc("custom")
    def custom() -> None:
        raise RPCError("teapot", code=418, data={"why": "short and stout"})

    @mod.rpc("odd")
    def odd() -> Any:
        return {"set": {3, 1, 2}, "tuple": (1, "a"), "bytes": b"xy", "obj": object.__name__}

    @mod.rpc("whoami")
    def whoami(env) -> str:
        return env.module

    @mod.rpc("core.shadow_free", doc="a dotted name is exported verbatim")
    def dotted() -> int:
        return 7

    return mod


def make_env(modules: list[Module] | None = None, core: str = 'listen = ["udp:127.0.0.1:5099"]') -> ServerEnv:
    """A ServerEnv over ``modules`` (default: the demo module) with their stats declared."""
    mods = [demo_module()] if modules is None else modules
    modset = ModuleSet(list(mods), {m.name: {} for m in mods})
    cfg = load_config_text("[core]\n" + core + "\n")
    return ServerEnv(cfg, modset)


def short_tmpdir() -> str:
    """A short folder under /tmp (Unix socket paths are limited to 107 bytes)."""
    return tempfile.mkdtemp(prefix="rpct", dir="/tmp")


class LoopThread:
    """An asyncio loop in a daemon thread, with an RPC server started on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class RunningRPC:
    """``with RunningRPC(env) as r:`` — an RPC server at ``r.path`` on a loop thread."""

    def __init__(self, env: ServerEnv | None = None, path: str | None = None, **options: Any):
        self.env = env if env is not None else make_env()
        self.dir = short_tmpdir()
        self.path = path or os.path.join(self.dir, "rpc.sock")
        self.options = options
        self.server: Any = None
        self.lt: LoopThread | None = None

    def __enter__(self) -> "RunningRPC":
        self.lt = LoopThread()
        self.env.attach_runtime(loop=self.lt.loop, loop_thread=self.lt.thread.ident)
        try:
            self.server = self.lt.run(start_rpc_server(self.env, self.path, **self.options))
        except BaseException:
            self.lt.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        return self

    def stop(self) -> None:
        if self.server is not None and self.lt is not None:
            self.lt.run(self.server.stop())

    def __exit__(self, *exc: Any) -> None:
        try:
            self.stop()
        finally:
            if self.lt is not None:
                self.lt.close()
            shutil.rmtree(self.dir, ignore_errors=True)


def raw_exchange(path: str, data: bytes, *, lines: int = 1, timeout: float = 5.0) -> list[bytes]:
    """Send raw bytes on one connection and read ``lines`` answer lines (fewer on EOF)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(data)
        buf = b""
        while buf.count(b"\n") < lines:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    return [ln for ln in buf.split(b"\n") if ln]


def run_cli(*args: str, cwd: Path | str | None = None, timeout: float = 30.0) -> subprocess.CompletedProcess:
    """``python -m siprouter ARGS`` (stdout/stderr as text)."""
    env = dict(os.environ)
    env.pop("SIPROUTER_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "siprouter", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd or REPO, env=env)


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for UDP and TCP on ``host`` right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((host, 0))
            port = u.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    t.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")
