"""The seam between the store operations, written once, and the two databases.

Owns: ``Tx`` (what an operation runs its named SQL on; one per backend), ``Backend`` (what the
shared operations need of a store: ``_tx`` runs an operation as one transaction, ``_one`` one
that needs none, ``_insert_messages`` stores messages inside an operation; ``_record`` and
``_records`` read with one statement), ``drive`` and ``Dangling``.
Must not know: any database driver; SQS or SNS rules.

Every operation is an ``async def op(tx) -> result``. On PostgreSQL the store awaits it inside a
pooled connection's transaction. On SQLite the store runs it on the event loop inside its group
commit (``sqlite.py``), where nothing may wait: that ``Tx``'s methods are coroutines that return
without ever suspending, so the coroutine that awaits a transaction's operations in turn never
suspends either, and ``drive`` runs it to its end in one step — the same code, synchronous there.
(Driving the batch rather than each operation keeps an operation's cost that of a call: no
StopIteration per operation.)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from densho.core.store import FifoSend
    from densho.storage.fair import GroupHints

T = TypeVar("T")
Row = Sequence[Any]  # a fetched row (a tuple, or asyncpg's Record), columns in the query's order
Args = Mapping[str, Any]
NO_ARGS: Args = {}
Op = Callable[["Tx"], Coroutine[Any, Any, T]]
Stored = list[tuple[str, int]]  # per message sent: (message id, sequence)


class Dangling(Exception):
    """A write referenced a queue another node deleted meanwhile (PostgreSQL's check, 0008):
    the statement, and so the transaction, failed. SQLite (one writer) never raises it."""


class Tx(Protocol):
    """Named statements inside one operation."""

    async def execute(self, name: str, args: Args = NO_ARGS) -> int:
        """Run one statement; how many rows it changed."""
        ...

    async def executemany(self, name: str, rows: Sequence[Args]) -> None: ...

    async def fetchone(self, name: str, args: Args = NO_ARGS) -> Row | None: ...

    async def fetchall(self, name: str, args: Args = NO_ARGS) -> list[Row]: ...

    async def fetchval(self, name: str, args: Args = NO_ARGS) -> Any:
        """The first column of the first row; None without a row."""
        ...

    def array(self, values: list[Any]) -> Any:
        """``values`` as one parameter: a JSON text on SQLite (read with ``json_each``), an
        array on PostgreSQL."""
        ...

    def from_array(self, stored: Any) -> list[Any]:
        """A column ``array`` wrote, as a list."""
        ...

    def wake(self, queue_id: int, count: int) -> None:
        """After the commit, ``count`` messages of the queue may be available: a backend shared
        by several nodes tells the others (each node's engine wakes its own waiters)."""
        ...

    def count(self, queue_id: int, delta: int) -> None:
        """This operation changed the queue's message rows by ``delta`` (inserted, deleted,
        moved in or out): kept in ``queue_counts`` in the same transaction. SQLite adds them
        up per group commit (a trigger per row cost more than the insert itself); PostgreSQL's
        triggers count by themselves, so there it does nothing."""
        ...

    def settle_counts(self) -> None:
        """Before a statement that reads ``queue_counts`` in a write transaction (a purge):
        write the changes counted so far (SQLite holds them until the commit)."""
        ...


def drive(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends to its end, synchronously; RuntimeError (and the
    coroutine closed) if it does suspend: something in it awaited more than a SQLite ``Tx``."""
    try:
        work.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    work.close()
    raise RuntimeError("a SQLite store operation awaited something other than its Tx")


class Backend(ABC):
    """What the operations written once (``base``, ``move_store``, ``sns_base``, ``outbox``,
    ``sns_manage_base``) need of a backend."""

    # Whether other processes (densho nodes) may write this store. False: this process is the
    # only writer, so caches kept exact by its own writes stay exact, and there are neither
    # leases nor locks to take.
    shared: bool
    _groups: GroupHints
    # Told how long each commit took, in seconds (metrics): SQLite, a group commit until its
    # WAL is durable; PostgreSQL, a transaction's COMMIT. Called on the event loop's thread.
    on_commit: Callable[[float], None] | None = None

    @abstractmethod
    def _tx(self, op: Op[T]) -> Awaitable[T]:
        """Run ``op`` as one transaction: a returned call means it committed (durably, as the
        backend's synchronous mode promises); an exception, that none of it did."""

    @abstractmethod
    def _one(self, op: Op[T]) -> Awaitable[T]:
        """Run ``op``, which writes with one statement at most and raises only when that
        statement changed nothing: it needs no transaction (or savepoint) of its own."""

    @abstractmethod
    async def _insert_messages(
        self, tx: Tx, queue_id: int, rows: list[dict[str, Any]], fifo: FifoSend | None
    ) -> Stored:
        """Store message rows (``rows.message_row``) of one queue inside an operation, as
        ``Store.send`` promises: the one way a message goes in, from SNS fan-out too."""

    def _read(self, op: Op[T]) -> Awaitable[T]:
        """Run ``op``, which only reads but may read for long (a scan of every message, for
        the operator's views): never on the event loop's thread. PostgreSQL's driver waits
        without blocking the loop, so its ``_one`` does; SQLite, whose statements run on the
        loop, reads on a connection of its own in a worker thread."""
        return self._one(op)

    async def _record(self, name: str, args: Args, make: Callable[[Row], T]) -> T | None:
        """The row one statement answers, made a record; None without a row."""
        row = await self._one(lambda tx: tx.fetchone(name, args))
        return None if row is None else make(row)

    async def _records(self, name: str, args: Args, make: Callable[[Row], T]) -> list[T]:
        """The rows one statement answers, each made a record."""
        return [make(row) for row in await self._one(lambda tx: tx.fetchall(name, args))]

    @abstractmethod
    def changed(self, kind: str, key: str) -> None:
        """After a commit that changed a record the engines cache (``QUEUE`` and the queue's
        id, or ``TOPIC`` and the topic's ARN): tell the other nodes to forget their copy. A
        store that is not ``shared`` does nothing."""
