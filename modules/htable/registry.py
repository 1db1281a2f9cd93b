"""The set of tables of the running server, and ``table=>key`` names."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from siprouter.modules.htable.table import HTable, TableSpec, parse_table_spec


class Tables:
    """Tables by name; filled from the modparam at mod_init."""

    def __init__(self) -> None:
        self._tables: dict[str, HTable] = {}
        self._lock = threading.Lock()
        self.now: Callable[[], float] = time.monotonic

    def configure(self, definitions: list[str] | str | None,
                  now: Callable[[], float] | None = None) -> None:
        """(Re)build the tables from the ``htable`` modparam value(s).

        Raises ValueError for a bad definition or a table defined twice.
        """
        if now is not None:
            self.now = now
        if definitions is None:
            definitions = []
        if isinstance(definitions, str):
            definitions = [definitions]
        specs: dict[str, TableSpec] = {}
        for text in definitions:
            spec = parse_table_spec(text)
            if spec.name in specs:
                raise ValueError(f"htable {spec.name!r} is defined twice")
            specs[spec.name] = spec
        clock = lambda: self.now()  # noqa: E731 - late-bound so tests can swap the clock
        with self._lock:
            self._tables = {name: HTable(spec, clock) for name, spec in specs.items()}

    def get(self, name: str) -> HTable | None:
        """The table called ``name`` or None."""
        return self._tables.get(name)

    def names(self) -> list[str]:
        """Names of all tables."""
        return list(self._tables)

    def all(self) -> list[HTable]:
        """Every table."""
        return list(self._tables.values())


TABLES = Tables()


@dataclass(frozen=True)
class HtName:
    """A parsed ``table=>key`` name; ``key`` may hold PVs (``dynamic``)."""

    table: str
    key: str
    dynamic: bool

    def key_value(self, ctx: Any) -> str:
        """The key, with PVs substituted when it has any."""
        if not self.dynamic:
            return self.key
        return format_key(ctx, self.key)


# Names of the form table=>key seen at load time; checked by mod_init once
# the tables exist (an unknown table is a start-up error).
STATIC_REFS: set[HtName] = set()


def split_ht_name(text: str) -> HtName:
    """``"ipban=>$si"`` -> HtName; ValueError for a malformed name."""
    table, sep, key = text.partition("=>")
    table = table.strip()
    if not sep or not table:
        raise ValueError(f"expected 'table=>key', got {text!r}")
    if "$" in table:
        raise ValueError(f"the table name must be static: {text!r}")
    return HtName(table, key, "$" in key)


def parse_ht_name(text: str) -> HtName:
    """Load-time parser of ``$sht(...)`` names and ``"table=>key"`` literals:
    like :func:`split_ht_name`, and remembers the table for mod_init's check."""
    name = split_ht_name(text)
    STATIC_REFS.add(name)
    return name


def reset_key_formats() -> None:
    """Forget compiled key formats (a new server, a new PV registry)."""
    _formats.clear()
    _registry.clear()


_formats: dict[str, Any] = {}
_registry: dict[str, Any] = {}


def format_key(ctx: Any, text: str) -> str:
    """Substitute the PVs of a key through the server's PV registry.

    A PV class's ``parse_name`` has no access to the registry, so the key
    format is compiled on first use with the registry of the running
    server's modules (``env.modset``) and cached.
    """
    fmt = _formats.get(text)
    if fmt is None:
        reg = _registry.get("pvs")
        if reg is None:
            reg = ctx.env.modset.pv_registry()
            _registry["pvs"] = reg
        fmt = reg.compile_format(text)
        _formats[text] = fmt
    return fmt if isinstance(fmt, str) else fmt(ctx)
