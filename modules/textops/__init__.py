"""textops: text operations on SIP messages (Kamailio's textops module).

Declares the module, its route functions and their argument kinds; the
implementations live in ``checks`` (tests), ``headers`` (header fields),
``matching`` (regex search/replace/subst) and ``subst_expr`` (sed syntax).
"""
from __future__ import annotations

import functools
from typing import Any

from siprouter.core.modsys import Arg, FixedArg, FixupError, Module, RouteType
from siprouter.modules.textops import checks, headers, matching
from siprouter.modules.textops.subst_expr import SubstExpr, SubstSyntaxError, parse_subst

module = Module(
    "textops", version="1.0",
    doc="Text operations on the message: header add/remove/test, method and body "
        "tests, regex search/replace and sed-style substitution.")

ANY = RouteType.ANY
R = RouteType
URI_ROUTES = R.REQUEST | R.ONREPLY | R.FAILURE | R.BRANCH


# -- fixups ---------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def compiled_subst(text: str) -> SubstExpr:
    """Parse a subst expression once per distinct text."""
    return parse_subst(text)


def _fixup_subst(args: list[FixedArg], env: Any = None) -> None:
    if args and isinstance(args[0].literal, str):
        try:
            compiled_subst(args[0].literal)
        except SubstSyntaxError as exc:
            raise FixupError(str(exc)) from None


def _fixup_hname(args: list[FixedArg], env: Any = None) -> None:
    if args and isinstance(args[0].literal, str) and not args[0].literal.strip():
        raise FixupError("empty header name parameter")


def _fixup_hname_second(args: list[FixedArg], env: Any = None) -> None:
    if len(args) > 1 and isinstance(args[1].literal, str) and not args[1].literal.strip():
        raise FixupError("empty header name parameter")


def _run_subst(fn):
    """Wrap a SubstExpr implementation so it receives the parsed expression."""
    def impl(ctx: Any, text: str) -> int:
        try:
            expr = compiled_subst(text)
        except SubstSyntaxError:
            return -1
        return fn(ctx, expr)
    impl.__doc__ = fn.__doc__
    return impl


# -- tests ----------------------------------------------------------------------
module.function("is_method", Arg.STR, routes=ANY, fixup=checks.fixup_is_method,
                doc="1 when the request method (or the CSeq method of a reply) is one "
                    "of the '|'-separated names.")(checks.is_method)
module.function("has_body", routes=ANY,
                doc="1 when the message has a non-empty body.")(checks.has_body)
module.function("has_body", Arg.STR, routes=ANY, fixup=checks.fixup_has_body,
                doc="1 when the message has a non-empty body of the given MIME "
                    "type.")(checks.has_body)
module.function("is_present_hf", Arg.STR, routes=ANY, fixup=_fixup_hname,
                doc="1 when a header field with that name exists.")(headers.is_present_hf)
module.function("is_present_hf_re", Arg.REGEX, routes=ANY,
                doc="1 when a header name matches the regex.")(headers.is_present_hf_re)
module.function("starts_with", Arg.SPVE, Arg.SPVE, routes=ANY,
                doc="1 when the first string starts with the second.")(checks.starts_with)
module.function("ends_with", Arg.SPVE, Arg.SPVE, routes=ANY,
                doc="1 when the first string ends with the second.")(checks.ends_with)
module.function("cmp_str", Arg.SPVE, Arg.SPVE, routes=ANY,
                doc="1 when the strings are equal.")(checks.cmp_str)
module.function("cmp_istr", Arg.SPVE, Arg.SPVE, routes=ANY,
                doc="1 when the strings are equal ignoring case.")(checks.cmp_istr)

# -- header fields ---------------------------------------------------------------
module.function("append_hf", Arg.SPVE, routes=ANY,
                doc="Append header line(s) at the end of the header.")(headers.append_hf)
module.function("append_hf", Arg.SPVE, Arg.STR, routes=ANY, fixup=_fixup_hname_second,
                doc="Append header line(s) after the last field of the given name.")(
    headers.append_hf)
module.function("insert_hf", Arg.SPVE, routes=ANY,
                doc="Insert header line(s) at the top of the header.")(headers.insert_hf)
module.function("insert_hf", Arg.SPVE, Arg.STR, routes=ANY, fixup=_fixup_hname_second,
                doc="Insert header line(s) before the first field of the given name.")(
    headers.insert_hf)
module.function("remove_hf", Arg.STR, routes=ANY, fixup=_fixup_hname,
                doc="Remove all fields of a header; -1 when there was none.")(headers.remove_hf)
module.function("remove_hf_re", Arg.REGEX, routes=ANY,
                doc="Remove all fields whose name matches the regex.")(headers.remove_hf_re)

# -- regex ------------------------------------------------------------------------
module.function("search", Arg.REGEX, routes=ANY,
                doc="1 when the regex matches the message.")(matching.search)
module.function("search_body", Arg.REGEX, routes=ANY,
                doc="1 when the regex matches the body.")(matching.search_body)
module.function("search_append", Arg.REGEX, Arg.STR, routes=ANY,
                doc="Insert text after the first match.")(matching.search_append)
module.function("replace", Arg.REGEX, Arg.STR, routes=ANY,
                doc="Replace the first match (headers and body).")(matching.replace)
module.function("replace_all", Arg.REGEX, Arg.STR, routes=ANY,
                doc="Replace every match (headers and body).")(matching.replace_all)
module.function("replace_body", Arg.REGEX, Arg.STR, routes=ANY,
                doc="Replace the first match in the body.")(matching.replace_body)
module.function("replace_body_all", Arg.REGEX, Arg.STR, routes=ANY,
                doc="Replace every match in the body.")(matching.replace_body_all)
module.function("subst", Arg.STR, routes=ANY, fixup=_fixup_subst,
                doc="sed-style '/re/repl/flags' over headers and body.")(
    _run_subst(matching.subst))
module.function("subst_body", Arg.STR, routes=ANY, fixup=_fixup_subst,
                doc="sed-style '/re/repl/flags' over the body.")(_run_subst(matching.subst_body))
module.function("subst_uri", Arg.STR, routes=URI_ROUTES, fixup=_fixup_subst,
                doc="sed-style '/re/repl/flags' over the Request-URI.")(
    _run_subst(matching.subst_uri))
module.function("subst_user", Arg.STR, routes=URI_ROUTES, fixup=_fixup_subst,
                doc="sed-style '/re/repl/flags' over the R-URI user.")(
    _run_subst(matching.subst_user))


from siprouter.core.modsys import hookimpl  # noqa: E402


@hookimpl
def siprouter_module() -> Module:
    """Register textops with the core."""
    return module
