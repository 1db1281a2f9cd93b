"""The CSeq header.

RFC 3261 §20.16 / §25.1::

    CSeq  =  "CSeq" HCOLON 1*DIGIT LWS Method

The number must fit in 32 bits (§8.1.1.5: "MUST be expressible as a 32-bit
unsigned integer"); RFC 4475 §3.1.2.4 expects a 400 otherwise.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from .errors import SipParseError
from .grammar import is_token

MAX_CSEQ = 2**32 - 1
_tuple_new = tuple.__new__
# The everyday CSeq on a whole header line ("CSeq: 314159 INVITE"): what the
# fast path of ``CSeq.parse`` accepts (a number of at most 9 digits, one SP,
# an ASCII-letters method), with the name, colon and surrounding blanks
# skipped by the regex.  Used by the parser; groups: number, method.
line_match = re.compile(r"[^:]*+:[ \t]*+([0-9]{1,9}+) ([A-Za-z]++)[ \t]*+\Z").match


class CSeq(NamedTuple):
    """Sequence number and method; immutable."""

    number: int
    method: str

    @classmethod
    def parse(cls, text: str) -> "CSeq":
        """Parse a CSeq value; raises SipParseError for a bad or >32-bit number."""
        number, sp, method = text.partition(" ")
        if sp and number.isdigit() and number.isascii() and len(number) < 10 \
                and method.isalpha() and method.isascii():
            return _tuple_new(cls, (int(number), method))      # everyday "1 INVITE"
        parts = text.split()
        if len(parts) != 2:
            raise SipParseError("Bad CSeq header", kind="cseq")
        number, method = parts
        if not number.isdigit() or not number.isascii():
            raise SipParseError("Bad CSeq number", kind="cseq")
        if not is_token(method):
            raise SipParseError("Bad CSeq method", kind="cseq")
        if len(number) > 10 and len(number.lstrip("0")) > 10:
            raise SipParseError("CSeq number too large", kind="cseq")   # before int(): no huge ints
        value = int(number)
        if value > MAX_CSEQ:
            raise SipParseError("CSeq number too large", kind="cseq")
        return cls(value, method)

    def __str__(self) -> str:
        return f"{self.number} {self.method}"
