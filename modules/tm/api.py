"""tm's API for other modules (contracts §6): ``env.api("tm")``.

When: sl, tmx, async and third-party modules call it from route functions,
timers and worker threads.  What: a thin, thread-safe facade over
:class:`~siprouter.modules.tm.proxy.TmCore` plus the suspend / continue
machinery (Kamailio's ``t_suspend.c``), which lives here because it is the
part other modules drive.

Suspension life cycle of a transaction (``Transaction.suspend``)::

    ACTIVE --t_suspend--> SUSPENDED --t_continue--> RESUMING --run ends--> ACTIVE
                              |  fr expiry: failure_route / 408, ACTIVE
                              |  CANCEL: 487, ACTIVE (t_continue returns 1, run skipped)
                              |  t_cancel_suspend: ACTIVE
    RESUMING --t_suspend (from the continuation)--> SUSPENDED  (nested chains)

Replies of real branches are held while the transaction is SUSPENDED or
RESUMING and fed to the response context when it becomes ACTIVE again.

t_suspend from an onreply_route suspends that *reply* instead (no blind
branch): it is held until t_continue runs the continuation on it and lets it
go on, or until an fr_timer guard lets it go on unchanged.
"""
from __future__ import annotations

from typing import Any, Callable

from siprouter.core.modsys import RouteType

from .cell import Branch, Suspend, Transaction
from .proxy import CONTINUE_500_REASON, E_UNSPEC, TmCore
from .timers import TimerSet

#: callback kinds accepted by :meth:`TmApi.register_callback`
CALLBACK_KINDS = ("request_out", "response_in", "response_out", "failure", "ack_timeout",
                  "destroy")


class TmApi:
    """The object ``env.api("tm")`` returns; every method is thread-safe."""

    def __init__(self, core: TmCore) -> None:
        self.core = core
        self.table = core.table

    # -- transactions ------------------------------------------------------------
    def t_newtran(self, ctx: Any) -> int:
        """Create the transaction for ``ctx.msg``: 1 created, 0 retransmission
        (last reply resent; end the script), <0 exists (-10) or error."""
        return self.core.new_transaction(ctx)

    def get_txn(self, ctx: Any) -> Transaction | None:
        """The transaction of this run: ``ctx.txn``, else the one created for
        ``ctx.msg`` (the same message object; a retransmission gets None), or
        for a reply the transaction it belongs to.
        """
        txn = getattr(ctx, "txn", None)
        if txn is not None:
            return txn
        msg = getattr(ctx, "msg", None)
        if msg is None:
            return None
        if getattr(msg, "is_request", False):
            # only the T created for this very message: a retransmission is a
            # different message and must go through t_newtran/t_check_trans
            txn = self.core.table.get(_key(msg))
            if txn is not None and not txn.ended and txn.uas_request is msg:
                return txn
            return None
        entry = self.core.table.get_reply(_reply_key(msg))
        return entry[0] if entry is not None else None

    def lookup_ident(self, index: int, label: int) -> Transaction | None:
        """The live transaction with this identity, or None."""
        txn = self.core.table.get_ident(index, label)
        return txn if txn is not None and not txn.ended else None

    def lookup_callid(self, call_id: str, cseq_num: str | int) -> Transaction | None:
        """A live, non-CANCEL transaction with this Call-ID and CSeq number."""
        for txn in self.core.table.snapshot():
            req = txn.uas_request
            cs = req.cseq
            if not txn.ended and req.call_id == call_id and cs is not None and \
                    str(cs.number) == str(cseq_num).split()[0] and txn.method != "CANCEL":
                return txn
        return None

    def lookup_invite(self, cancel: Any) -> Transaction | None:
        """The INVITE transaction a CANCEL refers to ($T_inv), or None."""
        return self.core.lookup_cancel(cancel)

    t_lookup_cancel = lookup_invite

    def table_size(self) -> int:
        """Live transactions (leak checks in tests)."""
        return len(self.core.table)

    def suspended_count(self) -> int:
        """Transactions suspended now (SUSPENDED or RESUMING)."""
        return sum(1 for t in self.core.table.snapshot() if t.suspend is not Suspend.ACTIVE)

    # -- replies and forwarding ----------------------------------------------------
    def t_reply(self, ctx: Any, code: int, reason: str | None = None) -> int:
        """Reply statefully on ``ctx``'s transaction: 1 sent, -1 no T / not allowed."""
        txn = self.get_txn(ctx)
        if txn is None or not txn.uas_request.is_request:
            return -1
        ok = self.core.reply(txn, int(code), reason)
        if ok and int(code) >= 200:
            with txn.lock:
                self.core._maybe_free(txn)
        return 1 if ok else -1

    def t_send_reply(self, ctx: Any, code: int, reason: str | None = None) -> int:
        """t_reply that creates the transaction first when needed."""
        if self.get_txn(ctx) is None:
            rc = self.core.new_transaction(ctx)
            if rc == 0:
                return 0
            if rc < 0:
                return rc
        return self.t_reply(ctx, code, reason)

    def t_relay(self, ctx: Any, dest: Any = None) -> int:
        """Forward statefully (creates the T); Kamailio return codes."""
        msg = ctx.msg
        if ctx.txn is None and getattr(msg, "is_request", False) and msg.method != "ACK":
            # get_txn() inlined: the key is computed once for the lookup and the creation
            key = _key(msg)
            txn = self.core.table.get(key)
            if txn is None:
                # looked up just now: relay's t_newtran need not look again (the
                # insert still catches a transaction another thread made meanwhile)
                return self.core.relay(ctx, dest, key, absent=True)
            if not txn.ended and txn.uas_request is msg:
                ctx.txn = txn
            return self.core.relay(ctx, dest, key)
        return self.core.relay(ctx, dest)

    def t_release(self, txn: Transaction) -> int:
        self.core.release(txn)
        return 1

    def t_cancel_branches(self, txn: Transaction, rcode: int | None = None) -> int:
        """Cancel every open branch (tmx t_cancel_callid / t_cancel_branches).

        With ``rcode`` the transaction is also answered with that code.
        """
        with txn.lock:
            if rcode and not txn.final_sent:
                self.core.reply(txn, int(rcode))
            self.core.cancel_branches(txn)
            self.core._check_complete(txn)
        return 1

    cancel_transaction = t_cancel_branches

    def t_drop(self, ctx: Any, rcode: int = 500) -> int:
        """End the transaction without a reply; ``rcode`` recorded as its status."""
        txn = self.get_txn(ctx)
        if txn is None:
            return -1
        with txn.lock:
            self.core.cancel_branches(txn)
            for b in txn.branches:
                if b.open:
                    b.final_status, b.faked = int(rcode), True
            txn.completed = True
            if txn.uas is not None and not txn.uas.final_sent:
                txn.uas.last_status = int(rcode)
                self.core._uas_actions(txn, txn.uas.terminate())
            self.core._end_suspension(txn, status=int(rcode))
            self.core._maybe_free(txn)
        return 1

    def register_callback(self, txn: Transaction, kind: str,
                          fn: Callable[[Transaction, str, dict], None]) -> None:
        """Call ``fn(txn, kind, params)`` on ``kind`` events (see CALLBACK_KINDS)."""
        if kind not in CALLBACK_KINDS:
            raise ValueError(f"unknown tm callback kind {kind!r} (known: {', '.join(CALLBACK_KINDS)})")
        with txn.lock:
            if txn.callbacks is None:
                txn.callbacks = {}
            txn.callbacks.setdefault(kind, []).append(fn)

    # -- suspend / continue --------------------------------------------------------
    def t_suspend(self, ctx: Any) -> tuple[int, int] | int:
        """Suspend ``ctx``'s transaction (request case); see the module docstring.

        Returns ``(index, label)``, or 1 when the T is already canceled (not
        suspended), -3 when a final reply was sent, -1 otherwise (no T,
        already suspended).  Called from onreply_route (``ctx.msg`` a reply),
        it suspends that reply instead (see ``_suspend_reply``).
        """
        core = self.core
        txn = self.get_txn(ctx)
        if txn is None:
            return E_UNSPEC
        if not getattr(ctx.msg, "is_request", False):
            return self._suspend_reply(ctx, txn)
        with txn.lock:
            if txn.ended:
                return E_UNSPEC
            if txn.canceled:
                return 1
            if txn.final_sent:
                return -3
            if txn.suspend is Suspend.SUSPENDED:
                return E_UNSPEC   # never a second blind branch for one suspension
            if (txn.is_invite and core.auto_inv_100 and not txn.no_auto_100
                    and txn.uas_reply is None):
                core.reply(txn, 100, core.auto_inv_100_reason)
            share = getattr(ctx.msg, "share_header_names", None)
            if share is not None:
                share()                         # the request now waits seconds: shared name strings
            if not any(not b.blind for b in txn.branches):
                txn.request = ctx.msg.copy()    # keep header changes, $ru, $du, avps, flags
            else:
                txn.request.flags = ctx.msg.flags
            blind = Branch(index=len(txn.branches), blind=True, on_failure=txn.on_failure)
            blind.timers = TimerSet(core._call_later, core._branch_timer_cb, txn.lock,
                                    core._now, (txn, blind), queue=core.tqueue)
            blind.timers.set("fr", txn.timers_cfg.fr)
            txn.branches.append(blind)
            txn.suspend = Suspend.SUSPENDED
            txn.suspend_branch = blind
            return txn.index, txn.label

    def _suspend_reply(self, ctx: Any, txn: Transaction) -> tuple[int, int] | int:
        """t_suspend in onreply_route: hold this reply until t_continue.

        The reply is neither relayed nor used; ``t_continue`` runs ``run`` on
        it in its route type (TM_ONREPLY) and then lets it continue (relay,
        response context), unless the continuation drops a provisional.  An
        fr_timer guard relays it unchanged if nobody continues.
        """
        core = self.core
        reply = ctx.msg
        with txn.lock:
            if txn.ended or not 0 <= ctx.branch < len(txn.branches):
                return E_UNSPEC
            if txn.canceled:
                return 1
            if txn.suspend is Suspend.SUSPENDED:
                return E_UNSPEC
            branch = txn.branches[ctx.branch]
            txn.suspend = Suspend.SUSPENDED
            txn.suspend_reply = (branch, reply, ctx.route_type)
            if txn.suspend_timers is None:
                txn.suspend_timers = TimerSet(core.env.call_later, core._reply_suspend_guard,
                                              txn.lock, core._now, (txn,), queue=core.tqueue)
            txn.suspend_timers.set("guard", txn.timers_cfg.fr)
            return txn.index, txn.label

    def _continue_reply(self, txn: Transaction, run: Callable[[Any], int]) -> int:
        """t_continue of a suspended reply (txn lock held on entry, released inside)."""
        core = self.core
        branch, reply, route_type = txn.suspend_reply
        txn.suspend_reply = None
        txn.suspend_timers.clear_all()
        txn.suspend = Suspend.RESUMING
        txn.lock.release()
        try:
            script = getattr(core.env, "script", None)
            if script is not None:
                ctx = script.new_context(reply, route_type, core.server_env)
            else:
                from siprouter.core.routing.context import RunContext
                ctx = RunContext(reply, route_type, core.server_env)
            ctx.txn, ctx.branch, ctx.reply = txn, branch.index, reply
            try:
                run(ctx)
            except Exception:
                if core.log is not None:
                    core.log.exception("tm: reply continuation raised",
                                       index=txn.index, label=txn.label)
        finally:
            txn.lock.acquire()
        if txn.suspend is Suspend.SUSPENDED:
            return 1                     # suspended again
        txn.suspend = Suspend.ACTIVE
        if not (ctx.drop and reply.status < 200):
            core._after_onreply(txn, branch, reply)
        core._process_held(txn)
        core._maybe_free(txn)
        return 1

    def t_continue(self, index: int, label: int, run: Callable[[Any], int]) -> int:
        """Resume a suspended transaction by running ``run(ctx)``.

        ``ctx`` is a fresh RunContext, route type FAILURE, on a copy of the
        transaction's request (msg flags, $ru/$du, header changes, avps).
        Afterwards, no final reply and no open branch → 500 "I'm terribly
        sorry, server error occurred (1/TM)".  Returns 1 (also when the T was
        canceled or its fr fired: ``run`` is then not called), -1 unknown or
        ended, -2 not suspended (including a concurrent t_continue).
        """
        core = self.core
        txn = core.table.get_ident(index, label)
        if txn is None:
            return -1
        with txn.lock:
            if txn.ended:
                return -1
            if txn.suspend is not Suspend.SUSPENDED:
                return -2
            if txn.suspend_reply is not None:
                if txn.canceled:
                    core._end_suspension(txn)
                    core._process_held(txn)
                    core._maybe_free(txn)
                    return 1
                return self._continue_reply(txn, run)
            blind = txn.suspend_branch
            if txn.canceled:
                core._end_suspension(txn, status=487)
                core._maybe_free(txn)
                return 1
            if blind is not None:
                blind.timers.clear_all()
                if not blind.open:               # fr already fired
                    core._end_suspension(txn)
                    core._maybe_free(txn)
                    return 1
                blind.final_status, blind.faked, blind.never_pick = 500, True, True
            txn.suspend = Suspend.RESUMING
            txn.suspend_branch = None
            fmsg = txn.request.copy()
            # Like Kamailio: the resumed run starts with the R-URI branch's
            # flags cleared (message flags survive, script flags are per run).
            fmsg.bflags = 0
        script = getattr(core.env, "script", None)
        if script is not None:
            ctx = script.new_context(fmsg, RouteType.FAILURE, core.server_env)
        else:
            from siprouter.core.routing.context import RunContext
            ctx = RunContext(fmsg, RouteType.FAILURE, core.server_env)
        ctx.txn = txn
        ctx.branch = -1
        try:
            run(ctx)                 # without the lock: it may block in a worker thread
        except Exception:
            if core.log is not None:
                core.log.exception("tm: continuation raised", index=index, label=label)
        with txn.lock:
            txn.request.flags = ctx.msg.flags
            if txn.suspend is Suspend.SUSPENDED:
                return 1             # the continuation suspended again (nested chains)
            txn.suspend = Suspend.ACTIVE
            core._process_held(txn)
            if not txn.final_sent and not txn.has_open_branch() and not txn.ended:
                core.reply(txn, 500, CONTINUE_500_REASON)
            core._check_complete(txn)
            core._maybe_free(txn)
        return 1

    def t_cancel_suspend(self, index: int, label: int) -> int:
        """Undo a suspension before anyone resumed it: 1 done, -1 unknown, -2 not suspended."""
        core = self.core
        txn = core.table.get_ident(index, label)
        if txn is None:
            return -1
        with txn.lock:
            if txn.suspend is not Suspend.SUSPENDED:
                return -2
            core._end_suspension(txn)
            core._process_held(txn)
            core._maybe_free(txn)
        return 1

    # -- shutdown ------------------------------------------------------------------
    def shutdown(self) -> int:
        """Answer every pending transaction with 503; returns how many."""
        return self.core.shutdown()


from .matching import reply_key as _reply_key  # noqa: E402
from .matching import request_key as _key  # noqa: E402
