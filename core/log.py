"""Logging: structlog configured once by the core (ARCHITECTURE §7).

``configure_logging(level, fmt)`` sets readable console lines (``fmt="console"``)
or one JSON object a line (``fmt="json"``) on stderr; ``get_logger(module)``
returns a logger bound with ``module=<name>``.  Route code binds ``call_id``,
``method`` and ``branch`` on top (``log.bind(call_id=...)``).
"""
from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog

__all__ = ["configure_logging", "configure_from_core", "get_logger", "LEVELS"]

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "warn": logging.WARNING, "error": logging.ERROR, "critical": logging.CRITICAL}


def configure_logging(level: str = "info", fmt: str = "console", *, stream: TextIO | None = None,
                      colors: bool | None = None) -> None:
    """Configure structlog (and the stdlib ``logging`` root, for asyncio etc.).

    ``stream`` defaults to ``sys.stderr`` looked up at each write, so that
    test harnesses that swap stderr still capture the output.
    """
    lvl = LEVELS.get(level.lower())
    if lvl is None:
        raise ValueError(f"unknown log level {level!r}")
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if fmt == "json":
        processors += [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    elif fmt == "console":
        if colors is None:
            out = stream or sys.stderr
            colors = bool(getattr(out, "isatty", lambda: False)())
        processors.append(structlog.dev.ConsoleRenderer(colors=colors))
    else:
        raise ValueError(f"unknown log format {fmt!r} (console or json)")
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=_StderrLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    root.setLevel(lvl)
    if not any(getattr(h, "_siprouter", False) for h in root.handlers):
        handler = logging.StreamHandler(stream or sys.stderr)
        handler._siprouter = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)


def configure_from_core(core: dict) -> None:
    """Configure from resolved ``[core]`` params (``log_level``, ``log_format``)."""
    configure_logging(core.get("log_level", "info"), core.get("log_format", "console"))


class _StderrLoggerFactory:
    """PrintLogger on a fixed stream, or on whatever ``sys.stderr`` is at write time."""

    def __init__(self, stream: TextIO | None):
        self.stream = stream

    def __call__(self, *args: Any) -> Any:
        if self.stream is not None:
            return structlog.PrintLogger(self.stream)
        return _LateStderrLogger()


class _LateStderrLogger:
    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = err = error = critical = exception = fatal = msg


def get_logger(module: str | None = None, **bind: Any) -> Any:
    """A structlog logger bound with ``module=<module>`` (and ``bind``).

    It is a lazy proxy: a logger made at import time follows a later
    ``configure_logging`` (``log.bind(...)`` returns a concrete logger with
    the configuration current at that moment).
    """
    if module is not None:
        bind = {"module": module, **bind}
    return structlog.get_logger(**bind)
