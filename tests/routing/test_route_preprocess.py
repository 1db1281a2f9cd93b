"""Preprocessor: defines, conditionals, includes, subst; positions after includes."""
from __future__ import annotations

import pytest

from siprouter.core.routing import ScriptErrors


def test_define_substitution(h):
    v, ctx = h.run('#!define LIMIT 10\n#!define NAME "x"\nrequest_route { f(LIMIT); log(NAME); }')
    assert h.calls == [("f", 10), "x"]


def test_define_empty_and_ifdef(h):
    h.run('#!define WITH_A\n#!ifdef WITH_A\nrequest_route { log("a"); }\n#!else\n'
          'request_route { log("b"); }\n#!endif\n')
    assert h.calls == ["a"]


def test_ifndef(h):
    h.run('#!ifndef WITH_A\nrequest_route { log("no-a"); }\n#!endif\n')
    assert h.calls == ["no-a"]


def test_nested_conditionals(h):
    text = ('#!define A\n#!ifdef A\n#!ifdef B\nrequest_route { log("ab"); }\n#!else\n'
            'request_route { log("a"); }\n#!endif\n#!endif\n')
    h.run(text)
    assert h.calls == ["a"]


def test_defines_passed_in(h):
    h.run('#!ifdef MOD_tm\nrequest_route { log("tm"); }\n#!else\nrequest_route { log("no"); }\n#!endif',
          defines={"MOD_tm": ""})
    assert h.calls == ["tm"]


def test_trydef_keeps_existing(h):
    h.run('#!define X 1\n#!trydef X 2\n#!trydef Y 3\nrequest_route { f(X); f(Y); }')
    assert h.calls == [("f", 1), ("f", 3)]


def test_redefine_and_undef(h):
    h.run('#!define X 1\n#!redefine X 2\n#!define Z 5\n#!undef Z\n#!ifdef Z\nbroken\n#!endif\n'
          'request_route { f(X); }')
    assert h.calls == [("f", 2)]


def test_define_multiline_value(h):
    h.run('#!define EXPR 1 + \\\n 2\nrequest_route { $var(x) = EXPR; log("$var(x)"); }')
    assert h.calls == ["3"]


def test_define_as_route_name(h):
    h.run('#!define R_RELAY "RELAY"\nrequest_route { route(R_RELAY); }\nroute[RELAY] { log("r"); }')
    assert h.calls == ["r"]


def test_define_used_as_flag(h):
    h.run('#!define FLT_ACC 1\nrequest_route { flag(FLT_ACC); }')
    assert h.calls == [("flag", 1)]


def test_subst(h):
    h.run('#!subst "/HOSTNAME/example.net/"\nrequest_route { log("HOSTNAME"); }')
    assert h.calls == ["example.net"]


def test_markers_ignored(h):
    h.run('#!KAMAILIO\nrequest_route { log("k"); }')
    assert h.calls == ["k"]


def test_include_file_relative(h, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "routes.cfg").write_text('route[INC] { log("inc"); }\n')
    main = tmp_path / "main.cfg"
    main.write_text('include_file "sub/routes.cfg"\nrequest_route { route(INC); }\n')
    s = h.compile_file(main)
    h.run("", script=s)
    assert h.calls == ["inc"]


def test_nested_include_is_relative_to_including_file(h, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.cfg").write_text('#!include_file "two.cfg"\n')
    (tmp_path / "a" / "two.cfg").write_text('route[TWO] { log("two"); }\n')
    main = tmp_path / "main.cfg"
    main.write_text('include_file "a/one.cfg"\nrequest_route { route(TWO); }\n')
    s = h.compile_file(main)
    h.run("", script=s)
    assert h.calls == ["two"]


def test_import_file_missing_is_ignored(h, tmp_path):
    main = tmp_path / "main.cfg"
    main.write_text('import_file "nope.cfg"\nrequest_route { log("ok"); }\n')
    h.run("", script=h.compile_file(main))
    assert h.calls == ["ok"]


def test_include_missing_is_error(h, tmp_path):
    main = tmp_path / "main.cfg"
    main.write_text('\ninclude_file "nope.cfg"\nrequest_route { noop(); }\n')
    with pytest.raises(ScriptErrors) as ei:
        h.compile_file(main)
    assert str(ei.value) == f"{main}:2:1: cannot open included file: nope.cfg"


def test_error_position_inside_included_file(h, tmp_path):
    inc = tmp_path / "inc.cfg"
    inc.write_text('route[X] {\n    noop();\n      unknown_fn();\n}\n')
    main = tmp_path / "main.cfg"
    main.write_text('#!define A 1\n\ninclude_file "inc.cfg"\nrequest_route {\n  nosuch(); }\n')
    with pytest.raises(ScriptErrors) as ei:
        h.compile_file(main)
    got = [str(e) for e in ei.value.errors]
    # errors come in file order: the main file first, then the included one
    assert got == [f"{main}:5:3: unknown function (missing loadmodule?): nosuch",
                   f"{inc}:3:7: unknown function (missing loadmodule?): unknown_fn"]


def test_positions_after_skipped_ifdef(h):
    with pytest.raises(ScriptErrors) as ei:
        h.compile('#!ifdef NOPE\nrequest_route {\n}\n#!endif\nrequest_route {\n   bad_fn();\n}\n')
    assert str(ei.value) == "test.cfg:6:4: unknown function (missing loadmodule?): bad_fn"
