"""Kamailio log levels (``dprint.h``) and their structlog methods."""
from __future__ import annotations

# name -> Kamailio's numeric level
LEVELS = {"L_ALERT": -5, "L_BUG": -4, "L_CRIT2": -3, "L_CRIT": -2, "L_ERR": -1,
          "L_WARN": 0, "L_NOTICE": 1, "L_INFO": 2, "L_DBG": 3}

# Kamailio's xlog fixup looks only at the third character of the name
# ("L_E..." is L_ERR), so "L_ERROR" or "L_WARNING" are accepted too.
_BY_THIRD_CHAR = {"A": -5, "B": -4, "C": -3, "E": -1, "W": 0, "N": 1, "I": 2, "D": 3}

# numeric level -> (structlog method, level name shown in the event)
_METHODS = {-5: ("critical", "alert"), -4: ("critical", "bug"), -3: ("critical", "crit"),
            -2: ("critical", "crit"), -1: ("error", "err"), 0: ("warning", "warn"),
            1: ("info", "notice"), 2: ("info", "info"), 3: ("debug", "dbg")}


def parse_level(value: str | int) -> int:
    """``"L_ERR"`` / ``-1`` / ``"-1"`` -> -1; ValueError for anything else.

    As in Kamailio, names are recognised by their third character and the
    literal ``L_CRIT`` maps to L_CRIT2 (the variant without "CRITICAL:" prefix).
    """
    if isinstance(value, int):
        level = value
    else:
        text = value.strip()
        if text.lstrip("-").isdigit():
            level = int(text)
        elif len(text) >= 3 and text[:2].upper() == "L_" and text[2].upper() in _BY_THIRD_CHAR:
            level = _BY_THIRD_CHAR[text[2].upper()]
        else:
            raise ValueError(f"unknown log level {value!r}")
    if level not in _METHODS:
        raise ValueError(f"log level {level} outside L_ALERT(-5)..L_DBG(3)")
    return level


def method_for(level: int) -> tuple[str, str]:
    """(structlog method name, short level name) for a Kamailio level."""
    return _METHODS[max(-5, min(3, level))]
