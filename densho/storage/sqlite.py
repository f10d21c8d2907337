"""The embedded SQLite store: WAL, pipelined group commit, fdatasync before every answer.

Owns: running the storage jobs submitted meanwhile in a single transaction on the loop thread
(each in its own SAVEPOINT unless it is one statement, so one failure does not undo the others),
committing without waiting for the disk, and answering the callers only after the WAL has been
fdatasynced past that commit by the syncer process (``densho.storage.syncer``). With no sync
under way, the jobs of one event-loop iteration share a transaction; while one runs, jobs
gather and go in one transaction as soon as it returns, so there is one commit per fdatasync
(fewer, fuller transactions write fewer WAL pages). Syncs complete in commit order, so an
answered commit implies every earlier one is durable.

Why this shape: handing each job to a writer thread, or each sync to a syncer thread, cost more
than the SQL and the sync themselves — every hand-off meant taking the GIL from the busy event
loop. SQL now runs on the loop; the only wait on the disk happens in another process, and its
answer arrives on a pipe the loop watches like a socket.
Must not know: SQS semantics beyond the ``Store`` contract; HTTP; AWS errors.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson

from densho.core.move_model import MoveStep
from densho.core.sqs_model import NewMessage, Queue, QueueCounts, ReceivedMessage
from densho.core.store import Claim, FifoSend, Handle, Lease, QueueGone
from densho.storage import sql, sqlite_fair
from densho.storage.rows import message_row, queue_args, queue_from_row, received_from_row
from densho.storage.sqlite_moves import SqliteMoveTasks
from densho.storage.sqlite_outbox import SqliteOutbox
from densho.storage.sqlite_sns import SqliteSns
from densho.storage.sqlite_sns_manage import SqliteSnsManage

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]
Outcome = tuple[asyncio.Future[Any], bool, Any]  # (caller, succeeded, result or exception)

_Q = sql.queries()
# The schema's version, kept in SQLite's user_version. Bump it with every schema change, and add
# the step that brings an older database up to it.
# 2: fair queues — index messages_fair, created by schema.sql on open (the step from 1); ungrouped
#    messages of a fair queue stored with group_id '', which an older densho would not read back.
# 3: SNS delivery — tables sns_outbox, sns_recorded, sns_tokens (schema_sns_outbox.sql, created on
#    open: the step from 2).
# 4: SNS management — tables sns_platform_apps, sns_platform_endpoints, sns_sms_attributes,
#    sns_opted_out, sns_sandbox_numbers (schema_sns_manage.sql, created on open: the step from 3).
SCHEMA_VERSION = 4


class SqliteStore(SqliteMoveTasks, SqliteSns, SqliteOutbox, SqliteSnsManage):
    # One process owns the file (``open`` refuses a second): its caches are exact.
    shared = False

    def __init__(self, path: Path, synchronous: str = "FULL") -> None:
        self._path = path
        self._synchronous = synchronous
        self._pending: list[tuple[Job, bool, asyncio.Future[Any]]] = []
        self._flush_scheduled = False
        self._conn: sqlite3.Connection | None = None
        self._wal_fd = -1
        self._syncer: subprocess.Popen[bytes] | None = None
        # Committed batches waiting for their fdatasync, oldest first; one token each.
        self._unsynced: collections.deque[list[Outcome]] = collections.deque()
        self._synced_all = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        # Fair queues (sqlite_fair): per standard queue, whether it holds message groups — False
        # keeps its receives on the one-statement claim; missing means "look" (one index seek).
        # Only a hint for scheduling: a stale value changes which messages come first, never
        # whether a message is delivered. Set by sends with a group, dropped where rows move in.
        self._grouped: dict[int, bool] = {}
        self._fair_cursor: dict[int, str] = {}  # per fair queue: where the group scan resumes

    @property
    def url(self) -> str:
        return f"sqlite:///{self._path}"

    def changed(self, kind: str, key: str) -> None:
        """No other node shares this store: nobody to tell."""

    # --- lifecycle ---

    async def open(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._loop = asyncio.get_running_loop()
        try:
            self._conn = self._connect()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise RuntimeError(
                    f"{self._path} is in use by another densho process (one server per data "
                    "directory)"
                ) from None
            raise
        self._wal_fd = self._open_wal()
        if self._synchronous == "FULL":
            self._start_syncer()

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
        for token in tokens:
            outcomes = self._unsynced.popleft()
            if token != ord("s"):
                failure = OSError("fdatasync of the WAL failed")
                outcomes = [(fut, False, failure) for fut, _, _ in outcomes]
            _settle(outcomes)
        if not self._unsynced:
            self._synced_all.set()
            self._flush_soon()

    def _syncer_lost(self) -> None:
        log.error("the fdatasync process exited; restarting it")
        assert self._loop is not None and self._syncer is not None
        if self._syncer.stdout is not None:
            self._loop.remove_reader(self._syncer.stdout.fileno())
        failure = OSError("the WAL could not be synced")
        while self._unsynced:
            _settle([(fut, False, failure) for fut, _, _ in self._unsynced.popleft()])
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
        self._conn.close()
        os.close(self._wal_fd)
        self._conn = None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        # One densho process owns the database: no file locks per transaction, the WAL index in
        # process memory, and a second server on the same data directory fails at start instead
        # of sharing the file.
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
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
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        return conn

    def _open_wal(self) -> int:
        """A descriptor of the WAL file (created by the schema write above), with the directory
        entry made durable once, so a later fdatasync of the file is enough."""
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
        assert self._conn is not None
        outcomes = self._execute(self._conn, batch)
        syncer = self._syncer
        if syncer is None:  # NORMAL: answer at commit; the WAL reaches the disk at a checkpoint
            _settle(outcomes)
            return
        assert syncer.stdin is not None
        self._unsynced.append(outcomes)
        try:
            os.write(syncer.stdin.fileno(), b"s")  # one token: "this commit, and all before"
        except OSError:
            self._syncer_lost()

    @staticmethod
    def _execute(
        conn: sqlite3.Connection, batch: list[tuple[Job, bool, asyncio.Future[Any]]]
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job, single, fut in batch:
                if single:
                    # One write statement: SQLite undoes a failed statement by itself without
                    # aborting the transaction, so no savepoint is needed.
                    try:
                        outcomes.append((fut, True, job(conn)))
                    except sqlite3.DatabaseError as exc:
                        if not conn.in_transaction:
                            raise
                        outcomes.append((fut, False, exc))
                    continue
                conn.execute("SAVEPOINT job")
                try:
                    result = job(conn)
                except Exception as exc:
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    outcomes.append((fut, False, exc))
                else:
                    conn.execute("RELEASE job")
                    outcomes.append((fut, True, result))
            conn.execute("COMMIT")
        except Exception as exc:  # the commit itself failed: nobody's write is acknowledged
            log.exception("sqlite transaction failed")
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return [(fut, False, exc) for _, _, fut in batch]
        return outcomes

    async def _call(self, job: Callable[[sqlite3.Connection], T], single: bool = False) -> T:
        """Run ``job`` in the next group commit; ``single`` when it writes with at most one
        statement (then it needs no savepoint of its own)."""
        loop = self._loop
        assert loop is not None, "store not open"
        fut: asyncio.Future[T] = loop.create_future()
        self._pending.append((job, single, fut))
        # While an fdatasync is under way, jobs wait for it instead (``_on_synced`` flushes
        # them): they could not be answered before the next sync anyway, and one transaction
        # per sync writes fewer pages than one per loop iteration.
        if not self._unsynced:
            self._flush_soon()
        return await fut

    def _flush_soon(self) -> None:
        """Commit the pending jobs on the next loop turn: every job submitted before then shares
        the transaction (group commit)."""
        if self._pending and not self._flush_scheduled:
            assert self._loop is not None
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    # --- queues ---

    async def create_queue(
        self,
        account: str,
        name: str,
        region: str,
        attributes: dict[str, str],
        tags: dict[str, str],
        now_ms: int,
    ) -> tuple[Queue, bool]:
        args = queue_args(account, name, region, attributes, tags, now_ms)

        def job(conn: sqlite3.Connection) -> tuple[Queue, bool]:
            created = conn.execute(_Q["insert_queue"], args).rowcount == 1
            row = conn.execute(_Q["get_queue"], args).fetchone()
            return queue_from_row(row), created

        return await self._call(job)

    async def get_queue(self, account: str, name: str) -> Queue | None:
        def job(conn: sqlite3.Connection) -> Queue | None:
            row = conn.execute(_Q["get_queue"], {"account": account, "name": name}).fetchone()
            return None if row is None else queue_from_row(row)

        return await self._call(job, single=True)

    async def list_queues(self, account: str, prefix: str) -> list[Queue]:
        args = {"account": account, "prefix": prefix, "plen": len(prefix)}

        def job(conn: sqlite3.Connection) -> list[Queue]:
            return [queue_from_row(r) for r in conn.execute(_Q["list_queues"], args)]

        return await self._call(job)

    async def all_queues(self) -> list[Queue]:
        def job(conn: sqlite3.Connection) -> list[Queue]:
            return [queue_from_row(r) for r in conn.execute(_Q["all_queues"])]

        return await self._call(job)

    async def delete_queue(self, queue_id: int, now_ms: int) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(_Q["delete_queue_messages"], {"queue_id": queue_id})
            conn.execute(_Q["forget_queue_windows"], {"queue_id": queue_id})
            conn.execute(_Q["forget_queue_attempts"], {"queue_id": queue_id})
            row = conn.execute(_Q["delete_queue"], {"queue_id": queue_id}).fetchone()
            if row is not None:
                conn.execute(
                    _Q["remember_deleted"], {"account": row[0], "name": row[1], "now": now_ms}
                )

        await self._call(job)

    async def deleted_since(self, account: str, name: str, since_ms: int) -> bool:
        args = {"account": account, "name": name, "since": since_ms}

        def job(conn: sqlite3.Connection) -> bool:
            return conn.execute(_Q["deleted_since"], args).fetchone() is not None

        return await self._call(job)

    async def update_queue(
        self, queue_id: int, attributes: dict[str, str], tags: dict[str, str], now_ms: int
    ) -> Queue:
        args = {
            "queue_id": queue_id,
            "attributes": orjson.dumps(attributes).decode(),
            "tags": orjson.dumps(tags).decode(),
            "now": now_ms,
        }

        def job(conn: sqlite3.Connection) -> Queue:
            row = conn.execute(_Q["update_queue"], args).fetchone()
            if row is None:
                raise QueueGone(queue_id)
            return queue_from_row(row)

        return await self._call(job)

    async def purge(self, queue_id: int, now_ms: int, interval_ms: int) -> bool:
        args = {"queue_id": queue_id, "now": now_ms}

        def job(conn: sqlite3.Connection) -> bool:
            last = conn.execute(_Q["purge_last"], args).fetchone()
            if last is None:
                raise QueueGone(queue_id)
            if last[0] is not None and last[0] > now_ms - interval_ms:
                return False
            conn.execute(_Q["purge_messages"], args)
            conn.execute(_Q["purge_dedup"], args)
            conn.execute(_Q["mark_purged"], args)
            return True

        return await self._call(job)

    # --- messages ---

    async def send(
        self, queue_id: int, messages: list[NewMessage], fifo: FifoSend | None = None
    ) -> list[tuple[str, int]]:
        rows = [message_row(queue_id, m) for m in messages]
        return await self._call(
            lambda conn: self._insert_messages(conn, queue_id, rows, fifo),
            single=fifo is None and len(rows) == 1,
        )

    def _insert_messages(
        self,
        conn: sqlite3.Connection,
        queue_id: int,
        rows: list[dict[str, Any]],
        fifo: FifoSend | None,
    ) -> list[tuple[str, int]]:
        """Insert message rows into one queue (inside a job): the one way every message is
        stored, by SendMessage, SendMessageBatch and SNS fan-out alike."""
        if fifo is not None:
            return self._send_fifo(conn, queue_id, rows, fifo)
        # Fair queues: decided when the rows go in, so no receive that ran before can undo it.
        fair = self._grouped.get(queue_id)
        if any(row["group_id"] is not None for row in rows):
            self._grouped[queue_id] = True
        elif fair is None:  # once per queue and process: a read, before any write
            fair = self._grouped[queue_id] = sqlite_fair.has_groups(conn, queue_id)
        if fair:  # a fair queue keeps its ungrouped messages in the fair index, as group ''
            for row in rows:
                if row["group_id"] is None:
                    row["group_id"] = ""
        insert = _Q["insert_message"]
        if len(rows) == 1:
            return [(rows[0]["message_id"], conn.execute(insert, rows[0]).lastrowid or 0)]
        conn.executemany(insert, rows)
        # One connection writes, so the rows just inserted got consecutive row ids.
        last = int(conn.execute("SELECT last_insert_rowid()").fetchone()[0])
        first = last - len(rows) + 1
        return [(row["message_id"], first + i) for i, row in enumerate(rows)]

    @staticmethod
    def _send_fifo(
        conn: sqlite3.Connection, queue_id: int, rows: list[dict[str, Any]], fifo: FifoSend
    ) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        for row in rows:
            # The sequence number is taken first, so the common case (a new id) costs two
            # statements besides the insert; a duplicate leaves a gap, and gaps are allowed.
            counter = conn.execute(_Q["next_fifo_seq"], {"queue_id": queue_id}).fetchone()
            if counter is None:
                raise QueueGone(queue_id)
            seq = counter[0]
            key = {
                "queue_id": queue_id,
                "scope": row["group_id"] if fifo.by_group else "",
                "dedup_id": row["dedup_id"],
                "now": fifo.now_ms,
                "message_id": row["message_id"],
                "fifo_seq": seq,
                "expires": fifo.now_ms + fifo.window_ms,
            }
            if conn.execute(_Q["claim_dedup"], key).fetchone() is None:
                # Seen within the window: accepted, not enqueued again; AWS answers as before.
                duplicate = conn.execute(_Q["find_duplicate"], key).fetchone()
                out.append((duplicate[0], duplicate[1]))
                continue
            conn.execute(_Q["insert_message"], {**row, "fifo_seq": seq})
            out.append((row["message_id"], seq))
        return out

    async def receive(self, claim: Claim) -> tuple[list[ReceivedMessage], int | None, int]:
        args: dict[str, Any] = {
            "queue_id": claim.queue_id,
            "now": claim.now_ms,
            "limit": claim.limit,
            "visible_until": claim.visible_until_ms,
            "cutoff": claim.retention_cutoff_ms,
            "nonce": claim.nonce,
            "target": claim.dead_letter_queue_id,
        }
        if claim.fifo:
            rows, next_visible, moved = await self._call(
                lambda conn: self._claim_fifo(conn, args, claim)
            )
        elif self._grouped.get(claim.queue_id) is not False:
            rows, next_visible, moved = await self._call(
                lambda conn: self._claim_standard(conn, args, claim)
            )
        elif claim.dead_letter_queue_id is None:
            rows, next_visible = await self._call(
                lambda conn: self._claim_plain(conn, args), single=True
            )
            moved = 0
        else:
            rows, next_visible, moved = await self._call(
                lambda conn: self._claim_redriving(conn, args, claim.max_receive_count)
            )
        if not claim.fifo:
            rows.sort(key=lambda r: r[0])
        if moved and claim.dead_letter_queue_id is not None:
            self._grouped.pop(claim.dead_letter_queue_id, None)  # it may hold groups now
        return [received_from_row(r) for r in rows], next_visible, moved

    def _claim_standard(
        self, conn: sqlite3.Connection, args: dict[str, Any], claim: Claim
    ) -> tuple[list[tuple[Any, ...]], int | None, int]:
        """A standard queue that holds message groups, or may: the fair claim, else the plain."""
        queue_id = claim.queue_id
        if self._grouped.get(queue_id) is None:
            self._grouped[queue_id] = sqlite_fair.has_groups(conn, queue_id)
        if self._grouped[queue_id]:
            claimed = self._claim_fair(conn, args, claim)
            if claimed is not None:
                return claimed
            self._grouped[queue_id] = False
        if claim.dead_letter_queue_id is None:
            rows, next_visible = self._claim_plain(conn, args)
            return rows, next_visible, 0
        return self._claim_redriving(conn, args, claim.max_receive_count)

    def _claim_fair(
        self, conn: sqlite3.Connection, args: dict[str, Any], claim: Claim
    ) -> tuple[list[tuple[Any, ...]], int | None, int] | None:
        """Fair queues: claim what ``sqlite_fair.pick`` chooses; None when the queue holds no
        message group (any more)."""
        rows: list[tuple[Any, ...]] = []
        claimed: set[int] = set()
        moved = 0
        redrive = claim.dead_letter_queue_id is not None
        cursor = self._fair_cursor.get(claim.queue_id, "")
        # Each round claims or moves what it picked; another round only after moves, because
        # they may have kept a tenant from its share. Bounded, because a receive must answer.
        for round_no in range(10):
            picked = sqlite_fair.pick(
                conn,
                args,
                claim.limit - len(rows),
                claim.max_receive_count if redrive else None,
                cursor,
                claimed,
            )
            if round_no == 0:
                if not picked.grouped:
                    return None
                self._fair_cursor[claim.queue_id] = picked.cursor
            if picked.spent:
                _move(conn, args, picked.spent)
                moved += len(picked.spent)
            if picked.chosen:
                claimed.update(picked.chosen)
                rows.extend(_claim_rows(conn, args, picked.chosen))
            if len(rows) >= claim.limit or not picked.spent:
                break
        if rows:
            return rows, None, moved
        return rows, conn.execute(_Q["next_visible"], args).fetchone()[0], moved

    @staticmethod
    def _claim_plain(
        conn: sqlite3.Connection, args: dict[str, Any]
    ) -> tuple[list[tuple[Any, ...]], int | None]:
        rows = conn.execute(_Q["claim"], args).fetchall()
        if rows:
            return rows, None
        return rows, conn.execute(_Q["next_visible"], args).fetchone()[0]

    @staticmethod
    def _claim_redriving(
        conn: sqlite3.Connection, args: dict[str, Any], max_receive_count: int
    ) -> tuple[list[tuple[Any, ...]], int | None, int]:
        moved = 0
        # Each round either claims or moves every candidate, so the candidates shrink; bounded
        # anyway, because a receive must answer.
        for _ in range(100):
            candidates = conn.execute(_Q["claim_candidates"], args).fetchall()
            if not candidates:
                break
            spent = [seq for seq, count in candidates if count >= max_receive_count]
            fresh = [seq for seq, count in candidates if count < max_receive_count]
            if spent:
                _move(conn, args, spent)
                moved += len(spent)
            if fresh:
                return _claim_rows(conn, args, fresh), None, moved
        return [], conn.execute(_Q["next_visible"], args).fetchone()[0], moved

    @staticmethod
    def _claim_fifo(
        conn: sqlite3.Connection, args: dict[str, Any], claim: Claim
    ) -> tuple[list[tuple[Any, ...]], int | None, int]:
        """FIFO: from each group's head, the prefix of messages that are visible now.

        A group whose head is in flight or delayed gives nothing, so its order holds. Heads
        received maxReceiveCount times go to the dead-letter queue first.
        """
        if claim.attempt_id is not None:
            found = conn.execute(
                _Q["find_attempt"], {**args, "attempt_id": claim.attempt_id}
            ).fetchone()
            if found is not None:  # a retry: the same messages and receipt handles again
                nonce, seqs = found
                rows = conn.execute(
                    _Q["redeliver"], {**args, "nonce": nonce, "seqs": seqs}
                ).fetchall()
                order = {seq: i for i, seq in enumerate(orjson.loads(seqs))}
                rows.sort(key=lambda r: order[r[0]])
                return rows, None, 0
        chosen: list[int] = []
        skip: list[str] = []
        moved = 0
        for _ in range(50):  # rounds of candidate groups; bounded, a receive must answer
            groups = list(
                dict.fromkeys(
                    g
                    for (g,) in conn.execute(
                        _Q["fifo_candidates"], {**args, "skip": orjson.dumps(skip).decode()}
                    )
                )
            )
            if not groups:
                break
            for group in groups:
                skip.append(group)
                take, spent = _walk_group(conn, args, claim, group, claim.limit - len(chosen))
                chosen.extend(take)
                if spent:
                    _move(conn, args, spent)
                    moved += len(spent)
                if len(chosen) >= claim.limit:
                    break
            if len(chosen) >= claim.limit:
                break
        if not chosen:
            return [], conn.execute(_Q["next_visible"], args).fetchone()[0], moved
        rows = _claim_rows(conn, args, chosen)
        order = {seq: i for i, seq in enumerate(chosen)}
        rows.sort(key=lambda r: order[r[0]])
        if claim.attempt_id is not None:
            conn.execute(
                _Q["remember_attempt"],
                {
                    **args,
                    "attempt_id": claim.attempt_id,
                    "seqs": orjson.dumps(chosen).decode(),
                    "expires": claim.now_ms + claim.attempt_window_ms,
                },
            )
        return rows, None, moved

    async def delete_messages(self, handles: list[Handle]) -> list[bool]:
        stmt = _Q["delete_message"]

        def job(conn: sqlite3.Connection) -> list[bool]:
            return [
                conn.execute(
                    stmt, {"seq": h.seq, "queue_id": h.queue_id, "nonce": h.nonce}
                ).rowcount
                == 1
                for h in handles
            ]

        return await self._call(job, single=len(handles) == 1)

    async def change_visibility(
        self, changes: list[tuple[Handle, int]], now_ms: int, max_ms: int
    ) -> list[str]:
        def job(conn: sqlite3.Connection) -> list[str]:
            out = []
            for handle, visible_ms in changes:
                row = conn.execute(
                    _Q["visibility_row"], {"seq": handle.seq, "queue_id": handle.queue_id}
                ).fetchone()
                if row is None or row[0] != handle.nonce:
                    out.append("gone")
                elif row[1] <= now_ms:
                    out.append("not-inflight")
                elif visible_ms - (row[2] or now_ms) > max_ms:
                    out.append("too-long")
                else:
                    conn.execute(_Q["set_visibility"], {"seq": handle.seq, "visible": visible_ms})
                    out.append("ok")
            return out

        return await self._call(job)

    async def counts(self, queue_id: int, now_ms: int, retention_cutoff_ms: int) -> QueueCounts:
        args = {"queue_id": queue_id, "now": now_ms, "cutoff": retention_cutoff_ms}

        def job(conn: sqlite3.Connection) -> QueueCounts:
            visible, in_flight, delayed = conn.execute(_Q["counts"], args).fetchone()
            return QueueCounts(visible, in_flight, delayed)

        return await self._call(job, single=True)

    async def expire(self, queue_id: int, retention_cutoff_ms: int) -> int:
        args = {"queue_id": queue_id, "cutoff": retention_cutoff_ms}

        def job(conn: sqlite3.Connection) -> int:
            return int(conn.execute(_Q["expire"], args).rowcount)

        return await self._call(job, single=True)

    async def expire_windows(self, now_ms: int) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(_Q["expire_dedup"], {"now": now_ms})
            conn.execute(_Q["expire_attempts"], {"now": now_ms})

        await self._call(job)

    async def move_chunk(
        self,
        task_id: str,
        now_ms: int,
        limit: int,
        retention_cutoff_ms: int,
        message_ids: list[str],
        fifo: bool,
        lease: Lease,
    ) -> MoveStep | None:
        step = await super().move_chunk(
            task_id, now_ms, limit, retention_cutoff_ms, message_ids, fifo, lease
        )
        if step is not None:
            for target in step.targets:
                self._grouped.pop(target, None)  # it may hold message groups now
        return step


def _walk_group(
    conn: sqlite3.Connection, args: dict[str, Any], claim: Claim, group: str, need: int
) -> tuple[list[int], list[int]]:
    """(rows to deliver, rows to dead-letter) of one FIFO group, in order.

    Messages of a group are received in order, so the ones received before form a prefix of
    the group. Any of them in flight locks the whole group. Otherwise deliver visible rows from
    the head, stopping at the first delayed one, so the group's order holds.
    """
    take: list[int] = []
    spent: list[int] = []
    after = -1
    redrive = claim.dead_letter_queue_id is not None
    for _ in range(1000):  # pages of the group; bounded
        page = conn.execute(
            _Q["group_head"], {**args, "group_id": group, "after": after, "limit": need + 10}
        ).fetchall()
        for seq, visible_ms, receive_count in page:
            after = seq
            if visible_ms > claim.now_ms:
                if receive_count > 0:  # in flight: the group is locked
                    return [], []
                return take, spent  # delayed: later messages wait behind it
            if len(take) >= need and receive_count == 0:
                return take, spent  # enough, and past every row that could be in flight
            if redrive and receive_count >= claim.max_receive_count:
                spent.append(seq)
            elif len(take) < need:
                take.append(seq)
        if len(page) < need + 10:
            break
    return take, spent


def _move(conn: sqlite3.Connection, args: dict[str, Any], seqs: list[int]) -> None:
    conn.execute(_Q["move_to_queue"], {**args, "seqs": orjson.dumps(seqs).decode()})


def _claim_rows(
    conn: sqlite3.Connection, args: dict[str, Any], seqs: list[int]
) -> list[tuple[Any, ...]]:
    return conn.execute(_Q["claim_rows"], {**args, "seqs": orjson.dumps(seqs).decode()}).fetchall()


def _settle(outcomes: list[Outcome]) -> None:
    for fut, ok, value in outcomes:
        if fut.done():  # the caller went away (cancelled); its write is committed regardless
            continue
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)
