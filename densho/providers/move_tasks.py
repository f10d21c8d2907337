"""Message move task operations: StartMessageMoveTask, ListMessageMoveTasks,
CancelMessageMoveTask — wire parameters in, ``MoveTasks`` calls, wire results out.

Owns: the shape of a ListMessageMoveTasksResultEntry (which fields AWS includes when).
Must not know: HTTP, JSON vs Query, SQL.
"""

from __future__ import annotations

from densho.api import sqs as api
from densho.core import errors
from densho.core.move_model import FAILED, RUNNING, MoveTask
from densho.providers.context import SqsContext
from densho.sqs.move_tasks import MoveTasks


def _moves(ctx: SqsContext) -> MoveTasks:
    if ctx.moves is None:
        raise errors.MoveTasksDisabled()
    return ctx.moves


def _entry(moves: MoveTasks, task: MoveTask) -> api.ListMessageMoveTasksResultEntry:
    """One ListMessageMoveTasksResultEntry. AWS omits DestinationArn and
    MaxNumberOfMessagesPerSecond when the request did not give them, gives TaskHandle only for
    RUNNING tasks and FailureReason only for FAILED ones (API Reference)."""
    out: api.ListMessageMoveTasksResultEntry = {
        "SourceArn": task.source_arn,
        "Status": task.status,
        "ApproximateNumberOfMessagesMoved": task.moved,
        "ApproximateNumberOfMessagesToMove": task.to_move,
        "StartedTimestamp": task.started_ms,
    }
    if task.destination_arn is not None:
        out["DestinationArn"] = task.destination_arn
    if task.max_per_second is not None:
        out["MaxNumberOfMessagesPerSecond"] = task.max_per_second
    if task.status == RUNNING:
        out["TaskHandle"] = moves.handle(task)
    if task.status == FAILED and task.failure_reason:
        out["FailureReason"] = task.failure_reason
    return out


async def start_message_move_task(
    ctx: SqsContext, p: api.StartMessageMoveTaskRequest
) -> api.StartMessageMoveTaskResult:
    moves = _moves(ctx)
    task = await moves.start(
        p["SourceArn"], p.get("DestinationArn"), p.get("MaxNumberOfMessagesPerSecond")
    )
    return {"TaskHandle": moves.handle(task)}


async def list_message_move_tasks(
    ctx: SqsContext, p: api.ListMessageMoveTasksRequest
) -> api.ListMessageMoveTasksResult:
    moves = _moves(ctx)
    tasks = await moves.list_tasks(p["SourceArn"], p.get("MaxResults"))
    return {"Results": [_entry(moves, t) for t in tasks]}


async def cancel_message_move_task(
    ctx: SqsContext, p: api.CancelMessageMoveTaskRequest
) -> api.CancelMessageMoveTaskResult:
    moved = await _moves(ctx).cancel(p["TaskHandle"])
    return {"ApproximateNumberOfMessagesMoved": moved}
