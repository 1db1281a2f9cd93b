"""lookup(), registered() and unregister() (Kamailio's ``lookup.c``/``save.c``).

lookup() rewrites the Request-URI to the best binding and, with
append_branches, adds the others as branches for tm. Branch-set convention
shared with tm: ``msg.attrs["branches"]`` is a list of dicts
``{"uri", "dst_uri", "q", "path", "flags", "bflags"}`` that ``t_relay`` forks
to in addition to the Request-URI branch; ``q`` is a float or None, ``path``
a list of Path values (to be sent as Route headers), ``flags``/``bflags`` the
branch flags (tm reads ``bflags``; ``flags`` is kept for the agreed convention).
For the Request-URI branch itself the Path set goes to
``msg.attrs["path_vector"]`` (list of Path values) and ``msg.dst_uri``.
"""
from __future__ import annotations

from typing import Any

from siprouter.modules.registrar.aor import aor_from_text, aor_from_uri
from siprouter.modules.registrar.config import RegistrarConfig
from siprouter.modules.registrar.errors import RegError
from siprouter.modules.registrar.methods import allows
from siprouter.modules.registrar.register_contacts import uri_text_of
from siprouter.modules.usrloc.contact import Q_UNSPECIFIED, Contact
from siprouter.modules.usrloc.location_table import LocationTable

LOOKUP_FOUND = 1
LOOKUP_NOT_FOUND = -1
LOOKUP_METHOD_NOT_ALLOWED = -2
LOOKUP_ERROR = -3


def _next_hop(contact: Contact) -> str | None:
    """Where the request really goes: the first Path hop, else the received address."""
    if contact.path:
        return uri_text_of(contact.path[0].split(",")[0])
    return contact.received or None


def _branch(contact: Contact) -> dict[str, Any]:
    """The branch-set entry (see module docstring) for one extra contact."""
    return {"uri": contact.uri,
            "dst_uri": _next_hop(contact),
            "q": None if contact.q == Q_UNSPECIFIED else contact.q / 1000,
            "path": list(contact.path),
            "flags": contact.cflags,
            "bflags": contact.cflags}  # the key tm's t_relay reads


def lookup(msg: Any, table: LocationTable, cfg: RegistrarConfig, uri: str | None = None) -> int:
    """Rewrite the R-URI to the contacts of its AOR; Kamailio's return codes."""
    try:
        aor = aor_from_text(uri, cfg) if uri else aor_from_uri(msg.uri, cfg)
    except RegError:
        return LOOKUP_ERROR
    contacts = table.get_contacts(aor)
    if not contacts:
        return LOOKUP_NOT_FOUND
    if cfg.method_filtering and not (msg.to is not None and msg.to.tag):
        # only initial requests are filtered: in-dialog ones go where the dialog is
        contacts = [c for c in contacts if allows(c.methods, msg.method)]
        if not contacts:
            return LOOKUP_METHOD_NOT_ALLOWED
    best, rest = contacts[0], contacts[1:]
    msg.uri = best.uri
    msg.dst_uri = _next_hop(best)  # Kamailio resets $du first; None when direct
    if best.path:
        msg.attrs["path_vector"] = list(best.path)
    else:
        msg.attrs.pop("path_vector", None)
    msg.bflags = best.cflags
    if cfg.append_branches and rest:
        msg.attrs.setdefault("branches", []).extend(_branch(c) for c in rest)
    return LOOKUP_FOUND


def registered(msg: Any, table: LocationTable, cfg: RegistrarConfig,
               uri: str | None = None) -> int:
    """1 when the AOR (R-URI, To-URI of a reply, or ``uri``) has a valid binding, else -1."""
    try:
        if uri:
            aor = aor_from_text(uri, cfg)
        elif msg.is_request:
            aor = aor_from_uri(msg.uri, cfg)
        elif msg.to is not None:
            aor = aor_from_uri(msg.to.uri, cfg)
        else:
            return -1
    except RegError:
        return -1
    return 1 if table.has_record(aor) else -1


def unregister(table: LocationTable, cfg: RegistrarConfig, uri: str,
               ruid: str | None = None) -> int:
    """Remove all bindings of ``uri``'s AOR (or the one with ``ruid``).

    1 done; -1 bad URI; -3 no binding with that ruid.
    """
    try:
        aor = aor_from_text(uri, cfg)
    except RegError:
        return -1
    if not ruid:
        table.delete_record(aor)
        return 1
    return 1 if table.delete_ruid(aor, ruid) else -3
