"""The transaction table: every live tm transaction, indexed four ways.

When: a transaction is inserted when tm creates it (t_newtran and friends)
and removed when every state machine of it has terminated (or at shutdown).
What: lookups by request key (retransmissions, CANCEL → INVITE, ACK),
by identity ``(index, label)`` (t_continue), by outgoing branch id (replies),
and by (Call-ID, CSeq, From tag) for end-to-end ACKs of 2xx.

One lock guards the dicts; it is held only for dict operations, never while
a transaction's own lock is taken inside it, so the two cannot deadlock
(the order is always: table lock briefly, release, then the txn lock).
"""
from __future__ import annotations

import itertools
import threading
from typing import Any, Iterator

#: Number of hash slots; ``index`` is a slot number as in Kamailio.
TABLE_ENTRIES = 1 << 16


class TransactionTable:
    """Thread-safe indexes of the live transactions; see the module docstring."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._labels = itertools.count(1)
        self.by_key: dict[tuple, Any] = {}
        # keyed by label alone (labels are unique): no (index, label) tuple per transaction
        self.by_ident: dict[int, Any] = {}
        self.by_reply: dict[tuple[str, str], tuple[Any, Any, str]] = {}
        self.by_e2e: dict[tuple, Any] = {}

    # -- identities ------------------------------------------------------------
    def new_ident(self, call_id: str | None, cseq_num: int | None) -> tuple[int, int]:
        """A fresh (index, label): index hashes Call-ID and CSeq, label is unique."""
        # Python's hash of a str is cached on the object (the Call-ID is hashed
        # anyway by the lookups), so this costs far less than a CRC of a new string;
        # the slot only has to spread transactions, not be stable across restarts
        index = hash((call_id, cseq_num)) % TABLE_ENTRIES
        return index, next(self._labels)

    # -- insertion / removal ---------------------------------------------------
    def insert(self, txn: Any, key: tuple | None, e2e_key: tuple | None = None) -> Any:
        """Insert ``txn`` under ``key``; returns the transaction already there, if any.

        The check and the insert are one step so two threads receiving the
        same request cannot both create a transaction.
        """
        with self.lock:
            if key is not None:
                old = self.by_key.get(key)
                if old is not None:
                    return old
                self.by_key[key] = txn
            self.by_ident[txn.label] = txn
            if e2e_key is not None:
                self.by_e2e[e2e_key] = txn
        return None

    def add_reply_key(self, key: tuple[str, str], txn: Any, branch: Any, kind: str) -> None:
        """Route responses with (branch id, method) to ``txn``'s ``branch``."""
        with self.lock:
            self.by_reply[key] = (txn, branch, kind)

    def remove(self, txn: Any) -> bool:
        """Forget ``txn`` everywhere; True when it was present."""
        with self.lock:
            present = self.by_ident.pop(txn.label, None) is not None
            if txn.key is not None and self.by_key.get(txn.key) is txn:
                del self.by_key[txn.key]
            if txn.e2e_key is not None and self.by_e2e.get(txn.e2e_key) is txn:
                del self.by_e2e[txn.e2e_key]
            # txn.reply_keys inlined: no key list built per transaction freed
            by_reply = self.by_reply
            method = txn.method
            for b in txn.branches:
                bid = b.branch_id
                if not bid:
                    continue
                rk = (bid, method)
                entry = by_reply.get(rk)
                if entry is not None and entry[0] is txn:
                    del by_reply[rk]
                if b.cancel_sent:
                    rk = (bid, "CANCEL")
                    entry = by_reply.get(rk)
                    if entry is not None and entry[0] is txn:
                        del by_reply[rk]
        return present

    # -- lookups -----------------------------------------------------------------
    def get(self, key: tuple | None) -> Any:
        if key is None:
            return None
        with self.lock:
            return self.by_key.get(key)

    def get_ident(self, index: int, label: int) -> Any:
        with self.lock:
            txn = self.by_ident.get(label)
        return txn if txn is not None and txn.index == index else None

    def get_reply(self, key: tuple[str, str] | None) -> tuple[Any, Any, str] | None:
        if key is None:
            return None
        with self.lock:
            return self.by_reply.get(key)

    def get_e2e(self, key: tuple | None) -> Any:
        if key is None:
            return None
        with self.lock:
            return self.by_e2e.get(key)

    def __len__(self) -> int:
        with self.lock:
            return len(self.by_ident)

    def snapshot(self) -> list[Any]:
        """A list copy of the live transactions (iteration without the lock)."""
        with self.lock:
            return list(self.by_ident.values())

    def __iter__(self) -> Iterator[Any]:
        return iter(self.snapshot())
