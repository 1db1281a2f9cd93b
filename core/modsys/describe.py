"""Human-readable descriptions of module declarations (``siprouter modules NAME``)."""
from __future__ import annotations

from siprouter.core.rpc.registry import exported_name
from typing import Any

from siprouter.core.modsys.declare import FunctionSpec, Module, ParamSpec, RouteType

__all__ = ["route_type_names", "function_signature", "describe_module", "param_bounds"]

_ROUTE_NAMES = [
    (RouteType.REQUEST, "request_route"), (RouteType.FAILURE, "failure_route"),
    (RouteType.TM_ONREPLY, "onreply_route"), (RouteType.CORE_ONREPLY, "reply_route"),
    (RouteType.BRANCH, "branch_route"), (RouteType.ONSEND, "onsend_route"),
    (RouteType.ERROR, "error_route"), (RouteType.LOCAL, "local_route"),
    (RouteType.BRANCH_FAILURE, "branch_failure_route"), (RouteType.ONEVENT, "event_route"),
]
_ALL = 0
for _flag, _ in _ROUTE_NAMES:
    _ALL |= int(_flag)


def route_type_names(routes: RouteType | int) -> str:
    """``"request_route, failure_route"``; ``"any route"`` when every type is allowed."""
    value = int(routes)
    if value & _ALL == _ALL:
        return "any route"
    names = [name for flag, name in _ROUTE_NAMES if value & int(flag)]
    return ", ".join(names) or "no route"


def function_signature(f: FunctionSpec) -> str:
    """``t_relay(str, int=)`` — kinds of the args, optional ones marked with ``?``."""
    required = len(f.args) - f.optional
    parts = [a.value + ("?" if i >= required else "") for i, a in enumerate(f.args)]
    return f"{f.name}({', '.join(parts)})"


def param_bounds(p: ParamSpec) -> str:
    bits = []
    if p.min is not None and p.max is not None:
        bits.append(f"{p.min}..{p.max}")
    elif p.min is not None:
        bits.append(f">= {p.min}")
    elif p.max is not None:
        bits.append(f"<= {p.max}")
    if p.choices:
        bits.append("one of " + ", ".join(repr(c) for c in p.choices))
    return "; ".join(bits)


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def describe_module(mod: Module, origin: str = "") -> str:
    """The text of ``siprouter modules NAME``."""
    out = [f"{mod.name} {mod.version}" + (f" - {_first_line(mod.doc)}" if mod.doc else "")]
    if origin:
        out.append(f"  from: {origin}")
    out.append(f"  depends: {', '.join(mod.depends) or '-'}    after: {', '.join(mod.after) or '-'}")
    doc_rest = (mod.doc or "").strip().splitlines()[1:]
    if any(line.strip() for line in doc_rest):
        out.append("")
        out.extend("  " + line.rstrip() for line in doc_rest)

    out.append("")
    out.append("Parameters ([modparam.%s]):" % mod.name)
    if not mod.params:
        out.append("  (none)")
    for p in mod.params.values():
        line = f"  {p.name}: {p.type.__name__} = {_show(p.default)}"
        bounds = param_bounds(p)
        if bounds:
            line += f"  ({bounds})"
        out.append(line)
        if p.doc:
            out.append(f"      {_first_line(p.doc)}")

    out.append("")
    out.append("Functions:")
    if not mod.functions:
        out.append("  (none)")
    for f in mod.functions:
        arity = (f"{len(f.args)}" if not f.optional else f"{len(f.args) - f.optional}..{len(f.args)}")
        out.append(f"  {function_signature(f)}  [args: {arity}; {route_type_names(f.routes)}]")
        if f.doc:
            out.append(f"      {_first_line(f.doc)}")

    out.append("")
    out.append("Pseudo-variables:")
    if not mod.pvs:
        out.append("  (none)")
    for pv in mod.pvs:
        form = f"${pv.name}(name)" if pv.needs_name else f"${pv.name}"
        flags = ["read-write" if pv.setter else "read-only"]
        if pv.indexed:
            flags.append("indexed")
        out.append(f"  {form}  [{', '.join(flags)}]" + (f"  {_first_line(pv.doc)}" if pv.doc else ""))

    if mod.rpcs:
        out.append("")
        out.append("RPC methods:")
        for r in mod.rpcs:
            out.append(f"  {exported_name(mod.name, r.name)}" + (f"  {_first_line(r.doc)}" if r.doc else ""))
    if mod.stats:
        out.append("")
        out.append("Statistics:")
        for name, doc in mod.stats.items():
            out.append(f"  {name}" + (f"  {_first_line(doc)}" if doc else ""))
    if mod.hooks:
        out.append("")
        out.append("Hooks:")
        for h in mod.hooks:
            out.append(f"  {h.point} (priority {h.priority})")
    return "\n".join(out) + "\n"

