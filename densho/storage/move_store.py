"""Message move tasks in the store, each operation written once for both backends.

Owns: the move-task operations and each one's atomicity promise, and the tasks' leases.
Must not know: when a task may start or which errors AWS answers; the engine decides, storage
applies.

A message is moved by changing its row (queue, row id, message id, times) in place, inside the
transaction that also advances the task's counter: a crash loses no message and moves none twice.

Several nodes on one store (``shared``) run each task on one node at a time: a task is held
under a ``Lease`` (the node, and until when; columns ``owner``, ``lease_until_ms``), taken when
it starts or is adopted and renewed by each chunk. A chunk holds its task's row (``FOR UPDATE``)
for its whole transaction and checks and renews the lease in it, so a chunk under someone else's
live lease does nothing and the counter stays exact; a lease its node stopped renewing (the node
died) lets another node adopt the task. The messages a chunk moves are locked with ``SKIP
LOCKED`` (a message a receiver holds right now is left for the next chunk), and a destination
deleted on another node mid-chunk fails the task (the foreign key refuses the move; nothing of
the chunk is written). A store that is not ``shared`` (one process) keeps no leases: every call
acts as if the lease were the caller's.
"""

from __future__ import annotations

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
from densho.storage.tx import Backend, Dangling, Row, Tx

KEEP_TASKS = 10  # ListMessageMoveTasks shows at most the 10 most recent tasks of a source


class MoveStore(Backend):
    async def start_move_task(
        self, task: MoveTask, now_ms: int, retention_cutoff_ms: int, lease: Lease
    ) -> MoveTask | None:
        """Insert ``task`` as RUNNING, held by ``lease``, with ``to_move`` set to the source's
        visible, unexpired messages now; None (and nothing written) when the source already has
        an active task. Keeps the source's 10 most recent tasks."""
        source = {"source_queue_id": task.source_queue_id}
        visible = {"queue_id": task.source_queue_id, "now": now_ms, "cutoff": retention_cutoff_ms}

        async def op(tx: Tx) -> MoveTask | None:
            if await tx.fetchone("move_task_active_for_source", source) is not None:
                return None
            new = {
                **source,
                "task_id": task.task_id,
                "source_arn": task.source_arn,
                "destination_queue_id": task.destination_queue_id,
                "destination_arn": task.destination_arn,
                "max_per_second": task.max_per_second,
                "status": RUNNING,
                "to_move": int(await tx.fetchval("move_count_visible", visible)),
                "started_ms": task.started_ms,
                "owner": lease.owner,
                "lease_until": lease.until_ms,
            }
            if await tx.execute("move_task_insert", new) != 1:
                return None  # another node started one for this source meanwhile
            await tx.execute("move_task_prune", {**source, "keep": KEEP_TASKS})
            return await _get(tx, task.task_id)

        return await self._tx(op)

    async def list_move_tasks(self, source_queue_id: int, limit: int) -> list[MoveTask]:
        """The source's tasks, most recent first."""
        args = {"source_queue_id": source_queue_id, "limit": limit}
        return await self._records("move_task_list", args, _task)

    async def get_move_task(self, task_id: str) -> MoveTask | None:
        return await self._record("move_task_get", {"task_id": task_id}, _task)

    async def adopt_move_tasks(self, lease: Lease, now_ms: int) -> list[MoveTask]:
        """Tasks still RUNNING or CANCELLING that no node holds (never leased, or the lease
        ended at or before ``now_ms``), now held by ``lease``: of concurrent adopters, one gets
        each task. Without leases (a store that is not shared): every active task — those a
        restart interrupted. Forgets finished tasks of deleted queues."""
        args = {"owner": lease.owner, "lease_until": lease.until_ms, "now": now_ms}

        async def op(tx: Tx) -> list[MoveTask]:
            await tx.execute("move_task_forget_orphans")
            return [_task(r) for r in await tx.fetchall("move_task_adopt", args)]

        tasks = await self._tx(op)
        return sorted(tasks, key=lambda t: t.started_ms)

    async def release_move_tasks(self, owner: str) -> None:
        """End the leases ``owner`` holds (it is stopping), so other nodes adopt its tasks at
        once rather than when the leases run out."""
        if self.shared:
            await self._one(lambda tx: tx.execute("move_task_release", {"owner": owner}))

    async def cancel_move_task(self, task_id: str) -> MoveTask | None:
        """RUNNING -> CANCELLING; the task as it is after, or None if it was not RUNNING."""

        async def op(tx: Tx) -> MoveTask | None:
            if await tx.execute("move_task_cancel", {"task_id": task_id}) != 1:
                return None
            return await _get(tx, task_id)

        return await self._tx(op)

    async def fail_move_task(self, task_id: str, reason: str) -> None:
        """Mark an active task FAILED with ``reason``."""

        async def op(tx: Tx) -> None:
            row = await tx.fetchone("move_task_lock", {"task_id": task_id})
            task = None if row is None else _task(row)
            if task is not None and task.status in (RUNNING, CANCELLING):
                await _finish(tx, task, FAILED, task.moved, reason)

        await self._tx(op)

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
        """One atomic step of a task, renewing its ``lease``; None (and nothing done) when
        another node's lease on the task is live at ``now_ms``.

        A CANCELLING task becomes CANCELLED. A RUNNING task whose source or destination queue is
        gone becomes FAILED. Otherwise up to ``limit`` visible, unexpired messages of the source
        (oldest first, never past ``to_move`` in all) move to the destination — or each to the
        queue it was redriven from, and the task FAILS at the first message whose origin is gone —
        as new messages: a fresh id from ``message_ids``, a new row id (so a FIFO destination
        orders them after its own), sent and visible now, never received, with a FIFO
        SequenceNumber of the destination when ``fifo``. The task COMPLETES when it reaches
        ``to_move`` or the source has no visible message left.
        """

        async def op(tx: Tx) -> MoveStep | None:
            row = await tx.fetchone("move_task_lock", {"task_id": task_id})
            if row is None:
                return MoveStep(FAILED, 0, ())
            if self.shared:
                owner, lease_until = row[11], row[12]
                if owner != lease.owner and lease_until is not None and lease_until > now_ms:
                    return None  # another node runs this task
                renew = {"task_id": task_id, "owner": lease.owner, "lease_until": lease.until_ms}
                await tx.execute("move_task_renew", renew)
            task = _task(row)
            if task.status == CANCELLING:
                await _finish(tx, task, CANCELLED, task.moved)
                return MoveStep(CANCELLED, 0, ())
            if task.status != RUNNING:
                return MoveStep(task.status, 0, ())
            return await _chunk(tx, task, now_ms, limit, retention_cutoff_ms, message_ids, fifo)

        try:
            step = await self._tx(op)
        except Dangling:
            # A queue this chunk moved messages to was deleted meanwhile (another node): the
            # chunk rolled back, and the task ends as with a queue found gone.
            await self.fail_move_task(task_id, QUEUE_GONE)
            return MoveStep(FAILED, 0, ())
        if step is not None:
            for target in step.targets:
                self._groups.forget(target)  # it may hold message groups now
        return step


async def _chunk(
    tx: Tx,
    task: MoveTask,
    now_ms: int,
    limit: int,
    retention_cutoff_ms: int,
    message_ids: list[str],
    fifo: bool,
) -> MoveStep:
    dest = task.destination_queue_id
    for queue_id in (task.source_queue_id, dest):
        exists = {"queue_id": queue_id}
        if queue_id is not None and await tx.fetchone("move_queue_exists", exists) is None:
            await _finish(tx, task, FAILED, task.moved, QUEUE_GONE)
            return MoveStep(FAILED, 0, ())
    want = min(limit, len(message_ids), task.to_move - task.moved)
    source = {
        "queue_id": task.source_queue_id,
        "now": now_ms,
        "cutoff": retention_cutoff_ms,
        "limit": want,
    }
    rows = await tx.fetchall("move_candidates", source) if want > 0 else []
    targets: dict[int, None] = {}
    moved = 0
    failure: str | None = None
    for (seq, origin, origin_live), message_id in zip(rows, message_ids, strict=False):
        target = dest if dest is not None else (origin if origin_live else None)
        if target is None:  # redriven from a queue that is gone, or sent directly
            failure = QUEUE_GONE
            break
        fifo_seq = await tx.fetchval("next_fifo_seq", {"queue_id": target}) if fifo else None
        await tx.execute(
            "move_message",
            {
                "seq": seq,
                "target": target,
                "message_id": message_id,
                "now": now_ms,
                "fifo_seq": fifo_seq,
            },
        )
        tx.count(task.source_queue_id, -1)
        tx.count(target, 1)
        moved += 1
        targets[target] = None
    for target in targets:
        tx.wake(target, moved)
    total = task.moved + moved
    if failure is not None:
        status = FAILED
    elif total >= task.to_move or len(rows) < want:
        status = COMPLETED  # all moved, or the source has no visible message left
    else:
        status = RUNNING
    await _finish(tx, task, status, total, failure)
    return MoveStep(status, moved, tuple(targets))


async def _get(tx: Tx, task_id: str) -> MoveTask | None:
    row = await tx.fetchone("move_task_get", {"task_id": task_id})
    return None if row is None else _task(row)


def _task(row: Row) -> MoveTask:
    return MoveTask(*row[:11])  # the columns of move_task_get, in the record's order


async def _finish(
    tx: Tx, task: MoveTask, status: str, moved: int, reason: str | None = None
) -> None:
    update = {"task_id": task.task_id, "status": status, "moved": moved, "failure_reason": reason}
    await tx.execute("move_task_update", update)
