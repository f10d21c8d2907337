"""The PostgreSQL store: several densho nodes on one database, each operation one transaction.

Owns: the pool (asyncpg), migrations at open, running the operations written once
(``base``, ``move_store``, ``sns_base``, ``outbox``, ``sns_manage_base``) on it, what only
PostgreSQL does — sends (standard ones of one loop turn in one multi-row INSERT; FIFO ones
through ``densho_send_fifo``), deletes (those of one loop turn in one DELETE), plain claims
(those of one loop turn on one queue in one UPDATE), the signing key the nodes share — each
request of a loop turn's shared statement answered only after it committed (``_Turn``) — and
telling the other nodes what they should know (``postgres_notify``): that a commit made
messages available, that a cached record changed.
Must not know: SQS semantics beyond the ``Store`` contract; HTTP; AWS errors.

Concurrency, since other nodes write the same rows at the same time (READ COMMITTED):
- claims lock the rows they take with ``FOR UPDATE SKIP LOCKED`` and FIFO receives hold each
  group's advisory lock (``claims``); move tasks run under leases (``move_store``);
- a FIFO send holds its queue's row (in ``densho_send_fifo``, migration 0005) until it commits,
  so a FIFO queue's sends take turns: deduplication sees every earlier send, the SequenceNumber
  counter in that row advances without gaps, and rows commit in row-id order (a receive never
  sees a later message of a group before an earlier one);
- an acknowledged write is a committed PostgreSQL transaction (``synchronous_commit`` as the
  server is configured; on by default: flushed to its WAL). A lost connection raises
  ``StoreUnavailable`` and nothing is acknowledged;
- a message row goes only into a queue that exists (the check of a foreign key, without its
  cascade: migration 0008's triggers): a send racing a DeleteQueue on another node either
  commits first (and its rows are deleted with the queue's, in the background) or finds the
  queue gone (``QueueGone``, ``Dangling`` inside an operation). The check takes a KEY SHARE lock
  on the queue's row, which only a DeleteQueue conflicts with.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import urllib.parse
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

import asyncpg

from densho.core.sns_model import Published, PublishItem
from densho.core.sqs_model import NewMessage
from densho.core.store import Claim, Deletion, FifoSend, Handle, QueueGone, StoreUnavailable
from densho.storage import claims, postgres_migrations
from densho.storage.base import Forget, Store, Wake, deletion_args, not_deleted
from densho.storage.fair import GroupHints, mark_rows
from densho.storage.move_store import MoveStore
from densho.storage.outbox import delivery_row, plain_publish
from densho.storage.postgres_notify import Notifications
from densho.storage.postgres_sql import Db, PgTx
from densho.storage.sns_base import without_queue
from densho.storage.sns_manage_base import SnsManageStore
from densho.storage.tx import Dangling, Op, Row, Stored, T, Tx

log = logging.getLogger(__name__)

DEFAULT_POOL_SIZE = 10
# How often each node folds the row-count deltas (migration 0007) into queue_counts: reads add
# the deltas not folded yet, so this only bounds how many rows they add up.
FOLD_COUNTS_EVERY_S = 2.0
# Fair queues: how long a queue found without message groups keeps the one-statement claim
# before it is looked at again (another node's first grouped send is not told to this one).
UNGROUPED_RECHECK_S = 2.0

# One send (or one SNS publish's deliveries): its rows per queue, answered together.
_Send = tuple[list[tuple[int, list[dict[str, Any]]]], "asyncio.Future[Stored]"]
# One delete request: its handles and the time they must be in flight at (FIFO), answered
# together.
_Delete = tuple[tuple[list[Handle], int | None], "asyncio.Future[list[Deletion]]"]
# One plain claim: its arguments (``claims.claim_args``).
_Claim = tuple[dict[str, Any], "asyncio.Future[claims.Got]"]
_FifoSend = tuple[list[dict[str, Any]], FifoSend, "asyncio.Future[Stored]"]


def redact(dsn: str) -> str:
    """The URL without its password, for logs and the ready line."""
    parts = urllib.parse.urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class PostgresStore(Store, MoveStore, SnsManageStore):
    shared = True  # several densho nodes may share the database

    def __init__(self, dsn: str, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self._dsn = dsn
        self._pool_size = pool_size
        self._db: Db | None = None
        self._notes = Notifications(dsn)
        self._groups = GroupHints(UNGROUPED_RECHECK_S)
        self.cluster = self
        self._flushes: set[asyncio.Task[None]] = set()
        # Group commit of standard sends: every send of one event-loop turn goes into one
        # multi-row INSERT (one round trip, one commit, one WAL flush).
        self._sends = _Turn(self._insert_sends, self._spawn)
        # Likewise every delete of a loop turn, of any queues: one DELETE statement; and the
        # plain claims of a loop turn, one statement per queue.
        self._deletes = _Turn(self._delete_turn, self._spawn)
        self._claims = _Turn(self._claim_turn, self._spawn)
        # FIFO sends, per queue: those waiting for the queue's writer task (``_write_fifo``).
        self._fifo_sends: dict[int, list[_FifoSend]] = {}
        self._fifo_writers: dict[int, asyncio.Task[None]] = {}
        self._folding: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return redact(self._dsn)

    @property
    def db(self) -> Db:
        assert self._db is not None, "store not open"
        return self._db

    def set_wake(self, wake: Wake) -> None:
        self._notes.set_wake(wake)

    def set_forget(self, forget: Forget) -> None:
        self._notes.set_forget(forget)

    def changed(self, kind: str, key: str) -> None:
        self._notes.changed(kind, key)

    @property
    def wakes_others(self) -> bool:
        """Whether commits are announced to other nodes (only while another one listens)."""
        return self._notes.others

    # --- lifecycle and running operations ---

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
            # No JIT compilation: densho's statements are short, and a plan whose estimate
            # passes jit_above_cost (the queue overview's, by its subqueries) was compiled for
            # seconds of a core every time it ran, while it itself takes a millisecond.
            server_settings={"application_name": "densho", "jit": "off"},
            reset=_keep_session,
        )
        assert pool is not None
        self._db = Db(pool)
        await self._notes.start()
        self._folding = asyncio.get_running_loop().create_task(self._fold_counts())

    async def close(self) -> None:
        if self._folding is not None:
            self._folding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._folding
            self._folding = None
        if self._flushes:  # sends already submitted get their answer before the pool closes
            await asyncio.wait(list(self._flushes), timeout=5)
        await self._notes.close()
        if self._db is not None:
            try:
                await self._db.release_idle()
                await asyncpg_close(self._db.pool)
            finally:
                self._db = None

    async def fold_counts(self) -> None:
        """Move the row-count deltas into queue_counts (atomic; safe on several nodes)."""
        await self._one(lambda tx: tx.execute("fold_counts"))

    async def _fold_counts(self) -> None:
        """Every ``FOLD_COUNTS_EVERY_S`` while open; a failure waits for the next round."""
        while True:
            await asyncio.sleep(FOLD_COUNTS_EVERY_S)
            try:
                await self.fold_counts()
            except StoreUnavailable:
                pass  # logged by the pool; the next round tries again
            except Exception:
                log.exception("folding the queue counts failed")

    async def _tx(self, op: Op[T]) -> T:
        async with self.db.tx() as tx:
            result = await op(tx)
            committing = time.perf_counter()
        if self.on_commit is not None:
            self.on_commit(time.perf_counter() - committing)
        self._woken(tx)
        return result

    async def _one(self, op: Op[T]) -> T:
        async with self.db.one() as tx:
            result = await op(tx)
        self._woken(tx)
        return result

    def _woken(self, tx: PgTx) -> None:
        """Committed: messages of these queues may be available — tell the other nodes."""
        for queue_id, count in tx.woken.items():
            if count > 0:
                self._notes.publish(queue_id, count)

    # --- sends ---

    async def send(
        self, queue_id: int, messages: list[NewMessage], fifo: FifoSend | None = None
    ) -> Stored:
        rows = await self._message_rows(queue_id, messages)
        if fifo is None:
            return await self._submit([(queue_id, rows)])
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Stored] = loop.create_future()
        # The queue's writer's next round; answered after the statement that stored it
        # committed (or raises, as every send of that statement does).
        self._fifo_sends.setdefault(queue_id, []).append((rows, fifo, fut))
        if queue_id not in self._fifo_writers:
            self._fifo_writers[queue_id] = self._spawn(self._write_fifo(queue_id))
        return await fut

    async def _submit(self, parts: list[tuple[int, list[dict[str, Any]]]]) -> Stored:
        """Standard rows (of one or several queues) into this loop turn's shared INSERT;
        answered after it committed (or raises, and then none of the turn's sends is
        acknowledged). All of ``parts`` go in, or none (one statement)."""
        return await self._sends.join(parts)

    def _spawn(self, work: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)
        return task

    async def _insert_sends(self, batch: list[_Send]) -> None:
        began = time.perf_counter()
        try:
            async with self.db.one() as tx:  # one INSERT statement: atomic by itself
                for parts, _ in batch:
                    for queue_id, queue_rows in parts:
                        await mark_rows(tx, self._groups, queue_id, queue_rows)
                try:
                    stored = await _insert_rows(tx, _all_rows(batch))
                except Dangling:
                    # A queue of this turn was deleted on another node: the sends to it fail
                    # (a publish's as a whole), the others' go in (nothing was inserted by the
                    # failed statement).
                    ids = tx.array(sorted({q for parts, _ in batch for q, _ in parts}))
                    live = {r[0] for r in await tx.fetchall("live_queues", {"ids": ids})}
                    kept: list[_Send] = []
                    for parts, fut in batch:
                        gone = [q for q, _ in parts if q not in live]
                        if not gone:
                            kept.append((parts, fut))
                        elif not fut.done():
                            fut.set_exception(QueueGone(gone[0]))
                    batch = kept
                    stored = await _insert_rows(tx, _all_rows(batch))
        except BaseException as exc:
            _fail([fut for _, fut in batch], exc)
            if not isinstance(exc, Exception):
                raise
            return
        if self.on_commit is not None:  # one INSERT, committed by itself: its commit
            self.on_commit(time.perf_counter() - began)
        _answer([([r for _, rows in parts for r in rows], fut) for parts, fut in batch], stored)
        for parts, _ in batch:
            for queue_id, queue_rows in parts:
                self._notes.publish(queue_id, len(queue_rows))

    async def _write_fifo(self, queue_id: int) -> None:
        """The one writer of a FIFO queue on this node while it has sends: each round stores
        every send that arrived since the round before, in arrival order, in one statement.
        One round at a time, because the queue's row lock lets only one writer in anyway (also
        across nodes): sends arriving meanwhile wait for the next round instead of for the lock,
        and commit in the order they arrived."""
        try:
            while batch := self._fifo_sends.pop(queue_id, None):
                try:
                    async with self.db.one() as tx:  # one statement: atomic by itself
                        sends = [(rows, fifo) for rows, fifo, _ in batch]
                        stored = await _send_fifo_rows(tx, queue_id, sends)
                except BaseException as exc:
                    _fail([fut for _, _, fut in batch], exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                _answer([(rows, fut) for rows, _, fut in batch], stored)
                self._notes.publish(queue_id, sum(len(rows) for rows, _, _ in batch))
        finally:
            del self._fifo_writers[queue_id]
            for _, _, fut in self._fifo_sends.pop(queue_id, []):  # only if cancelled (closing)
                if not fut.done():
                    fut.set_exception(StoreUnavailable("store closing"))

    async def _insert_messages(
        self, tx: Tx, queue_id: int, rows: list[dict[str, Any]], fifo: FifoSend | None
    ) -> Stored:
        """Rows of one queue inside an operation (SNS fan-out); SendMessage and
        SendMessageBatch store theirs through the same statements, several sends per statement
        (``_insert_sends``, ``_write_fifo``)."""
        if fifo is not None:
            return await _send_fifo_rows(tx, queue_id, [(rows, fifo)])
        await mark_rows(tx, self._groups, queue_id, rows)
        return await _insert_rows(tx, rows)

    # --- deletes ---

    async def delete_messages(
        self, handles: list[Handle], in_flight_at_ms: int | None = None
    ) -> list[Deletion]:
        """As ``Store.delete_messages`` promises, in this loop turn's shared DELETE
        (``_delete_turn``): answered after it committed; the turn's requests as if run one after
        another in the order they came."""
        if not handles:
            return []
        return await self._deletes.join((handles, in_flight_at_ms))

    async def _delete_turn(self, batch: list[_Delete]) -> None:
        """Every delete of a loop turn in one statement (one round trip, one commit, and one
        count-delta row per queue from its trigger), where each request had been a statement
        and a commit of its own."""
        try:
            async with self.db.one() as tx:  # one DELETE statement: atomic by itself
                done = await _delete_handles(
                    tx, [(h, at) for (handles, at), _ in batch for h in handles]
                )
        except BaseException as exc:
            _fail([fut for _, fut in batch], exc)
            if not isinstance(exc, Exception):
                raise
            return
        start = 0
        for (handles, _), fut in batch:
            if not fut.done():  # a cancelled caller's delete is committed regardless
                fut.set_result(done[start : start + len(handles)])
            start += len(handles)
        self._woken(tx)

    # --- receives ---

    async def _claim_plain(self, args: dict[str, Any]) -> claims.Got:
        """Into this loop turn's claims (``_claim_turn``); answered after the claim committed."""
        return await self._claims.join(args)

    async def _claim_turn(self, batch: list[_Claim]) -> None:
        """The plain claims of a loop turn: those of one queue at one time in one statement
        (``claim_many``; one round trip and one commit where each was one), each queue's on a
        connection of its own."""
        together: dict[tuple[int, int, int], list[_Claim]] = {}
        for args, fut in batch:
            together.setdefault((args["queue_id"], args["now"], args["cutoff"]), []).append(
                (args, fut)
            )
        for group in together.values():
            self._spawn(self._claim_group(group))

    async def _claim_group(self, group: list[_Claim]) -> None:
        try:
            async with self.db.one() as tx:  # one statement: atomic by itself
                if len(group) == 1:
                    got = [await claims.plain(tx, group[0][0])]
                else:
                    got = await _claim_many(tx, [args for args, _ in group])
        except BaseException as exc:
            _fail([fut for _, fut in group], exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, fut), answer in zip(group, got, strict=True):
            if not fut.done():  # a cancelled receive's rows are back when their timeout ends
                fut.set_result(answer)

    async def _claim_fifo(self, args: dict[str, Any], claim: Claim) -> claims.Got:
        """A FIFO receive without ReceiveRequestAttemptId or dead-letter queue: one call of
        ``densho_receive_fifo`` (migration 0011; ``claims.fifo``'s rules), committed by itself,
        instead of a transaction of about nine round trips. The others as ``claims.fifo``."""
        if claim.attempt_id is not None or claim.dead_letter_queue_id is not None:
            return await super()._claim_fifo(args, claim)
        call = {**args, "budget": claims.FIFO_WALK, "scans": claims.FIFO_SCANS}

        async def op(tx: Tx) -> claims.Got:
            return claims.next_visible_in(await tx.fetchall("receive_fifo", call))

        return await self._one(op)

    # --- SNS ---

    async def publish(self, topic_arn: str, items: list[PublishItem]) -> list[Published]:
        """A publish that only delivers to standard queues (no FIFO, no topic deduplication,
        no outbox or recorded rows) goes into the loop turn's shared INSERT, as sends do: one
        statement, so all of its deliveries or none, and one commit for many publishes (it was
        a transaction of its own, a round trip per delivery). Others as ``SnsStore.publish``."""
        if not all(plain_publish(item) for item in items):
            return await super().publish(topic_arn, items)
        while True:
            keys = await self._data_keys(
                [d.message.seal for item in items for d in item.deliveries]
            )
            parts: list[tuple[int, list[dict[str, Any]]]] = []
            for item in items:
                for d in item.deliveries:
                    parts.append((d.queue_id, [delivery_row(d, keys)]))
            try:
                if parts:
                    await self._submit(parts)
            except QueueGone as gone:
                # As SnsStore.publish: a subscribed queue deleted on another node meanwhile;
                # nothing went in. Again, without that queue.
                kept = without_queue(items, gone.queue_id)
                if kept is None:
                    raise
                items = kept
                continue
            return [Published(item.message_id, item.sequence, True) for item in items]

    # --- the signing key every node shares (``SigningStore``) ---

    async def signing_material(self) -> tuple[bytes, bytes] | None:
        row = await self._one(lambda tx: tx.fetchone("sns_signing_get"))
        return None if row is None else (row[0].encode(), row[1].encode())

    async def keep_signing_material(
        self, key_pem: bytes, cert_pem: bytes, now_ms: int
    ) -> tuple[bytes, bytes]:
        args = {"key_pem": key_pem.decode(), "cert_pem": cert_pem.decode(), "now": now_ms}

        async def op(tx: Tx) -> tuple[bytes, bytes]:
            await tx.execute("sns_signing_insert", args)  # ON CONFLICT DO NOTHING
            row = await tx.fetchone("sns_signing_get")
            assert row is not None  # inserted now, or by the node that was first
            return row[0].encode(), row[1].encode()

        return await self._one(op)

    async def renew_signing_certificate(self, old_pem: bytes, new_pem: bytes) -> bytes:
        args = {"old_pem": old_pem.decode(), "new_pem": new_pem.decode()}

        async def op(tx: Tx) -> bytes:
            await tx.execute("sns_signing_renew", args)
            row = await tx.fetchone("sns_signing_get")
            assert row is not None  # never deleted
            return str(row[1]).encode()

        return await self._one(op)


W = TypeVar("W")
R = TypeVar("R")


class _Turn(Generic[W, R]):
    """Requests of one event-loop turn, run together (a group commit): ``join`` adds one and
    awaits its answer; the first of a turn schedules ``run`` of them all for the turn's end
    (``call_soon``), as a task of the store's (``spawn``), which answers each."""

    __slots__ = ("_items", "_run", "_scheduled", "_spawn")

    def __init__(
        self,
        run: Callable[[list[tuple[W, asyncio.Future[R]]]], Coroutine[Any, Any, None]],
        spawn: Callable[[Coroutine[Any, Any, None]], object],
    ) -> None:
        self._items: list[tuple[W, asyncio.Future[R]]] = []
        self._scheduled = False
        self._run = run
        self._spawn = spawn

    async def join(self, item: W) -> R:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[R] = loop.create_future()
        self._items.append((item, fut))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return await fut

    def _flush(self) -> None:
        self._scheduled = False
        batch, self._items = self._items, []
        self._spawn(self._run(batch))


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


def _all_rows(batch: list[_Send]) -> list[dict[str, Any]]:
    return [r for parts, _ in batch for _, rows in parts for r in rows]


def _fail(futs: list[asyncio.Future[Any]], exc: BaseException) -> None:
    """A shared statement failed: none of its requests is acknowledged."""
    for fut in futs:
        if not fut.done():
            fut.set_exception(exc)


def _answer(
    sends: list[tuple[list[dict[str, Any]], asyncio.Future[Stored]]], stored: Stored
) -> None:
    """Give each send of a shared statement its rows of ``stored`` (in the order they went in)."""
    start = 0
    for rows, fut in sends:
        if not fut.done():  # a cancelled caller's write is committed regardless
            fut.set_result(stored[start : start + len(rows)])
        start += len(rows)


async def _delete_handles(tx: Tx, handles: list[tuple[Handle, int | None]]) -> list[Deletion]:
    """Delete what each (handle, in flight at) names, in one statement; what each did, as if
    they ran in order (as SQLite does): the first handle that could delete a row did, its
    message's other handles before it found it there ("expired" under an in-flight time, else
    "gone"), those after it found it "gone". FIFO rows deleted wake their queue (a group may be
    unlocked now)."""
    if len(handles) == 1:
        h, at = handles[0]
        fifo = await tx.fetchval("delete_message", deletion_args(h, at))
        if fifo is None:
            return [await not_deleted(tx, h, at)]
        if fifo:
            tx.wake(h.queue_id, 1)
        return ["deleted"]
    each = [deletion_args(h, at) for h, at in handles]
    rows = await tx.fetchall(
        "delete_messages",
        {
            "seqs": [a["seq"] for a in each],
            "queue_ids": [a["queue_id"] for a in each],
            "nonces": [a["nonce"] for a in each],
            "message_ids": [a["message_id"] for a in each],
            "in_flight_at": [a["in_flight_at"] for a in each],
        },
    )
    # (queue, row id) -> (nonce, message id, visible_ms) of the row deleted, until the handle
    # that deleted it is found (then None: later handles of it find it gone).
    deleted: dict[tuple[int, int], tuple[int, str, int] | None] = {}
    for queue_id, seq, nonce, message_id, visible_ms, fifo in rows:
        deleted[(queue_id, seq)] = (nonce, message_id, visible_ms)
        if fifo:
            tx.wake(queue_id, 1)
    out: list[Deletion] = []
    for (h, at), a in zip(handles, each, strict=True):
        key = (h.queue_id, h.seq)
        if key not in deleted:  # not the statement's row: as the row is now
            out.append(await not_deleted(tx, h, at))
            continue
        row = deleted[key]
        if row is None:
            out.append("gone")
        elif (row[0] == a["nonce"] or row[1] == a["message_id"]) and row[2] > a["in_flight_at"]:
            out.append("deleted")
            deleted[key] = None
        else:
            out.append("expired" if h.names(row[0], row[1]) and at is not None else "gone")
    return out


async def _claim_many(tx: Tx, receives: list[dict[str, Any]]) -> list[claims.Got]:
    """Plain claims of one queue at one time (``claims.claim_args`` each) in one statement
    (``claim_many``): the rows of the window in send order dealt out in turn, each receive its
    limit. A receive left without any gets the earliest future visible_at: of the rows nobody
    claimed, or of those claimed now (their visibility timeout)."""
    owners = [k for k, args in enumerate(receives, 1) for _ in range(args["limit"])]
    first = receives[0]
    rows = await tx.fetchall(
        "claim_many",
        {
            "queue_id": first["queue_id"],
            "now": first["now"],
            "cutoff": first["cutoff"],
            "limit": len(owners),
            "window": len(owners) + claims.CLAIM_WINDOW_EXTRA,
            "owners": owners,
            "visible_untils": [args["visible_until"] for args in receives],
            "nonces": [args["nonce"] for args in receives],
        },
    )
    got: list[list[Row]] = [[] for _ in receives]
    later: list[int] = []
    for row in rows:
        if row[0] is None:
            if row[-1] is not None:
                later.append(row[-1])
        else:
            got[row[17] - 1].append(row)
    later.extend(args["visible_until"] for args, mine in zip(receives, got, strict=True) if mine)
    next_visible = min(later, default=None)
    return [(mine, None, 0) if mine else ([], next_visible, 0) for mine in got]


async def _insert_rows(tx: Tx, rows: list[dict[str, Any]]) -> Stored:
    """Standard rows (no SequenceNumber) in one statement; (message id, row id) of each, in
    the order given."""
    if not rows:
        return []
    if len(rows) == 1:
        return [(rows[0]["message_id"], int(await tx.fetchval("insert_message", rows[0])))]
    got = await tx.fetchall("insert_messages", {**_columns(rows), "fifo_seqs": [None] * len(rows)})
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
    tx: Tx, queue_id: int, sends: list[tuple[list[dict[str, Any]], FifoSend]]
) -> Stored:
    """FIFO sends to one queue, in order, in one statement (``densho_send_fifo``: lock,
    deduplication, SequenceNumbers, inserts); (message id, SequenceNumber) of each row — for a
    duplicate, the original's. Raises QueueGone when the queue does not exist."""
    entries = [(row, fifo) for rows, fifo in sends for row in rows]
    got = await tx.fetchall(
        "send_fifo",
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
    out: Stored = [("", 0)] * len(entries)
    for index, message_id, fifo_seq in got:
        out[index] = (message_id, int(fifo_seq))
    return out
