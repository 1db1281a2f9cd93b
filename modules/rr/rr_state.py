"""Per-message record-routing state, kept in ``msg.attrs["rr"]``.

Kamailio keeps this in static variables keyed by the message id; keeping it on
the message makes it follow the request into its transaction and across
threads. Fields:

* ``added`` — how many Record-Route values we put on top (0, 1 or 2);
* ``parts`` — what they were built from, so add_rr_param() can rebuild them;
* ``params`` — parameters from add_rr_param() for Record-Routes still to come;
* ``routed_params`` — the URI parameters (";lr;ftag=..") of our Route entry
  that loose_route() consumed, for check_route_param() / is_direction();
  None when loose_route() did not consume a Route of ours.
"""
from __future__ import annotations

from typing import Any


#: the state of a message rr has not touched (shared: never mutate it)
EMPTY_STATE: dict[str, Any] = {"added": 0, "parts": [], "params": "", "routed_params": None}


def rr_state(msg: Any) -> dict[str, Any]:
    """The rr state of ``msg`` (read-only view; change it with :func:`set_rr_state`)."""
    return msg.attrs.get("rr") or EMPTY_STATE


def set_rr_state(msg: Any, **changes: Any) -> None:
    """Replace the rr state of ``msg`` by a changed copy.

    Never mutate in place: tm's branch copies share the first level of
    ``msg.attrs`` with the request, and a record_route() in one branch_route
    must not leak into the other branches.
    """
    msg.attrs["rr"] = {**rr_state(msg), **changes}


def split_param_text(text: str) -> dict[str, str | None]:
    """``";lr;ftag=a;nat=yes"`` → ``{"lr": None, "ftag": "a", "nat": "yes"}`` (names lower-cased)."""
    params: dict[str, str | None] = {}
    for item in text.split(";"):
        item = item.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        params[name.strip().lower()] = value.strip() if sep else None
    return params


def normalise_param(text: str) -> str:
    """A parameter string in ``;name=value`` form (a missing leading ';' is added)."""
    text = text.strip()
    if text and not text.startswith(";"):
        text = ";" + text
    return text
