"""The core async framework: named groups of worker threads with bounded FIFO queues.

When: built once at start-up from the ``[core]`` parameters ``async_workers`` (the
group ``"default"``) and ``async_workers_group`` (named groups), started after
``mod_init`` and stopped at shutdown after the modules' ``destroy`` ran.

What: :class:`WorkerGroups` — ``submit(group, fn) -> bool`` hands a callable to one
group; each group is a pool of OS threads reading one bounded FIFO queue, so tasks
of a group start in submission order.  A task may block (database, HTTP) without
stalling the event loop, which is the whole point (ARCHITECTURE §5).

Rules worth knowing (they differ from Kamailio on purpose, see modules/async/README.md):

* The configuration is order independent: ``async_workers = N`` sizes the default
  group unless an ``async_workers_group`` entry named ``default`` is given, which
  then wins whatever its position.  Like Kamailio, declaring any named group
  without a default creates a default group with one worker.
* Invalid values are start-up errors (:class:`WorkerConfigError`), not log lines.
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
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import structlog

log = structlog.get_logger("siprouter.core.async_workers")

DEFAULT_GROUP = "default"
DEFAULT_QUEUE_SIZE = 4096
DEFAULT_BLOCK_TIMEOUT = 1.0
_STOP = object()  # queue sentinel: one per worker thread at stop()

_local = threading.local()


class WorkerConfigError(ValueError):
    """An invalid ``async_workers`` / ``async_workers_group`` setting (start-up error)."""


@dataclass(frozen=True, slots=True)
class GroupConfig:
    """One worker group as configured: ``{name, workers, nonblock, usleep}``."""

    name: str
    workers: int
    nonblock: bool = False
    usleep: int = 0                     # µs each worker sleeps before taking a task
    queue_size: int = DEFAULT_QUEUE_SIZE


def current_group() -> str | None:
    """Name of the worker group running the calling thread (``$async(gname)``), else None."""
    return getattr(_local, "group", None)


def _group_entry(raw: Any, pos: int) -> GroupConfig:
    """Validate one ``async_workers_group`` entry (a TOML table or Kamailio's ``k=v;`` text)."""
    if isinstance(raw, str):            # accept Kamailio's "name=X;workers=N;..." form too
        table: dict[str, Any] = {}
        for part in raw.split(";"):
            if not part.strip():
                continue
            key, sep, val = part.partition("=")
            if not sep:
                raise WorkerConfigError(f"async_workers_group[{pos}]: bad item {part!r}")
            table[key.strip().lower()] = val.strip()
        raw = table
    if not isinstance(raw, Mapping):
        raise WorkerConfigError(f"async_workers_group[{pos}]: expected a table, got {raw!r}")
    unknown = set(raw) - {"name", "workers", "nonblock", "usleep", "queue_size"}
    if unknown:
        raise WorkerConfigError(f"async_workers_group[{pos}]: unknown key(s) {sorted(unknown)}")
    name = str(raw.get("name", "")).strip().lower()   # names are case-insensitive (Kamailio)
    if not name:
        raise WorkerConfigError(f"async_workers_group[{pos}]: invalid name value {raw.get('name')!r}")

    def as_int(key: str, default: int, minimum: int) -> int:
        val = raw.get(key, default)
        if isinstance(val, bool) or not isinstance(val, (int, str)):
            raise WorkerConfigError(f"async_workers_group {name!r}: invalid {key} value {val!r}")
        try:
            num = int(val)
        except ValueError:
            raise WorkerConfigError(f"async_workers_group {name!r}: invalid {key} value {val!r}") from None
        if num < minimum:
            raise WorkerConfigError(f"async_workers_group {name!r}: invalid {key} value {val!r}")
        return num

    nonblock = raw.get("nonblock", False)
    if isinstance(nonblock, str) and nonblock in ("0", "1"):
        nonblock = nonblock == "1"
    if isinstance(nonblock, int) and not isinstance(nonblock, bool) and nonblock in (0, 1):
        nonblock = bool(nonblock)
    if not isinstance(nonblock, bool):
        raise WorkerConfigError(f"async_workers_group {name!r}: invalid nonblock value {nonblock!r}")
    return GroupConfig(name, as_int("workers", 0, 1), nonblock, as_int("usleep", 0, 0),
                       as_int("queue_size", DEFAULT_QUEUE_SIZE, 1))


def parse_group_configs(core: Mapping[str, Any]) -> dict[str, GroupConfig]:
    """Turn the ``[core]`` params into ``{name: GroupConfig}``; raises WorkerConfigError.

    Pure function: route-function fixups use it at load time to know which groups
    exist before any thread is started.
    """
    groups: dict[str, GroupConfig] = {}
    entries = core.get("async_workers_group") or []
    if isinstance(entries, (str, Mapping)):
        entries = [entries]
    for pos, raw in enumerate(entries):
        cfg = _group_entry(raw, pos)
        if cfg.name in groups:
            raise WorkerConfigError(f"async_workers_group: duplicate group name {cfg.name!r}")
        groups[cfg.name] = cfg
    n_default = core.get("async_workers", 0) or 0
    if isinstance(n_default, bool) or not isinstance(n_default, int) or n_default < 0:
        raise WorkerConfigError(f"async_workers: invalid value {n_default!r}")
    if DEFAULT_GROUP in groups:
        if n_default and n_default != groups[DEFAULT_GROUP].workers:
            log.warning("async_workers ignored: async_workers_group 'default' wins",
                        async_workers=n_default, default_workers=groups[DEFAULT_GROUP].workers)
    elif n_default > 0:
        groups[DEFAULT_GROUP] = GroupConfig(DEFAULT_GROUP, n_default,
                                            bool(core.get("async_nonblock", False)),
                                            int(core.get("async_usleep", 0) or 0))
    elif groups:
        # Kamailio creates an implicit 1-worker default group when only named groups exist.
        groups[DEFAULT_GROUP] = GroupConfig(DEFAULT_GROUP, 1)
    return groups


class WorkerGroup:
    """One pool of ``workers`` threads reading one bounded FIFO queue."""

    def __init__(self, cfg: GroupConfig, *, block_timeout: float = DEFAULT_BLOCK_TIMEOUT,
                 is_loop_thread: Callable[[], bool] | None = None,
                 thread_prefix: str = "async-task") -> None:
        self.cfg = cfg
        self.name = cfg.name
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=cfg.queue_size)
        self._threads: list[threading.Thread] = []
        self._block_timeout = block_timeout
        self._is_loop_thread = is_loop_thread or (lambda: False)
        self._prefix = thread_prefix
        self._stats_lock = threading.Lock()
        self.submitted = 0
        self.rejected = 0
        self.tasks_run = 0
        self.tasks_failed = 0
        self.max_depth = 0
        self._accepting = False

    # -- life cycle ------------------------------------------------------------
    def start(self) -> None:
        """Start the worker threads (daemon threads: a hung task cannot keep the process up)."""
        self._accepting = True
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
    def submit(self, fn: Callable[[], Any]) -> bool:
        """Queue ``fn``; False when the group is stopped or the queue stays full (never hangs the loop)."""
        if not self._accepting or not self._threads:
            self._count_reject()
            return False
        try:
            if self.cfg.nonblock or self._is_loop_thread():
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
        _local.group = self.name
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
                with self._stats_lock:
                    self.tasks_run += 1

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

    def __init__(self, configs: Iterable[GroupConfig] = (), *,
                 block_timeout: float = DEFAULT_BLOCK_TIMEOUT,
                 is_loop_thread: Callable[[], bool] | None = None) -> None:
        self._groups = {c.name: WorkerGroup(c, block_timeout=block_timeout,
                                            is_loop_thread=is_loop_thread) for c in configs}
        self._started = False

    @classmethod
    def from_core(cls, core: Mapping[str, Any], **kw: Any) -> "WorkerGroups":
        """Build from the resolved ``[core]`` dict (``cfg.core``); raises WorkerConfigError."""
        return cls(parse_group_configs(core).values(), **kw)

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

    def submit(self, group: str, fn: Callable[[], Any]) -> bool:
        """Queue ``fn`` on ``group``; False for an unknown group or a full/stopped queue."""
        g = self._groups.get(group.lower())
        if g is None:
            log.warning("async task refused: no such worker group", group=group)
            return False
        return g.submit(fn)

    def stats(self) -> dict[str, dict[str, int]]:
        """``{group: counters}`` (see :meth:`WorkerGroup.stats`)."""
        return {name: g.stats() for name, g in self._groups.items()}
