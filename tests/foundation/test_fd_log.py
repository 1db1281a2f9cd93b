"""Logging: console and JSON output, level filter, module binding."""
import io
import json

import pytest
import structlog

from siprouter.core.log import configure_from_core, configure_logging, get_logger


@pytest.fixture(autouse=True)
def restore():
    yield
    structlog.reset_defaults()


def test_json_lines_with_module_and_level():
    out = io.StringIO()
    configure_logging("info", "json", stream=out)
    log = get_logger("tm", call_id="abc")
    log.info("relayed", branch=1)
    log.debug("hidden")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    rec = json.loads(lines[0])
    assert rec["event"] == "relayed" and rec["module"] == "tm" and rec["call_id"] == "abc"
    assert rec["level"] == "info" and rec["branch"] == 1 and "timestamp" in rec


def test_console_format_readable():
    out = io.StringIO()
    configure_logging("debug", "console", stream=out, colors=False)
    get_logger("xlog").debug("hello world", method="INVITE")
    text = out.getvalue()
    assert "hello world" in text and "module=xlog" in text and "method=INVITE" in text
    assert "debug" in text


def test_level_honoured():
    out = io.StringIO()
    configure_logging("error", "json", stream=out)
    log = get_logger("m")
    log.warning("no")
    log.error("yes")
    assert [json.loads(l)["event"] for l in out.getvalue().splitlines()] == ["yes"]


def test_logger_created_before_configure_follows_it():
    log = get_logger("early")
    out = io.StringIO()
    configure_logging("info", "json", stream=out)
    log.info("after")
    assert json.loads(out.getvalue())["module"] == "early"


def test_bad_values():
    with pytest.raises(ValueError):
        configure_logging("loud")
    with pytest.raises(ValueError):
        configure_logging("info", "xml")


def test_configure_from_core_defaults(capsys):
    configure_from_core({"log_level": "warning", "log_format": "json"})
    get_logger("m").warning("to stderr")
    assert json.loads(capsys.readouterr().err)["event"] == "to stderr"
