"""SNS delivery outside densho on the embedded SQLite store, mixed into ``SqliteStore``.

Owns: the outbox rows (insert, claim with a lease, finish, reschedule, dead-letter, record), the
log of recorded deliveries and the confirmation tokens, each call one job of the store's group
commit (``SqliteStore._call``). The publish job (``sqlite_sns``) writes outbox and recorded rows
through ``insert_outbox`` / ``insert_recorded`` inside its own transaction.
Must not know: SNS rules (which rows to write, when to retry); HTTP; SMTP.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from densho.core.sns_model import Claimed, Delivery, OutboxEntry, Recorded, RecordedRow, Token
from densho.storage import sql
from densho.storage.rows import outbox_entry, outbox_row, recorded_from_row, recorded_row, token_row

T = TypeVar("T")

_O = sql.queries("sns_outbox.sql")


def insert_outbox(
    conn: sqlite3.Connection, entries: list[OutboxEntry], subscription_arn: str | None = None
) -> None:
    """Write ``entries``, each due at its creation; ``subscription_arn`` overrides theirs."""
    for e in entries:
        conn.execute(_O["sns_outbox_insert"], outbox_row(e, subscription_arn))


def insert_recorded(
    conn: sqlite3.Connection,
    recorded: list[Recorded],
    now_ms: int | None = None,
    subscription_arn: str | None = None,
) -> None:
    """Append to the recorded log; ``now_ms`` None records each at its creation time."""
    for r in recorded:
        conn.execute(_O["sns_recorded_insert"], recorded_row(r, subscription_arn, now_ms))


def insert_token(
    conn: sqlite3.Connection, token: Token, subscription_arn: str | None = None
) -> None:
    conn.execute(_O["sns_token_insert"], token_row(token, subscription_arn))


class SqliteOutbox:
    """The outbox methods of ``SnsStore``; the class using it provides ``_call`` and
    ``_deliver`` (``SqliteStore`` through ``SqliteSns``)."""

    if TYPE_CHECKING:

        async def _call(self, job: Callable[[sqlite3.Connection], T], single: bool = False) -> T:
            raise NotImplementedError

        def _deliver(self, conn: sqlite3.Connection, delivery: Delivery) -> None:
            raise NotImplementedError

    async def outbox_claim(
        self, now_ms: int, lease: str, lease_until_ms: int, limit: int
    ) -> list[Claimed]:
        args = {"now": now_ms, "lease": lease, "lease_until": lease_until_ms, "limit": limit}

        def job(conn: sqlite3.Connection) -> list[Claimed]:
            rows = conn.execute(_O["sns_outbox_claim"], args).fetchall()
            return [Claimed(r[0], lease, r[1], outbox_entry(r[2:])) for r in rows]

        claimed = await self._call(job, single=True)
        claimed.sort(key=lambda c: c.row_id)
        return claimed

    async def outbox_done(self, row_id: int, lease: str) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            return conn.execute(_O["sns_outbox_done"], {"id": row_id, "lease": lease}).rowcount == 1

        return await self._call(job, single=True)

    async def outbox_retry(self, row_id: int, lease: str, due_ms: int, error: str) -> bool:
        args = {"id": row_id, "lease": lease, "due": due_ms, "error": error}

        def job(conn: sqlite3.Connection) -> bool:
            return conn.execute(_O["sns_outbox_retry"], args).rowcount == 1

        return await self._call(job, single=True)

    async def outbox_dead_letter(self, row_id: int, lease: str, delivery: Delivery) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            if conn.execute(_O["sns_outbox_done"], {"id": row_id, "lease": lease}).rowcount != 1:
                return False  # the lease was lost: whoever holds the row now decides
            self._deliver(conn, delivery)
            return True

        return await self._call(job)

    async def outbox_record(self, row_id: int, lease: str, recorded: Recorded, now_ms: int) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            if conn.execute(_O["sns_outbox_done"], {"id": row_id, "lease": lease}).rowcount != 1:
                return False
            insert_recorded(conn, [recorded], now_ms)
            return True

        return await self._call(job)

    async def outbox_next_due(self) -> int | None:
        def job(conn: sqlite3.Connection) -> int | None:
            value = conn.execute(_O["sns_outbox_next_due"]).fetchone()[0]
            return None if value is None else int(value)

        return await self._call(job, single=True)

    async def outbox_recover(self, now_ms: int) -> int:
        # This store is owned by one process (PRAGMA locking_mode=EXCLUSIVE), so a lease found
        # at start-up belongs to a process that died: its rows are due again now, not when the
        # lease would have ended.
        def job(conn: sqlite3.Connection) -> int:
            return int(conn.execute(_O["sns_outbox_release"], {"now": now_ms}).rowcount)

        return await self._call(job, single=True)

    async def recorded(
        self,
        protocol: str | None = None,
        endpoint: str | None = None,
        topic_arn: str | None = None,
        limit: int = 1000,
    ) -> list[RecordedRow]:
        args = {"protocol": protocol, "endpoint": endpoint, "topic_arn": topic_arn, "limit": limit}

        def job(conn: sqlite3.Connection) -> list[RecordedRow]:
            rows = conn.execute(_O["sns_recorded_list"], args).fetchall()
            return [recorded_from_row(r) for r in reversed(rows)]

        return await self._call(job, single=True)

    async def clear_recorded(self) -> int:
        def job(conn: sqlite3.Connection) -> int:
            return int(conn.execute(_O["sns_recorded_clear"]).rowcount)

        return await self._call(job, single=True)

    async def get_token(self, token: str) -> Token | None:
        def job(conn: sqlite3.Connection) -> Token | None:
            row = conn.execute(_O["sns_token_get"], {"token": token}).fetchone()
            return None if row is None else Token(row[0], row[1], row[2], row[4], row[3])

        return await self._call(job, single=True)

    async def forget_tokens(self, now_ms: int) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(_O["sns_token_expire"], {"now": now_ms})

        await self._call(job, single=True)
