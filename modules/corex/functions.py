"""Route functions of corex (Kamailio's corex module, partial)."""
from __future__ import annotations

from typing import Any

import structlog

log = structlog.get_logger("siprouter.modules.corex").bind(module="corex")

# Kamailio's MAX_BRANCHES (the R-URI branch plus appended ones)
MAX_BRANCHES = 12

# msg.attrs key of the destination set tm's t_relay forks to (list of dicts
# with uri, dst_uri, bflags, q) -- shared with tm and registrar.
BRANCHES_ATTR = "branches"
IFLAGS_ATTR = "iflags"


def append_branch(ctx: Any, uri: str | None = None, q: str | None = None) -> int:
    """Add a branch to the destination set for the next t_relay().

    Without ``uri`` the current Request-URI, $du and branch flags are added
    (Kamailio's use in failure_route for serial forking).  ``q`` is a
    decimal 0..1 (or Kamailio's int 0..1000).  1 on success; -1 when the
    destination set is full (12 branches), the URI is empty or ``q`` is bad.
    """
    msg = ctx.msg
    if not msg.is_request:
        return -1
    branches = msg.attrs.setdefault(BRANCHES_ATTR, [])
    if len(branches) + 1 >= MAX_BRANCHES:
        log.error("append_branch: max branches exceeded", max=MAX_BRANCHES)
        return -1
    entry: dict[str, Any] = {}
    if uri:
        entry.update(uri=uri, dst_uri=None, bflags=0)
    elif uri is None:
        entry.update(uri=str(msg.uri), dst_uri=msg.dst_uri, bflags=msg.bflags)
    else:
        log.error("append_branch: empty URI")
        return -1
    if q not in (None, ""):
        qval = _parse_q(q)
        if qval is None:
            log.error("append_branch: bad q value", q=q)
            return -1
        entry["q"] = qval
    branches.append(entry)
    return 1


def _parse_q(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    if "." not in text and value > 1:  # Kamailio's int form: 0..1000
        value /= 1000
    return value if 0 <= value <= 1 else None


def _iflag_name(name: str) -> str | None:
    name = name.strip().upper()
    return name or None


def msg_iflag_set(ctx: Any, name: str) -> int:
    """Set an internal message flag by name (e.g. USE_UAC_FROM); always 1."""
    flag = _iflag_name(name)
    if flag is None:
        return -1
    ctx.msg.attrs.setdefault(IFLAGS_ATTR, set()).add(flag)
    return 1


def msg_iflag_reset(ctx: Any, name: str) -> int:
    """Clear an internal message flag by name; always 1."""
    flag = _iflag_name(name)
    if flag is None:
        return -1
    ctx.msg.attrs.get(IFLAGS_ATTR, set()).discard(flag)
    return 1


def msg_iflag_is_set(ctx: Any, name: str) -> int:
    """1 when the internal message flag is set, else -1."""
    flag = _iflag_name(name)
    return 1 if flag and flag in ctx.msg.attrs.get(IFLAGS_ATTR, set()) else -1
