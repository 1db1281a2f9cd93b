"""Start-up errors: one clear line each, never a traceback for a user mistake.

``StartupError`` is what every start-up step (config, module discovery and
ordering, modparams, ``mod_init``) raises when the deployment is wrong.  Steps
that find several problems at once (``load_config``, ``resolve_modules``)
raise one error that carries them all in ``.errors`` so that
``siprouter check`` can print every one of them.
"""
from __future__ import annotations

from typing import Iterable


class StartupError(Exception):
    """The server cannot start; ``str(e)`` is one line naming the problem.

    ``errors`` is the list of single errors this one stands for (``[self]``
    for a single error); ``lines()`` gives one printable line per error.
    """

    def __init__(self, message: str, *, errors: Iterable["StartupError"] | None = None):
        super().__init__(message)
        self.message = message
        self.errors: list[StartupError] = list(errors) if errors else [self]

    @classmethod
    def collect(cls, errors: Iterable["StartupError"]) -> "StartupError":
        """One error standing for several (flattened); its text is one line each."""
        flat: list[StartupError] = []
        for err in errors:
            flat.extend(err.errors)
        if len(flat) == 1:
            return flat[0]
        return cls("\n".join(str(e) for e in flat), errors=flat)

    def lines(self) -> list[str]:
        """One line per single error, ready to print."""
        if self.errors == [self]:
            return [str(self)]
        return [str(e) for e in self.errors]


class ConfigError(StartupError):
    """A mistake in the TOML configuration; ``str(e)`` is ``file:line: message``.

    ``file`` and ``line`` are ``None`` when unknown (for instance a config
    built in memory by a test).
    """

    def __init__(self, message: str, file: str | None = None, line: int | None = None, *,
                 errors: Iterable[StartupError] | None = None):
        self.file = file
        self.line = line
        super().__init__(message, errors=errors)

    def __str__(self) -> str:
        if self.errors != [self]:
            return "\n".join(str(e) for e in self.errors)
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return where + self.message


class ModuleAPIError(LookupError):
    """``env.api(name)`` was asked for an API the caller may not (yet) use."""
