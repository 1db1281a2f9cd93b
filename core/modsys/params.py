"""``[modparam.<module>]``: values checked against the modules' ``ParamSpec`` declarations.

Rules (Kamailio ``modparam`` semantics, made strict — spec §5.3):

* the section names a loaded module, or is a regular expression matched
  case-insensitively against the whole name of loaded modules
  (``[modparam."auth_db|usrloc"]``); every matched module must have the parameter;
* an unknown parameter, a section for a module that is not loaded, a
  wrong type (a string for an int; ``true`` is not an int) or a value out of
  bounds/choices is an error naming module, parameter and value;
* ``bool`` parameters also accept ``0`` and ``1`` (Kamailio configs use ints);
  ``float`` parameters accept integers;
* any other class is checked with ``isinstance`` (a metaclass with
  ``__instancecheck__`` can declare a type such as "str or list of str").
"""
from __future__ import annotations

import difflib
import re
from typing import Any, Callable, Mapping, Sequence

from siprouter.core.errors import StartupError
from siprouter.core.modsys.declare import Module, ParamSpec

__all__ = ["resolve_params", "check_param_value"]

_TYPE_NAMES = {int: "an integer", str: "a string", bool: "a boolean", float: "a number",
               list: "a list", dict: "a table"}
_REGEX_CHARS = set("|()[]*+?.^$\\{}")


def _kind(value: Any) -> str:
    for typ in (bool, int, float, str, list, dict):
        if isinstance(value, typ):
            return _TYPE_NAMES[typ]
    return type(value).__name__


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_param_value(spec: ParamSpec, value: Any) -> tuple[Any, str | None]:
    """(converted value, None) or (None, reason) for one modparam value."""
    typ = spec.type
    if typ is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif typ is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok:
            value = float(value)
    elif typ is bool:
        ok = isinstance(value, bool) or (type(value) is int and value in (0, 1))
        if ok:
            value = bool(value)
    elif typ in (str, list, dict):
        ok = isinstance(value, typ)
    else:
        ok = isinstance(value, typ)
    if not ok:
        want = _TYPE_NAMES.get(typ, typ.__name__)
        if typ is bool:
            want += " (true/false or 0/1)"
        return None, f"expected {want}, got {_kind(value)}"
    if spec.min is not None and value < spec.min:
        return None, f"below the minimum {spec.min}"
    if spec.max is not None and value > spec.max:
        return None, f"above the maximum {spec.max}"
    if spec.choices is not None and value not in spec.choices:
        return None, "not one of " + ", ".join(_show(c) for c in spec.choices)
    return value, None


def resolve_params(modules: Sequence[Module], modparam: Mapping[str, Mapping[str, Any]], *,
                   known: Sequence[str] = (), broken: Sequence[str] = (),
                   error: Callable[..., StartupError] | None = None) -> dict[str, dict[str, Any]]:
    """Defaults merged with ``modparam`` for every module; raises StartupError with all problems.

    ``known`` names discoverable modules (to tell "not loaded" from "unknown");
    sections for ``broken`` modules (named in loadmodule but failed to load,
    already reported) are skipped;
    ``error(message, *key_path)`` builds a located error (``Config.error``).
    """
    make = error or (lambda message, *path: StartupError(message))
    by_name = {m.name: m for m in modules}
    params: dict[str, dict[str, Any]] = {m.name: {p.name: p.default for p in m.params.values()}
                                         for m in modules}
    errors: list[StartupError] = []
    for section, values in modparam.items():
        targets = _match_section(section, by_name)
        if not targets and section in broken:
            continue
        if not targets:
            if section in known or section.lower() in {k.lower() for k in known}:
                errors.append(make(f"modparam for module {section!r}, which is not loaded "
                                   f"(add {section!r} to loadmodule)", "modparam", section))
            elif set(section) & _REGEX_CHARS:
                errors.append(make(f"modparam section {section!r} matches no loaded module",
                                   "modparam", section))
            else:
                hint = difflib.get_close_matches(section, list(by_name) + list(known), n=1)
                errors.append(make(f"modparam for unknown module {section!r}"
                                   + (f"; did you mean {hint[0]!r}?" if hint else ""),
                                   "modparam", section))
            continue
        for mod in targets:
            for pname, value in values.items():
                spec = mod.params.get(pname)
                if spec is None:
                    hint = difflib.get_close_matches(pname, list(mod.params), n=1)
                    known_list = ", ".join(mod.params) or "none"
                    errors.append(make(f"module {mod.name!r} has no parameter {pname!r} "
                                       f"(given {_show(value)}; "
                                       + (f"did you mean {hint[0]!r}?" if hint else f"known: {known_list}")
                                       + ")", "modparam", section, pname))
                    continue
                converted, why = check_param_value(spec, value)
                if why is not None:
                    errors.append(make(f"modparam {mod.name}.{pname} = {_show(value)}: {why}",
                                       "modparam", section, pname))
                    continue
                params[mod.name][pname] = converted
    if errors:
        raise StartupError.collect(errors)
    return params


def _match_section(section: str, by_name: Mapping[str, Module]) -> list[Module]:
    if section in by_name:
        return [by_name[section]]
    try:
        rx = re.compile(section, re.IGNORECASE)
    except re.error:
        return []
    return [m for name, m in by_name.items() if rx.fullmatch(name)]
