"""Method sets as bitmasks, for method_filtering (Allow header / ``methods`` param)."""
from __future__ import annotations

_METHODS = ("INVITE", "CANCEL", "ACK", "BYE", "INFO", "REGISTER", "SUBSCRIBE", "NOTIFY",
            "MESSAGE", "OPTIONS", "PRACK", "UPDATE", "REFER", "PUBLISH", "KDMQ")
_BIT = {m: 1 << i for i, m in enumerate(_METHODS)}
OTHER = 1 << len(_METHODS)  # any method not in the table


def method_bit(method: str) -> int:
    """The bit of one method name (case-insensitive)."""
    return _BIT.get(method.upper(), OTHER)


def methods_mask(text: str | None) -> int | None:
    """Bitmask for ``"INVITE, BYE"`` (quotes allowed); None when nothing is given."""
    if text is None:
        return None
    names = [n.strip() for n in text.strip().strip('"').split(",") if n.strip()]
    if not names:
        return None
    mask = 0
    for name in names:
        mask |= method_bit(name)
    return mask


def allows(mask: int | None, method: str) -> bool:
    """True when a contact with ``mask`` accepts ``method`` (None = everything)."""
    return mask is None or bool(mask & method_bit(method))
