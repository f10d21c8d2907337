"""The faults a fault run injects, each for a given time, each leaving things healthy after.

Owns: crashing and restarting a densho node (``kill -9``, same data, same port), pausing it
(``SIGSTOP`` past the visibility timeout, then ``SIGCONT``), filling the disk under its SQLite
data (a small tmpfs of the test's own) and freeing it, terminating its PostgreSQL connections
(``pg_terminate_backend``), holding a transaction open on its database (vacuum blocked), and a
PostgreSQL cluster of the test's own (``initdb``/``pg_ctl`` as the ``postgres`` user) to crash
and restart. Each returns how many times it struck.

Knows nothing of the workload or the checker.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import asyncpg

from tests.support.server import DenshoServer

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), Path("/nonexistent"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until(duration: float) -> Iterator[float]:
    """Yields the time left until ``duration`` from now has passed (bounded loop)."""
    end = time.monotonic() + duration
    for _ in range(100_000):
        left = end - time.monotonic()
        if left <= 0:
            return
        yield left


def kill9_and_restart(server: DenshoServer, duration: float, every: float = 1.5) -> int:
    """``kill -9`` the node every ``every`` s and restart it at once on the same data."""
    strikes = 0
    for left in _until(duration):
        time.sleep(min(every, left))
        server.kill9()
        server.start()
        strikes += 1
    return strikes


def pause(server: DenshoServer, duration: float, stopped_for: float) -> int:
    """``SIGSTOP`` the node for ``stopped_for`` s (past the visibility timeout), then
    ``SIGCONT``; again after a moment, until ``duration`` is over."""
    strikes = 0
    for left in _until(duration):
        time.sleep(min(0.5, left))
        os.kill(server.pid, signal.SIGSTOP)
        try:
            time.sleep(stopped_for)
        finally:
            os.kill(server.pid, signal.SIGCONT)
        strikes += 1
    return strikes


def fill_disk(disk: Path, duration: float, full_for: float) -> int:
    """Fill the file system of ``disk`` to the last byte for ``full_for`` s, then free it;
    again after a moment, until ``duration`` is over."""
    strikes = 0
    for left in _until(duration):
        time.sleep(min(0.5, left))
        filler = disk / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            for chunk in (b"\0" * (1 << 20), b"\0" * (1 << 12), b"\0"):
                for _ in range(1 << 16):  # bounded: 64 GiB of the largest chunk
                    try:
                        os.write(fd, chunk)
                    except OSError as exc:
                        if exc.errno != errno.ENOSPC:
                            raise
                        break
        finally:
            os.close(fd)
        try:
            time.sleep(full_for)
        finally:
            with contextlib.suppress(OSError):
                filler.unlink()
        strikes += 1
    return strikes


def _db_name(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def _admin_url(url: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/postgres"))


def terminate_backends(database: str, duration: float, every: float = 0.4) -> int:
    """``pg_terminate_backend`` every connection to ``database`` every ``every`` s."""

    async def terminate() -> int:
        conn = await asyncpg.connect(_admin_url(database), timeout=5)
        try:
            return int(
                await conn.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = $1 AND pid <> pg_backend_pid()",
                    _db_name(database),
                )
            )
        finally:
            await conn.close()

    strikes = 0
    for left in _until(duration):
        time.sleep(min(every, left))
        strikes += asyncio.run(terminate())
    return strikes


def hold_transaction(database: str, duration: float, held_for: float) -> int:
    """A transaction on ``database`` with a transaction id, open for ``held_for`` s of the
    ``duration`` (VACUUM cannot remove any row version deleted meanwhile)."""

    async def hold() -> None:
        conn = await asyncpg.connect(database, timeout=5)
        try:
            async with conn.transaction(isolation="repeatable_read"):
                await conn.fetchval("SELECT txid_current()")
                await conn.fetchval("SELECT count(*) FROM pg_class")
                await asyncio.sleep(held_for)
        finally:
            await conn.close()

    lead = max(0.0, (duration - held_for) / 2)
    time.sleep(lead)
    asyncio.run(hold())
    time.sleep(max(0.0, duration - held_for - lead))
    return 1


class PgCluster:
    """A PostgreSQL cluster of the test's own (``initdb``), on a free port, run as the
    ``postgres`` user (PostgreSQL refuses root); ``crash_and_restart()`` stops it with
    ``-m immediate`` (a crash: no shutdown checkpoint) and starts it again."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="densho-pgcluster-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
        self._run(PG_BIN / "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str | Path) -> None:
        subprocess.run(
            [*self._as_postgres, *map(str, args)],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        log = self.dir / "log"
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", log, "-w", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-w", "-m", mode, "stop")

    def create_database(self, name: str) -> str:
        async def create() -> None:
            conn = await asyncpg.connect(self.admin_url, timeout=5)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(create())
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def crash_and_restart(self, duration: float, every: float = 1.5, down_for: float = 0.5) -> int:
        strikes = 0
        for left in _until(duration):
            time.sleep(min(every, left))
            self.stop("immediate")
            time.sleep(down_for)
            self.start()
            strikes += 1
        return strikes

    def close(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
