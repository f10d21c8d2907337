"""The ``densho`` command: ``densho serve`` with flags, each also read from a DENSHO_* variable.

Owns: argument parsing, binding the socket (port 0 picks a free port), running uvicorn, and turning
SIGINT/SIGTERM into a graceful shutdown.
Must not know: anything about SQS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from densho.config import ENV, Settings, default_data_dir


def _from_env(name: str, default: Any) -> Any:
    env, kind = ENV[name]
    raw = os.environ.get(env)
    return default if raw is None or raw == "" else kind(raw)


def parse(argv: list[str]) -> tuple[str, Settings]:
    parser = argparse.ArgumentParser(prog="densho", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the SQS-compatible server")
    serve.add_argument("--host", default=_from_env("host", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=_from_env("port", 9324))
    serve.add_argument("--data-dir", type=Path, default=_from_env("data_dir", default_data_dir()))
    serve.add_argument("--account-id", default=_from_env("account_id", "000000000000"))
    serve.add_argument("--region", default=_from_env("region", "us-east-1"))
    serve.add_argument(
        "--synchronous",
        choices=("FULL", "NORMAL"),
        type=str.upper,
        default=_from_env("synchronous", "FULL"),
        help="FULL (default): acknowledged writes survive power loss; NORMAL: faster, "
        "survives process crashes only",
    )
    serve.add_argument("--log-level", default=_from_env("log_level", "warning"))
    serve.add_argument(
        "--smtp-relay",
        default=_from_env("smtp_relay", None),
        metavar="HOST:PORT",
        help="send SNS email deliveries through this SMTP relay (default: record them)",
    )
    serve.add_argument(
        "--store",
        default=_from_env("store", ""),
        metavar="URL",
        help="sqlite:///path/densho.db (default: densho.db in --data-dir) or "
        "postgresql://user@host:port/database",
    )
    serve.add_argument(
        "--pg-pool-size",
        type=int,
        default=_from_env("pg_pool_size", 10),
        help="PostgreSQL: connections per node (default 10)",
    )
    migrate = commands.add_parser(
        "migrate", help="apply the PostgreSQL schema migrations, then exit"
    )
    migrate.add_argument(
        "--store",
        default=_from_env("store", ""),
        metavar="URL",
        help="postgresql://user@host:port/database",
    )
    args = parser.parse_args(argv)
    if args.command == "migrate":
        if not args.store:
            parser.error("migrate needs --store postgresql://... (or DENSHO_STORE)")
        return args.command, Settings(store=args.store)
    settings = Settings(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        account_id=args.account_id,
        region=args.region,
        synchronous=args.synchronous,
        log_level=args.log_level,
        smtp_relay=args.smtp_relay,
        store=args.store,
        pg_pool_size=args.pg_pool_size,
    )
    return args.command, settings


def serve(settings: Settings) -> None:
    import uvicorn

    from densho.server import App, configure_logging

    configure_logging(settings.log_level)
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(2048)
    port = sock.getsockname()[1]
    host = f"[{settings.host}]" if family == socket.AF_INET6 else settings.host
    app = App(settings, f"http://{host}:{port}")

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

    config = uvicorn.Config(
        app,
        http="httptools",
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        lifespan="on",
        access_log=False,
        proxy_headers=False,  # densho reads no X-Forwarded-* header; skip the middleware
        log_level=settings.log_level,
        timeout_graceful_shutdown=30,
        server_header=False,
        date_header=True,
    )
    Server(config).run(sockets=[sock])


def main(argv: list[str] | None = None) -> None:
    command, settings = parse(sys.argv[1:] if argv is None else argv)
    if command == "serve":
        serve(settings)
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
