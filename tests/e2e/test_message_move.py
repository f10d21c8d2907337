"""StartMessageMoveTask, ListMessageMoveTasks and CancelMessageMoveTask (DLQ redrive).

AWS references: API Reference for the three actions (the source must be a dead-letter
queue; without DestinationArn messages go back to their original source queues; one
active task per source; MaxNumberOfMessagesPerSecond up to 500). Error codes, statuses and
result fields follow AWS as recorded in LocalStack's AWS-validated ``test_sqs_move_task``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import QueueMaker
from tests.e2e.helpers import (
    counts,
    expect_error,
    queue_arn,
    queue_name_of,
    receive_n,
    wait_until,
)

pytestmark = pytest.mark.timeout(90)


def _arn(url: str) -> str:
    return queue_arn(queue_name_of(url))


def _pipe_with_messages(sqs: Any, make_queue: QueueMaker, n: int) -> tuple[str, str]:
    """source --(maxReceiveCount 1)--> dlq, with ``n`` messages already moved to the dlq."""
    dlq = make_queue()
    policy = {"deadLetterTargetArn": _arn(dlq), "maxReceiveCount": 1}
    source = make_queue(attributes={"RedrivePolicy": json.dumps(policy)})
    for i in range(n):
        sqs.send_message(QueueUrl=source, MessageBody=f"message-{i}")
    for _ in range(4 * n):  # bounded: each message needs two receives to move
        if counts(sqs, dlq)[0] == n:
            break
        sqs.receive_message(QueueUrl=source, VisibilityTimeout=0, MaxNumberOfMessages=10)
    wait_until(lambda: counts(sqs, dlq)[0] == n, timeout=10, message=f"{n} messages in the DLQ")
    return source, dlq


def _latest_task(sqs: Any, source_arn: str) -> dict[str, Any]:
    results: list[dict[str, Any]] = sqs.list_message_move_tasks(SourceArn=source_arn)["Results"]
    assert results, "no move task listed"
    return results[0]


def test_move_to_a_destination(sqs: Any, make_queue: QueueMaker) -> None:
    _, dlq = _pipe_with_messages(sqs, make_queue, 2)
    destination = make_queue()
    started = sqs.start_message_move_task(SourceArn=_arn(dlq), DestinationArn=_arn(destination))
    assert started["TaskHandle"]

    moved = receive_n(sqs, destination, 2, timeout=15)
    assert {m["Body"] for m in moved} == {"message-0", "message-1"}

    def completed() -> dict[str, Any] | None:
        task = _latest_task(sqs, _arn(dlq))
        return task if task["Status"] == "COMPLETED" else None

    task = wait_until(completed, timeout=15, message="move task COMPLETED")
    assert task["ApproximateNumberOfMessagesMoved"] == 2
    assert task["ApproximateNumberOfMessagesToMove"] == 2
    assert task["SourceArn"] == _arn(dlq)
    assert task["DestinationArn"] == _arn(destination)
    assert task["StartedTimestamp"] > 0
    assert counts(sqs, dlq) == (0, 0, 0)


def test_move_back_to_the_original_source(sqs: Any, make_queue: QueueMaker) -> None:
    source, dlq = _pipe_with_messages(sqs, make_queue, 2)
    sqs.start_message_move_task(SourceArn=_arn(dlq))
    back = receive_n(sqs, source, 2, timeout=15)
    assert {m["Body"] for m in back} == {"message-0", "message-1"}

    def completed() -> dict[str, Any] | None:
        task = _latest_task(sqs, _arn(dlq))
        return task if task["Status"] == "COMPLETED" else None

    task = wait_until(completed, timeout=15, message="move task COMPLETED")
    assert "DestinationArn" not in task
    assert task["ApproximateNumberOfMessagesMoved"] == 2


def test_one_running_task_per_source_and_cancel(sqs: Any, make_queue: QueueMaker) -> None:
    _, dlq = _pipe_with_messages(sqs, make_queue, 10)
    destination = make_queue()
    started = sqs.start_message_move_task(
        SourceArn=_arn(dlq), DestinationArn=_arn(destination), MaxNumberOfMessagesPerSecond=1
    )
    expect_error(
        sqs.start_message_move_task,
        SourceArn=_arn(dlq),
        DestinationArn=_arn(destination),
        code="InvalidParameterValue",
    )
    running = _latest_task(sqs, _arn(dlq))
    assert running["Status"] == "RUNNING"
    assert running["TaskHandle"] == started["TaskHandle"]
    assert running["MaxNumberOfMessagesPerSecond"] == 1
    assert running["ApproximateNumberOfMessagesToMove"] == 10

    cancelled = sqs.cancel_message_move_task(TaskHandle=started["TaskHandle"])
    assert 0 <= cancelled["ApproximateNumberOfMessagesMoved"] < 10
    wait_until(
        lambda: _latest_task(sqs, _arn(dlq))["Status"] == "CANCELLED",
        timeout=10,
        message="move task CANCELLED",
    )
    assert counts(sqs, dlq)[0] > 0, "cancelling should leave messages in the DLQ"


def test_list_without_tasks_is_empty(sqs: Any, queue: str) -> None:
    assert sqs.list_message_move_tasks(SourceArn=_arn(queue)).get("Results", []) == []


def test_source_must_be_a_dead_letter_queue(sqs: Any, make_queue: QueueMaker) -> None:
    plain = make_queue()
    destination = make_queue()
    expect_error(
        sqs.start_message_move_task,
        SourceArn=_arn(plain),
        DestinationArn=_arn(destination),
        code="InvalidParameterValue",
    )


def test_destination_must_exist(sqs: Any, make_queue: QueueMaker) -> None:
    dlq = make_queue()
    policy = {"deadLetterTargetArn": _arn(dlq), "maxReceiveCount": 1}
    make_queue(attributes={"RedrivePolicy": json.dumps(policy)})
    expect_error(
        sqs.start_message_move_task,
        SourceArn=_arn(dlq),
        DestinationArn=_arn(dlq) + "doesntexist",
        code="ResourceNotFoundException",
        status=404,
    )


def test_cancel_with_invalid_task_handle(sqs: Any) -> None:
    expect_error(sqs.cancel_message_move_task, TaskHandle="foobared", code="InvalidParameterValue")
