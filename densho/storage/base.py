"""The SQS store: queues and messages, each operation written once for both backends.

Owns: the operations on queues and messages and each one's atomicity promise (every call is one
atomic operation: a returned call means its effects are committed, as durably as the backend's
synchronous mode promises), and what a store shared by several nodes offers the server
(``Cluster``). The backends implement ``send`` (SQLite's statements in its group commit;
PostgreSQL's multi-row INSERT per loop turn and its FIFO send function).
Must not know: SQS rules (the engine decides, storage applies); a database driver; HTTP.

Times are epoch milliseconds passed in by the caller (never read from the database clock).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from densho.core.queue_config import QueueConfig
from densho.core.sqs_model import (
    NewMessage,
    PeekCursor,
    Peeked,
    Queue,
    QueueCounts,
    QueueOverview,
    ReceivedMessage,
)
from densho.core.store import (
    EVERYTHING,
    Claim,
    Deletion,
    FifoSend,
    Handle,
    QueueGone,
    ResetCounts,
    VisibilityRow,
    VisibilityRule,
)
from densho.storage import claims
from densho.storage.rows import dumps, message_row, queue_from_row, received_from_row
from densho.storage.sealed import Sealed, seal_message
from densho.storage.sns_base import SigningStore
from densho.storage.tx import Dangling, Row, Stored, Tx

Wake = Callable[[int | None, int], None]
Forget = Callable[[str | None, str], None]
_DEFAULT_RETENTION_S = QueueConfig().retention_ms // 1000  # queues that set none
# Retention expiry deletes this many rows per transaction (a few ms), at most this many rounds
# per call (maintenance calls again).
EXPIRE_CHUNK_ROWS = 2_000
EXPIRE_MAX_CHUNKS = 1_000


class Cluster(SigningStore, Protocol):
    """What a store shared by several densho nodes offers the server: hearing the other nodes,
    and the one signing key they all sign with."""

    def set_wake(self, wake: Wake) -> None:
        """``wake(queue_id, count)`` is called when another node made messages of the queue
        available; ``wake(None, 0)`` when notifications may have been missed (look again)."""
        ...

    def set_forget(self, forget: Forget) -> None:
        """``forget(kind, key)`` is called when another node changed a record the engines
        cache (``QUEUE``/``TOPIC``); ``forget(None, "")`` when changes may have been missed
        (drop every cached record)."""
        ...


class Store(Sealed):
    cluster: Cluster | None  # None: this process is the only one writing the store

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    async def ping(self) -> None:
        """One round trip to the database (readiness probes); raises ``StoreUnavailable``
        when it cannot be reached."""
        await self._record("ping", {}, lambda row: row)

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
        """Insert the queue, or return the existing one of that name (created=False)."""
        args = {
            "account": account,
            "name": name,
            "region": region,
            "attributes": dumps(attributes),
            "tags": dumps(tags),
            "now": now_ms,
        }

        async def op(tx: Tx) -> tuple[Queue, bool]:
            created = await tx.execute("insert_queue", args) == 1
            row = await tx.fetchone("get_queue", args)
            assert row is not None
            return queue_from_row(row), created

        return await self._tx(op)

    async def get_queue(self, account: str, region: str, name: str) -> Queue | None:
        """The queue of that name in the account and region (a queue is regional, as in AWS)."""
        args = {"account": account, "region": region, "name": name}
        return await self._record("get_queue", args, queue_from_row)

    async def list_queues(self, account: str, region: str, prefix: str) -> list[Queue]:
        """All queues of the account in the region whose name starts with ``prefix``, ordered
        by name."""
        args = {"account": account, "region": region, "prefix": prefix, "plen": len(prefix)}
        return await self._records("list_queues", args, queue_from_row)

    async def all_queues(self) -> list[Queue]:
        """Every queue of every account, ordered by id (maintenance)."""
        return await self._records("all_queues", {}, queue_from_row)

    async def delete_queue(self, queue_id: int, now_ms: int) -> None:
        """Delete the queue, its counts, and remember the name's deletion time, in one short
        transaction whatever the queue holds: its messages are deleted later, in chunks
        (``purge_step``, as a purge's; ``purges_pending`` lists it until then), and meanwhile
        belong to no queue — never delivered, counted or browsed, the id never reused. Its
        deduplication ids and receive attempts expire with their window (``expire_windows``)."""
        args = {"queue_id": queue_id}

        async def op(tx: Tx) -> None:
            await tx.execute("forget_counts", args)
            row = await tx.fetchone("delete_queue", args)
            if row is not None:
                await tx.execute("mark_deleting", args)
                deleted = {"account": row[0], "region": row[1], "name": row[2], "now": now_ms}
                await tx.execute("remember_deleted", deleted)

        await self._tx(op)
        self._groups.drop(queue_id)

    async def reset(self, account: str | None, region: str | None) -> ResetCounts:
        """Delete every queue and topic of ``account`` in ``region`` (None: of all), and all
        that hangs off them — messages, counts, deduplication windows, receive attempts, move
        tasks, subscriptions, outbox rows, recorded deliveries, tokens, SNS management records,
        the names' recent deletions — set-based, in one transaction. What was there, as cheaply
        known (the message count is ``queue_counts``', which PostgreSQL folds in lazily)."""
        args = {"account": account, "region": region}

        async def op(tx: Tx) -> ResetCounts:
            tx.settle_counts()
            row = await tx.fetchone("reset_counted", args)
            assert row is not None
            if account is None and region is None:
                await tx.execute("reset_everything")  # PostgreSQL: TRUNCATE
            for name in _RESET_STATEMENTS:
                await tx.execute(name, args)
            return ResetCounts(int(row[0]), int(row[1]), int(row[2]), int(row[3] or 0))

        counts = await self._tx(op)  # queue ids are never reused: no per-id hint goes stale
        self.changed(EVERYTHING, "")
        return counts

    async def deleted_since(self, account: str, region: str, name: str, since_ms: int) -> bool:
        """Whether a queue of this name, account and region was deleted after ``since_ms``."""
        args = {"account": account, "region": region, "name": name, "since": since_ms}
        return await self._record("deleted_since", args, bool) is not None

    async def update_queue(
        self, queue_id: int, attributes: dict[str, str], tags: dict[str, str], now_ms: int
    ) -> Queue:
        """Replace the queue's stored attributes and tags; QueueGone if it no longer exists."""
        args = {"queue_id": queue_id, "attributes": dumps(attributes), "tags": dumps(tags)}
        queue = await self._record("update_queue", {**args, "now": now_ms}, queue_from_row)
        if queue is None:
            raise QueueGone(queue_id)
        return queue

    async def purge(self, queue_id: int, now_ms: int, interval_ms: int) -> bool:
        """Unless the queue was purged after ``now_ms - interval_ms`` (then False, nothing
        changed): hide every message the queue holds now from receives and counts (its rows
        are deleted later, in chunks: ``purge_step``), forget the queue's deduplication window
        (ids sent before the purge time no longer count; maintenance deletes their rows when
        their window ends), and record the purge time — all atomically, so of concurrent purges
        on several nodes one wins. Messages that arrive after it are not purged. QueueGone if
        the queue no longer exists."""
        args = {"queue_id": queue_id, "now": now_ms}

        async def op(tx: Tx) -> bool:
            last = await tx.fetchone("purge_last", args)
            if last is None:
                raise QueueGone(queue_id)
            if last[0] is not None and last[0] > now_ms - interval_ms:
                return False
            await tx.execute("mark_purged", args)
            tx.settle_counts()  # sends of the same transaction are purged: count them
            await tx.execute("purge_counts", args)
            return True

        return await self._tx(op)

    async def purges_pending(self) -> list[int]:
        """Queues whose purge still has rows to delete, and deleted queues whose rows are not
        all deleted yet (after a restart: maintenance)."""
        return [int(r[0]) for r in await self._one(lambda tx: tx.fetchall("purges_pending"))]

    async def purge_step(self, queue_id: int, limit: int) -> bool:
        """Delete up to ``limit`` rows of the queue's purge under way, or of the deleted queue
        (one short transaction); True when none is left (the purge or the deletion is over, or
        there was none). Safe on several nodes at once: each deletes rows the others do not
        hold."""

        async def op(tx: Tx) -> bool:
            upto = await tx.fetchval("purge_last_seq", {"queue_id": queue_id})
            if upto is None:
                return True
            args = {"queue_id": queue_id, "upto": upto, "limit": limit}
            await tx.execute("purge_chunk_plan")
            deleted = await tx.execute("purge_chunk", args)
            if deleted:
                tx.count(queue_id, -deleted)
                await tx.execute("purge_unhide", {"queue_id": queue_id, "deleted": deleted})
            if deleted == limit or await tx.fetchone("purge_left", args) is not None:
                return False
            await tx.execute("purge_done", args)
            await tx.execute("deletion_done", args)
            await tx.execute("purge_counts_done", args)
            return True

        return await self._tx(op)

    # --- messages ---

    @abstractmethod
    async def send(
        self, queue_id: int, messages: list[NewMessage], fifo: FifoSend | None = None
    ) -> Stored:
        """Insert the messages; return (message id, sequence) for each, in order.

        Standard queues: the sequence is the row id. FIFO queues: the queue's next
        SequenceNumber; a message whose deduplication id was seen within the window is not
        inserted, and its entry returns the original message's id and SequenceNumber.
        A ``shared`` store raises QueueGone (and inserts nothing) if the queue no longer exists.
        """

    async def _message_rows(
        self, queue_id: int, messages: list[NewMessage]
    ) -> list[dict[str, Any]]:
        """The rows of a send's messages (all of one queue), sealed as the queue says."""
        dk = await self._data_key(messages[0].seal) if messages else None
        return [seal_message(message_row(queue_id, m), dk) for m in messages]

    async def receive(self, claim: Claim) -> tuple[list[ReceivedMessage], int | None, int]:
        """Claim visible rows (``claims``); when none, also return the earliest future
        visible_at (or None).

        Returns (messages, next_visible_ms, moved): ``moved`` counts rows that went to the
        dead-letter queue in this transaction (none if that queue no longer exists: its rows
        are then delivered, as without a dead-letter queue). The returned messages carry
        ``receipt_handle`` empty (the engine encodes handles); their ``sequence_number`` is the
        row's.
        """
        try:
            return await self._receive(claim)
        except Dangling:
            # The dead-letter queue was deleted (on another node) after the engine looked it up:
            # the move failed and nothing was claimed. Claim again as without one.
            return await self._receive(replace(claim, dead_letter_queue_id=None))

    async def _receive(self, claim: Claim) -> tuple[list[ReceivedMessage], int | None, int]:
        args = claims.claim_args(claim)
        if claim.fifo:
            got = await self._claim_fifo(args, claim)
        elif not self._groups.plain(claim.queue_id):
            got = await self._tx(lambda tx: claims.standard(tx, args, claim, self._groups))
        elif claim.dead_letter_queue_id is None:
            got = await self._claim_plain(args)
        else:
            got = await self._tx(lambda tx: claims.redriving(tx, args, claim.max_receive_count))
        rows, next_visible, moved = got
        if not claim.fifo and len(rows) > 1:
            rows.sort(key=lambda r: r[0])
        if moved and claim.dead_letter_queue_id is not None:
            self._groups.forget(claim.dead_letter_queue_id)  # it may hold groups now
        if rows:
            rows = await self._open_messages(rows)
        return [received_from_row(r) for r in rows], next_visible, moved

    async def _claim_plain(self, args: dict[str, Any]) -> claims.Got:
        """A standard queue's claim without message groups or dead-letter queue: one statement
        (PostgreSQL shares one among a loop turn's receives)."""
        return await self._one(lambda tx: claims.plain(tx, args))

    async def _claim_fifo(self, args: dict[str, Any], claim: Claim) -> claims.Got:
        """A FIFO receive's claim, one transaction (PostgreSQL does the usual one in a call)."""
        return await self._tx(lambda tx: claims.fifo(tx, args, claim, self.shared))

    async def delete_messages(
        self, handles: list[Handle], in_flight_at_ms: int | None = None
    ) -> list[Deletion]:
        """Delete the message each handle names (whichever of its receives the handle is from);
        with ``in_flight_at_ms``, only while the handle's receive is the message's latest and the
        message is in flight at that time ("expired" otherwise: the message stays). What each
        handle did, in order; a repeated handle deletes once. (PostgreSQL deletes a loop turn's
        handles together: ``PostgresStore.delete_messages``.)"""

        async def op(tx: Tx) -> list[Deletion]:
            # One writer, nobody to wake: a statement per handle costs microseconds (a row
            # count less than a RETURNING, a batch statement more than ten single ones).
            out: list[Deletion] = []
            for h in handles:
                if await tx.execute("delete_message", deletion_args(h, in_flight_at_ms)) == 1:
                    tx.count(h.queue_id, -1)
                    out.append("deleted")
                else:
                    out.append(await not_deleted(tx, h, in_flight_at_ms))
            return out

        return await (self._one(op) if len(handles) == 1 else self._tx(op))

    async def change_visibility(
        self, changes: list[tuple[Handle, int]], now_ms: int, refuse: VisibilityRule
    ) -> list[str | None]:
        """For each (handle, new visible_at), in one transaction: the row as it is goes to
        ``refuse`` (the engine's rule), and where that answers None the row's visible_at is
        set. ``refuse``'s answers, in order."""

        async def op(tx: Tx) -> list[str | None]:
            out: list[str | None] = []
            for handle, visible_ms in changes:
                where = {"seq": handle.seq, "queue_id": handle.queue_id}
                row = await tx.fetchone("visibility_row", where)
                found = None if row is None else VisibilityRow(*row)
                refusal = refuse(handle, found, visible_ms, now_ms)
                if refusal is None:
                    await tx.execute("set_visibility", {**where, "visible": visible_ms})
                    if visible_ms <= now_ms:
                        tx.wake(handle.queue_id, 1)
                out.append(refusal)
            return out

        return await self._tx(op)

    async def counts(self, queue_id: int, now_ms: int, retention_cutoff_ms: int) -> QueueCounts:
        """ApproximateNumberOfMessages{,NotVisible,Delayed} at ``now_ms``, without counting the
        backlog: the queue's row count (``queue_counts``, kept by every write) less the rows in
        flight or delayed (an index range: their cost, not the backlog's). Rows past retention
        (before ``retention_cutoff_ms``) still count until maintenance deletes them, as AWS's
        approximate counts may."""
        args = {"queue_id": queue_id, "now": now_ms}
        row = await self._one(lambda tx: tx.fetchone("counts", args))
        assert row is not None
        total, in_flight, delayed = (int(v or 0) for v in row)
        return QueueCounts(max(0, total - in_flight - delayed), in_flight, delayed)

    async def in_flight(self, queue_id: int, now_ms: int, floor: int) -> tuple[int, bool]:
        """The queue's messages in flight at ``now_ms`` (ReceiveMessage's in-flight limit),
        counted only when the queue holds at least ``floor`` rows (``queue_counts``: one row
        read); below that, the row count, which bounds it: the common case costs no counting.
        With whether the answer is that row count."""
        args = {"queue_id": queue_id, "now": now_ms}

        async def op(tx: Tx) -> tuple[int, bool]:
            total = int(await tx.fetchval("message_total", args) or 0)
            if total < floor:
                return total, True
            return int(await tx.fetchval("in_flight", args) or 0), False

        return await self._one(op)

    async def queue_overview(self, now_ms: int) -> list[QueueOverview]:
        """Every queue of every account and region with its backlog at ``now_ms`` (the
        counts of ``counts``, and its oldest unexpired message's send time), ordered by
        account, region and name. The counts cost what ``counts`` costs; the oldest message is
        still a read of each queue's rows, so it runs off the event loop (``_read``): call it
        from a background task, never per request. Several nodes on one database see the same
        figures."""
        args = {"now": now_ms, "retention_s": _DEFAULT_RETENTION_S}

        def make(row: Row) -> QueueOverview:
            total, not_visible, delayed = (int(v or 0) for v in row[9:12])
            visible = max(0, total - not_visible - delayed)
            return QueueOverview(
                queue_from_row(row[:9]), visible, not_visible, delayed, row[12], now_ms
            )

        rows = await self._read(lambda tx: tx.fetchall("queue_overview", args))
        return [make(row) for row in rows]

    # --- browsing (the console) ---

    async def peek(
        self,
        queue_id: int,
        after: PeekCursor | None,
        limit: int,
        newest_first: bool,
        now_ms: int,
        retention_cutoff_ms: int,
    ) -> list[Peeked]:
        """Up to ``limit`` unexpired messages of the queue in the order they become visible
        (the order receives take them; for messages never received nor delayed, the order
        they were sent), from the start or the end, after ``after`` (the last row of the
        previous page). Reads only: no receive count, visibility or receipt changes. One
        indexed range read, whatever the queue's size. Sealed bodies come back opened."""
        edge = _LAST if newest_first else _FIRST
        args = {
            "queue_id": queue_id,
            "after_visible": edge.visible_ms if after is None else after.visible_ms,
            "after_seq": edge.seq if after is None else after.seq,
            "cutoff": retention_cutoff_ms,
            "limit": limit,
        }
        name = "peek_backward" if newest_first else "peek_forward"
        rows = await self._one(lambda tx: tx.fetchall(name, args))
        if rows:
            rows = await self._open_messages(rows)
        return [Peeked(received_from_row(r), r[17], r[10] > 0 and r[17] > now_ms) for r in rows]

    async def delete_peeked(self, queue_id: int, seq: int, message_id: str) -> bool:
        """Delete the one message browsing showed (its row and message id, both must match:
        a reused row id never deletes another message); whether it was still there."""
        args = {"queue_id": queue_id, "seq": seq, "message_id": message_id}

        async def op(tx: Tx) -> bool:
            deleted = await tx.execute("delete_peeked", args) == 1
            if deleted:
                tx.count(queue_id, -1)
                tx.wake(queue_id, 1)  # a FIFO group it held in flight may be free now
            return deleted

        return await self._one(op)

    async def expire(self, queue_id: int, retention_cutoff_ms: int) -> int:
        """Delete rows sent at or before the cutoff; return how many. Found by a read off the
        event loop (``_read``: on SQLite, a scan of the queue's rows in a worker thread, which
        on a queue of millions takes a while), deleted ``EXPIRE_CHUNK_ROWS`` at a time, each
        chunk its own short transaction."""
        args = {"queue_id": queue_id, "cutoff": retention_cutoff_ms, "limit": EXPIRE_CHUNK_ROWS}
        removed = 0
        for _ in range(EXPIRE_MAX_CHUNKS):
            rows = await self._read(lambda tx: tx.fetchall("expire_candidates", args))
            seqs = [int(r[0]) for r in rows]
            if not seqs:
                break

            async def op(tx: Tx, seqs: list[int] = seqs) -> int:
                deleted = await tx.execute("expire", {**args, "seqs": tx.array(seqs)})
                tx.count(queue_id, -deleted)
                return deleted

            deleted = await self._one(op)
            removed += deleted
            if deleted == 0 or len(seqs) < EXPIRE_CHUNK_ROWS:
                break  # all done, or the rest is held by others (the next round)
        return removed

    async def expire_windows(self, now_ms: int) -> None:
        """Forget deduplication ids and receive attempts whose 5-minute window has passed:
        ``EXPIRE_CHUNK_ROWS`` per transaction, oldest first (a busy FIFO queue remembers
        hundreds of thousands), at most ``EXPIRE_MAX_CHUNKS`` per call (maintenance calls
        again)."""
        args = {"now": now_ms, "limit": EXPIRE_CHUNK_ROWS}
        for name in ("expire_dedup", "expire_attempts"):
            for _ in range(EXPIRE_MAX_CHUNKS):

                async def op(tx: Tx, name: str = name) -> int:
                    return await tx.execute(name, args)

                if await self._one(op) < EXPIRE_CHUNK_ROWS:
                    break


# The deletes of a reset, in their order (densho/storage/sql/reset.sql).
_RESET_STATEMENTS = (
    "reset_messages",
    "reset_queue_counts",
    "reset_fifo_dedup",
    "reset_receive_attempts",
    "reset_move_tasks",
    "reset_queues",
    "reset_deleted_queues",
    "reset_sns_dedup",
    "reset_sns_outbox",
    "reset_sns_recorded",
    "reset_sns_tokens",
    "reset_sns_subscriptions",
    "reset_sns_topics",
    "reset_sns_platform_endpoints",
    "reset_sns_platform_apps",
    "reset_sns_sms_attributes",
    "reset_sns_opted_out",
    "reset_sns_sandbox_numbers",
)


# The keysets before the first and after the last row (times and row ids are below 2**62).
_FIRST = PeekCursor(-(2**62), -(2**62))
_LAST = PeekCursor(2**62, 2**62)


# Before any time a message row can hold: "in flight at" it is every row.
_ANY_TIME = -(2**62)


def by_receive(h: Handle, in_flight_at_ms: int | None) -> bool:
    """Whether ``h`` deletes by the nonce of its receive (under ``in_flight_at_ms``, or a
    handle without the message id: then only while that receive is the latest), not by its
    message id (any of its receives)."""
    return in_flight_at_ms is not None or h.message_id is None


def deletion_args(h: Handle, in_flight_at_ms: int | None) -> dict[str, Any]:
    """The arguments of ``delete_message``: the handle's message, named as ``by_receive``
    says; in flight at ``in_flight_at_ms``."""
    by_nonce = by_receive(h, in_flight_at_ms)
    return {
        "seq": h.seq,
        "queue_id": h.queue_id,
        "nonce": h.nonce if by_nonce else None,
        "message_id": None if by_nonce else h.message_id,
        "in_flight_at": _ANY_TIME if in_flight_at_ms is None else in_flight_at_ms,
    }


async def not_deleted(tx: Tx, h: Handle, in_flight_at_ms: int | None) -> Deletion:
    """Why ``h`` deleted nothing: its message is "gone", or (only the latest receive in flight
    deletes) it is still there and the handle "expired"."""
    if in_flight_at_ms is None:
        return "gone"
    args = {"seq": h.seq, "queue_id": h.queue_id, "nonce": h.nonce, "message_id": h.message_id}
    return "gone" if await tx.fetchone("message_named", args) is None else "expired"
