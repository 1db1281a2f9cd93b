"""hello: an example third-party siprouter module.

It shows every part of the module interface in a few lines:

* parameters ``greeting`` (str) and ``max_name_length`` (int with bounds);
* lifecycle callbacks ``mod_init``, ``child_init`` and ``destroy``;
* a statistic ``greeted``;
* a pseudo-variable ``$hello(name)`` that evaluates to the greeting;
* a route function ``hello_world(name)`` (SPVE: the name may hold PVs) that
  adds an ``X-Hello`` header to the message, logs it and returns 1;
* an RPC method ``hello.count``.
"""
from __future__ import annotations

from siprouter.core.modsys import Arg, Module, ModuleInitError, RouteType, hookimpl

__version__ = "0.1.0"

module = Module(
    "hello", version=__version__,
    doc="Example module: greets names in a header, a PV and the log.\n"
        "Shows parameters, lifecycle, a statistic, a PV, a route function and an RPC method.")

module.param("greeting", str, default="Hello",
             doc="Word put in front of the name.")
module.param("max_name_length", int, default=64, min=1, max=1024,
             doc="Names longer than this are cut to this many characters.")
module.stat("greeted", "hello_world() calls that added a header")

# Module state: filled in by mod_init from the resolved parameters.  Route
# functions run on the loop thread and on async worker threads, so anything
# they change must be thread-safe (the stats object is).
_state: dict = {}


def greet(name: str) -> str:
    """The greeting for ``name`` with the configured word and length limit."""
    return f"{_state.get('greeting', 'Hello')}, {name[:_state.get('max_name_length', 64)]}!"


@module.on_init
def mod_init(env) -> None:
    """Runs once at start-up: check parameters, prepare state."""
    greeting = env.params["greeting"].strip()
    if not greeting:
        raise ModuleInitError("greeting must not be empty")
    _state.update(greeting=greeting, max_name_length=env.params["max_name_length"],
                  children=[])
    env.log.info("hello module ready", greeting=greeting)


@module.on_child_init
def child_init(env, rank: int) -> None:
    """Runs once per worker context; rank > 0 is a SIP worker."""
    _state.setdefault("children", []).append(rank)


@module.on_destroy
def destroy(env) -> None:
    """Runs at shutdown, in reverse start-up order."""
    env.log.info("hello module stopping", greeted=env.stats.get("hello", "greeted"))
    _state.clear()


@module.function("hello_world", Arg.SPVE, routes=RouteType.REQUEST | RouteType.FAILURE,
                 doc="Add 'X-Hello: <greeting>, <name>!' to the message; returns 1.")
def hello_world(ctx, name: str) -> int:
    text = greet(name)
    ctx.msg.add_header("X-Hello", text)
    ctx.env.stats.inc("hello", "greeted")
    return 1


def _pv_hello(ctx, name):
    return greet(name)


module.pv("hello", _pv_hello, needs_name=True, doc="$hello(name): the greeting for name.")


@module.rpc("count", doc="How many hello_world() calls added a header.")
def rpc_count(env) -> int:
    return env.stats.get("hello", "greeted")


@hookimpl
def siprouter_module():
    return module
