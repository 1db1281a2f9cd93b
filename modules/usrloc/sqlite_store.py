"""Embedded SQLite persistence for usrloc (db_mode 1 and 2).

One file holds every table; rows carry the table name ("location", ...) so a
single database serves several usrloc domains. The connection is shared by
all threads and guarded by a lock (sqlite3 objects are not thread-safe).
"""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from siprouter.modules.usrloc.contact import Contact

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ul_contacts (
    ruid          TEXT PRIMARY KEY,
    tbl           TEXT NOT NULL,
    aor           TEXT NOT NULL,
    uri           TEXT NOT NULL,
    expires       REAL NOT NULL,
    q             INTEGER NOT NULL,
    callid        TEXT NOT NULL,
    cseq          INTEGER NOT NULL,
    received      TEXT,
    path          TEXT NOT NULL,      -- JSON list of Path header values
    user_agent    TEXT NOT NULL,
    socket        TEXT,
    flags         INTEGER NOT NULL,
    cflags        INTEGER NOT NULL,
    methods       INTEGER,
    instance      TEXT,
    reg_id        INTEGER NOT NULL,
    last_modified REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ul_contacts_aor ON ul_contacts (tbl, aor);
"""

_COLUMNS = ("ruid", "tbl", "aor", "uri", "expires", "q", "callid", "cseq", "received",
            "path", "user_agent", "socket", "flags", "cflags", "methods", "instance",
            "reg_id", "last_modified")


def db_path_from_url(db_url: str) -> Path:
    """Turn ``sqlite:///abs/path.db``, ``sqlite://rel.db`` or a plain path into a Path."""
    url = db_url.strip()
    for prefix in ("sqlite://", "sqlite:"):
        if url.startswith(prefix):
            url = url[len(prefix):]
            break
    if not url:
        raise ValueError(f"db_url {db_url!r} names no file")
    return Path(url)


class SqliteContactStore:
    """Reads and writes bindings in an SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        # check_same_thread=False: the lock above serialises all use.
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)

    def upsert(self, table: str, contact: Contact) -> None:
        """Insert or replace the row of ``contact`` (keyed by its ruid)."""
        row = (contact.ruid, table, contact.aor, contact.uri, contact.expires, contact.q,
               contact.callid, contact.cseq, contact.received, json.dumps(contact.path),
               contact.user_agent, contact.socket, contact.flags, contact.cflags,
               contact.methods, contact.instance, contact.reg_id, contact.last_modified)
        marks = ", ".join("?" * len(_COLUMNS))
        with self._lock:
            self._db.execute(f"INSERT OR REPLACE INTO ul_contacts ({', '.join(_COLUMNS)}) "
                             f"VALUES ({marks})", row)

    def delete(self, table: str, ruid: str) -> None:
        """Remove one binding by its ruid."""
        with self._lock:
            self._db.execute("DELETE FROM ul_contacts WHERE tbl = ? AND ruid = ?", (table, ruid))

    def load(self, table: str, now: float) -> list[Contact]:
        """Every binding of ``table`` still valid at ``now``; expired rows are purged."""
        with self._lock:
            self._db.execute("DELETE FROM ul_contacts WHERE tbl = ? AND expires != 0 "
                             "AND expires <= ?", (table, now))
            rows = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM ul_contacts "
                                    "WHERE tbl = ?", (table,)).fetchall()
        contacts = []
        for row in rows:
            rec = dict(zip(_COLUMNS, row))
            rec.pop("tbl")
            rec["path"] = json.loads(rec["path"])
            contacts.append(Contact(**rec))
        return contacts

    def close(self) -> None:
        """Close the database (module destroy)."""
        with self._lock:
            self._db.close()
