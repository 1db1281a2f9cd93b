"""An in-memory location table (Kamailio's ``udomain``), e.g. "location".

Maps an address-of-record to its bindings. Every method takes the table's
lock, so the registrar may run on the loop thread and on async worker threads
at the same time. Readers get copies of the contacts, never the shared ones.

Persistence is delegated to an optional store (see ``sqlite_store``):
write-through (db_mode 1) calls it inside each change, write-back
(db_mode 2) only records what changed and :meth:`flush` writes it later.
"""
from __future__ import annotations

import threading
from typing import Callable, Protocol

from siprouter.modules.usrloc.contact import FL_MEM, Contact, sort_key

# get_ucontact() results, numbered as in Kamailio's usrloc.
FOUND = 0
NOT_FOUND = 1
INVALID_CSEQ = -1
RETRANSMISSION = -2

DB_NONE = 0
DB_WRITE_THROUGH = 1
DB_WRITE_BACK = 2


class ContactStore(Protocol):
    """What a table needs from a persistent store."""

    def upsert(self, table: str, contact: Contact) -> None: ...
    def delete(self, table: str, ruid: str) -> None: ...


class LocationTable:
    """Bindings of one usrloc domain (table), safe to use from several threads."""

    def __init__(self, name: str, clock: Callable[[], float], *,
                 store: ContactStore | None = None, db_mode: int = DB_NONE,
                 cseq_delay: int = 20) -> None:
        self.name = name
        self.clock = clock
        self.store = store
        self.db_mode = db_mode if store is not None else DB_NONE
        self.cseq_delay = cseq_delay
        self._records: dict[str, list[Contact]] = {}
        self._lock = threading.RLock()
        # write-back bookkeeping: ruid -> contact to write, ruids to delete
        self._dirty: dict[str, Contact] = {}
        self._deleted: set[str] = set()

    # -- reading -------------------------------------------------------------
    def get_contacts(self, aor: str, *, include_expired: bool = False) -> list[Contact]:
        """Copies of the bindings of ``aor``, best first (q, then newest)."""
        now = self.clock()
        with self._lock:
            contacts = [c.copy() for c in self._records.get(aor, ())
                        if include_expired or not c.is_expired(now)]
        contacts.sort(key=sort_key)
        return contacts

    def has_record(self, aor: str) -> bool:
        """True when ``aor`` has at least one binding that has not expired."""
        return bool(self.get_contacts(aor))

    def aors(self) -> list[str]:
        """All addresses-of-record currently in the table."""
        with self._lock:
            return list(self._records)

    def find_contact(self, aor: str, uri: str, callid: str | None = None,
                     cseq: int | None = None) -> tuple[int, Contact | None]:
        """Look a binding up by contact URI, with Kamailio's Call-ID/CSeq checks.

        Returns ``(FOUND, copy)``, ``(NOT_FOUND, None)``, ``(INVALID_CSEQ, copy)``
        for an older CSeq of the same Call-ID (out of order), or
        ``(RETRANSMISSION, copy)`` for the same CSeq seen less than
        ``cseq_delay`` seconds ago.
        """
        now = self.clock()
        with self._lock:
            for c in self._records.get(aor, ()):
                if c.uri != uri:
                    continue
                if callid is not None and cseq is not None and c.callid == callid:
                    if cseq < c.cseq:
                        return INVALID_CSEQ, c.copy()
                    if cseq == c.cseq and c.last_modified + self.cseq_delay > now:
                        return RETRANSMISSION, c.copy()
                return FOUND, c.copy()
        return NOT_FOUND, None

    # -- changing ------------------------------------------------------------
    def insert(self, contact: Contact) -> Contact:
        """Add a new binding; returns the stored copy (with last_modified set)."""
        stored = contact.copy()
        stored.last_modified = self.clock()
        with self._lock:
            self._records.setdefault(stored.aor, []).append(stored)
            self._persist(stored)
        return stored.copy()

    def update(self, contact: Contact) -> bool:
        """Replace the binding with the same ruid (or aor+uri); False if absent."""
        stored = contact.copy()
        stored.last_modified = self.clock()
        with self._lock:
            contacts = self._records.get(stored.aor, [])
            for i, c in enumerate(contacts):
                if c.ruid == stored.ruid or c.uri == stored.uri:
                    stored.ruid = c.ruid
                    contacts[i] = stored
                    self._persist(stored)
                    return True
        return False

    def delete_contact(self, aor: str, uri: str) -> bool:
        """Remove the binding of ``aor`` to ``uri``; False if there was none."""
        with self._lock:
            contacts = self._records.get(aor, [])
            for c in contacts:
                if c.uri == uri:
                    self._remove(c)
                    return True
        return False

    def delete_ruid(self, aor: str, ruid: str) -> bool:
        """Remove the binding with record id ``ruid``; False if there was none."""
        with self._lock:
            for c in self._records.get(aor, []):
                if c.ruid == ruid:
                    self._remove(c)
                    return True
        return False

    def delete_record(self, aor: str) -> int:
        """Remove every binding of ``aor``; returns how many went."""
        with self._lock:
            contacts = list(self._records.get(aor, []))
            for c in contacts:
                self._remove(c)
        return len(contacts)

    def expire(self) -> list[Contact]:
        """Drop the bindings whose lifetime ended; returns them (the timer's job)."""
        now = self.clock()
        gone: list[Contact] = []
        with self._lock:
            for contacts in list(self._records.values()):
                for c in [c for c in contacts if c.is_expired(now)]:
                    self._remove(c)
                    gone.append(c)
        return gone

    def load(self, contacts: list[Contact]) -> None:
        """Put bindings read from the store into memory, without writing them back."""
        with self._lock:
            for c in contacts:
                self._records.setdefault(c.aor, []).append(c.copy())

    def flush(self) -> int:
        """Write-back mode: write every change since the last flush; returns the count."""
        if self.store is None:
            return 0
        with self._lock:
            dirty, deleted = self._dirty, self._deleted
            self._dirty, self._deleted = {}, set()
            for ruid in deleted:
                self.store.delete(self.name, ruid)
            for c in dirty.values():
                self.store.upsert(self.name, c)
        return len(dirty) + len(deleted)

    def dump(self) -> dict[str, list[dict]]:
        """A JSON-friendly snapshot: {aor: [contact fields...]} (for RPC and tests)."""
        with self._lock:
            return {aor: [vars(c.copy()) for c in sorted(cs, key=sort_key)]
                    for aor, cs in self._records.items()}

    # -- internals (caller holds the lock) ---------------------------------------
    def _remove(self, contact: Contact) -> None:
        contacts = self._records.get(contact.aor, [])
        contacts.remove(contact)
        if not contacts:
            self._records.pop(contact.aor, None)
        if self.db_mode == DB_WRITE_THROUGH and not contact.flags & FL_MEM:
            self.store.delete(self.name, contact.ruid)
        elif self.db_mode == DB_WRITE_BACK:
            self._dirty.pop(contact.ruid, None)
            self._deleted.add(contact.ruid)

    def _persist(self, contact: Contact) -> None:
        if contact.flags & FL_MEM:
            return  # save(..., 0x01): memory only, by request
        if self.db_mode == DB_WRITE_THROUGH:
            self.store.upsert(self.name, contact)
        elif self.db_mode == DB_WRITE_BACK:
            self._deleted.discard(contact.ruid)
            self._dirty[contact.ruid] = contact.copy()
