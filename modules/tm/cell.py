"""A tm transaction ("cell" in Kamailio): the server side, its branches, its state.

When: created by t_newtran / t_relay / t_send_reply / t_suspend for a
request; lives until every state machine in it has terminated.  What: plain
data plus the lock that serialises everything done to it (ARCHITECTURE §5:
a lock per transaction).  The behaviour lives in :mod:`proxy` (forwarding,
response context) and :mod:`api` (suspend/continue); this module only
holds state so that those stay readable.
"""
from __future__ import annotations

import enum
import itertools
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from .client_txn import ClientTransaction
from .server_txn import ServerTransaction
from .timers import TimerSet, TimerValues


# To tags of tm's local replies: unique per process and hard to guess across
# restarts, without a system call per transaction.
_TAG_PREFIX = secrets.token_hex(6)
_TAG_COUNTER = itertools.count(1)


class Suspend(enum.Enum):
    """Suspension life cycle (spec §6 item 9: replies are held only while SUSPENDED)."""

    ACTIVE = "active"          # normal processing
    SUSPENDED = "suspended"    # t_suspend done; waiting for t_continue / fr expiry / CANCEL
    RESUMING = "resuming"      # t_continue is running the continuation


@dataclass(eq=False, slots=True)
class Branch:
    """One outgoing branch (a client transaction), or a blind one (t_suspend).

    ``final_status`` 0 means the branch is still open; a timed-out or
    cancel-closed branch gets a *faked* status (408 / 487) without a reply.
    """

    index: int
    blind: bool = False
    request: Any = None               # the SipRequest sent on this branch
    data: bytes = b""                 # its bytes (retransmissions)
    dest: Any = None                  # Destination
    uri: str = ""
    branch_id: str = ""
    via: str = ""                     # the Via value tm put on top
    bflags: int = 0
    ctxn: ClientTransaction | None = None
    timers: TimerSet | None = None    # a blind branch's fr only (the others' are the txn's)
    last_reply: Any = None            # last reply received (any status)
    final_reply: Any = None           # the final reply stored for best-response selection
    final_status: int = 0
    faked: bool = False               # final_status was set by tm, not received
    timed_out: bool = False
    never_pick: bool = False          # blind branch consumed by t_continue
    dropped: bool = False             # t_drop_replies
    canceled: bool = False            # the branch was asked to stop (CANCEL / 2xx elsewhere)
    cancel_sent: bool = False
    starting: bool = False            # inside t_relay's first send
    cancel_reason: str | None = None
    cancel_data: bytes = b""
    cancel_ctxn: ClientTransaction | None = None
    cancel_timers: TimerSet | None = None
    ack_data: bytes | None = None
    on_reply: str | None = None       # onreply_route armed for this branch
    on_failure: str | None = None
    on_branch_failure: str | None = None

    @property
    def open(self) -> bool:
        """Still waiting for a final reply that counts."""
        return self.final_status == 0

    @property
    def replied(self) -> bool:
        return self.last_reply is not None

    @property
    def machines_done(self) -> bool:
        """Every client machine of the branch has terminated (or never started)."""
        if self.blind:
            return self.timers is None or not self.timers.armed()
        return (self.ctxn is None or self.ctxn.terminated) and \
               (self.cancel_ctxn is None or self.cancel_ctxn.terminated)


@dataclass(eq=False, slots=True)
class Transaction:
    """A tm transaction; see the module docstring.  Guard every access with ``lock``."""

    index: int
    label: int
    method: str
    uas_request: Any                      # the received request (replies go back along it)
    request: Any                          # tm's copy: base of faked requests (failure/continue)
    timers_cfg: TimerValues
    key: tuple | None = None
    e2e_key: tuple | None = None
    uas: ServerTransaction | None = None
    uas_timers: TimerSet | None = None
    uas_reply: Any = None                 # last reply sent upstream
    own_tag: str | None = None            # To tag of local replies (see to_tag), set on first use
    branches: list[Branch] = field(default_factory=list)
    branch_base: str = ""
    on_failure: str | None = None
    on_reply: str | None = None
    on_branch: str | None = None
    on_branch_failure: str | None = None
    canceled: bool = False
    cancel_reason: str | None = None      # Reason header of the CANCEL (e2e_cancel_reason)
    suspend: Suspend = Suspend.ACTIVE
    suspend_branch: Branch | None = None
    suspend_reply: tuple | None = None     # (branch, reply, route_type) of a suspended reply
    suspend_timers: TimerSet | None = None  # fr guard of a suspended reply
    held: list[tuple[Branch, Any]] | None = None   # replies held while suspended (made on demand)
    in_failure: bool = False              # failure_route running
    completed: bool = False               # response context finished (final chosen)
    released: bool = False
    ended: bool = False                   # removed from the table
    relay_2xx: bool = False
    no_auto_100: bool = False
    created: float = 0.0
    callbacks: dict[str, list[Callable[..., Any]]] | None = None   # made by the first registration
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- queries ---------------------------------------------------------------
    @property
    def to_tag(self) -> str:
        """The To tag of tm's local replies (RFC 3261 §8.2.6.2): the request's own tag
        when it has one, else one made on first use.  Both are settled on the first
        call (a local reply above 100, a faked reply), never at t_newtran: a relayed
        call or a suspended INVITE with only its 100 Trying never needs one."""
        tag = self.own_tag
        if tag is None:
            try:
                to = getattr(self.uas_request, "to", None)
            except ValueError:      # a To that does not parse: the reply gets our tag
                to = None
            tag = to.tag if to is not None else None
            if not tag:
                tag = f"{_TAG_PREFIX}{next(_TAG_COUNTER):x}"
            self.own_tag = tag
        return tag

    @to_tag.setter
    def to_tag(self, value: str) -> None:
        self.own_tag = value

    @property
    def is_invite(self) -> bool:
        return self.method == "INVITE"

    @property
    def ident(self) -> tuple[int, int]:
        return self.index, self.label

    @property
    def final_sent(self) -> bool:
        return self.uas is not None and self.uas.final_sent

    @property
    def status(self) -> int:
        """Status of the last reply sent upstream (0: none)."""
        return self.uas.last_status if self.uas is not None else 0

    @property
    def reply_keys(self) -> list[tuple[str, str]]:
        """The (branch id, method) keys under which the table routes replies to us:
        one per sent branch, plus one per CANCEL sent (derived, so no list is kept)."""
        keys = []
        for b in self.branches:
            if b.branch_id:
                keys.append((b.branch_id, self.method))
                if b.cancel_sent:
                    keys.append((b.branch_id, "CANCEL"))
        return keys

    def open_branches(self) -> list[Branch]:
        return [b for b in self.branches if b.open]

    def has_open_branch(self) -> bool:
        return any(b.open for b in self.branches)

    def machines_done(self) -> bool:
        """Server side and all branches terminated: the cell can be freed."""
        return (self.uas is None or self.uas.terminated) and \
               all(b.machines_done for b in self.branches)

    def __repr__(self) -> str:
        return (f"<Transaction {self.index}:{self.label} {self.method} "
                f"status={self.status} branches={len(self.branches)} {self.suspend.value}>")
