"""The embedded SQLite store: WAL, pipelined group commit, fdatasync before every answer.

Owns: running the store operations (written once: ``base``, ``move_store``, ``sns_base``,
``outbox``, ``sns_manage_base``) submitted meanwhile in a single transaction on the loop thread
(each in its own SAVEPOINT unless it is one statement, so one failure does not undo the others),
committing without waiting for the disk, and answering the callers only after the WAL has been
fdatasynced past that commit by the syncer process (``densho.storage.syncer``). With no sync
under way, the jobs of one event-loop iteration share a transaction; while one runs, jobs
gather and go in one transaction as soon as it returns, so there is one commit per fdatasync
(fewer, fuller transactions write fewer WAL pages). Syncs complete in commit order, so an
answered commit implies every earlier one is durable. The operations of a transaction run in one
coroutine over ``SqliteTx``, whose methods never suspend: ``tx.drive`` runs it synchronously, in
one step. What only SQLite does: sends, as statements of the one writer (a standard send is one
multi-row INSERT with consecutive row ids; FIFO sequence and deduplication in SQL), and a
DeleteMessageBatch of distinct rows as one DELETE.

The operator's views (``queue_overview``, ``outbox_depths``: scans of every row) read on a
read-only connection of their own in a worker thread (``_read``): WAL lets it read a committed
snapshot while the loop's connection writes, and its statement never holds up the loop. WAL
checkpoints run in a thread of their own too (``densho.storage.checkpointer``).

Why this shape: handing each job to a writer thread, or each sync to a syncer thread, cost more
than the SQL and the sync themselves — every hand-off meant taking the GIL from the busy event
loop. SQL now runs on the loop; the only wait on the disk happens in another process, and its
answer arrives on a pipe the loop watches like a socket.
In memory (``path`` None: the ``memory`` store URL, for test runs) it is the same code on one
``:memory:`` connection, with nothing on disk: no file, lock, WAL or syncer (commits are answered
at once), and the operator's views read in the group commit like any operation, because an
in-memory database is private to the connection that made it.
Must not know: SQS semantics beyond the ``Store`` contract; HTTP; AWS errors.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import functools
import itertools
import logging
import operator
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, cast

import orjson

from densho.core import private_files
from densho.core.sns_model import PublishItem
from densho.core.sqs_model import NewMessage
from densho.core.store import Deletion, FifoSend, Handle, QueueGone, StoreUnavailable
from densho.storage import sql
from densho.storage.base import Store, by_receive, deletion_args, not_deleted
from densho.storage.checkpointer import BACKSTOP_PAGES, Checkpointer
from densho.storage.fair import GroupHints, mark_rows
from densho.storage.move_store import MoveStore
from densho.storage.outbox import by_queue, plain_publish
from densho.storage.sns_manage_base import SnsManageStore
from densho.storage.tx import NO_ARGS, Args, Op, Row, Stored, T, Tx, drive

log = logging.getLogger(__name__)

# Parameters of other types than int, float and str go through sqlite3's adaptation, which on
# Python 3.11 looks for ``__adapt__`` on its protocol class and builds (then clears) an
# AttributeError every time: ~2,000 instructions per None or bytes bound, seven or more per
# message stored (NULL columns, the sealed blob). An adapter of their own type is found first;
# both are identities (``{}.get`` answers None, ``bytes`` returns its bytes argument), so what is
# bound is unchanged. Neither type is one whose adapter turns off sqlite3's fast path.
sqlite3.register_adapter(type(None), cast("Callable[[None], None]", {}.get))
sqlite3.register_adapter(bytes, bytes)

# Failures of the disk or the file, not of the statement: the write may succeed later (space
# freed, lock released). Answered as 503 ServiceUnavailable, which clients retry.
_FAULT_CODES = frozenset(
    {
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_CANTOPEN,
    }
)


def as_fault(exc: BaseException) -> StoreUnavailable | None:
    """``exc`` as ``StoreUnavailable`` when the disk or the file failed, else None."""
    if isinstance(exc, StoreUnavailable):
        return exc
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF in _FAULT_CODES:
        return StoreUnavailable(f"{getattr(exc, 'sqlite_errorname', 'SQLITE_ERROR')}: {exc}")
    return None


Job = tuple[Op[Any], bool, "asyncio.Future[Any]"]  # (operation, single statement, caller)
Outcome = tuple[asyncio.Future[Any], bool, Any]  # (caller, succeeded, result or exception)

_Q = sql.queries(postgres=False)
# The schema's version, kept in SQLite's user_version. Bump it with every schema change, and add
# the step that brings an older database up to it.
# 2: fair queues — index messages_fair, created by schema.sql on open (the step from 1); ungrouped
#    messages of a fair queue stored with group_id '', which an older densho would not read back.
# 3: SNS delivery — tables sns_outbox, sns_recorded, sns_tokens (schema_sns_outbox.sql, created on
#    open: the step from 2).
# 4: SNS management — tables sns_platform_apps, sns_platform_endpoints, sns_sms_attributes,
#    sns_opted_out, sns_sandbox_numbers (schema_sns_manage.sql, created on open: the step from 3).
# 5: encryption at rest — tables data_keys, sealing_master (schema_sealing.sql, created on open:
#    the step from 4). Sealed values are marked, so rows written before stay readable as they are.
# 6: counters without counting — table queue_counts (schema.sql, created on open), filled by
#    counting each queue's rows once; purges deleting their rows in the background — column
#    queues.purge_seq (the step from 5 and before adds it and counts, in one transaction).
# 7: DeleteQueue deleting its rows in the background — table queues_deleting; expired FIFO
#    windows forgotten in chunks — indexes by expiry (schema.sql, created on open: the step
#    from 6). An older densho would leave a deleted queue's rows behind.
# 8: regional queues — queues unique by (account, region, name), deleted_queues by the same
#    (sql/sqlite_regions.sql rebuilds both: the step from 7 and before, in one transaction).
SCHEMA_VERSION = 8


class SqliteTx:
    """``Tx`` on the store's one connection; its coroutines never suspend.

    Row counts: ``counted`` holds the current operation's changes, ``pending`` those of the
    operations of this group commit that succeeded (``_execute`` moves them there and writes
    them all before COMMIT: one statement per queue and commit, where a trigger cost more per
    row than the insert itself). ``settle_counts`` writes them earlier, inside the operation;
    ``settled`` keeps the earlier operations' share of that, given back if it fails."""

    __slots__ = ("_conn", "counted", "pending", "settled")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.counted: dict[int, int] = {}
        self.pending: dict[int, int] = {}
        self.settled: dict[int, int] = {}

    async def execute(self, name: str, args: Args = NO_ARGS) -> int:
        return self._conn.execute(_Q[name], args).rowcount

    async def executemany(self, name: str, rows: Sequence[Args]) -> None:
        self._conn.executemany(_Q[name], rows)

    async def fetchone(self, name: str, args: Args = NO_ARGS) -> Row | None:
        row: Row | None = self._conn.execute(_Q[name], args).fetchone()
        return row

    async def fetchall(self, name: str, args: Args = NO_ARGS) -> list[Row]:
        return self._conn.execute(_Q[name], args).fetchall()

    async def fetchval(self, name: str, args: Args = NO_ARGS) -> Any:
        row = self._conn.execute(_Q[name], args).fetchone()
        return None if row is None else row[0]

    def array(self, values: list[Any]) -> str:
        return orjson.dumps(values).decode()

    def from_array(self, stored: Any) -> list[Any]:
        values: list[Any] = orjson.loads(stored)
        return values

    def wake(self, queue_id: int, count: int) -> None:
        """Nobody to tell: this process's engine wakes its own waiters."""

    def count(self, queue_id: int, delta: int) -> None:
        self.counted[queue_id] = self.counted.get(queue_id, 0) + delta

    def settle_counts(self) -> None:
        _add(self.settled, self.pending)
        _write_counts(self._conn, self.pending)
        _write_counts(self._conn, self.counted)
        self.pending, self.counted = {}, {}


class SqliteStore(Store, MoveStore, SnsManageStore):
    # One process owns the file (``open`` refuses a second): its caches are exact.
    shared = False
    cluster = None

    def __init__(self, path: Path | None, synchronous: str = "FULL") -> None:
        self._path = path  # None: in memory
        self._synchronous = synchronous if path is not None else "NORMAL"
        self._pending: list[Job] = []
        self._flush_scheduled = False
        self._conn: sqlite3.Connection | None = None
        self._lock_fd = -1  # the database file, flock()ed: one densho process per database
        # The operator's views' connection (``_read``), opened on first use; one read at a time.
        self._reader: sqlite3.Connection | None = None
        self._reading = asyncio.Lock()
        self._sqltx: SqliteTx | None = None
        self._wal_fd = -1
        self._syncer: subprocess.Popen[bytes] | None = None
        # Committed batches waiting for their fdatasync, oldest first; one token each; with
        # when each began (``on_commit``).
        self._unsynced: collections.deque[list[Outcome]] = collections.deque()
        self._began: collections.deque[float] = collections.deque()
        self._synced_all = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._groups = GroupHints()  # one writer: what it learns stays true
        # Writes failing for a reason outside densho (disk full, I/O error): what, since when
        # (logged once when it starts and once when it ends; the ready probe fails meanwhile).
        self._fault: str | None = None
        self._failed_commits = 0
        self._checkpointer: Checkpointer | None = None  # WAL checkpoints, off the event loop

    @property
    def url(self) -> str:
        return "memory" if self._path is None else f"sqlite:///{self._path}"

    def changed(self, kind: str, key: str) -> None:
        """No other node shares this store: nobody to tell."""

    # --- lifecycle ---

    async def open(self) -> None:
        if self._path is None:
            self._loop = asyncio.get_running_loop()
            self._conn = self._connect()
            self._sqltx = SqliteTx(self._conn)
            return
        if not self._path.parent.exists():
            private_files.private_dir(self._path.parent)
        # The database and (SQLite copies the database file's mode) its WAL: owner only.
        private_files.create_private(self._path)
        for companion in ("-wal", "-shm", "-journal"):
            private_files.tighten(Path(f"{self._path}{companion}"))
        self._loop = asyncio.get_running_loop()
        self._lock_fd = self._lock()
        try:
            self._conn = self._connect()
            self._sqltx = SqliteTx(self._conn)
        except BaseException:
            os.close(self._lock_fd)
            raise
        self._wal_fd = self._open_wal()
        if self._synchronous == "FULL":
            self._start_syncer()
        self._checkpointer = Checkpointer(self._path)
        self._checkpointer.start()

    def _start_syncer(self) -> None:
        assert self._loop is not None
        self._syncer = subprocess.Popen(
            [sys.executable, "-m", "densho.storage.syncer", str(self._wal_fd)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            pass_fds=(self._wal_fd,),
        )
        assert self._syncer.stdout is not None
        os.set_blocking(self._syncer.stdout.fileno(), False)
        self._loop.add_reader(self._syncer.stdout.fileno(), self._on_synced)

    def _on_synced(self) -> None:
        """Tokens came back from the syncer: answer that many committed batches, in order."""
        syncer = self._syncer
        assert syncer is not None and syncer.stdout is not None
        try:
            tokens = os.read(syncer.stdout.fileno(), 65536)
        except BlockingIOError:
            return
        if not tokens:  # the syncer died: nothing waiting can be called durable
            self._syncer_lost()
            return
        done = time.perf_counter()
        for token in tokens:
            outcomes = self._unsynced.popleft()
            began = self._began.popleft()
            if self.on_commit is not None:
                self.on_commit(done - began)
            if token != ord("s"):
                failure = StoreUnavailable("fdatasync of the WAL failed")
                outcomes = [(fut, False, failure) for fut, _, _ in outcomes]
                self._note(failure)
            _settle(outcomes)
        if not self._unsynced:
            self._synced_all.set()
            self._flush_soon()

    def _syncer_lost(self) -> None:
        log.error("the fdatasync process exited; restarting it")
        assert self._loop is not None and self._syncer is not None
        if self._syncer.stdout is not None:
            self._loop.remove_reader(self._syncer.stdout.fileno())
        failure = StoreUnavailable("the WAL could not be synced")
        while self._unsynced:
            _settle([(fut, False, failure) for fut, _, _ in self._unsynced.popleft()])
        self._began.clear()
        self._synced_all.set()
        self._syncer = None
        self._start_syncer()
        self._flush_soon()

    async def close(self) -> None:
        if self._conn is None:
            return
        if self._pending:
            self._flush()
        if self._unsynced:
            self._synced_all.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._synced_all.wait(), timeout=10)
        syncer = self._syncer
        if syncer is not None and self._loop is not None:
            assert syncer.stdin is not None and syncer.stdout is not None
            self._loop.remove_reader(syncer.stdout.fileno())
            syncer.stdin.close()
            await asyncio.to_thread(syncer.wait, 10)
            syncer.stdout.close()
            self._syncer = None
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.stop)
            self._checkpointer = None
        async with self._reading:  # a view being read finishes first
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        self._conn.close()
        if self._path is not None:
            os.close(self._wal_fd)
            # After SQLite's own descriptors: closing it drops no lock of theirs.
            os.close(self._lock_fd)
        self._conn = self._sqltx = None

    def _lock(self) -> int:
        """Take the database file's flock (never SQLite's own fcntl locks), so that a second
        densho on the same data directory fails at start instead of sharing the file."""
        assert self._path is not None
        fd = os.open(self._path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RuntimeError(
                f"{self._path} is in use by another densho process (one server per data directory)"
            ) from None
        return fd

    def _read(self, op: Op[T]) -> asyncio.Future[T]:
        if self._path is None:  # no second connection can see an in-memory database
            return self._tx(op)
        return asyncio.ensure_future(self._read_in_thread(op))

    async def _read_in_thread(self, op: Op[T]) -> T:
        async with self._reading:
            if self._conn is None:
                raise RuntimeError("store not open")
            if self._reader is None:
                self._reader = await asyncio.to_thread(self._connect_reader)
            reader = self._reader
            return await asyncio.to_thread(lambda: drive(op(SqliteTx(reader))))

    def _connect_reader(self) -> sqlite3.Connection:
        # Opened in a worker thread, used by one worker thread at a time (``_reading``).
        conn = sqlite3.connect(
            f"file:{self._path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA query_only=1")
        return conn

    def _connect(self) -> sqlite3.Connection:
        where = ":memory:" if self._path is None else self._path
        conn = sqlite3.connect(where, isolation_level=None, check_same_thread=False)
        # SQLite's NORMAL locking mode (not EXCLUSIVE, which keeps the WAL index in process
        # memory and the file locked): the operator's views read on a second connection
        # (``_read``). It costs a few file-lock calls per transaction — one per group commit,
        # not per request. One process per database is ``_lock``'s job.
        # New databases only (a database keeps the page size it was created with): a message
        # row is often 1-2 KiB, so with 4 KiB pages a commit rewrote several half-filled pages,
        # each one WAL frame written now and copied again at the checkpoint. 16 KiB pages mean
        # fewer frames per commit; measured about 10% more SNS publishes and SendMessage calls.
        conn.execute("PRAGMA page_size=16384")
        conn.execute("PRAGMA journal_mode=WAL")
        # SQLite itself never waits for the disk on commit (NORMAL: it syncs the WAL only around
        # checkpoints). Durability of each acknowledged commit is the syncer thread's job: it
        # fdatasyncs the WAL after the commit and before the answer (see _sync_loop).
        conn.execute("PRAGMA synchronous=NORMAL")
        # Checkpoints run in their own thread (densho.storage.checkpointer); the writer, on the
        # event loop, checkpoints only if that thread falls far behind.
        conn.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA busy_timeout=5000")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            conn.close()
            raise RuntimeError(
                f"{self._path} was written by a newer densho (schema {version}; this one knows "
                f"{SCHEMA_VERSION}); refusing to open it"
            )
        conn.executescript(sql.schema())
        if version < 6:
            # Rows written before queue_counts existed (none in a new database): count them.
            conn.execute("BEGIN IMMEDIATE")
            columns = {r[1] for r in conn.execute("PRAGMA table_info(queues)")}
            if "purge_seq" not in columns:
                conn.execute("ALTER TABLE queues ADD COLUMN purge_seq INTEGER")
            conn.execute(_Q["backfill_counts"])
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        if "region" not in {r[1] for r in conn.execute("PRAGMA table_info(deleted_queues)")}:
            _migrate(conn, "sqlite_regions.sql")
        if version != SCHEMA_VERSION:
            # Only when it changes: a start on a full disk must not need a write (writes answer
            # 503 until there is room; reads and the rest of the start work meanwhile).
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        return conn

    def _open_wal(self) -> int:
        """A descriptor of the WAL file (created by the schema write above), with the directory
        entry made durable once, so a later fdatasync of the file is enough."""
        assert self._path is not None
        fd = os.open(f"{self._path}-wal", os.O_RDONLY)
        dir_fd = os.open(self._path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return fd

    def _flush(self) -> None:
        """Run every job submitted since the last flush in one transaction (on the loop)."""
        self._flush_scheduled = False
        batch, self._pending = self._pending, []
        if not batch:
            return
        conn, tx = self._conn, self._sqltx
        assert conn is not None and tx is not None
        began = time.perf_counter()
        changes = conn.total_changes
        try:
            outcomes = drive(_execute(conn, tx, batch))
        except RuntimeError as exc:  # an operation awaited something else: a bug
            log.exception("sqlite transaction abandoned")
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(fut, False, exc) for _, _, fut in batch]
        fault = next(
            (v for _, ok, v in outcomes if not ok and isinstance(v, StoreUnavailable)), None
        )
        if fault is not None:
            self._note(fault)
        elif self._fault is not None and conn.total_changes != changes:
            self._note(None)  # a write went through again
        if conn.total_changes != changes and self._checkpointer is not None:
            self._checkpointer.committed()
        syncer = self._syncer
        if syncer is None:  # NORMAL: answer at commit; the WAL reaches the disk at a checkpoint
            if self.on_commit is not None:
                self.on_commit(time.perf_counter() - began)
            _settle(outcomes)
            return
        assert syncer.stdin is not None
        self._unsynced.append(outcomes)
        self._began.append(began)
        try:
            os.write(syncer.stdin.fileno(), b"s")  # one token: "this commit, and all before"
        except OSError:
            self._syncer_lost()

    def _note(self, fault: StoreUnavailable | None) -> None:
        """Track the disk's state: one line when writes start failing, one when they work."""
        if fault is None:
            log.warning(
                "store writes succeed again (%d commits failed meanwhile)", self._failed_commits
            )
            self._fault, self._failed_commits = None, 0
            return
        if self._fault is None:
            log.error("store writes failing, answering 503 until they succeed: %s", fault)
        self._fault = str(fault)
        self._failed_commits += 1

    async def ping(self) -> None:
        """Ready only while writes work: with the disk full, reads may still answer, but
        a load balancer should send the writes elsewhere."""
        if self._fault is not None:
            raise StoreUnavailable(self._fault)
        await super().ping()

    # Not coroutines: the caller awaits the future itself, so an answer resumes one frame fewer.
    def _tx(self, op: Op[T]) -> asyncio.Future[T]:
        return self._submit(op, False)

    def _one(self, op: Op[T]) -> asyncio.Future[T]:
        return self._submit(op, True)

    def _submit(self, op: Op[T], single: bool) -> asyncio.Future[T]:
        """Run ``op`` in the next group commit; ``single`` when it writes with at most one
        statement (then it needs no savepoint of its own)."""
        loop = self._loop
        assert loop is not None, "store not open"
        fut: asyncio.Future[T] = loop.create_future()
        self._pending.append((op, single, fut))
        # While an fdatasync is under way, jobs wait for it instead (``_on_synced`` flushes
        # them): they could not be answered before the next sync anyway, and one transaction
        # per sync writes fewer pages than one per loop iteration.
        if not self._unsynced:
            self._flush_soon()
        return fut

    def _flush_soon(self) -> None:
        """Commit the pending jobs on the next loop turn: every job submitted before then shares
        the transaction (group commit)."""
        if self._pending and not self._flush_scheduled:
            assert self._loop is not None
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    # --- sends ---

    async def send(
        self, queue_id: int, messages: list[NewMessage], fifo: FifoSend | None = None
    ) -> Stored:
        rows = await self._message_rows(queue_id, messages)

        def op(tx: Tx) -> Coroutine[Any, Any, Stored]:
            return self._insert_messages(tx, queue_id, rows, fifo)

        # A standard send is one INSERT statement (``_insert_rows``): atomic by itself, so it
        # needs no savepoint in the group commit.
        single = fifo is None and len(rows) <= ROWS_PER_INSERT
        return await (self._one(op) if single else self._tx(op))

    async def _insert_messages(
        self, tx: Tx, queue_id: int, rows: list[dict[str, Any]], fifo: FifoSend | None
    ) -> Stored:
        if fifo is not None:
            return await _send_fifo(tx, queue_id, rows, fifo)
        await mark_rows(tx, self._groups, queue_id, rows)
        conn = self._conn
        assert conn is not None
        tx.count(queue_id, len(rows))
        out: Stored = []
        for start in range(0, len(rows), ROWS_PER_INSERT):
            out += _insert_rows(conn, rows[start : start + ROWS_PER_INSERT])
        return out

    def _publish_is_one_insert(self, items: list[PublishItem]) -> bool:
        """A publish of standard deliveries only (no FIFO, outbox or recorded row, no topic
        sequence), at most ``ROWS_PER_INSERT`` of them: ``_insert_fanout``'s one INSERT."""
        if not all(plain_publish(item) for item in items):
            return False
        return sum(len(item.deliveries) for item in items) <= ROWS_PER_INSERT

    async def _insert_fanout(self, tx: Tx, rows: list[tuple[int, dict[str, Any]]]) -> None:
        """An SNS publish's standard deliveries, whatever their queues, with one multi-row
        INSERT (``_insert_rows``) instead of one per queue: the statement carries each row's
        queue. No queue can be gone here (one writer), so nothing needs naming."""
        for queue_id, queue_rows in by_queue(rows).items():
            await mark_rows(tx, self._groups, queue_id, queue_rows)
            tx.count(queue_id, len(queue_rows))
        conn = self._conn
        assert conn is not None
        flat = [row for _, row in rows]
        for start in range(0, len(flat), ROWS_PER_INSERT):
            _insert_rows(conn, flat[start : start + ROWS_PER_INSERT])

    # --- deletes ---

    async def delete_messages(
        self, handles: list[Handle], in_flight_at_ms: int | None = None
    ) -> list[Deletion]:
        """As ``Store.delete_messages``; a batch of distinct rows of one queue (DeleteMessageBatch)
        with one DELETE statement, bound by position, instead of one per handle."""
        if len(handles) < 2:  # DeleteMessage: one statement of its own
            return await super().delete_messages(handles, in_flight_at_ms)
        queue_id = handles[0].queue_id
        seqs = [h.seq for h in handles]
        if (
            len(handles) > ROWS_PER_DELETE
            or len(set(seqs)) != len(seqs)
            or any(h.queue_id != queue_id for h in handles)
        ):
            return await super().delete_messages(handles, in_flight_at_ms)
        # Each handle binds only the column that names it (``by_receive``): no NULL for the
        # other, as each NULL bound costs sqlite3 an adapter lookup.
        nonces = tuple(by_receive(h, in_flight_at_ms) for h in handles)
        args: list[Any] = [*seqs, queue_id]
        for h, nonce in zip(handles, nonces, strict=True):
            args += (h.seq, h.nonce if nonce else h.message_id)
        args.append(deletion_args(handles[0], in_flight_at_ms)["in_flight_at"])
        statement = _delete_statement(nonces)
        conn = self._conn
        assert conn is not None

        async def op(tx: Tx) -> list[Deletion]:
            deleted = {row[0] for row in conn.execute(statement, args)}
            tx.count(queue_id, -len(deleted))
            return [
                "deleted" if h.seq in deleted else await not_deleted(tx, h, in_flight_at_ms)
                for h in handles
            ]

        # Without in_flight_at_ms a handle that deleted nothing found its message gone, with no
        # query: the operation is the one statement, which needs no savepoint.
        return await (self._one(op) if in_flight_at_ms is None else self._tx(op))


# Standard sends: the rows of a send go in with one multi-row INSERT of ``insert_message``'s
# columns, bound by position. Against a named INSERT per row (executemany) it saves a statement
# step and a name lookup per column of every row, and the row ids need no query of their own.
# 64 rows x 14 columns stay below SQLite's smallest limit on bound variables (999).
ROWS_PER_INSERT = 64
_INSERT_HEAD, _INSERT_VALUES = _Q["insert_message"].rstrip(";").split("VALUES")
_INSERT_KEYS = re.findall(r":(\w+)", _INSERT_VALUES)
_insert_values = operator.itemgetter(*_INSERT_KEYS)
_INSERT_ROW = "(" + ",".join("?" * len(_INSERT_KEYS)) + ")"


_NONES = (None,) * len(_INSERT_KEYS)


@functools.lru_cache(maxsize=256)
def _insert_statement(count: int, nulls: tuple[bool, ...] | None = None) -> str:
    """The INSERT of ``count`` message rows, parameters by position; with ``nulls``, the
    columns it marks are NULL in every row, written so rather than bound."""
    row = _INSERT_ROW
    if nulls is not None:
        row = "(" + ",".join("NULL" if null else "?" for null in nulls) + ")"
    return f"{_INSERT_HEAD}VALUES {','.join([row] * count)}"


def _insert_rows(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> Stored:
    """Insert message rows with one statement; (message id, row id) of each."""
    values = list(map(_insert_values, rows))
    # Most of a row's columns are often NULL (no attributes, no group): when the same ones are
    # in every row, they are NULL in the statement instead of bound, because sqlite3 binds each
    # None through an adapter lookup (~1,200 instructions; six or more per message).
    nulls = tuple(map(operator.is_, values[0], _NONES))
    if any(nulls) and all(tuple(map(operator.is_, v, _NONES)) == nulls for v in values[1:]):
        statement = _insert_statement(len(rows), nulls)
        args = [v for v in itertools.chain.from_iterable(values) if v is not None]
    else:
        statement = _insert_statement(len(rows))
        args = list(itertools.chain.from_iterable(values))
    last = conn.execute(statement, args).lastrowid or 0
    # One connection writes, and one statement inserts its rows in order: consecutive row ids.
    first = last - len(rows) + 1
    return [(row["message_id"], first + i) for i, row in enumerate(rows)]


# DeleteMessageBatch: ``delete_message``'s test per handle, for up to this many rows in one
# statement: each row by its row id (the IN list, so SQLite seeks each one), then the handle
# of that row names its message (by id or by the nonce of its receive), in flight at the time
# given. The rows it deleted come back, so each handle's outcome is known. NOT INDEXED: the
# planner would otherwise walk the queue's rows in flight (messages_by_visibility) to find ten.
ROWS_PER_DELETE = 64


@functools.lru_cache(maxsize=256)  # a shape per mix of handle kinds: nearly always all by id
def _delete_statement(by_receive: tuple[bool, ...]) -> str:
    """The DELETE of distinct rows of one queue, one per handle, parameters by position: the row
    ids, the queue, (row id, message id or nonce) of each handle (``by_receive``: the nonce),
    the in-flight time."""
    rows = ",".join("?" * len(by_receive))
    named = " ".join(
        "WHEN ? THEN nonce = ?" if nonce else "WHEN ? THEN message_id = ?" for nonce in by_receive
    )
    return (
        f"DELETE FROM messages NOT INDEXED WHERE seq IN ({rows}) AND queue_id = ? "
        f"AND CASE seq {named} ELSE 0 END AND visible_ms > ? RETURNING seq"
    )


async def _send_fifo(tx: Tx, queue_id: int, rows: list[dict[str, Any]], fifo: FifoSend) -> Stored:
    out: Stored = []
    for row in rows:
        # The sequence number is taken first, so the common case (a new id) costs two
        # statements besides the insert; a duplicate leaves a gap, and gaps are allowed.
        seq = await tx.fetchval("next_fifo_seq", {"queue_id": queue_id})
        if seq is None:
            raise QueueGone(queue_id)
        key = {
            "queue_id": queue_id,
            "scope": row["group_id"] if fifo.by_group else "",
            "dedup_id": row["dedup_id"],
            "now": fifo.now_ms,
            "message_id": row["message_id"],
            "fifo_seq": seq,
            "expires": fifo.now_ms + fifo.window_ms,
        }
        if await tx.fetchone("claim_dedup", key) is None:
            # Seen within the window: accepted, not enqueued again; AWS answers as before.
            duplicate = await tx.fetchone("find_duplicate", key)
            assert duplicate is not None
            out.append((duplicate[0], duplicate[1]))
            continue
        await tx.execute("insert_message", {**row, "fifo_seq": seq})
        tx.count(queue_id, 1)
        out.append((row["message_id"], seq))
    return out


async def _execute(conn: sqlite3.Connection, tx: SqliteTx, batch: list[Job]) -> list[Outcome]:
    """One group commit: every operation of the batch, awaited in turn in this one coroutine
    (``drive`` runs it: nothing in it suspends)."""
    outcomes: list[Outcome] = []
    tx.pending = {}
    try:
        conn.execute("BEGIN IMMEDIATE")
        for op, single, fut in batch:
            tx.counted, tx.settled = {}, {}
            if single:
                # One write statement: SQLite undoes a failed statement by itself without
                # aborting the transaction, so no savepoint is needed.
                try:
                    outcomes.append((fut, True, await op(tx)))
                except Exception as exc:
                    if not conn.in_transaction:
                        raise
                    outcomes.append((fut, False, as_fault(exc) or exc))
                    continue
                _add(tx.pending, tx.counted)
                continue
            conn.execute("SAVEPOINT job")
            try:
                result = await op(tx)
            except Exception as exc:
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                outcomes.append((fut, False, as_fault(exc) or exc))
                _add(tx.pending, tx.settled)  # written inside the job: undone with it
            else:
                conn.execute("RELEASE job")
                outcomes.append((fut, True, result))
                _add(tx.pending, tx.counted)
        _write_counts(conn, tx.pending)
        tx.pending, tx.counted, tx.settled = {}, {}, {}
        conn.execute("COMMIT")
    except Exception as exc:  # the commit itself failed: nobody's write is acknowledged
        fault = as_fault(exc)
        if fault is None:  # a bug, not the disk (the disk's faults are logged by the store)
            log.exception("sqlite transaction failed")
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        failure = fault or exc
        return [(fut, False, failure) for _, _, fut in batch]
    return outcomes


def _migrate(conn: sqlite3.Connection, script: str) -> None:
    """Run a migration script (its own BEGIN ... COMMIT: all of it, or none of it)."""
    try:
        conn.executescript(sql.read(script))
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _add(into: dict[int, int], counted: dict[int, int]) -> None:
    for queue_id, delta in counted.items():
        into[queue_id] = into.get(queue_id, 0) + delta


def _write_counts(conn: sqlite3.Connection, counted: dict[int, int]) -> None:
    """Changes to queues' row counts: one statement per queue, whatever the number of rows."""
    for queue_id, delta in counted.items():
        if delta:
            conn.execute(_Q["add_counts"], {"queue_id": queue_id, "delta": delta})


def _settle(outcomes: list[Outcome]) -> None:
    for fut, ok, value in outcomes:
        if fut.done():  # the caller went away (cancelled); its write is committed regardless
            continue
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)
