"""mf_process_maxfwd_header and is_maxfwd_lt with Kamailio's return codes."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

import siprouter.modules.maxfwd as maxfwd
from siprouter.core.modsys import Arg, FixedArg, FixupError, RouteType
from siprouter.core.sip import parse_message
from siprouter.modules.maxfwd import processing


@pytest.fixture(autouse=True)
def default_params():
    maxfwd.mod_init(SimpleNamespace(params={}))
    yield
    maxfwd.mod_init(SimpleNamespace(params={}))


def with_mf(invite, value: str | None) -> bytes:
    data = invite()
    if value is None:
        return data.replace(b"Max-Forwards: 70\r\n", b"")
    return data.replace(b"Max-Forwards: 70", b"Max-Forwards: " + value.encode())


def test_decrement_returns_1(make_ctx, invite):
    ctx = make_ctx()
    assert processing.process_maxfwd(ctx, 10) == 1
    assert ctx.msg.get("Max-Forwards") == "69"
    assert parse_message(ctx.msg.to_bytes()).max_forwards == 69


def test_missing_header_is_added_with_limit_returns_2(make_ctx, invite):
    ctx = make_ctx(with_mf(invite, None))
    assert processing.process_maxfwd(ctx, 10) == 2
    assert ctx.msg.get("Max-Forwards") == "10"
    assert ctx.msg.header_names()[0] == "Max-Forwards"  # at the top, as Kamailio


def test_zero_returns_minus_1(make_ctx, invite):
    ctx = make_ctx(with_mf(invite, "0"))
    assert processing.process_maxfwd(ctx, 10) == -1
    assert ctx.msg.get("Max-Forwards") == "0"


def test_one_becomes_zero(make_ctx, invite):
    ctx = make_ctx(with_mf(invite, "1"))
    assert processing.process_maxfwd(ctx, 10) == 1
    assert ctx.msg.get("Max-Forwards") == "0"


def test_value_capped_by_max_limit(make_ctx, invite):
    ctx = make_ctx(with_mf(invite, "255"))
    assert processing.process_maxfwd(ctx, 10) == 1
    assert ctx.msg.get("Max-Forwards") == "70"  # max_limit 70
    maxfwd.mod_init(SimpleNamespace(params={"max_limit": 16}))
    ctx = make_ctx(with_mf(invite, "70"))
    assert processing.process_maxfwd(ctx, 10) == 1
    assert ctx.msg.get("Max-Forwards") == "16"


@pytest.mark.parametrize("bad", ["abc", "-1", "", "1 2", "999999"])
def test_unparsable_returns_minus_2(make_ctx, invite, bad):
    ctx = make_ctx(with_mf(invite, bad))
    assert processing.process_maxfwd(ctx, 10) == -2


def test_invalid_limit_returns_minus_1(make_ctx):
    assert processing.process_maxfwd(make_ctx(), 256) == -1
    assert processing.process_maxfwd(make_ctx(), -1) == -1


def test_is_maxfwd_lt(make_ctx, invite):
    assert processing.is_maxfwd_lt(make_ctx(with_mf(invite, "5")), 10) == 1
    assert processing.is_maxfwd_lt(make_ctx(with_mf(invite, "10")), 10) == -1
    assert processing.is_maxfwd_lt(make_ctx(with_mf(invite, None)), 10) == -2
    assert processing.is_maxfwd_lt(make_ctx(with_mf(invite, "x")), 10) == -3
    assert processing.is_maxfwd_lt(make_ctx(), 300) == -1


def test_declaration():
    specs = {f.name: f for f in maxfwd.module.functions}
    assert specs["mf_process_maxfwd_header"].routes == RouteType.REQUEST
    assert specs["mf_process_maxfwd_header"].args == (Arg.IGP,)
    assert specs["is_maxfwd_lt"].routes == RouteType.REQUEST | RouteType.FAILURE | RouteType.BRANCH
    with pytest.raises(FixupError):
        specs["mf_process_maxfwd_header"].fixup([FixedArg(Arg.IGP, "300", 300)])
    specs["mf_process_maxfwd_header"].fixup([FixedArg(Arg.IGP, "10", 10)])
    assert maxfwd.module.params["max_limit"].default == 70
    assert maxfwd.siprouter_module() is maxfwd.module


def test_decrement_marks_the_hop_counted(make_ctx, invite):
    """tm's relay and forward() read this flag instead of re-reading the bytes."""
    ctx = make_ctx()
    assert processing.process_maxfwd(ctx, 10) == 1
    assert ctx.msg.attrs.get(processing.PROCESSED) is True
    ctx = make_ctx(with_mf(invite, None))
    assert processing.process_maxfwd(ctx, 10) == 2        # added: forwarded as is (Kamailio)
    assert ctx.msg.attrs.get(processing.PROCESSED) is True
    for data, rc in ((with_mf(invite, "0"), -1), (with_mf(invite, "abc"), -2)):
        ctx = make_ctx(data)
        assert processing.process_maxfwd(ctx, 10) == rc
        assert processing.PROCESSED not in ctx.msg.attrs   # nothing decremented
