"""Timer values of tm and the glue that arms them on the server's clock.

All tm modparams are in milliseconds (as in Kamailio); the state machines
work in seconds.  :class:`TimerValues` is built once from the modparams (and
per transaction when the script calls ``t_set_fr``).

:class:`TimerSet` turns the machines' ``SetTimer``/``ClearTimer`` actions into
``env.call_later`` handles.  Each armed timer carries a generation number so a
callback that was already queued when the timer was cleared or re-armed is
ignored — ``handle.cancel()`` cannot stop a callback another thread already
took off the loop's queue.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

#: RFC 3261 T4 (maximum time a message stays in the network), seconds.
T4 = 5.0


@dataclass(frozen=True, slots=True)
class TimerValues:
    """Timer settings in seconds.

    ``fr`` is Kamailio's fr_timer: how long a branch waits for *any* reply
    (it replaces Timer B/F).  ``fr_inv`` is fr_inv_timer: how long an INVITE
    branch waits for a final reply once a provisional came (the RFC's Timer C).
    ``wt`` is the wait timer: how long a completed transaction lingers to
    absorb retransmissions (used for Timers D, I, J, K, L, M on unreliable
    transports; RFC 3261 uses 0 on reliable ones for D, I, J, K).
    """

    t1: float = 0.5
    t2: float = 4.0
    fr: float = 30.0
    fr_inv: float = 120.0
    wt: float = 5.0
    max_inv_lifetime: float = 180.0
    max_noninv_lifetime: float = 32.0
    restart_fr_on_each_reply: bool = True

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "TimerValues":
        """Build from tm's modparams (milliseconds)."""
        ms = lambda name, default: float(params.get(name, default)) / 1000.0  # noqa: E731
        return cls(
            t1=ms("retr_timer1", 500), t2=ms("retr_timer2", 4000),
            fr=ms("fr_timer", 30000), fr_inv=ms("fr_inv_timer", 120000),
            wt=ms("wt_timer", 5000),
            max_inv_lifetime=ms("max_inv_lifetime", 180000),
            max_noninv_lifetime=ms("max_noninv_lifetime", 32000),
            restart_fr_on_each_reply=bool(params.get("restart_fr_on_each_reply", 1)),
        )

    def with_fr(self, fr: float | None = None, fr_inv: float | None = None) -> "TimerValues":
        """Copy with other fr/fr_inv values (``t_set_fr``); None keeps the value."""
        return replace(self, fr=self.fr if fr is None else fr,
                       fr_inv=self.fr_inv if fr_inv is None else fr_inv)

    def with_retr(self, t1: float | None = None, t2: float | None = None) -> "TimerValues":
        """Copy with other retransmission intervals (``t_set_retr``)."""
        return replace(self, t1=self.t1 if t1 is None else t1, t2=self.t2 if t2 is None else t2)


class TimerSet:
    """The armed timers of one state machine, as ``env.call_later`` handles.

    ``fire(name)`` is called on the loop thread, under ``lock``, when a timer
    expires and is still current.  Thread-safe as long as callers hold the same
    lock (the owning transaction's) while calling ``set``/``clear``/``clear_all``.
    """

    __slots__ = ("_call_later", "_fire", "_handles", "_gen", "_lock")

    def __init__(self, call_later: Callable[..., Any], fire: Callable[[str], None],
                 lock: Any = None) -> None:
        self._call_later = call_later
        self._fire = fire
        self._lock = lock  # the transaction's lock, held while checking and firing
        self._handles: dict[str, tuple[int, Any]] = {}
        self._gen = 0

    def set(self, name: str, delay: float) -> None:
        """Arm ``name`` after ``delay`` seconds, replacing an armed one."""
        self.clear(name)
        self._gen += 1
        gen = self._gen
        handle = self._call_later(max(0.0, delay), self._expired, name, gen)
        self._handles[name] = (gen, handle)

    def clear(self, name: str) -> None:
        """Disarm ``name`` if armed."""
        entry = self._handles.pop(name, None)
        if entry is not None and entry[1] is not None:
            entry[1].cancel()

    def clear_all(self) -> None:
        """Disarm everything (the machine terminated)."""
        for name in list(self._handles):
            self.clear(name)

    def dispose(self) -> None:
        """Disarm everything and drop the callback (the transaction is freed).

        The callback closes over the transaction that owns this set, a
        reference cycle; dropping it lets reference counting free the whole
        transaction at once instead of leaving it to the cyclic GC, whose
        full collections stall the loop for hundreds of ms under load.
        """
        self.clear_all()
        self._fire = _ignore
        self._lock = None

    def armed(self) -> list[str]:
        """Names of the armed timers (for tests and leak checks)."""
        return sorted(self._handles)

    def _expired(self, name: str, gen: int) -> None:
        if self._lock is None:
            self._expired_locked(name, gen)
            return
        with self._lock:
            self._expired_locked(name, gen)

    def _expired_locked(self, name: str, gen: int) -> None:
        entry = self._handles.get(name)
        if entry is None or entry[0] != gen:
            return  # cleared or re-armed after this callback was queued
        del self._handles[name]
        self._fire(name)


def _ignore(name: str) -> None:
    """Callback of a disposed TimerSet: a late expiry does nothing."""
