"""Registrar failures and the replies Kamailio sends for them (``reply.c``)."""
from __future__ import annotations


class RegError(Exception):
    """A REGISTER that cannot be processed: reply ``status`` with ``info``.

    ``info`` goes into ``P-Registrar-Error`` like Kamailio; ``rc`` is the
    route-function return code (-2 only for too many contacts).
    """

    def __init__(self, status: int, info: str, rc: int = -1,
                 headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(f"{status} {info}")
        self.status = status
        self.info = info
        self.rc = rc
        self.headers = headers or []


# Kamailio's error texts and status codes, as named in its rerrno table.
def aor_parse() -> RegError:
    return RegError(400, "Error while parsing AOR")


def to_user() -> RegError:
    return RegError(400, "No username in To URI")


def to_missing() -> RegError:
    return RegError(400, "To header not found")


def callid_missing() -> RegError:
    return RegError(400, "Call-ID header not found")


def cseq_missing() -> RegError:
    return RegError(400, "CSeq header not found")


def invalid_cseq() -> RegError:
    return RegError(400, "Invalid CSeq number")


def invalid_expires() -> RegError:
    return RegError(400, "Invalid expires param in contact")


def expires_parse() -> RegError:
    return RegError(400, "Expires parse error")


def invalid_q() -> RegError:
    return RegError(400, "Invalid q param in contact")


def contact_parse() -> RegError:
    return RegError(400, "Contact parse error")


def star_expires() -> RegError:
    return RegError(400, "* used in contact and expires is not zero")


def star_contacts() -> RegError:
    return RegError(400, "* used in contact and more than 1 contact")


def too_many(retry_after: int) -> RegError:
    headers = [("Retry-After", str(retry_after))] if retry_after > 0 else []
    return RegError(503, "Too many registered contacts", rc=-2, headers=headers)


def low_expires(min_expires: int) -> RegError:
    return RegError(423, "Interval too brief", headers=[("Min-Expires", str(min_expires))])
