"""The core async framework: named groups of worker threads with bounded FIFO queues.

When: built once at start-up from the ``[core]`` parameters ``async_workers`` (the
group ``"default"``) and ``async_workers_group`` (named groups), started after
``mod_init`` and stopped at shutdown after the modules' ``destroy`` ran.

What: :class:`WorkerGroups` — ``submit(group, fn) -> bool`` hands a callable to one
group; each group is a pool of OS threads reading one bounded FIFO queue, so tasks
of a group start in submission order.  A task may block (database, HTTP) without
stalling the event loop, which is the whole point (ARCHITECTURE §5).

Rules worth knowing (they differ from Kamailio on purpose, see modules/async/README.md):

* Which groups exist is decided by ``siprouter.core.config.worker_groups`` (order
  independent; invalid values are start-up errors there); this file only runs them.
* A full ``nonblock`` queue makes ``submit`` return ``False`` at once.  A full
  blocking queue waits at most ``block_timeout`` seconds — except on the event
  loop thread, which must never block: there it fails at once like a
  non-blocking queue (counted as ``rejected``).
* A task that raises is logged and counted; the worker thread survives.
* ``$var`` privacy comes for free: the route engine keeps ``ctx.vars`` per thread,
  so a task sees its worker thread's own dict, never the submitter's.
"""
from __future__ import annotations

import queue
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import structlog

log = structlog.get_logger("siprouter.core.async_workers")

DEFAULT_GROUP = "default"
DEFAULT_QUEUE_SIZE = 4096
DEFAULT_BLOCK_TIMEOUT = 1.0
# Longest time a thread that wants the GIL waits before the holder must hand it
# over (Python's default: 5 ms).  With worker threads, the event loop thread and
# the workers hand the GIL to each other on every task, resume and send; at 5 ms
# a busy thread keeps a woken one (or the loop) waiting up to 5 ms per waiter,
# and with 6 workers and the loop such waits chained into 15-60 ms loop stalls
# and task dispatches (bench/async at 300 calls/s: loop stalls over 15 ms went
# from ~90 to ~2 per 10 s run at 0.2 ms).  Not lower than 1 ms: with the CPU
# shared with another busy process, 0.2 ms made each call hand the GIL over so
# often that a holder preempted by the OS stalled everyone (SIPp p99 of the
# task path 104 ms against 8-12 ms at 1 and 5 ms, same load).
GIL_SWITCH_INTERVAL = 0.001
_STOP = object()  # queue sentinel: one per worker thread at stop()

_local = threading.local()


@dataclass(frozen=True, slots=True)
class GroupConfig:
    """One worker group: ``{name, workers, nonblock, usleep}`` plus its queue bound.

    ``siprouter.core.config.WorkerGroupConf`` (the validated config) converts
    into this with :meth:`of`.
    """

    name: str
    workers: int
    nonblock: bool = False
    usleep: int = 0                     # µs each worker sleeps before taking a task
    queue_size: int = DEFAULT_QUEUE_SIZE

    @classmethod
    def of(cls, conf: Any, queue_size: int = DEFAULT_QUEUE_SIZE) -> "GroupConfig":
        """From any object with ``name``, ``workers``, ``nonblock``, ``usleep``."""
        return cls(conf.name.lower(), int(conf.workers), bool(conf.nonblock), int(conf.usleep),
                   queue_size)


def current_group() -> str | None:
    """Name of the worker group running the calling thread (``$async(gname)``), else None."""
    return getattr(_local, "group", None)


def in_worker_thread() -> bool:
    """True on a thread owned by a :class:`WorkerGroup` (core group or module pool)."""
    return getattr(_local, "after", None) is not None


def after_current_task(fn: Callable[[], Any]) -> None:
    """Run ``fn`` when the task running on this worker thread ends (even if it raises).

    Used for "while this request is being processed" bookkeeping
    (``t_precheck_trans``).  Only valid on a worker thread.
    """
    _local.after.append(fn)


def shorten_switch_interval(seconds: float = GIL_SWITCH_INTERVAL) -> float:
    """Lower Python's GIL switch interval to ``seconds`` (never raise it); returns the value in force.

    Runs when a worker pool starts its threads: only then do threads compete
    for the GIL (see ``GIL_SWITCH_INTERVAL``).  A smaller value someone set
    on purpose (embedding, tests) is kept.
    """
    if sys.getswitchinterval() > seconds:
        sys.setswitchinterval(seconds)
    return sys.getswitchinterval()


def loop_thread_check(env: Any) -> Callable[[], bool]:
    """A callable telling whether the caller runs on ``env``'s event loop thread.

    Reads the ident ServerEnv records in ``attach_runtime`` each time, so it
    works whether the loop is attached before or after the groups are built.
    """
    server = getattr(env, "server", env)       # a ModuleEnv wraps the ServerEnv

    def check() -> bool:
        fn = getattr(server, "in_loop_thread", None)
        if callable(fn):
            return bool(fn())
        ident = getattr(server, "_loop_thread", None)
        return ident is not None and ident == threading.get_ident()
    return check


class WorkerGroup:
    """One pool of ``workers`` threads reading one bounded FIFO queue."""

    def __init__(self, cfg: GroupConfig, *, block_timeout: float = DEFAULT_BLOCK_TIMEOUT,
                 is_loop_thread: Callable[[], bool] | None = None,
                 thread_prefix: str = "async-task", expose_name: bool = True) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=cfg.queue_size)
        self._threads: list[threading.Thread] = []
        self._block_timeout = block_timeout
        self._is_loop_thread = is_loop_thread or (lambda: False)
        self._prefix = thread_prefix
        self._expose_name = expose_name   # False: $async(gname) stays $null on these threads
        self._stats_lock = threading.Lock()
        self.submitted = 0
        self.rejected = 0
        self.tasks_run = 0
        self.tasks_failed = 0
        self.max_depth = 0
        self._accepting = False

    # -- life cycle ------------------------------------------------------------
    def start(self) -> None:
        """Start the worker threads (daemon threads: a hung task cannot keep the process up).

        Also shortens the GIL switch interval (``shorten_switch_interval``) when
        there are threads to start.
        """
        self._accepting = True
        if self.cfg.workers > 0:
            shorten_switch_interval()
        for i in range(self.cfg.workers):
            t = threading.Thread(target=self._worker_main, name=f"{self._prefix}-{self.name}-{i}",
                                 daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 5.0) -> bool:
        """Refuse new tasks, let queued ones run, join the threads; True if all joined in time."""
        self._accepting = False
        deadline = time.monotonic() + timeout
        for _ in self._threads:
            while True:   # the sentinels queue behind pending tasks, so those still run
                try:
                    self._queue.put(_STOP, timeout=max(0.0, deadline - time.monotonic()))
                    break
                except queue.Full:
                    if time.monotonic() >= deadline:
                        break
        ok = True
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
            ok = ok and not t.is_alive()
        if not ok:
            log.warning("async worker threads still busy at stop", group=self.name, timeout=timeout)
        self._threads = [t for t in self._threads if t.is_alive()]
        return ok

    # -- dispatch --------------------------------------------------------------
    def submit(self, fn: Callable[[], Any], *, wait: bool = True) -> bool:
        """Queue ``fn``; False when the group is stopped or the queue stays full (never hangs the loop).

        ``wait=False`` fails at once on a full queue, like a ``nonblock``
        group (for callers that must not stall, e.g. a timer thread).
        """
        if not self._accepting or not self._threads:
            self._count_reject()
            return False
        try:
            if not wait or self.cfg.nonblock or self._is_loop_thread():
                self._queue.put_nowait(fn)
            else:
                self._queue.put(fn, timeout=self._block_timeout)
        except queue.Full:
            self._count_reject()
            log.warning("async task refused: queue full", group=self.name,
                        queue_size=self.cfg.queue_size)
            return False
        with self._stats_lock:
            self.submitted += 1
            depth = self._queue.qsize()
            if depth > self.max_depth:
                self.max_depth = depth
        return True

    def _count_reject(self) -> None:
        with self._stats_lock:
            self.rejected += 1

    def _worker_main(self) -> None:
        _local.group = self.name if self._expose_name else None
        _local.after = []
        usleep = self.cfg.usleep / 1e6
        while True:
            if usleep:
                time.sleep(usleep)
            task = self._queue.get()
            if task is _STOP:
                return
            try:
                task()
            except BaseException:   # noqa: BLE001 — a task must never kill its worker
                with self._stats_lock:
                    self.tasks_failed += 1
                log.exception("async task raised", group=self.name)
            finally:
                self._run_after_hooks()
                with self._stats_lock:
                    self.tasks_run += 1

    def _run_after_hooks(self) -> None:
        hooks, _local.after = _local.after, []
        for fn in hooks:
            try:
                fn()
            except Exception:  # noqa: BLE001
                log.exception("async task after-hook raised", group=self.name)

    # -- observability ---------------------------------------------------------
    def stats(self) -> dict[str, int]:
        """Counters for RPC/CLI: workers, queue depth now and peak, tasks run/failed/rejected."""
        with self._stats_lock:
            return {"workers": self.cfg.workers, "queue_depth": self._queue.qsize(),
                    "queue_max": self.max_depth, "queue_size": self.cfg.queue_size,
                    "submitted": self.submitted, "tasks_run": self.tasks_run,
                    "tasks_failed": self.tasks_failed, "rejected": self.rejected}


class WorkerGroups:
    """All core async worker groups of a server (``env.workers``)."""

    def __init__(self, configs: Iterable[Any] = (), *,
                 block_timeout: float = DEFAULT_BLOCK_TIMEOUT,
                 queue_size: int = DEFAULT_QUEUE_SIZE,
                 is_loop_thread: Callable[[], bool] | None = None) -> None:
        groups = [c if isinstance(c, GroupConfig) else GroupConfig.of(c, queue_size)
                  for c in configs]
        self._groups = {c.name: WorkerGroup(c, block_timeout=block_timeout,
                                            is_loop_thread=is_loop_thread) for c in groups}
        self._started = False

    @classmethod
    def from_core(cls, core: Mapping[str, Any], **kw: Any) -> "WorkerGroups":
        """Build from the validated ``[core]`` dict (``cfg.core``) via ``config.worker_groups``."""
        from siprouter.core.config import worker_groups   # the one place groups are resolved
        return cls(worker_groups(dict(core)).values(), **kw)

    @classmethod
    def for_env(cls, env: Any, **kw: Any) -> "WorkerGroups":
        """Build from ``env.core``; submit() recognises ``env``'s loop thread by itself."""
        return cls.from_core(env.core or {}, is_loop_thread=loop_thread_check(env), **kw)

    def set_loop_thread_check(self, fn: Callable[[], bool]) -> None:
        """Tell the groups how to recognise the event loop thread (on which submit never waits)."""
        for g in self._groups.values():
            g._is_loop_thread = fn

    def has_group(self, name: str) -> bool:
        """True if a group of that (case-insensitive) name exists with at least one worker."""
        g = self._groups.get(name.lower())
        return g is not None and g.cfg.workers > 0

    def names(self) -> list[str]:
        return list(self._groups)

    def start(self) -> None:
        """Start every group's threads (idempotent)."""
        if self._started:
            return
        self._started = True
        for g in self._groups.values():
            g.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Graceful stop: queued tasks still run; all groups share one ``timeout``."""
        deadline = time.monotonic() + timeout
        ok = True
        for g in self._groups.values():
            ok = g.stop(max(0.0, deadline - time.monotonic())) and ok
        self._started = False
        return ok

    def submit(self, group: str, fn: Callable[[], Any], *, wait: bool = True) -> bool:
        """Queue ``fn`` on ``group``; False for an unknown group or a full/stopped queue
        (``wait=False``: full means fail at once, see :meth:`WorkerGroup.submit`)."""
        g = self._groups.get(group.lower())
        if g is None:
            log.warning("async task refused: no such worker group", group=group)
            return False
        return g.submit(fn, wait=wait)

    def stats(self) -> dict[str, dict[str, int]]:
        """``{group: counters}`` (see :meth:`WorkerGroup.stats`)."""
        return {name: g.stats() for name, g in self._groups.items()}
