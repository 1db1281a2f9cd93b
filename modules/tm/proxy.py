"""The stateful proxy core (RFC 3261 §16): transactions, branches, response context.

When: everything tm does per message goes through :class:`TmCore` — creating
a transaction (t_newtran), forwarding it on one or more branches (t_relay,
parallel forking over the destination set, serial forking from
failure_route), sending replies upstream (t_reply, relayed replies, replies
generated on timeouts and errors), and the reply path from the server's
``reply_in`` hook.

What it owns: the transaction table, the timer handles of every state
machine (armed through ``env.call_later``; no task is parked per
transaction), and the response context of each INVITE/non-INVITE
(best-response selection §16.7, 6xx handling, CANCEL of the other branches
after a 2xx).

Locking (ARCHITECTURE §5): each transaction has an ``RLock``; every method
that touches one takes it.  Route blocks tm runs itself (branch_route,
onreply_route, failure_route) run under that lock on the thread that caused
them; a t_continue continuation runs *without* it (see :mod:`api`) so a
blocking worker never stalls the loop thread.  Sends from a thread other than
the loop's are marshalled with ``env.call_soon`` (asyncio transports are not
thread-safe); order is kept because call_soon is FIFO.
"""
from __future__ import annotations

from typing import Any

from siprouter.core.modsys import RouteType

from .actions import ClearTimer, PassUp, SetTimer, Terminate, Transmit
from .cell import Branch, Suspend, Transaction
from .client_txn import ClientTransaction, CState
from .matching import ack_to_tag_ok, new_branch_base, reply_key, request_key, stateless_branch
from .server_txn import ReplyRefused, ServerTransaction, SState
from .response import aggregate_challenges, pick_best
from .stats import TmStats
from .table import TransactionTable
from .timers import TimerQueue, TimerSet, TimerValues
from .wire import (SentReply, build_ack, build_cancel, decrement_max_forwards, make_reply, sent_by,
                   strip_top_via, tag_of, uri_text)

# Kamailio error codes (src/core/error.h) used as return values.
E_UNSPEC = -1
E_BAD_TUPEL = -9        # incomplete transaction tuple
E_SCRIPT = -10          # "transaction already in process"
E_SEND = -477
E_BAD_ADDRESS = -478    # unresolvable next hop
E_CANCELED = -487       # transaction already canceled

#: the reply t_relay sends when no branch could be sent (Kamailio's err2reason_phrase)
RELAY_ERROR_REPLIES = {
    E_BAD_ADDRESS: (478, "Unresolvable destination (478/TM)"),
    E_SEND: (477, "Unfortunately error on sending to next hop occurred (477/TM)"),
}

#: the server machine's timers (the one-letter names of the transaction's set)
_UAS_TIMERS = "GHIJL"
_S_TERMINATED = SState.TERMINATED
_C_TERMINATED = CState.TERMINATED
_NO_KEY = object()      # "compute the request key" (a None key means: cannot be keyed)
RELIABLE = frozenset({"tcp", "tls", "sctp", "ws", "wss"})
CONTINUE_500_REASON = "I'm terribly sorry, server error occurred (1/TM)"


#: set in a received reply's attrs once tm relayed it upstream (reply_in counts the rest
#: as absorbed)
RELAYED = "tm.relayed"

#: msg.attrs keys a script sets before the transaction exists (see _apply_presets)
_PRESET_KEYS = frozenset(("tm.on_failure", "tm.on_reply", "tm.on_branch", "tm.on_branch_failure",
                          "tm.fr", "tm.retr", "tm.no_auto_100"))


class TmCore:
    """tm's engine: one per server; see the module docstring."""

    def __init__(self, env: Any, params: dict[str, Any] | None = None) -> None:
        self.env = env
        self.params = dict(params or {})
        p = self.params
        self.log = getattr(env, "log", None)
        self.timers = TimerValues.from_params(p)
        self._now = env.now
        # the ServerEnv itself: a ModuleEnv forwards every attribute through __getattr__
        self._srv = getattr(env, "server", env)
        self.tqueue = TimerQueue(env.call_later, env.now)   # every tm timer, one clock handle
        # bound methods made once: a TimerSet keeps references, not one new object each
        self._call_later = env.call_later
        self._uas_timer_cb = self._uas_timer
        self._branch_timer_cb = self._branch_timer
        self._cancel_timer_cb = self._cancel_timer
        self._sent_by_cache: dict[Any, Any] = {}
        self.table = TransactionTable()
        self.stats = TmStats(env)
        self.auto_inv_100 = bool(p.get("auto_inv_100", 1))
        self.auto_inv_100_reason = str(p.get("auto_inv_100_reason",
                                             "trying -- your call is important to us"))
        self.default_code = int(p.get("default_code", 500))
        self.default_reason = str(p.get("default_reason", "Server Internal Error"))
        self.failure_reply_mode = int(p.get("failure_reply_mode", 3))
        self.disable_6xx_block = bool(p.get("disable_6xx_block", 0))
        self.remap_503_500 = bool(p.get("remap_503_500", 1))
        self.aggregate_challenges = bool(p.get("aggregate_challenges", 1))
        self.local_cancel_reason = bool(p.get("local_cancel_reason", 1))
        self.e2e_cancel_reason = bool(p.get("e2e_cancel_reason", 1))
        self.relay_100 = bool(p.get("relay_100", 0))
        self.reply_408_reason = str(p.get("reply_408_reason", "Request Timeout"))
        self.stats.register_gauges(lambda: len(self.table), self.active_count)
        self.rr: Any = None      # rr's API when rr is loaded (fix_record_route)

    # ======================================================================
    # small services
    # ======================================================================
    @property
    def server_env(self) -> Any:
        """The ServerEnv (route contexts get it, not tm's ModuleEnv view)."""
        return getattr(self.env, "server", self.env)

    def _warn(self, event: str, **kw: Any) -> None:
        if self.log is not None:
            self.log.warning(event, **kw)

    def send(self, data: bytes, dest: Any) -> bool:
        """Send a request/ACK/CANCEL.  Callable from any thread: the transport
        itself hands an off-loop send to the loop (True then means queued)."""
        return bool(self._srv.send(data, dest))

    def _send_reply_wire(self, request: Any, reply: Any) -> bool:
        """Send ``reply`` upstream along ``request`` (any thread, see ``send``)."""
        return bool(self._srv.send_reply(request, reply))

    def _out_for(self, dest: Any) -> tuple[str, int, str]:
        """(host, port, Via prefix up to ``branch=``) of the listen socket a request
        to ``dest`` leaves from; cached per protocol (every branch and e2e ACK asks)."""
        proto = getattr(dest, "proto", "udp") or "udp"
        listen = getattr(self.env, "listen", None) or []
        cache = self._sent_by_cache
        if cache.get(None) is not listen:      # listen sockets changed (start-up, tests)
            cache.clear()
            cache[None] = listen
        hit = cache.get(proto)
        if hit is None:
            lproto = proto.lower()
            chosen = next((ls for ls in listen if ls.proto.lower() == lproto), None)
            if chosen is None and listen:
                chosen = listen[0]
            host, port = sent_by(chosen)
            hit = cache[proto] = (host, port, f"SIP/2.0/{proto.upper()} {host}:{port};branch=")
        return hit

    def active_count(self) -> int:
        """Transactions without a final reply (the active_transactions gauge)."""
        return sum(1 for t in self.table.snapshot() if not t.final_sent and not t.ended)

    def run_route(self, kind: str, name: str, msg: Any, route_type: RouteType,
                  txn: Transaction | None, branch: int = -1, reply: Any = None) -> Any:
        """Run route block ``kind[name]`` on ``msg``; returns the RunContext (None if absent)."""
        script = getattr(self.env, "script", None)
        if script is None:
            return None
        route = script.route(name, kind)
        if route is None:
            self._warn("tm: route block not found", kind=kind, route=name)
            return None
        ctx = script.new_context(msg, route_type, self.server_env)
        ctx.txn = txn
        ctx.branch = branch
        ctx.reply = reply
        try:
            script.run(route, ctx)
        except Exception:  # a broken route must not wedge the transaction
            if self.log is not None:
                self.log.exception("tm: route raised", kind=kind, route=name)
        return ctx

    def _callbacks(self, txn: Transaction, kind: str, **params: Any) -> None:
        cbs = txn.callbacks
        if not cbs:
            return
        for fn in cbs.get(kind, ()):
            try:
                fn(txn, kind, params)
            except Exception:
                if self.log is not None:
                    self.log.exception("tm: callback raised", kind=kind)

    # ======================================================================
    # state machine glue
    # ======================================================================
    def _uas_actions(self, txn: Transaction, actions: list) -> None:
        """Perform a server machine's actions (txn lock held)."""
        cleared = False
        for a in actions:
            cls = a.__class__     # exact classes: cheaper than isinstance chains
            if cls is Transmit:
                if txn.uas_reply is not None:
                    self.stats.inc("rpl_sent")
                    if not self._send_reply_wire(txn.uas_request, txn.uas_reply):
                        self._uas_actions(txn, txn.uas.transport_error())
                        return
            elif cls is SetTimer:
                self._txn_timers(txn).set(a.name, a.delay)
            elif cls is ClearTimer:
                if txn.uas_timers is not None:
                    txn.uas_timers.discard(a.name)
                    cleared = True
            elif cls is PassUp:
                if a.event == "ack_timeout":
                    self._callbacks(txn, "ack_timeout")
            elif cls is Terminate:
                if txn.uas_timers is not None:
                    # only the server machine's timers: the branches' share the set
                    txn.uas_timers.discard_each(_UAS_TIMERS)
                self._maybe_free(txn)
        if cleared and txn.uas_timers is not None:
            txn.uas_timers.settle()     # one queue move for all the clears of the list

    def _txn_timers(self, txn: Transaction) -> TimerSet:
        """The transaction's own timer set: the server machine's timers and those
        of its branches' client machines (see ``_branch_actions``).  Made on the first
        timer: a proxied INVITE waiting for its final reply (or suspended) has
        none armed, so why carry the set."""
        ts = txn.uas_timers
        if ts is None:
            ts = txn.uas_timers = TimerSet(self._call_later, self._uas_timer_cb, txn.lock,
                                           self._now, (txn,), queue=self.tqueue)
        return ts

    def _branch_actions(self, txn: Transaction, branch: Branch, actions: list,
                        reply: Any = None) -> None:
        """Perform a branch machine's actions (txn lock held)."""
        cleared = False
        for a in actions:
            cls = a.__class__     # exact classes: cheaper than isinstance chains
            if cls is Transmit:
                if a.what == "request":
                    if not self.send(branch.data, branch.dest):
                        self._branch_actions(txn, branch, branch.ctxn.transport_error())
                        return
                elif a.what == "ack" and reply is not None:
                    if branch.ack_data is None:
                        branch.ack_data = build_ack(branch, reply)
                    self.send(branch.ack_data, branch.dest)
                elif a.what == "ack" and branch.ack_data is not None:
                    self.send(branch.ack_data, branch.dest)
            elif cls is SetTimer:
                # the branch's timers live in the transaction's own set, named
                # letter + branch index: one set and one queue entry per transaction,
                # and a finished branch's wait (D, K, M) fires with the server's
                # J/L armed at the same moment (Kamailio's put_on_wait)
                self._txn_timers(txn).set(f"{a.name}{branch.index}", a.delay)
            elif cls is ClearTimer:
                ts = txn.uas_timers
                if ts is not None:
                    ts.discard(f"{a.name}{branch.index}")
                    cleared = True
            elif cls is PassUp:
                if a.event == "response":
                    self._branch_reply(txn, branch, reply)
                elif a.event in ("timeout", "transport_error"):
                    self._branch_timeout(txn, branch, error=a.event == "transport_error")
            elif cls is Terminate:
                # every path of the client machine clears its timers before it
                # terminates (and a stray one would find the machine terminated)
                self._maybe_free(txn)
        if cleared and txn.uas_timers is not None:
            txn.uas_timers.settle()     # one queue move for all the clears of the list

    def _cancel_actions(self, txn: Transaction, branch: Branch, actions: list) -> None:
        """Perform the actions of a branch's CANCEL machine (txn lock held)."""
        cleared = False
        for a in actions:
            cls = a.__class__     # exact classes: cheaper than isinstance chains
            if cls is Transmit:
                self.send(branch.cancel_data, branch.dest)
            elif cls is SetTimer:
                branch.cancel_timers.set(a.name, a.delay)
            elif cls is ClearTimer:
                branch.cancel_timers.discard(a.name)
                cleared = True
            elif cls is Terminate:
                branch.cancel_timers.clear_all()
                self._maybe_free(txn)
        if cleared:
            branch.cancel_timers.settle()

    def _uas_timer(self, txn: Transaction, name: str) -> None:
        """A timer of the transaction's own set expired (txn lock held): the server
        machine's (one letter), or a branch's (letter + branch index)."""
        if len(name) > 1:
            branch = txn.branches[int(name[1:])]
            self._branch_actions(txn, branch, branch.ctxn.timer_fired(name[0], self._now()))
            return
        self._uas_actions(txn, txn.uas.timer_fired(name))

    def _branch_timer(self, txn: Transaction, branch: Branch, name: str) -> None:
        """The fr timer of a blind branch (t_suspend) expired; the timers of other
        branches are in the transaction's set (``_uas_timer``)."""
        if branch.blind:
            self._blind_timeout(txn, branch)
            return
        self._branch_actions(txn, branch, branch.ctxn.timer_fired(name, self._now()))

    def _cancel_timer(self, txn: Transaction, branch: Branch, name: str) -> None:
        self._cancel_actions(txn, branch, branch.cancel_ctxn.timer_fired(name, self._now()))

    def _maybe_free(self, txn: Transaction) -> None:
        """Remove ``txn`` from the table once all its machines are done."""
        if txn.ended or txn.suspend is not Suspend.ACTIVE:
            return
        # runs on every Terminate (twice per transaction at least): the
        # machines_done() checks inlined for the usual branch, no generator
        uas = txn.uas
        if uas is not None and uas.state is not _S_TERMINATED:
            return
        for b in txn.branches:
            if b.blind or b.cancel_ctxn is not None:
                if not b.machines_done:
                    return
            elif b.ctxn is not None and b.ctxn.state is not _C_TERMINATED:
                return
        txn.ended = True
        self.table.remove(txn)
        if txn.callbacks:
            self._callbacks(txn, "destroy")
        _dismantle(txn)

    # ======================================================================
    # transaction creation and lookup
    # ======================================================================
    def lookup_request(self, msg: Any) -> Transaction | None:
        """The transaction ``msg`` belongs to (retransmission / ACK), or None."""
        key = request_key(msg)
        txn = self.table.get(key)
        if txn is None and msg.method == "ACK":
            txn = self.lookup_e2e_ack(msg)
        return txn

    def lookup_e2e_ack(self, ack: Any) -> Transaction | None:
        """The INVITE transaction a 2xx ACK belongs to (Call-ID, CSeq, From tag)."""
        cseq = ack.cseq
        if cseq is None:
            return None
        txn = self.table.get_e2e((ack.call_id, cseq.number, ack.from_tag))
        if txn is None or not (200 <= txn.status < 300):
            return None
        return txn

    def lookup_cancel(self, cancel: Any) -> Transaction | None:
        """The INVITE transaction a CANCEL refers to (§9.2), or None."""
        txn = self.table.get(request_key(cancel, method="INVITE"))
        return txn if txn is not None and not txn.ended else None

    def new_transaction(self, ctx: Any, guard: bool = True, key: Any = _NO_KEY,
                        absent: bool = False) -> int:
        """t_newtran: create the transaction for ``ctx.msg``.

        Returns 1 created; 0 for a retransmission (the last reply was resent,
        or an ACK absorbed — the script must end); E_SCRIPT when this message
        already has one; E_BAD_TUPEL when it cannot be keyed.  ``absent``: the
        caller has just found no transaction under ``key`` (skip that lookup).
        """
        if ctx.txn is not None:
            return E_SCRIPT
        msg = ctx.msg
        if not getattr(msg, "is_request", False):
            return E_UNSPEC
        if msg.method == "ACK":
            txn = self.table.get(request_key(msg))
            if txn is not None:
                self._absorb_ack(txn, msg)
                return 0
            return E_UNSPEC     # ACKs never create a transaction
        if key is _NO_KEY:
            key = request_key(msg)
        if key is None:
            return E_BAD_TUPEL
        if not absent:
            old = self.table.get(key)
            if old is not None:
                self._retransmission(old)
                return 0
        cseq = msg.cseq
        call_id = msg.call_id
        method = msg.method
        index, label = self.table.new_ident(call_id, cseq.number if cseq else None)
        reliable = (msg.rcv.proto.lower() in RELIABLE) if getattr(msg, "rcv", None) else False
        txn = Transaction(index=index, label=label, method=method, uas_request=msg,
                          request=msg, timers_cfg=self.timers, key=key,
                          created=self._now())
        invite = method == "INVITE"
        if invite and cseq is not None:
            # from_tag: read from the parser's match, no From NameAddr built
            txn.e2e_key = (call_id, cseq.number, msg.from_tag)
        # the To tag of local replies (the request's own, if any) is looked up on
        # the first local reply (Transaction.to_tag): a relayed call never needs it
        self._apply_presets(txn, msg)
        txn.uas = ServerTransaction(invite, reliable, txn.timers_cfg)
        old = self.table.insert(txn, key, txn.e2e_key)
        if old is not None:        # lost a race with another thread: it is a retransmission
            _dismantle(txn)
            self._retransmission(old)
            return 0
        self.stats.inc("UAS_transactions")
        ctx.txn = txn
        # Kamailio's t_unref: a transaction the script neither replied to,
        # relayed nor suspended is released once the run ends (no leak).
        if guard and ctx.route_type == RouteType.REQUEST:
            self.env.call_soon(self._release_if_unused, txn)
        return 1

    @staticmethod
    def _apply_presets(txn: Transaction, msg: Any) -> None:
        """Settings the script made before the transaction existed (t_on_*, t_set_fr…)."""
        attrs = msg.attrs
        if not attrs or attrs.keys().isdisjoint(_PRESET_KEYS):
            return      # the usual case: no t_on_*/t_set_* before the transaction
        for field in ("on_failure", "on_reply", "on_branch", "on_branch_failure"):
            name = attrs.pop("tm." + field, None)
            if name:
                setattr(txn, field, name)
        fr = attrs.pop("tm.fr", None)
        if fr is not None:
            txn.timers_cfg = txn.timers_cfg.with_fr(fr=fr[1], fr_inv=fr[0])
        retr = attrs.pop("tm.retr", None)
        if retr is not None:
            txn.timers_cfg = txn.timers_cfg.with_retr(*retr)
        if attrs.pop("tm.no_auto_100", False):
            txn.no_auto_100 = True

    def _retransmission(self, txn: Transaction) -> None:
        """A request matched ``txn``: resend the last reply (if any)."""
        with txn.lock:
            if txn.uas is not None:
                self._uas_actions(txn, txn.uas.request_retransmitted())

    def _release_if_unused(self, txn: Transaction) -> None:
        with txn.lock:
            if txn.ended or txn.final_sent or txn.has_open_branch() \
                    or txn.suspend is not Suspend.ACTIVE:
                return
            self._warn("tm: script did not reply, relay or release the transaction",
                       index=txn.index, label=txn.label)
            self.release(txn)

    def release(self, txn: Transaction) -> None:
        """t_release: stop the transaction; it is forgotten once its machines end."""
        with txn.lock:
            txn.released = True
            if not txn.final_sent:
                self._uas_actions(txn, txn.uas.terminate())
            self._maybe_free(txn)

    def _absorb_ack(self, txn: Transaction, ack: Any) -> None:
        with txn.lock:
            reply_tag = tag_of(txn.uas_reply.to) if txn.uas_reply is not None else None
            if ack_to_tag_ok(ack, reply_tag):
                self._uas_actions(txn, txn.uas.ack_received())

    def check_request(self, ctx: Any) -> int:
        """t_check_trans for a request (spec §2.6).

        CANCEL: 1 if its INVITE transaction exists, else -1.  ACK matching a
        transaction with a negative/local reply: absorbed, 0 (exit).  ACK for
        a 2xx: 1 while the INVITE transaction is alive.  Other requests: a
        retransmission resends the last reply and returns 0; otherwise -1.
        """
        msg = ctx.msg
        if msg.method == "CANCEL":
            return 1 if self.lookup_cancel(msg) is not None else -1
        if msg.method == "ACK":
            txn = self.table.get(request_key(msg))
            if txn is not None and txn.status >= 300:
                self._absorb_ack(txn, msg)
                return 0
            if txn is not None and txn.status == 0:
                return 0
            return 1 if self.lookup_e2e_ack(msg) is not None else -1
        txn = self.table.get(request_key(msg))
        if txn is None:
            return -1
        if txn is ctx.txn:
            return 1
        self._retransmission(txn)
        return 0

    # ======================================================================
    # replies upstream
    # ======================================================================
    def reply(self, txn: Transaction, status: int, reason: str | None = None, *,
              headers: list[tuple[str, str]] | None = None, body: bytes | None = None,
              generated: bool = True) -> bool:
        """Send a locally generated reply on ``txn`` (t_reply and tm's own replies)."""
        with txn.lock:
            if txn.uas is None or txn.uas.terminated:
                return False
            if status >= 200 and txn.final_sent:
                return False
            to_tag = txn.to_tag if status > 100 else None
            try:
                reply = make_reply(txn.uas_request, status, reason, to_tag)
            except Exception:
                if self.log is not None:
                    self.log.exception("tm: cannot build reply", status=status)
                return False
            for name, value in headers or ():
                reply.add_header(name, value)
            if body is not None:
                reply.body = body
            ok = self._send_upstream(txn, SentReply(reply), relayed=False)
            if ok and status >= 200:
                self._final_sent(txn)
            return ok

    def _send_upstream(self, txn: Transaction, reply: Any, relayed: bool) -> bool:
        """Hand ``reply`` to the server machine and put it on the wire."""
        status = reply.status
        if status >= 200 and txn.final_sent:
            if 200 <= status < 300 and txn.is_invite and relayed:
                # another 2xx (other branch or retransmission): always forwarded (§16.7 step 5)
                reply.attrs[RELAYED] = True
                self.stats.inc("rpl_relayed")
                self.stats.inc("rpl_sent")
                return self._send_reply_wire(txn.uas_request, reply)
            return False
        try:
            actions = txn.uas.send_reply(status)
        except ReplyRefused:
            return False
        txn.uas_reply = reply
        if relayed:
            reply.attrs[RELAYED] = True
            self.stats.inc("rpl_relayed")
        else:
            self.stats.inc("rpl_generated")
        if status >= 200:
            self.stats.final(status)
        self._uas_actions(txn, actions)
        if txn.callbacks:      # checked here: no kwargs dict per reply without them
            self._callbacks(txn, "response_out", reply=reply, relayed=relayed)
        return True

    def _final_sent(self, txn: Transaction) -> None:
        """A final reply went upstream: stop what is still pending."""
        txn.completed = True
        if txn.suspend is Suspend.SUSPENDED and not txn.canceled:
            self._end_suspension(txn)
            self._process_held(txn)
        for b in txn.branches:          # has_open_branch(), without a generator
            if b.final_status == 0:
                break
        else:
            return
        local = 200 <= txn.status < 300 and self.local_cancel_reason
        self.cancel_branches(txn, reason='SIP;cause=200;text="Call completed elsewhere"'
                             if local else None)

    # ======================================================================
    # forwarding (branches)
    # ======================================================================
    def relay(self, ctx: Any, dest: Any = None, key: Any = _NO_KEY, absent: bool = False) -> int:
        """t_relay: forward ``ctx.msg`` statefully (creating the transaction).

        Forks to the R-URI (or ``$du``) plus every destination-set branch,
        or to ``dest`` when given.  Returns 1 when at least one branch was
        sent, 0 on a retransmission / absorbed ACK, negative on errors.
        ``key``/``absent``: the request key the caller computed and whether it
        found no transaction under it (see ``new_transaction``).
        """
        msg = ctx.msg
        if msg.method == "ACK":
            return self._relay_ack(ctx, dest)
        created = False
        if ctx.txn is None:
            rc = self.new_transaction(ctx, guard=False, key=key, absent=absent)
            if rc <= 0:
                return rc
            created = True
        txn: Transaction = ctx.txn
        if msg.method == "CANCEL":
            return self._relay_cancel(ctx, txn, dest)
        rc = self._relay_locked(ctx, txn, dest)
        if rc < 0 and created and ctx.route_type == RouteType.REQUEST:
            # Nothing went out on a transaction this call created: like Kamailio's
            # t_relay (kill_transaction), answer it statefully with the error's
            # reply, remember the error for sl_reply_error(), and return the
            # negative code so the script may still log or take another path.
            code, reason = RELAY_ERROR_REPLIES.get(rc, (self.default_code, self.default_reason))
            msg.attrs["ser_error"] = (code, reason)
            if not self.reply(txn, code, reason):
                self.env.call_soon(self._release_if_unused, txn)
        return rc

    def _relay_locked(self, ctx: Any, txn: Transaction, dest: Any) -> int:
        msg = ctx.msg
        with txn.lock:
            if txn.canceled:
                return E_CANCELED
            if txn.final_sent or txn.ended:
                return E_UNSPEC
            if txn.suspend is Suspend.SUSPENDED:
                return E_UNSPEC
            if ctx.route_type == RouteType.FAILURE and self.failure_reply_mode in (1, 3):
                for b in txn.branches:
                    if not b.open:
                        b.dropped = True
            elif ctx.route_type == RouteType.FAILURE and self.failure_reply_mode == 2:
                closed = [b for b in txn.branches if not b.open]
                for b in closed[:-1]:
                    b.dropped = True
            if not txn.branches and ctx.route_type == RouteType.REQUEST:
                txn.request = msg.copy()     # Kamailio saves the lumps before the first branch
            if (txn.is_invite and self.auto_inv_100 and not txn.no_auto_100
                    and txn.uas_reply is None and ctx.route_type == RouteType.REQUEST):
                self.reply(txn, 100, self.auto_inv_100_reason)
            targets = self._targets(msg, dest)
            sent = dropped = 0
            err = E_SEND
            for uri, du, bflags, tdest, path in targets:
                rc = self._add_branch(ctx, txn, msg, uri, du, bflags, tdest, path)
                if rc > 0:
                    sent += 1
                elif rc == 0:
                    dropped += 1
                else:
                    err = rc
            if sent:
                return 1
            if dropped and not err:
                return E_UNSPEC
            return err

    def _targets(self, msg: Any, dest: Any) -> list[tuple]:
        """The destination set: the R-URI branch first, then ``msg.attrs["branches"]``.

        Entries are (uri, dst_uri, bflags, dest, path); the branch-set
        convention (shared with corex and registrar) is a list of dicts with
        ``uri``, ``dst_uri``, ``bflags``/``flags``, ``q``, ``path``.  The set
        is consumed, as Kamailio clears it after t_relay().
        """
        targets: list[tuple] = [(uri_text(msg), msg.dst_uri, msg.bflags, dest,
                                 msg.attrs.get("path_vector"))]
        for b in msg.attrs.pop("branches", None) or []:
            if isinstance(b, str):
                targets.append((b, None, 0, dest, None))
            elif isinstance(b, dict):
                targets.append((str(b.get("uri")), b.get("dst_uri") or b.get("du"),
                                int(b.get("bflags", b.get("flags", 0)) or 0), dest,
                                b.get("path")))
            else:
                targets.append((str(getattr(b, "uri")),
                                getattr(b, "dst_uri", None) or getattr(b, "du", None),
                                int(getattr(b, "bflags", 0) or 0), dest,
                                getattr(b, "path", None)))
        return targets

    def _add_branch(self, ctx: Any, txn: Transaction, msg: Any, uri: str, du: str | None,
                    bflags: int, dest: Any, path: list | None = None) -> int:
        """Build, route (branch_route) and send one branch; 1 sent, 0 dropped, <0 error."""
        breq = msg.copy()
        battrs = breq.attrs
        if battrs:
            battrs.pop("branches", None)
            battrs.pop("path_vector", None)
        ruri = uri_text(breq)       # once: it is serialised again when the Uri was parsed
        if ruri != uri:
            breq.uri = ruri = uri
        breq.dst_uri = du
        breq.bflags = bflags
        for p in reversed(path or ()):
            # Path (RFC 3327) of the contact becomes the branch's route set
            breq.add_header("Route", p if p.lstrip().startswith("<") else f"<{p}>", first=True)
        index = len(txn.branches)
        if txn.on_branch:
            bctx = self.run_route("branch", txn.on_branch, breq, RouteType.BRANCH, txn, index)
            if bctx is not None and bctx.drop:
                return 0
            ruri = uri_text(breq)   # branch_route may have changed $ru
        if dest is None:
            target = breq.dst_uri or ruri
            dest = self._srv.resolve(target)
            if dest is None:
                self._warn("tm: cannot resolve destination", target=target)
                return E_BAD_ADDRESS
        if not txn.branch_base:
            txn.branch_base = new_branch_base()
        branch_id = f"{txn.branch_base}.{index}"
        decrement_max_forwards(breq, msg)
        host, port, via_prefix = self._out_for(dest)
        via = via_prefix + branch_id
        lproto = (dest.proto or "udp").lower()
        if self.rr is not None:
            # rr guessed the outgoing socket at record_route(); now it is known
            try:
                self.rr.fix_record_route(breq, lproto, host, port)
            except Exception:
                if self.log is not None:
                    self.log.exception("tm: rr fix_record_route failed")
        add_via = getattr(breq, "add_via", None)
        if add_via is not None:
            add_via(via)
        else:
            breq.add_header("Via", via, first=True)
        reliable = lproto in RELIABLE
        branch = Branch(index=index, request=breq, data=breq.to_bytes(), dest=dest,
                        uri=ruri, branch_id=branch_id, via=via, bflags=bflags,
                        on_reply=breq.attrs.pop("tm.on_reply", None) or txn.on_reply,
                        on_failure=txn.on_failure,
                        on_branch_failure=txn.on_branch_failure)
        branch.ctxn = ClientTransaction(txn.is_invite, reliable, txn.timers_cfg)
        txn.branches.append(branch)
        rkey = (branch_id, txn.method)
        self.table.add_reply_key(rkey, txn, branch, "request")
        self.stats.inc("UAC_transactions")
        branch.starting = True     # a send error now is t_relay's error, not a reply
        self._branch_actions(txn, branch, branch.ctxn.start(self._now()))
        branch.starting = False
        if branch.ctxn.terminated and branch.never_pick:
            return E_SEND
        if txn.callbacks:
            self._callbacks(txn, "request_out", branch=branch)
        return 1

    def _relay_ack(self, ctx: Any, dest: Any) -> int:
        """ACK: absorb it when it belongs to a negative reply, else forward statelessly."""
        msg = ctx.msg
        txn = self.table.get(request_key(msg))
        if txn is not None and txn.status >= 300:
            self._absorb_ack(txn, msg)
            return 0
        out = msg.copy()
        if dest is None:
            dest = self._srv.resolve(out.dst_uri or uri_text(out))
            if dest is None:
                return E_BAD_ADDRESS
        decrement_max_forwards(out, msg)
        out.add_header("Via", self._out_for(dest)[2] + stateless_branch(msg), first=True)
        return 1 if self.send(out.to_bytes(), dest) else E_SEND

    # ======================================================================
    # CANCEL
    # ======================================================================
    def _relay_cancel(self, ctx: Any, cancel_txn: Transaction, dest: Any) -> int:
        """t_relay of a CANCEL: 200 to it, then cancel every pending branch of its INVITE."""
        msg = ctx.msg
        inv = self.lookup_cancel(msg)
        if inv is None:
            # unmatched_cancel 0: forward statefully like any non-INVITE
            return self._relay_plain(ctx, cancel_txn, dest)
        self.reply(cancel_txn, 200, "canceling")
        reason = msg.get("Reason") if self.e2e_cancel_reason else None
        self.cancel_invite(inv, reason)
        return 1

    def _relay_plain(self, ctx: Any, txn: Transaction, dest: Any) -> int:
        with txn.lock:
            targets = self._targets(ctx.msg, dest)
            rc = E_SEND
            for uri, du, bflags, tdest, path in targets[:1]:
                rc = self._add_branch(ctx, txn, ctx.msg, uri, du, bflags, tdest, path)
            return 1 if rc > 0 else rc

    def cancel_invite(self, inv: Transaction, reason: str | None = None) -> None:
        """A CANCEL matched ``inv``: mark it canceled and stop every branch.

        A suspended INVITE is answered 487 at once and its continuation is
        voided (t_continue returns 1 without running it).
        """
        with inv.lock:
            inv.canceled = True
            inv.cancel_reason = reason
            if inv.suspend is not Suspend.ACTIVE and not inv.final_sent:
                # the suspension stays until t_continue (returns 1, route skipped)
                # or the blind branch's fr timer ends it
                self.reply(inv, 487, "Request Terminated")
            self.cancel_branches(inv, reason)
            self._check_complete(inv)

    def cancel_branches(self, txn: Transaction, reason: str | None = None,
                        only: Branch | None = None) -> None:
        """Stop the open branches (Kamailio cancel_b_method 1).

        A branch with a provisional reply gets a CANCEL; one without any
        reply stops retransmitting and counts as answered 487 (a CANCEL is
        sent if a provisional arrives later); a blind branch closes as 487.
        """
        for b in ([only] if only is not None else list(txn.branches)):
            if not b.open or b.canceled:
                continue
            b.canceled = True
            b.cancel_reason = reason
            if b.blind:
                # keep its fr timer: it frees a suspension nobody continues
                b.final_status, b.faked = 487, True
            elif b.ctxn is not None and b.ctxn.got_provisional:
                self._send_cancel(txn, b)
            elif b.ctxn is not None:
                self._branch_actions(txn, b, b.ctxn.stop_retransmission())
                b.final_status, b.faked = 487, True

    def _send_cancel(self, txn: Transaction, b: Branch) -> None:
        if b.cancel_sent or not txn.is_invite or b.request is None:
            return      # request None: the branch got its real final reply (see reply_in)
        b.cancel_sent = True
        b.cancel_data = build_cancel(b, b.cancel_reason)
        reliable = (b.dest.proto or "udp").lower() in RELIABLE
        b.cancel_ctxn = ClientTransaction(False, reliable, txn.timers_cfg)
        b.cancel_timers = TimerSet(self._call_later, self._cancel_timer_cb, txn.lock,
                                   self._now, (txn, b), queue=self.tqueue)
        rkey = (b.branch_id, "CANCEL")
        self.table.add_reply_key(rkey, txn, b, "cancel")
        self._cancel_actions(txn, b, b.cancel_ctxn.start(self._now()))

    # ======================================================================
    # the reply path (reply_in hook)
    # ======================================================================
    def reply_in(self, reply: Any) -> bool:
        """A reply arrived from the network; True when it belongs to tm."""
        entry = self.table.get_reply(reply_key(reply))
        if entry is None:
            return False
        txn, branch, kind = entry
        self.stats.inc("rpl_received")
        with txn.lock:
            if kind == "cancel":
                if branch.cancel_ctxn is not None:
                    self._cancel_actions(txn, branch, branch.cancel_ctxn.response_received(
                        reply.status, self._now()))
                self.stats.inc("rpl_absorbed")
                return True
            if branch.ctxn is None:
                return True
            ctxn = branch.ctxn
            self._branch_actions(txn, branch, ctxn.response_received(reply.status, self._now()),
                                 reply)
            if not reply.attrs.get(RELAYED):
                self.stats.inc("rpl_absorbed")     # neither relayed nor used now
            if ctxn.last_status >= 200 and branch.request is not None and \
                    (ctxn.last_status < 300 or not ctxn.invite or branch.ack_data is not None):
                # a real final reply: no CANCEL can follow and the ACK (non-2xx) is built;
                # the branch's parsed request is dead weight for the cyclic GC from now on
                branch.request = None
        return True

    def _branch_reply(self, txn: Transaction, branch: Branch, reply: Any) -> None:
        """The branch machine passed ``reply`` up (txn lock held)."""
        status = reply.status
        branch.last_reply = reply
        if txn.callbacks:
            self._callbacks(txn, "response_in", branch=branch, reply=reply)
        route = branch.on_reply or txn.on_reply
        if route:
            rctx = self.run_route("onreply", route, reply, RouteType.TM_ONREPLY, txn,
                                  branch.index, reply)
            sr = txn.suspend_reply
            if sr is not None and sr[1] is reply:
                return                  # t_suspend() in onreply_route: held until t_continue
            if rctx is not None and rctx.drop and status < 200:
                return
        self._after_onreply(txn, branch, reply)

    def _after_onreply(self, txn: Transaction, branch: Branch, reply: Any) -> None:
        """The part of the reply path after onreply_route (also run by t_continue)."""
        status = reply.status
        if branch.canceled and status < 200 and txn.is_invite:
            self._send_cancel(txn, branch)   # provisional after we gave the branch up
        if txn.suspend is not Suspend.ACTIVE:
            if txn.held is None:
                txn.held = []
            txn.held.append((branch, reply))  # relayed/used only after the resume
            if status >= 200 and branch.open:
                branch.final_status, branch.final_reply = status, reply
            return
        self._response_context(txn, branch, reply)

    def _response_context(self, txn: Transaction, branch: Branch, reply: Any) -> None:
        """RFC 3261 §16.7: decide what to do with a branch's reply."""
        status = reply.status
        if status < 200:
            if (status > 100 or self.relay_100) and not txn.final_sent:
                strip_top_via(reply)
                self._send_upstream(txn, reply, relayed=True)
            return
        if status < 300:
            if branch.open:
                branch.final_status, branch.final_reply, branch.faked = status, reply, False
            strip_top_via(reply)
            was_final = txn.final_sent
            self._send_upstream(txn, reply, relayed=True)
            if not was_final:
                self._final_sent(txn)
            return
        if branch.open:
            branch.final_status, branch.final_reply = status, reply
        elif branch.faked and branch.final_reply is None:
            branch.final_reply = reply       # the real 487 for a branch we closed ourselves
            branch.final_status, branch.faked = status, False
        else:
            return
        if status >= 600 and not self.disable_6xx_block:
            self.cancel_branches(txn, reason=None)
        if branch.on_branch_failure:
            self._run_branch_failure(txn, branch, reply)
        self._check_complete(txn)

    def _run_branch_failure(self, txn: Transaction, branch: Branch, reply: Any) -> None:
        """branch_failure_route[name] or event_route[tm:branch-failure:name]."""
        name = branch.on_branch_failure
        script = getattr(self.env, "script", None)
        kind, rname = "branch_failure", name
        if script is not None and script.route(name, "branch_failure") is None:
            kind, rname = "event", f"tm:branch-failure:{name}"
        self.run_route(kind, rname, txn.request.copy(), RouteType.BRANCH_FAILURE, txn,
                       branch.index, reply)

    def _branch_timeout(self, txn: Transaction, branch: Branch, error: bool = False) -> None:
        """fr/fr_inv expired on a branch (or sending failed): it counts as 408/503."""
        if not branch.open:
            return
        if error and branch.starting:
            branch.final_status, branch.faked, branch.never_pick = 503, True, True
            return
        branch.timed_out = not error
        branch.final_status, branch.faked = (503 if error else 408), True
        if not error and txn.is_invite and branch.ctxn is not None and branch.ctxn.got_provisional:
            self._send_cancel(txn, branch)
        if txn.suspend is not Suspend.ACTIVE:
            return
        if branch.on_branch_failure:
            self._run_branch_failure(txn, branch, self._faked_reply(txn, branch.final_status))
        self._check_complete(txn)

    def _check_complete(self, txn: Transaction) -> None:
        """All branches done: run failure_route or send the best reply (txn lock held)."""
        if txn.completed or txn.final_sent or txn.in_failure:
            return
        if txn.suspend is not Suspend.ACTIVE or txn.has_open_branch() or not txn.branches:
            return
        best = self._pick_best(txn)
        code = best.final_status if best is not None else self.default_code
        if code >= 300 and txn.on_failure:
            route, txn.on_failure = txn.on_failure, None     # armed once, as Kamailio
            reply = best.final_reply if best is not None else None
            if reply is None and best is not None:
                reply = self._faked_reply(txn, best.final_status)
            fmsg = txn.request.copy()
            txn.in_failure = True
            try:
                self._callbacks(txn, "failure", reply=reply)
                self.run_route("failure", route, fmsg, RouteType.FAILURE, txn, -1, reply)
            finally:
                txn.in_failure = False
            if txn.final_sent or txn.has_open_branch() or txn.suspend is not Suspend.ACTIVE:
                return
            best = self._pick_best(txn)
        self._send_best(txn, best)

    def _pick_best(self, txn: Transaction) -> Branch | None:
        return pick_best(txn.branches)

    def _faked_reply(self, txn: Transaction, status: int) -> Any:
        reason = self.reply_408_reason if status == 408 else None
        try:
            return make_reply(txn.uas_request, status, reason, txn.to_tag)
        except Exception:
            return None

    def _send_best(self, txn: Transaction, best: Branch | None) -> None:
        """Relay the winning reply, or generate one (timeouts, faked, none)."""
        if best is None:
            self.reply(txn, self.default_code, self.default_reason)
            return
        reply = best.final_reply
        status = best.final_status
        if reply is None or best.faked:
            if status == 408:
                self.reply(txn, 408, self.reply_408_reason)
            elif status == 487:
                self.reply(txn, 487, "Request Terminated")
            else:
                self.reply(txn, status)
            return
        if status == 503 and self.remap_503_500:
            self.reply(txn, 500, self.default_reason)   # §16.7 step 6: never relay a 503
            return
        strip_top_via(reply)
        if status in (401, 407) and self.aggregate_challenges:
            aggregate_challenges(txn.branches, best, reply)
        if self._send_upstream(txn, reply, relayed=True):
            self._final_sent(txn)

    # ======================================================================
    # suspension helpers (used by api.py)
    # ======================================================================
    def _blind_timeout(self, txn: Transaction, branch: Branch) -> None:
        """fr expired on the blind branch of a suspended transaction (spec §2.4)."""
        if not branch.open:
            if txn.suspend_branch is branch and txn.suspend is Suspend.SUSPENDED:
                self._end_suspension(txn)        # canceled and never continued
            self._maybe_free(txn)
            return
        branch.final_status, branch.faked, branch.timed_out = 408, True, True
        if txn.suspend_branch is branch and txn.suspend is Suspend.SUSPENDED:
            txn.suspend = Suspend.ACTIVE
            txn.suspend_branch = None
        self._process_held(txn)
        self._check_complete(txn)
        self._maybe_free(txn)

    def _end_suspension(self, txn: Transaction, status: int = 500) -> None:
        """Void a pending suspension (CANCEL, final reply, shutdown).

        A suspended *reply* is not lost: it joins the held replies (first),
        so the next ``_process_held`` relays or uses it.
        """
        b = txn.suspend_branch
        if b is not None:
            if b.timers is not None:
                b.timers.clear_all()      # its fr only guarded the suspension
            if b.open:
                b.final_status, b.faked, b.never_pick = status, True, True
        sr = txn.suspend_reply
        if sr is not None:
            txn.suspend_reply = None
            if txn.suspend_timers is not None:
                txn.suspend_timers.clear_all()
            txn.held = [(sr[0], sr[1]), *(txn.held or ())]
        txn.suspend = Suspend.ACTIVE
        txn.suspend_branch = None

    def _reply_suspend_guard(self, txn: Transaction, name: str) -> None:
        """The guard timer of a suspended reply (TimerSet callback)."""
        self._reply_suspend_expired(txn)

    def _reply_suspend_expired(self, txn: Transaction) -> None:
        """Nobody continued a suspended reply within fr_timer: use it as is."""
        if txn.suspend is not Suspend.SUSPENDED or txn.suspend_reply is None:
            return
        self._warn("tm: suspended reply not continued before fr_timer; relaying it",
                   index=txn.index, label=txn.label)
        self._end_suspension(txn)
        self._process_held(txn)
        self._maybe_free(txn)

    def _process_held(self, txn: Transaction) -> None:
        """Run the response context over replies held during a suspension."""
        held, txn.held = txn.held, None
        for branch, reply in held or ():
            if reply.status >= 200 and branch.final_reply is reply:
                branch.final_status, branch.final_reply = 0, None   # let the context record it
            if branch.canceled and reply.status < 200 and txn.is_invite:
                self._send_cancel(txn, branch)
            self._response_context(txn, branch, reply)

    # ======================================================================
    # shutdown
    # ======================================================================
    def shutdown(self) -> int:
        """Answer every pending server transaction (503) and drop all timers.

        Returns how many transactions were answered.
        """
        answered = 0
        for txn in self.table.snapshot():
            with txn.lock:
                if txn.suspend is not Suspend.ACTIVE:
                    self._end_suspension(txn, status=503)
                if not txn.final_sent and txn.uas is not None and not txn.uas.terminated \
                        and txn.method != "ACK":
                    txn.completed = True
                    if self.reply(txn, 503, "Service Unavailable"):
                        answered += 1
                for b in txn.branches:
                    for ts in (b.timers, b.cancel_timers):
                        if ts is not None:
                            ts.clear_all()
                    for m in (b.ctxn, b.cancel_ctxn):
                        if m is not None:
                            m.terminate()
                if txn.uas_timers is not None:
                    txn.uas_timers.clear_all()
                if txn.uas is not None:
                    txn.uas.terminate()
                txn.ended = True
                self.table.remove(txn)
                _dismantle(txn)
        self.tqueue.clear()
        return answered


def _dismantle(txn: Transaction) -> None:
    """Break the transaction's reference cycles once it is out of the table.

    Timer callbacks close over the transaction and its branches; disposing
    them lets reference counting free the cell immediately (no cyclic GC).
    """
    for ts in (txn.uas_timers, txn.suspend_timers):
        if ts is not None:
            ts.dispose()
    for b in txn.branches:
        for ts in (b.timers, b.cancel_timers):
            if ts is not None:
                ts.dispose()
    txn.callbacks = None
    txn.held = None
    txn.suspend_branch = None


__all__ = ["TmCore", "E_UNSPEC", "E_BAD_ADDRESS", "E_SEND", "E_BAD_TUPEL", "E_SCRIPT",
           "E_CANCELED", "CONTINUE_500_REASON"]
