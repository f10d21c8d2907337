"""Message move tasks on the embedded SQLite store (``MoveStore``), mixed into ``SqliteStore``.

Owns: the move-task jobs; each runs on the store's writer thread as one transaction of the group
commit (``SqliteStore._call``), so a chunk's moved rows and the task's counter commit together.
One process owns the file, so there are no leases to keep: ``Lease`` arguments are ignored.
Must not know: SQS semantics beyond the ``MoveStore`` contract; HTTP; AWS errors.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

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
from densho.storage.rows import task_from_row

T = TypeVar("T")

_M = sql.queries("moves.sql")


def _exists(conn: sqlite3.Connection, queue_id: int) -> bool:
    return conn.execute(_M["move_queue_exists"], {"queue_id": queue_id}).fetchone() is not None


def _finish(
    conn: sqlite3.Connection, task: MoveTask, status: str, moved: int, reason: str | None = None
) -> None:
    conn.execute(
        _M["move_task_update"],
        {"task_id": task.task_id, "status": status, "moved": moved, "failure_reason": reason},
    )


class SqliteMoveTasks:
    """The ``MoveStore`` methods; the class using it provides ``_call`` (``SqliteStore``)."""

    if TYPE_CHECKING:

        async def _call(self, job: Callable[[sqlite3.Connection], T], single: bool = False) -> T:
            raise NotImplementedError

    async def start_move_task(
        self, task: MoveTask, now_ms: int, retention_cutoff_ms: int, lease: Lease
    ) -> MoveTask | None:
        source = {"source_queue_id": task.source_queue_id}

        def job(conn: sqlite3.Connection) -> MoveTask | None:
            if conn.execute(_M["move_task_active_for_source"], source).fetchone() is not None:
                return None
            (to_move,) = conn.execute(
                _M["move_count_visible"],
                {"queue_id": task.source_queue_id, "now": now_ms, "cutoff": retention_cutoff_ms},
            ).fetchone()
            conn.execute(
                _M["move_task_insert"],
                {
                    **source,
                    "task_id": task.task_id,
                    "source_arn": task.source_arn,
                    "destination_queue_id": task.destination_queue_id,
                    "destination_arn": task.destination_arn,
                    "max_per_second": task.max_per_second,
                    "status": RUNNING,
                    "to_move": to_move,
                    "started_ms": task.started_ms,
                },
            )
            conn.execute(_M["move_task_prune"], {**source, "keep": KEEP_TASKS})
            return task_from_row(
                conn.execute(_M["move_task_get"], {"task_id": task.task_id}).fetchone()
            )

        return await self._call(job)

    async def list_move_tasks(self, source_queue_id: int, limit: int) -> list[MoveTask]:
        args = {"source_queue_id": source_queue_id, "limit": limit}

        def job(conn: sqlite3.Connection) -> list[MoveTask]:
            return [task_from_row(r) for r in conn.execute(_M["move_task_list"], args)]

        return await self._call(job, single=True)

    async def get_move_task(self, task_id: str) -> MoveTask | None:
        def job(conn: sqlite3.Connection) -> MoveTask | None:
            row = conn.execute(_M["move_task_get"], {"task_id": task_id}).fetchone()
            return None if row is None else task_from_row(row)

        return await self._call(job, single=True)

    async def adopt_move_tasks(self, lease: Lease, now_ms: int) -> list[MoveTask]:
        def job(conn: sqlite3.Connection) -> list[MoveTask]:
            conn.execute(_M["move_task_forget_orphans"])
            return [task_from_row(r) for r in conn.execute(_M["move_task_active"])]

        return await self._call(job)

    async def release_move_tasks(self, owner: str) -> None:
        """Nothing to release: one process owns the database and keeps no leases."""

    async def cancel_move_task(self, task_id: str) -> MoveTask | None:
        def job(conn: sqlite3.Connection) -> MoveTask | None:
            if conn.execute(_M["move_task_cancel"], {"task_id": task_id}).rowcount != 1:
                return None
            return task_from_row(conn.execute(_M["move_task_get"], {"task_id": task_id}).fetchone())

        return await self._call(job)

    async def fail_move_task(self, task_id: str, reason: str) -> None:
        def job(conn: sqlite3.Connection) -> None:
            row = conn.execute(_M["move_task_get"], {"task_id": task_id}).fetchone()
            if row is not None and row[6] in (RUNNING, CANCELLING):
                task = task_from_row(row)
                _finish(conn, task, FAILED, task.moved, reason)

        await self._call(job)

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
        def job(conn: sqlite3.Connection) -> MoveStep:
            row = conn.execute(_M["move_task_get"], {"task_id": task_id}).fetchone()
            if row is None:
                return MoveStep(FAILED, 0, ())
            task = task_from_row(row)
            if task.status == CANCELLING:
                _finish(conn, task, CANCELLED, task.moved)
                return MoveStep(CANCELLED, 0, ())
            if task.status != RUNNING:
                return MoveStep(task.status, 0, ())
            dest = task.destination_queue_id
            if not _exists(conn, task.source_queue_id) or (
                dest is not None and not _exists(conn, dest)
            ):
                _finish(conn, task, FAILED, task.moved, QUEUE_GONE)
                return MoveStep(FAILED, 0, ())
            want = min(limit, len(message_ids), task.to_move - task.moved)
            rows = (
                conn.execute(
                    _M["move_candidates"],
                    {
                        "queue_id": task.source_queue_id,
                        "now": now_ms,
                        "cutoff": retention_cutoff_ms,
                        "limit": want,
                    },
                ).fetchall()
                if want > 0
                else []
            )
            next_row = int(conn.execute(_M["move_last_row"]).fetchone()[0]) + 1
            targets: dict[int, None] = {}
            moved = 0
            failure: str | None = None
            for (seq, origin, origin_live), message_id in zip(rows, message_ids, strict=False):
                target = dest if dest is not None else (origin if origin_live else None)
                if target is None:  # redriven from a queue that is gone, or sent directly
                    failure = QUEUE_GONE
                    break
                fifo_seq = (
                    conn.execute(_M["next_fifo_seq"], {"queue_id": target}).fetchone()[0]
                    if fifo
                    else None
                )
                conn.execute(
                    _M["move_message"],
                    {
                        "seq": seq,
                        "new_seq": next_row + moved,
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
                status = COMPLETED  # all moved, or the source has no visible message left
            else:
                status = RUNNING
            _finish(conn, task, status, total, failure)
            return MoveStep(status, moved, tuple(targets))

        return await self._call(job)
