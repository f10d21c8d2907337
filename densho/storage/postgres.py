"""The PostgreSQL store: several densho nodes on one database, each method one transaction.

Owns: the pool (asyncpg), migrations at open, the SQS queue and message methods of ``Store`` on
PostgreSQL, which commits tell the other nodes that messages may be available, and passing on
the engines' word that a cached record changed (``changed``; both through ``postgres_notify``).
Move tasks, fair-queue picks and SNS live in the ``postgres_*`` mixins.
Must not know: SQS semantics beyond the ``Store`` contract; HTTP; AWS errors.

Concurrency, since other nodes write the same rows at the same time (READ COMMITTED):
- claims lock the rows they take with ``FOR UPDATE SKIP LOCKED``: concurrent receivers on any
  node never get the same message, and never wait for each other;
- a FIFO send holds its queue's row (in ``densho_send_fifo``, migration 0005) until it commits,
  so a FIFO queue's sends take turns: deduplication sees every earlier send, the SequenceNumber
  counter in that row advances without gaps, and rows commit in row-id order (a receive never
  sees a later message of a group before an earlier one);
- a FIFO receive takes a transaction-scoped advisory lock per message group before looking at
  the group (``lock_fifo_group``), and passes over a group another receiver holds;
- an acknowledged write is a committed PostgreSQL transaction (``synchronous_commit`` as the
  server is configured; on by default: flushed to its WAL). A lost connection raises
  ``StoreUnavailable`` and nothing is acknowledged;
- a message row references its queue (a foreign key, ``ON DELETE CASCADE``): a send racing a
  DeleteQueue on another node either commits first (and its rows go with the queue) or finds the
  queue gone (``QueueGone``) — never leaves rows behind. The insert's key check takes a KEY SHARE
  lock on the queue's row, which only a DeleteQueue conflicts with.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from dataclasses import replace
from typing import Any

import asyncpg
import orjson

from densho.core.move_model import MoveStep
from densho.core.sqs_model import NewMessage, Queue, QueueCounts, ReceivedMessage
from densho.core.store import Claim, FifoSend, Handle, Lease, QueueGone, StoreUnavailable
from densho.storage import postgres_fair, postgres_migrations, sql
from densho.storage.postgres_moves import PgMoveTasks
from densho.storage.postgres_notify import Forget, Notifications, Wake
from densho.storage.postgres_outbox import PgOutbox
from densho.storage.postgres_sns import PgSns
from densho.storage.postgres_sns_manage import PgSnsManage
from densho.storage.postgres_sql import Conn, Db, compile_all
from densho.storage.rows import message_row, queue_args, queue_from_row, received_from_row

log = logging.getLogger(__name__)

_Q = compile_all(sql.queries("pg_queries.sql"))
_Stored = list[tuple[str, int]]
_Send = tuple[int, list[dict[str, Any]], "asyncio.Future[_Stored]"]
_FifoPending = tuple[list[dict[str, Any]], FifoSend, "asyncio.Future[_Stored]"]


def _fail(futs: list[asyncio.Future[_Stored]], exc: BaseException) -> None:
    """A shared statement failed: none of its sends is acknowledged."""
    for fut in futs:
        if not fut.done():
            fut.set_exception(exc)


def _answer(
    sends: list[tuple[list[dict[str, Any]], asyncio.Future[_Stored]]], stored: _Stored
) -> None:
    """Give each send of a shared statement its rows of ``stored`` (in the order they went in)."""
    start = 0
    for rows, fut in sends:
        if not fut.done():  # a cancelled caller's write is committed regardless
            fut.set_result(stored[start : start + len(rows)])
        start += len(rows)


DEFAULT_POOL_SIZE = 10
# Fair queues: how long a queue found without message groups keeps the one-statement claim
# before it is looked at again (another node's first grouped send is not told to this one).
UNGROUPED_RECHECK_S = 2.0


def redact(dsn: str) -> str:
    """The URL without its password, for logs and the ready line."""
    parts = urllib.parse.urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class PostgresStore(PgMoveTasks, PgSns, PgOutbox, PgSnsManage):
    shared = True  # several densho nodes may share the database

    def __init__(self, dsn: str, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self._dsn = dsn
        self._pool_size = pool_size
        self._db: Db | None = None
        self._notes = Notifications(dsn)
        # Fair queues, as in SqliteStore: per standard queue, whether it holds message groups
        # (a scheduling hint only). Several nodes: another node's first grouped send is not told
        # to this one, so "no groups" is believed for UNGROUPED_RECHECK_S only (``_plain``).
        self._grouped: dict[int, bool] = {}
        self._ungrouped_at: dict[int, float] = {}  # when "no groups" was last decided
        self._fair_cursor: dict[int, str] = {}
        # Group commit of standard sends: every send of one event-loop turn goes into one
        # multi-row INSERT (one round trip, one commit, one WAL flush).
        self._sends: list[_Send] = []
        self._sends_scheduled = False
        self._flushes: set[asyncio.Task[None]] = set()
        # FIFO sends, per queue: those waiting for the queue's writer task (``_write_fifo``).
        self._fifo_sends: dict[int, list[_FifoPending]] = {}
        self._fifo_writers: dict[int, asyncio.Task[None]] = {}

    @property
    def url(self) -> str:
        return redact(self._dsn)

    @property
    def db(self) -> Db:
        assert self._db is not None, "store not open"
        return self._db

    def set_wake(self, wake: Wake) -> None:
        """``wake(queue_id, count)`` is called when another node made messages of the queue
        available; ``wake(None, 0)`` when notifications may have been missed (look again)."""
        self._notes.set_wake(wake)

    def set_forget(self, forget: Forget) -> None:
        """``forget(kind, key)`` is called when another node changed a record the engines
        cache (``base.QUEUE``/``base.TOPIC``); ``forget(None, "")`` when changes may have been
        missed (drop every cached record)."""
        self._notes.set_forget(forget)

    def changed(self, kind: str, key: str) -> None:
        self._notes.changed(kind, key)

    # --- lifecycle ---

    async def open(self) -> None:
        applied = await postgres_migrations.migrate_url(self._dsn)
        if applied:
            log.warning("applied schema migrations %s to %s", applied, self.url)
        pool = await asyncpg.create_pool(
            self._dsn,
            min_size=min(2, self._pool_size),
            max_size=self._pool_size,
            timeout=5,  # connecting
            command_timeout=60,
            statement_cache_size=256,
            server_settings={"application_name": "densho"},
            reset=_keep_session,
        )
        assert pool is not None
        self._db = Db(pool)
        await self._notes.start()

    async def close(self) -> None:
        if self._flushes:  # sends already submitted get their answer before the pool closes
            await asyncio.wait(list(self._flushes), timeout=5)
        await self._notes.close()
        if self._db is not None:
            try:
                await asyncpg_close(self._db.pool)
            finally:
                self._db = None

    def _available(self, queue_id: int, count: int) -> None:
        """Committed: ``count`` messages of the queue may be available — tell the other nodes."""
        if count > 0:
            self._notes.publish(queue_id, count)

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
        async with self.db.tx() as c:
            created = await c.execute(_Q["insert_queue"], args) == 1
            row = await c.fetchrow(_Q["get_queue"], args)
        assert row is not None
        return queue_from_row(tuple(row)), created

    async def get_queue(self, account: str, name: str) -> Queue | None:
        async with self.db.one() as c:
            row = await c.fetchrow(_Q["get_queue"], {"account": account, "name": name})
        return None if row is None else queue_from_row(tuple(row))

    async def list_queues(self, account: str, prefix: str) -> list[Queue]:
        args = {"account": account, "prefix": prefix, "plen": len(prefix)}
        async with self.db.one() as c:
            return [queue_from_row(tuple(r)) for r in await c.fetch(_Q["list_queues"], args)]

    async def all_queues(self) -> list[Queue]:
        async with self.db.one() as c:
            return [queue_from_row(tuple(r)) for r in await c.fetch(_Q["all_queues"], {})]

    async def delete_queue(self, queue_id: int, now_ms: int) -> None:
        args = {"queue_id": queue_id}
        async with self.db.tx() as c:
            await c.execute(_Q["delete_queue_messages"], args)
            await c.execute(_Q["forget_queue_windows"], args)
            await c.execute(_Q["forget_queue_attempts"], args)
            row = await c.fetchrow(_Q["delete_queue"], args)
            if row is not None:
                await c.execute(
                    _Q["remember_deleted"], {"account": row[0], "name": row[1], "now": now_ms}
                )
        self._grouped.pop(queue_id, None)
        self._ungrouped_at.pop(queue_id, None)
        self._fair_cursor.pop(queue_id, None)

    async def deleted_since(self, account: str, name: str, since_ms: int) -> bool:
        args = {"account": account, "name": name, "since": since_ms}
        async with self.db.one() as c:
            return await c.fetchrow(_Q["deleted_since"], args) is not None

    async def update_queue(
        self, queue_id: int, attributes: dict[str, str], tags: dict[str, str], now_ms: int
    ) -> Queue:
        args = {
            "queue_id": queue_id,
            "attributes": orjson.dumps(attributes).decode(),
            "tags": orjson.dumps(tags).decode(),
            "now": now_ms,
        }
        async with self.db.one() as c:
            row = await c.fetchrow(_Q["update_queue"], args)
        if row is None:
            raise QueueGone(queue_id)
        return queue_from_row(tuple(row))

    async def purge(self, queue_id: int, now_ms: int, interval_ms: int) -> bool:
        args = {"queue_id": queue_id, "now": now_ms}
        async with self.db.tx() as c:
            last = await c.fetchrow(_Q["purge_last"], args)
            if last is None:
                raise QueueGone(queue_id)
            if last[0] is not None and last[0] > now_ms - interval_ms:
                return False
            await c.execute(_Q["purge_messages"], args)
            await c.execute(_Q["purge_dedup"], args)
            await c.execute(_Q["mark_purged"], args)
        return True

    # --- messages ---

    async def send(
        self, queue_id: int, messages: list[NewMessage], fifo: FifoSend | None = None
    ) -> list[tuple[str, int]]:
        rows = [message_row(queue_id, m) for m in messages]
        if fifo is None:
            return await self._send_together(queue_id, rows)
        return await self._send_fifo_together(queue_id, rows, fifo)

    def _send_together(self, queue_id: int, rows: list[dict[str, Any]]) -> asyncio.Future[_Stored]:
        """Queue a standard send for this loop turn's shared INSERT; its future answers after
        that INSERT committed (or raises, and then none of the turn's sends is acknowledged)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[_Stored] = loop.create_future()
        self._sends.append((queue_id, rows, fut))
        if not self._sends_scheduled:
            self._sends_scheduled = True
            loop.call_soon(self._flush_sends)
        return fut

    def _flush_sends(self) -> None:
        self._sends_scheduled = False
        batch, self._sends = self._sends, []
        task = asyncio.get_running_loop().create_task(self._insert_sends(batch))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _insert_sends(self, batch: list[_Send]) -> None:
        try:
            async with self.db.one() as c:  # one INSERT statement: atomic by itself
                for queue_id, queue_rows, _ in batch:
                    await self._prepare_standard(c, queue_id, queue_rows)
                try:
                    stored = await _insert_rows(c, [r for _, rows, _ in batch for r in rows])
                except asyncpg.ForeignKeyViolationError:
                    # A queue of this turn was deleted on another node: its sends fail, the
                    # others' go in (nothing was inserted by the failed statement).
                    live = await _live_queues(c, {queue_id for queue_id, _, _ in batch})
                    for queue_id, _, fut in batch:
                        if queue_id not in live and not fut.done():
                            fut.set_exception(QueueGone(queue_id))
                    batch = [entry for entry in batch if entry[0] in live]
                    stored = await _insert_rows(c, [r for _, rows, _ in batch for r in rows])
        except BaseException as exc:
            _fail([fut for _, _, fut in batch], exc)
            if not isinstance(exc, Exception):
                raise
            return
        _answer([(rows, fut) for _, rows, fut in batch], stored)
        for queue_id, queue_rows, _ in batch:
            self._available(queue_id, len(queue_rows))

    def _send_fifo_together(
        self, queue_id: int, rows: list[dict[str, Any]], fifo: FifoSend
    ) -> asyncio.Future[_Stored]:
        """Queue a FIFO send for its queue's writer; its future answers after the statement that
        stored it committed (or raises, as every send of that statement does)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[_Stored] = loop.create_future()
        self._fifo_sends.setdefault(queue_id, []).append((rows, fifo, fut))
        if queue_id not in self._fifo_writers:
            task = loop.create_task(self._write_fifo(queue_id))
            self._fifo_writers[queue_id] = task
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        return fut

    async def _write_fifo(self, queue_id: int) -> None:
        """The one writer of a FIFO queue on this node while it has sends: each round stores
        every send that arrived since the round before, in arrival order, in one statement.
        One round at a time, because the queue's row lock lets only one writer in anyway (also
        across nodes): sends arriving meanwhile wait for the next round instead of for the lock,
        and commit in the order they arrived."""
        try:
            while batch := self._fifo_sends.pop(queue_id, None):
                await self._insert_fifo(queue_id, batch)
        finally:
            del self._fifo_writers[queue_id]
            for _, _, fut in self._fifo_sends.pop(queue_id, []):  # only if cancelled (closing)
                if not fut.done():
                    fut.set_exception(StoreUnavailable("store closing"))

    async def _insert_fifo(self, queue_id: int, batch: list[_FifoPending]) -> None:
        try:
            async with self.db.one() as c:  # one statement: atomic by itself
                stored = await _send_fifo_rows(c, queue_id, [(r, f) for r, f, _ in batch])
        except BaseException as exc:
            _fail([fut for _, _, fut in batch], exc)
            if not isinstance(exc, Exception):
                raise
            return
        _answer([(rows, fut) for rows, _, fut in batch], stored)
        self._available(queue_id, sum(len(rows) for rows, _, _ in batch))

    async def _insert_messages(
        self, c: Conn, queue_id: int, rows: list[dict[str, Any]], fifo: FifoSend | None
    ) -> list[tuple[str, int]]:
        """Insert message rows into one queue, in the caller's transaction (SNS fan-out).
        SendMessage and SendMessageBatch store theirs through the same helpers, several sends
        per statement (``_insert_sends``, ``_write_fifo``)."""
        if fifo is not None:
            return await self._send_fifo(c, queue_id, rows, fifo)
        await self._prepare_standard(c, queue_id, rows)
        return await _insert_rows(c, rows)

    async def _prepare_standard(self, c: Conn, queue_id: int, rows: list[dict[str, Any]]) -> None:
        """Fair queues, as in SqliteStore: decided when the rows go in."""
        fair = self._grouped.get(queue_id)
        if any(row["group_id"] is not None for row in rows):
            self._grouped[queue_id] = True
        elif fair is None or (fair is False and not self._plain(queue_id)):
            fair = await postgres_fair.has_groups(c, queue_id)
            self._set_grouped(queue_id, fair)
        if fair:  # a fair queue keeps its ungrouped messages in the fair index, as group ''
            for row in rows:
                if row["group_id"] is None:
                    row["group_id"] = ""

    def _set_grouped(self, queue_id: int, grouped: bool) -> None:
        self._grouped[queue_id] = grouped
        if not grouped:
            self._ungrouped_at[queue_id] = asyncio.get_running_loop().time()

    def _plain(self, queue_id: int) -> bool:
        """Whether the queue was recently found without message groups (the one-statement claim
        will do). Only for a while: another node may have sent grouped messages since."""
        if self._grouped.get(queue_id) is not False:
            return False
        found = self._ungrouped_at.get(queue_id, 0.0)
        if asyncio.get_running_loop().time() - found < UNGROUPED_RECHECK_S:
            return True
        del self._grouped[queue_id]  # look again
        return False

    @staticmethod
    async def _send_fifo(
        c: Conn, queue_id: int, rows: list[dict[str, Any]], fifo: FifoSend
    ) -> list[tuple[str, int]]:
        return await _send_fifo_rows(c, queue_id, [(rows, fifo)])

    async def receive(self, claim: Claim) -> tuple[list[ReceivedMessage], int | None, int]:
        try:
            return await self._receive(claim)
        except asyncpg.ForeignKeyViolationError:
            # The dead-letter queue was deleted (on another node) after the engine looked it up:
            # the move failed and nothing was claimed. Claim again as without one.
            return await self._receive(replace(claim, dead_letter_queue_id=None))

    async def _receive(self, claim: Claim) -> tuple[list[ReceivedMessage], int | None, int]:
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
            async with self.db.tx() as c:
                rows, next_visible, moved = await _claim_fifo(c, args, claim)
        elif not self._plain(claim.queue_id):
            async with self.db.tx() as c:
                rows, next_visible, moved = await self._claim_standard(c, args, claim)
        elif claim.dead_letter_queue_id is None:
            async with self.db.one() as c:  # one UPDATE: atomic by itself
                rows, next_visible = await _claim_plain(c, args)
            moved = 0
        else:
            async with self.db.tx() as c:
                rows, next_visible, moved = await _claim_redriving(c, args, claim.max_receive_count)
        if not claim.fifo:
            rows.sort(key=lambda r: r[0])
        if moved and claim.dead_letter_queue_id is not None:
            self._grouped.pop(claim.dead_letter_queue_id, None)  # it may hold groups now
            self._available(claim.dead_letter_queue_id, moved)
        return [received_from_row(r) for r in rows], next_visible, moved

    async def _claim_standard(
        self, c: Conn, args: dict[str, Any], claim: Claim
    ) -> tuple[list[Any], int | None, int]:
        """A standard queue that holds message groups, or may: the fair claim, else the plain."""
        queue_id = claim.queue_id
        if self._grouped.get(queue_id) is None:
            self._set_grouped(queue_id, await postgres_fair.has_groups(c, queue_id))
        if self._grouped[queue_id]:
            claimed = await self._claim_fair(c, args, claim)
            if claimed is not None:
                return claimed
            self._set_grouped(queue_id, False)
        if claim.dead_letter_queue_id is None:
            rows, next_visible = await _claim_plain(c, args)
            return rows, next_visible, 0
        return await _claim_redriving(c, args, claim.max_receive_count)

    async def _claim_fair(
        self, c: Conn, args: dict[str, Any], claim: Claim
    ) -> tuple[list[Any], int | None, int] | None:
        """Fair queues: claim what ``postgres_fair.pick`` chooses; None when the queue holds no
        message group (any more). As SqliteStore._claim_fair."""
        rows: list[Any] = []
        claimed: set[int] = set()
        moved = 0
        redrive = claim.dead_letter_queue_id is not None
        cursor = self._fair_cursor.get(claim.queue_id, "")
        for round_no in range(10):
            picked = await postgres_fair.pick(
                c,
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
                await _move(c, args, picked.spent)
                moved += len(picked.spent)
            if picked.chosen:
                claimed.update(picked.chosen)
                rows.extend(await _claim_rows(c, args, picked.chosen))
            if len(rows) >= claim.limit or not picked.spent:
                break
        if rows:
            return rows, None, moved
        return rows, await c.fetchval(_Q["next_visible"], args), moved

    async def delete_messages(self, handles: list[Handle]) -> list[bool]:
        if len(handles) == 1:
            h = handles[0]
            async with self.db.one() as c:
                fifo = await c.fetchval(
                    _Q["delete_message"], {"seq": h.seq, "queue_id": h.queue_id, "nonce": h.nonce}
                )
            if fifo:  # a FIFO group may be unlocked now
                self._available(h.queue_id, 1)
            return [fifo is not None]
        out = [False] * len(handles)
        by_queue: dict[int, list[int]] = {}
        for i, h in enumerate(handles):
            by_queue.setdefault(h.queue_id, []).append(i)
        async with self.db.one() as c:  # one DELETE per queue (the engine sends one queue)
            for queue_id, indexes in by_queue.items():
                rows = await c.fetch(
                    _Q["delete_messages"],
                    {
                        "queue_id": queue_id,
                        "seqs": [handles[i].seq for i in indexes],
                        "nonces": [handles[i].nonce for i in indexes],
                    },
                )
                deleted = {r[0]: r[1] for r in rows}
                for i in indexes:
                    if handles[i].seq in deleted:
                        out[i] = True
                        fifo = deleted.pop(handles[i].seq)  # a repeated handle deletes once
                        if fifo:
                            self._available(queue_id, 1)
        return out

    async def change_visibility(
        self, changes: list[tuple[Handle, int]], now_ms: int, max_ms: int
    ) -> list[str]:
        out = []
        released: dict[int, int] = {}
        async with self.db.tx() as c:
            for handle, visible_ms in changes:
                row = await c.fetchrow(
                    _Q["visibility_row"], {"seq": handle.seq, "queue_id": handle.queue_id}
                )
                if row is None or row[0] != handle.nonce:
                    out.append("gone")
                elif row[1] <= now_ms:
                    out.append("not-inflight")
                elif visible_ms - (row[2] or now_ms) > max_ms:
                    out.append("too-long")
                else:
                    await c.execute(
                        _Q["set_visibility"], {"seq": handle.seq, "visible": visible_ms}
                    )
                    out.append("ok")
                    if visible_ms <= now_ms:
                        released[handle.queue_id] = released.get(handle.queue_id, 0) + 1
        for queue_id, count in released.items():
            self._available(queue_id, count)
        return out

    async def counts(self, queue_id: int, now_ms: int, retention_cutoff_ms: int) -> QueueCounts:
        args = {"queue_id": queue_id, "now": now_ms, "cutoff": retention_cutoff_ms}
        async with self.db.one() as c:
            row = await c.fetchrow(_Q["counts"], args)
        assert row is not None
        return QueueCounts(row[0], row[1], row[2])

    async def expire(self, queue_id: int, retention_cutoff_ms: int) -> int:
        args = {"queue_id": queue_id, "cutoff": retention_cutoff_ms}
        async with self.db.one() as c:
            return await c.execute(_Q["expire"], args)

    async def expire_windows(self, now_ms: int) -> None:
        async with self.db.tx() as c:
            await c.execute(_Q["expire_dedup"], {"now": now_ms})
            await c.execute(_Q["expire_attempts"], {"now": now_ms})

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
                self._available(target, step.moved)
        return step


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset on release: nothing (asyncpg still rolls back a transaction left open).

    asyncpg's default runs ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` on
    every release: a round trip per request, for session state pooled connections never keep.
    Their advisory locks are transaction-scoped (``pg_*advisory_xact_lock``, released at commit;
    the migrations' session lock is taken on a connection of their own), LISTEN runs on the
    dedicated connection of ``postgres_notify``, no statement uses SET or a cursor outliving
    its transaction. Whoever adds session state to a pooled connection must undo it here."""
    del conn


async def asyncpg_close(pool: asyncpg.Pool) -> None:
    """Close the pool, giving in-flight statements a moment; never hang shutdown."""
    try:
        await asyncio.wait_for(pool.close(), 5)
    except TimeoutError:
        pool.terminate()


async def _live_queues(c: Conn, queue_ids: set[int]) -> set[int]:
    """Which of these queues still exist."""
    return {r[0] for r in await c.fetch(_Q["live_queues"], {"ids": sorted(queue_ids)})}


async def _insert_rows(c: Conn, rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """Standard rows (no SequenceNumber) in one statement; (message id, row id) of each."""
    if not rows:
        return []
    if len(rows) == 1:
        seq = await c.fetchval(_Q["insert_message"], rows[0])
        return [(rows[0]["message_id"], int(seq))]
    return await _insert_many(c, rows)


async def _insert_many(c: Conn, rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """Many standard rows in one INSERT; (message id, row id) of each, in the order given."""
    got = await c.fetch(_Q["insert_messages"], {**_columns(rows), "fifo_seqs": [None] * len(rows)})
    seq_of = {r[0]: int(r[1]) for r in got}  # message ids are unique (uuid4)
    return [(r["message_id"], seq_of[r["message_id"]]) for r in rows]


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Message rows as one array per column (the arguments of a multi-row insert)."""
    return {
        "queue_ids": [r["queue_id"] for r in rows],
        "message_ids": [r["message_id"] for r in rows],
        "bodies": [r["body"] for r in rows],
        "attrs": [r["attrs"] for r in rows],
        "sys_attrs": [r["sys_attrs"] for r in rows],
        "md5_bodies": [r["md5_body"] for r in rows],
        "md5_attrs": [r["md5_attrs"] for r in rows],
        "md5_sys": [r["md5_sys"] for r in rows],
        "sender_ids": [r["sender_id"] for r in rows],
        "sent": [r["sent_ms"] for r in rows],
        "visible": [r["visible_ms"] for r in rows],
        "group_ids": [r["group_id"] for r in rows],
        "dedup_ids": [r["dedup_id"] for r in rows],
    }


async def _send_fifo_rows(
    c: Conn, queue_id: int, sends: list[tuple[list[dict[str, Any]], FifoSend]]
) -> list[tuple[str, int]]:
    """FIFO sends to one queue, in order, in one statement (``densho_send_fifo``: lock,
    deduplication, SequenceNumbers, inserts); (message id, SequenceNumber) of each row — for a
    duplicate, the original's. Raises QueueGone when the queue does not exist."""
    entries = [(row, fifo) for rows, fifo in sends for row in rows]
    got = await c.fetch(
        _Q["send_fifo"],
        {
            **_columns([row for row, _ in entries]),
            "queue_id": queue_id,
            "now": [fifo.now_ms for _, fifo in entries],
            "expires": [fifo.now_ms + fifo.window_ms for _, fifo in entries],
            "scopes": [row["group_id"] if fifo.by_group else "" for row, fifo in entries],
        },
    )
    if len(got) != len(entries):  # no row at all: the queue is gone
        raise QueueGone(queue_id)
    out: list[tuple[str, int]] = [("", 0)] * len(entries)
    for index, message_id, fifo_seq in got:
        out[index] = (message_id, int(fifo_seq))
    return out


async def _claim_plain(c: Conn, args: dict[str, Any]) -> tuple[list[Any], int | None]:
    rows = await c.fetch(_Q["claim"], args)
    if rows:
        return list(rows), None
    return [], await c.fetchval(_Q["next_visible"], args)


async def _claim_redriving(
    c: Conn, args: dict[str, Any], max_receive_count: int
) -> tuple[list[Any], int | None, int]:
    moved = 0
    for _ in range(100):  # each round claims or moves every candidate; bounded anyway
        candidates = await c.fetch(_Q["claim_candidates"], args)
        if not candidates:
            break
        spent = [seq for seq, count in candidates if count >= max_receive_count]
        fresh = [seq for seq, count in candidates if count < max_receive_count]
        if spent:
            await _move(c, args, spent)
            moved += len(spent)
        if fresh:
            return await _claim_rows(c, args, fresh), None, moved
    return [], await c.fetchval(_Q["next_visible"], args), moved


async def _claim_fifo(
    c: Conn, args: dict[str, Any], claim: Claim
) -> tuple[list[Any], int | None, int]:
    """FIFO: from each group's head, the prefix of messages that are visible now (as
    SqliteStore._claim_fifo), each group looked at only under its advisory lock."""
    if claim.attempt_id is not None:
        found = await c.fetchrow(_Q["find_attempt"], {**args, "attempt_id": claim.attempt_id})
        if found is not None:  # a retry: the same messages and receipt handles again
            nonce, seqs = found[0], list(found[1])
            rows = list(await c.fetch(_Q["redeliver"], {**args, "nonce": nonce, "seqs": seqs}))
            order = {seq: i for i, seq in enumerate(seqs)}
            rows.sort(key=lambda r: order[r[0]])
            return rows, None, 0
    chosen: list[int] = []
    skip: list[str] = []
    moved = 0
    for _ in range(50):  # rounds of candidate groups; bounded, a receive must answer
        groups = list(
            dict.fromkeys(
                r[0] for r in await c.fetch(_Q["fifo_candidates"], {**args, "skip": skip})
            )
        )
        if not groups:
            break
        for group in groups:
            skip.append(group)
            held = await c.fetchval(
                _Q["lock_fifo_group"], {"queue_id": claim.queue_id, "group_id": group}
            )
            if not held:  # another receiver is delivering from this group right now
                continue
            take, spent = await _walk_group(c, args, claim, group, claim.limit - len(chosen))
            chosen.extend(take)
            if spent:
                await _move(c, args, spent)
                moved += len(spent)
            if len(chosen) >= claim.limit:
                break
        if len(chosen) >= claim.limit:
            break
    if not chosen:
        return [], await c.fetchval(_Q["next_visible"], args), moved
    rows = list(await c.fetch(_Q["claim_fifo_rows"], {**args, "seqs": chosen}))
    order = {seq: i for i, seq in enumerate(chosen)}
    rows.sort(key=lambda r: order[r[0]])
    if claim.attempt_id is not None:
        await c.execute(
            _Q["remember_attempt"],
            {
                **args,
                "attempt_id": claim.attempt_id,
                "seqs": [r[0] for r in rows],
                "expires": claim.now_ms + claim.attempt_window_ms,
            },
        )
    return rows, None, moved


async def _walk_group(
    c: Conn, args: dict[str, Any], claim: Claim, group: str, need: int
) -> tuple[list[int], list[int]]:
    """(rows to deliver, rows to dead-letter) of one FIFO group, in order (as in sqlite.py)."""
    take: list[int] = []
    spent: list[int] = []
    after = -1
    redrive = claim.dead_letter_queue_id is not None
    for _ in range(1000):  # pages of the group; bounded
        page = await c.fetch(
            _Q["group_head"], {**args, "group_id": group, "after": after, "limit": need + 10}
        )
        for seq, visible_ms, receive_count in page:
            after = seq
            if visible_ms > claim.now_ms:
                if receive_count > 0:  # in flight: the group is locked
                    return [], []
                return take, spent  # delayed: later messages wait behind it
            if len(take) >= need and receive_count == 0:
                return take, spent
            if redrive and receive_count >= claim.max_receive_count:
                spent.append(seq)
            elif len(take) < need:
                take.append(seq)
        if len(page) < need + 10:
            break
    return take, spent


async def _move(c: Conn, args: dict[str, Any], seqs: list[int]) -> None:
    await c.execute(_Q["move_to_queue"], {**args, "seqs": seqs})


async def _claim_rows(c: Conn, args: dict[str, Any], seqs: list[int]) -> list[Any]:
    return list(await c.fetch(_Q["claim_rows"], {**args, "seqs": seqs}))
