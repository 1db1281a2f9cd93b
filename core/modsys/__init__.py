"""Module system: declarations, discovery, ordering, parameters, lifecycle."""
from siprouter.core.modsys.declare import (  # noqa: F401
    Arg, FixedArg, FixupError, FunctionSpec, HookSpec, Module, ModuleInitError,
    ParamSpec, PVSpec, RouteType, RPCSpec,
)
from siprouter.core.modsys.hookspecs import hookimpl  # noqa: F401

__all__ = ["Arg", "FixedArg", "FixupError", "FunctionSpec", "HookSpec", "Module",
           "ModuleInitError", "ParamSpec", "PVSpec", "RouteType", "RPCSpec", "hookimpl"]
