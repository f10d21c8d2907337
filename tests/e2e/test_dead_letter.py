"""Dead-letter queues: RedrivePolicy, redrive on maxReceiveCount, ListDeadLetterSourceQueues.

AWS references: API Reference SetQueueAttributes (RedrivePolicy: deadLetterTargetArn,
maxReceiveCount — "When the ReceiveCount for a message exceeds the maxReceiveCount for a
queue, Amazon SQS moves the message to the dead-letter-queue"), ListDeadLetterSourceQueues
(MaxResults 1-1000, NextToken).
"""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import QueueMaker
from tests.e2e.helpers import (
    attributes,
    counts,
    expect_error,
    queue_arn,
    queue_name_of,
    receive_one,
    wait_until,
)


def _redrive(dlq_url: str, max_receive_count: int) -> dict[str, str]:
    policy = {
        "deadLetterTargetArn": queue_arn(queue_name_of(dlq_url)),
        "maxReceiveCount": max_receive_count,
    }
    return {"RedrivePolicy": json.dumps(policy)}


def test_list_dead_letter_source_queues(sqs: Any, make_queue: QueueMaker) -> None:
    dlq = make_queue()
    first = make_queue(attributes=_redrive(dlq, 5))
    second = make_queue()
    sqs.set_queue_attributes(QueueUrl=second, Attributes=_redrive(dlq, 3))
    unrelated = make_queue()

    got = sqs.list_dead_letter_source_queues(QueueUrl=dlq).get("queueUrls", [])
    assert sorted(got) == sorted([first, second])
    assert unrelated not in got
    assert sqs.list_dead_letter_source_queues(QueueUrl=unrelated).get("queueUrls", []) == []


def test_list_dead_letter_source_queues_pagination(sqs: Any, make_queue: QueueMaker) -> None:
    dlq = make_queue()
    sources = {make_queue(attributes=_redrive(dlq, 2)) for _ in range(3)}
    seen: list[str] = []
    kwargs: dict[str, Any] = {"QueueUrl": dlq, "MaxResults": 2}
    for _ in range(6):  # bounded: two pages expected
        resp = sqs.list_dead_letter_source_queues(**kwargs)
        seen.extend(resp.get("queueUrls", []))
        if not resp.get("NextToken"):
            break
        kwargs["NextToken"] = resp["NextToken"]
    assert len(seen) == len(set(seen)) == 3
    assert set(seen) == sources


def test_list_dead_letter_source_queues_of_non_existent_queue(sqs: Any, endpoint: str) -> None:
    expect_error(
        sqs.list_dead_letter_source_queues,
        QueueUrl=f"{endpoint}/000000000000/no-such-dlq",
        code="AWS.SimpleQueueService.NonExistentQueue",
    )


def test_message_moves_to_dlq_after_max_receive_count(sqs: Any, make_queue: QueueMaker) -> None:
    dlq = make_queue()
    source = make_queue(attributes=_redrive(dlq, 1))
    sent = sqs.send_message(
        QueueUrl=source,
        MessageBody="poison",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "poison"}},
    )

    first = receive_one(sqs, source, VisibilityTimeout=0)
    assert first["MessageId"] == sent["MessageId"]
    # The second receive would exceed maxReceiveCount = 1: the message moves instead.
    again = sqs.receive_message(QueueUrl=source, WaitTimeSeconds=1).get("Messages", [])
    assert again == []
    moved = receive_one(sqs, dlq, timeout=6, MessageAttributeNames=["All"])
    assert moved["MessageId"] == sent["MessageId"]
    assert moved["Body"] == "poison"
    assert moved["MessageAttributes"] == {"kind": {"DataType": "String", "StringValue": "poison"}}
    wait_until(lambda: counts(sqs, source) == (0, 0, 0), timeout=3, message="source empty")


def test_message_below_max_receive_count_stays(sqs: Any, make_queue: QueueMaker) -> None:
    dlq = make_queue()
    source = make_queue(attributes=_redrive(dlq, 3))
    sqs.send_message(QueueUrl=source, MessageBody="retry me")
    for expected in ("1", "2", "3"):
        msg = receive_one(
            sqs, source, VisibilityTimeout=0, AttributeNames=["ApproximateReceiveCount"]
        )
        assert msg["Attributes"]["ApproximateReceiveCount"] == expected
    assert counts(sqs, dlq) == (0, 0, 0)


def test_dead_letter_message_names_its_source(sqs: Any, make_queue: QueueMaker) -> None:
    dlq = make_queue()
    source = make_queue(attributes=_redrive(dlq, 1))
    sqs.send_message(QueueUrl=source, MessageBody="poison")
    receive_one(sqs, source, VisibilityTimeout=0)
    assert sqs.receive_message(QueueUrl=source, WaitTimeSeconds=1).get("Messages", []) == []
    moved = receive_one(sqs, dlq, MessageSystemAttributeNames=["All"])
    source_arn = attributes(sqs, source, "QueueArn")["QueueArn"]
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == source_arn
