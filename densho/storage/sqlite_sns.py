"""SNS on the embedded SQLite store (``SnsStore``), mixed into ``SqliteStore``.

Owns: the SNS jobs. Each runs as one job of the store's group commit (``SqliteStore._call``):
a publish's SQS deliveries to every matching queue, its outbox rows (HTTP/S, email) and recorded
deliveries, its FIFO deduplication record and the topic's sequence commit together or not at
all, and the caller hears back only after the commit is durable.
Must not know: SNS rules beyond the ``SnsStore`` contract; HTTP; AWS errors.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

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
from densho.core.store import FifoSend
from densho.storage import sql
from densho.storage.rows import (
    dumps,
    message_row,
    sub_args,
    sub_from_row,
    topic_args,
    topic_from_row,
)
from densho.storage.sqlite_outbox import insert_outbox, insert_recorded, insert_token

T = TypeVar("T")

_S = sql.queries("sns.sql")


class SqliteSns:
    """The ``SnsStore`` methods; the class using it provides ``_call`` and ``_insert_messages``
    (``SqliteStore``)."""

    if TYPE_CHECKING:

        async def _call(self, job: Callable[[sqlite3.Connection], T], single: bool = False) -> T:
            raise NotImplementedError

        def _insert_messages(
            self,
            conn: sqlite3.Connection,
            queue_id: int,
            rows: list[dict[str, Any]],
            fifo: FifoSend | None,
        ) -> list[tuple[str, int]]:
            raise NotImplementedError

    # --- topics ---

    async def create_topic(self, topic: Topic) -> tuple[Topic, bool]:
        args = topic_args(topic)

        def job(conn: sqlite3.Connection) -> tuple[Topic, bool]:
            created = conn.execute(_S["sns_topic_insert"], args).rowcount == 1
            return topic_from_row(conn.execute(_S["sns_topic_get"], args).fetchone()), created

        return await self._call(job)

    async def get_topic(self, arn: str) -> Topic | None:
        def job(conn: sqlite3.Connection) -> Topic | None:
            row = conn.execute(_S["sns_topic_get"], {"arn": arn}).fetchone()
            return None if row is None else topic_from_row(row)

        return await self._call(job, single=True)

    async def list_topics(self, account: str) -> list[Topic]:
        def job(conn: sqlite3.Connection) -> list[Topic]:
            return [
                topic_from_row(r) for r in conn.execute(_S["sns_topic_list"], {"account": account})
            ]

        return await self._call(job, single=True)

    async def update_topic(
        self, arn: str, attributes: dict[str, str], tags: dict[str, str]
    ) -> Topic:
        args = {"arn": arn, "attributes": dumps(attributes), "tags": dumps(tags)}

        def job(conn: sqlite3.Connection) -> Topic:
            row = conn.execute(_S["sns_topic_update"], args).fetchone()
            if row is None:
                raise LookupError(arn)
            return topic_from_row(row)

        return await self._call(job)

    async def reserve_topic_seq(self, arn: str, count: int) -> int | None:
        def job(conn: sqlite3.Connection) -> int | None:
            row = conn.execute(_S["sns_topic_reserve"], {"arn": arn, "count": count}).fetchone()
            return None if row is None else int(row[0])

        return await self._call(job, single=True)

    async def delete_topic(self, arn: str) -> list[str]:
        def job(conn: sqlite3.Connection) -> list[str]:
            conn.execute(_S["sns_topic_delete"], {"arn": arn})
            conn.execute(_S["sns_topic_dedup_forget"], {"arn": arn})
            return [r[0] for r in conn.execute(_S["sns_topic_subscriptions_delete"], {"arn": arn})]

        return await self._call(job)

    # --- subscriptions ---

    async def create_subscription(self, sub: Subscription) -> tuple[Subscription, bool]:
        args = sub_args(sub)

        def job(conn: sqlite3.Connection) -> tuple[Subscription, bool]:
            row = conn.execute(_S["sns_sub_find"], args).fetchone()
            if row is not None:
                return sub_from_row(row), False
            conn.execute(_S["sns_sub_insert"], args)
            return sub, True

        return await self._call(job)

    async def get_subscription(self, arn: str) -> Subscription | None:
        def job(conn: sqlite3.Connection) -> Subscription | None:
            row = conn.execute(_S["sns_sub_get"], {"arn": arn}).fetchone()
            return None if row is None else sub_from_row(row)

        return await self._call(job, single=True)

    async def list_subscriptions(self, owner: str) -> list[Subscription]:
        def job(conn: sqlite3.Connection) -> list[Subscription]:
            return [sub_from_row(r) for r in conn.execute(_S["sns_sub_list"], {"owner": owner})]

        return await self._call(job, single=True)

    async def topic_subscriptions(self, topic_arn: str) -> list[Subscription]:
        def job(conn: sqlite3.Connection) -> list[Subscription]:
            return [
                sub_from_row(r)
                for r in conn.execute(_S["sns_sub_by_topic"], {"topic_arn": topic_arn})
            ]

        return await self._call(job, single=True)

    async def update_subscription(
        self, arn: str, attributes: dict[str, str], confirmed: bool
    ) -> Subscription | None:
        args = {"arn": arn, "attributes": dumps(attributes), "confirmed": int(confirmed)}

        def job(conn: sqlite3.Connection) -> Subscription | None:
            row = conn.execute(_S["sns_sub_update"], args).fetchone()
            return None if row is None else sub_from_row(row)

        return await self._call(job)

    async def delete_subscription(self, arn: str) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            return conn.execute(_S["sns_sub_delete"], {"arn": arn}).rowcount == 1

        return await self._call(job, single=True)

    async def subscribe_pending(
        self,
        sub: Subscription,
        token: Token,
        outbox: list[OutboxEntry],
        recorded: list[Recorded],
    ) -> tuple[Subscription, bool]:
        args = sub_args(sub)

        def job(conn: sqlite3.Connection) -> tuple[Subscription, bool]:
            row = conn.execute(_S["sns_sub_find"], args).fetchone()
            found = None if row is None else sub_from_row(row)
            if found is not None and found.confirmed:
                return found, False  # nothing to confirm: no new token, no message
            if found is None:
                conn.execute(_S["sns_sub_insert"], args)
            arn = sub.arn if found is None else found.arn
            insert_token(conn, token, arn)
            insert_outbox(conn, outbox, arn)
            insert_recorded(conn, recorded, subscription_arn=arn)
            return (sub, True) if found is None else (found, False)

        return await self._call(job)

    async def delete_subscription_noting(
        self, arn: str, token: Token, outbox: list[OutboxEntry]
    ) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            if conn.execute(_S["sns_sub_delete"], {"arn": arn}).rowcount != 1:
                return False
            insert_token(conn, token)
            insert_outbox(conn, outbox)
            return True

        return await self._call(job)

    # --- publishing ---

    async def publish(self, topic_arn: str, items: list[PublishItem]) -> list[Published]:
        def job(conn: sqlite3.Connection) -> list[Published]:
            out: list[Published] = []
            top_seq = 0
            for item in items:
                dedup = item.dedup
                if dedup is not None:
                    key = {
                        "topic_arn": topic_arn,
                        "scope": dedup.scope,
                        "dedup_id": dedup.dedup_id,
                        "now": dedup.now_ms,
                    }
                    found = conn.execute(_S["sns_dedup_find"], key).fetchone()
                    if found is not None:  # accepted, not delivered again (AWS answers as before)
                        out.append(Published(found[0], found[1], False))
                        continue
                    conn.execute(
                        _S["sns_dedup_remember"],
                        {
                            **key,
                            "message_id": item.message_id,
                            "seq": item.sequence,
                            "expires": dedup.now_ms + dedup.window_ms,
                        },
                    )
                for delivery in item.deliveries:
                    self._deliver(conn, delivery)
                insert_outbox(conn, item.outbox)
                insert_recorded(conn, item.recorded)
                if item.sequence is not None:
                    top_seq = max(top_seq, item.sequence)
                out.append(Published(item.message_id, item.sequence, True))
            if top_seq:
                conn.execute(_S["sns_topic_seq"], {"arn": topic_arn, "seq": top_seq})
            return out

        return await self._call(job)

    def _deliver(self, conn: sqlite3.Connection, delivery: Delivery) -> None:
        row = message_row(delivery.queue_id, delivery.message)
        self._insert_messages(conn, delivery.queue_id, [row], delivery.fifo)

    async def expire_topic_windows(self, now_ms: int) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(_S["sns_dedup_expire"], {"now": now_ms})

        await self._call(job, single=True)
