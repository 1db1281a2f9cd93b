"""save(): apply a REGISTER to a location table (Kamailio's ``save.c``).

Return codes are Kamailio's: 1 contacts inserted, 2 updated, 3 deleted,
4 only returned (no Contact), -1 error, -2 too many contacts. The reply (200
listing the bindings, or the error status) is sent by ``__init__.w_save``.
"""
from __future__ import annotations

from typing import Any

from siprouter.modules.registrar import errors
from siprouter.modules.registrar.config import RegistrarConfig
from siprouter.modules.registrar.methods import methods_mask
from siprouter.modules.registrar.register_contacts import RequestedContact, requested_contacts
from siprouter.modules.usrloc.contact import FL_MEM, Contact
from siprouter.modules.usrloc.location_table import (
    INVALID_CSEQ, NOT_FOUND, RETRANSMISSION, LocationTable)

# save() flags (Kamailio's REG_SAVE_*_FL)
SAVE_MEMORY = 0x01
SAVE_NO_REPLY = 0x02
SAVE_SINGLE_CONTACT = 0x04
SAVE_NO_VARIATION = 0x08
SAVE_PREPARE_REPLY = 0x10

RC_INSERTED, RC_UPDATED, RC_DELETED, RC_RETURNED = 1, 2, 3, 4


class RegisterRequest:
    """The parts of a REGISTER that every binding shares (Kamailio's ``pack_ci``)."""

    def __init__(self, msg: Any, cfg: RegistrarConfig, flags: int) -> None:
        if msg.call_id is None:
            raise errors.callid_missing()
        if msg.cseq is None:
            raise errors.cseq_missing()
        self.callid = msg.call_id
        self.cseq = msg.cseq.number
        self.user_agent = msg.get("User-Agent") or ""
        self.path = msg.get_all("Path") if cfg.use_path else []
        self.allow = methods_mask(", ".join(msg.get_all("Allow"))) if msg.has("Allow") else None
        rcv = msg.rcv
        self.socket = f"{rcv.proto.lower()}:{rcv.dst_ip}:{rcv.dst_port}" if rcv else None
        # received: what nathelper's fix_nated_register() left for us (received_avp)
        self.received = msg.attrs.get("received")
        self.cflags = getattr(msg, "bflags", 0)
        self.mem_flag = FL_MEM if flags & SAVE_MEMORY else 0

    def binding(self, aor: str, req: RequestedContact, now: float) -> Contact:
        """A usrloc contact for ``req`` as of ``now``."""
        return Contact(aor=aor, uri=req.uri, expires=now + req.expires, q=req.q,
                       callid=self.callid, cseq=self.cseq, received=self.received,
                       path=list(self.path), user_agent=self.user_agent, socket=self.socket,
                       flags=self.mem_flag, cflags=self.cflags,
                       methods=methods_mask(req.methods) if req.methods else self.allow,
                       instance=req.instance, reg_id=req.reg_id)


def save_register(msg: Any, table: LocationTable, aor: str, cfg: RegistrarConfig,
                  flags: int = 0) -> int:
    """Apply ``msg`` to ``table`` for ``aor``; returns 1..4 or raises RegError."""
    requested = requested_contacts(msg, cfg)
    info = RegisterRequest(msg, cfg, flags)
    if msg.contact_star:
        table.delete_record(aor)
        return RC_DELETED
    if not requested:
        return RC_RETURNED
    _check_max_contacts(table, aor, requested, info, cfg, flags)
    now = table.clock()
    rc = 0
    for req in requested:
        code, existing = table.find_contact(aor, req.uri, info.callid, info.cseq)
        if code == INVALID_CSEQ:
            raise errors.invalid_cseq()  # same Call-ID, lower CSeq: out of order
        if code == RETRANSMISSION:
            continue                      # already applied
        if code == NOT_FOUND:
            if req.expires == 0:
                continue                  # removing what is not there
            table.insert(info.binding(aor, req, now))
            rc = RC_INSERTED
        elif req.expires == 0:
            table.delete_contact(aor, req.uri)
            rc = RC_DELETED
        else:
            updated = info.binding(aor, req, now)
            updated.ruid = existing.ruid
            table.update(updated)
            rc = RC_UPDATED  # like Kamailio, the last change decides the code
        if flags & SAVE_SINGLE_CONTACT and req.expires != 0:
            # flag 0x04: this contact replaces every other binding of the AOR
            for other in table.get_contacts(aor, include_expired=True):
                if other.uri != req.uri:
                    table.delete_ruid(aor, other.ruid)
    return rc or RC_INSERTED


def _check_max_contacts(table: LocationTable, aor: str, requested: list[RequestedContact],
                        info: RegisterRequest, cfg: RegistrarConfig, flags: int) -> None:
    """Refuse (503, rc -2) when the AOR would end up with more than max_contacts."""
    if cfg.max_contacts <= 0 or flags & SAVE_SINGLE_CONTACT:
        return
    current = {c.uri for c in table.get_contacts(aor)}
    for req in requested:
        if req.expires == 0:
            current.discard(req.uri)
        else:
            current.add(req.uri)
    if len(current) > cfg.max_contacts:
        raise errors.too_many(cfg.retry_after)
