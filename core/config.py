"""The deployment's TOML file: top-level keys, ``[core]`` and ``[modparam.*]``.

Reading a config checks everything that can be checked without loading a
module: TOML syntax, unknown keys anywhere (reported with their line),
the type, bounds and syntax of every core parameter, the route script and
``mpath`` folders.  Module names and ``modparam`` values are checked by
``siprouter.core.modsys.loader.resolve_modules``.

Every core parameter is declared once, in :data:`CORE_PARAMS`; the config
reference (``docs/config.md``) is generated from that table.

The layout::

    loadmodule = ["sl", "tm"]        # modules to load (order is the tie-break)
    mpath = ["modules.d"]            # extra module folders, relative to this file
    routes = "siprouter.cfg"         # route script, relative to this file

    [core]
    listen = ["udp:127.0.0.1:5060"]

    [modparam.tm]
    fr_timer = 30000
"""
from __future__ import annotations

import ipaddress
import re
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from siprouter.core.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - ARCHITECTURE §2: tomli only for older Pythons
    import tomli as tomllib

__all__ = ["Config", "ConfigError", "CoreParam", "CORE_PARAMS", "ListenAddr", "WorkerGroupConf",
           "load_config", "load_config_text", "parse_listen", "core_params_markdown"]

TOP_LEVEL_KEYS = ("loadmodule", "mpath", "routes", "core", "modparam")
PROTOCOLS = ("udp", "tcp")            # tls, ws, wss come later through the same syntax
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
DEFAULT_SIP_PORT = 5060


# -- parsed forms of structured core params ---------------------------------------------

@dataclass(frozen=True, slots=True)
class ListenAddr:
    """One ``listen`` entry: ``proto:ip:port [advertise host:port]``."""

    proto: str
    ip: str                     # without brackets for IPv6
    port: int
    af: int                     # socket.AF_INET or socket.AF_INET6
    advertise_host: str | None = None
    advertise_port: int | None = None

    def __str__(self) -> str:
        host = f"[{self.ip}]" if self.af == socket.AF_INET6 else self.ip
        text = f"{self.proto}:{host}:{self.port}"
        if self.advertise_host:
            text += f" advertise {self.advertise_host}:{self.advertise_port}"
        return text


@dataclass(frozen=True, slots=True)
class WorkerGroupConf:
    """One core async worker group (``async_workers`` and ``async_workers_group``)."""

    name: str
    workers: int
    nonblock: bool = False
    usleep: int = 0


def _parse_hostport(text: str, what: str, min_port: int = 1) -> tuple[str, int | None, int]:
    """``ip``, ``ip:port``, ``[v6]`` or ``[v6]:port`` -> (ip, port|None, af); ValueError.

    ``localhost`` stands for 127.0.0.1."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(f"unclosed '[' in {what} {text!r}")
        host, rest = text[1:end], text[end + 1:]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{host!r} is not an IPv6 address in {what} {text!r}") from None
        af = socket.AF_INET6
    else:
        host, _, port_text = text.partition(":")
        rest = ":" + port_text if _ else ""
        if ":" in port_text:
            raise ValueError(f"IPv6 addresses must be written in brackets ([::1]) in {what} {text!r}")
        if host.lower() == "localhost":
            host = "127.0.0.1"
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise ValueError(f"{host!r} is not an IPv4 address in {what} {text!r}") from None
        af = socket.AF_INET
    if not rest:
        return host, None, af
    if not rest.startswith(":") or not rest[1:].isdigit():
        raise ValueError(f"bad port {rest[1:]!r} in {what} {text!r}")
    port = int(rest[1:])
    if not min_port <= port <= 65535:
        raise ValueError(f"port {port} out of range {min_port}..65535 in {what} {text!r}")
    return host, port, af


def parse_listen(text: str) -> ListenAddr:
    """Parse ``"udp:127.0.0.1:5060"``, ``"tcp:[::1]:5060"``, with an optional
    ``" advertise HOST:PORT"``; the port defaults to 5060, port 0 binds any free
    port (tests), ``localhost`` is 127.0.0.1.  Raises ValueError.

    The transport layer parses the same text (``siprouter.core.transport.parse_listen``);
    this one validates it at config load with line numbers."""
    main, sep, adv = text.strip().partition(" advertise ")
    proto, colon, hostport = main.strip().partition(":")
    if not colon or not hostport:
        raise ValueError(f"expected 'proto:ip:port', got {text!r}")
    proto = proto.lower()
    if proto not in PROTOCOLS:
        raise ValueError(f"unsupported protocol {proto!r} in {text!r} (supported: {', '.join(PROTOCOLS)})")
    ip, port, af = _parse_hostport(hostport, "listen", min_port=0)   # 0: any free port
    if port is None:
        port = DEFAULT_SIP_PORT
    adv_host = adv_port = None
    if sep:
        adv = adv.strip()
        m = re.fullmatch(r"(\[[^\]]+\]|[^:\s]+)(?::(\d+))?", adv)
        if not m:
            raise ValueError(f"expected 'advertise HOST[:PORT]', got {text!r}")
        adv_host = m.group(1)
        adv_port = int(m.group(2)) if m.group(2) else port
    return ListenAddr(proto, ip, port, af, adv_host, adv_port)


def _check_listen(value: list[str]) -> list[str]:
    seen = set()
    out = []
    for item in value:
        addr = parse_listen(item)
        key = (addr.proto, addr.ip, addr.port)
        if key in seen:
            raise ValueError(f"duplicate listen address {item!r}")
        seen.add(key)
        out.append(str(addr))
    return out


_HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?")


def _check_alias(value: list[str]) -> list[str]:
    for item in value:
        if item.startswith("["):
            _parse_hostport(item, "alias")
            continue
        host, _, port = item.partition(":")
        if not _HOSTNAME.fullmatch(host):
            raise ValueError(f"{item!r} is not a host name or address")
        if port and not (port.isdigit() and 1 <= int(port) <= 65535):
            raise ValueError(f"bad port {port!r} in alias {item!r}")
    return value


_GROUP_KEYS = {"name": str, "workers": int, "nonblock": bool, "usleep": int}
_GROUP_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _check_groups(value: list[Any]) -> list[dict]:
    """Validate the async_workers_group tables; names are case-insensitive."""
    out = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        where = f"async_workers_group[{i}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where} must be a table {{name = ..., workers = ...}}, got {_describe(item)}")
        for key in item:
            if key not in _GROUP_KEYS:
                raise _UnknownKey(("async_workers_group", i, key),
                                  f"unknown key {key!r} in {where} (known: {', '.join(_GROUP_KEYS)})")
        for key, typ in _GROUP_KEYS.items():
            if key in item and not _type_ok(item[key], typ):
                raise ValueError(f"{where}.{key} must be {_TYPE_NAMES[typ]}, got {_describe(item[key])}")
        if "name" not in item or not item["name"]:
            raise ValueError(f"{where} needs a name")
        if not _GROUP_NAME.fullmatch(item["name"]):
            raise ValueError(f"invalid name value {item['name']!r} in {where}")
        if "workers" not in item:
            raise ValueError(f"{where} ({item['name']}) needs 'workers'")
        if item["workers"] < 1:
            raise ValueError(f"invalid workers value {item['workers']} in {where} ({item['name']}): must be >= 1")
        if item.get("usleep", 0) < 0:
            raise ValueError(f"invalid usleep value {item['usleep']} in {where} ({item['name']}): must be >= 0")
        name = item["name"].lower()
        if name in seen:
            raise ValueError(f"duplicate async worker group {name!r}")
        seen.add(name)
        out.append({"name": name, "workers": item["workers"],
                    "nonblock": item.get("nonblock", False), "usleep": item.get("usleep", 0)})
    return out


class _UnknownKey(ValueError):
    """Validation found an unknown nested key; ``path`` is relative to [core]."""

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = path


# -- the single table of core parameters ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class CoreParam:
    """One ``[core]`` parameter: type, default, bounds/choices, doc, optional check.

    ``check(value) -> value`` validates (raising ValueError) and may normalise.
    ``kamailio`` names the Kamailio core parameter it mirrors, if any.
    """

    name: str
    type: type
    default: Any
    doc: str
    min: int | None = None
    max: int | None = None
    choices: tuple[str, ...] | None = None
    item_type: type | None = None       # element type for lists
    check: Callable[[Any], Any] | None = None
    kamailio: str | None = None


CORE_PARAMS: tuple[CoreParam, ...] = (
    CoreParam("listen", list, ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"], item_type=str,
              check=_check_listen, kamailio="listen",
              doc="Sockets to listen on, each `\"proto:ip:port\"` (proto `udp` or `tcp`; IPv6 in "
                  "brackets: `\"udp:[::1]:5060\"`; port defaults to 5060, port 0 takes any free "
                  "port). Append "
                  "`\" advertise HOST:PORT\"` to advertise another address in Via/Record-Route."),
    CoreParam("alias", list, [], item_type=str, check=_check_alias, kamailio="alias",
              doc="Other host names (optionally `host:port`) this server answers to; "
                  "`uri == myself` matches them besides the listen addresses."),
    CoreParam("async_workers", int, 0, min=0, kamailio="async_workers",
              doc="Threads in the core `default` async worker group (0: no default group unless "
                  "`async_workers_group` needs one). Used by `async_task_route`."),
    CoreParam("async_nonblock", bool, False, kamailio="async_nonblock",
              doc="When the `default` group's queue is full, fail the push (error to the script) "
                  "instead of waiting. Order-independent, unlike Kamailio."),
    CoreParam("async_usleep", int, 0, min=0, kamailio="async_usleep",
              doc="Microseconds a `default` group worker sleeps before taking each task."),
    CoreParam("async_workers_group", list, [], item_type=dict, check=_check_groups,
              kamailio="async_workers_group",
              doc="Named core async worker groups, each a table "
                  "`{name = \"db\", workers = 2, nonblock = false, usleep = 0}` (`name` and "
                  "`workers` required, `workers >= 1`, names case-insensitive and unique). "
                  "`name = \"default\"` replaces the default group built from `async_workers`; "
                  "when groups exist but no default group does, a default group with 1 worker "
                  "is created (as Kamailio does). The result does not depend on the order of the keys."),
    CoreParam("log_level", str, "info", choices=LOG_LEVELS, kamailio="debug",
              doc="Lowest level logged."),
    CoreParam("log_format", str, "console", choices=("console", "json"),
              doc="`console`: readable lines for people; `json`: one JSON object a line for machines."),
    CoreParam("max_while_loops", int, 100, min=1, kamailio="max_while_loops",
              doc="A `while` loop in the route script stops after this many iterations."),
    CoreParam("max_recursive_level", int, 256, min=1, kamailio="max_recursive_level",
              doc="Deepest nesting of `route(...)` calls before the run is stopped."),
    CoreParam("max_message_size", int, 65535, min=1024, max=16 * 1024 * 1024,
              doc="Largest SIP message accepted (bytes), per datagram or per TCP frame."),
    CoreParam("tcp_connection_lifetime", int, 120, min=1, kamailio="tcp_connection_lifetime",
              doc="Seconds an idle TCP connection is kept open."),
    CoreParam("tcp_max_connections", int, 2048, min=1, kamailio="tcp_max_connections",
              doc="Most TCP connections open at once; new ones are refused beyond it."),
    CoreParam("rpc_socket", str, "/tmp/siprouter-{port}.sock",
              doc="Unix socket of the JSON-RPC control interface (`siprouter rpc`, docs/rpc.md); "
                  "`{port}` is the port of the first `listen` entry, a relative path is relative "
                  "to this file, `\"\"` turns the interface off. Created with mode 0600."),
    CoreParam("gc_threshold", int, 50000, min=0,
              doc="Generation-0 threshold of Python's cyclic garbage collector while serving; "
                  "the start-up objects are frozen out of collection first. Python's default "
                  "(700) makes full collections of a heap holding seconds of calls stall the "
                  "loop for 100+ ms. 0 keeps Python's settings."),
    CoreParam("gc_interval_ms", int, 20, min=0, max=1000,
              doc="With `gc_threshold` > 0: every this many ms the event loop runs a young "
                  "collection (when 200+ objects are new); every second the survivors are "
                  "frozen (`gc.freeze()`: no later pass walks them, reference counting still "
                  "frees them) and every 10 min one full pass reclaims the cycles that "
                  "outlived their young pass. Pauses stay under a millisecond or two instead "
                  "of 20-250 ms; the full pass stalls the loop ~100-170 ms once per 10 min. "
                  "5 brought the async resume max from ~20 to ~5 ms in one sitting (see "
                  "docs/performance.md). 0: collections happen only at `gc_threshold` "
                  "(middle every 50, full every 5000)."),
)
CORE_PARAM_INDEX = {p.name: p for p in CORE_PARAMS}


_TYPE_NAMES = {int: "an integer", str: "a string", bool: "a boolean (true/false)",
               float: "a number", list: "a list", dict: "a table"}


def _type_ok(value: Any, typ: type) -> bool:
    if typ is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if typ is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, typ)


def _describe(value: Any) -> str:
    """``a string 'abc'`` / ``an integer 4`` — for error messages."""
    for typ in (bool, int, float, str, list, dict):
        if isinstance(value, typ):
            shown = repr(value) if not isinstance(value, bool) else str(value).lower()
            if len(shown) > 60:
                shown = shown[:57] + "..."
            return f"{_TYPE_NAMES[typ]} {shown}"
    return f"{type(value).__name__} {value!r}"


def _check_core_value(param: CoreParam, value: Any) -> Any:
    """Validate one [core] value; returns the normalised value or raises ValueError."""
    if not _type_ok(value, param.type):
        raise ValueError(f"must be {_TYPE_NAMES[param.type]}, got {_describe(value)}")
    if param.item_type is not None:
        for item in value:
            if not _type_ok(item, param.item_type):
                raise ValueError(f"every item must be {_TYPE_NAMES[param.item_type]}, got {_describe(item)}")
    if param.min is not None and value < param.min:
        raise ValueError(f"{value} is below the minimum {param.min}")
    if param.max is not None and value > param.max:
        raise ValueError(f"{value} is above the maximum {param.max}")
    if param.choices is not None and value not in param.choices:
        raise ValueError(f"{value!r} is not one of {', '.join(map(repr, param.choices))}")
    if param.check is not None:
        value = param.check(value)
    return value


def worker_groups(core: dict) -> dict[str, WorkerGroupConf]:
    """The core async worker groups that result from ``[core]`` (name -> group).

    Order-independent (Kamailio's ordering trap is not reproduced): ``async_workers``,
    ``async_nonblock`` and ``async_usleep`` make the default group; a group named
    ``default`` replaces it; named groups without any default group add an implicit
    default group with 1 worker, as Kamailio does.
    """
    groups: dict[str, WorkerGroupConf] = {}
    if core.get("async_workers", 0) > 0:
        groups["default"] = WorkerGroupConf("default", core["async_workers"],
                                            core.get("async_nonblock", False), core.get("async_usleep", 0))
    for g in core.get("async_workers_group", []):
        groups[g["name"]] = WorkerGroupConf(g["name"], g["workers"], g["nonblock"], g["usleep"])
    if groups and "default" not in groups:
        groups = {"default": WorkerGroupConf("default", 1, core.get("async_nonblock", False),
                                             core.get("async_usleep", 0)), **groups}
    return groups


# -- locating keys in the TOML source ---------------------------------------------------------

_BARE = r"[A-Za-z0-9_-]+"
_KEY = rf'(?:{_BARE}|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_DOTTED = rf"{_KEY}(?:\s*\.\s*{_KEY})*"
_HEADER_RE = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?")
_KEYLINE_RE = re.compile(rf"^\s*({_DOTTED})\s*=")


def _split_dotted(text: str) -> tuple[str, ...]:
    parts = re.findall(_KEY, text)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


class SourceLines:
    """Maps key paths (``("core", "listen")``) to 1-based lines of the TOML text.

    Found by scanning the text (tomllib does not report positions): table
    headers, ``key =`` lines and, for keys inside inline tables or arrays, a
    textual search from the enclosing key's line.  Good enough for error
    messages; falls back to the nearest known enclosing key.
    """

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.index: dict[tuple, int] = {}
        table: tuple = ()
        aot_count: dict[tuple, int] = {}
        in_multiline: str | None = None
        for no, line in enumerate(self.lines, 1):
            if in_multiline:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            m = _HEADER_RE.match(line)
            if m and not _KEYLINE_RE.match(line):
                path = _split_dotted(m.group(2))
                if m.group(1) == "[[":
                    n = aot_count.get(path, 0)
                    aot_count[path] = n + 1
                    self.index.setdefault(path, no)
                    path = path + (n,)
                table = path
                self.index.setdefault(table, no)
                continue
            m = _KEYLINE_RE.match(line)
            if m:
                self.index.setdefault(table + _split_dotted(m.group(1)), no)
                for quote in ('"""', "'''"):
                    if line.count(quote) % 2 == 1:
                        in_multiline = quote

    def line_of(self, path: tuple) -> int | None:
        """Line of the key at ``path`` (best effort), else of its nearest parent."""
        path = tuple(path)
        for cut in range(len(path), 0, -1):
            base = path[:cut]
            if base in self.index:
                line = self.index[base]
                rest = [p for p in path[cut:] if isinstance(p, str)]
                if rest:
                    found = self._search(line, rest[-1])
                    if found:
                        return found
                return line
        return None

    def find_string(self, start: int, text: str) -> int | None:
        """First line from ``start`` holding the quoted string ``text`` (within 200 lines)."""
        pat = re.compile(rf"([\"']){re.escape(text)}\1")
        for no in range(start, min(len(self.lines), start + 200) + 1):
            if pat.search(self.lines[no - 1]):
                return no
        return None

    def _search(self, start: int, key: str) -> int | None:
        pat = re.compile(rf"(^|[{{,\s]){re.escape(key)}\s*=|([\"']){re.escape(key)}\2\s*=")
        for no in range(start, min(len(self.lines), start + 200) + 1):
            if pat.search(self.lines[no - 1]):
                return no
        return None


# -- the config object -----------------------------------------------------------------------

@dataclass
class Config:
    """A loaded, validated configuration (contracts §7)."""

    path: Path | None
    loadmodule: list[str] = field(default_factory=list)
    mpath: list[Path] = field(default_factory=list)
    routes: Path | None = None
    core: dict[str, Any] = field(default_factory=dict)
    modparam: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: SourceLines | None = field(default=None, repr=False)

    @property
    def listen(self) -> list[ListenAddr]:
        """The ``listen`` entries, parsed."""
        return [parse_listen(s) for s in self.core.get("listen", [])]

    @property
    def worker_groups(self) -> dict[str, WorkerGroupConf]:
        """The core async worker groups (see :func:`worker_groups`)."""
        return worker_groups(self.core)

    def line_of(self, *path: Any) -> int | None:
        """1-based line of a key, e.g. ``cfg.line_of("modparam", "tm", "fr_timer")``."""
        return self.source.line_of(path) if self.source else None

    def item_line(self, key: str, item: str) -> int | None:
        """Line of the string ``item`` inside the list ``key`` (``loadmodule``), else the key's."""
        line = self.line_of(key)
        if line is None or self.source is None:
            return line
        return self.source.find_string(line, item) or line

    def item_error(self, message: str, key: str, item: str) -> ConfigError:
        """A ConfigError located at the list item ``item`` of top-level ``key``."""
        return ConfigError(message, str(self.path) if self.path else None, self.item_line(key, item))

    def error(self, message: str, *path: Any) -> ConfigError:
        """A ConfigError located at the key ``path`` of this file."""
        return ConfigError(message, str(self.path) if self.path else None,
                           self.line_of(*path) if path else None)

    @classmethod
    def from_dict(cls, data: dict, path: Path | str | None = None) -> "Config":
        """Build from an already-parsed TOML dict (tests, embedding); validated."""
        return _build(data, Path(path) if path else None, None)


def load_config(path: str | Path) -> Config:
    """Read and validate a TOML config; raises ConfigError (all problems, file:line each)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("config file not found", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file: {exc}", str(path)) from None
    return load_config_text(text, path)


_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def load_config_text(text: str, path: str | Path | None = None) -> Config:
    """Like :func:`load_config` for TOML text; ``path`` names it in errors and anchors
    relative paths (defaults to the current folder)."""
    path = Path(path) if path is not None else None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        line = None
        m = _TOML_POS.search(msg)
        if m:
            line = int(m.group(1))
            msg = msg[:m.start()] + f" (column {m.group(2)})"
        elif "end of document" in msg:
            line = len(text.splitlines()) or 1
        raise ConfigError(f"TOML syntax error: {msg}", str(path) if path else None, line) from None
    return _build(data, path, SourceLines(text))


def _build(data: dict, path: Path | None, source: SourceLines | None) -> Config:
    cfg = Config(path=path, source=source)
    errors: list[ConfigError] = []
    base = path.parent if path is not None else Path.cwd()

    for key in data:
        if key not in TOP_LEVEL_KEYS:
            errors.append(cfg.error(f"unknown top-level key {key!r} (known: {', '.join(TOP_LEVEL_KEYS)})"
                                    + _hint(key, TOP_LEVEL_KEYS), key))

    # loadmodule
    lm = data.get("loadmodule", [])
    if not isinstance(lm, list) or not all(isinstance(x, str) for x in lm):
        errors.append(cfg.error(f"loadmodule must be a list of module names, got {_describe(lm)}", "loadmodule"))
    else:
        seen: set[str] = set()
        for name in lm:
            if name in seen:
                dup = cfg.error(f"duplicate loadmodule {name!r}", "loadmodule")
                if source is not None and dup.line:
                    first = source.find_string(dup.line, name)
                    dup.line = (source.find_string(first + 1, name) if first else None) or dup.line
                errors.append(dup)
            elif not name:
                errors.append(cfg.error("empty module name in loadmodule", "loadmodule"))
            else:
                seen.add(name)
                cfg.loadmodule.append(name)

    # mpath
    mp = data.get("mpath", [])
    if isinstance(mp, str):
        mp = [mp]
    if not isinstance(mp, list) or not all(isinstance(x, str) for x in mp):
        errors.append(cfg.error(f"mpath must be a list of folders, got {_describe(mp)}", "mpath"))
    else:
        for folder in mp:
            p = (base / folder).resolve()
            if not p.is_dir():
                errors.append(cfg.error(f"mpath folder {folder!r} does not exist ({p})", "mpath"))
            else:
                cfg.mpath.append(p)

    # routes
    if "routes" in data:
        r = data["routes"]
        if not isinstance(r, str) or not r:
            errors.append(cfg.error(f"routes must be the route script's file name, got {_describe(r)}", "routes"))
        else:
            p = base / r
            if not p.is_file():
                errors.append(cfg.error(f"route script {r!r} not found ({p})", "routes"))
            cfg.routes = p

    # [core]
    core_in = data.get("core", {})
    if not isinstance(core_in, dict):
        errors.append(cfg.error(f"core must be a table ([core]), got {_describe(core_in)}", "core"))
        core_in = {}
    core: dict[str, Any] = {}
    for key, value in core_in.items():
        param = CORE_PARAM_INDEX.get(key)
        if param is None:
            errors.append(cfg.error(f"unknown core parameter {key!r}" + _hint(key, CORE_PARAM_INDEX),
                                    "core", key))
            continue
        try:
            core[key] = _check_core_value(param, value)
        except _UnknownKey as exc:
            errors.append(cfg.error(f"core parameter {key}: {exc}", "core", *exc.path))
        except ValueError as exc:
            errors.append(cfg.error(f"core parameter {key}: {exc}", "core", key))
    cfg.core = {p.name: core[p.name] if p.name in core else
                (list(p.default) if isinstance(p.default, list) else p.default) for p in CORE_PARAMS}

    # [modparam.<module>]
    mpar = data.get("modparam", {})
    if not isinstance(mpar, dict):
        errors.append(cfg.error(f"modparam must be tables [modparam.<module>], got {_describe(mpar)}", "modparam"))
        mpar = {}
    for mod, params in mpar.items():
        if not isinstance(params, dict):
            errors.append(cfg.error(f"modparam.{mod} must be a table [modparam.{mod}], got {_describe(params)}",
                                    "modparam", mod))
            continue
        cfg.modparam[mod] = dict(params)

    if errors:
        raise ConfigError.collect(errors)
    return cfg


def _hint(key: str, known) -> str:
    import difflib
    close = difflib.get_close_matches(key, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def core_params_markdown() -> str:
    """The ``[core]`` reference table of docs/config.md, generated from CORE_PARAMS."""
    rows = ["| parameter | type | default | bounds | Kamailio | description |",
            "|---|---|---|---|---|---|"]
    for p in CORE_PARAMS:
        typ = p.type.__name__ + (f" of {p.item_type.__name__}" if p.item_type else "")
        bounds = []
        if p.min is not None:
            bounds.append(f">= {p.min}")
        if p.max is not None:
            bounds.append(f"<= {p.max}")
        if p.choices:
            bounds.append(" \\| ".join(f"`{c}`" for c in p.choices))
        default = _toml_value(p.default)
        rows.append(f"| `{p.name}` | {typ} | `{default}` | {', '.join(bounds) or '—'} | "
                    f"{'`' + p.kamailio + '`' if p.kamailio else '—'} | {p.doc} |")
    return "\n".join(rows) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)
