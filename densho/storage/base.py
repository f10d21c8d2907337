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
from densho.core.store import Claim, FifoSend, Handle, QueueGone, VisibilityRow, VisibilityRule
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

    async def get_queue(self, account: str, name: str) -> Queue | None:
        return await self._record("get_queue", {"account": account, "name": name}, queue_from_row)

    async def list_queues(self, account: str, prefix: str) -> list[Queue]:
        """All queues of the account whose name starts with ``prefix``, ordered by name."""
        args = {"account": account, "prefix": prefix, "plen": len(prefix)}
        return await self._records("list_queues", args, queue_from_row)

    async def all_queues(self) -> list[Queue]:
        """Every queue of every account, ordered by id (maintenance)."""
        return await self._records("all_queues", {}, queue_from_row)

    async def delete_queue(self, queue_id: int, now_ms: int) -> None:
        """Delete the queue and its messages; remember the name's deletion time."""
        args = {"queue_id": queue_id}

        async def op(tx: Tx) -> None:
            tx.count(queue_id, -await tx.execute("delete_queue_messages", args))
            await tx.execute("forget_counts", args)
            await tx.execute("forget_queue_windows", args)
            await tx.execute("forget_queue_attempts", args)
            row = await tx.fetchone("delete_queue", args)
            if row is not None:
                deleted = {"account": row[0], "name": row[1], "now": now_ms}
                await tx.execute("remember_deleted", deleted)

        await self._tx(op)
        self._groups.drop(queue_id)

    async def deleted_since(self, account: str, name: str, since_ms: int) -> bool:
        """Whether a queue of this name was deleted after ``since_ms``."""
        args = {"account": account, "name": name, "since": since_ms}
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
        are deleted later, in chunks: ``purge_step``), forget the queue's deduplication window,
        and record the purge time — all atomically, so of concurrent purges on several nodes
        one wins. Messages that arrive after it are not purged. QueueGone if the queue no longer
        exists."""
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
            await tx.execute("purge_dedup", args)
            return True

        return await self._tx(op)

    async def purges_pending(self) -> list[int]:
        """Queues whose purge still has rows to delete (after a restart: maintenance)."""
        return [int(r[0]) for r in await self._one(lambda tx: tx.fetchall("purges_pending"))]

    async def purge_step(self, queue_id: int, limit: int) -> bool:
        """Delete up to ``limit`` rows of the queue's purge under way (one short transaction);
        True when none is left (the purge is over, or there was none). Safe on several nodes
        at once: each deletes rows the others do not hold."""

        async def op(tx: Tx) -> bool:
            upto = await tx.fetchval("purge_last_seq", {"queue_id": queue_id})
            if upto is None:
                return True
            args = {"queue_id": queue_id, "upto": upto, "limit": limit}
            deleted = await tx.execute("purge_chunk", args)
            if deleted:
                tx.count(queue_id, -deleted)
                await tx.execute("purge_unhide", {"queue_id": queue_id, "deleted": deleted})
            if deleted == limit or await tx.fetchone("purge_left", args) is not None:
                return False
            await tx.execute("purge_done", args)
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
            got = await self._tx(lambda tx: claims.fifo(tx, args, claim, self.shared))
        elif not self._groups.plain(claim.queue_id):
            got = await self._tx(lambda tx: claims.standard(tx, args, claim, self._groups))
        elif claim.dead_letter_queue_id is None:
            got = await self._one(lambda tx: claims.plain(tx, args))
        else:
            got = await self._tx(lambda tx: claims.redriving(tx, args, claim.max_receive_count))
        rows, next_visible, moved = got
        if not claim.fifo:
            rows.sort(key=lambda r: r[0])
        if moved and claim.dead_letter_queue_id is not None:
            self._groups.forget(claim.dead_letter_queue_id)  # it may hold groups now
        if rows:
            rows = await self._open_messages(rows)
        return [received_from_row(r) for r in rows], next_visible, moved

    async def delete_messages(self, handles: list[Handle]) -> list[bool]:
        """Delete each row whose handle is current; True where a row was deleted."""

        async def op(tx: Tx) -> list[bool]:
            if not self.shared:
                # One writer, nobody to wake: a statement per handle costs microseconds (a row
                # count less than a RETURNING, a batch statement more than ten single ones).
                done = [await tx.execute("delete_message", _current(h)) == 1 for h in handles]
                for h, gone in zip(handles, done, strict=True):
                    if gone:
                        tx.count(h.queue_id, -1)
                return done
            if len(handles) == 1:
                fifo = await tx.fetchval("delete_message", _current(handles[0]))
                if fifo:  # a FIFO group may be unlocked now
                    tx.wake(handles[0].queue_id, 1)
                return [fifo is not None]
            out = [False] * len(handles)
            by_queue: dict[int, list[int]] = {}
            for i, h in enumerate(handles):
                by_queue.setdefault(h.queue_id, []).append(i)
            for queue_id, indexes in by_queue.items():  # one statement per queue (round trip)
                args = {
                    "queue_id": queue_id,
                    "seqs": tx.array([handles[i].seq for i in indexes]),
                    "nonces": tx.array([handles[i].nonce for i in indexes]),
                }
                rows = await tx.fetchall("delete_messages", args)
                deleted = {(r[0], r[1]): r[2] for r in rows}
                for i in indexes:
                    key = (handles[i].seq, handles[i].nonce)
                    if key in deleted:
                        out[i] = True
                        if deleted.pop(key):  # a repeated handle deletes once
                            tx.wake(queue_id, 1)
            return out

        return await (self._one(op) if self.shared or len(handles) == 1 else self._tx(op))

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

    async def in_flight(self, queue_id: int, now_ms: int, floor: int) -> int:
        """The queue's messages in flight at ``now_ms`` (ReceiveMessage's in-flight limit),
        counted only when the queue holds at least ``floor`` rows (``queue_counts``: one row
        read); below that, the row count, which bounds it: the common case costs no counting."""
        args = {"queue_id": queue_id, "now": now_ms}

        async def op(tx: Tx) -> int:
            total = int(await tx.fetchval("message_total", args) or 0)
            if total < floor:
                return total
            return int(await tx.fetchval("in_flight", args) or 0)

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

    async def oldest_sent(self, queue_id: int, retention_cutoff_ms: int) -> int | None:
        """The send time of the queue's oldest unexpired message; None when it has none."""
        args = {"queue_id": queue_id, "cutoff": retention_cutoff_ms}
        found: int | None = await self._one(lambda tx: tx.fetchval("oldest_sent", args))
        return found

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
        """Forget deduplication ids and receive attempts whose 5-minute window has passed."""

        async def op(tx: Tx) -> None:
            await tx.execute("expire_dedup", {"now": now_ms})
            await tx.execute("expire_attempts", {"now": now_ms})

        await self._tx(op)


# The keysets before the first and after the last row (times and row ids are below 2**62).
_FIRST = PeekCursor(-(2**62), -(2**62))
_LAST = PeekCursor(2**62, 2**62)


def _current(h: Handle) -> dict[str, int]:
    """The arguments of ``delete_message``: the row, if the handle's receive is its latest."""
    return {"seq": h.seq, "queue_id": h.queue_id, "nonce": h.nonce}
