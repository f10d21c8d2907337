"""Named SQL on asyncpg: ``:name`` parameters, transactions, and what a lost database means.

Owns: turning the named queries (``densho/storage/sql``) into asyncpg's positional form once,
running them on a pooled connection (``Db.tx`` for a transaction, ``Db.one`` for a single
statement that commits by itself), and translating every failure that means "the database is not
reachable right now" into ``StoreUnavailable`` — after which the pool's connections are dropped,
so the next call connects anew instead of failing once per stale connection.
Must not know: what the queries do; SQS; HTTP.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from densho.core.store import StoreUnavailable

log = logging.getLogger(__name__)

_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_COMMENT = re.compile(r"--[^\n]*")
ACQUIRE_TIMEOUT_S = 10.0

# Failures of the connection or the server rather than of the statement: the caller may retry.
# Class 08 (connection), 53 (insufficient resources: too many connections), 57 (operator
# intervention: shutdown, cannot connect now), 40 (serialization failure, deadlock), plus the
# driver's own "connection closed" and the socket errors under it.
TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.OperatorInterventionError,
    asyncpg.TransactionRollbackError,
)
# Of those, the ones after which pooled connections are likely dead too.
_CONNECTION_LOST: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.InterfaceError,
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


def compile_all(queries: Mapping[str, str]) -> dict[str, Named]:
    return {name: compile_query(name, text) for name, text in queries.items()}


def _count(status: str) -> int:
    """Rows affected, from a command tag such as ``UPDATE 3`` or ``INSERT 0 1``."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class Conn:
    """A connection inside ``Db.tx`` or ``Db.one``: named queries with a dict of arguments."""

    __slots__ = ("raw",)

    def __init__(self, raw: asyncpg.Connection) -> None:
        self.raw = raw

    async def fetch(self, q: Named, args: Mapping[str, Any]) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self.raw.fetch(q.text, *q.bind(args))
        return rows

    async def fetchrow(self, q: Named, args: Mapping[str, Any]) -> asyncpg.Record | None:
        row: asyncpg.Record | None = await self.raw.fetchrow(q.text, *q.bind(args))
        return row

    async def fetchval(self, q: Named, args: Mapping[str, Any]) -> Any:
        return await self.raw.fetchval(q.text, *q.bind(args))

    async def execute(self, q: Named, args: Mapping[str, Any]) -> int:
        """Run one statement; how many rows it affected."""
        status: str = await self.raw.execute(q.text, *q.bind(args))
        return _count(status)

    async def executemany(self, q: Named, rows: list[Mapping[str, Any]]) -> None:
        await self.raw.executemany(q.text, [q.bind(r) for r in rows])


class Db:
    """The pool, and the one place its failures are translated."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @contextlib.asynccontextmanager
    async def tx(self) -> AsyncIterator[Conn]:
        """A transaction: committed when the block ends normally, rolled back otherwise. A
        returned block means the commit succeeded; a lost connection raises StoreUnavailable
        (the write may or may not have committed — it is never acknowledged)."""
        try:
            async with (
                self.pool.acquire(timeout=ACQUIRE_TIMEOUT_S) as raw,
                raw.transaction(),
            ):
                yield Conn(raw)
        except TRANSIENT as exc:
            raise await self._unavailable(exc) from exc

    @contextlib.asynccontextmanager
    async def one(self) -> AsyncIterator[Conn]:
        """A connection for statements that each commit by themselves (one round trip)."""
        try:
            async with self.pool.acquire(timeout=ACQUIRE_TIMEOUT_S) as raw:
                yield Conn(raw)
        except TRANSIENT as exc:
            raise await self._unavailable(exc) from exc

    async def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        log.warning("PostgreSQL unavailable: %s: %s", type(exc).__name__, exc)
        if isinstance(exc, _CONNECTION_LOST):
            # The server went away: every pooled connection is likely dead. Drop them all now,
            # so each is replaced on its next use instead of failing one request each.
            await self.pool.expire_connections()
        return StoreUnavailable(f"{type(exc).__name__}: {exc}")
