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
    """The pool, and the one place its failures are translated.

    Connections a block used without a failure are kept here, idle, and handed to the next
    block directly: the pool's acquire and release (in Python 3.11 a task for the acquire's
    timeout and one for the release's shield, per request: 5-8% of a node's CPU) run only when
    none is kept (so at most the pool's size are open), after a block that failed (the pool's
    release waits out a cancelled statement, or drops the connection), and at close."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._idle: list[asyncpg.Connection] = []

    async def _take(self) -> asyncpg.Connection:
        idle = self._idle
        while idle:
            raw = idle.pop()
            if _open(raw):
                return raw
            await self.pool.release(raw)  # the pool replaces it (if asyncpg has not already)
        return await self.pool.acquire(timeout=ACQUIRE_TIMEOUT_S)

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        raw = await self._take()
        try:
            yield raw
        except BaseException:
            await self.pool.release(raw)
            raise
        if not _open(raw) or raw.is_in_transaction():
            await self.pool.release(raw)  # never so after a block that ended normally
        else:
            self._idle.append(raw)

    @contextlib.asynccontextmanager
    async def tx(self) -> AsyncIterator[PgTx]:
        """A transaction: committed when the block ends normally, rolled back otherwise. A
        returned block means the commit succeeded; a lost connection raises StoreUnavailable
        (the write may or may not have committed — it is never acknowledged)."""
        try:
            async with self._connection() as raw, raw.transaction():
                yield PgTx(raw)
        except TRANSIENT as exc:
            raise await self._unavailable(exc) from exc

    @contextlib.asynccontextmanager
    async def one(self) -> AsyncIterator[PgTx]:
        """A connection for statements that each commit by themselves (one round trip)."""
        try:
            async with self._connection() as raw:
                yield PgTx(raw)
        except TRANSIENT as exc:
            raise await self._unavailable(exc) from exc

    async def release_idle(self) -> None:
        """Give the kept connections back to the pool (before closing it)."""
        idle, self._idle = self._idle, []
        for raw in idle:
            await self.pool.release(raw, timeout=5)

    async def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        log.warning("PostgreSQL unavailable: %s: %s", type(exc).__name__, exc)
        if isinstance(exc, _CONNECTION_LOST):
            # The server went away: every pooled connection is likely dead. Drop them all now,
            # so each is replaced on its next use instead of failing one request each.
            await self.pool.expire_connections()
            idle, self._idle = self._idle, []
            for raw in idle:  # likely dead too; the pool connects anew in their place
                if _open(raw):
                    raw.terminate()
        return StoreUnavailable(f"{type(exc).__name__}: {exc}")


def _open(raw: asyncpg.Connection) -> bool:
    """Whether a kept connection is still usable: a connection that closed (the server went
    away) is handed back to the pool by asyncpg itself, and then answers nothing."""
    try:
        return not raw.is_closed()
    except asyncpg.InterfaceError:  # "connection has been released back to the pool"
        return False
