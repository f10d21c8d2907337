"""FIFO queues over the wire, on both protocols: group order, in-flight groups, deduplication.

AWS references: API Reference SendMessage (MessageGroupId required on FIFO queues;
MessageDeduplicationId or ContentBasedDeduplication; the 5-minute deduplication interval
holds even after the message is deleted; no per-message DelaySeconds on FIFO queues),
ReceiveMessage ("For each MessageGroupId, the messages are sorted by time sent"; "While
messages with a particular MessageGroupId are invisible, no more messages belonging to the
same MessageGroupId are returned"; ReceiveRequestAttemptId "return the same messages and
receipt handles"). Error codes follow AWS as recorded in LocalStack's AWS-validated tests.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from tests.conftest import QueueMaker
from tests.e2e.helpers import attributes, counts, expect_error, receive_n

CBD = {"ContentBasedDeduplication": "true"}


def _bodies_by_group(messages: list[dict[str, Any]]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for m in messages:
        groups[m["Attributes"]["MessageGroupId"]].append(m["Body"])
    return dict(groups)


def test_order_within_a_group(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True, attributes={"VisibilityTimeout": "1"})
    for i in range(5):
        sqs.send_message(
            QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g", MessageDeduplicationId=f"d{i}"
        )
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in first] == [f"m{i}" for i in range(5)]
    # After the visibility timeout the same order comes back.
    again = receive_n(sqs, url, 5, timeout=6)
    assert [m["Body"] for m in again] == [f"m{i}" for i in range(5)]


def test_order_per_group_with_interleaved_groups(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True, attributes=CBD)
    sends = [("g1", "g1-m1"), ("g2", "g2-m1"), ("g1", "g1-m2"), ("g2", "g2-m2"), ("g1", "g1-m3")]
    for group, body in sends:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    got = receive_n(sqs, url, 5, MessageSystemAttributeNames=["MessageGroupId"])
    assert _bodies_by_group(got) == {"g1": ["g1-m1", "g1-m2", "g1-m3"], "g2": ["g2-m1", "g2-m2"]}


def test_group_with_message_in_flight_is_skipped(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True, attributes=CBD)
    for body in ("g1-m1", "g1-m2", "g1-m3"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g1")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    assert [m["Body"] for m in first] == ["g1-m1"]
    sqs.send_message(QueueUrl=url, MessageBody="g2-m1", MessageGroupId="g2")
    # g1 is blocked while g1-m1 is in flight: only g2 can be served.
    nxt = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in nxt] == ["g2-m1"]
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
    # Deleting the in-flight message unblocks the group, in order.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in rest] == ["g1-m2", "g1-m3"]


def test_content_based_deduplication(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True, attributes=CBD)
    item = '{"foo": "bar"}'
    sqs.send_message(QueueUrl=url, MessageBody=item, MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody=item, MessageGroupId="g")
    assert counts(sqs, url) == (1, 0, 0)
    [msg] = receive_n(sqs, url, 1)
    assert msg["Body"] == item
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []) == []


@pytest.mark.parametrize("content_based", [True, False], ids=["content", "explicit-id"])
def test_deduplication_outlives_deletion(
    sqs: Any, make_queue: QueueMaker, content_based: bool
) -> None:
    url = make_queue(fifo=True, attributes=CBD if content_based else None)
    extra = {} if content_based else {"MessageDeduplicationId": "dedup-1"}
    sqs.send_message(QueueUrl=url, MessageBody="once", MessageGroupId="g", **extra)
    [msg] = receive_n(sqs, url, 1)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
    sqs.send_message(QueueUrl=url, MessageBody="once", MessageGroupId="g", **extra)
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []) == []


def test_deduplication_scope_is_the_queue(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True)
    for group in ("g1", "g2"):
        sqs.send_message(
            QueueUrl=url, MessageBody="same", MessageGroupId=group, MessageDeduplicationId="d"
        )
    assert counts(sqs, url) == (1, 0, 0)


def test_sequence_numbers_increase(sqs: Any, make_queue: QueueMaker, queue: str) -> None:
    url = make_queue(fifo=True)
    numbers = []
    for i in range(3):
        sent = sqs.send_message(
            QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g", MessageDeduplicationId=f"d{i}"
        )
        numbers.append(int(sent["SequenceNumber"]))
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    plain = sqs.send_message(QueueUrl=queue, MessageBody="standard")
    assert "SequenceNumber" not in plain


def test_fifo_system_attributes_on_receive(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True)
    sent = sqs.send_message(
        QueueUrl=url, MessageBody="attrs", MessageGroupId="group-1", MessageDeduplicationId="d-1"
    )
    [msg] = receive_n(sqs, url, 1, AttributeNames=["All"])
    attrs = msg["Attributes"]
    assert attrs["MessageGroupId"] == "group-1"
    assert attrs["MessageDeduplicationId"] == "d-1"
    assert attrs["SequenceNumber"] == sent["SequenceNumber"]
    assert attrs["ApproximateReceiveCount"] == "1"


def test_receive_request_attempt_id_returns_the_same_messages(
    sqs: Any, make_queue: QueueMaker
) -> None:
    url = make_queue(fifo=True, attributes=CBD)
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId=f"g{i}")
    first = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1"
    )["Messages"]
    retry = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1"
    )["Messages"]
    assert [m["MessageId"] for m in retry] == [m["MessageId"] for m in first]
    assert [m["ReceiptHandle"] for m in retry] == [m["ReceiptHandle"] for m in first]


def test_missing_message_group_id(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True)
    expect_error(
        sqs.send_message,
        QueueUrl=url,
        MessageBody="x",
        MessageDeduplicationId="d",
        code="MissingParameter",
    )


def test_missing_deduplication_id_without_content_based(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True)
    expect_error(
        sqs.send_message,
        QueueUrl=url,
        MessageBody="x",
        MessageGroupId="g",
        code="InvalidParameterValue",
    )


def test_per_message_delay_not_allowed(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True, attributes=CBD)
    expect_error(
        sqs.send_message,
        QueueUrl=url,
        MessageBody="x",
        MessageGroupId="g",
        DelaySeconds=2,
        code="InvalidParameterValue",
    )


def test_batch_send_keeps_order(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True, attributes=CBD)
    entries = [{"Id": f"e{i}", "MessageBody": f"b{i}", "MessageGroupId": "g"} for i in range(10)]
    resp = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert len(resp["Successful"]) == 10
    numbers = [int(s["SequenceNumber"]) for s in sorted(resp["Successful"], key=lambda s: s["Id"])]
    assert len(set(numbers)) == 10
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == [f"b{i}" for i in range(10)]


def test_purge_clears_deduplication(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True)
    kwargs = {"MessageGroupId": "g", "MessageDeduplicationId": "same"}
    sqs.send_message(QueueUrl=url, MessageBody="before purge", **kwargs)
    sqs.purge_queue(QueueUrl=url)
    sqs.send_message(QueueUrl=url, MessageBody="after purge", **kwargs)
    [msg] = receive_n(sqs, url, 1)
    assert msg["Body"] == "after purge"


def test_set_content_based_deduplication(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True, attributes=CBD)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"ContentBasedDeduplication": "false"})
    assert attributes(sqs, url, "ContentBasedDeduplication") == {
        "ContentBasedDeduplication": "false"
    }
