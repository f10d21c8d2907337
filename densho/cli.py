"""The ``densho`` command: ``densho serve`` with flags, each also read from a DENSHO_* variable.

Owns: argument parsing, binding the socket (port 0 picks a free port), running uvicorn, turning
SIGINT/SIGTERM into a graceful shutdown, ``densho check-config FILE``, and exit status 2 with one
line for a configuration mistake (also one found while declared resources are applied).
Must not know: anything about SQS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import os
import socket
import ssl
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from densho import config_file
from densho.config import BY_NAME, OPTIONS, Settings, parse_bool
from densho.config_file import ConfigError
from densho.providers import declared_check
from densho.sns.endpoint_rules import EndpointRules


def _from_env(name: str) -> Any:
    option = BY_NAME[name]
    raw = os.environ.get(option.env)
    if raw is None or raw == "":
        return None
    try:
        return option.parse(raw)
    except ValueError as exc:
        raise ValueError(f"{option.env}: {exc}") from None


def _argument_type(parse: Any) -> Any:
    """``parse`` for argparse: densho's own parsers' reasons are the message (argparse would
    say only "invalid VALUE"); Python's int, float and Path keep argparse's wording."""
    if not getattr(parse, "__module__", "").startswith("densho"):
        return parse

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def parse(argv: list[str]) -> tuple[str, Settings]:
    parser = argparse.ArgumentParser(
        prog="densho",
        description="densho: a self-hosted, wire-compatible Amazon SQS + SNS server.",
        epilog="Run `densho COMMAND --help` for a command's flags. The README says more.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run the SQS + SNS server",
        description="Run the SQS + SNS server. Each flag may also come from its DENSHO_* "
        "variable or from the --config file (flag > variable > file > default).",
        epilog="Example: densho serve --port 9324 --store postgresql://densho@db:5432/densho",
    )
    serve.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="a TOML configuration file: settings, [[credentials]] "
        "[env DENSHO_CONFIG; default: none]",
    )
    for option in OPTIONS:
        # No argparse default: an absent flag falls through to the environment, the file, then
        # the Settings default (precedence flag > environment > file > default).
        switch = option.parse is parse_bool  # a bare flag means true
        serve.add_argument(
            option.flag,
            dest=option.name,
            type=_argument_type(option.parse),
            choices=option.choices or None,
            metavar=option.metavar,
            help=option.help_text,
            nargs="?" if switch else None,
            const=True if switch else None,
        )
    check = commands.add_parser(
        "check-config",
        help="check a configuration file (keys, values, declared resources) without starting",
        description="Check FILE as densho serve --config FILE would read it (DENSHO_* variables "
        "apply): TOML syntax, keys, types, credentials, and every declared queue, topic and "
        "subscription with the API's own checks. Prints 'FILE: ok (...)' and exits 0, or the "
        "first mistake (FILE:LINE: key: why) and exits 2. A dead-letter target declared "
        "nowhere is checked only at start, against the store.",
    )
    check.add_argument("file", type=Path, metavar="FILE", help="the TOML configuration file")
    migrate = commands.add_parser(
        "migrate",
        help="apply the PostgreSQL schema migrations, then exit",
        description="Bring a PostgreSQL database up to this densho's schema, then exit "
        "(densho serve also does it at start; this is for a deploy step run once).",
    )
    migrate.add_argument(
        "--store",
        metavar="URL",
        help="postgresql://user@host:port/database [env DENSHO_STORE]",
    )
    args = parser.parse_args(argv)
    if args.command == "migrate":
        store = args.store or _from_env("store")
        if not store:
            parser.error("migrate needs --store postgresql://... (or DENSHO_STORE)")
        return args.command, Settings(store=store)
    if args.command == "check-config":  # the file as a start without flags would read it
        args = argparse.Namespace(config=args.file, **{o.name: None for o in OPTIONS})
        args.command = "check-config"
    try:
        return args.command, _settings(args)
    except ConfigError as exc:  # names the file, line and key: no usage text around it
        print(f"densho: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except ValueError as exc:
        parser.error(str(exc))


def _settings(args: argparse.Namespace) -> Settings:
    path = args.config or (
        Path(os.environ["DENSHO_CONFIG"]) if os.environ.get("DENSHO_CONFIG") else None
    )
    loaded = config_file.load(path) if path is not None else config_file.Loaded({}, ())
    values: dict[str, Any] = {}
    for option in OPTIONS:
        value = getattr(args, option.name)
        if value is None:
            value = _from_env(option.name)
            if option.choices and value is not None and value not in option.choices:
                raise ValueError(f"{option.env} must be one of {', '.join(option.choices)}")
        if value is None:
            value = loaded.values.get(option.name)
        if value is None and option.default is not None:
            value = option.default()
        if value is not None:
            values[option.name] = value
    settings = Settings(
        **values,
        **loaded.file_only,
        credentials=loaded.credentials,
        config_file=path,
        master_key=os.environ.get("DENSHO_MASTER_KEY") or None,  # a secret: environment only
    )
    # Declared resources: what needs no store is checked now (the rest when they are applied).
    declared = loaded.declared.resolved(settings.account_id, settings.region)
    rules = EndpointRules.parse(settings.http_endpoints_allow, settings.http_endpoints_deny)
    declared_check.check(declared, rules)
    settings = replace(settings, declared=declared)
    if settings.auth == "sigv4" and not settings.credentials:
        raise ValueError("--auth sigv4 needs at least one [[credentials]] entry in --config")
    _check_tls(settings)
    return settings


def _check_tls(settings: Settings) -> None:
    """Both TLS files or neither, and both loadable: said now, in one line, rather than as
    uvicorn's traceback after start-up."""
    cert, key = settings.tls_cert, settings.tls_key
    if cert is None and key is None:
        return
    if cert is None or key is None:
        given, missing = ("--tls-cert", "--tls-key") if key is None else ("--tls-key", "--tls-cert")
        raise ValueError(f"{given} needs {missing} too: HTTPS takes a certificate and its key")
    for flag, path in (("--tls-cert", cert), ("--tls-key", key)):
        try:
            with path.open("rb"):
                pass
        except OSError as exc:
            raise ValueError(f"{flag} {path}: cannot read: {exc.strerror or exc}") from None
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise ValueError(
            f"--tls-cert {cert} / --tls-key {key}: not a PEM certificate and its private key "
            f"({getattr(exc, 'reason', None) or exc})"
        ) from None


def serve(settings: Settings) -> None:
    import uvicorn

    from densho import logs
    from densho.server import App

    logs.configure(settings.log_level, settings.log_format)
    if not settings.auth_enabled and not _loopback(settings.host):
        logging.getLogger("densho").warning(
            "authentication is off and densho listens on %s: anyone who reaches it may read, "
            "send and delete everything (configure [[credentials]] to require signatures)",
            settings.host,
        )
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(2048)
    port = sock.getsockname()[1]
    host = f"[{settings.host}]" if family == socket.AF_INET6 else settings.host
    tls = settings.tls_cert is not None and settings.tls_key is not None
    app = App(settings, f"{'https' if tls else 'http'}://{host}:{port}")

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                yield
                # uvicorn re-raises a caught SIGTERM/SIGINT after its graceful shutdown, making
                # the process die "by signal"; a clean stop exits 0 instead.
                self._captured_signals.clear()

        def handle_exit(self, sig: int, frame: Any) -> None:
            # Signal context: hand the wake-up of long polls to the event loop.
            loop = asyncio.get_event_loop_policy().get_event_loop()
            loop.call_soon_threadsafe(app.begin_shutdown)
            super().handle_exit(sig, frame)

    from densho.http_edge import connection_limit, edge_protocol, raise_open_file_limit

    open_files = raise_open_file_limit()

    config = uvicorn.Config(
        app,
        # httptools, with a cap on request heads and timeouts on slow clients
        http=edge_protocol(settings.client_timeout, app.shed),
        limit_concurrency=connection_limit(open_files),
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        lifespan="on",
        access_log=False,  # densho writes its own access line (densho.logs)
        log_config=None,  # uvicorn's messages go through densho's handler and format
        # densho reads X-Forwarded-* itself, from --trusted-proxies only (densho.proxies)
        proxy_headers=False,
        log_level=settings.log_level,
        timeout_graceful_shutdown=30,
        server_header=False,
        date_header=True,
        # HTTPS: uvicorn then reports scheme "https", which makes queue URLs https and
        # aws:SecureTransport true.
        ssl_certfile=str(settings.tls_cert) if tls else None,
        ssl_keyfile=str(settings.tls_key) if tls else None,
    )
    logging.getLogger("uvicorn.error").addFilter(_StartupRefusal(app))
    try:
        Server(config).run(sockets=[sock])
    except SystemExit:  # uvicorn's exit status 3 for a failed start
        if app.refused is None:
            raise
    if app.refused is not None:  # the configuration file's fault: exit 2, as for other mistakes
        print(f"densho: error: {app.refused}", file=sys.stderr)
        sys.exit(2)


class _StartupRefusal(logging.Filter):
    """Keeps uvicorn's "Application startup failed" line out when the configuration file
    stopped the start: the command prints the one reason that matters."""

    def __init__(self, app: Any) -> None:
        super().__init__()
        self._app = app

    def filter(self, record: logging.LogRecord) -> bool:
        return self._app.refused is None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return False


def main(argv: list[str] | None = None) -> None:
    command, settings = parse(sys.argv[1:] if argv is None else argv)
    if command == "serve":
        serve(settings)
    elif command == "check-config":
        declared = settings.declared
        print(
            f"{settings.config_file}: ok ({len(declared.queues)} queues, {len(declared.topics)} "
            f"topics, {declared.subscriptions} subscriptions, {len(settings.credentials)} "
            "credentials)"
        )
    elif command == "migrate":
        sys.exit(migrate(settings.store))


def migrate(url: str) -> int:
    """``densho migrate``: bring a PostgreSQL database up to this code's schema; exit status."""
    from densho.storage.postgres_migrations import migrate_url

    try:
        applied = asyncio.run(migrate_url(url))
    except (RuntimeError, ValueError) as exc:
        print(f"densho migrate: {exc}", file=sys.stderr)
        return 1
    print(f"densho migrate: applied {applied}" if applied else "densho migrate: up to date")
    return 0


if __name__ == "__main__":
    main()
