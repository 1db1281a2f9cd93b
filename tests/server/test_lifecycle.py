"""Server.serve(): listeners, runtime attached, child_init, shutdown hooks, destroy."""
from __future__ import annotations

import asyncio

from server_doubles import make_server
from siprouter.core.server import new_event_loop
from siprouter.core.transport import Transport


class FakeModset:
    def __init__(self):
        self.events = []

    def child_init_all(self, env, rank):
        self.events.append(("child_init", rank))

    def server_started(self, server):
        self.events.append("started")

    def server_stopping(self, server):
        self.events.append("stopping")

    def destroy_all(self, env):
        self.events.append("destroy")


def test_serve_runs_lifecycle_in_order_and_closes_sockets():
    events = []
    srv, env, _ = make_server(hooks={"shutdown": [lambda e: events.append("shutdown")]})
    modset = FakeModset()
    modset.events = events
    srv.modset = modset
    srv.transport = Transport(["udp:127.0.0.1:0", "tcp:127.0.0.1:0"])

    async def main():
        stop = asyncio.Event()
        task = asyncio.ensure_future(srv.serve(stop))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if "started" in events:
                break
        assert env.transport is srv.transport and env.loop is asyncio.get_running_loop()
        assert srv.transport.udp and srv.transport.servers
        stop.set()
        return await asyncio.wait_for(task, 5)

    loop = new_event_loop()
    try:
        assert loop.run_until_complete(main()) == 0
    finally:
        loop.close()
    assert events == [("child_init", 1), "started", "stopping", "shutdown", "destroy"]
    assert not srv.transport.udp and not srv.transport.servers


def test_gc_tuned_when_serving_and_left_alone_with_zero():
    import gc

    from siprouter.core.server import _tune_gc
    before = gc.get_threshold()
    try:
        _tune_gc(0)
        assert gc.get_threshold() == before
        _tune_gc(12345)
        assert gc.get_threshold()[0] == 12345
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
