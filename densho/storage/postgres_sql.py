"""Named SQL on asyncpg: ``:name`` parameters, transactions, and what a lost database means.

Owns: turning the named queries (``densho/storage/sql``) into asyncpg's positional form once,
running them as ``Tx`` (``PgTx``) on a pooled connection (``Db.tx`` for a transaction, ``Db.one``
for statements that each commit by themselves; ``Db`` keeps the connections it took from the
pool and hands them from block to block), and translating every failure that means "the
database is not reachable right now" into ``StoreUnavailable`` — after which the pool's
connections are dropped, so the next call connects anew instead of failing once per stale
connection.
Must not know: what the queries do; SQS; HTTP.
"""

from __future__ import annotations

import asyncio
import collections
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

    Connections are taken from the pool once and then kept here: a block that ends hands its
    connection to the next block waiting for one, else keeps it idle for the next to come. The
    pool's acquire (in Python 3.11 a task for its timeout) and release (a task for its shield)
    — 5-8% of a node's CPU when they ran for every request — run only to open up to the pool's
    size, after a block that failed (the pool's release waits out a cancelled statement, or
    drops the connection; its place is free again), and at close."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._size = pool.get_max_size()
        self._held = 0  # connections taken from the pool: in use or idle here
        self._idle: list[asyncpg.Connection] = []
        # Blocks waiting for a connection while all ``_size`` are in use: each is handed one
        # (or None: a place is free, take one from the pool).
        self._waiting: collections.deque[asyncio.Future[asyncpg.Connection | None]] = (
            collections.deque()
        )

    async def _take(self) -> asyncpg.Connection:
        while True:
            while self._idle:
                raw = self._idle.pop()
                if _open(raw):
                    return raw
                await self._drop(raw)
            if self._held < self._size:
                self._held += 1
                try:
                    return await self.pool.acquire(timeout=ACQUIRE_TIMEOUT_S)
                except BaseException:
                    self._held -= 1
                    raise
            fut: asyncio.Future[asyncpg.Connection | None] = (
                asyncio.get_running_loop().create_future()
            )
            self._waiting.append(fut)
            try:
                async with asyncio.timeout(ACQUIRE_TIMEOUT_S):
                    got = await fut
            except BaseException:
                if fut.done() and not fut.cancelled():
                    self._hand(fut.result())  # handed over as this one gave up: pass it on
                else:
                    fut.cancel()
                raise
            if got is not None:
                return got

    def _hand(self, raw: asyncpg.Connection | None) -> None:
        """A connection (None: a free place) to the first block waiting, else kept idle."""
        while self._waiting:
            fut = self._waiting.popleft()
            if not fut.done():
                fut.set_result(raw)
                return
        if raw is not None:
            self._idle.append(raw)

    async def _drop(self, raw: asyncpg.Connection) -> None:
        """Back to the pool (which closes a broken connection), its place free again."""
        self._held -= 1
        try:
            await self.pool.release(raw)
        finally:
            self._hand(None)

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        raw = await self._take()
        try:
            yield raw
        except BaseException:
            await self._drop(raw)
            raise
        if _open(raw) and not raw.is_in_transaction():
            self._hand(raw)
        else:  # never so after a block that ended normally
            await self._drop(raw)

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
        """Give the idle connections back to the pool (before closing it)."""
        idle, self._idle = self._idle, []
        self._held -= len(idle)
        for raw in idle:
            await self.pool.release(raw, timeout=5)

    async def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        log.warning("PostgreSQL unavailable: %s: %s", type(exc).__name__, exc)
        if isinstance(exc, _CONNECTION_LOST):
            # The server went away: every pooled connection is likely dead. Drop them all now,
            # so each is replaced on its next use instead of failing one request each.
            await self.pool.expire_connections()
            idle, self._idle = self._idle, []
            self._held -= len(idle)
            for raw in idle:  # likely dead too; the pool connects anew in their place
                if _open(raw):
                    raw.terminate()
                self._hand(None)
        return StoreUnavailable(f"{type(exc).__name__}: {exc}")


def _open(raw: asyncpg.Connection) -> bool:
    """Whether a kept connection is still usable: a connection that closed (the server went
    away) is handed back to the pool by asyncpg itself, and then answers nothing."""
    try:
        return not raw.is_closed()
    except asyncpg.InterfaceError:  # "connection has been released back to the pool"
        return False
