"""Resumes run on worker threads and cancel tm timers there (t_continue stops the blind
branch's fr timer): ``env.call_later`` handles must be cancellable from any thread.

Runs in a subprocess because the failure mode is a SIGSEGV inside uvloop.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CODE = textwrap.dedent('''
    import asyncio, tempfile, threading, time
    from pathlib import Path
    try:
        import uvloop
        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    from siprouter.core.config import load_config
    from siprouter.core.env import ServerEnv
    d = Path(tempfile.mkdtemp())
    (d / "s.toml").write_text('loadmodule = []\\n[core]\\nlisten = ["udp:127.0.0.1:5060"]\\n')
    env = ServerEnv(load_config(d / "s.toml"))
    ready = threading.Event()
    def attach():
        env.attach_runtime(loop=loop)
        ready.set()
    loop.call_soon(attach)
    threading.Thread(target=loop.run_forever, daemon=True).start()
    ready.wait(2)
    def busy():                      # the loop keeps arming and firing its own timers
        for i in range(50):
            env.call_later(0.001 * i, lambda: None)
    def worker():
        for _ in range(5000):
            h = env.call_later(5, lambda: None)      # armed via the loop
            time.sleep(0)
            h.cancel()                              # cancelled from this worker thread
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for _ in range(300):
        loop.call_soon_threadsafe(busy)
        time.sleep(0.002)
    for t in threads:
        t.join()
    print("ok")
''')


@pytest.mark.slow
def test_env_timers_can_be_cancelled_from_worker_threads():
    cp = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert cp.returncode == 0 and "ok" in cp.stdout, (cp.returncode, cp.stderr[-2000:])
