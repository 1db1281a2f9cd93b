"""What the sans-IO transaction state machines ask their owner to do.

The machines in :mod:`server_txn` and :mod:`client_txn` never touch a socket,
a clock or a message: each event handler returns a list of these actions and
the glue (:mod:`cell` / :mod:`proxy`) performs them in order.  That keeps the
machines testable with a fake clock and no I/O at all.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Transmit:
    """Send (or resend) the transaction's message.

    ``what`` is ``"request"`` (client: the request of this branch),
    ``"reply"`` (server: the last reply sent), or ``"ack"`` (client INVITE:
    the hop-by-hop ACK for a non-2xx final response).
    """

    what: str


@dataclass(frozen=True, slots=True)
class SetTimer:
    """Arm (or re-arm) timer ``name`` to fire after ``delay`` seconds."""

    name: str
    delay: float


@dataclass(frozen=True, slots=True)
class ClearTimer:
    """Disarm timer ``name`` (no-op when it is not armed)."""

    name: str


@dataclass(frozen=True, slots=True)
class PassUp:
    """Hand an event to the transaction user (the proxy core).

    ``event`` is one of ``"response"`` (a response the TU must see),
    ``"timeout"`` (Timer B/F or fr_inv expired without a final response),
    ``"ack_timeout"`` (server INVITE: Timer H, no ACK came),
    ``"transport_error"``.
    """

    event: str


@dataclass(frozen=True, slots=True)
class Terminate:
    """The machine reached Terminated: the owner may forget it."""


TERMINATE = Terminate()


# The actions without a variable part, made once: the machines hand out these
# shared (immutable) objects instead of building new ones per event.
TRANSMIT_REQUEST = Transmit("request")
TRANSMIT_REPLY = Transmit("reply")
TRANSMIT_ACK = Transmit("ack")
PASS_RESPONSE = PassUp("response")
#: ``CLEAR["A"]`` is ``ClearTimer("A")``, one object per timer name
CLEAR = {name: ClearTimer(name) for name in "ABCDEFGHIJKLM"}


#: SetTimer actions already made, by (name, delay); see set_timer
_SET_TIMERS: dict[tuple[str, float], SetTimer] = {}
_SET_TIMERS_MAX = 512


def set_timer(name: str, delay: float) -> SetTimer:
    """``SetTimer(name, delay)``, shared: the machines arm ~9 timers per call, almost
    all with the same few delays (T1, fr, fr_inv, wt), and building a frozen
    dataclass costs ~0.5 µs, a dict lookup a fifth of that.  Delays capped by a
    lifetime are arbitrary floats: past ``_SET_TIMERS_MAX`` entries new ones
    are made, not kept."""
    key = (name, delay)
    action = _SET_TIMERS.get(key)
    if action is None:
        action = SetTimer(name, delay)
        if len(_SET_TIMERS) < _SET_TIMERS_MAX:
            _SET_TIMERS[key] = action
    return action
