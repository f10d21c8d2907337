"""PostgreSQL's side of a ``--densho-store`` run, for the bench's node model: its CPU per role,
its commit and WAL counters, and how long one WAL flush takes on this disk.

Owns: telling PostgreSQL's processes apart by their process titles (a backend of a bench
database, the WAL writer, the checkpointer, the rest of its background processes), reading the
cumulative counters (``pg_stat_wal``, ``pg_stat_database``) that the model divides by messages,
and timing ``fdatasync`` (PostgreSQL 15 here flushes its WAL with ``fdatasync``) on the file
system of the server's data directory.
Must not know: scenarios, targets, the model's arithmetic (bench/model.py).

Why the counters are read from a thread: the probes run inside the loader's event loop, which
cannot run another; asyncpg (densho's own dependency) runs a loop of its own in the thread.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor

from bench import servers

CLK_TCK = os.sysconf("SC_CLK_TCK")

# A PostgreSQL backend's process title: "postgres: [cluster: ]USER DATABASE HOST(PORT) STATE".
PG_BACKEND_TITLE = re.compile(r"(?:^|: )\S+ (\S+) (?:\S+\(\d+\)|\[local\])(?: |$)")
# The roles the model keeps apart: "backends" do the statements (and most commits' WAL
# flushes: a committing backend flushes for itself and the commits waiting with it); the WAL
# writer flushes in the background; the checkpointer writes dirty pages; "other" is the
# postmaster, background writer, autovacuum and the rest.
ROLES = ("backends", "walwriter", "checkpointer", "other")

# Counters PostgreSQL keeps (cumulative); the model uses their differences over a run.
COUNTERS_SQL = """
SELECT w.wal_records, w.wal_fpi, w.wal_bytes, w.wal_write, w.wal_sync,
       w.wal_write_time, w.wal_sync_time, d.xact_commit, d.xact_rollback
FROM pg_stat_wal AS w, pg_stat_database AS d
WHERE d.datname = $1
"""
# PostgreSQL backends publish their statistics at most once a second (and when they go idle),
# so a counter read right after a run misses its last second; reading it this long after the
# run, with the loader quiet, catches it. Likewise before a run, for the setup's work.
SETTLE_S = 1.2


def process_cpu_s(pid: int | None) -> float:
    """utime + stime of a process (all its threads), from /proc; 0 if unknown or gone."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def role(title: str, databases: Collection[str]) -> str:
    """The model's role of a PostgreSQL process from its title (``/proc/PID/cmdline``);
    "foreign" for a backend of another database (someone else's work, kept apart: it shares the
    server's WAL counters)."""
    if not title.startswith("postgres: "):
        return "other"  # the postmaster: its command line, not a title
    rest = title.removeprefix("postgres: ")
    backend = PG_BACKEND_TITLE.search(rest)
    if backend:
        return "backends" if backend.group(1) in databases else "foreign"
    if rest.endswith("walwriter") or "walwriter " in rest:
        return "walwriter"
    if "checkpointer" in rest:
        return "checkpointer"
    return "other"


def cpu_by_role(databases: Collection[str]) -> dict[str, float]:
    """CPU seconds so far of this machine's PostgreSQL processes that work for the bench's
    ``databases``, per role (:data:`ROLES`), and of the backends of other databases
    ("foreign")."""
    out = dict.fromkeys((*ROLES, "foreign"), 0.0)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/comm", "rb") as f:
                if f.read().strip() != b"postgres":
                    continue
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                title = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        out[role(title, databases)] += process_cpu_s(int(entry.name))
    return out


async def _read_counters(server_url: str, database: str) -> dict[str, float]:
    import asyncpg  # densho's own dependency

    # Connected to the server's own database, so reading adds no commit to the bench's.
    conn = await asyncpg.connect(servers.admin_url(server_url), timeout=10)
    try:
        row = await conn.fetchrow(COUNTERS_SQL, database)
    finally:
        await conn.close()
    return {} if row is None else {k: float(v) for k, v in dict(row).items()}


def counters(server_url: str, database: str) -> dict[str, float]:
    """PostgreSQL's WAL counters (``pg_stat_wal``: the whole server) and the commits of
    ``database`` (``pg_stat_database``); {} when they cannot be read."""
    with ThreadPoolExecutor(1) as pool:
        try:
            return pool.submit(asyncio.run, _read_counters(server_url, database)).result(15)
        except Exception:
            return {}


async def _time_wal_io(server_url: str, database: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(servers.admin_url(server_url), timeout=10)
    try:
        await conn.execute(f'ALTER DATABASE "{database}" SET track_wal_io_timing = on')
    finally:
        await conn.close()


def time_wal_io(server_url: str, database: str) -> bool:
    """Have the sessions of the bench's ``database`` (made by the bench, before its nodes
    connect) time their WAL writes and flushes, so ``pg_stat_wal.wal_sync_time`` shows what a
    flush took during the runs; False if not allowed (not a superuser). The WAL writer and other
    databases' sessions stay untimed, though their flushes count in ``wal_sync``: the mean
    from these two is a lower bound."""
    try:
        asyncio.run(_time_wal_io(server_url, database))
    except Exception:
        return False
    return True


def fsync_ms(directory: str | None = None, count: int = 200, max_s: float = 2.0) -> float | None:
    """Median time of one 8 KiB write + ``fdatasync`` (a WAL flush's disk work), in ms, timed
    ``count`` times (bounded by ``max_s``) in a temporary file in ``directory``; None if it
    cannot be measured."""
    times: list[float] = []
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix="densho-bench-fsync-") as f:
            block = b"\0" * 8192
            deadline = time.perf_counter() + max_s
            for i in range(count):
                start = time.perf_counter()
                os.pwrite(f.fileno(), block, (i % 64) * 8192)
                os.fdatasync(f.fileno())
                end = time.perf_counter()
                times.append(end - start)
                if end > deadline:
                    break
    except OSError:
        return None
    times.sort()
    return 1000 * times[len(times) // 2] if times else None
