"""textops declaration: exports, arities, route types, fixups, subst wrapper."""
from __future__ import annotations

import pytest

import siprouter.modules.textops as textops
from siprouter.core.modsys import Arg, FixedArg, FixupError, RouteType


def spec(name, nargs):
    return next(f for f in textops.module.functions if f.name == name and len(f.args) == nargs)


def test_default_config_functions_exported_for_any_route():
    for name, nargs in (("is_method", 1), ("remove_hf", 1), ("append_hf", 1), ("append_hf", 2),
                        ("starts_with", 2), ("has_body", 0), ("has_body", 1),
                        ("is_present_hf", 1), ("search", 1), ("subst", 1)):
        assert spec(name, nargs).routes == RouteType.ANY


def test_subst_uri_route_types():
    routes = spec("subst_uri", 1).routes
    assert routes & RouteType.REQUEST and routes & RouteType.FAILURE
    assert not routes & RouteType.ONSEND


def test_subst_fixup_and_wrapper(make_ctx):
    f = spec("subst", 1)
    with pytest.raises(FixupError):
        f.fixup([FixedArg(Arg.STR, "/a/b/q", "/a/b/q")])
    f.fixup([FixedArg(Arg.STR, "/a/b/g", "/a/b/g")])
    f.fixup([FixedArg(Arg.STR, "$var(x)", None)])  # dynamic: checked at run time
    ctx = make_ctx()
    assert f.impl(ctx, "/^Max-Forwards: 70/Max-Forwards: 69/") == 1
    assert ctx.msg.get("Max-Forwards") == "69"
    assert f.impl(ctx, "/broken") == -1


def test_header_name_fixups():
    with pytest.raises(FixupError):
        spec("remove_hf", 1).fixup([FixedArg(Arg.STR, "", "")])
    with pytest.raises(FixupError):
        spec("append_hf", 2).fixup([FixedArg(Arg.SPVE, "X: y", "X: y"), FixedArg(Arg.STR, " ", " ")])
    spec("append_hf", 2).fixup([FixedArg(Arg.SPVE, "X: y", "X: y"), FixedArg(Arg.STR, "Via", "Via")])


def test_hookimpl_returns_module():
    assert textops.siprouter_module() is textops.module
