"""Shared hash tables: thread-safe storage with per-item expiry.

One :class:`HTable` per ``htable`` modparam definition.  All worker threads
share the tables (ARCHITECTURE §5: ``$sht`` is shared by every thread).
Items expire ``autoexpire`` seconds after they were set (or last updated,
with ``updateexpire=1``); expiry uses the server clock ``env.now()``.
Expired items are dropped when touched and by a periodic sweep.
"""
from __future__ import annotations

import re
import threading
import zlib
from dataclasses import dataclass, field
from typing import Callable

Value = str | int


@dataclass
class Cell:
    """One item: its value and absolute expiry time (0 = never)."""

    value: Value
    expires: float = 0.0


@dataclass
class TableSpec:
    """A parsed ``name=>size=..;autoexpire=..;...`` definition."""

    name: str
    size: int = 4             # 2**size lock slots (Kamailio: buckets)
    autoexpire: int = 0       # seconds, 0 = items never expire
    updateexpire: int = 1     # 1: an update restarts the expiry time
    initval: int | None = None  # value read for a missing item (else $null)
    extra: dict[str, str] = field(default_factory=dict)  # dbtable, dbmode... (accepted, unused)


_INT_KEYS = ("size", "autoexpire", "updateexpire", "dbmode", "dmqreplicate", "reloadat")
_ACCEPTED = _INT_KEYS + ("initval", "dbtable", "cols", "coldelim", "colnull")


def parse_table_spec(text: str) -> TableSpec:
    """Parse Kamailio's table definition; ValueError with the reason.

    ``"ipban=>size=8;autoexpire=300;initval=0;"``.  Database, DMQ and
    column options are accepted for config compatibility and ignored.
    """
    name, sep, rest = text.strip().partition("=>")
    name = name.strip()
    if not sep or not name:
        raise ValueError(f"htable definition must be 'name=>options': {text!r}")
    spec = TableSpec(name)
    for item in rest.split(";"):
        item = item.strip()
        if not item:
            continue
        key, eq, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if key not in _ACCEPTED:
            raise ValueError(f"unknown htable option {key!r} in {text!r}")
        if key in _INT_KEYS or key == "initval":
            try:
                number = int(value)
            except ValueError:
                raise ValueError(f"htable option {key} needs an integer in {text!r}") from None
            if key == "initval":
                spec.initval = number
            elif key in ("size", "autoexpire", "updateexpire"):
                if number < 0:
                    raise ValueError(f"htable option {key} must not be negative in {text!r}")
                setattr(spec, key, number)
            else:
                spec.extra[key] = value
        else:
            spec.extra[key] = value
    # Kamailio clamps the bucket bits to 2..14
    spec.size = min(max(spec.size, 2), 14)
    return spec


class HTable:
    """A named table of items with optional auto-expiry; all methods are
    thread-safe."""

    def __init__(self, spec: TableSpec, now: Callable[[], float]) -> None:
        self.spec = spec
        self.name = spec.name
        self._now = now
        self._items: dict[str, Cell] = {}
        self._lock = threading.RLock()
        # sht_lock/sht_unlock slots; re-entrant, like Kamailio's slot locks
        self._slots = [threading.RLock() for _ in range(1 << spec.size)]

    # -- helpers -------------------------------------------------------------
    def _expiry(self) -> float:
        return self._now() + self.spec.autoexpire if self.spec.autoexpire > 0 else 0.0

    def _live(self, key: str, now: float) -> Cell | None:
        cell = self._items.get(key)
        if cell is not None and cell.expires and cell.expires <= now:
            del self._items[key]
            return None
        return cell

    # -- item access ------------------------------------------------------------
    def get(self, key: str) -> Value | None:
        """The value of ``key``; ``initval`` (or None) when missing/expired."""
        with self._lock:
            cell = self._live(key, self._now())
            if cell is None:
                return self.spec.initval
            return cell.value

    def exists(self, key: str) -> bool:
        """True when ``key`` holds a live item."""
        with self._lock:
            return self._live(key, self._now()) is not None

    def set(self, key: str, value: Value | None) -> None:
        """Store ``value``; None deletes the item (``$sht(t=>k) = $null``)."""
        with self._lock:
            if value is None:
                self._items.pop(key, None)
                return
            cell = self._live(key, self._now())
            if cell is not None and not self.spec.updateexpire:
                cell.value = value
            else:
                self._items[key] = Cell(value, self._expiry())

    def delete(self, key: str) -> bool:
        """Remove ``key``; True when it was there."""
        with self._lock:
            return self._items.pop(key, None) is not None

    def add(self, key: str, delta: int) -> int | None:
        """Atomically add ``delta`` to an integer item (missing counts as
        ``initval`` or 0); None when the item holds a string."""
        with self._lock:
            cell = self._live(key, self._now())
            if cell is None:
                value = (self.spec.initval or 0) + delta
                self._items[key] = Cell(value, self._expiry())
                return value
            if not isinstance(cell.value, int):
                return None
            cell.value += delta
            if self.spec.updateexpire:
                cell.expires = self._expiry()
            return cell.value

    def get_expire(self, key: str) -> int:
        """Seconds until ``key`` expires (0: no expiry or no item)."""
        with self._lock:
            now = self._now()
            cell = self._live(key, now)
            if cell is None or not cell.expires:
                return 0
            return max(0, int(cell.expires - now + 0.999))

    def set_expire(self, key: str, seconds: int) -> bool:
        """Make ``key`` expire in ``seconds`` (0: never); False if no item."""
        with self._lock:
            now = self._now()
            cell = self._live(key, now)
            if cell is None:
                return False
            cell.expires = now + seconds if seconds > 0 else 0.0
            return True

    # -- bulk --------------------------------------------------------------------
    def remove_matching(self, regex: re.Pattern[str], on_value: bool = False) -> int:
        """Remove items whose name (or string value) matches; the count."""
        with self._lock:
            doomed = [k for k, c in self._items.items()
                      if regex.search(str(c.value) if on_value else k)]
            for k in doomed:
                del self._items[k]
            return len(doomed)

    def reset(self) -> None:
        """Remove every item."""
        with self._lock:
            self._items.clear()

    def sweep(self) -> int:
        """Drop expired items; returns how many went."""
        with self._lock:
            now = self._now()
            doomed = [k for k, c in self._items.items() if c.expires and c.expires <= now]
            for k in doomed:
                del self._items[k]
            return len(doomed)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def items(self) -> list[tuple[str, Value]]:
        """Snapshot of the live items."""
        with self._lock:
            now = self._now()
            return [(k, c.value) for k, c in self._items.items()
                    if not c.expires or c.expires > now]

    # -- slot locks ----------------------------------------------------------------
    def slot_lock(self, key: str) -> threading.RLock:
        """The lock guarding ``key``'s slot (shared by keys hashing alike)."""
        return self._slots[zlib.crc32(key.encode("utf-8", "surrogateescape")) % len(self._slots)]
