"""SIP message layer (sans-IO): bytes in, message objects out, and back.

No asyncio, sockets or clock here (a test scans the imports).  See docs/sip.md
for the API as module authors use it.
"""
from .build import make_response
from .checks import missing_required_headers, single_value_violations
from .cseq import CSeq
from .errors import FramingError, SipParseError
from .framing import KEEPALIVE, StreamFramer
from .headers import canonical_name, header_key, split_commas
from .message import SipMessage, SipRequest, SipResponse
from .nameaddr import NameAddr
from .parser import parse_message
from .receive import ReceiveInfo
from .status import reason_phrase
from .uri import Uri, parse_uri
from .via import Via

__all__ = [
    "CSeq", "FramingError", "KEEPALIVE", "NameAddr", "ReceiveInfo", "SipMessage",
    "SipParseError", "SipRequest", "SipResponse", "StreamFramer", "Uri", "Via",
    "canonical_name", "header_key", "make_response", "missing_required_headers",
    "parse_message", "parse_uri", "reason_phrase", "single_value_violations",
    "split_commas",
]
