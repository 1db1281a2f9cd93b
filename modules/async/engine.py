"""Suspend a transaction and resume it later: the async module's machinery.

When: one :class:`AsyncEngine` is built in the module's ``mod_init`` and lives
until ``destroy``.  Route functions call :meth:`AsyncEngine.suspend`; timers and
worker threads call back into it.

What:
* timers are precise (the module's own timer thread, ``timer.py``; with a
  fake clock ``env.call_later``), not Kamailio's one-second slot ring; when
  one fires the resume is handed to the module's own pool of ``workers``
  threads (seconds functions) or to the core async worker group ``default``
  (ms functions, like Kamailio) — the loop never runs a route on a resume;
* how late each resumed route started is kept per kind (``latency.py``,
  RPC ``async.latency``);
* a resume calls ``tm.t_continue(index, label, run)``; tm builds the faked
  FAILURE-route context, takes the T's lock and sends 500 if the route neither
  relayed nor replied;
* counters: suspended now, resumed, expired (T gone: fr_timer fired),
  canceled (CANCELed while suspended), failed (route raised);
* shutdown answers every transaction still waiting with 503.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from siprouter.core.async_workers import DEFAULT_GROUP, GroupConfig, WorkerGroup

from .latency import LatencyHistogram
from .pending import PendingResume, PendingTable
from .timer import ResumeTimer

MS_QUEUE_LIMIT = 10000       # Kamailio refuses the 10,000th queued ms item
TIMER_POOL_QUEUE = 1 << 20   # timer resumes are never refused for lack of room


def call_id_of(ctx: Any) -> str | None:
    """Call-ID of the message being routed, for log lines (never raises)."""
    try:
        return ctx.msg.call_id
    except Exception:  # noqa: BLE001 — only used for logging
        return None


def txn_ident(res: Any) -> tuple[int, int] | None:
    """``(index, label)`` from tm.t_suspend's result."""
    if isinstance(res, tuple) and len(res) == 2:
        return int(res[0]), int(res[1])
    return None


class AsyncEngine:
    """State shared by the async route functions (one per server)."""

    def __init__(self, env: Any, *, workers: int, ms_timer: int, ret: int) -> None:
        self.env = env
        self.log = env.log
        self.tm = env.api("tm")
        self.workers = workers
        self.ms_timer = ms_timer
        self.ret = ret
        self.table = PendingTable()
        self._pool: WorkerGroup | None = None
        if workers > 0:
            self._pool = WorkerGroup(GroupConfig("async-timer", workers, nonblock=True,
                                                 queue_size=TIMER_POOL_QUEUE),
                                     thread_prefix="async-mod", expose_name=False)
        # due resumes (timer, ms) start from this thread when a real loop runs
        # the server; with a fake clock (tests) env.call_later keeps time
        self._timer = ResumeTimer(env.now, self._fire)
        self._lock = threading.Lock()
        self.counters = {"suspended": 0, "resumed": 0, "expired": 0, "canceled": 0,
                         "failed": 0, "shutdown_replied": 0, "tasks_data": 0}
        self.stopping = False
        self.peak = 0               # most transactions waiting for a resume at once
        # lateness of resumed routes per kind, measured when the route starts
        # (task: dispatch latency; timer/ms: resume error against suspend + delay)
        # ("fire": how late the timer thread handed timer and ms resumes to a
        # worker - the part of their lateness that is not the worker hand-off's)
        self.latency = {"timer": LatencyHistogram(), "ms": LatencyHistogram(),
                        "task": LatencyHistogram(), "fire": LatencyHistogram()}

    # -- life cycle ------------------------------------------------------------
    def start(self) -> None:
        if self._pool is not None:
            self._pool.start()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Answer every still-suspended T with 503, then stop the timer threads."""
        self.answer_pending()
        st = self.stats()
        fields = {k: v for k, v in st.items() if not isinstance(v, dict) and v is not None}
        fields.update(self.latency_fields())
        self.log.info("async: stats at shutdown", **fields)
        self._timer.stop()
        if self._pool is not None:
            self._pool.stop(timeout)

    def answer_pending(self) -> int:
        """Refuse new suspensions; answer each T still waiting for a resume with 503.

        Runs from the server's "shutdown" hook, while the sockets are still open.
        """
        self.stopping = True
        items = self.table.claim_all()
        for p in items:
            if p.handle is not None:
                p.handle.cancel()
            rc = self.tm.t_continue(p.index, p.label, _reply_503(self.tm))
            self._count("shutdown_replied" if rc == 1 else "expired")
            self.log.info("async: suspended transaction answered at shutdown",
                          call_id=p.call_id, index=p.index, label=p.label, rc=rc)
        return len(items)

    # -- counters --------------------------------------------------------------
    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counters[name] += n
        stats = getattr(self.env, "stats", None)
        if stats is not None:
            try:
                stats.inc("async", name, n)
            except Exception:  # noqa: BLE001 — statistics must never break routing
                pass

    def stats(self) -> dict[str, Any]:
        """Counters for RPC/CLI, with the queue depths of the pools resumes run on."""
        with self._lock:
            out: dict[str, Any] = dict(self.counters)
        out["suspended_now"] = len(self.table)
        out["suspended_peak"] = self.peak
        out["ms_queued"] = self.table.ms_count
        out["timer_pool"] = self._pool.stats() if self._pool is not None else None
        workers = getattr(self.env, "workers", None)
        out["groups"] = workers.stats() if workers is not None else {}
        out["latency"] = {kind: h.summary() for kind, h in self.latency.items()}
        return out

    def latency_fields(self) -> dict[str, Any]:
        """Flat ``{kind_p50_ms: …, kind_p99_ms: …, kind_max_ms: …, kind_n: …}`` for log lines
        (only the kinds that ran; ``task`` values are the dispatch latency)."""
        out: dict[str, Any] = {}
        for kind, h in self.latency.items():
            s = h.summary()
            if s["n"]:
                for k in ("n", "min_ms", "p50_ms", "p99_ms", "max_ms"):
                    out[f"late_{kind}_{k}"] = s[k]
        return out

    # -- suspend ---------------------------------------------------------------
    def ensure_txn(self, ctx: Any) -> int:
        """Create the T if missing: 1 ok, 0 retransmission absorbed (exit), -1 error."""
        txn = self.tm.get_txn(ctx)
        if txn is not None:
            own = getattr(ctx, "txn", None) is txn
            if self.table.has_txn(txn) or not own:
                # A retransmission of a request whose T exists (and is suspended):
                # let tm resend its last reply (t_newtran -> 0) and stop here.
                # Kamailio suspends the same T a second time in this case.
                if not own:
                    self.tm.t_newtran(ctx)
                self.log.info("async: retransmission of a suspended request absorbed",
                              call_id=call_id_of(ctx))
                return 0
            return 1
        rc = self.tm.t_newtran(ctx)
        if rc == 0:
            # A retransmission: tm resent the last reply (100 for an INVITE); the
            # T is already suspended and must not be suspended twice.
            self.log.info("async: retransmission absorbed, not suspended again",
                          call_id=call_id_of(ctx))
            return 0
        if rc < 0:
            self.log.error("async: cannot create the transaction", call_id=call_id_of(ctx), rc=rc)
            return -1
        return 1

    def suspend(self, ctx: Any, kind: str, route_run: Callable[[Any], int], *,
                delay: float = 0.0, group: str | None = None) -> int:
        """Suspend ctx's T and arrange ``route_run`` to resume it; returns the script value.

        ``kind``: ``"timer"`` (module workers after ``delay`` s), ``"ms"`` (core
        ``default`` group after ``delay`` s) or ``"task"`` (``group`` at once).
        """
        if self.stopping:
            self.log.warning("async: refused while shutting down", call_id=call_id_of(ctx))
            return -1
        rc = self.ensure_txn(ctx)
        if rc <= 0:
            return rc
        txn = self.tm.get_txn(ctx)
        res = self.tm.t_suspend(ctx)
        ident = txn_ident(res)
        if ident is None:
            if res == 1:
                # T already canceled (487 sent): nothing to resume; end the script.
                self.log.info("async: transaction already canceled, not suspended",
                              call_id=call_id_of(ctx))
                return 0
            self.log.error("async: failed to suspend the processing", call_id=call_id_of(ctx), rc=res)
            return -1
        p = PendingResume(ident[0], ident[1], kind, route_run, call_id_of(ctx), group,
                          txn_ref=txn, due=self.env.now() + delay)
        self.table.add(p)
        self._count("suspended")
        now = len(self.table)
        if now > self.peak:         # unlocked read-compare: a rough high-water mark is enough
            self.peak = now
        if kind == "task":
            if not self._submit_core(p, group or DEFAULT_GROUP):
                return self._undo(p, ctx)
        elif getattr(self.env, "loop", None) is not None:
            # real time: our own timer thread, not the (busy) event loop - see timer.py
            try:
                self._timer.schedule(p.due, p)
            except RuntimeError:        # timer stopped: shutting down under our feet
                return self._undo(p, ctx)
        else:
            p.handle = self.env.call_later(delay, self._fire, p)
        return self.ret

    def _undo(self, p: PendingResume, ctx: Any) -> int:
        """Hand-off failed after suspending: revoke the suspension, return -1."""
        if self.table.claim(p):
            self.tm.t_cancel_suspend(p.index, p.label)
            self._count("suspended", -1)
        self.log.error("async: task queue or timer refused the resume; suspension revoked",
                       call_id=p.call_id, group=p.group, kind=p.kind)
        return -1

    def _submit_core(self, p: PendingResume, group: str, *, wait: bool = True) -> bool:
        """Queue the resume on a core group; ``wait=False``: never wait for room (timer thread)."""
        workers = getattr(self.env, "workers", None)
        if workers is None:
            return False
        if not wait:
            return bool(workers.submit(group, lambda: self.resume(p), wait=False))
        return bool(workers.submit(group, lambda: self.resume(p)))

    # -- resume ----------------------------------------------------------------
    def _fire(self, p: PendingResume) -> None:
        """Timer callback (the module's timer thread, or the loop thread with a fake
        clock): hand the resume to a worker thread, never waiting for queue room."""
        if not self.table.mark_queued(p):
            return
        self.latency["fire"].add(self.env.now() - p.due)
        ok = p.kind == "ms" and self._submit_core(p, DEFAULT_GROUP, wait=False)
        if not ok and self._pool is not None:
            # seconds functions, or an ms resume the core group had no room for:
            # the module's own pool (its queue is practically unbounded) takes it
            ok = self._pool.submit(lambda: self.resume(p))
        if not ok:
            # Never run a route on the loop thread; tm's fr_timer will end the T.
            self.log.error("async: no worker took the resume; the transaction waits for fr_timer",
                           call_id=p.call_id, kind=p.kind)

    def resume(self, p: PendingResume) -> None:
        """Worker thread: continue the T by running its route through tm."""
        if not self.table.claim(p):
            return
        ran = False

        def run(ctx: Any) -> int:
            nonlocal ran
            ran = True
            self.latency[p.kind].add(self.env.now() - p.due)
            try:
                return p.run(ctx)
            except Exception:  # noqa: BLE001 — tm answers 500; the worker must survive
                self._count("failed")
                self.log.exception("async: resumed route raised", call_id=p.call_id,
                                   index=p.index, label=p.label)
                return -1

        try:
            rc = self.tm.t_continue(p.index, p.label, run)
        except Exception:  # noqa: BLE001
            self.log.exception("async: t_continue raised", call_id=p.call_id)
            rc = -1
        if rc == 1 and ran:
            self._count("resumed")
        elif rc == 1 and _was_canceled(p.txn_ref):
            self._count("canceled")
            self.log.info("async: transaction was canceled while suspended; route not run",
                          call_id=p.call_id)
        else:                       # gone, fr_timer fired, or no longer suspended
            self._count("expired")
            self.log.warning("async: active transaction not found; resume is a no-op",
                             call_id=p.call_id, index=p.index, label=p.label, rc=rc)


def _was_canceled(txn: Any) -> bool:
    """tm's t_continue returns 1 without running for a canceled T *and* for one whose
    fr_timer fired; the transaction tells which (fakes without the flag: canceled)."""
    return bool(getattr(txn, "canceled", True)) if txn is not None else False


def _reply_503(tm: Any) -> Callable[[Any], int]:
    def run(ctx: Any) -> int:
        return tm.t_reply(ctx, 503, "Service Unavailable")
    return run
