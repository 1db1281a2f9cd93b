"""Max-Forwards processing (RFC 3261 §16.3 step 3 / §16.6 step 3)."""
from __future__ import annotations

from typing import Any

import structlog

log = structlog.get_logger("siprouter.modules.maxfwd").bind(module="maxfwd")

# modparam max_limit, set by mod_init
settings = {"max_limit": 70}

#: ``msg.attrs`` key set once process_maxfwd() decremented Max-Forwards (the
#: hop is counted: tm and forward() must not decrement again)
PROCESSED = "maxfwd.processed"


def _read_value(msg: Any) -> int | None:
    """The Max-Forwards value; None when absent; ValueError when unparsable.

    Read from the raw header text (not ``msg.max_forwards``) so a malformed
    value is an error (-2) rather than "absent".
    """
    raw = msg.get("Max-Forwards")
    if raw is None:
        return None
    text = raw.strip()
    if not text.isdigit() or not text.isascii() or len(text) > 5:
        raise ValueError(f"bad Max-Forwards value {raw!r}")
    return int(text)


def process_maxfwd(ctx: Any, limit: int) -> int:
    """Kamailio's ``mf_process_maxfwd_header(limit)``.

    * 2  - there was no Max-Forwards: one with value ``limit`` was added
      (at the top of the header, as Kamailio does);
    * 1  - the value was decremented (first capped to ``max_limit``);
    * -1 - the value is 0: the script should answer 483 Too Many Hops
      (also returned for an invalid ``limit`` outside 0..255);
    * -2 - the header could not be parsed or changed.
    """
    if limit < 0 or limit > 255:
        log.error("mf_process_maxfwd_header: invalid param value", limit=limit)
        return -1
    msg = ctx.msg
    # _read_value() inlined: this runs for every request of the usual script
    raw = msg.get("Max-Forwards")
    if raw is not None:
        text = raw.strip()
        if not text.isdigit() or not text.isascii() or len(text) > 5:
            log.error("mf_process_maxfwd_header: unable to parse the max forwards number",
                      error=f"bad Max-Forwards value {raw!r}")
            return -2
        value: int | None = int(text)
    else:
        value = None
    if value is None:
        try:
            msg.add_header("Max-Forwards", str(limit), first=True)
        except Exception as exc:
            log.error("mf_process_maxfwd_header: cannot add header", error=str(exc))
            return -2
        # Kamailio forwards the added value as is: tm must not count this hop again
        msg.attrs[PROCESSED] = True
        return 2
    if value == 0:
        return -1
    max_limit = settings["max_limit"]
    if value > max_limit:
        value = max_limit + 1  # so that the decrement lands on max_limit
    try:
        msg.set_header("Max-Forwards", str(value - 1))
    except Exception as exc:
        log.error("mf_process_maxfwd_header: decrement failed", error=str(exc))
        return -2
    # tm's relay and forward() decrement only a value the script did not
    # count yet; this flag tells them so without re-reading the raw bytes
    msg.attrs[PROCESSED] = True
    return 1


def is_maxfwd_lt(ctx: Any, limit: int) -> int:
    """Kamailio's ``is_maxfwd_lt(limit)``: 1 when Max-Forwards < ``limit``.

    -1 when it is >= limit (or ``limit`` is outside 0..255), -2 when the
    header is missing, -3 when it cannot be parsed.
    """
    if limit < 0 or limit > 255:
        log.error("is_maxfwd_lt: invalid param value", limit=limit)
        return -1
    try:
        value = _read_value(ctx.msg)
    except ValueError:
        return -3
    if value is None:
        return -2
    return 1 if value < limit else -1
