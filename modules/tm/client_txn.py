"""RFC 3261 §17.1 client transactions (INVITE and non-INVITE), sans-IO.

When: one machine per outgoing branch (and per CANCEL tm sends for a branch).
What: request retransmissions (Timers A and E, T1 doubling capped at T2 as
Kamailio does), the final-response timeout, the hop-by-hop ACK for a
non-2xx final response, and absorbing response retransmissions in the
Completed state.

Kamailio's timers replace the RFC's B/F/C:

* ``B`` / ``F`` = fr_timer: no reply at all within fr → ``PassUp("timeout")``.
* ``C`` = fr_inv_timer: INVITE got a provisional but no final reply within
  fr_inv → ``PassUp("timeout")``; the machine stays in Proceeding so the TU
  can CANCEL the branch and still receive (and ACK) the 487; it then gives
  up after another 64*T1 (re-armed ``B``).
* Both are capped by max_inv_lifetime / max_noninv_lifetime counted from
  ``start``.
* ``D``, ``K``, ``M`` (RFC 6026 Accepted) use the wait timer on unreliable
  transports; D and K are 0 on reliable ones.

States: INVITE calling → proceeding → completed | accepted → terminated;
non-INVITE trying → proceeding → completed → terminated.
"""
from __future__ import annotations

import enum

from .actions import (CLEAR, PASS_RESPONSE, TERMINATE, TRANSMIT_ACK, TRANSMIT_REQUEST, PassUp,
                      set_timer)
from .timers import TimerValues


class CState(enum.Enum):
    CALLING = "calling"
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    ACCEPTED = "accepted"
    TERMINATED = "terminated"


_RETR = {True: "A", False: "E"}
_FR = {True: "B", False: "F"}


class ClientTransaction:
    """Client transaction state machine; see the module docstring."""

    __slots__ = ("invite", "reliable", "timers", "state", "last_status", "timed_out",
                 "retransmitting", "_interval", "_deadline")

    def __init__(self, invite: bool, reliable: bool, timers: TimerValues) -> None:
        self.invite = invite
        self.reliable = reliable
        self.timers = timers
        self.state: CState | None = None   # None until start()
        self.last_status = 0               # highest-class status received (0: none)
        self.timed_out = False             # fr/fr_inv fired before a final reply
        self.retransmitting = False
        self._interval = timers.t1
        self._deadline = 0.0               # absolute max-lifetime deadline

    # -- queries ---------------------------------------------------------------
    @property
    def terminated(self) -> bool:
        return self.state is CState.TERMINATED

    @property
    def got_provisional(self) -> bool:
        return 100 <= self.last_status < 200 or self.state is CState.PROCEEDING

    @property
    def final_received(self) -> bool:
        return self.last_status >= 200

    def _capped(self, delay: float, now: float) -> float:
        return max(0.0, min(delay, self._deadline - now))

    # -- events ----------------------------------------------------------------
    def start(self, now: float) -> list:
        """Send the request for the first time."""
        t = self.timers
        self._deadline = now + (t.max_inv_lifetime if self.invite else t.max_noninv_lifetime)
        self.state = CState.CALLING if self.invite else CState.TRYING
        actions: list = [TRANSMIT_REQUEST]
        if not self.reliable:
            self._interval = t.t1
            self.retransmitting = True
            actions.append(set_timer(_RETR[self.invite], t.t1))
        actions.append(set_timer(_FR[self.invite], self._capped(t.fr, now)))
        return actions

    def response_received(self, status: int, now: float) -> list:
        """A response matched this transaction (RFC 3261 §17.1.3)."""
        st = self.state
        if st is CState.TERMINATED or st is None:
            return []
        t = self.timers
        if self.invite:
            if st in (CState.CALLING, CState.PROCEEDING):
                if status < 200:
                    first = st is CState.CALLING or not 100 <= self.last_status < 200
                    self.state = CState.PROCEEDING
                    self.last_status = max(self.last_status, status)
                    self.retransmitting = False
                    actions: list = [CLEAR["A"]]
                    if not self.timed_out and (first or t.restart_fr_on_each_reply):
                        # Kamailio: the first provisional switches to fr_inv (Timer C);
                        # restart_fr_on_each_reply restarts it on every one.
                        actions += [CLEAR["B"], set_timer("C", self._capped(t.fr_inv, now))]
                    actions.append(PASS_RESPONSE)
                    return actions
                self.last_status = status
                self.retransmitting = False
                clear = [CLEAR["A"], CLEAR["B"], CLEAR["C"]]
                if status < 300:
                    self.state = CState.ACCEPTED
                    return clear + [set_timer("M", t.wt), PASS_RESPONSE]
                self.state = CState.COMPLETED
                return clear + [TRANSMIT_ACK, set_timer("D", 0.0 if self.reliable else t.wt),
                                PASS_RESPONSE]
            if st is CState.ACCEPTED and 200 <= status < 300:
                return [PASS_RESPONSE]      # 2xx retransmission / other 2xx: end to end
            if st is CState.COMPLETED and status >= 300:
                return [TRANSMIT_ACK]         # response retransmission: ACK again, absorb
            return []
        # non-INVITE
        if st in (CState.TRYING, CState.PROCEEDING):
            if status < 200:
                self.state = CState.PROCEEDING
                self.last_status = status
                return [PASS_RESPONSE]
            self.last_status = status
            self.state = CState.COMPLETED
            self.retransmitting = False
            return [CLEAR["E"], CLEAR["F"],
                    set_timer("K", 0.0 if self.reliable else t.wt), PASS_RESPONSE]
        return []   # Completed: retransmission absorbed

    def timer_fired(self, name: str, now: float) -> list:
        """Timer ``name`` expired."""
        st = self.state
        if st is CState.TERMINATED or st is None:
            return []
        t = self.timers
        if name == "A" and st is CState.CALLING and self.retransmitting:
            self._interval = min(2 * self._interval, t.t2)
            return [TRANSMIT_REQUEST, set_timer("A", self._interval)]
        if name == "E" and st in (CState.TRYING, CState.PROCEEDING) and self.retransmitting:
            self._interval = t.t2 if st is CState.PROCEEDING else min(2 * self._interval, t.t2)
            return [TRANSMIT_REQUEST, set_timer("E", self._interval)]
        if name in ("B", "F") and st in (CState.CALLING, CState.TRYING, CState.PROCEEDING):
            if self.timed_out or (st is CState.PROCEEDING and self.invite):
                # already reported (fr_inv fired, or the TU gave up the branch)
                self.state = CState.TERMINATED
                return [CLEAR["A"], CLEAR["C"], TERMINATE]
            self.timed_out = True
            self.state = CState.TERMINATED
            return [CLEAR["A"], CLEAR["E"], PassUp("timeout"), TERMINATE]
        if name == "C" and st is CState.PROCEEDING and self.invite:
            self.timed_out = True
            # keep listening for the 487 the TU's CANCEL provokes, then give up
            return [PassUp("timeout"), set_timer("B", self._capped(64 * t.t1, now) or 64 * t.t1)]
        if (name == "D" and st is CState.COMPLETED and self.invite) or \
           (name == "K" and st is CState.COMPLETED and not self.invite) or \
           (name == "M" and st is CState.ACCEPTED):
            self.state = CState.TERMINATED
            return [TERMINATE]
        return []

    def stop_retransmission(self) -> list:
        """Stop resending the request (branch canceled before any reply).

        Kamailio's cancel_b_method 1: a branch with no provisional reply is
        not CANCELed; its INVITE is no longer retransmitted and the TU treats
        it as answered with 487.  The fr timer still ends the machine.
        """
        if self.state is CState.TERMINATED or self.state is None:
            return []
        self.retransmitting = False
        self.timed_out = True      # the TU closed the branch; a later fr expiry is silent
        return [CLEAR[_RETR[self.invite]]]

    def transport_error(self) -> list:
        """Sending the request failed (RFC 3261 §17.1.4)."""
        if self.state is CState.TERMINATED:
            return []
        self.state = CState.TERMINATED
        self.retransmitting = False
        return [CLEAR["A"], CLEAR["B"], CLEAR["C"], CLEAR["E"],
                CLEAR["F"], PassUp("transport_error"), TERMINATE]

    def terminate(self) -> list:
        """Forced end (shutdown, t_release)."""
        if self.state is CState.TERMINATED:
            return []
        self.state = CState.TERMINATED
        return [CLEAR[n] for n in "ABCDEFKM"] + [TERMINATE]
