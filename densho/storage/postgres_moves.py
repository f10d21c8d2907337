"""Message move tasks on the PostgreSQL store (``MoveStore``), mixed into ``PostgresStore``.

Owns: the move-task transactions on PostgreSQL and the tasks' leases (columns ``owner``,
``lease_until_ms``). A chunk holds its task's row (``FOR UPDATE``) for its whole transaction and
checks and renews the lease in it, so only the lease holder's chunks move messages and the
counter stays exact; the messages it moves are locked with ``SKIP LOCKED`` (a message a receiver
holds right now is left for the next chunk); moved rows get fresh row ids from the table's
sequence. A destination deleted on another node mid-chunk fails the task (the foreign key of
``messages`` refuses the move; nothing of the chunk is written).
Must not know: SQS semantics beyond the ``MoveStore`` contract; HTTP; AWS errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg

from densho.core.move_model import (
    CANCELLED,
    CANCELLING,
    COMPLETED,
    FAILED,
    QUEUE_GONE,
    RUNNING,
    MoveStep,
    MoveTask,
)
from densho.core.store import Lease
from densho.storage import sql
from densho.storage.move_store import KEEP_TASKS
from densho.storage.postgres_sql import Conn, compile_all
from densho.storage.rows import task_from_row

if TYPE_CHECKING:
    from densho.storage.postgres_sql import Db

_M = compile_all(sql.queries("moves.sql", "pg_moves.sql"))


async def _exists(c: Conn, queue_id: int) -> bool:
    return await c.fetchrow(_M["move_queue_exists"], {"queue_id": queue_id}) is not None


async def _finish(
    c: Conn, task: MoveTask, status: str, moved: int, reason: str | None = None
) -> None:
    await c.execute(
        _M["move_task_update"],
        {"task_id": task.task_id, "status": status, "moved": moved, "failure_reason": reason},
    )


class PgMoveTasks:
    """The ``MoveStore`` methods; the class using it provides ``db`` (``PostgresStore``)."""

    if TYPE_CHECKING:

        @property
        def db(self) -> Db:
            raise NotImplementedError

    async def start_move_task(
        self, task: MoveTask, now_ms: int, retention_cutoff_ms: int, lease: Lease
    ) -> MoveTask | None:
        source = {"source_queue_id": task.source_queue_id}
        async with self.db.tx() as c:
            if await c.fetchrow(_M["move_task_active_for_source"], source) is not None:
                return None
            to_move = await c.fetchval(
                _M["move_count_visible"],
                {"queue_id": task.source_queue_id, "now": now_ms, "cutoff": retention_cutoff_ms},
            )
            inserted = await c.execute(
                _M["move_task_insert"],
                {
                    **source,
                    "task_id": task.task_id,
                    "source_arn": task.source_arn,
                    "destination_queue_id": task.destination_queue_id,
                    "destination_arn": task.destination_arn,
                    "max_per_second": task.max_per_second,
                    "status": RUNNING,
                    "to_move": int(to_move),
                    "started_ms": task.started_ms,
                    "owner": lease.owner,
                    "lease_until": lease.until_ms,
                },
            )
            if inserted != 1:  # another node started one for this source meanwhile
                return None
            await c.execute(_M["move_task_prune"], {**source, "keep": KEEP_TASKS})
            row = await c.fetchrow(_M["move_task_get"], {"task_id": task.task_id})
        assert row is not None
        return task_from_row(tuple(row))

    async def list_move_tasks(self, source_queue_id: int, limit: int) -> list[MoveTask]:
        args = {"source_queue_id": source_queue_id, "limit": limit}
        async with self.db.one() as c:
            return [task_from_row(tuple(r)) for r in await c.fetch(_M["move_task_list"], args)]

    async def get_move_task(self, task_id: str) -> MoveTask | None:
        async with self.db.one() as c:
            row = await c.fetchrow(_M["move_task_get"], {"task_id": task_id})
        return None if row is None else task_from_row(tuple(row))

    async def adopt_move_tasks(self, lease: Lease, now_ms: int) -> list[MoveTask]:
        args = {"owner": lease.owner, "lease_until": lease.until_ms, "now": now_ms}
        async with self.db.tx() as c:
            await c.execute(_M["move_task_forget_orphans"], {})
            tasks = [task_from_row(tuple(r)) for r in await c.fetch(_M["move_task_adopt"], args)]
        return sorted(tasks, key=lambda t: t.started_ms)

    async def release_move_tasks(self, owner: str) -> None:
        async with self.db.one() as c:
            await c.execute(_M["move_task_release"], {"owner": owner})

    async def cancel_move_task(self, task_id: str) -> MoveTask | None:
        async with self.db.tx() as c:
            if await c.execute(_M["move_task_cancel"], {"task_id": task_id}) != 1:
                return None
            row = await c.fetchrow(_M["move_task_get"], {"task_id": task_id})
        return None if row is None else task_from_row(tuple(row))

    async def fail_move_task(self, task_id: str, reason: str) -> None:
        async with self.db.tx() as c:
            row = await c.fetchrow(_M["move_task_lock"], {"task_id": task_id})
            if row is not None and row[6] in (RUNNING, CANCELLING):
                task = task_from_row(tuple(row))
                await _finish(c, task, FAILED, task.moved, reason)

    async def move_chunk(
        self,
        task_id: str,
        now_ms: int,
        limit: int,
        retention_cutoff_ms: int,
        message_ids: list[str],
        fifo: bool,
        lease: Lease,
    ) -> MoveStep | None:
        try:
            async with self.db.tx() as c:
                return await _chunk(
                    c, task_id, now_ms, limit, retention_cutoff_ms, message_ids, fifo, lease
                )
        except asyncpg.ForeignKeyViolationError:
            # A queue this chunk moved messages to was deleted meanwhile (another node): the
            # chunk rolled back, and the task ends as with a queue found gone.
            await self.fail_move_task(task_id, QUEUE_GONE)
            return MoveStep(FAILED, 0, ())


async def _chunk(
    c: Conn,
    task_id: str,
    now_ms: int,
    limit: int,
    retention_cutoff_ms: int,
    message_ids: list[str],
    fifo: bool,
    lease: Lease,
) -> MoveStep | None:
    """One step of a task, as SqliteMoveTasks.move_chunk (see ``MoveStore.move_chunk``)."""
    row = await c.fetchrow(_M["move_task_lock"], {"task_id": task_id})
    if row is None:
        return MoveStep(FAILED, 0, ())
    owner, lease_until = row[11], row[12]
    if owner != lease.owner and lease_until is not None and lease_until > now_ms:
        return None  # another node runs this task
    await c.execute(
        _M["move_task_renew"],
        {"task_id": task_id, "owner": lease.owner, "lease_until": lease.until_ms},
    )
    task = task_from_row(tuple(row))
    if task.status == CANCELLING:
        await _finish(c, task, CANCELLED, task.moved)
        return MoveStep(CANCELLED, 0, ())
    if task.status != RUNNING:
        return MoveStep(task.status, 0, ())
    dest = task.destination_queue_id
    if not await _exists(c, task.source_queue_id) or (
        dest is not None and not await _exists(c, dest)
    ):
        await _finish(c, task, FAILED, task.moved, QUEUE_GONE)
        return MoveStep(FAILED, 0, ())
    want = min(limit, len(message_ids), task.to_move - task.moved)
    rows = (
        await c.fetch(
            _M["move_candidates"],
            {
                "queue_id": task.source_queue_id,
                "now": now_ms,
                "cutoff": retention_cutoff_ms,
                "limit": want,
            },
        )
        if want > 0
        else []
    )
    targets: dict[int, None] = {}
    moved = 0
    failure: str | None = None
    for (seq, origin, origin_live), message_id in zip(rows, message_ids, strict=False):
        target = dest if dest is not None else (origin if origin_live else None)
        if target is None:  # redriven from a queue that is gone, or sent directly
            failure = QUEUE_GONE
            break
        fifo_seq = await c.fetchval(_M["next_fifo_seq"], {"queue_id": target}) if fifo else None
        await c.execute(
            _M["move_message"],
            {
                "seq": seq,
                "target": target,
                "message_id": message_id,
                "now": now_ms,
                "fifo_seq": fifo_seq,
            },
        )
        moved += 1
        targets[target] = None
    total = task.moved + moved
    if failure is not None:
        status = FAILED
    elif total >= task.to_move or len(rows) < want:
        status = COMPLETED
    else:
        status = RUNNING
    await _finish(c, task, status, total, failure)
    return MoveStep(status, moved, tuple(targets))
