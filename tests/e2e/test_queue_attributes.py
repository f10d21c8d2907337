"""GetQueueAttributes and SetQueueAttributes, on both wire protocols.

AWS references: API Reference GetQueueAttributes / SetQueueAttributes (attribute names,
ranges and defaults: DelaySeconds 0-900, MaximumMessageSize 1,024-1,048,576 (default
1 MiB), MessageRetentionPeriod 60-1,209,600 (default 345,600), ReceiveMessageWaitTimeSeconds
0-20, VisibilityTimeout 0-43,200 (default 30); CreatedTimestamp / LastModifiedTimestamp in
epoch seconds). New queues use SSE-SQS by default (SqsManagedSseEnabled = true).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.conftest import QueueMaker
from tests.e2e.helpers import (
    attributes,
    counts,
    expect_error,
    queue_arn,
    queue_name_of,
    receive_one,
    wait_counts,
)

STANDARD_QUEUE_ATTRIBUTES = {
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "DelaySeconds",
    "LastModifiedTimestamp",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "QueueArn",
    "ReceiveMessageWaitTimeSeconds",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
}

DEFAULTS = {
    "ApproximateNumberOfMessages": "0",
    "ApproximateNumberOfMessagesDelayed": "0",
    "ApproximateNumberOfMessagesNotVisible": "0",
    "DelaySeconds": "0",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "SqsManagedSseEnabled": "true",
    "VisibilityTimeout": "30",
}


# -- GetQueueAttributes ---------------------------------------------------------------


def test_get_all_attributes_of_new_queue(sqs: Any, queue: str) -> None:
    attrs = attributes(sqs, queue, "All")
    assert set(attrs) >= STANDARD_QUEUE_ATTRIBUTES, sorted(attrs)
    for key, value in DEFAULTS.items():
        assert attrs[key] == value, key
    assert attrs["QueueArn"] == queue_arn(queue_name_of(queue))
    # Never-set, optional attributes are absent; a standard queue has no FIFO attributes.
    for absent in ("Policy", "RedrivePolicy", "FifoQueue", "ContentBasedDeduplication"):
        assert absent not in attrs, absent


@pytest.mark.parametrize("name", sorted(STANDARD_QUEUE_ATTRIBUTES))
def test_get_each_attribute_alone(sqs: Any, queue: str, name: str) -> None:
    attrs = attributes(sqs, queue, name)
    assert set(attrs) == {name}


def test_get_several_attributes(sqs: Any, queue: str) -> None:
    attrs = attributes(sqs, queue, "VisibilityTimeout", "QueueArn", "DelaySeconds")
    assert set(attrs) == {"VisibilityTimeout", "QueueArn", "DelaySeconds"}


def test_get_attributes_without_names_returns_nothing(sqs: Any, queue: str) -> None:
    # "if you don't specify values for this parameter, the request returns empty results"
    resp = sqs.get_queue_attributes(QueueUrl=queue)
    assert resp.get("Attributes", {}) == {}


def test_timestamps_are_integer_epoch_seconds(sqs: Any, make_queue: QueueMaker) -> None:
    before = int(time.time())
    url = make_queue()
    after = int(time.time())
    attrs = attributes(sqs, url, "CreatedTimestamp", "LastModifiedTimestamp")
    for key in ("CreatedTimestamp", "LastModifiedTimestamp"):
        assert attrs[key].isdigit(), f"{key}={attrs[key]!r} is not integer seconds"
        assert before - 2 <= int(attrs[key]) <= after + 2, (key, attrs[key], before, after)
    created = int(attrs["CreatedTimestamp"])

    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "31"})
    changed = attributes(sqs, url, "CreatedTimestamp", "LastModifiedTimestamp")
    assert int(changed["CreatedTimestamp"]) == created
    assert created <= int(changed["LastModifiedTimestamp"]) <= int(time.time()) + 2


@pytest.mark.parametrize(
    "names",
    [["NoSuchAttribute"], ["VisibilityTimeout", "NoSuchAttribute"], ["visibilitytimeout"]],
    ids=["unknown", "mixed", "wrong-case"],
)
def test_get_invalid_attribute_name(sqs: Any, queue: str, names: list[str]) -> None:
    expect_error(
        sqs.get_queue_attributes, QueueUrl=queue, AttributeNames=names, code="InvalidAttributeName"
    )


def test_approximate_counters_follow_messages(sqs: Any, queue: str) -> None:
    assert counts(sqs, queue) == (0, 0, 0)
    sqs.send_message(QueueUrl=queue, MessageBody="visible-1")
    sqs.send_message(QueueUrl=queue, MessageBody="visible-2")
    sqs.send_message(QueueUrl=queue, MessageBody="delayed", DelaySeconds=1)
    # Sends are acknowledged after they are stored: the counters see them at once.
    assert counts(sqs, queue) == (2, 0, 1)

    msg = receive_one(sqs, queue, VisibilityTimeout=60)
    assert msg["Body"] in {"visible-1", "visible-2"}
    # The delayed message may become visible meanwhile; both states are consistent.
    assert counts(sqs, queue) in {(1, 1, 1), (2, 1, 0)}

    # Delay over: the delayed message becomes visible.
    wait_counts(sqs, queue, (2, 1, 0), timeout=5)

    sqs.delete_message(QueueUrl=queue, ReceiptHandle=msg["ReceiptHandle"])
    wait_counts(sqs, queue, (2, 0, 0))

    # A short visibility timeout: in flight, then visible again.
    short = receive_one(sqs, queue, VisibilityTimeout=1)
    assert short["Body"] in {"visible-1", "visible-2", "delayed"}
    assert counts(sqs, queue) == (1, 1, 0)
    wait_counts(sqs, queue, (2, 0, 0), timeout=5)


# -- SetQueueAttributes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DelaySeconds", "0"),
        ("DelaySeconds", "900"),
        ("MaximumMessageSize", "1024"),
        ("MaximumMessageSize", "1048576"),
        ("MessageRetentionPeriod", "60"),
        ("MessageRetentionPeriod", "1209600"),
        ("ReceiveMessageWaitTimeSeconds", "0"),
        ("ReceiveMessageWaitTimeSeconds", "20"),
        ("VisibilityTimeout", "0"),
        ("VisibilityTimeout", "43200"),
        ("SqsManagedSseEnabled", "false"),
        ("SqsManagedSseEnabled", "true"),
    ],
)
def test_set_writable_attribute(sqs: Any, queue: str, name: str, value: str) -> None:
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={name: value})
    assert attributes(sqs, queue, name) == {name: value}


def test_set_several_attributes_at_once(sqs: Any, queue: str) -> None:
    given = {"VisibilityTimeout": "69", "DelaySeconds": "42", "MaximumMessageSize": "2048"}
    sqs.set_queue_attributes(QueueUrl=queue, Attributes=given)
    assert attributes(sqs, queue, *given) == given


def test_message_retention_period_minimum(sqs: Any, queue: str) -> None:
    # 60 s is the minimum; the expiry itself is not waited for here.
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"MessageRetentionPeriod": "60"})
    assert attributes(sqs, queue, "MessageRetentionPeriod") == {"MessageRetentionPeriod": "60"}


def test_set_and_clear_policy(sqs: Any, queue: str) -> None:
    arn = queue_arn(queue_name_of(queue))
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowSend",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": json.dumps(policy)})
    assert json.loads(attributes(sqs, queue, "Policy")["Policy"]) == policy
    assert "Policy" in attributes(sqs, queue, "All")
    # An empty policy removes it.
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": ""})
    assert "Policy" not in attributes(sqs, queue, "All")


def test_set_redrive_policy(sqs: Any, make_queue: QueueMaker) -> None:
    dlq = make_queue()
    source = make_queue()
    dlq_arn = queue_arn(queue_name_of(dlq))
    policy = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}
    sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": json.dumps(policy)})
    got = json.loads(attributes(sqs, source, "RedrivePolicy")["RedrivePolicy"])
    assert got["deadLetterTargetArn"] == dlq_arn
    assert int(got["maxReceiveCount"]) == 5


def test_redrive_policy_max_receive_count_reads_back_as_a_number(
    sqs: Any, make_queue: QueueMaker
) -> None:
    # AWS stores the document normalised: maxReceiveCount "1" reads back as 1
    # (terraform-aws-modules/terraform-aws-sqs#63, getmoto/moto#2402).
    dlq_arn = queue_arn(queue_name_of(make_queue()))
    source = make_queue()
    given = json.dumps({"maxReceiveCount": "1", "deadLetterTargetArn": dlq_arn}, indent=2)
    sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": given})
    expected = json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}, separators=(",", ":")
    )
    assert attributes(sqs, source, "RedrivePolicy") == {"RedrivePolicy": expected}
    # The same document, however written, is the queue's: CreateQueue of its name succeeds.
    name = queue_name_of(source)
    again = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": given})
    assert again["QueueUrl"] == source


def test_set_redrive_allow_policy(sqs: Any, queue: str) -> None:
    policy = {"redrivePermission": "denyAll"}
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"RedriveAllowPolicy": json.dumps(policy)})
    got = json.loads(attributes(sqs, queue, "RedriveAllowPolicy")["RedriveAllowPolicy"])
    assert got == policy


def test_set_sse_kms_attributes(sqs: Any, queue: str) -> None:
    # As recorded from AWS (LocalStack's validated test_sse_queue_attributes).
    given = {
        "KmsMasterKeyId": "testKeyId",
        "KmsDataKeyReusePeriodSeconds": "6000",
        "SqsManagedSseEnabled": "false",
    }
    sqs.set_queue_attributes(QueueUrl=queue, Attributes=given)
    assert attributes(sqs, queue, *given) == given


def test_kms_data_key_reuse_period_only_listed_with_a_key(sqs: Any, queue: str) -> None:
    # AWS (LocalStack snapshot get-queue-attributes-after-set-to-defaults): without a KMS key,
    # GetQueueAttributes lists neither Kms attribute, also after the key was removed.
    def kms() -> dict[str, str]:
        return {k: v for k, v in attributes(sqs, queue, "All").items() if k.startswith("Kms")}

    assert kms() == {}
    sqs.set_queue_attributes(
        QueueUrl=queue, Attributes={"KmsMasterKeyId": "k", "KmsDataKeyReusePeriodSeconds": "6000"}
    )
    assert kms() == {"KmsMasterKeyId": "k", "KmsDataKeyReusePeriodSeconds": "6000"}
    sqs.set_queue_attributes(
        QueueUrl=queue, Attributes={"KmsMasterKeyId": "", "KmsDataKeyReusePeriodSeconds": "300"}
    )
    assert kms() == {}


@pytest.mark.parametrize("value", ["60", "86400"])
def test_kms_data_key_reuse_period_bounds(sqs: Any, queue: str, value: str) -> None:
    sqs.set_queue_attributes(
        QueueUrl=queue,
        Attributes={
            "KmsMasterKeyId": "alias/aws/sqs",
            "KmsDataKeyReusePeriodSeconds": value,
            "SqsManagedSseEnabled": "false",
        },
    )
    got = attributes(sqs, queue, "KmsDataKeyReusePeriodSeconds")
    assert got == {"KmsDataKeyReusePeriodSeconds": value}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DelaySeconds", "-1"),
        ("DelaySeconds", "901"),
        ("MaximumMessageSize", "1023"),
        ("MaximumMessageSize", "1048577"),
        ("MessageRetentionPeriod", "59"),
        ("MessageRetentionPeriod", "1209601"),
        ("ReceiveMessageWaitTimeSeconds", "-1"),
        ("ReceiveMessageWaitTimeSeconds", "21"),
        ("VisibilityTimeout", "-1"),
        ("VisibilityTimeout", "43201"),
        ("VisibilityTimeout", "abc"),
        ("DelaySeconds", "1.5"),
        ("KmsDataKeyReusePeriodSeconds", "59"),
        ("KmsDataKeyReusePeriodSeconds", "86401"),
    ],
)
def test_set_out_of_range_attribute(sqs: Any, queue: str, name: str, value: str) -> None:
    before = attributes(sqs, queue, name)
    expect_error(
        sqs.set_queue_attributes,
        QueueUrl=queue,
        Attributes={name: value},
        code="InvalidAttributeValue",
    )
    assert attributes(sqs, queue, name) == before


@pytest.mark.parametrize(
    "name",
    [
        "NoSuchAttribute",
        "ApproximateNumberOfMessages",
        "QueueArn",
        "CreatedTimestamp",
        "FifoQueue",
    ],
)
def test_set_unknown_or_read_only_attribute(sqs: Any, queue: str, name: str) -> None:
    value = "true" if name == "FifoQueue" else "1"
    expect_error(
        sqs.set_queue_attributes,
        QueueUrl=queue,
        Attributes={name: value},
        code="InvalidAttributeName",
    )


def test_attributes_of_non_existent_queue(sqs: Any, endpoint: str) -> None:
    url = f"{endpoint}/000000000000/no-such-queue-for-attributes"
    expect_error(
        sqs.get_queue_attributes,
        QueueUrl=url,
        AttributeNames=["All"],
        code="AWS.SimpleQueueService.NonExistentQueue",
    )
    expect_error(
        sqs.set_queue_attributes,
        QueueUrl=url,
        Attributes={"VisibilityTimeout": "1"},
        code="AWS.SimpleQueueService.NonExistentQueue",
    )
