"""The tmx module's declaration: name, dependency on tm, its one parameter.

When: built at import time; the sibling files add functions and PVs to it.
"""
from __future__ import annotations

from siprouter.core.modsys import Module

module = Module(
    "tmx", version="1.0", depends=["tm"],
    doc="Transaction extensions: script access to suspend/continue, route-type checks, "
        "transactions by Call-ID, and the $T_* pseudo-variables.")

module.param("precheck_trans", int, default=1, min=0, max=1,
             doc="1: t_precheck_trans() tracks requests being processed so that their "
                 "retransmissions can be spotted before a transaction exists.")
