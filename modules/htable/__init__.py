"""htable: shared in-memory hash tables (Kamailio's htable module, core part).

Tables are defined by the ``htable`` modparam (Kamailio's
``"name=>size=8;autoexpire=3600;"`` strings; a list for several tables) and
read/written through ``$sht(table=>key)``; items may expire automatically.
"""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import Arg, FixedArg, FixupError, Module, ModuleInitError, RouteType
from siprouter.modules.htable import access
from siprouter.modules.htable.registry import (STATIC_REFS, TABLES, parse_ht_name,
                                              reset_key_formats)
from siprouter.modules.htable.table import parse_table_spec

module = Module("htable", version="1.0",
                doc="Shared hash tables with per-item expiry: $sht, $shtex, $shtinc, "
                    "$shtdec, sht_rm, sht_rm_name_re, sht_lock/sht_unlock ...")


class _StrOrListMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, str) or (
            isinstance(obj, list) and all(isinstance(item, str) for item in obj))


class str_or_list(metaclass=_StrOrListMeta):  # noqa: N801 - reads like a type name in errors
    """Modparam type: one definition string, or a list of them (Kamailio
    repeats the modparam; TOML takes a list)."""


module.param("htable", str_or_list, default=[],
             doc="Table definitions 'name=>size=4;autoexpire=0;initval=N;updateexpire=1'.")
module.param("timer_interval", int, default=20, min=1,
             doc="Seconds between sweeps that drop expired items.")

ANY = RouteType.ANY


def _sweep(env: Any, interval: int) -> None:
    for table in TABLES.all():
        table.sweep()
    try:
        env.call_later(interval, _sweep, env, interval)
    except Exception:
        pass  # no loop (unit tests, `siprouter check`): expiry stays lazy


@module.on_init
def mod_init(env: Any) -> None:
    """Build the tables; an unknown table in a static $sht name fails here."""
    reset_key_formats()
    try:
        TABLES.configure(env.params.get("htable"), now=env.now)
    except ValueError as exc:
        raise ModuleInitError(f"htable: {exc}") from None
    unknown = sorted({ref.table for ref in STATIC_REFS if TABLES.get(ref.table) is None})
    if unknown:
        raise ModuleInitError("htable: the route script uses undefined hash table(s): "
                              + ", ".join(unknown))
    interval = int(env.params.get("timer_interval", 20))
    if getattr(env, "loop", None) is not None:
        env.call_later(interval, _sweep, env, interval)


def _fixup_ht_key(args: list[FixedArg], env: Any = None) -> None:
    """``"table=>key"`` argument: syntax, and the table must be defined.

    The key part may hold PVs (the engine substitutes them per call); the
    table part is checked from the source text.
    """
    arg = args[0] if args else None
    if arg is None:
        return
    text = arg.literal if isinstance(arg.literal, str) else arg.text
    try:
        name = parse_ht_name(text)
    except ValueError as exc:
        raise FixupError(str(exc)) from None
    _check_table(name.table, env)


def _fixup_table_first(args: list[FixedArg], env: Any = None) -> None:
    if args and isinstance(args[0].literal, str):
        _check_table(args[0].literal, env)


def _check_table(table: str, env: Any) -> None:
    """Fail at load time for a static table name no modparam defines."""
    params = getattr(getattr(env, "modset", None), "params", None)
    if not isinstance(params, dict) or "htable" not in params:
        return  # modparams not reachable here; mod_init checks STATIC_REFS
    defs = params["htable"].get("htable") or []
    if isinstance(defs, str):
        defs = [defs]
    names = set()
    for text in defs:
        try:
            names.add(parse_table_spec(text).name)
        except ValueError:
            return  # mod_init reports the bad definition
    if table not in names:
        raise FixupError(f"unknown hash table {table!r}")


module.pv("sht", access.sht_get, access.sht_set, parse_name=parse_ht_name, needs_name=True,
          doc="$sht(table=>key): item value (int or str), initval or $null; "
              "assign $null to delete.")
module.pv("shtex", access.shtex_get, access.shtex_set, parse_name=parse_ht_name,
          needs_name=True, doc="$shtex(table=>key): seconds until the item expires.")
module.pv("shtinc", access.shtinc_get, parse_name=parse_ht_name, needs_name=True,
          doc="$shtinc(table=>key): increment atomically, the new value.")
module.pv("shtdec", access.shtdec_get, parse_name=parse_ht_name, needs_name=True,
          doc="$shtdec(table=>key): decrement atomically, the new value.")

module.function("sht_rm", Arg.SPVE, Arg.SPVE, routes=ANY, fixup=_fixup_table_first,
                doc="Delete an item; -1 for an unknown table.")(access.sht_rm)
module.function("sht_rm_name_re", Arg.SPVE, routes=ANY, fixup=_fixup_ht_key,
                doc="Delete items whose name matches 'table=>regex'.")(access.sht_rm_name_re)
module.function("sht_rm_value_re", Arg.SPVE, routes=ANY, fixup=_fixup_ht_key,
                doc="Delete items whose value matches 'table=>regex'.")(access.sht_rm_value_re)
module.function("sht_lock", Arg.SPVE, routes=ANY, fixup=_fixup_ht_key,
                doc="Lock the slot of 'table=>key'.")(access.sht_lock)
module.function("sht_unlock", Arg.SPVE, routes=ANY, fixup=_fixup_ht_key,
                doc="Unlock the slot of 'table=>key'.")(access.sht_unlock)
module.function("sht_reset", Arg.SPVE, routes=ANY, fixup=_fixup_table_first,
                doc="Delete all items of a table.")(access.sht_reset)
module.function("sht_is_null", Arg.SPVE, Arg.SPVE, routes=ANY,
                doc="1 when the item is missing, -1 when it exists, -2 table has "
                    "initval, 2 unknown table.")(access.sht_is_null)
module.function("sht_inc", Arg.SPVE, Arg.SPVE, routes=ANY,
                doc="Increment an integer item; returns the new value (-255 error).")(
    access.sht_inc)
module.function("sht_dec", Arg.SPVE, Arg.SPVE, routes=ANY,
                doc="Decrement an integer item; returns the new value (-255 error).")(
    access.sht_dec)


@module.rpc("dump", doc="htable.dump TABLE: the live items of a table.")
def rpc_dump(table: str) -> list[dict[str, Any]]:
    """Items of one table as a list of {name, value}."""
    ht = TABLES.get(table)
    if ht is None:
        raise ValueError(f"unknown hash table {table!r}")
    return [{"name": k, "value": v} for k, v in ht.items()]


@module.rpc("listTables", doc="htable.listTables: names and sizes of the tables.")
def rpc_list_tables() -> list[dict[str, Any]]:
    """Every table with its item count and options."""
    return [{"name": t.name, "items": len(t), "autoexpire": t.spec.autoexpire,
             "size": t.spec.size} for t in TABLES.all()]


from siprouter.core.modsys import hookimpl  # noqa: E402


@hookimpl
def siprouter_module() -> Module:
    """Register htable with the core."""
    return module
