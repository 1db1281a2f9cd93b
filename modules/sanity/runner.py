"""``sanity_check`` itself: run the selected checks in Kamailio's order."""
from __future__ import annotations

from typing import Any, Callable

import structlog

from siprouter.modules.sanity import checks, reply
from siprouter.modules.sanity.checks import Failure, Settings
from siprouter.modules.sanity.flags import MAX_CHECKS, URI_MAX_CHECKS, Check

log = structlog.get_logger("siprouter.modules.sanity").bind(module="sanity")

settings = Settings()

# (bit, check) in the order Kamailio runs them; the first failure stops.
_ORDER: tuple[tuple[Check, Callable[[Any, Settings], Failure | None]], ...] = (
    (Check.RURI_SIP_VERSION, checks.check_ruri_sip_version),
    (Check.RURI_SCHEME, checks.check_ruri_scheme),
    (Check.REQUIRED_HEADERS, checks.check_required_headers),
    (Check.VIA1_HEADER, checks.check_via1_header),
    (Check.RFC3261_COMPLIANCE, checks.check_rfc3261_compliance),
    # VIA_SIP_VERSION and VIA_PROTOCOL are disabled in Kamailio (always pass)
    (Check.CSEQ_METHOD, checks.check_cseq_method),
    (Check.CSEQ_VALUE, checks.check_cseq_value),
    (Check.CONTENT_LENGTH, checks.check_content_length),
    (Check.EXPIRES_VALUE, checks.check_expires_value),
    (Check.PROXY_REQUIRE, checks.check_proxy_require),
)
_AFTER_URIS = (
    (Check.DIGEST, checks.check_digest),
    (Check.AUTHORIZATION, checks.check_authorization),
    (Check.DUPLICATE_TAGS, checks.check_duplicate_tags),
)


def run_checks(msg: Any, msg_checks: int, uri_checks: int) -> Failure | None:
    """The first failing check among ``msg_checks``, or None when all pass."""
    s = settings
    if msg_checks & Check.SIZES or s.size_checks:
        failure = checks.check_sizes(msg, s)
        if failure:
            return failure
    for bit, check in _ORDER:
        if msg_checks & bit:
            failure = check(msg, s)
            if failure:
                return failure
    if msg_checks & Check.PARSE_URIS:
        failure = checks.check_parse_uris(msg, s, uri_checks)
        if failure:
            return failure
    for bit, check in _AFTER_URIS:
        if msg_checks & bit:
            failure = check(msg, s)
            if failure:
                return failure
    return None


def sanity_check(ctx: Any, msg_checks: int | None = None, uri_checks: int | None = None) -> int:
    """Run the checks; answer a failed request statelessly.

    Returns 1 when every check passed.  On failure: 0 (the script ends; the
    module already answered) with modparam ``autodrop=1`` (default), -1 with
    ``autodrop=0``.  -1 also for check masks outside 1..2^17-1 / 1..15.
    """
    s = settings
    mc = s.default_checks if msg_checks is None else msg_checks
    uc = s.uri_checks if uri_checks is None else uri_checks
    if not 1 <= mc < MAX_CHECKS:
        log.error("sanity_check: msg checks outside of valid range", value=mc)
        return -1
    if not 1 <= uc < URI_MAX_CHECKS:
        log.error("sanity_check: uri checks outside of valid range", value=uc)
        return -1
    failure = run_checks(ctx.msg, mc, uc)
    if failure is None:
        return 1
    log.info("sanity check failed", code=failure.code, reason=failure.reason)
    reply.handle_failure(ctx, failure, bool(s.noreply))
    return 0 if s.autodrop else -1


def sanity_reply(ctx: Any) -> int:
    """Send the reply recorded by a failed sanity_check (modparam noreply=1)."""
    return reply.sanity_reply(ctx, bool(settings.noreply))
