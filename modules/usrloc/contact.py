"""One registered binding (Kamailio's ``ucontact``) and its record helpers.

A :class:`Contact` is a plain mutable record; the location table hands out
copies so callers never mutate shared state without holding the table lock.
Times are wall-clock seconds (``time.time()`` style) because bindings are
persisted and must survive a restart, where a monotonic clock restarts.
"""
from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field

#: ``q`` value meaning "the Contact carried no q parameter" (Kamailio's Q_UNSPECIFIED).
Q_UNSPECIFIED = -1

#: ``flags`` bit: binding lives in memory only, never written to the database.
FL_MEM = 1 << 0


def new_ruid() -> str:
    """A record-unique id for a new binding (Kamailio's ``ruid``)."""
    return "uloc-" + uuid.uuid4().hex[:20]


@dataclass
class Contact:
    """A binding of an address-of-record to a contact URI.

    ``expires`` is the absolute expiry time (0 = permanent, never expires);
    ``q`` is an integer in thousandths (1000 = 1.0) or :data:`Q_UNSPECIFIED`.
    """

    aor: str
    uri: str
    expires: float = 0.0
    q: int = Q_UNSPECIFIED
    callid: str = ""
    cseq: int = 0
    received: str | None = None
    path: list[str] = field(default_factory=list)
    user_agent: str = ""
    socket: str | None = None
    flags: int = 0           # usrloc flags (FL_MEM, ...)
    cflags: int = 0          # branch flags saved with the binding, restored by lookup
    methods: int | None = None   # Allow bitmask (method filtering); None = all
    instance: str | None = None  # +sip.instance (RFC 5626)
    reg_id: int = 0
    ruid: str = field(default_factory=new_ruid)
    last_modified: float = 0.0

    def is_expired(self, now: float) -> bool:
        """True when the binding has a finite lifetime that ended by ``now``."""
        return self.expires != 0 and self.expires <= now

    def remaining(self, now: float) -> int:
        """Seconds left before expiry, as put in a 200 OK (0 for an expired one)."""
        if self.expires == 0:
            return 0
        return max(0, int(round(self.expires - now)))

    def q_text(self) -> str | None:
        """The q value as a SIP parameter value ("0.5"), or None when unspecified."""
        if self.q == Q_UNSPECIFIED:
            return None
        text = f"{self.q / 1000:.3f}".rstrip("0")
        return text + "0" if text.endswith(".") else text

    def copy(self) -> "Contact":
        """An independent copy (the path list is copied too)."""
        return dataclasses.replace(self, path=list(self.path))


def sort_key(contact: Contact) -> tuple[int, float]:
    """Order of contacts in a record: highest q first, then most recently updated.

    An unspecified q sorts like 0 would in Kamailio's list insertion (below any
    explicit positive q); ties go to the newest binding.
    """
    q = contact.q if contact.q != Q_UNSPECIFIED else 0
    return (-q, -contact.last_modified)
