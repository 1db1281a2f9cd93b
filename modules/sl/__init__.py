"""sl: stateless replies (Kamailio's ``sl`` module).

Route functions ``sl_send_reply``, ``send_reply``, ``sl_reply_error``,
``send_reply_error``; the To-tag of a stateless reply follows RFC 3261
§8.2.6 (a per-server prefix plus a hash of the request's dialog and
transaction identifiers, so a retransmitted request gets the same tag);
the ACK to a negative stateless reply is absorbed before the route script
(its To-tag carries our prefix).  Counters per reply class.

See README.md in this folder for the admin guide.
"""
from __future__ import annotations

import hashlib
from typing import Any

import structlog

from siprouter.core.modsys import Arg, Module, RouteType, hookimpl

module = Module("sl", version="1.0",
                doc="Stateless replies: sl_send_reply, send_reply, sl_reply_error, "
                    "ACK absorption for locally generated stateless replies.")

_REPLY_ROUTES = RouteType.REQUEST | RouteType.FAILURE | RouteType.BRANCH | RouteType.ERROR

for _cls in range(1, 7):
    module.stat(f"{_cls}xx_replies", f"stateless {_cls}xx replies sent")
module.stat("sent_replies", "stateless replies sent")
module.stat("sent_err_replies", "stateless replies with a code >= 300 sent")
module.stat("failures", "stateless replies that could not be built or sent")
module.stat("received_ACKs", "ACKs to our stateless replies absorbed")
module.stat("xxx_replies", "replies with a code outside 1xx..6xx (never sent)")

#: (code, reason) sl_reply_error uses when nothing recorded a better one
DEFAULT_ERROR = (500, "Server Internal Error")


#: ``msg.attrs`` key: the status of the final reply already sent for the request
#: (set by ``ServerEnv.send_reply`` for every stateless final reply).
FINAL_SENT = "final_reply_sent"


class SL:
    """The sl state of one server: the To-tag prefix and the env."""

    def __init__(self, env: Any) -> None:
        self.env = env
        self.prefix = tag_prefix(env)
        self._tag_start = self.prefix + "-"    # what our To-tags start with
        self._sip = None

    def sip(self) -> Any:
        if self._sip is None:
            from siprouter.core import sip
            self._sip = sip
        return self._sip

    def totag(self, request: Any) -> str:
        """Our To-tag for a stateless reply to ``request`` (stable on retransmission)."""
        via = request.top_via
        frm = request.from_
        cseq = request.cseq
        key = "|".join((request.call_id or "", frm.tag or "" if frm is not None else "",
                        str(cseq.number) if cseq is not None else "",
                        via.branch or "" if via is not None else ""))
        return f"{self.prefix}-{hashlib.blake2b(key.encode('utf-8', 'surrogateescape'), digest_size=4).hexdigest()}"

    def is_our_tag(self, tag: str | None) -> bool:
        """True for a To-tag this server put into a stateless reply."""
        return bool(tag) and tag.startswith(self._tag_start)

    def send(self, request: Any, code: int, reason: str | None, env: Any = None) -> int:
        """Build and send a stateless reply; Kamailio codes: 1 sent, -1 not.

        ``env`` is the caller's (the run context's) env; the one from
        mod_init is the fallback.
        """
        env = env if env is not None else self.env
        stats = getattr(env, "stats", None)
        if not getattr(request, "is_request", False) or request.method == "ACK":
            return -1
        if not 100 <= code <= 699:
            _inc(stats, "xxx_replies")
            return -1
        answered = request.attrs.get(FINAL_SENT)
        if answered is not None:
            # A second final reply to one request is a protocol error the UAC
            # can't make sense of (e.g. save() already sent 400 and the script's
            # error path calls sl_reply_error()); refuse it loudly instead.
            structlog.get_logger("siprouter.sl").warning(
                "request already answered statelessly; reply not sent",
                code=code, first=answered, call_id=request.call_id)
            _inc(stats, "failures")
            return -1
        to = request.to
        tag = None
        if code > 100 and (to is None or not to.tag):
            tag = self.totag(request)
        try:
            reply = self.sip().make_response(request, code, reason or None, to_tag=tag)
            ok = env.send_reply(request, reply)
        except Exception:
            structlog.get_logger("siprouter.sl").exception("sl reply failed", code=code)
            ok = False
        if not ok:
            _inc(stats, "failures")
            return -1
        _inc(stats, f"{code // 100}xx_replies")
        _inc(stats, "sent_replies")
        if code >= 300:
            _inc(stats, "sent_err_replies")
        return 1


_state: SL | None = None


def _sl(ctx: Any) -> SL:
    """The SL state for ``ctx``'s server (built lazily for unit tests)."""
    global _state
    if _state is None:
        _state = SL(ctx.env)
    return _state


def _inc(stats: Any, name: str) -> None:
    if stats is not None:
        try:
            stats.inc("sl", name)
        except Exception:
            pass


def tag_prefix(env: Any) -> str:
    """Per-server To-tag prefix: a hash of the listen addresses (stable across restarts)."""
    core = getattr(env, "core", None) or {}
    listen = core.get("listen") or []
    seed = "siprouter-sl|" + "|".join(sorted(map(str, listen)))
    return hashlib.blake2b(seed.encode(), digest_size=8).hexdigest()


def _last_error(ctx: Any) -> tuple[int, str]:
    """The (code, reason) the last failed core action recorded, else 500."""
    err = ctx.msg.attrs.get("ser_error") if getattr(ctx, "msg", None) is not None else None
    return err if err else DEFAULT_ERROR


def _tm_api(ctx: Any) -> Any:
    """tm's API when tm is loaded (sl does not depend on tm, so this may be None)."""
    try:
        return ctx.env.api("tm")
    except Exception:
        return None


def _stateful_reply(ctx: Any, code: int, reason: str) -> int | None:
    """Reply through tm when the request has a transaction; None when stateless."""
    tm = _tm_api(ctx)
    if tm is None:
        return None
    txn = ctx.txn
    if txn is None:
        try:
            txn = tm.get_txn(ctx)
        except Exception:
            txn = None
    if txn is None:
        return None
    return tm.t_reply(ctx, code, reason)


@module.function("sl_send_reply", Arg.IGP, Arg.SPVE, routes=_REPLY_ROUTES,
                 doc="Send a stateless reply with `code` and `reason` to the current request. "
                     "Returns 1, or -1 when the reply cannot be sent (ACK, code out of range, "
                     "no route back).")
def sl_send_reply(ctx: Any, code: int, reason: str) -> int:
    return _sl(ctx).send(ctx.msg, int(code), reason, ctx.env)


@module.function("send_reply", Arg.IGP, Arg.SPVE, routes=_REPLY_ROUTES,
                 doc="Reply statefully (tm t_reply) when the request has a transaction, "
                     "else statelessly like sl_send_reply.")
def send_reply(ctx: Any, code: int, reason: str) -> int:
    rc = _stateful_reply(ctx, int(code), reason)
    if rc is not None:
        return rc
    return _sl(ctx).send(ctx.msg, int(code), reason, ctx.env)


@module.function("sl_reply_error", routes=RouteType.REQUEST,
                 doc="Send a stateless reply for the last internal error (e.g. a failed "
                     "forward()); 500 when none was recorded.")
def sl_reply_error(ctx: Any) -> int:
    code, reason = _last_error(ctx)
    return _sl(ctx).send(ctx.msg, code, reason, ctx.env)


@module.function("send_reply_error", routes=RouteType.REQUEST,
                 doc="Like sl_reply_error, but stateful when a transaction exists.")
def send_reply_error(ctx: Any) -> int:
    code, reason = _last_error(ctx)
    rc = _stateful_reply(ctx, code, reason)
    if rc is not None:
        return rc
    return _sl(ctx).send(ctx.msg, code, reason, ctx.env)


@module.hook("request_in", priority=10)
def absorb_ack(env: Any, request: Any) -> bool:
    """Runs for every request before request_route: True (consumed) for an ACK
    to our stateless reply, False otherwise."""
    if request.method != "ACK":
        return False
    st = _state
    if st is None:
        return False
    # is_our_tag() inlined, on the To tag read without building the To
    # name-addr: this runs for every ACK (most are end-to-end, not ours)
    tag = request.to_tag
    if tag and tag.startswith(st._tag_start):
        _inc(getattr(env, "stats", None), "received_ACKs")
        return True
    return False


@module.on_init
def mod_init(env: Any) -> None:
    """Fix the To-tag prefix for this server."""
    global _state
    _state = SL(env)


class SLApi:
    """sl's inter-module API (``env.api("sl")``)."""

    def __init__(self, env: Any) -> None:
        self.env = env

    def _st(self) -> SL:
        global _state
        if _state is None:
            _state = SL(self.env)
        return _state

    def send_reply(self, request: Any, code: int, reason: str | None = None) -> int:
        """Send a stateless reply to ``request``; 1 or -1."""
        return self._st().send(request, code, reason, self.env)

    def totag(self, request: Any) -> str:
        """The To-tag sl would put into a reply to ``request``."""
        return self._st().totag(request)

    def is_our_tag(self, tag: str | None) -> bool:
        """True when ``tag`` is one of sl's generated To-tags."""
        return self._st().is_our_tag(tag)


@module.provides_api
def api(env: Any) -> SLApi:
    return SLApi(env)


@hookimpl
def siprouter_module() -> Module:
    return module
