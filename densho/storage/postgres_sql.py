"""Named SQL on asyncpg: ``:name`` parameters, transactions, and what a lost database means.

Owns: turning the named queries (``densho/storage/sql``) into asyncpg's positional form once,
running them as ``Tx`` (``PgTx``) on a pooled connection (``Db.tx`` for a transaction, ``Db.one``
for statements that each commit by themselves), and translating every failure that means "the
database is not reachable right now" into ``StoreUnavailable`` — after which the pool's
connections are dropped, so the next call connects anew instead of failing once per stale
connection.
Must not know: what the queries do; SQS; HTTP.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from densho.core.store import StoreUnavailable
from densho.storage import sql
from densho.storage.tx import NO_ARGS, Args, Dangling, Row

log = logging.getLogger(__name__)

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_COMMENT = re.compile(r"--[^\n]*")
ACQUIRE_TIMEOUT_S = 10.0

# Failures of the connection or the server rather than of the statement: the caller may retry.
# Class 08 (connection), 53 (insufficient resources: too many connections), 57 (operator
# intervention: shutdown, cannot connect now), 40 (serialization failure, deadlock), plus the
# driver's own "connection closed" and the socket errors under it, and its InternalClientError
# ("cannot switch to state ...": a connection terminated in the middle of a statement).
TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.OperatorInterventionError,
    asyncpg.TransactionRollbackError,
)
# Of those, the ones after which pooled connections are likely dead too.
_CONNECTION_LOST: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
)


@dataclass(frozen=True, slots=True)
class Named:
    """One query in asyncpg's form: ``$n`` placeholders and the parameter name of each."""

    name: str
    text: str
    params: tuple[str, ...]

    def bind(self, args: Mapping[str, Any]) -> list[Any]:
        return [args[p] for p in self.params]


def compile_query(name: str, text: str) -> Named:
    """``:name`` placeholders -> ``$1..$n`` (``::type`` casts are left alone)."""
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        param = match.group(1)
        if param not in order:
            order.append(param)
        return f"${order.index(param) + 1}"

    return Named(name, _PARAM.sub(number, _COMMENT.sub("", text)), tuple(order))


QUERIES = {name: compile_query(name, text) for name, text in sql.queries(postgres=True).items()}


def _count(status: str) -> int:
    """Rows affected, from a command tag such as ``UPDATE 3`` or ``INSERT 0 1``."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class PgTx:
    """``Tx`` on a pooled connection (inside ``Db.tx`` or ``Db.one``): named queries with a
    dict of arguments, a foreign key violation raised as ``Dangling``, and the queues whose
    messages may be available once it commits (``woken``)."""

    __slots__ = ("raw", "woken")

    def __init__(self, raw: asyncpg.Connection) -> None:
        self.raw = raw
        self.woken: dict[int, int] = {}

    async def _run(self, run: Any, name: str, args: Args) -> Any:
        q = QUERIES[name]
        try:
            return await run(q.text, *q.bind(args))
        except asyncpg.ForeignKeyViolationError as exc:
            raise Dangling(str(exc)) from exc

    async def execute(self, name: str, args: Args = NO_ARGS) -> int:
        return _count(await self._run(self.raw.execute, name, args))

    async def executemany(self, name: str, rows: Sequence[Args]) -> None:
        q = QUERIES[name]
        await self.raw.executemany(q.text, [q.bind(r) for r in rows])

    async def fetchone(self, name: str, args: Args = NO_ARGS) -> Row | None:
        row: Row | None = await self._run(self.raw.fetchrow, name, args)
        return row

    async def fetchall(self, name: str, args: Args = NO_ARGS) -> list[Row]:
        rows: list[Row] = await self._run(self.raw.fetch, name, args)
        return rows

    async def fetchval(self, name: str, args: Args = NO_ARGS) -> Any:
        return await self._run(self.raw.fetchval, name, args)

    def array(self, values: list[Any]) -> Any:
        return values

    def from_array(self, stored: Any) -> list[Any]:
        return list(stored)

    def wake(self, queue_id: int, count: int) -> None:
        self.woken[queue_id] = self.woken.get(queue_id, 0) + count

    def count(self, queue_id: int, delta: int) -> None:
        """Counted by the triggers of migration 0007."""

    def settle_counts(self) -> None:
        """Nothing held back: the triggers wrote every change already."""


class Db:
    """The pool, and the one place its failures are translated."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @contextlib.asynccontextmanager
    async def tx(self) -> AsyncIterator[PgTx]:
        """A transaction: committed when the block ends normally, rolled back otherwise. A
        returned block means the commit succeeded; a lost connection raises StoreUnavailable
        (the write may or may not have committed — it is never acknowledged)."""
        try:
            async with (
                self.pool.acquire(timeout=ACQUIRE_TIMEOUT_S) as raw,
                raw.transaction(),
            ):
                yield PgTx(raw)
        except TRANSIENT as exc:
            raise await self._unavailable(exc) from exc

    @contextlib.asynccontextmanager
    async def one(self) -> AsyncIterator[PgTx]:
        """A connection for statements that each commit by themselves (one round trip)."""
        try:
            async with self.pool.acquire(timeout=ACQUIRE_TIMEOUT_S) as raw:
                yield PgTx(raw)
        except TRANSIENT as exc:
            raise await self._unavailable(exc) from exc

    async def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        log.warning("PostgreSQL unavailable: %s: %s", type(exc).__name__, exc)
        if isinstance(exc, _CONNECTION_LOST):
            # The server went away: every pooled connection is likely dead. Drop them all now,
            # so each is replaced on its next use instead of failing one request each.
            await self.pool.expire_connections()
        return StoreUnavailable(f"{type(exc).__name__}: {exc}")
