"""Domain values of message move tasks (dead-letter queue redrive).

Owns: a move task as stored, its status names, and what one chunk of moving did.
Must not know: wire shapes (PascalCase dicts), SQL.

A task's life, as AWS names it (API Reference, ListMessageMoveTasksResultEntry ``Status``)::

    RUNNING ──> COMPLETED
       │  └───> FAILED (FailureReason)
       └──> CANCELLING ──> CANCELLED
"""

from __future__ import annotations

from dataclasses import dataclass

RUNNING = "RUNNING"
COMPLETED = "COMPLETED"
CANCELLING = "CANCELLING"
CANCELLED = "CANCELLED"
FAILED = "FAILED"
ACTIVE = frozenset({RUNNING, CANCELLING})

# The FailureReason AWS reports when a queue the task moves from or to was deleted while it ran
# (recorded against AWS in LocalStack's test_sqs_move_task snapshot,
# "test_move_task_delete_destination_queue_while_running").
QUEUE_GONE = "AWS.SimpleQueueService.NonExistentQueue"


@dataclass(frozen=True, slots=True)
class MoveTask:
    task_id: str
    source_queue_id: int
    source_arn: str
    # None: each message goes back to the queue redrive moved it from.
    destination_queue_id: int | None
    destination_arn: str | None
    max_per_second: int | None  # None: not given (AWS: system-optimised rate)
    status: str
    to_move: int  # visible messages in the source when the task started
    moved: int
    started_ms: int
    failure_reason: str | None = None


@dataclass(frozen=True, slots=True)
class MoveStep:
    """What one chunk of a task did, in one transaction."""

    status: str  # the task's status after the chunk
    moved: int  # messages moved by this chunk
    targets: tuple[int, ...]  # the queues that received them (their long polls wake)
