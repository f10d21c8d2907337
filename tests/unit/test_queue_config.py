"""A queue's typed configuration read from its stored attributes (densho.core.queue_config).

The stored form is what storage persists (AWS attribute names and strings); reading it never
raises, because ReceiveMessage and every other request use the result.
"""

from __future__ import annotations

import json

import pytest

from densho.core.queue_config import (
    DedupScope,
    QueueConfig,
    RedrivePermission,
    ThroughputLimit,
    read,
    read_dead_letter,
)
from densho.core.seal import Seal
from densho.sqs import attributes

DLQ = "arn:aws:sqs:us-east-1:000000000000:dlq"
SOURCE = "arn:aws:sqs:us-east-1:000000000000:source"


def _redrive(**doc: object) -> str:
    return json.dumps(doc)


@pytest.mark.parametrize("fifo", [False, True])
def test_defaults_agree_with_the_attribute_table(fifo: bool) -> None:
    assert read(attributes.with_defaults({}, fifo)) == QueueConfig(fifo=fifo)


def test_numbers_in_milliseconds_and_enums() -> None:
    config = read(
        {
            "FifoQueue": "true",
            "VisibilityTimeout": "45",
            "DelaySeconds": "5",
            "MessageRetentionPeriod": "60",
            "ReceiveMessageWaitTimeSeconds": "20",
            "MaximumMessageSize": "1024",
            "ContentBasedDeduplication": "true",
            "DeduplicationScope": "messageGroup",
            "FifoThroughputLimit": "perMessageGroupId",
            "KmsMasterKeyId": "alias/k",
            "KmsDataKeyReusePeriodSeconds": "300",
            "SqsManagedSseEnabled": "false",
        }
    )
    assert config == QueueConfig(
        fifo=True,
        visibility_timeout_ms=45_000,
        delay_ms=5_000,
        retention_ms=60_000,
        receive_wait_ms=20_000,
        max_message_bytes=1024,
        content_based_dedup=True,
        dedup_scope=DedupScope.MESSAGE_GROUP,
        throughput_limit=ThroughputLimit.PER_MESSAGE_GROUP_ID,
        kms_master_key_id="alias/k",
        kms_data_key_reuse_ms=300_000,
        sqs_managed_sse=False,
        seal=Seal("alias/k", 300_000),
    )


def test_unreadable_values_fall_back_to_defaults() -> None:
    config = read({"VisibilityTimeout": "soon", "DeduplicationScope": "x", "RedrivePolicy": "{"})
    assert config == QueueConfig()


def test_redrive_target_is_lenient() -> None:
    # The receive path reads stored policies; it must never raise on one.
    target = read_dead_letter(_redrive(deadLetterTargetArn=DLQ, maxReceiveCount=3))
    assert target is not None
    assert (target.account, target.name, target.max_receive_count) == ("000000000000", "dlq", 3)
    assert (target.arn, target.region) == (DLQ, "us-east-1")
    lax = read_dead_letter(_redrive(deadLetterTargetArn=DLQ, maxReceiveCount="3", note="old"))
    assert lax is not None
    assert (lax.account, lax.name, lax.max_receive_count) == ("000000000000", "dlq", 3)
    for broken in ("", "{", "{}", _redrive(deadLetterTargetArn="x", maxReceiveCount=1)):
        assert read_dead_letter(broken) is None
    assert read({"RedrivePolicy": _redrive(deadLetterTargetArn=DLQ, maxReceiveCount=3)}) == (
        QueueConfig(dead_letter=target)
    )


def _admits(allow_policy: str | None, source: str) -> bool:
    stored = {} if allow_policy is None else {"RedriveAllowPolicy": allow_policy}
    return read(stored).redrive_allow.admits(source)


def test_redrive_allows() -> None:
    assert _admits(None, SOURCE)
    assert _admits(json.dumps({"redrivePermission": "allowAll"}), SOURCE)
    assert not _admits(json.dumps({"redrivePermission": "denyAll"}), SOURCE)
    by_queue = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [SOURCE]})
    assert _admits(by_queue, SOURCE)
    assert not _admits(by_queue, SOURCE + "-other")
    assert read({"RedriveAllowPolicy": by_queue}).redrive_allow.permission is (
        RedrivePermission.BY_QUEUE
    )
