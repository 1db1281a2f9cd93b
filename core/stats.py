"""Statistics: counters and gauges per module, thread-safe (ARCHITECTURE §7).

Modules declare their counters with ``module.stat(name, doc)``; the core
declares them in one :class:`Stats` object at start-up.  Route code and
modules update them with ``env.stats.inc(module, name, n)``; the RPC
interface and the CLI read ``snapshot()``.  A gauge computed on demand
(tm's "transactions in use") is registered with ``stats.gauge(module, name, fn)``.
"""
from __future__ import annotations

import threading
from typing import Callable, Iterable

__all__ = ["Stats", "UnknownStatError"]


class UnknownStatError(KeyError):
    """A statistic that no module declared."""

    def __str__(self) -> str:
        return str(self.args[0])


class Stats:
    """Named integer counters keyed by (module, name), guarded by one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[str, str], int] = {}
        self._docs: dict[tuple[str, str], str] = {}
        self._gauges: dict[tuple[str, str], Callable[[], int]] = {}

    def declare(self, module: str, name: str, doc: str = "") -> None:
        """Make ``module.name`` known (value 0); declaring twice keeps the value."""
        key = (module, name)
        with self._lock:
            self._values.setdefault(key, 0)
            self._docs[key] = doc

    def declare_modules(self, modules: Iterable) -> None:
        """Declare every ``Module.stats`` entry of ``modules``."""
        for mod in modules:
            for name, doc in mod.stats.items():
                self.declare(mod.name, name, doc)

    def gauge(self, module: str, name: str, fn: Callable[[], int], doc: str | None = None) -> None:
        """Make ``module.name`` read ``fn()`` at snapshot time instead of a stored value."""
        key = (module, name)
        with self._lock:
            self._gauges[key] = fn
            if doc is not None or key not in self._docs:
                self._docs[key] = doc or self._docs.get(key, "")
            self._values.setdefault(key, 0)

    def _missing(self, key: tuple[str, str]) -> UnknownStatError:
        return UnknownStatError(f"unknown statistic {key[0]}.{key[1]} (declare it with module.stat())")

    def inc(self, module: str, name: str, n: int = 1) -> int:
        """Add ``n`` (may be negative); returns the new value.

        Hot path (tm counts ~17 events per call, from any thread): explicit
        acquire/release in try/finally is a third cheaper than ``with``.
        """
        key = (module, name)
        values = self._values
        lock = self._lock
        lock.acquire()
        try:
            value = values[key] + n
            values[key] = value
        except KeyError:
            raise self._missing(key) from None
        finally:
            lock.release()
        return value

    def dec(self, module: str, name: str, n: int = 1) -> int:
        """Subtract ``n``; returns the new value."""
        return self.inc(module, name, -n)

    def set(self, module: str, name: str, value: int) -> None:
        """Set a stored value (gauges kept by the module itself)."""
        key = (module, name)
        with self._lock:
            if key not in self._values:
                raise self._missing(key)
            self._values[key] = value

    def reset(self, module: str | None = None) -> None:
        """Zero the stored counters (of one module, or all)."""
        with self._lock:
            for key in self._values:
                if module is None or key[0] == module:
                    self._values[key] = 0

    def get(self, module: str, name: str) -> int:
        """Current value of one statistic."""
        key = (module, name)
        fn = self._gauges.get(key)
        if fn is not None:
            return int(fn())
        with self._lock:
            try:
                return self._values[key]
            except KeyError:
                raise self._missing(key) from None

    def doc(self, module: str, name: str) -> str:
        return self._docs.get((module, name), "")

    def snapshot(self, module: str | None = None) -> dict[str, dict[str, int]]:
        """``{module: {name: value}}`` of every (or one module's) statistic."""
        with self._lock:
            values = dict(self._values)
            gauges = dict(self._gauges)
        out: dict[str, dict[str, int]] = {}
        for (mod, name), value in values.items():
            if module is not None and mod != module:
                continue
            if (mod, name) in gauges:
                value = int(gauges[(mod, name)]())
            out.setdefault(mod, {})[name] = value
        return out
