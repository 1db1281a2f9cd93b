"""The message layer stays sans-IO: no asyncio, sockets, threads or clock."""
import ast
from pathlib import Path

import siprouter.core.sip as sip_pkg

FORBIDDEN = {"asyncio", "socket", "socketserver", "selectors", "ssl", "threading",
             "time", "datetime", "uvloop", "select", "subprocess", "multiprocessing"}


def test_no_io_imports_in_core_sip():
    root = Path(sip_pkg.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
            else:
                continue
            for name in names:
                if name.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_public_api_of_contracts_section_1():
    names = ["parse_message", "SipMessage", "SipRequest", "SipResponse", "SipParseError",
             "Uri", "parse_uri", "NameAddr", "Via", "CSeq", "StreamFramer", "reason_phrase",
             "ReceiveInfo", "make_response", "KEEPALIVE", "FramingError",
             "single_value_violations"]
    for name in names:
        assert name in sip_pkg.__all__ and hasattr(sip_pkg, name), name
    for attr in ("rcv", "flags", "bflags", "dst_uri", "attrs"):
        assert attr in sip_pkg.SipMessage.__slots__
