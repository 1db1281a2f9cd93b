"""Checks a server runs on a parsed message before routing it.

They are separate from ``parse_message`` because the right reply depends on
the element's role (RFC 4475 §3.3.1 insuf, §3.3.8 multi01).
"""
from __future__ import annotations

from .headers import SINGLE_VALUE, canonical_name
from .message import SipMessage

REQUIRED = ("via", "from", "to", "call-id", "cseq")


def single_value_violations(msg: SipMessage) -> list[str]:
    """Names of single-value headers that occur more than once (RFC 3261 §7.3.1:
    only list headers may repeat).  Empty when the message is fine."""
    return [canonical_name(key) for key in SINGLE_VALUE if msg.count(key) > 1]


def missing_required_headers(msg: SipMessage, *, max_forwards: bool = False) -> list[str]:
    """Names of mandatory headers that are absent (RFC 3261 §8.1.1).

    Max-Forwards is checked only when asked: RFC 2543 requests lack it and are
    still to be accepted (RFC 4475 §3.4.1).
    """
    keys = REQUIRED + ("max-forwards",) if (max_forwards and msg.is_request) else REQUIRED
    return [canonical_name(key) for key in keys if not msg.has(key)]
