"""Message move tasks beyond the happy path: crash and restart mid-task, queues deleted mid-task,
the rate limit, and exactly-once moving (no message lost, none duplicated).

The restart and source-deletion tests run their own server; the others use the session server
over both protocols. AWS behaviours checked here: a deleted destination fails the task with
FailureReason ``AWS.SimpleQueueService.NonExistentQueue`` (recorded against AWS in LocalStack's
test_sqs_move_task snapshot); a FAILED task lists no TaskHandle; redriven messages are new
messages with new ids (Developer Guide, dead-letter queue redrive).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import pytest

from tests.conftest import QueueMaker, ServerFactory, json_client
from tests.e2e.helpers import counts, expect_error, queue_arn, queue_name_of, wait_until
from tests.support.server import DenshoServer

pytestmark = pytest.mark.timeout(120)


def _arn(url: str) -> str:
    return queue_arn(queue_name_of(url))


def _fill_dlq(sqs: Any, source: str, dlq: str, n: int) -> None:
    """Send ``n`` messages to ``source`` and receive until redrive moved them all to ``dlq``."""
    for start in range(0, n, 10):
        sqs.send_message_batch(
            QueueUrl=source,
            Entries=[
                {"Id": str(i), "MessageBody": f"message-{i}"}
                for i in range(start, min(n, start + 10))
            ],
        )
    for _ in range(3 * n // 10 + 10):  # bounded: each message needs two receives to move
        if counts(sqs, dlq)[0] == n:
            break
        sqs.receive_message(QueueUrl=source, VisibilityTimeout=0, MaxNumberOfMessages=10)
    assert counts(sqs, dlq)[0] == n


def _pipe(sqs: Any, make_queue: QueueMaker, n: int) -> tuple[str, str]:
    dlq = make_queue()
    policy = {"deadLetterTargetArn": _arn(dlq), "maxReceiveCount": 1}
    source = make_queue(attributes={"RedrivePolicy": json.dumps(policy)})
    _fill_dlq(sqs, source, dlq, n)
    return source, dlq


def _task(sqs: Any, dlq: str) -> dict[str, Any]:
    results: list[dict[str, Any]] = sqs.list_message_move_tasks(SourceArn=_arn(dlq))["Results"]
    assert results, "no move task listed"
    return results[0]


def _drain(sqs: Any, url: str, *, limit_s: float = 60.0) -> list[dict[str, Any]]:
    """Every message of the queue (each hidden for 10 minutes once received)."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + limit_s
    empty_in_a_row = 0
    while empty_in_a_row < 2:
        assert time.monotonic() < deadline, f"drain did not finish; {len(got)} so far"
        resp = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600, AttributeNames=["All"]
        )
        messages = resp.get("Messages", [])
        empty_in_a_row = 0 if messages else empty_in_a_row + 1
        got.extend(messages)
    return got


def _exactly_once(messages: list[dict[str, Any]], n: int) -> None:
    bodies = Counter(m["Body"] for m in messages)
    duplicated = {b: c for b, c in bodies.items() if c > 1}
    assert not duplicated, f"moved twice: {duplicated}"
    assert set(bodies) == {f"message-{i}" for i in range(n)}, "messages lost"
    assert len({m["MessageId"] for m in messages}) == n


# --- on the session server, both protocols ---


def test_every_message_moved_once_as_a_new_message(sqs: Any, make_queue: QueueMaker) -> None:
    n = 120
    _, dlq = _pipe(sqs, make_queue, n)
    in_dlq = _drain(sqs, dlq)
    dlq_ids = {m["MessageId"] for m in in_dlq}
    assert len(dlq_ids) == n
    for i in range(0, n, 10):  # visible again: a task moves visible messages only
        sqs.change_message_visibility_batch(
            QueueUrl=dlq,
            Entries=[
                {"Id": str(j), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for j, m in enumerate(in_dlq[i : i + 10])
            ],
        )
    destination = make_queue()
    sqs.start_message_move_task(SourceArn=_arn(dlq), DestinationArn=_arn(destination))
    task = wait_until(
        lambda: (t := _task(sqs, dlq))["Status"] == "COMPLETED" and t,
        timeout=20,
        message="move task COMPLETED",
    )
    assert task["ApproximateNumberOfMessagesMoved"] == task["ApproximateNumberOfMessagesToMove"]
    assert task["ApproximateNumberOfMessagesMoved"] == n
    assert "TaskHandle" not in task and "MaxNumberOfMessagesPerSecond" not in task
    moved = _drain(sqs, destination)
    _exactly_once(moved, n)
    assert not {m["MessageId"] for m in moved} & dlq_ids, "redriven messages get new ids"
    assert all(m["Attributes"]["ApproximateReceiveCount"] == "1" for m in moved)
    assert counts(sqs, dlq) == (0, 0, 0)


def test_rate_is_honoured(sqs: Any, make_queue: QueueMaker) -> None:
    n, rate = 12, 5
    _, dlq = _pipe(sqs, make_queue, n)
    destination = make_queue()
    began = time.monotonic()
    sqs.start_message_move_task(
        SourceArn=_arn(dlq), DestinationArn=_arn(destination), MaxNumberOfMessagesPerSecond=rate
    )
    time.sleep(1.0)
    early = _task(sqs, dlq)
    assert early["Status"] == "RUNNING"
    assert early["MaxNumberOfMessagesPerSecond"] == rate
    # Loose: within about a second, about ``rate`` messages (never all of them).
    assert 1 <= early["ApproximateNumberOfMessagesMoved"] <= 2 * rate
    wait_until(lambda: _task(sqs, dlq)["Status"] == "COMPLETED", timeout=20, message="COMPLETED")
    elapsed = time.monotonic() - began
    assert elapsed >= 0.8 * (n - 1) / rate, f"{n} messages at {rate}/s took only {elapsed:.2f} s"
    _exactly_once(_drain(sqs, destination), n)


def test_deleting_the_destination_fails_the_task(sqs: Any, make_queue: QueueMaker) -> None:
    _, dlq = _pipe(sqs, make_queue, 10)
    destination = make_queue()
    started = sqs.start_message_move_task(
        SourceArn=_arn(dlq), DestinationArn=_arn(destination), MaxNumberOfMessagesPerSecond=2
    )
    wait_until(
        lambda: _task(sqs, dlq)["ApproximateNumberOfMessagesMoved"] >= 1,
        timeout=10,
        message="first message moved",
    )
    sqs.delete_queue(QueueUrl=destination)
    task = wait_until(
        lambda: (t := _task(sqs, dlq))["Status"] != "RUNNING" and t,
        timeout=10,
        message="task no longer RUNNING",
    )
    assert task["Status"] == "FAILED"
    assert task["FailureReason"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert "TaskHandle" not in task
    assert 1 <= task["ApproximateNumberOfMessagesMoved"] < 10
    assert counts(sqs, dlq)[0] == 10 - task["ApproximateNumberOfMessagesMoved"]
    expect_error(
        sqs.cancel_message_move_task,
        TaskHandle=started["TaskHandle"],
        code="ResourceNotFoundException",
        status=404,
    )


def test_list_most_recent_first(sqs: Any, make_queue: QueueMaker) -> None:
    _, dlq = _pipe(sqs, make_queue, 1)
    handles = []
    for _ in range(3):
        handles.append(sqs.start_message_move_task(SourceArn=_arn(dlq))["TaskHandle"])
        wait_until(lambda: _task(sqs, dlq)["Status"] == "COMPLETED", message="COMPLETED")
    results = sqs.list_message_move_tasks(SourceArn=_arn(dlq), MaxResults=10)["Results"]
    assert len(results) == 3
    assert [r["ApproximateNumberOfMessagesMoved"] for r in results] == [0, 0, 1]
    assert [r["ApproximateNumberOfMessagesToMove"] for r in results] == [0, 0, 1]
    stamps = [r["StartedTimestamp"] for r in results]
    assert stamps == sorted(stamps, reverse=True)
    expect_error(
        sqs.list_message_move_tasks,
        SourceArn=_arn(dlq),
        MaxResults=11,
        code="InvalidParameterValue",
    )
    expect_error(
        sqs.list_message_move_tasks,
        SourceArn=_arn(dlq) + "-gone",
        code="ResourceNotFoundException",
        status=404,
    )


# --- own servers: crash, restart, deleted source ---


@pytest.fixture
def server(new_server: ServerFactory) -> DenshoServer:
    """A server of the test's own, on the store under test (closed by ``new_server``)."""
    return new_server().start()


def _own_pipe(sqs: Any, n: int) -> tuple[str, str, str]:
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    policy = {"deadLetterTargetArn": _arn(dlq), "maxReceiveCount": 1}
    source = sqs.create_queue(QueueName="source", Attributes={"RedrivePolicy": json.dumps(policy)})[
        "QueueUrl"
    ]
    _fill_dlq(sqs, source, dlq, n)
    destination = sqs.create_queue(QueueName="destination")["QueueUrl"]
    return source, dlq, destination


def test_a_task_resumes_after_kill9(server: DenshoServer) -> None:
    n, rate = 30, 10
    sqs = json_client(server.endpoint)
    _, dlq, destination = _own_pipe(sqs, n)
    sqs.start_message_move_task(
        SourceArn=_arn(dlq), DestinationArn=_arn(destination), MaxNumberOfMessagesPerSecond=rate
    )
    wait_until(
        lambda: _task(sqs, dlq)["ApproximateNumberOfMessagesMoved"] >= 5,
        timeout=10,
        message="5 messages moved",
    )
    server.kill9()
    server.start()
    sqs = json_client(server.endpoint)  # the port may have changed
    task = _task(sqs, dlq)
    assert task["Status"] in ("RUNNING", "COMPLETED")
    assert task["ApproximateNumberOfMessagesMoved"] >= 5
    task = wait_until(
        lambda: (t := _task(sqs, dlq))["Status"] == "COMPLETED" and t,
        timeout=20,
        message="resumed task COMPLETED",
    )
    assert task["ApproximateNumberOfMessagesMoved"] == n
    assert task["ApproximateNumberOfMessagesToMove"] == n
    _exactly_once(_drain(sqs, destination), n)
    assert counts(sqs, dlq) == (0, 0, 0)


def test_a_graceful_stop_leaves_the_task_running(server: DenshoServer) -> None:
    sqs = json_client(server.endpoint)
    _, dlq, destination = _own_pipe(sqs, 20)
    sqs.start_message_move_task(
        SourceArn=_arn(dlq), DestinationArn=_arn(destination), MaxNumberOfMessagesPerSecond=1
    )
    began = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - began < 5, "shutdown waited for the move task"
    server.start()
    sqs = json_client(server.endpoint)
    task = _task(sqs, dlq)
    assert task["Status"] == "RUNNING" and task["TaskHandle"]
    cancelled = sqs.cancel_message_move_task(TaskHandle=task["TaskHandle"])
    assert cancelled["ApproximateNumberOfMessagesMoved"] < 20
    wait_until(lambda: _task(sqs, dlq)["Status"] == "CANCELLED", message="CANCELLED")


def test_deleting_the_source_mid_task(server: DenshoServer) -> None:
    n = 20
    sqs = json_client(server.endpoint)
    _, dlq, destination = _own_pipe(sqs, n)
    started = sqs.start_message_move_task(
        SourceArn=_arn(dlq), DestinationArn=_arn(destination), MaxNumberOfMessagesPerSecond=4
    )
    wait_until(
        lambda: _task(sqs, dlq)["ApproximateNumberOfMessagesMoved"] >= 1,
        timeout=10,
        message="first message moved",
    )
    sqs.delete_queue(QueueUrl=dlq)
    time.sleep(1.0)  # the runner's next chunk finds the source gone and fails the task
    moved = _drain(sqs, destination)
    assert 1 <= len(moved) < n
    assert len({m["Body"] for m in moved}) == len(moved)
    # The task's source is gone, so it can be neither listed nor cancelled; the server is fine.
    expect_error(
        sqs.list_message_move_tasks,
        SourceArn=_arn(dlq),
        code="ResourceNotFoundException",
        status=404,
    )
    expect_error(
        sqs.cancel_message_move_task,
        TaskHandle=started["TaskHandle"],
        code="ResourceNotFoundException",
        status=404,
    )
    time.sleep(0.5)
    assert len(_drain(sqs, destination, limit_s=5)) == 0, "no message moved after the delete"
    assert "Traceback" not in server.stderr_tail(20_000)
    server.restart()  # nothing left to resume, and start-up is clean
    assert server.stop() == 0
    assert "Traceback" not in server.stderr_tail(20_000)
