"""The ``siprouter`` command.

::

    siprouter [-f FILE]              run the server in the foreground (= siprouter run)
    siprouter run [-f FILE]
    siprouter check [-f FILE]        check config, modules, modparams and the whole route script
    siprouter modules [NAME]         list installed modules, or describe one
    siprouter rpc [-f FILE | -s SOCKET] METHOD [PARAMS...]
                                     call a method of the running server's RPC interface
    siprouter --version

Without ``-f`` the config is ``config/siprouter.toml`` in the current folder
when it exists, else the default config installed with the package.

User mistakes are printed as one line each (``file:line: message``) and never
as a traceback; exit status 0 means success, 1 an error in the config or at
start-up, 2 a usage error.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

import siprouter

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
LOCAL_CONFIG = Path("config") / "siprouter.toml"


def default_config_path() -> Path | None:
    """``config/siprouter.toml`` here, else the packaged default (None when neither exists)."""
    if LOCAL_CONFIG.is_file():
        return LOCAL_CONFIG
    try:
        from importlib.resources import files
    except ImportError:  # pragma: no cover
        return None
    for package, parts in (("siprouter.default_config", ("siprouter.toml",)),
                           ("siprouter", ("default_config", "siprouter.toml"))):
        try:
            res = files(package)
            for part in parts:
                res = res / part
            if res.is_file():
                return Path(str(res))
        except (ModuleNotFoundError, TypeError, FileNotFoundError, NotADirectoryError):
            continue
    return None


def _config_path(args: argparse.Namespace) -> Path:
    if getattr(args, "file", None):
        return Path(args.file)
    path = default_config_path()
    if path is None:
        raise _UsageError("no config file: pass -f FILE (no config/siprouter.toml here and "
                          "no installed default config)")
    return path


class _UsageError(Exception):
    pass


def _err(line: str) -> None:
    print(line, file=sys.stderr)


# -- commands ------------------------------------------------------------------------------

def cmd_run(args: argparse.Namespace) -> int:
    path = _config_path(args)
    if not path.is_file():
        _err(f"{path}: config file not found")
        return EXIT_ERROR
    try:
        from siprouter.core.server import run_server
    except ImportError as exc:
        if getattr(exc, "name", None) in ("siprouter.core.server",):
            _err("error: the server is not available in this build (siprouter.core.server missing)")
            return EXIT_ERROR
        raise
    from siprouter.core.errors import StartupError
    try:
        return int(run_server(path) or 0)
    except StartupError as exc:
        for line in exc.lines():
            _err(line)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_OK


def check_config(path: Path) -> list[str]:
    """Every error in the config at ``path``, one line each (empty list: config ok).

    Config errors first; modules and modparams next; then every route-script
    error (``file:line:col: message``) from compiling the whole script with
    fixups — more than ``kamailio -c`` does, which runs no fixups.
    """
    from siprouter.core.config import load_config
    from siprouter.core.errors import StartupError
    from siprouter.core.modsys.loader import resolve_modules

    try:
        cfg = load_config(path)
    except StartupError as exc:
        return exc.lines()
    try:
        modset = resolve_modules(cfg)
    except StartupError as exc:
        return exc.lines()
    return compile_errors(cfg, modset)


def compile_errors(cfg, modset) -> list[str]:
    """Compile the route script (when the route engine is installed); its errors, one line each."""
    if cfg.routes is None:
        return []
    try:
        from siprouter.core.routing import compile_script
    except ImportError:
        return []
    try:
        from siprouter.core.routing import ScriptErrors
    except ImportError:  # pragma: no cover - contracts §7 exports both
        ScriptErrors = ()  # type: ignore[assignment]
    from siprouter.core.env import ServerEnv
    from siprouter.core.errors import StartupError

    env = ServerEnv(cfg, modset)
    try:
        compile_script(cfg.routes, modset.function_registry(), defines=modset.defines,
                       pvs=modset.pv_registry(), core_params=cfg.core, env=env)
    except ScriptErrors as exc:  # type: ignore[misc]
        errs = getattr(exc, "errors", None)
        if errs is None:
            errs = exc.args[0] if exc.args and isinstance(exc.args[0], (list, tuple)) else [exc]
        return [str(e) for e in errs]
    except StartupError as exc:
        return exc.lines()
    return []


def cmd_check(args: argparse.Namespace) -> int:
    path = _config_path(args)
    errors = check_config(path)
    if errors:
        for line in errors:
            _err(line)
        _err(f"bad config file {path} ({len(errors)} error{'s' if len(errors) != 1 else ''})")
        return EXIT_ERROR
    print(f"config file ok: {path}")
    return EXIT_OK


def cmd_modules(args: argparse.Namespace) -> int:
    from siprouter.core.modsys.describe import describe_module
    from siprouter.core.modsys.discovery import discover
    from siprouter.core.modsys.loader import load_plugin_modules

    mpath: list[Path] = [Path(p) for p in (args.mpath or [])]
    if getattr(args, "file", None):
        from siprouter.core.config import load_config
        from siprouter.core.errors import StartupError
        try:
            mpath = load_config(args.file).mpath + mpath
        except StartupError as exc:
            for line in exc.lines():
                _err(line)
            return EXIT_ERROR
    if args.name:
        if args.name == "core":
            from siprouter.core.modsys.discovery import load_builtin_core
            from siprouter.core.modsys.loader import make_plugin_manager, module_from_plugin
            from siprouter.core.errors import StartupError
            try:
                plugin = load_builtin_core()
                if plugin is None:
                    _err("module 'core' is not available in this build")
                    return EXIT_ERROR
                mod = module_from_plugin(make_plugin_manager(), plugin, "core", "siprouter.core.builtin")
            except StartupError as exc:
                _err(str(exc))
                return EXIT_ERROR
            print(describe_module(mod, "siprouter.core.builtin (always loaded)"), end="")
            return EXIT_OK
        [(name, mod, origin)] = load_plugin_modules([args.name], mpath)
        if mod is None:
            if origin == "not found":
                _err(f"unknown module {name!r} (not found in entry points or mpath)")
            else:
                _err(origin)
            return EXIT_ERROR
        print(describe_module(mod, origin), end="")
        return EXIT_OK
    names = sorted(discover(mpath))
    status = EXIT_OK
    rows = []
    for name, mod, origin in load_plugin_modules(names, mpath):
        if mod is None:
            rows.append((name, "?", f"(cannot load: {origin})"))
            status = EXIT_ERROR
        else:
            doc = (mod.doc or "").strip().splitlines()
            rows.append((name, mod.version, doc[0] if doc else ""))
    width = max((len(r[0]) for r in rows), default=4)
    for name, version, doc in rows:
        print(f"{name:<{width}}  {version:<6}  {doc}".rstrip())
    return status


def parse_rpc_param(text: str) -> int | str:
    """A command-line RPC param: an integer when it is one (``-?[0-9]+``), else the string."""
    digits = text[1:] if text.startswith("-") else text
    if digits.isascii() and digits.isdigit():
        return int(text)
    return text


def rpc_socket_path(args: argparse.Namespace) -> str:
    """The socket to talk to: ``-s``, else ``[core] rpc_socket`` of the config (``-f`` or default)."""
    if getattr(args, "socket", None):
        return args.socket
    from siprouter.core.config import load_config
    from siprouter.core.rpc.paths import socket_path
    path = _config_path(args)
    cfg = load_config(path)                 # StartupError: printed by cmd_rpc
    listen = cfg.listen
    port = listen[0].port if listen else None
    sock = socket_path(cfg.core.get("rpc_socket", ""), port, path.resolve().parent)
    if sock is None:
        raise _RpcFailure(f"the RPC interface is off in {path} ([core] rpc_socket = \"\")")
    return sock


class _RpcFailure(Exception):
    pass


def cmd_rpc(args: argparse.Namespace) -> int:
    import json

    from siprouter.core.errors import StartupError
    from siprouter.core.rpc.client import RPCClientError, RPCRemoteError, rpc_call

    try:
        sock = rpc_socket_path(args)
        params = [parse_rpc_param(p) for p in args.params]
        result = rpc_call(sock, args.method, params or None, timeout=args.timeout)
    except StartupError as exc:
        for line in exc.lines():
            _err(line)
        return EXIT_ERROR
    except (RPCClientError, _RpcFailure) as exc:
        _err(f"siprouter rpc: {exc}")
        return EXIT_ERROR
    except RPCRemoteError as exc:
        _err(f"siprouter rpc: error {exc.code}: {exc.message}")
        return EXIT_ERROR
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return EXIT_OK


# -- argument parsing ---------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="siprouter", description="A programmable SIP server built like Kamailio.",
        epilog="Without a command, runs the server (same as 'siprouter run').")
    parser.add_argument("--version", action="version", version=f"siprouter {siprouter.__version__}")
    parser.add_argument("-f", "--file", metavar="FILE", help="the TOML config "
                        "(default: config/siprouter.toml here, else the installed default)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def with_file(p: argparse.ArgumentParser) -> None:
        p.add_argument("-f", "--file", metavar="FILE", default=argparse.SUPPRESS,
                       help="the TOML config")

    p_run = sub.add_parser("run", help="run the server in the foreground")
    with_file(p_run)
    p_check = sub.add_parser("check", help="check config, modules, modparams and route script; "
                             "print every error")
    with_file(p_check)
    p_mod = sub.add_parser("modules", help="list installed modules, or describe one")
    p_mod.add_argument("name", nargs="?", help="module to describe")
    with_file(p_mod)
    p_mod.add_argument("--mpath", action="append", metavar="DIR", help="extra module folder")
    p_rpc = sub.add_parser(
        "rpc", help="call a method of the running server's RPC interface (docs/rpc.md)",
        description="Call METHOD over the server's JSON-RPC socket and print the result as JSON. "
                    "PARAMS that read as integers are sent as integers, the others as strings. "
                    "'system.listMethods' lists the methods.")
    where = p_rpc.add_mutually_exclusive_group()
    where.add_argument("-f", "--file", metavar="FILE", default=argparse.SUPPRESS,
                       help="the server's TOML config: its [core] rpc_socket is used")
    where.add_argument("-s", "--socket", metavar="SOCKET", help="the RPC socket path")
    p_rpc.add_argument("-t", "--timeout", metavar="SECONDS", type=float, default=10.0,
                       help="how long to wait for the answer (default 10)")
    p_rpc.add_argument("method", metavar="METHOD", help="e.g. core.version, stats.get_statistics")
    p_rpc.add_argument("params", metavar="PARAMS", nargs="*", help="the method's params")
    return parser


COMMANDS = {"run": cmd_run, "check": cmd_check, "modules": cmd_modules, "rpc": cmd_rpc,
            None: cmd_run}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("check", "modules"):
        # warnings of the loader (e.g. a hook at an unknown point) go to stderr, not stdout
        from siprouter.core.log import configure_logging
        configure_logging("warning", "console")
    try:
        return COMMANDS[args.command](args)
    except _UsageError as exc:
        _err(f"siprouter: error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - never a traceback for the user; say where to look
        import os
        if os.environ.get("SIPROUTER_DEBUG"):
            raise
        _err(f"siprouter: internal error: {type(exc).__name__}: {exc} "
             "(set SIPROUTER_DEBUG=1 for a traceback)")
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
