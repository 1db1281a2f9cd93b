"""Route engine: Kamailio route-block scripts compiled to Python closures.

Public interface (contracts §3, §4, §7)::

    from siprouter.core.routing import (compile_script, Script, CompiledRoute,
        RunContext, Continuation, ScriptError, ScriptErrors, FunctionRegistry,
        PVRegistry, CompiledPV)

See ``docs/routing.md`` for the language as implemented.
"""
from siprouter.core.routing.compiler import script_route_names
from siprouter.core.routing.context import Continuation, RunContext, thread_vars
from siprouter.core.routing.errors import PVError, ScriptError, ScriptErrors, SourcePos
from siprouter.core.routing.pv import CompiledPV, PVRegistry
from siprouter.core.routing.registry import FunctionRegistry, route_allows
from siprouter.core.routing.runtime import CompiledRoute, Script, compile_script

__all__ = ["compile_script", "Script", "CompiledRoute", "RunContext", "Continuation",
           "ScriptError", "ScriptErrors", "SourcePos", "PVError", "FunctionRegistry",
           "PVRegistry", "CompiledPV", "route_allows", "script_route_names", "thread_vars"]
