"""Transaction matching keys (RFC 3261 §17.1.3, §17.2.3, §9.2) and branch ids.

When: every request tm looks up (t_newtran, t_check_trans, t_lookup_*,
t_relay of ACK/CANCEL) and every reply that reaches the ``reply_in`` hook.
What: pure functions from a parsed message to hashable keys; the table
stores transactions under these keys.

Requests carrying the RFC 3261 magic cookie match on (branch, sent-by,
method), with ACK folded into INVITE.  Requests without it fall back to the
RFC 2543 rule: Request-URI, From tag, Call-ID, CSeq number and the top Via
(and for an ACK, its To tag must equal the To tag of the reply tm sent — the
caller checks that part, see :func:`ack_to_tag_ok`).
"""
from __future__ import annotations

import hashlib
import itertools
import os
from typing import Any

MAGIC = "z9hG4bK"

Key = tuple


def _sent_by(via: Any) -> tuple[str, int | None]:
    return ((via.host or "").lower(), via.port)


def _from_tag(msg: Any) -> str | None:
    f = msg.from_
    return f.tag if f is not None else None


def request_key(req: Any, method: str | None = None) -> Key | None:
    """The key a request (or its retransmission) has in the server table.

    ``method`` overrides the method part (``"INVITE"`` to find the INVITE a
    CANCEL refers to).  ACK maps to INVITE.  None when the message lacks a
    top Via, Call-ID or CSeq.
    """
    via = req.top_via
    if via is None:
        return None
    m = method or req.method
    if m == "ACK":
        m = "INVITE"
    branch = via.branch
    if branch and branch.startswith(MAGIC):
        return ("3261", branch, _sent_by(via), m)
    cseq = req.cseq
    if cseq is None or req.call_id is None:
        return None
    return ("2543", req.call_id, cseq.number, _from_tag(req), str(req.uri), str(via).strip(), m)


def ack_to_tag_ok(ack: Any, reply_to_tag: str | None) -> bool:
    """RFC 2543 ACK matching: the ACK's To tag equals the tag of our reply.

    RFC 3261 ACKs (magic cookie) are matched by branch alone, so the check
    only applies when the branch lacks the cookie.
    """
    via = ack.top_via
    if via is not None and via.branch and via.branch.startswith(MAGIC):
        return True
    to = ack.to
    return reply_to_tag is None or (to is not None and to.tag == reply_to_tag)


def reply_key(reply: Any) -> Key | None:
    """The key of the client transaction a response belongs to (§17.1.3).

    (top Via branch, CSeq method); None when either is missing or the branch
    is not one of ours (tm always uses the magic cookie).
    """
    via = reply.top_via
    cseq = reply.cseq
    if via is None or cseq is None or not via.branch:
        return None
    return (via.branch, cseq.method.upper())


_counter = itertools.count(1)
_salt = os.urandom(4).hex()


def new_branch_base() -> str:
    """A fresh branch prefix for a transaction's outgoing branches.

    Branch *n* of the transaction is ``f"{base}.{n}"``; the CANCEL for a
    branch reuses that branch value (RFC 3261 §9.1).
    """
    return f"{MAGIC}{_salt}{next(_counter):x}"


def stateless_branch(req: Any) -> str:
    """Deterministic branch for a statelessly relayed request (e2e ACK, §16.11).

    Derived from the incoming top Via so a retransmitted ACK gets the same
    branch downstream.
    """
    via = req.top_via
    branch = via.branch if via is not None else None
    if branch and branch.startswith(MAGIC):
        # RFC 3261 §8.1.1.7: the branch is unique per request (an ACK for a 2xx
        # has its own): with the Call-ID and method it is seed enough, no CSeq to parse
        seed = f"{branch}|{req.call_id}|{req.method}"
    else:
        seed = (branch or str(via)) if via is not None else (req.call_id or "")
        cseq = req.cseq
        seed += f"|{req.call_id}|{cseq.number if cseq else ''}|{req.method}"
    return MAGIC + "sl" + hashlib.md5(seed.encode()).hexdigest()[:16]
