"""usrloc in memory: insert/update/delete, ordering, CSeq checks, expiry timer."""
from __future__ import annotations

import threading

import pytest

import siprouter.modules.usrloc as ul
from siprouter.core.modsys import ModuleInitError
from siprouter.modules.usrloc import Contact
from siprouter.modules.usrloc.location_table import (
    FOUND, INVALID_CSEQ, NOT_FOUND, RETRANSMISSION)


def make(aor="alice", uri="sip:alice@10.0.0.1", expires=1060.0, **kw) -> Contact:
    return Contact(aor=aor, uri=uri, expires=expires, **kw)


def test_module_declaration_defaults():
    p = ul.module.params
    assert p["db_mode"].default == 0
    assert p["timer_interval"].default == 60
    assert ul.siprouter_module() is ul.module


def test_insert_and_get_urecord(start_usrloc):
    svc = start_usrloc()
    svc.insert_contact("location", make())
    rec = svc.get_urecord("location", "alice")
    assert [c.uri for c in rec] == ["sip:alice@10.0.0.1"]
    assert rec[0].last_modified == 1000.0
    assert svc.get_urecord("location", "bob") is None


def test_returned_contacts_are_copies(start_usrloc):
    svc = start_usrloc()
    svc.insert_contact("location", make())
    svc.get_urecord("location", "alice")[0].uri = "sip:changed@x"
    assert svc.get_urecord("location", "alice")[0].uri == "sip:alice@10.0.0.1"


def test_contacts_ordered_by_q_then_newest(start_usrloc, clock):
    svc = start_usrloc()
    svc.insert_contact("location", make(uri="sip:a@h", q=500))
    clock.advance(1)
    svc.insert_contact("location", make(uri="sip:b@h", q=1000))
    clock.advance(1)
    svc.insert_contact("location", make(uri="sip:c@h", q=500))
    assert [c.uri for c in svc.get_urecord("location", "alice")] == ["sip:b@h", "sip:c@h", "sip:a@h"]


def test_update_and_delete(start_usrloc):
    svc = start_usrloc()
    stored = svc.insert_contact("location", make(cseq=1))
    changed = stored.copy()
    changed.cseq = 2
    assert svc.update_contact("location", changed)
    assert svc.get_urecord("location", "alice")[0].cseq == 2
    assert not svc.update_contact("location", make(aor="nobody"))
    assert svc.delete_contact("location", "alice", "sip:alice@10.0.0.1")
    assert not svc.delete_contact("location", "alice", "sip:alice@10.0.0.1")
    assert svc.get_urecord("location", "alice") is None


def test_delete_urecord(start_usrloc):
    svc = start_usrloc()
    svc.insert_contact("location", make(uri="sip:a@h"))
    svc.insert_contact("location", make(uri="sip:b@h"))
    assert svc.delete_urecord("location", "alice") == 2
    assert svc.delete_urecord("location", "alice") == 0


def test_find_contact_cseq_rules(start_usrloc, clock):
    svc = start_usrloc()
    svc.insert_contact("location", make(callid="c1", cseq=10))
    table = svc.get_table("location")
    assert table.find_contact("alice", "sip:other@h", "c1", 11) == (NOT_FOUND, None)
    assert table.find_contact("alice", "sip:alice@10.0.0.1", "c1", 11)[0] == FOUND
    assert table.find_contact("alice", "sip:alice@10.0.0.1", "c1", 9)[0] == INVALID_CSEQ
    assert table.find_contact("alice", "sip:alice@10.0.0.1", "c1", 10)[0] == RETRANSMISSION
    # another Call-ID never conflicts; the same CSeq after cseq_delay is a new request
    assert table.find_contact("alice", "sip:alice@10.0.0.1", "c2", 1)[0] == FOUND
    clock.advance(21)
    assert table.find_contact("alice", "sip:alice@10.0.0.1", "c1", 10)[0] == FOUND


def test_expired_contacts_hidden_then_removed_by_timer(start_usrloc, clock):
    svc = start_usrloc(timer_interval=30)
    svc.insert_contact("location", make(uri="sip:short@h", expires=1010.0))
    svc.insert_contact("location", make(uri="sip:long@h", expires=5000.0))
    svc.insert_contact("location", make(uri="sip:static@h", expires=0))  # never expires
    clock.advance(15)
    assert {c.uri for c in svc.get_urecord("location", "alice")} == {"sip:static@h", "sip:long@h"}
    table = svc.get_table("location")
    assert len(table.get_contacts("alice", include_expired=True)) == 3  # still stored
    clock.advance(15)  # the timer fires at 1030
    assert len(table.get_contacts("alice", include_expired=True)) == 2
    assert clock.pending() == 1  # re-armed


def test_expire_now_and_dump(start_usrloc, clock):
    svc = start_usrloc()
    svc.insert_contact("location", make(expires=1001.0))
    clock.now()
    svc.clock = lambda: 2000.0
    assert svc.expire_now() == 1
    assert svc.dump() == {"location": {}}


def test_dump_lists_fields(start_usrloc):
    svc = start_usrloc()
    svc.insert_contact("location", make(user_agent="UA/1"))
    dumped = svc.dump()["location"]["alice"][0]
    assert dumped["uri"] == "sip:alice@10.0.0.1" and dumped["user_agent"] == "UA/1"


def test_thread_safety_concurrent_inserts(start_usrloc):
    svc = start_usrloc()

    def worker(n: int) -> None:
        for i in range(200):
            svc.insert_contact("location", make(aor=f"u{n}", uri=f"sip:{i}@h"))
            svc.get_urecord("location", f"u{n}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(svc.get_urecord("location", f"u{n}")) == 200 for n in range(4))


def test_db_mode_without_db_url_is_an_init_error(clock):
    from ul_fakes import FakeModuleEnv
    with pytest.raises(ModuleInitError, match="db_url"):
        ul.mod_init(FakeModuleEnv(ul.module, clock, db_mode=1))


def test_contact_helpers():
    c = make(q=500, expires=1100.0)
    assert c.q_text() == "0.5"
    assert make(q=1000).q_text() == "1.0"
    assert make().q_text() is None
    assert c.remaining(1000.0) == 100
    assert c.remaining(2000.0) == 0
    assert c.is_expired(1100.0) and not c.is_expired(1099.0)


def test_timer_armed_by_child_init_only_once(clock):
    from ul_fakes import FakeModuleEnv
    env = FakeModuleEnv(ul.module, clock)
    ul.mod_init(env)
    try:
        assert clock.pending() == 0  # mod_init runs before the loop exists
        ul.child_init(env, 1)
        ul.child_init(env, 1)
        assert clock.pending() == 1
    finally:
        ul.mod_destroy(None)
    assert clock.pending() == 0  # destroy cancels it
