"""SNS delivery outside densho in the store, each operation written once for both backends.

Owns: the outbox rows (insert, claim with a lease, finish, reschedule, dead-letter, record), the
log of recorded deliveries and the confirmation tokens, and storing one SNS delivery to an SQS
queue (``_deliver``). The publish operation (``sns_base``) writes outbox and recorded rows
through ``insert_outbox`` / ``insert_recorded`` inside its own transaction.
Must not know: SNS rules (which rows to write, when to retry); HTTP; SMTP.

Several nodes deliver from one outbox: a claim locks the rows it takes with ``FOR UPDATE SKIP
LOCKED`` (``pg_sns_outbox.sql``) and pushes their due time to the end of its lease, so no two
nodes attempt a row at once, and a row whose node died is due again when the lease ends.
"""

from __future__ import annotations

from typing import Any

from densho.core.sns_model import (
    Claimed,
    Delivery,
    OutboxDepth,
    OutboxEntry,
    Pending,
    PublishItem,
    Recorded,
    RecordedRow,
    Token,
)
from densho.core.store import QueueGone
from densho.sealing.seal import DataKey
from densho.storage.rows import (
    message_row,
    outbox_entry,
    outbox_row,
    recorded_from_row,
    recorded_row,
    token_row,
)
from densho.storage.sealed import (
    PAYLOAD,
    SUBJECT,
    Keys,
    Sealed,
    seal_message,
    seal_payload,
)
from densho.storage.tx import Dangling, Tx

# Columns of the rows read back that may be sealed: (index, associated data).
CLAIMED_SEALED = ((8, PAYLOAD),)  # sns_outbox_claim: id, attempts, then an outbox_entry row
RECORDED_SEALED = ((8, PAYLOAD), (10, SUBJECT))  # sns_recorded_list


async def insert_outbox(
    tx: Tx,
    entries: list[OutboxEntry],
    subscription_arn: str | None = None,
    dk: DataKey | None = None,
) -> None:
    """Write ``entries``, each due at its creation (sealed with ``dk`` if given);
    ``subscription_arn`` overrides theirs."""
    if entries:
        rows = [seal_payload(outbox_row(e, subscription_arn), dk) for e in entries]
        await tx.executemany("sns_outbox_insert", rows)


async def insert_recorded(
    tx: Tx,
    recorded: list[Recorded],
    now_ms: int | None = None,
    subscription_arn: str | None = None,
    dk: DataKey | None = None,
) -> None:
    """Append to the recorded log (sealed with ``dk`` if given); ``now_ms`` None records
    each at its creation time."""
    if recorded:
        rows = [seal_payload(recorded_row(r, subscription_arn, now_ms), dk) for r in recorded]
        await tx.executemany("sns_recorded_insert", rows)


async def insert_token(tx: Tx, token: Token, subscription_arn: str | None = None) -> None:
    await tx.execute("sns_token_insert", token_row(token, subscription_arn))


def delivery_row(delivery: Delivery, keys: Keys) -> dict[str, Any]:
    """The message row of an SNS delivery to an SQS queue, sealed with its key among ``keys``."""
    seal = delivery.message.seal
    dk = None if seal is None else keys.get(seal)
    return seal_message(message_row(delivery.queue_id, delivery.message), dk)


def plain_publish(item: PublishItem) -> bool:
    """Whether a published item only stores standard deliveries: no FIFO delivery, topic
    deduplication or sequence, outbox or recorded row (a store may then write it with one
    statement)."""
    return (
        item.dedup is None
        and item.sequence is None
        and not item.outbox
        and not item.recorded
        and all(d.fifo is None for d in item.deliveries)
    )


def by_queue(rows: list[tuple[int, dict[str, Any]]]) -> dict[int, list[dict[str, Any]]]:
    """(queue id, row) pairs grouped by queue, in the order given."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for queue_id, row in rows:
        grouped.setdefault(queue_id, []).append(row)
    return grouped


class Outbox(Sealed):
    async def _deliver(self, tx: Tx, deliveries: list[Delivery], keys: Keys) -> None:
        """Store SNS deliveries to SQS queues (each sealed with its key among ``keys``): the
        FIFO ones each through its queue's deduplication, the standard ones together
        (``_insert_fanout``). QueueGone (the operation fails) when a queue was deleted on
        another node since the engine looked it up."""
        standard: list[tuple[int, dict[str, Any]]] = []
        for delivery in deliveries:
            queue_id = delivery.queue_id
            row = delivery_row(delivery, keys)
            if delivery.fifo is None:
                standard.append((queue_id, row))
                continue
            try:
                await self._insert_messages(tx, queue_id, [row], delivery.fifo)
            except Dangling:
                raise QueueGone(queue_id) from None
            tx.wake(queue_id, 1)
        if standard:
            await self._insert_fanout(tx, standard)
            for queue_id, _ in standard:
                tx.wake(queue_id, 1)

    async def _insert_fanout(self, tx: Tx, rows: list[tuple[int, dict[str, Any]]]) -> None:
        """Standard message rows of several queues, (queue id, row) in the order given, inside
        an operation; QueueGone when a queue is gone. One statement per queue, so a missing
        queue is named (a backend with one writer may insert them all at once)."""
        for queue_id, queue_rows in by_queue(rows).items():
            try:
                await self._insert_messages(tx, queue_id, queue_rows, None)
            except Dangling:
                raise QueueGone(queue_id) from None

    async def outbox_claim(
        self, now_ms: int, lease: str, lease_until_ms: int, limit: int
    ) -> list[Claimed]:
        """Claim up to ``limit`` rows due at ``now_ms`` for one attempt each: stamp ``lease``,
        count the attempt, and make each due again at ``lease_until_ms`` (so a row whose
        claimer dies is retried). Safe with several claimers on one database."""
        args = {"now": now_ms, "lease": lease, "lease_until": lease_until_ms, "limit": limit}
        rows = await self._one(lambda tx: tx.fetchall("sns_outbox_claim", args))
        claimed = [
            Claimed(r[0], lease, r[1], outbox_entry(opened[2:], self._seal_of(r[8])))
            for r, opened in zip(rows, await self._open_rows(rows, CLAIMED_SEALED), strict=True)
        ]
        return sorted(claimed, key=lambda c: c.row_id)

    async def outbox_done(self, row_id: int, lease: str) -> bool:
        """Delete the row if ``lease`` still holds it (delivered, or given up)."""
        return await self._one(lambda tx: _done(tx, row_id, lease))

    async def outbox_retry(self, row_id: int, lease: str, due_ms: int, error: str) -> bool:
        """Release the row held by ``lease``, due again at ``due_ms``."""
        args = {"id": row_id, "lease": lease, "due": due_ms, "error": error}

        async def op(tx: Tx) -> bool:
            return await tx.execute("sns_outbox_retry", args) == 1

        return await self._one(op)

    async def outbox_dead_letter(self, row_id: int, lease: str, delivery: Delivery) -> bool:
        """Delete the row held by ``lease`` and send ``delivery`` to its SQS queue, together."""
        keys = await self._data_keys([delivery.message.seal])

        async def op(tx: Tx) -> bool:
            if not await _done(tx, row_id, lease):
                return False  # the lease was lost: whoever holds the row now decides
            await self._deliver(tx, [delivery], keys)
            return True

        try:
            return await self._tx(op)
        except QueueGone:
            # The dead-letter queue was deleted (on another node) since it was looked up: the
            # delivery is dropped, as when it is found gone before.
            return await self.outbox_done(row_id, lease)

    async def outbox_record(self, row_id: int, lease: str, recorded: Recorded, now_ms: int) -> bool:
        """Delete the row held by ``lease`` and append ``recorded`` to the log, together."""
        dk = await self._data_key(recorded.seal)

        async def op(tx: Tx) -> bool:
            if not await _done(tx, row_id, lease):
                return False
            await insert_recorded(tx, [recorded], now_ms, dk=dk)
            return True

        return await self._tx(op)

    async def outbox_next_due(self) -> int | None:
        """The earliest due time of any row (claimed rows: their lease's end), or None."""
        value = await self._one(lambda tx: tx.fetchval("sns_outbox_next_due"))
        return None if value is None else int(value)

    async def outbox_depths(self) -> list[OutboxDepth]:
        """How many rows the outbox holds per topic and protocol (due, waiting for a retry,
        or being attempted), ordered by topic. Counts every row: off the event loop (``_read``),
        from a background task."""
        rows = await self._read(lambda tx: tx.fetchall("sns_outbox_depths"))
        return [OutboxDepth(r[0], r[1], r[2]) for r in rows]

    async def outbox_recover(self, now_ms: int) -> int:
        """At start-up: make rows claimed by a process that is gone due now. A backend shared
        by several nodes cannot tell (a lease may be a live node's), and returns 0: their leases
        run out instead."""
        if self.shared:
            return 0
        # One process owns the store: a lease found at start-up belongs to a process that died,
        # so its rows are due again now, not when the lease would have ended.
        return await self._one(lambda tx: tx.execute("sns_outbox_release", {"now": now_ms}))

    async def outbox_pending(self, limit: int) -> list[Pending]:
        """Up to ``limit`` rows of the outbox, next due first (the console)."""
        rows = await self._one(lambda tx: tx.fetchall("sns_outbox_pending", {"limit": limit}))
        return [Pending(*r) for r in rows]

    async def recorded(
        self,
        protocol: str | None = None,
        endpoint: str | None = None,
        topic_arn: str | None = None,
        limit: int = 1000,
    ) -> list[RecordedRow]:
        """The newest ``limit`` recorded deliveries matching the filters, oldest first."""
        args = {"protocol": protocol, "endpoint": endpoint, "topic_arn": topic_arn, "limit": limit}
        rows = await self._one(lambda tx: tx.fetchall("sns_recorded_list", args))
        return [recorded_from_row(r) for r in await self._open_rows(rows, RECORDED_SEALED)][::-1]

    async def clear_recorded(self) -> int:
        """Forget every recorded delivery; how many there were."""
        return await self._one(lambda tx: tx.execute("sns_recorded_clear"))

    async def get_token(self, token: str) -> Token | None:
        return await self._record("sns_token_get", {"token": token}, lambda row: Token(*row))

    async def forget_tokens(self, now_ms: int) -> None:
        """Delete confirmation tokens that expired at or before ``now_ms``."""
        await self._one(lambda tx: tx.execute("sns_token_expire", {"now": now_ms}))


async def _done(tx: Tx, row_id: int, lease: str) -> bool:
    return await tx.execute("sns_outbox_done", {"id": row_id, "lease": lease}) == 1
