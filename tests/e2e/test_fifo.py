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

import time
from collections import defaultdict
from typing import Any

import pytest

from tests.conftest import QueueMaker, unique_name
from tests.e2e.helpers import attributes, counts, expect_error, receive_n, wait_counts

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


def test_zero_delay_is_accepted_and_means_the_queue_delay(sqs: Any, make_queue: QueueMaker) -> None:
    """AWS accepts DelaySeconds=0 on a FIFO send (only other values are refused) and treats it
    as not given: the queue's delay applies. SendMessage and SendMessageBatch entries."""
    url = make_queue(fifo=True, attributes={**CBD, "DelaySeconds": "2"})
    sent = sqs.send_message(QueueUrl=url, MessageBody="one", MessageGroupId="g", DelaySeconds=0)
    assert sent["SequenceNumber"]
    entries = [{"Id": "e", "MessageBody": "two", "MessageGroupId": "g2", "DelaySeconds": 0}]
    batch = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert [e["Id"] for e in batch["Successful"]] == ["e"] and not batch.get("Failed")
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
    got = receive_n(sqs, url, 2, timeout=6)
    assert sorted(m["Body"] for m in got) == ["one", "two"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"MessageGroupId": "g"},
            "The queue should either have ContentBasedDeduplication enabled or "
            "MessageDeduplicationId provided explicitly",
        ),
        (
            {"MessageDeduplicationId": "d2"},
            "The request must contain the parameter MessageGroupId.",
        ),
    ],
    ids=["no-deduplication-id", "no-group-id"],
)
def test_batch_entry_without_fifo_ids_fails_the_request(
    sqs: Any, make_queue: QueueMaker, entry: dict[str, str], message: str
) -> None:
    """AWS fails the whole SendMessageBatch (400 InvalidParameterValue), sending nothing, when
    an entry lacks MessageGroupId, or MessageDeduplicationId on a queue without
    ContentBasedDeduplication."""
    url = make_queue(fifo=True)
    good = {"Id": "a", "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d1"}
    response = expect_error(
        sqs.send_message_batch,
        QueueUrl=url,
        Entries=[good, {"Id": "b", "MessageBody": "y", **entry}],
        code="InvalidParameterValue",
    )
    assert response["Error"]["Message"] == message
    assert counts(sqs, url) == (0, 0, 0)


def test_group_is_ready_again_when_its_head_is_visible(sqs: Any, make_queue: QueueMaker) -> None:
    """AWS: receive g1-m1 and g1-m2, make g1-m1 visible (ChangeMessageVisibility 0) while
    g1-m2 stays in flight: g1 is ready again, from its head up to the message in flight; the
    group that waited longer (g2) comes first."""
    url = make_queue(fifo=True, attributes=CBD)
    for body in ("g1-m1", "g1-m2", "g2-m1"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=body[:2])
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    assert [m["Body"] for m in first] == ["g1-m1", "g1-m2"]
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)["Messages"]
    assert [m["Body"] for m in got] == ["g2-m1", "g1-m1"]


def test_group_is_ready_when_its_head_times_out_first(sqs: Any, make_queue: QueueMaker) -> None:
    """The head's own timeout ends while a later message of the group was extended: the head
    is delivered again, the extended one is not."""
    url = make_queue(fifo=True, attributes=CBD)
    for body in ("foo", "bar"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=1)
    _, bar = first["Messages"]
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=bar["ReceiptHandle"], VisibilityTimeout=30
    )
    again = receive_n(sqs, url, 1, timeout=6)
    assert [m["Body"] for m in again] == ["foo"]
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []


def test_groups_are_served_in_the_order_of_their_heads(sqs: Any, make_queue: QueueMaker) -> None:
    """AWS: groups that waited longest come first; a group whose head was just received (even
    with VisibilityTimeout=0) goes behind a group never received, however old the messages
    behind that head are."""
    url = make_queue(fifo=True, attributes=CBD)
    for body in ("g1-m1", "g2-m1", "g2-m2", "g3-m1", "g1-m2"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=body[:2])
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, VisibilityTimeout=0)
    assert [m["Body"] for m in first["Messages"]] == ["g1-m1", "g1-m2", "g2-m1"]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    bodies = [m["Body"] for m in got["Messages"]]
    assert bodies == ["g3-m1", "g1-m1", "g1-m2", "g2-m1", "g2-m2"]


def test_ready_groups_behind_a_deep_blocked_backlog(sqs: Any, make_queue: QueueMaker) -> None:
    """Many visible messages behind a head in flight (more than the receive walks in visibility
    order) do not hide the groups that are ready: the skip-scan of the groups finds them."""
    url = make_queue(fifo=True, attributes=CBD)
    # More than the first look reads (densho.storage.claims.FIFO_WALK, 1,024 rows): the
    # skip-scan of the groups must find "small".
    backlog = 1_200
    for start in range(0, backlog, 10):
        entries = [
            {"Id": f"e{i}", "MessageBody": f"big-{i}", "MessageGroupId": "big"}
            for i in range(start, start + 10)
        ]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    sqs.send_message(QueueUrl=url, MessageBody="small-1", MessageGroupId="small")
    head = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    assert [m["Body"] for m in head] == ["big-0"]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["small-1"]


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


# -- Queue type and high-throughput attributes ---------------------------------------------------
# API Reference CreateQueue: FifoQueue "Valid values are true and false. If you don't specify the
# FifoQueue attribute, Amazon SQS creates a standard queue. You can provide this attribute only
# during queue creation." DeduplicationScope messageGroup | queue; FifoThroughputLimit perQueue |
# perMessageGroupId — "The perMessageGroupId value is allowed only when the value for
# DeduplicationScope is messageGroup". FIFO-only attributes on a standard queue are unknown
# attributes (InvalidAttributeName), even FifoQueue=false (as aws-sdk-php#1331 and aws-cdk#31922
# record from AWS).

HIGH_THROUGHPUT = {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}


def test_create_high_throughput_queue(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True, attributes=HIGH_THROUGHPUT)
    assert attributes(sqs, url, *HIGH_THROUGHPUT) == HIGH_THROUGHPUT
    # Deduplication is per message group now.
    for group in ("g1", "g2", "g1"):
        sqs.send_message(
            QueueUrl=url, MessageBody=group, MessageGroupId=group, MessageDeduplicationId="d"
        )
    assert counts(sqs, url) == (2, 0, 0)


@pytest.mark.parametrize(
    "given",
    [
        {"FifoThroughputLimit": "perMessageGroupId"},
        {"FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "queue"},
    ],
    ids=["default-scope", "queue-scope"],
)
def test_per_message_group_limit_needs_message_group_scope(sqs: Any, given: dict[str, str]) -> None:
    expect_error(
        sqs.create_queue,
        QueueName=unique_name("ht", suffix=".fifo"),
        Attributes={"FifoQueue": "true", **given},
        code="InvalidParameterValue",
    )


def test_scope_narrowed_after_creation_stays_queue_wide_at_first(
    sqs: Any, make_queue: QueueMaker
) -> None:
    """AWS, DeduplicationScope queue -> messageGroup by SetQueueAttributes: sends right after
    the change are still deduplicated queue-wide (attribute changes take up to 60 seconds to
    propagate; densho keeps the queue-wide scope that long). All attributes show the new
    values at once, and nothing densho keeps for itself is listed."""
    url = make_queue(fifo=True, attributes={"DeduplicationScope": "queue"})

    def send(body: str, group: str, dedup: str) -> None:
        sqs.send_message(
            QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=dedup
        )

    send("T1", "g1", "dedup_1")
    sqs.set_queue_attributes(QueueUrl=url, Attributes=HIGH_THROUGHPUT)
    assert attributes(sqs, url, *HIGH_THROUGHPUT) == HIGH_THROUGHPUT
    send("T3", "g3", "dedup_1")  # dropped: the same id, another group
    send("T4", "g1", "dedup_2")
    send("T5", "g2", "dedup_2")  # dropped too
    got = receive_n(sqs, url, 2)
    assert [m["Body"] for m in got] == ["T1", "T4"]
    assert counts(sqs, url) == (0, 2, 0)
    listed = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert not [name for name in listed if name.startswith("densho")]


def test_set_high_throughput_attributes(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True)
    expect_error(
        sqs.set_queue_attributes,
        QueueUrl=url,
        Attributes={"FifoThroughputLimit": "perMessageGroupId"},
        code="InvalidParameterValue",
    )
    assert attributes(sqs, url, "FifoThroughputLimit") == {"FifoThroughputLimit": "perQueue"}
    # Both in one request; then the limit alone once the scope allows it.
    sqs.set_queue_attributes(QueueUrl=url, Attributes=HIGH_THROUGHPUT)
    assert attributes(sqs, url, *HIGH_THROUGHPUT) == HIGH_THROUGHPUT
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoThroughputLimit": "perQueue"})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoThroughputLimit": "perMessageGroupId"})
    # The scope cannot go back to queue while the limit is perMessageGroupId (the pair is
    # checked as it would be stored)...
    expect_error(
        sqs.set_queue_attributes,
        QueueUrl=url,
        Attributes={"DeduplicationScope": "queue"},
        code="InvalidParameterValue",
    )
    assert attributes(sqs, url, *HIGH_THROUGHPUT) == HIGH_THROUGHPUT
    # ... but both can together.
    normal = {"DeduplicationScope": "queue", "FifoThroughputLimit": "perQueue"}
    sqs.set_queue_attributes(QueueUrl=url, Attributes=normal)
    assert attributes(sqs, url, *normal) == normal


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DeduplicationScope", "group"),
        ("DeduplicationScope", "MessageGroup"),
        ("FifoThroughputLimit", "perGroup"),
        ("FifoThroughputLimit", ""),
        ("ContentBasedDeduplication", "yes"),
    ],
)
def test_invalid_fifo_attribute_value(
    sqs: Any, make_queue: QueueMaker, name: str, value: str
) -> None:
    url = make_queue(fifo=True)
    expect_error(
        sqs.set_queue_attributes,
        QueueUrl=url,
        Attributes={name: value},
        code="InvalidAttributeValue",
    )
    expect_error(
        sqs.create_queue,
        QueueName=unique_name("bad-fifo-attr", suffix=".fifo"),
        Attributes={"FifoQueue": "true", name: value},
        code="InvalidAttributeValue",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FifoQueue", "false"),
        ("FifoQueue", "true"),
        ("ContentBasedDeduplication", "false"),
        ("DeduplicationScope", "queue"),
        ("FifoThroughputLimit", "perQueue"),
    ],
)
def test_fifo_only_attributes_on_a_standard_queue(
    sqs: Any, queue: str, name: str, value: str
) -> None:
    expect_error(
        sqs.set_queue_attributes,
        QueueUrl=queue,
        Attributes={name: value},
        code="InvalidAttributeName",
    )
    if name != "FifoQueue" or value == "false":  # FifoQueue=true makes it a FIFO queue instead
        expect_error(
            sqs.create_queue,
            QueueName=unique_name("std-fifo-attr"),
            Attributes={name: value},
            code="InvalidAttributeName",
        )


def test_fifo_queue_false_on_a_fifo_name(sqs: Any) -> None:
    # FifoQueue=false asks for a standard queue, whose name cannot end in .fifo.
    response = expect_error(
        sqs.create_queue,
        QueueName=unique_name("false", suffix=".fifo"),
        Attributes={"FifoQueue": "false"},
        code="InvalidParameterValue",
    )
    assert response["Error"]["Message"] == (
        "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
    )


def test_fifo_name_without_fifo_queue_attribute(sqs: Any) -> None:
    response = expect_error(
        sqs.create_queue,
        QueueName=unique_name("noattr", suffix=".fifo"),
        code="InvalidParameterValue",
    )
    assert response["Error"]["Message"] == (
        "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
    )


def test_fifo_queue_true_on_a_standard_name(sqs: Any) -> None:
    response = expect_error(
        sqs.create_queue,
        QueueName=unique_name("nosuffix"),
        Attributes={"FifoQueue": "true"},
        code="InvalidParameterValue",
    )
    assert "must end with .fifo suffix" in response["Error"]["Message"]


def test_set_fifo_queue_on_a_fifo_queue(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True)
    # Restating the type is accepted; changing it is not.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "true", "DelaySeconds": "1"})
    assert attributes(sqs, url, "FifoQueue", "DelaySeconds") == {
        "FifoQueue": "true",
        "DelaySeconds": "1",
    }
    response = expect_error(
        sqs.set_queue_attributes,
        QueueUrl=url,
        Attributes={"FifoQueue": "false"},
        code="InvalidAttributeValue",
    )
    assert response["Error"]["Message"] == (
        "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
    )
    assert attributes(sqs, url, "FifoQueue") == {"FifoQueue": "true"}


# -- receipt handles: only the latest receive's, while in flight ---------------------------


def _expired(handle: str) -> str:
    reason = "The receipt handle has expired."
    return f"Value {handle} for parameter ReceiptHandle is invalid. Reason: {reason}"


def test_delete_after_the_visibility_timeout_ran_out_fails(
    sqs: Any, make_queue: QueueMaker
) -> None:
    # LocalStack snapshot ``delete_after_timeout_fifo`` (recorded on AWS): 400, and the message
    # stays in the queue.
    url = make_queue(fifo=True, attributes={**CBD, "VisibilityTimeout": "1"})
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="1")
    handle = receive_n(sqs, url, 1)[0]["ReceiptHandle"]
    wait_counts(sqs, url, (1, 0, 0), timeout=5)
    response = expect_error(
        sqs.delete_message, QueueUrl=url, ReceiptHandle=handle, code="InvalidParameterValue"
    )
    assert response["Error"]["Message"] == _expired(handle)
    assert [m["Body"] for m in receive_n(sqs, url, 1)] == ["x"]


def test_delete_by_a_released_or_earlier_handle_fails(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(fifo=True, attributes=CBD)
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    first = receive_n(sqs, url, 1)[0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first, VisibilityTimeout=0)
    expect_error(
        sqs.delete_message, QueueUrl=url, ReceiptHandle=first, code="InvalidParameterValue"
    )
    latest = receive_n(sqs, url, 1)[0]["ReceiptHandle"]
    resp = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "old", "ReceiptHandle": first}, {"Id": "new", "ReceiptHandle": latest}],
    )
    assert resp["Successful"] == [{"Id": "new"}]
    (failed,) = resp["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == (
        "old",
        "InvalidParameterValue",
        True,
    )
    assert failed["Message"] == _expired(first)
    assert counts(sqs, url) == (0, 0, 0)
    # The message is gone: any of its handles now succeeds without effect.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first)


def test_delete_while_an_extended_timeout_runs(sqs: Any, make_queue: QueueMaker) -> None:
    # The handle stays valid as long as ChangeMessageVisibility keeps the message in flight.
    url = make_queue(fifo=True, attributes={**CBD, "VisibilityTimeout": "1"})
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    handle = receive_n(sqs, url, 1)[0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=60)
    time.sleep(1.2)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert counts(sqs, url) == (0, 0, 0)


def test_change_visibility_needs_the_latest_handle_in_flight(
    sqs: Any, make_queue: QueueMaker
) -> None:
    # Unlike a standard queue's (tests/e2e/test_receive.py); no AWS record says otherwise.
    url = make_queue(fifo=True, attributes=CBD)
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    first = receive_n(sqs, url, 1)[0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first, VisibilityTimeout=0)
    expect_error(
        sqs.change_message_visibility,
        QueueUrl=url,
        ReceiptHandle=first,
        VisibilityTimeout=30,
        code="AWS.SimpleQueueService.MessageNotInflight",
    )
    receive_n(sqs, url, 1)
    expect_error(
        sqs.change_message_visibility,
        QueueUrl=url,
        ReceiptHandle=first,
        VisibilityTimeout=0,
        code="InvalidParameterValue",
    )
    assert counts(sqs, url) == (0, 1, 0)
