"""Unit tests of the hello module with a real config and a ServerEnv (no sockets)."""
from siprouter.core.config import load_config_text
from siprouter.core.env import ServerEnv
from siprouter.core.modsys.loader import resolve_modules

import siprouter_hello


class FakeMsg:
    def __init__(self):
        self.headers = []

    def add_header(self, name, value, *, first=False):
        self.headers.append((name, value))


class FakeCtx:
    def __init__(self, env):
        self.env = env
        self.msg = FakeMsg()


def test_hello_world_adds_header_and_counts(tmp_path):
    cfg = load_config_text('loadmodule = ["hello"]\n[modparam.hello]\ngreeting = "Hi"\n'
                           'max_name_length = 3\n', tmp_path / "t.toml")
    modset = resolve_modules(cfg)
    env = ServerEnv(cfg, modset)
    modset.init_all(env)
    ctx = FakeCtx(env)
    assert siprouter_hello.hello_world(ctx, "alice") == 1
    assert ctx.msg.headers == [("X-Hello", "Hi, ali!")]
    assert env.stats.get("hello", "greeted") == 1
    modset.destroy_all(env)
