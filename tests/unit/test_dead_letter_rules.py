"""Pure rules of dead-letter and high-throughput FIFO attributes as given (densho.sqs.redrive,
densho.sqs.attributes); reading stored ones is tests/unit/test_queue_config.py's.

AWS references: API Reference CreateQueue / SetQueueAttributes — RedrivePolicy
(deadLetterTargetArn, maxReceiveCount), RedriveAllowPolicy (redrivePermission allowAll |
denyAll | byQueue; sourceQueueArns "only when the redrivePermission parameter is set to
byQueue", "up to 10 source queue ARNs"), FifoThroughputLimit ("The perMessageGroupId value
is allowed only when the value for DeduplicationScope is messageGroup").
"""

from __future__ import annotations

import json

import pytest

from densho.core import errors
from densho.core.queue_config import read
from densho.providers.errors import to_aws
from densho.sqs import attributes, redrive

DLQ = "arn:aws:sqs:us-east-1:000000000000:dlq"
SOURCE = "arn:aws:sqs:us-east-1:000000000000:source"


def _redrive(**doc: object) -> str:
    return json.dumps(doc)


def test_redrive_policy_parsed() -> None:
    policy = redrive.check_redrive_policy(_redrive(deadLetterTargetArn=DLQ, maxReceiveCount="7"))
    assert (policy.region, policy.account, policy.name) == ("us-east-1", "000000000000", "dlq")
    assert policy.max_receive_count == 7
    for bound in (1, 1000):
        doc = _redrive(deadLetterTargetArn=DLQ, maxReceiveCount=bound)
        assert redrive.check_redrive_policy(doc).max_receive_count == bound


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (_redrive(), "does not contain mandatory attribute: maxReceiveCount."),
        (_redrive(maxReceiveCount=5), "does not contain mandatory attribute: deadLetterTargetArn."),
        (_redrive(deadLetterTargetArn=DLQ, maxReceiveCount=0), "maxReceiveCount: 0, valid"),
        (_redrive(deadLetterTargetArn=DLQ, maxReceiveCount=1001), "maxReceiveCount: 1001,"),
        (_redrive(deadLetterTargetArn=DLQ, maxReceiveCount="many"), "maxReceiveCount: many,"),
        (_redrive(deadLetterTargetArn=DLQ, maxReceiveCount=True), "maxReceiveCount: true,"),
        (_redrive(deadLetterTargetArn="dlq", maxReceiveCount=5), "fully qualified ARN"),
        (
            _redrive(deadLetterTargetArn="arn:aws:sns:us-east-1:000000000000:t", maxReceiveCount=5),
            "Only SQS queues",
        ),
        (
            _redrive(deadLetterTargetArn=DLQ, maxReceiveCount=5, extra=1),
            "Only following attributes are supported",
        ),
    ],
)
def test_redrive_policy_rejected(doc: str, reason: str) -> None:
    with pytest.raises(errors.InvalidPolicyValue) as info:
        redrive.check_redrive_policy(doc)
    err = to_aws(info.value)
    assert err.code == "InvalidParameterValue"
    assert err.message.startswith(f"Value {doc} for parameter RedrivePolicy is invalid. Reason: ")
    assert reason in err.message


@pytest.mark.parametrize("doc", ["not json", "[]", '"text"', "5"])
def test_redrive_policy_not_a_json_map(doc: str) -> None:
    with pytest.raises(errors.InvalidAttributeValue) as info:
        redrive.check_redrive_policy(doc)
    assert to_aws(info.value).message == (
        "Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid "
        "JSON map."
    )


@pytest.mark.parametrize(
    "doc",
    [
        {"redrivePermission": "allowAll"},
        {"redrivePermission": "denyAll"},
        {"redrivePermission": "byQueue", "sourceQueueArns": [SOURCE]},
        {"redrivePermission": "byQueue", "sourceQueueArns": [f"{SOURCE}{i}" for i in range(10)]},
    ],
)
def test_redrive_allow_policy_accepted(doc: dict[str, object]) -> None:
    redrive.check_redrive_allow_policy(json.dumps(doc))


@pytest.mark.parametrize(
    "doc",
    [
        "not json",
        "[]",
        "{}",
        json.dumps({"redrivePermission": "ALL"}),
        json.dumps({"redrivePermission": "allowAll", "extra": 1}),
        json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": SOURCE}),
        json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [1]}),
    ],
)
def test_redrive_allow_policy_unsupported_format(doc: str) -> None:
    with pytest.raises(errors.InvalidAttributeValue) as info:
        redrive.check_redrive_allow_policy(doc)
    assert to_aws(info.value).message == (
        "Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can't create the "
        "redrive allow policy, as it\u2019s in an unsupported format."
    )


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({"redrivePermission": "byQueue"}, "you must also specify one or more sourceQueueArns"),
        (
            {"redrivePermission": "byQueue", "sourceQueueArns": []},
            "you must also specify one or more sourceQueueArns",
        ),
        (
            {
                "redrivePermission": "byQueue",
                "sourceQueueArns": [f"{SOURCE}{i}" for i in range(11)],
            },
            "The maximum number of source queue ARNs you can specify is 10.",
        ),
        (
            {"redrivePermission": "allowAll", "sourceQueueArns": [SOURCE]},
            "you must set redrivePermission to byQueue.",
        ),
        (
            {"redrivePermission": "denyAll", "sourceQueueArns": []},
            "you must set redrivePermission to byQueue.",
        ),
    ],
)
def test_redrive_allow_policy_rules(doc: dict[str, object], reason: str) -> None:
    text = json.dumps(doc)
    with pytest.raises(errors.InvalidPolicyValue) as info:
        redrive.check_redrive_allow_policy(text)
    err = to_aws(info.value)
    assert err.code == "InvalidParameterValue"
    assert err.message.startswith(
        f"Value {text} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't "
        "create the redrive allow policy. "
    )
    assert reason in err.message


def test_high_throughput_combination() -> None:
    attributes.check_high_throughput(read({}))
    attributes.check_high_throughput(read({"DeduplicationScope": "messageGroup"}))
    attributes.check_high_throughput(
        read({"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
    )
    attributes.check_high_throughput(
        read({"DeduplicationScope": "queue", "FifoThroughputLimit": "perQueue"})
    )
    for scope in ({}, {"DeduplicationScope": "queue"}):
        with pytest.raises(errors.InvalidParameter) as info:
            attributes.check_high_throughput(
                read({**scope, "FifoThroughputLimit": "perMessageGroupId"})
            )
        assert to_aws(info.value).code == "InvalidParameterValue"


def test_fifo_queue_attribute_decides_the_name_rules() -> None:
    with pytest.raises(errors.InvalidQueueName) as info:
        attributes.validate_queue_name("orders.fifo", fifo=False)
    assert to_aws(info.value).message == (
        "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
    )
    with pytest.raises(errors.InvalidQueueName) as info:
        attributes.validate_queue_name("orders", fifo=True)
    assert "must end with .fifo suffix" in to_aws(info.value).message
