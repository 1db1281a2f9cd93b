"""RFC 3261 §17.2 server transactions (INVITE and non-INVITE), sans-IO.

When: one machine per incoming request that tm keeps state for (t_newtran,
t_relay, t_send_reply, t_suspend).  What: it decides when the last reply is
sent again (request retransmissions, Timer G), when an ACK ends the INVITE
transaction, and when the transaction may be forgotten (Timers H, I, J and
the RFC 6026 Accepted-state Timer L).

The machine knows nothing of messages or sockets.  The owner calls
``send_reply(status)`` *before* putting the reply bytes on the wire itself —
the returned ``TRANSMIT_REPLY`` tells it to send the reply it just stored —
and ``request_retransmitted()`` / ``ack_received()`` / ``timer_fired()`` as
things happen.  Every call returns a list of actions (see :mod:`actions`).

States (RFC 3261 Figures 7 and 8, plus RFC 6026's Accepted):

* INVITE:     proceeding → completed → confirmed → terminated
                         ↘ accepted (2xx) → terminated
* non-INVITE: trying → proceeding → completed → terminated
"""
from __future__ import annotations

import enum

from .actions import CLEAR, TERMINATE, TRANSMIT_REPLY, PassUp, set_timer
from .timers import T4, TimerValues


class SState(enum.Enum):
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    ACCEPTED = "accepted"
    TERMINATED = "terminated"


class ReplyRefused(Exception):
    """A reply the state machine cannot send (a final reply was already sent)."""


class ServerTransaction:
    """Server transaction state machine; see the module docstring.

    ``reliable`` is True for TCP/TLS/SCTP (no retransmissions of replies,
    Timers I and J are zero).
    """

    __slots__ = ("invite", "reliable", "timers", "state", "last_status", "_g_interval")

    def __init__(self, invite: bool, reliable: bool, timers: TimerValues) -> None:
        self.invite = invite
        self.reliable = reliable
        self.timers = timers
        self.state = SState.PROCEEDING if invite else SState.TRYING
        self.last_status = 0          # 0: nothing sent yet
        self._g_interval = timers.t1

    # -- queries ---------------------------------------------------------------
    @property
    def final_sent(self) -> bool:
        """True once a final (>=200) reply went out."""
        return self.last_status >= 200

    @property
    def terminated(self) -> bool:
        return self.state is SState.TERMINATED

    # -- events ----------------------------------------------------------------
    def send_reply(self, status: int) -> list:
        """The TU sends a reply with ``status``; returns the actions.

        Raises :class:`ReplyRefused` when a final reply was already sent
        (a second final reply is a TU bug; 2xx retransmissions of a proxied
        INVITE go through ``resend_2xx`` instead).
        """
        if self.state in (SState.COMPLETED, SState.CONFIRMED, SState.ACCEPTED, SState.TERMINATED):
            raise ReplyRefused(f"final reply {self.last_status} already sent")
        self.last_status = status
        if status < 200:
            self.state = SState.PROCEEDING
            return [TRANSMIT_REPLY]
        t = self.timers
        if self.invite:
            if status < 300:
                # RFC 6026: stay to absorb INVITE retransmissions; the proxy relays
                # further 2xx (retransmissions from the UAS) end to end.
                self.state = SState.ACCEPTED
                return [TRANSMIT_REPLY, set_timer("L", t.wt)]
            self.state = SState.COMPLETED
            actions: list = [TRANSMIT_REPLY]
            if not self.reliable:
                self._g_interval = t.t1
                actions.append(set_timer("G", t.t1))
            actions.append(set_timer("H", 64 * t.t1))
            return actions
        self.state = SState.COMPLETED
        return [TRANSMIT_REPLY, set_timer("J", 0.0 if self.reliable else t.wt)]

    def resend_2xx(self) -> list:
        """A retransmitted 2xx from downstream is relayed (INVITE, Accepted)."""
        if self.state is SState.ACCEPTED:
            return [TRANSMIT_REPLY]
        return []

    def request_retransmitted(self) -> list:
        """A retransmission of the request arrived: resend the last reply, if any."""
        if self.state is SState.TERMINATED or self.state is SState.CONFIRMED:
            return []
        if self.state is SState.TRYING or self.last_status == 0:
            return []   # nothing sent yet: absorb silently (RFC 17.2.2)
        return [TRANSMIT_REPLY]

    def ack_received(self) -> list:
        """An ACK matched this INVITE transaction.

        In Completed it confirms the negative reply (stop Timer G/H, start I);
        elsewhere it is absorbed without effect.
        """
        if self.state is SState.COMPLETED and self.invite:
            self.state = SState.CONFIRMED
            return [CLEAR["G"], CLEAR["H"],
                    set_timer("I", 0.0 if self.reliable else min(T4, self.timers.wt))]
        return []

    def timer_fired(self, name: str) -> list:
        """Timer ``name`` expired."""
        if self.state is SState.TERMINATED:
            return []
        if name == "G" and self.state is SState.COMPLETED and self.invite and not self.reliable:
            self._g_interval = min(2 * self._g_interval, self.timers.t2)
            return [TRANSMIT_REPLY, set_timer("G", self._g_interval)]
        if name == "H" and self.state is SState.COMPLETED and self.invite:
            self.state = SState.TERMINATED
            return [CLEAR["G"], PassUp("ack_timeout"), TERMINATE]
        if (name == "I" and self.state is SState.CONFIRMED) or \
           (name == "J" and self.state is SState.COMPLETED and not self.invite) or \
           (name == "L" and self.state is SState.ACCEPTED):
            self.state = SState.TERMINATED
            return [TERMINATE]
        return []

    def transport_error(self) -> list:
        """Sending a reply failed: the transaction ends (RFC 3261 §17.2.4)."""
        if self.state is SState.TERMINATED:
            return []
        self.state = SState.TERMINATED
        return [CLEAR["G"], CLEAR["H"], PassUp("transport_error"), TERMINATE]

    def terminate(self) -> list:
        """Forced end (shutdown, t_release on a finished transaction)."""
        if self.state is SState.TERMINATED:
            return []
        self.state = SState.TERMINATED
        return [CLEAR["G"], CLEAR["H"], CLEAR["I"], CLEAR["J"],
                CLEAR["L"], TERMINATE]
