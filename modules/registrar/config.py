"""The registrar's resolved modparams, read once at mod_init."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class RegistrarConfig:
    """Registrar settings; defaults are Kamailio's."""

    default_expires: int = 3600
    min_expires: int = 60
    min_expires_mode: int = 0     # 0: raise to min_expires; 1: reply 423
    max_expires: int = 0          # 0: no upper bound
    max_contacts: int = 0         # 0: unlimited
    retry_after: int = 0          # Retry-After on 503 "Too many registered contacts"
    default_q: int = -1           # thousandths; -1 = unspecified
    append_branches: int = 1
    case_sensitive: int = 0
    use_domain: int = 0
    realm_prefix: str = ""
    method_filtering: int = 0
    use_path: int = 0
    path_mode: int = 2
    received_param: str = "received"

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "RegistrarConfig":
        """Build from the module's modparams (unknown keys ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in params.items() if k in names})
