"""SNS on the PostgreSQL store (``SnsStore``), mixed into ``PostgresStore``.

Owns: the SNS transactions on PostgreSQL, and the signing key the nodes share (``SigningStore``,
table ``sns_signing``). A publish's SQS deliveries to every matching queue, its
FIFO deduplication record and the topic's sequence commit together or not at all. Several nodes
publish at once: a FIFO topic's deduplication id is claimed with INSERT ... ON CONFLICT (the
second publisher waits for the first and then sees its record); the FIFO queues a publish
delivers to are locked in id order before any delivery, so two publishes never deadlock on them;
subscribing takes a per-topic advisory lock, so a find-or-insert cannot insert twice.
Must not know: SNS rules beyond the ``SnsStore`` contract; HTTP; AWS errors.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import asyncpg

from densho.core.sns_model import (
    Delivery,
    OutboxEntry,
    Published,
    PublishItem,
    Recorded,
    Subscription,
    Token,
    Topic,
)
from densho.core.store import FifoSend, QueueGone
from densho.storage import sql
from densho.storage.postgres_outbox import insert_outbox, insert_recorded, insert_token
from densho.storage.postgres_sql import Conn, compile_all
from densho.storage.rows import (
    dumps,
    message_row,
    sub_args,
    sub_from_row,
    topic_args,
    topic_from_row,
)

if TYPE_CHECKING:
    from densho.storage.postgres_sql import Db

_S = compile_all(sql.queries("sns.sql", "pg_sns.sql"))
_Q = compile_all(sql.queries("pg_queries.sql"))


class PgSns:
    """The ``SnsStore`` methods; the class using it provides ``db``, ``_insert_messages`` and
    ``_available`` (``PostgresStore``)."""

    if TYPE_CHECKING:

        @property
        def db(self) -> Db:
            raise NotImplementedError

        async def _insert_messages(
            self, c: Conn, queue_id: int, rows: list[dict[str, Any]], fifo: FifoSend | None
        ) -> list[tuple[str, int]]:
            raise NotImplementedError

        def _available(self, queue_id: int, count: int) -> None:
            raise NotImplementedError

    # --- topics ---

    async def create_topic(self, topic: Topic) -> tuple[Topic, bool]:
        args = topic_args(topic)
        async with self.db.tx() as c:
            created = await c.execute(_S["sns_topic_insert"], args) == 1
            row = await c.fetchrow(_S["sns_topic_get"], args)
        assert row is not None
        return topic_from_row(tuple(row)), created

    async def get_topic(self, arn: str) -> Topic | None:
        async with self.db.one() as c:
            row = await c.fetchrow(_S["sns_topic_get"], {"arn": arn})
        return None if row is None else topic_from_row(tuple(row))

    async def list_topics(self, account: str) -> list[Topic]:
        async with self.db.one() as c:
            return [
                topic_from_row(tuple(r))
                for r in await c.fetch(_S["sns_topic_list"], {"account": account})
            ]

    async def update_topic(
        self, arn: str, attributes: dict[str, str], tags: dict[str, str]
    ) -> Topic:
        args = {"arn": arn, "attributes": dumps(attributes), "tags": dumps(tags)}
        async with self.db.one() as c:
            row = await c.fetchrow(_S["sns_topic_update"], args)
        if row is None:
            raise LookupError(arn)
        return topic_from_row(tuple(row))

    async def reserve_topic_seq(self, arn: str, count: int) -> int | None:
        async with self.db.one() as c:
            seq = await c.fetchval(_S["sns_topic_reserve"], {"arn": arn, "count": count})
        return None if seq is None else int(seq)

    async def delete_topic(self, arn: str) -> list[str]:
        async with self.db.tx() as c:
            await c.execute(_S["sns_topic_delete"], {"arn": arn})
            await c.execute(_S["sns_topic_dedup_forget"], {"arn": arn})
            return [r[0] for r in await c.fetch(_S["sns_topic_subscriptions_delete"], {"arn": arn})]

    # --- subscriptions ---

    async def create_subscription(self, sub: Subscription) -> tuple[Subscription, bool]:
        args = sub_args(sub)
        async with self.db.tx() as c:
            await c.execute(_S["sns_sub_lock_topic"], args)
            row = await c.fetchrow(_S["sns_sub_find"], args)
            if row is not None:
                return sub_from_row(tuple(row)), False
            await c.execute(_S["sns_sub_insert"], args)
        return sub, True

    async def get_subscription(self, arn: str) -> Subscription | None:
        async with self.db.one() as c:
            row = await c.fetchrow(_S["sns_sub_get"], {"arn": arn})
        return None if row is None else sub_from_row(tuple(row))

    async def list_subscriptions(self, owner: str) -> list[Subscription]:
        async with self.db.one() as c:
            return [
                sub_from_row(tuple(r)) for r in await c.fetch(_S["sns_sub_list"], {"owner": owner})
            ]

    async def topic_subscriptions(self, topic_arn: str) -> list[Subscription]:
        async with self.db.one() as c:
            rows = await c.fetch(_S["sns_sub_by_topic"], {"topic_arn": topic_arn})
        return [sub_from_row(tuple(r)) for r in rows]

    async def update_subscription(
        self, arn: str, attributes: dict[str, str], confirmed: bool
    ) -> Subscription | None:
        args = {"arn": arn, "attributes": dumps(attributes), "confirmed": int(confirmed)}
        async with self.db.one() as c:
            row = await c.fetchrow(_S["sns_sub_update"], args)
        return None if row is None else sub_from_row(tuple(row))

    async def delete_subscription(self, arn: str) -> bool:
        async with self.db.one() as c:
            return await c.execute(_S["sns_sub_delete"], {"arn": arn}) == 1

    async def subscribe_pending(
        self,
        sub: Subscription,
        token: Token,
        outbox: list[OutboxEntry],
        recorded: list[Recorded],
    ) -> tuple[Subscription, bool]:
        args = sub_args(sub)
        async with self.db.tx() as c:
            await c.execute(_S["sns_sub_lock_topic"], args)
            row = await c.fetchrow(_S["sns_sub_find"], args)
            found = None if row is None else sub_from_row(tuple(row))
            if found is not None and found.confirmed:
                return found, False  # nothing to confirm: no new token, no message
            if found is None:
                await c.execute(_S["sns_sub_insert"], args)
            arn = sub.arn if found is None else found.arn
            await insert_token(c, token, arn)
            await insert_outbox(c, outbox, arn)
            await insert_recorded(c, recorded, subscription_arn=arn)
        return (sub, True) if found is None else (found, False)

    async def delete_subscription_noting(
        self, arn: str, token: Token, outbox: list[OutboxEntry]
    ) -> bool:
        async with self.db.tx() as c:
            if await c.execute(_S["sns_sub_delete"], {"arn": arn}) != 1:
                return False
            await insert_token(c, token)
            await insert_outbox(c, outbox)
        return True

    # --- publishing ---

    async def publish(self, topic_arn: str, items: list[PublishItem]) -> list[Published]:
        while True:
            try:
                return await self._publish(topic_arn, items)
            except QueueGone as gone:
                # A queue subscribed to the topic was deleted on another node after the engine
                # looked it up; the transaction rolled back. AWS drops a delivery to a queue
                # that is gone and accepts the publish: again, without that queue.
                kept = [
                    replace(
                        item, deliveries=[d for d in item.deliveries if d.queue_id != gone.queue_id]
                    )
                    for item in items
                ]
                if sum(map(len, (i.deliveries for i in kept))) == sum(
                    map(len, (i.deliveries for i in items))
                ):
                    raise
                items = kept

    async def _publish(self, topic_arn: str, items: list[PublishItem]) -> list[Published]:
        delivered: dict[int, int] = {}
        async with self.db.tx() as c:
            fifo_queues = sorted(
                {d.queue_id for item in items for d in item.deliveries if d.fifo is not None}
            )
            if fifo_queues:  # in id order, before any delivery: no deadlock between publishes
                await c.fetch(_Q["lock_fifo_queues"], {"ids": fifo_queues})
            out: list[Published] = []
            top_seq = 0
            for item in items:
                if item.dedup is not None:
                    first = await self._claim_dedup(c, topic_arn, item)
                    if first is not None:
                        out.append(first)
                        continue
                for delivery in item.deliveries:
                    await self._deliver(c, delivery)
                    delivered[delivery.queue_id] = delivered.get(delivery.queue_id, 0) + 1
                await insert_outbox(c, item.outbox)
                await insert_recorded(c, item.recorded)
                if item.sequence is not None:
                    top_seq = max(top_seq, item.sequence)
                out.append(Published(item.message_id, item.sequence, True))
            if top_seq:
                await c.execute(_S["sns_topic_seq"], {"arn": topic_arn, "seq": top_seq})
        for queue_id, count in delivered.items():
            self._available(queue_id, count)
        return out

    async def _deliver(self, c: Conn, delivery: Delivery) -> None:
        row = message_row(delivery.queue_id, delivery.message)
        try:
            await self._insert_messages(c, delivery.queue_id, [row], delivery.fifo)
        except asyncpg.ForeignKeyViolationError:
            raise QueueGone(delivery.queue_id) from None

    @staticmethod
    async def _claim_dedup(c: Conn, topic_arn: str, item: PublishItem) -> Published | None:
        """None when the item is the first with its deduplication id within the window (its
        id is remembered now); else the original's answer."""
        dedup = item.dedup
        assert dedup is not None
        key = {
            "topic_arn": topic_arn,
            "scope": dedup.scope,
            "dedup_id": dedup.dedup_id,
            "now": dedup.now_ms,
        }
        claimed = await c.fetchrow(
            _S["sns_dedup_claim"],
            {
                **key,
                "message_id": item.message_id,
                "seq": item.sequence,
                "expires": dedup.now_ms + dedup.window_ms,
            },
        )
        if claimed is not None:
            return None
        found = await c.fetchrow(_S["sns_dedup_find"], key)
        assert found is not None  # the conflicting row is live (and locked by this statement)
        return Published(found[0], found[1], False)

    async def expire_topic_windows(self, now_ms: int) -> None:
        async with self.db.one() as c:
            await c.execute(_S["sns_dedup_expire"], {"now": now_ms})

    # --- the signing key every node shares (``SigningStore``) ---

    async def signing_material(self) -> tuple[bytes, bytes] | None:
        async with self.db.one() as c:
            row = await c.fetchrow(_S["sns_signing_get"], {})
        return None if row is None else (row[0].encode(), row[1].encode())

    async def keep_signing_material(
        self, key_pem: bytes, cert_pem: bytes, now_ms: int
    ) -> tuple[bytes, bytes]:
        args = {"key_pem": key_pem.decode(), "cert_pem": cert_pem.decode(), "now": now_ms}
        async with self.db.one() as c:
            await c.execute(_S["sns_signing_insert"], args)  # ON CONFLICT DO NOTHING
            row = await c.fetchrow(_S["sns_signing_get"], {})
        assert row is not None  # inserted now, or by the node that was first
        return row[0].encode(), row[1].encode()

    async def renew_signing_certificate(self, old_pem: bytes, new_pem: bytes) -> bytes:
        args = {"old_pem": old_pem.decode(), "new_pem": new_pem.decode()}
        async with self.db.one() as c:
            await c.execute(_S["sns_signing_renew"], args)
            row = await c.fetchrow(_S["sns_signing_get"], {})
        assert row is not None  # never deleted
        return str(row[1]).encode()
