"""usrloc — the user location tables used by the registrar.

Keeps address-of-record → contact bindings in memory, optionally persisted in
an embedded SQLite file (db_mode 1 write-through, 2 write-back), and removes
expired bindings on a timer. Exports no route functions: the registrar reaches
it through the API object (``env.api("usrloc")``, a :class:`UsrlocService`).
"""
from __future__ import annotations

import time
from typing import Any, Callable

from siprouter.core.modsys import Module, ModuleInitError, hookimpl
from siprouter.modules.usrloc.contact import FL_MEM, Q_UNSPECIFIED, Contact
from siprouter.modules.usrloc.location_table import LocationTable
from siprouter.modules.usrloc.service import UsrlocService

__all__ = ["Contact", "FL_MEM", "LocationTable", "Q_UNSPECIFIED", "UsrlocService", "module"]

module = Module("usrloc", version="1.0",
                doc="User location tables (AOR -> contacts) with optional SQLite persistence.")

module.param("db_mode", int, default=0, min=0, max=2,
             doc="0 memory only, 1 write-through, 2 write-back on the timer.")
module.param("db_url", str, default="",
             doc="SQLite file: 'sqlite:///var/lib/siprouter/location.db' or a plain path.")
module.param("timer_interval", int, default=60, min=1,
             doc="Seconds between expiry passes (and write-back flushes).")
module.param("use_domain", int, default=0, min=0, max=1,
             doc="1: the AOR is user@domain; 0: the AOR is the user part only.")
module.param("cseq_delay", int, default=20, min=0,
             doc="Seconds a same-CSeq REGISTER counts as a retransmission.")

# The running service; set by mod_init, cleared by destroy.
_service: UsrlocService | None = None
# Wall clock for binding lifetimes (persisted, so not monotonic); tests replace it.
wall_clock: Callable[[], float] = time.time


@module.on_init
def mod_init(env: Any) -> None:
    """Build the service from the modparams, load persisted bindings, arm the timer."""
    global _service
    p = env.params
    if p["db_mode"] != 0 and not p["db_url"]:
        raise ModuleInitError("usrloc: db_mode %d needs db_url (an SQLite file path)"
                              % p["db_mode"])
    try:
        _service = UsrlocService(db_mode=p["db_mode"], db_url=p["db_url"],
                                 timer_interval=p["timer_interval"],
                                 use_domain=bool(p["use_domain"]),
                                 cseq_delay=p["cseq_delay"],
                                 call_later=getattr(env, "call_later", None),
                                 log=getattr(env, "log", None), clock=wall_clock)
    except Exception as exc:  # noqa: BLE001 — OSError, ValueError or sqlite3.Error
        raise ModuleInitError(f"usrloc: cannot open database {p['db_url']!r}: {exc}") from exc
    # Bindings survive a restart: load the default table now, not on the first REGISTER.
    _service.get_table("location")


@module.on_child_init
def child_init(env: Any, rank: int) -> None:
    """Arm the expiry timer once the event loop is attached (mod_init runs before it)."""
    if _service is not None:
        _service.start_timer()


@module.provides_api
def usrloc_api(env: Any) -> UsrlocService:
    """The API object: the running :class:`UsrlocService`."""
    assert _service is not None, "usrloc API requested before mod_init"
    return _service


@module.on_destroy
def mod_destroy(env: Any) -> None:
    """Flush write-back changes and close the database."""
    global _service
    if _service is not None:
        _service.close()
        _service = None


@module.rpc("dump", doc="All location tables: {table: {aor: [contacts]}}.")
def rpc_dump(*_args: Any) -> dict:
    """usrloc.dump: every table with its AORs and contacts."""
    return _service.dump() if _service is not None else {}


@hookimpl
def siprouter_module() -> Module:
    return module
