"""The storage contract of message move tasks, next to ``base.Store``.

Owns: the method list for move tasks and each method's atomicity promise.
Must not know: when a task may start or which errors AWS answers; the engine decides, storage
applies.

A message is moved by changing its row (queue, row id, message id, times) in place, inside the
transaction that also advances the task's counter: a crash loses no message and moves none twice.

Several nodes on one store run each task on one node at a time: a task is held under a
``Lease`` (the node, and until when), taken when it starts or is adopted and renewed by each
chunk; a chunk under someone else's live lease does nothing, and a lease its node stopped
renewing (the node died) lets another node adopt the task. A store that is not ``shared`` (one
process) keeps no leases: every call acts as if the lease were the caller's.
"""

from __future__ import annotations

from typing import Protocol

from densho.core.move_model import MoveStep, MoveTask
from densho.core.store import Lease

KEEP_TASKS = 10  # ListMessageMoveTasks shows at most the 10 most recent tasks of a source


class MoveStore(Protocol):
    async def start_move_task(
        self, task: MoveTask, now_ms: int, retention_cutoff_ms: int, lease: Lease
    ) -> MoveTask | None:
        """Insert ``task`` as RUNNING, held by ``lease``, with ``to_move`` set to the source's
        visible, unexpired messages now; None (and nothing written) when the source already has
        an active task. Keeps the source's 10 most recent tasks."""
        ...

    async def list_move_tasks(self, source_queue_id: int, limit: int) -> list[MoveTask]:
        """The source's tasks, most recent first."""
        ...

    async def get_move_task(self, task_id: str) -> MoveTask | None: ...

    async def adopt_move_tasks(self, lease: Lease, now_ms: int) -> list[MoveTask]:
        """Tasks still RUNNING or CANCELLING that no node holds (never leased, or the lease
        ended at or before ``now_ms``), now held by ``lease``: of concurrent adopters, one gets
        each task. Without leases (a store that is not shared): every active task — those a
        restart interrupted. Forgets finished tasks of deleted queues."""
        ...

    async def release_move_tasks(self, owner: str) -> None:
        """End the leases ``owner`` holds (it is stopping), so other nodes adopt its tasks at
        once rather than when the leases run out."""
        ...

    async def cancel_move_task(self, task_id: str) -> MoveTask | None:
        """RUNNING -> CANCELLING; the task as it is after, or None if it was not RUNNING."""
        ...

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
        ...

    async def fail_move_task(self, task_id: str, reason: str) -> None:
        """Mark an active task FAILED with ``reason``."""
        ...
