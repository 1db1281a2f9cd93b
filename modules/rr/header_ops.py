"""Reading and rewriting the Route / Record-Route sets of a message.

Both are lists of name-addr values that may be spread over several header
fields; we work on the flattened list (``get_all`` gives the raw values in
order, ``msg.routes`` the parsed ones) and write the whole set back only when
it changed, so untouched messages keep their bytes.
"""
from __future__ import annotations

from typing import Any


def route_entries(msg: Any) -> list[tuple[str, Any]]:
    """``[(raw value, NameAddr), ...]`` for every Route entry, top first."""
    return list(zip(msg.get_all("Route"), msg.routes))


def write_routes(msg: Any, raw_values: list[str]) -> None:
    """Replace the Route set with ``raw_values`` (removing it when empty)."""
    if raw_values:
        msg.set_header("Route", ", ".join(v.strip() for v in raw_values))
    else:
        msg.remove_header("Route")


def prepend_record_routes(msg: Any, values: list[str], replace_top: int = 0) -> None:
    """Put ``values`` on top of the Record-Route set, first dropping ``replace_top`` of ours.

    Each value becomes its own header field, as Kamailio writes them; a new
    Record-Route set goes right below the Via headers.
    """
    # (has() first: an initial request usually carries no Record-Route yet)
    others = msg.get_all("Record-Route")[replace_top:] if msg.has("Record-Route") else []
    if replace_top or others:
        msg.remove_header("Record-Route")
    rr_set = [v.strip() for v in (*values, *others)]
    if not rr_set:
        return
    msg.insert_header_after("Via", "Record-Route", rr_set[0])
    for value in rr_set[1:]:
        msg.insert_header_after("Record-Route", "Record-Route", value)


def uri_params_text(uri_text: str) -> str:
    """The ``;params`` part of a URI as written (before any ``?headers``)."""
    body = uri_text.split("?", 1)[0]
    at = body.rfind("@")
    semi = body.find(";", at + 1 if at >= 0 else 0)
    return body[semi:] if semi >= 0 else ""
