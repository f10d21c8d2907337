"""SNS delivery outside densho on the PostgreSQL store, mixed into ``PostgresStore``.

Owns: the outbox rows (insert, claim with a lease, finish, reschedule, dead-letter, record), the
log of recorded deliveries and the confirmation tokens on PostgreSQL. Several nodes deliver from
one outbox: a claim locks the rows it takes with ``FOR UPDATE SKIP LOCKED`` and pushes their due
time to the end of its lease, so no two nodes attempt a row at once, and a row whose node died is
due again when the lease ends (``outbox_recover`` releases nothing: a lease found at start-up may
belong to a live node).
Must not know: SNS rules (which rows to write, when to retry); HTTP; SMTP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from densho.core.sns_model import Claimed, Delivery, OutboxEntry, Recorded, RecordedRow, Token
from densho.core.store import QueueGone
from densho.storage import sql
from densho.storage.postgres_sql import Conn, compile_all
from densho.storage.rows import outbox_entry, outbox_row, recorded_from_row, recorded_row, token_row

if TYPE_CHECKING:
    from densho.storage.postgres_sql import Db

_O = compile_all(sql.queries("sns_outbox.sql", "pg_sns_outbox.sql"))


async def insert_outbox(
    c: Conn, entries: list[OutboxEntry], subscription_arn: str | None = None
) -> None:
    """Write ``entries``, each due at its creation; ``subscription_arn`` overrides theirs."""
    if not entries:
        return
    await c.executemany(_O["sns_outbox_insert"], [outbox_row(e, subscription_arn) for e in entries])


async def insert_recorded(
    c: Conn,
    recorded: list[Recorded],
    now_ms: int | None = None,
    subscription_arn: str | None = None,
) -> None:
    """Append to the recorded log; ``now_ms`` None records each at its creation time."""
    if not recorded:
        return
    await c.executemany(
        _O["sns_recorded_insert"],
        [recorded_row(r, subscription_arn, now_ms) for r in recorded],
    )


async def insert_token(c: Conn, token: Token, subscription_arn: str | None = None) -> None:
    await c.execute(_O["sns_token_insert"], token_row(token, subscription_arn))


class PgOutbox:
    """The outbox methods of ``SnsStore``; the class using it provides ``db`` and ``_deliver``
    (``PostgresStore`` through ``PgSns``)."""

    if TYPE_CHECKING:

        @property
        def db(self) -> Db:
            raise NotImplementedError

        async def _deliver(self, c: Conn, delivery: Delivery) -> None:
            raise NotImplementedError

        def _available(self, queue_id: int, count: int) -> None:
            raise NotImplementedError

    async def outbox_claim(
        self, now_ms: int, lease: str, lease_until_ms: int, limit: int
    ) -> list[Claimed]:
        args = {"now": now_ms, "lease": lease, "lease_until": lease_until_ms, "limit": limit}
        async with self.db.one() as c:
            rows = await c.fetch(_O["sns_outbox_claim"], args)
        claimed = [Claimed(r[0], lease, r[1], outbox_entry(tuple(r)[2:])) for r in rows]
        claimed.sort(key=lambda x: x.row_id)
        return claimed

    async def outbox_done(self, row_id: int, lease: str) -> bool:
        async with self.db.one() as c:
            return await c.execute(_O["sns_outbox_done"], {"id": row_id, "lease": lease}) == 1

    async def outbox_retry(self, row_id: int, lease: str, due_ms: int, error: str) -> bool:
        args = {"id": row_id, "lease": lease, "due": due_ms, "error": error}
        async with self.db.one() as c:
            return await c.execute(_O["sns_outbox_retry"], args) == 1

    async def outbox_dead_letter(self, row_id: int, lease: str, delivery: Delivery) -> bool:
        try:
            async with self.db.tx() as c:
                if await c.execute(_O["sns_outbox_done"], {"id": row_id, "lease": lease}) != 1:
                    return False  # the lease was lost: whoever holds the row now decides
                await self._deliver(c, delivery)
        except QueueGone:
            # The dead-letter queue was deleted (on another node) since it was looked up: the
            # delivery is dropped, as when it is found gone before.
            async with self.db.one() as c:
                return await c.execute(_O["sns_outbox_done"], {"id": row_id, "lease": lease}) == 1
        self._available(delivery.queue_id, 1)
        return True

    async def outbox_record(self, row_id: int, lease: str, recorded: Recorded, now_ms: int) -> bool:
        async with self.db.tx() as c:
            if await c.execute(_O["sns_outbox_done"], {"id": row_id, "lease": lease}) != 1:
                return False
            await insert_recorded(c, [recorded], now_ms)
            return True

    async def outbox_next_due(self) -> int | None:
        async with self.db.one() as c:
            value = await c.fetchval(_O["sns_outbox_next_due"], {})
        return None if value is None else int(value)

    async def outbox_recover(self, now_ms: int) -> int:
        # Shared by several nodes: a lease found at start-up may be a live node's. Leases run
        # out instead (the contract allows this backend to return 0).
        return 0

    async def recorded(
        self,
        protocol: str | None = None,
        endpoint: str | None = None,
        topic_arn: str | None = None,
        limit: int = 1000,
    ) -> list[RecordedRow]:
        args = {"protocol": protocol, "endpoint": endpoint, "topic_arn": topic_arn, "limit": limit}
        async with self.db.one() as c:
            rows = await c.fetch(_O["sns_recorded_list"], args)
        return [recorded_from_row(tuple(r)) for r in reversed(rows)]

    async def clear_recorded(self) -> int:
        async with self.db.one() as c:
            return await c.execute(_O["sns_recorded_clear"], {})

    async def get_token(self, token: str) -> Token | None:
        async with self.db.one() as c:
            row = await c.fetchrow(_O["sns_token_get"], {"token": token})
        return None if row is None else Token(row[0], row[1], row[2], row[4], row[3])

    async def forget_tokens(self, now_ms: int) -> None:
        async with self.db.one() as c:
            await c.execute(_O["sns_token_expire"], {"now": now_ms})
