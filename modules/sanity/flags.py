"""Check bits of ``sanity_check(msg_checks, uri_checks)``; values are Kamailio's."""
from __future__ import annotations

import enum


class Check(enum.IntFlag):
    """Message checks (first parameter / modparam ``default_checks``)."""

    RURI_SIP_VERSION = 1 << 0     # 505 when the request line is not SIP/2.0
    RURI_SCHEME = 1 << 1          # 416 for an unknown R-URI scheme
    REQUIRED_HEADERS = 1 << 2     # From, To, Call-ID, CSeq, Via present, not repeated
    VIA_SIP_VERSION = 1 << 3      # disabled in Kamailio: always passes
    VIA_PROTOCOL = 1 << 4         # disabled in Kamailio: always passes
    CSEQ_METHOD = 1 << 5          # CSeq method equals the request method
    CSEQ_VALUE = 1 << 6           # CSeq number is a 31-bit unsigned integer
    CONTENT_LENGTH = 1 << 7       # Content-Length equals the body size
    EXPIRES_VALUE = 1 << 8        # Expires is an unsigned 32-bit integer
    PROXY_REQUIRE = 1 << 9        # 420 for an extension not in modparam proxy_require
    PARSE_URIS = 1 << 10          # the URIs chosen by uri_checks parse
    DIGEST = 1 << 11              # digest credentials are complete
    DUPLICATE_TAGS = 1 << 12      # at most one tag in From and in To
    AUTHORIZATION = 1 << 13       # like DIGEST, but other schemes pass
    VIA1_HEADER = 1 << 14         # top Via parses, has a host and a branch
    RFC3261_COMPLIANCE = 1 << 15  # magic-cookie branch, ;lr in Route/Record-Route
    SIZES = 1 << 16               # size limits (modparams size_*)


#: exclusive upper bound of the first parameter (Kamailio's SANITY_MAX_CHECKS)
MAX_CHECKS = 1 << 17

#: Kamailio's SANITY_DEFAULT_CHECKS = 3047
DEFAULT_CHECKS = int(Check.RURI_SIP_VERSION | Check.RURI_SCHEME | Check.REQUIRED_HEADERS
                     | Check.CSEQ_METHOD | Check.CSEQ_VALUE | Check.CONTENT_LENGTH
                     | Check.EXPIRES_VALUE | Check.PROXY_REQUIRE | Check.DIGEST)


class UriCheck(enum.IntFlag):
    """URI checks for PARSE_URIS (second parameter / modparam ``uri_checks``)."""

    RURI = 1 << 0
    FROM = 1 << 1
    TO = 1 << 2
    CONTACT = 1 << 3


#: exclusive upper bound of the second parameter
URI_MAX_CHECKS = 1 << 4

#: Kamailio's SANITY_DEFAULT_URI_CHECKS = 7
DEFAULT_URI_CHECKS = int(UriCheck.RURI | UriCheck.FROM | UriCheck.TO)
