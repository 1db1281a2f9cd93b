"""rr's API object (``env.api("rr")``) for the modules that send requests (tm).

Kamailio settles the address in a Record-Route when the request is sent;
record_route() here has to guess the outgoing socket earlier (see
``record.py``). A sender that knows the real socket of a branch can call
:meth:`RRApi.fix_record_route` on the branch copy right before sending it.
"""
from __future__ import annotations

from typing import Any, Callable

from siprouter.modules.rr.header_ops import prepend_record_routes
from siprouter.modules.rr.record import RRConfig, build_rr, socket_addr


class RRApi:
    """Late fix-up of our Record-Route for the socket a branch really leaves from."""

    def __init__(self, config: Callable[[], RRConfig]) -> None:
        self._config = config

    def fix_record_route(self, msg: Any, proto: str, host: str, port: int) -> bool:
        """Make our single Record-Route a double one when the branch leaves via another socket.

        ``host``/``port`` are the advertised address of the outgoing socket.
        Returns True when the message was changed. Only a record_route()
        Record-Route is touched (never a preset one), and only with
        enable_double_rr on.
        """
        cfg = self._config()
        state = msg.attrs.get("rr")
        if not cfg.enable_double_rr or not state or state["added"] != 1:
            return False
        part = state["parts"][0]
        if part["kind"] != "socket":
            return False
        proto = proto.lower()
        sock = part["socket"]
        # tm calls this for every branch of a record-routed request: compare
        # the fields before building anything (the usual answer is "same")
        if sock.port == port and sock.host == host and sock.proto == proto:
            return False
        outbound = socket_addr(proto, host, port)
        parts = [{**part, "socket": outbound, "r2": True}, {**part, "r2": True}]
        prepend_record_routes(msg, [build_rr(p, "", cfg) for p in parts], replace_top=1)
        # a new dict: branch copies share the first level of attrs with the request
        msg.attrs["rr"] = {**state, "added": 2, "parts": parts}
        return True
