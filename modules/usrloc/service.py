"""The usrloc service: its tables, persistence and expiry timer.

One :class:`UsrlocService` is built by ``mod_init`` and is also the API object
other modules get with ``env.api("usrloc")`` (the registrar). It is the only
place that knows about db_mode; tables just call their store.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

from siprouter.modules.usrloc.contact import Contact
from siprouter.modules.usrloc.location_table import (
    DB_NONE, DB_WRITE_BACK, LocationTable)
from siprouter.modules.usrloc.sqlite_store import SqliteContactStore, db_path_from_url


class UsrlocService:
    """Location tables by name, plus the timer that expires and flushes them.

    ``clock`` returns wall-clock seconds; tests replace it with a fake clock
    (``service.clock = lambda: 1000.0``) to drive expiry.
    """

    def __init__(self, *, db_mode: int = DB_NONE, db_url: str = "",
                 timer_interval: int = 60, use_domain: bool = False,
                 cseq_delay: int = 20, call_later: Callable[..., Any] | None = None,
                 log: Any = None, clock: Callable[[], float] = time.time) -> None:
        self.db_mode = db_mode
        self.timer_interval = timer_interval
        self.use_domain = use_domain
        self.cseq_delay = cseq_delay
        self.clock: Callable[[], float] = clock
        self._call_later = call_later
        self._timer: Any = None
        self._log = log
        self._tables: dict[str, LocationTable] = {}
        self._lock = threading.Lock()
        self.store = (SqliteContactStore(db_path_from_url(db_url))
                      if db_mode != DB_NONE else None)

    # -- tables ----------------------------------------------------------------
    def get_table(self, name: str) -> LocationTable:
        """The table ``name`` ("location"), created (and loaded from the DB) on first use."""
        with self._lock:
            table = self._tables.get(name)
            if table is None:
                table = LocationTable(name, lambda: self.clock(), store=self.store,
                                      db_mode=self.db_mode, cseq_delay=self.cseq_delay)
                if self.store is not None:
                    table.load(self.store.load(name, self.clock()))
                self._tables[name] = table
            return table

    def tables(self) -> list[LocationTable]:
        """Every table created so far."""
        with self._lock:
            return list(self._tables.values())

    # -- the registrar's view (Kamailio's usrloc API, by table name) --------------
    def get_urecord(self, table: str, aor: str) -> list[Contact] | None:
        """Valid bindings of ``aor`` (best first), or None when it has none."""
        contacts = self.get_table(table).get_contacts(aor)
        return contacts or None

    def insert_contact(self, table: str, contact: Contact) -> Contact:
        """Store a new binding."""
        return self.get_table(table).insert(contact)

    def update_contact(self, table: str, contact: Contact) -> bool:
        """Replace an existing binding (matched by ruid, else by URI)."""
        return self.get_table(table).update(contact)

    def delete_contact(self, table: str, aor: str, uri: str) -> bool:
        """Remove one binding by contact URI."""
        return self.get_table(table).delete_contact(aor, uri)

    def delete_urecord(self, table: str, aor: str) -> int:
        """Remove all bindings of ``aor``."""
        return self.get_table(table).delete_record(aor)

    def expire_now(self) -> int:
        """Run the expiry pass at once (what the timer does); returns bindings removed."""
        return sum(len(t.expire()) for t in self.tables())

    def flush(self) -> int:
        """Write-back: push pending changes of every table to the database."""
        return sum(t.flush() for t in self.tables())

    def dump(self) -> dict[str, dict[str, list[dict]]]:
        """{table: {aor: [contact fields]}} — for the RPC interface and tests."""
        return {t.name: t.dump() for t in self.tables()}

    # -- timer -----------------------------------------------------------------------
    def start_timer(self) -> None:
        """Arm the periodic expiry (and write-back) timer, if a scheduler exists.

        Idempotent: a second call while the timer is armed does nothing.
        """
        if self._timer is not None:
            return  # already armed (_on_timer clears it before re-arming)
        if self._call_later is not None and self.timer_interval > 0:
            self._timer = self._call_later(self.timer_interval, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None  # this handle has fired; start_timer() arms a new one
        try:
            removed = self.expire_now()
            if self.db_mode == DB_WRITE_BACK:
                self.flush()
            if removed and self._log is not None:
                self._log.debug("usrloc expired contacts", count=removed)
        finally:
            self.start_timer()  # re-arm even when a pass failed

    def close(self) -> None:
        """Stop the timer, flush write-back changes and close the database."""
        if self._timer is not None:
            try:
                self._timer.cancel()
            except Exception:  # noqa: BLE001 — a handle that already ran may refuse
                pass
            self._timer = None
        if self.store is not None:
            if self.db_mode == DB_WRITE_BACK:
                self.flush()
            self.store.close()
            self.store = None
