"""usrloc persistence in SQLite: write-through, write-back, restart survival."""
from __future__ import annotations

import sqlite3

import siprouter.modules.usrloc as ul
from siprouter.modules.usrloc import Contact
from siprouter.modules.usrloc.sqlite_store import db_path_from_url


def binding(uri="sip:alice@10.0.0.1:5070", expires=4600.0, **kw) -> Contact:
    return Contact(aor="alice", uri=uri, expires=expires, q=700, callid="cid", cseq=3,
                   path=["<sip:edge.example.com;lr>"], user_agent="UA/1",
                   received="sip:192.0.2.1:4000", **kw)


def rows(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM ul_contacts").fetchone()[0]


def restart(start_usrloc, **params):
    """Simulate a restart: destroy the running module, init a new instance."""
    ul.mod_destroy(None)
    return start_usrloc(**params)


def test_db_url_forms(tmp_path):
    assert str(db_path_from_url("sqlite:///var/lib/x/location.db")) == "/var/lib/x/location.db"
    assert str(db_path_from_url("/tmp/loc.db")) == "/tmp/loc.db"
    assert str(db_path_from_url("sqlite://rel.db")) == "rel.db"


def test_write_through_survives_restart(start_usrloc, tmp_path):
    db = tmp_path / "sub" / "location.db"
    svc = start_usrloc(db_mode=1, db_url=f"sqlite://{db}")
    svc.insert_contact("location", binding())
    assert rows(db) == 1  # written at once
    svc2 = restart(start_usrloc, db_mode=1, db_url=f"sqlite://{db}")
    rec = svc2.get_urecord("location", "alice")
    assert rec is not None and len(rec) == 1
    c = rec[0]
    assert (c.uri, c.q, c.callid, c.cseq, c.path, c.user_agent, c.received, c.expires) == (
        "sip:alice@10.0.0.1:5070", 700, "cid", 3, ["<sip:edge.example.com;lr>"], "UA/1",
        "sip:192.0.2.1:4000", 4600.0)


def test_write_through_delete_and_update(start_usrloc, tmp_path):
    db = tmp_path / "location.db"
    svc = start_usrloc(db_mode=1, db_url=str(db))
    stored = svc.insert_contact("location", binding())
    stored.cseq = 4
    svc.update_contact("location", stored)
    svc2 = restart(start_usrloc, db_mode=1, db_url=str(db))
    assert svc2.get_urecord("location", "alice")[0].cseq == 4
    svc2.delete_contact("location", "alice", stored.uri)
    assert rows(db) == 0
    svc3 = restart(start_usrloc, db_mode=1, db_url=str(db))
    assert svc3.get_urecord("location", "alice") is None


def test_memory_flag_is_not_persisted(start_usrloc, tmp_path):
    db = tmp_path / "location.db"
    svc = start_usrloc(db_mode=1, db_url=str(db))
    svc.insert_contact("location", binding(flags=ul.FL_MEM))
    assert rows(db) == 0


def test_write_back_flushes_on_timer_and_on_destroy(start_usrloc, clock, tmp_path):
    db = tmp_path / "location.db"
    svc = start_usrloc(db_mode=2, db_url=str(db), timer_interval=10)
    svc.insert_contact("location", binding())
    assert rows(db) == 0  # not yet: write-back
    clock.advance(10)
    assert rows(db) == 1
    svc.insert_contact("location", binding(uri="sip:alice@10.0.0.2"))
    svc.delete_contact("location", "alice", "sip:alice@10.0.0.1:5070")
    svc2 = restart(start_usrloc, db_mode=2, db_url=str(db))  # destroy flushes
    assert [c.uri for c in svc2.get_urecord("location", "alice")] == ["sip:alice@10.0.0.2"]


def test_expired_rows_are_not_loaded(start_usrloc, clock, tmp_path):
    db = tmp_path / "location.db"
    svc = start_usrloc(db_mode=1, db_url=str(db))
    svc.insert_contact("location", binding(expires=1100.0))
    svc.insert_contact("location", binding(uri="sip:perm@h", expires=0))
    clock.advance(500)  # "downtime" past the first binding's expiry
    svc2 = restart(start_usrloc, db_mode=1, db_url=str(db))
    assert [c.uri for c in svc2.get_urecord("location", "alice")] == ["sip:perm@h"]
    assert rows(db) == 1


def test_timer_expiry_removes_rows(start_usrloc, clock, tmp_path):
    db = tmp_path / "location.db"
    svc = start_usrloc(db_mode=1, db_url=str(db), timer_interval=60)
    svc.insert_contact("location", binding(expires=1030.0))
    clock.advance(60)
    assert svc.get_table("location").get_contacts("alice", include_expired=True) == []
    assert rows(db) == 0


def test_tables_share_one_file(start_usrloc, tmp_path):
    db = tmp_path / "location.db"
    svc = start_usrloc(db_mode=1, db_url=str(db))
    svc.insert_contact("location", binding())
    svc.insert_contact("location_b", binding(uri="sip:b@h"))
    svc2 = restart(start_usrloc, db_mode=1, db_url=str(db))
    assert [c.uri for c in svc2.get_urecord("location_b", "alice")] == ["sip:b@h"]
    assert [c.uri for c in svc2.get_urecord("location", "alice")] == ["sip:alice@10.0.0.1:5070"]
