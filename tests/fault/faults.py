"""The faults a fault run injects, each for a given time, each leaving things healthy after.

Owns: crashing and restarting a densho node (``kill -9``, same data, same port), pausing it
(``SIGSTOP`` past the visibility timeout, then ``SIGCONT``), filling the disk under its SQLite
data (a small tmpfs of the test's own) and freeing it, terminating its PostgreSQL connections
(``pg_terminate_backend``), holding a transaction open on its database (vacuum blocked), and
crashing and restarting a PostgreSQL cluster of the test's own (``tests/support/pg_cluster.py``).
Each returns how many times it struck.

Knows nothing of the workload or the checker.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import asyncpg

from tests.support.pg_cluster import PgCluster
from tests.support.server import DenshoServer


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


def crash_and_restart(
    cluster: PgCluster, duration: float, every: float = 1.5, down_for: float = 0.5
) -> int:
    """Stop ``cluster`` with ``-m immediate`` (a crash: no shutdown checkpoint) every ``every``
    s and start it again ``down_for`` s later."""
    strikes = 0
    for left in _until(duration):
        time.sleep(min(every, left))
        cluster.stop("immediate")
        time.sleep(down_for)
        cluster.start()
        strikes += 1
    return strikes
