"""$sht / $shtex / $shtinc / $shtdec and the sht_* route functions."""
from __future__ import annotations

import re
from typing import Any

import structlog

from siprouter.modules.htable.registry import TABLES, HtName, split_ht_name
from siprouter.modules.htable.table import HTable

log = structlog.get_logger("siprouter.modules.htable").bind(module="htable")


def _table(name: str) -> HTable | None:
    table = TABLES.get(name)
    if table is None:
        log.error("htable: unknown hash table", table=name)
    return table


# -- pseudo-variables ------------------------------------------------------------
def sht_get(ctx: Any, name: HtName) -> Any:
    """$sht(t=>k): the item's value, initval or $null."""
    table = _table(name.table)
    return None if table is None else table.get(name.key_value(ctx))


def sht_set(ctx: Any, name: HtName, value: Any) -> None:
    """$sht(t=>k) = v; $null deletes the item."""
    table = _table(name.table)
    if table is not None:
        table.set(name.key_value(ctx), value)


def shtex_get(ctx: Any, name: HtName) -> Any:
    """$shtex(t=>k): seconds until the item expires (0 = never or missing)."""
    table = _table(name.table)
    return None if table is None else table.get_expire(name.key_value(ctx))


def shtex_set(ctx: Any, name: HtName, value: Any) -> None:
    """$shtex(t=>k) = seconds: change the item's expiry."""
    table = _table(name.table)
    if table is None or value is None:
        return
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        log.error("$shtex: expire value must be an integer", value=value)
        return
    table.set_expire(name.key_value(ctx), seconds)


def shtinc_get(ctx: Any, name: HtName) -> Any:
    """$shtinc(t=>k): add 1 atomically, return the new value ($null: string item)."""
    table = _table(name.table)
    return None if table is None else table.add(name.key_value(ctx), 1)


def shtdec_get(ctx: Any, name: HtName) -> Any:
    """$shtdec(t=>k): subtract 1 atomically, return the new value."""
    table = _table(name.table)
    return None if table is None else table.add(name.key_value(ctx), -1)


# -- route functions ------------------------------------------------------------
def sht_rm(ctx: Any, table_name: str, key: str) -> int:
    """Delete one item: 1 (also when it did not exist), -1 unknown table."""
    table = _table(table_name)
    if table is None:
        return -1
    table.delete(key)
    return 1


def _ref(ctx: Any, spec: str) -> tuple[HTable, str] | None:
    """Resolve a ``"table=>expr"`` argument (the expression may hold PVs)."""
    try:
        name = split_ht_name(spec)
    except ValueError as exc:
        log.error("htable: bad table=>key argument", value=spec, error=str(exc))
        return None
    table = _table(name.table)
    if table is None:
        return None
    return table, name.key


def _rm_re(ctx: Any, spec: str, on_value: bool) -> int:
    ref = _ref(ctx, spec)
    if ref is None:
        return -1
    table, expr = ref
    try:
        regex = re.compile(expr)
    except re.error as exc:
        log.error("htable: bad regular expression", regex=expr, error=str(exc))
        return -1
    table.remove_matching(regex, on_value=on_value)
    return 1


def sht_rm_name_re(ctx: Any, spec: str) -> int:
    """Delete the items whose name matches: ``sht_rm_name_re("t=>^a.*")``."""
    return _rm_re(ctx, spec, on_value=False)


def sht_rm_value_re(ctx: Any, spec: str) -> int:
    """Delete the items whose string value matches."""
    return _rm_re(ctx, spec, on_value=True)


def sht_lock(ctx: Any, spec: str) -> int:
    """Lock the slot of ``t=>key`` (re-entrant; pair with sht_unlock)."""
    ref = _ref(ctx, spec)
    if ref is None:
        return -1
    table, key = ref
    table.slot_lock(key).acquire()
    return 1


def sht_unlock(ctx: Any, spec: str) -> int:
    """Unlock the slot of ``t=>key``; -1 when this thread does not hold it."""
    ref = _ref(ctx, spec)
    if ref is None:
        return -1
    table, key = ref
    try:
        table.slot_lock(key).release()
    except RuntimeError:
        log.error("sht_unlock: slot not locked by this worker", table=table.name, key=key)
        return -1
    return 1


def sht_reset(ctx: Any, table_name: str) -> int:
    """Delete every item of the table; -1 unknown table."""
    table = _table(table_name)
    if table is None:
        return -1
    table.reset()
    return 1


def sht_is_null(ctx: Any, table_name: str, key: str) -> int:
    """1 when the item does not exist; -1 when it does; -2 when the table has
    an initval (never null); 2 for an unknown table (Kamailio's codes)."""
    table = TABLES.get(table_name)
    if table is None:
        return 2
    if table.spec.initval is not None:
        return -2
    return -1 if table.exists(key) else 1


# Kamailio's "no integer value" result of sht_inc/sht_dec
NO_INT_VALUE = -255


def sht_inc(ctx: Any, table_name: str, key: str) -> int:
    """Add 1 to an integer item and return the new value (as Kamailio does:
    a result of 0 therefore ends the script); -255 for an unknown table or a
    string item."""
    table = TABLES.get(table_name)
    value = None if table is None else table.add(key, 1)
    return NO_INT_VALUE if value is None else value


def sht_dec(ctx: Any, table_name: str, key: str) -> int:
    """Subtract 1 from an integer item and return the new value; -255 on error."""
    table = TABLES.get(table_name)
    value = None if table is None else table.add(key, -1)
    return NO_INT_VALUE if value is None else value
