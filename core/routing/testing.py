"""Helpers for module authors' tests: compile a script text and run a block.

Example (in a module's test)::

    import siprouter.modules.pv as pv
    from siprouter.core.routing.testing import compile_text, run_block

    script = compile_text('request_route { my_fn("x"); }', mymod.module, pv.module)
    value, ctx = run_block(script, msg)          # runs request_route
"""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys.declare import Module
from siprouter.core.routing.pv import PVRegistry
from siprouter.core.routing.registry import FunctionRegistry
from siprouter.core.routing.runtime import Script, compile_script


def compile_text(text: str, *modules: Module, defines: dict[str, str] | None = None,
                 core_params: dict | None = None, env: Any = None,
                 path: str = "test.cfg") -> Script:
    """Compile ``text`` with the functions and PVs of ``modules`` (in load order).

    Raises ``ScriptErrors`` like :func:`compile_script`.
    """
    functions = [f for m in modules for f in m.functions]
    pvs = [p for m in modules for p in m.pvs]
    defs = {f"MOD_{m.name}": "" for m in modules}
    defs.update(defines or {})
    return compile_script(path, FunctionRegistry(functions), defines=defs,
                          pvs=PVRegistry(pvs), core_params=core_params or {}, env=env, text=text)


def run_block(script: Script, msg: Any, kind: str = "request", name: str = "",
              env: Any = None) -> tuple[int, Any]:
    """Run block ``kind[name]`` on ``msg`` as a top-level run; returns (value, ctx)."""
    route = script.route(name, kind)
    if route is None:
        raise KeyError(f"no {kind}[{name}] block in the script")
    ctx = script.new_context(msg, route.route_type, env)
    return script.run(route, ctx), ctx
