"""The table of RPC methods: the built-in ones plus every module's ``Module.rpc``.

Naming: a module's RPC ``name`` is exported as ``<module>.<name>``
(``htable`` + ``dump`` -> ``htable.dump``); a name that already contains a
dot is exported verbatim (``core.echo``).  Two methods with one name are a
start-up error.

Calling convention of an implementation:

* the request's ``params`` array becomes positional arguments, an object
  becomes keyword arguments;
* when the implementation's first parameter is named ``env``, it receives
  the module's ``ModuleEnv`` (the server's ``ServerEnv`` for core methods)
  and the client's params fill the parameters after it;
* it may be a plain function or ``async def`` (any awaitable result is
  awaited); it runs on the server's event-loop thread, so it must not block;
* it returns JSON-able data (dict, list, tuple, str, int, float, bool,
  None; sets, dataclasses, enums and other objects are converted);
* it raises :class:`RPCError` for a clean error; ``ValueError`` and
  ``LookupError`` become a -32000 error with their message; anything else
  is an internal error (-32603) whose traceback goes to the log only.
"""
from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from siprouter.core.errors import StartupError
from siprouter.core.rpc.errors import (INTERNAL_ERROR, INVALID_PARAMS, METHOD_NOT_FOUND,
                                       SERVER_ERROR, RPCError)

__all__ = ["RPCMethod", "RPCRegistry", "exported_name"]


def exported_name(module: str, name: str) -> str:
    """The RPC name a module's declaration ``name`` is exported under."""
    return name if "." in name else f"{module}.{name}"


@dataclass
class RPCMethod:
    """One callable RPC method."""

    name: str
    impl: Callable[..., Any]
    doc: str = ""
    module: str = ""
    env: Any = None                 # injected as first argument when the impl asks for ``env``
    signature: inspect.Signature | None = None
    wants_env: bool = False

    @classmethod
    def make(cls, name: str, impl: Callable[..., Any], doc: str = "", module: str = "",
             env: Any = None) -> "RPCMethod":
        try:
            sig: inspect.Signature | None = inspect.signature(impl)
        except (TypeError, ValueError):
            sig = None
        wants_env = False
        if sig is not None:
            params = list(sig.parameters.values())
            wants_env = bool(params) and params[0].name == "env" and params[0].kind in (
                inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        doc = (doc or (getattr(impl, "__doc__", None) or "")).strip()
        return cls(name, impl, doc, module, env, sig, wants_env)

    def usage(self) -> str:
        """``name(a, b=1)``: the client's parameters (no annotations, no injected ``env``)."""
        if self.signature is None:
            return f"{self.name}(...)"
        params = list(self.signature.parameters.values())
        if self.wants_env:
            params = params[1:]
        params = [p.replace(annotation=inspect.Parameter.empty) for p in params]
        sig = inspect.Signature(params)
        return f"{self.name}{sig}"

    def _args(self, params: Any) -> tuple[tuple, dict]:
        if params is None:
            args, kwargs = (), {}
        elif isinstance(params, list):
            args, kwargs = tuple(params), {}
        else:
            args, kwargs = (), dict(params)
        if self.wants_env:
            args = (self.env, *args)
        if self.signature is not None:
            try:
                self.signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise RPCError(f"invalid params for {self.usage()}: {exc}", INVALID_PARAMS) from None
        return args, kwargs

    async def call(self, params: Any, log: Any = None) -> Any:
        """Run the implementation; every failure becomes an :class:`RPCError`."""
        args, kwargs = self._args(params)
        try:
            result = self.impl(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
        except RPCError:
            raise
        except (ValueError, LookupError) as exc:
            raise RPCError(f"{self.name}: {_exc_text(exc)}", SERVER_ERROR) from None
        except Exception as exc:  # noqa: BLE001 - never a traceback to the client
            if log is not None:
                log.error("rpc method failed", method=self.name, exc_info=True)
            raise RPCError(f"internal error in {self.name}: {type(exc).__name__}: {exc}",
                           INTERNAL_ERROR) from None
        return result


def _exc_text(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and len(exc.args) == 1:
        return str(exc.args[0])
    return str(exc) or type(exc).__name__


class RPCRegistry:
    """Name -> :class:`RPCMethod`; ``add`` refuses a duplicate name."""

    def __init__(self) -> None:
        self.methods: dict[str, RPCMethod] = {}

    def add(self, name: str, impl: Callable[..., Any], doc: str = "", *, module: str = "core",
            env: Any = None) -> RPCMethod:
        """Register ``impl`` as ``name``; StartupError when the name is taken or malformed."""
        if not isinstance(name, str) or not name or any(c.isspace() for c in name):
            raise StartupError(f"module {module}: invalid RPC method name {name!r}")
        old = self.methods.get(name)
        if old is not None:
            raise StartupError(f"RPC method {name!r} is exported twice "
                               f"(by {old.module or 'core'} and by {module or 'core'})")
        method = RPCMethod.make(name, impl, doc, module, env)
        self.methods[name] = method
        return method

    def add_modules(self, modules: Iterable[Any], env: Any = None) -> None:
        """Register every ``Module.rpcs`` entry of ``modules`` (in start-up order).

        Every problem is collected into one StartupError.
        """
        errors: list[StartupError] = []
        for mod in modules:
            menv = None
            if env is not None:
                menv = env.for_module(mod.name) if hasattr(env, "for_module") else env
            for spec in getattr(mod, "rpcs", []):
                try:
                    self.add(exported_name(mod.name, spec.name), spec.impl, spec.doc,
                             module=mod.name, env=menv)
                except StartupError as exc:
                    errors.append(exc)
        if errors:
            raise StartupError.collect(errors)

    def names(self) -> list[str]:
        return sorted(self.methods)

    def get(self, name: str) -> RPCMethod | None:
        return self.methods.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self.methods

    def __len__(self) -> int:
        return len(self.methods)

    def lookup(self, name: Any) -> RPCMethod:
        """The method ``name``; RPCError(-32601) naming a close match when unknown."""
        method = self.methods.get(name) if isinstance(name, str) else None
        if method is None:
            hint = ""
            if isinstance(name, str):
                close = difflib.get_close_matches(name, list(self.methods), n=1)
                if close:
                    hint = f"; did you mean {close[0]!r}?"
            raise RPCError(f"unknown method {name!r} (system.listMethods lists them){hint}",
                           METHOD_NOT_FOUND)
        return method
