"""xlog family: levels, output through structlog, return codes, fixups."""
from __future__ import annotations

import pytest
import structlog
from structlog.testing import capture_logs

import siprouter.modules.xlog as xlog
from siprouter.core.modsys import Arg, FixedArg, FixupError, RouteType
from siprouter.modules.xlog.levels import LEVELS, parse_level


@pytest.fixture(autouse=True)
def _plain_structlog():
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


def fn(name, nargs):
    return next(f for f in xlog.module.functions if f.name == name and len(f.args) == nargs).impl


def test_xlog_one_arg_logs_at_err(make_ctx):
    with capture_logs() as logs:
        assert fn("xlog", 1)(make_ctx(), "hello world\n") == 1
    (entry,) = logs
    assert entry["event"] == "hello world"
    assert entry["log_level"] == "error" and entry["xlog_level"] == "err"
    assert entry["module"] == "xlog"
    assert entry["call_id"] == "a84b4c76e66710@pc33" and entry["method"] == "INVITE"


@pytest.mark.parametrize("level,method,name", [
    ("L_DBG", "debug", "dbg"), ("L_INFO", "info", "info"), ("L_NOTICE", "info", "notice"),
    ("L_WARN", "warning", "warn"), ("L_ERR", "error", "err"), ("L_CRIT", "critical", "crit"),
    ("L_ALERT", "critical", "alert"), ("L_BUG", "critical", "bug"), (2, "info", "info"),
    ("-1", "error", "err"),
])
def test_xlog_two_args_levels(make_ctx, level, method, name):
    with capture_logs() as logs:
        assert fn("xlog", 2)(make_ctx(), level, "x") == 1
    assert logs[0]["log_level"] == method and logs[0]["xlog_level"] == name


def test_xlog_bad_runtime_level_returns_minus_1(make_ctx):
    with capture_logs() as logs:
        assert fn("xlog", 2)(make_ctx(), "nonsense", "x") == -1
        assert fn("xlog", 2)(make_ctx(), 42, "x") == -1
    assert all(e["event"] != "x" for e in logs)


def test_xlog_three_args_keeps_facility(make_ctx, reply_bytes):
    with capture_logs() as logs:
        assert fn("xlog", 3)(make_ctx(reply_bytes), "LOG_LOCAL0", "L_INFO", "r") == 1
    assert logs[0]["facility"] == "LOG_LOCAL0" and logs[0]["method"] == "INVITE"


@pytest.mark.parametrize("name,method", [
    ("xdbg", "debug"), ("xinfo", "info"), ("xnotice", "info"), ("xwarn", "warning"),
    ("xerr", "error"), ("xbug", "critical"), ("xcrit", "critical"), ("xalert", "critical"),
])
def test_shortcuts(make_ctx, name, method):
    with capture_logs() as logs:
        assert fn(name, 1)(make_ctx(), "text") == 1
    assert logs[0]["log_level"] == method and logs[0]["event"] == "text"


def test_without_message(make_ctx):
    ctx = make_ctx()
    ctx.msg = None
    with capture_logs() as logs:
        assert fn("xinfo", 1)(ctx, "no msg") == 1
    assert "call_id" not in logs[0]


def test_level_parsing():
    assert parse_level("L_ERROR") == LEVELS["L_ERR"]      # third character decides
    assert parse_level("L_CRIT") == LEVELS["L_CRIT2"]
    for bad in ("", "ERR", "L_X", "9", 4):
        with pytest.raises(ValueError):
            parse_level(bad)


def test_level_fixup():
    spec = next(f for f in xlog.module.functions if f.name == "xlog" and len(f.args) == 2)
    with pytest.raises(FixupError):
        spec.fixup([FixedArg(Arg.ANY, "L_FOO", "L_FOO"), FixedArg(Arg.SPVE, "x", "x")])
    spec.fixup([FixedArg(Arg.ANY, "L_WARN", "L_WARN"), FixedArg(Arg.SPVE, "x", "x")])
    spec.fixup([FixedArg(Arg.ANY, "$var(l)", None), FixedArg(Arg.SPVE, "x", "x")])


def test_all_exported_for_any_route():
    assert {f.name for f in xlog.module.functions} >= {
        "xlog", "xdbg", "xinfo", "xnotice", "xwarn", "xerr", "xalert"}
    assert all(f.routes == RouteType.ANY for f in xlog.module.functions)
    assert xlog.siprouter_module() is xlog.module
