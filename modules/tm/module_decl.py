"""The tm module's declaration: name, parameters with Kamailio's defaults, statistics.

When: built at import time; :mod:`functions` adds the route functions and
``__init__`` the lifecycle callbacks, hooks and the API factory.
All times are milliseconds, as in Kamailio.
"""
from __future__ import annotations

from siprouter.core.modsys import Module

from .stats import STATS

module = Module(
    "tm", version="1.0", after=["rr"],   # optional: rr's API fixes Record-Route per branch
    doc="Transaction management: RFC 3261 transactions, the stateful proxy core "
        "(t_relay, forking, failure routes) and the suspend/continue API.")

_P = module.param
_P("fr_timer", int, 30000, min=1, doc="ms a branch waits for any reply (Timer B/F).")
_P("fr_inv_timer", int, 120000, min=1,
   doc="ms an INVITE branch waits for a final reply after a provisional (Timer C).")
_P("wt_timer", int, 5000, min=0,
   doc="ms a completed transaction is kept to absorb retransmissions.")
_P("retr_timer1", int, 500, min=1, doc="T1: first retransmission interval (ms).")
_P("retr_timer2", int, 4000, min=1, doc="T2: retransmission interval cap (ms).")
_P("max_inv_lifetime", int, 180000, min=1, doc="ms an INVITE transaction may live at most.")
_P("max_noninv_lifetime", int, 32000, min=1,
   doc="ms a non-INVITE transaction may live at most.")
_P("auto_inv_100", int, 1, min=0, max=1,
   doc="1: answer an INVITE with 100 when it is relayed or suspended.")
_P("auto_inv_100_reason", str, "trying -- your call is important to us",
   doc="Reason phrase of the automatic 100.")
_P("restart_fr_on_each_reply", int, 1, min=0, max=1,
   doc="1: every provisional reply restarts fr_inv_timer.")
_P("failure_reply_mode", int, 3, min=0, max=3,
   doc="Replies of earlier branches when failure_route adds a new one: 0 keep all, "
       "1 and 3 discard all, 2 keep only the last branch's.")
_P("default_code", int, 500, min=400, max=699, doc="Code of tm's error replies.")
_P("default_reason", str, "Server Internal Error", doc="Reason of tm's error replies.")
_P("disable_6xx_block", int, 0, min=0, max=1,
   doc="1: a 6xx does not cancel the other branches (treated like 4xx).")
_P("remap_503_500", int, 1, min=0, max=1,
   doc="1: a winning 503 is sent upstream as 500 (RFC 3261 §16.7).")
_P("aggregate_challenges", int, 1, min=0, max=1,
   doc="1: a relayed 401/407 carries the challenges of every branch.")
_P("local_cancel_reason", int, 1, min=0, max=1,
   doc="1: CANCELs tm sends after a 2xx carry a Reason header.")
_P("e2e_cancel_reason", int, 1, min=0, max=1,
   doc="1: the Reason header of a received CANCEL is copied to the CANCELs sent.")
_P("relay_100", int, 0, min=0, max=1, doc="1: relay 100 replies upstream too.")
_P("reply_408_reason", str, "Request Timeout", doc="Reason of tm's 408 on timeout.")
_P("log_table_at_shutdown", int, 1, min=0, max=1,
   doc="1: log the transaction table size at shutdown (leak checks).")

for _name, _doc in STATS.items():
    module.stat(_name, _doc)
