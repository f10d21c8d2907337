"""Start and stop the servers under test (densho, moto, MiniStack, the ceiling) as subprocesses
on loopback ports.

Every server gets its own log directory; ``stop`` sends SIGTERM to the PID we
started (never anything broader), waits, and only then SIGKILLs that PID.
For densho on PostgreSQL it also creates the fresh database its nodes share
and drops it afterwards (``create_database`` / ``drop_database``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
URL_RE = re.compile(rb"http://\S+")
HOST = "127.0.0.1"


class ServerError(Exception):
    pass


@dataclass
class Server:
    name: str
    url: str
    proc: subprocess.Popen[bytes]
    workdir: Path
    argv: list[str] = field(default_factory=list)
    data_dir: Path | None = None  # removed by stop()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 20) -> str:
        out: list[str] = []
        for name in ("stdout.log", "stderr.log"):
            path = self.workdir / name
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                if text:
                    out.append(f"--- {self.name} {name} (last {len(text)} lines)")
                    out.extend(text)
        return "\n".join(out)

    def alive(self) -> bool:
        return self.proc.poll() is None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _connectable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _spawn(
    name: str, argv: list[str], workdir: Path, env_extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(env_extra or {})
    with (
        open(workdir / "stdout.log", "wb") as stdout,
        open(workdir / "stderr.log", "wb") as stderr,
    ):
        return subprocess.Popen(
            argv,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,  # a ^C at the terminal is ours to handle, not theirs
        )


def _wait_ready(
    name: str, proc: subprocess.Popen[bytes], workdir: Path, url: str | None, timeout_s: float
) -> str:
    """Wait for the announced URL (when ``url`` is None) and for the port to accept."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"{name} exited with status {proc.returncode} during startup")
        if url is None:
            match = URL_RE.search((workdir / "stdout.log").read_bytes()[:4096])
            if match:
                url = match.group(0).decode().rstrip("/")
        if url is not None:
            host_port = url.removeprefix("http://").split("/", 1)[0]
            host, _, port = host_port.rpartition(":")
            if host not in (HOST, "localhost"):
                raise ServerError(f"{name} announced a non-loopback URL {url!r}")
            if _connectable(host, int(port)):
                return url
        time.sleep(0.05)
    raise ServerError(f"{name} not ready within {timeout_s:.0f}s")


def start(
    name: str,
    argv: list[str],
    *,
    url: str | None,
    timeout_s: float,
    env: Callable[[Path], dict[str, str]] | None = None,
) -> Server:
    """``env(workdir)``: variables to add to the server's environment."""
    workdir = Path(tempfile.mkdtemp(prefix=f"densho-bench-{name}-"))
    proc = _spawn(name, argv, workdir, env(workdir) if env else None)
    server = Server(name, url or "", proc, workdir, argv)
    try:
        server.url = _wait_ready(name, proc, workdir, url, timeout_s)
    except BaseException as exc:
        tail = server.log_tail()
        stop(server)
        cleanup_logs(server)  # the tail goes into the error message
        if isinstance(exc, ServerError):
            raise ServerError(f"{exc}\n{tail}") from None
        raise
    return server


def densho_argv(data_dir: str, store: str | None = None, *extra: str) -> list[str]:
    """The command line of one densho on a free loopback port (it prints its URL)."""
    return [
        sys.executable,
        "-m",
        "densho",
        "serve",
        "--host",
        HOST,
        "--port",
        "0",
        "--data-dir",
        data_dir,
        *(("--store", store) if store else ()),
        *extra,
    ]


def start_densho(
    timeout_s: float = 30.0, extra_args: Sequence[str] = (), store: str | None = None
) -> Server:
    """densho on a fresh data dir; on SQLite there, or on the ``store`` database URL."""
    data_dir = tempfile.mkdtemp(prefix="densho-bench-data-")
    argv = densho_argv(data_dir, store, *extra_args)
    try:
        server = start("densho", argv, url=None, timeout_s=timeout_s)
    except BaseException:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    server.data_dir = Path(data_dir)
    return server


def _moto_argv(port: int) -> list[str]:
    exe = Path(sys.executable).with_name("moto_server")
    if exe.exists():
        return [str(exe), "-H", HOST, "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]


def start_moto(timeout_s: float = 60.0, attempts: int = 3) -> Server:
    last: ServerError | None = None
    for _ in range(attempts):  # the port may be taken between probing and binding
        port = free_port()
        try:
            return start("moto", _moto_argv(port), url=f"http://{HOST}:{port}", timeout_s=timeout_s)
        except ServerError as exc:
            last = exc
    assert last is not None
    raise last


# MiniStack pins another botocore than densho: it lives in a venv of its own, made by
# ``scripts/_venv bench`` from pyproject.toml's dependency group bench-ministack.
MINISTACK = REPO / ".venv-ministack" / "bin" / "ministack"


def start_ministack(timeout_s: float = 60.0, attempts: int = 3) -> Server:
    """MiniStack (in memory, all its services in one process on hypercorn) on a free loopback
    port. It takes its port and bind address from the environment; LOG_LEVEL WARNING keeps
    hypercorn's access log off, as densho's is; TMPDIR is where it writes its PID file."""
    if not MINISTACK.exists():
        raise ServerError(f"{MINISTACK} missing: run `bash scripts/_venv bench`")
    last: ServerError | None = None
    for _ in range(attempts):  # the port may be taken between probing and binding
        port = free_port()

        def env(workdir: Path, port: int = port) -> dict[str, str]:
            return {
                "GATEWAY_PORT": str(port),
                "BIND_HOST": HOST,
                "LOG_LEVEL": "WARNING",
                "TMPDIR": str(workdir),
            }

        try:
            return start(
                "ministack",
                [str(MINISTACK)],
                url=f"http://{HOST}:{port}",
                timeout_s=timeout_s,
                env=env,
            )
        except ServerError as exc:
            last = exc
    assert last is not None
    raise last


def start_ceiling(timeout_s: float = 30.0) -> Server:
    argv = [sys.executable, "-m", "bench.ceiling", "--host", HOST, "--port", "0"]
    return start("ceiling", argv, url=None, timeout_s=timeout_s)


def stop(server: Server, timeout_s: float = 10.0) -> int | None:
    """SIGTERM the PID we started, then SIGKILL it if it lingers. Returns the exit status."""
    proc = server.proc
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(timeout=timeout_s)
    if server.data_dir is not None:
        shutil.rmtree(server.data_dir, ignore_errors=True)
    return proc.returncode


def cleanup_logs(server: Server) -> None:
    shutil.rmtree(server.workdir, ignore_errors=True)


# --------------------------------------------------------------------------- PostgreSQL

PG_SCHEMES = ("postgresql", "postgres")
PG_LOOPBACK = ("127.0.0.1", "localhost", "::1")
BENCH_DB_PREFIX = "densho_bench_"


def check_pg_url(url: str) -> str:
    """A ``postgresql://`` URL of a server on this machine (its database is only used to create
    and drop the bench's own; default ``postgres``). Loopback only: the bench creates and drops
    databases there, and reads the server's CPU use from /proc."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in PG_SCHEMES or parts.hostname not in PG_LOOPBACK:
        raise ValueError(f"need postgresql://[user@]127.0.0.1[:port][/db], got {url!r}")
    return url


def _with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def admin_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return url if parts.path.strip("/") else _with_database(url, "postgres")


async def _admin(url: str, sql: str) -> None:
    import asyncpg  # densho's own dependency

    conn = await asyncpg.connect(admin_url(url), timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_database(server_url: str) -> str:
    """A new, empty, uniquely named database on the server of ``server_url``; its URL."""
    name = BENCH_DB_PREFIX + uuid.uuid4().hex[:12]
    try:
        asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        raise ServerError(f"cannot create a database at {server_url}: {exc!r}") from exc
    return _with_database(server_url, name)


def database_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.strip("/")


def drop_database(server_url: str, url: str) -> None:
    """Drop a database :func:`create_database` made (the name is checked), connected to the
    server's own database (``server_url``): nobody can drop the database they are in."""
    name = database_name(url)
    if not name.startswith(BENCH_DB_PREFIX) or not name[len(BENCH_DB_PREFIX) :].isalnum():
        raise ValueError(f"not a bench database: {name!r}")
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
