"""Dead-letter queues: RedrivePolicy, RedriveAllowPolicy, redrive on maxReceiveCount,
ListDeadLetterSourceQueues.

AWS references: API Reference SetQueueAttributes (RedrivePolicy: deadLetterTargetArn,
maxReceiveCount — "When the ReceiveCount for a message exceeds the maxReceiveCount for a
queue, Amazon SQS moves the message to the dead-letter-queue"; RedriveAllowPolicy:
redrivePermission, sourceQueueArns), ListDeadLetterSourceQueues (MaxResults 1-1000,
NextToken). Error texts are asserted only where AWS's own wording is on record (the same-type
reason appears verbatim in real CreateQueue failures; the RedriveAllowPolicy texts as recorded
by Inqnuam/local-aws-sqs); elsewhere code and status only.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import QueueMaker, unique_name
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


# -- RedrivePolicy validation -------------------------------------------------------------------
# CreateQueue / SetQueueAttributes: "The dead-letter queue of a FIFO queue must also be a FIFO
# queue. Similarly, the dead-letter queue of a standard queue must also be a standard queue", in
# the same account and Region (Developer Guide, dead-letter queues). Errors answer
# InvalidParameterValue "Value <policy> for parameter RedrivePolicy is invalid. Reason: ...".

SAME_TYPE = "Dead-letter queue must be same type of queue as the source.."


def _policy(target_arn: str, max_receive_count: object = 3) -> str:
    return json.dumps({"deadLetterTargetArn": target_arn, "maxReceiveCount": max_receive_count})


def _expect_redrive_error(
    sqs: Any, make_queue: QueueMaker, policy: str, *, fifo: bool = False, code: str | None = None
) -> list[dict[str, Any]]:
    """The policy is refused by CreateQueue and by SetQueueAttributes; returns both errors."""
    name = unique_name("redrive-src", suffix=".fifo" if fifo else "")
    attrs = {"RedrivePolicy": policy, **({"FifoQueue": "true"} if fifo else {})}
    code = code or "InvalidParameterValue"
    refused = [expect_error(sqs.create_queue, QueueName=name, Attributes=attrs, code=code)]
    existing = make_queue(fifo=fifo)
    refused.append(
        expect_error(
            sqs.set_queue_attributes,
            QueueUrl=existing,
            Attributes={"RedrivePolicy": policy},
            code=code,
        )
    )
    assert "RedrivePolicy" not in attributes(sqs, existing, "All")
    return refused


def test_dead_letter_target_must_exist(sqs: Any, make_queue: QueueMaker) -> None:
    _expect_redrive_error(sqs, make_queue, _policy(queue_arn(unique_name("no-such-dlq"))))


@pytest.mark.parametrize(
    ("source_fifo", "dlq_fifo"), [(False, True), (True, False)], ids=["std-to-fifo", "fifo-to-std"]
)
def test_dead_letter_queue_must_have_the_source_type(
    sqs: Any, make_queue: QueueMaker, source_fifo: bool, dlq_fifo: bool
) -> None:
    dlq = make_queue(fifo=dlq_fifo)
    policy = _policy(queue_arn(queue_name_of(dlq)))
    for refused in _expect_redrive_error(sqs, make_queue, policy, fifo=source_fifo):
        assert refused["Error"]["Message"] == (
            f"Value {policy} for parameter RedrivePolicy is invalid. Reason: {SAME_TYPE}"
        )


def test_fifo_source_with_fifo_dead_letter_queue(sqs: Any, make_queue: QueueMaker) -> None:
    dlq = make_queue(fifo=True)
    policy = _policy(queue_arn(queue_name_of(dlq)), 2)
    source = make_queue(fifo=True, attributes={"RedrivePolicy": policy})
    assert json.loads(attributes(sqs, source, "RedrivePolicy")["RedrivePolicy"]) == json.loads(
        policy
    )


def test_dead_letter_queue_in_another_account(sqs: Any, make_queue: QueueMaker) -> None:
    dlq = make_queue()
    other = f"arn:aws:sqs:us-east-1:111122223333:{queue_name_of(dlq)}"
    _expect_redrive_error(sqs, make_queue, _policy(other))


def test_dead_letter_queue_in_another_region(sqs: Any, make_queue: QueueMaker) -> None:
    dlq = make_queue()
    other = f"arn:aws:sqs:eu-west-1:000000000000:{queue_name_of(dlq)}"
    _expect_redrive_error(sqs, make_queue, _policy(other))


@pytest.mark.parametrize(
    "doc",
    [
        {"deadLetterTargetArn": "DLQ", "maxReceiveCount": 0},
        {"deadLetterTargetArn": "DLQ", "maxReceiveCount": 1001},
        {"deadLetterTargetArn": "DLQ", "maxReceiveCount": "many"},
        {"deadLetterTargetArn": "DLQ"},
        {"maxReceiveCount": 3},
        {"deadLetterTargetArn": "DLQ", "maxReceiveCount": 3, "extra": True},
        {"deadLetterTargetArn": "not-an-arn", "maxReceiveCount": 3},
        {"deadLetterTargetArn": "arn:aws:sns:us-east-1:000000000000:topic", "maxReceiveCount": 3},
    ],
    ids=[
        "count-0",
        "count-1001",
        "count-text",
        "no-count",
        "no-target",
        "extra-key",
        "not-an-arn",
        "not-sqs",
    ],
)
def test_invalid_redrive_policy(sqs: Any, make_queue: QueueMaker, doc: dict[str, Any]) -> None:
    dlq_arn = queue_arn(queue_name_of(make_queue()))
    if doc.get("deadLetterTargetArn") == "DLQ":
        doc = {**doc, "deadLetterTargetArn": dlq_arn}
    _expect_redrive_error(sqs, make_queue, json.dumps(doc))


def test_redrive_policy_not_json(sqs: Any, make_queue: QueueMaker) -> None:
    _expect_redrive_error(sqs, make_queue, "{not json", code="InvalidAttributeValue")


@pytest.mark.parametrize("count", [1, 1000, "10"])
def test_max_receive_count_bounds(sqs: Any, make_queue: QueueMaker, count: object) -> None:
    dlq = make_queue()
    source = make_queue()
    sqs.set_queue_attributes(
        QueueUrl=source, Attributes={"RedrivePolicy": _policy(queue_arn(queue_name_of(dlq)), count)}
    )
    got = json.loads(attributes(sqs, source, "RedrivePolicy")["RedrivePolicy"])
    assert int(got["maxReceiveCount"]) == int(str(count))


def test_empty_redrive_policy_removes_it(sqs: Any, make_queue: QueueMaker) -> None:
    dlq = make_queue()
    source = make_queue(attributes=_redrive(dlq, 4))
    sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": ""})
    assert "RedrivePolicy" not in attributes(sqs, source, "All")
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq).get("queueUrls", []) == []


# -- RedriveAllowPolicy ------------------------------------------------------------------------
# API Reference: redrivePermission allowAll (default) | denyAll | byQueue; sourceQueueArns only
# with byQueue, 1 to 10 of them. The policy of the dead-letter queue decides which source queues
# may name it in their RedrivePolicy.


@pytest.mark.parametrize(
    "policy",
    [
        {"redrivePermission": "allowAll"},
        {"redrivePermission": "denyAll"},
        {
            "redrivePermission": "byQueue",
            "sourceQueueArns": [queue_arn(f"source-{i}") for i in range(10)],
        },
    ],
    ids=["allowAll", "denyAll", "byQueue-10"],
)
def test_valid_redrive_allow_policy(sqs: Any, make_queue: QueueMaker, policy: Any) -> None:
    text = json.dumps(policy)
    created = make_queue(attributes={"RedriveAllowPolicy": text})
    assert json.loads(attributes(sqs, created, "RedriveAllowPolicy")["RedriveAllowPolicy"]) == (
        policy
    )
    sqs.set_queue_attributes(QueueUrl=created, Attributes={"RedriveAllowPolicy": ""})
    assert "RedriveAllowPolicy" not in attributes(sqs, created, "All")


@pytest.mark.parametrize(
    ("policy", "code"),
    [
        ({"redrivePermission": "byQueue"}, "InvalidParameterValue"),
        ({"redrivePermission": "byQueue", "sourceQueueArns": []}, "InvalidParameterValue"),
        (
            {
                "redrivePermission": "byQueue",
                "sourceQueueArns": [queue_arn(f"source-{i}") for i in range(11)],
            },
            "InvalidParameterValue",
        ),
        (
            {"redrivePermission": "allowAll", "sourceQueueArns": [queue_arn("source")]},
            "InvalidParameterValue",
        ),
        (
            {"redrivePermission": "denyAll", "sourceQueueArns": [queue_arn("source")]},
            "InvalidParameterValue",
        ),
        ({"redrivePermission": "allowSome"}, "InvalidAttributeValue"),
        ({}, "InvalidAttributeValue"),
        ({"redrivePermission": "allowAll", "extra": 1}, "InvalidAttributeValue"),
        ({"redrivePermission": "byQueue", "sourceQueueArns": "arn"}, "InvalidAttributeValue"),
        ("not json", "InvalidAttributeValue"),
    ],
    ids=[
        "byQueue-no-sources",
        "byQueue-empty",
        "byQueue-11",
        "allowAll-sources",
        "denyAll-sources",
        "unknown-permission",
        "no-permission",
        "unknown-key",
        "sources-not-list",
        "not-json",
    ],
)
def test_invalid_redrive_allow_policy(
    sqs: Any, make_queue: QueueMaker, queue: str, policy: Any, code: str
) -> None:
    text = policy if isinstance(policy, str) else json.dumps(policy)
    response = expect_error(
        sqs.create_queue,
        QueueName=unique_name("bad-allow"),
        Attributes={"RedriveAllowPolicy": text},
        code=code,
    )
    message = response["Error"]["Message"]
    if code == "InvalidParameterValue":
        assert message.startswith(
            f"Value {text} for parameter RedriveAllowPolicy is invalid. Reason: Amazon SQS can't "
            "create the redrive allow policy. "
        )
    else:
        assert message == (
            "Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can't create "
            "the redrive allow policy, as it\u2019s in an unsupported format."
        )
    expect_error(
        sqs.set_queue_attributes,
        QueueUrl=queue,
        Attributes={"RedriveAllowPolicy": text},
        code=code,
    )
    assert "RedriveAllowPolicy" not in attributes(sqs, queue, "All")


def _allow(sqs: Any, dlq: str, policy: dict[str, Any]) -> None:
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": json.dumps(policy)})


def test_deny_all_refuses_every_source(sqs: Any, make_queue: QueueMaker) -> None:
    dlq = make_queue(
        attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})}
    )
    _expect_redrive_error(sqs, make_queue, _policy(queue_arn(queue_name_of(dlq))))
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq).get("queueUrls", []) == []


def test_by_queue_admits_only_the_listed_sources(sqs: Any, make_queue: QueueMaker) -> None:
    dlq = make_queue()
    policy = _policy(queue_arn(queue_name_of(dlq)))
    # A source may be listed before it exists: its ARN is known from its name.
    listed = unique_name("listed-src")
    _allow(sqs, dlq, {"redrivePermission": "byQueue", "sourceQueueArns": [queue_arn(listed)]})
    source = make_queue(listed, attributes={"RedrivePolicy": policy})
    _expect_redrive_error(sqs, make_queue, policy)
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [source]


def test_allow_all_admits_any_source(sqs: Any, make_queue: QueueMaker) -> None:
    dlq = make_queue()
    _allow(sqs, dlq, {"redrivePermission": "allowAll"})
    source = make_queue()
    sqs.set_queue_attributes(QueueUrl=source, Attributes=_redrive(dlq, 2))
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [source]


def test_allow_policy_is_checked_when_the_source_sets_its_policy(
    sqs: Any, make_queue: QueueMaker
) -> None:
    dlq = make_queue()
    source = make_queue(attributes=_redrive(dlq, 2))
    # Tightening the dead-letter queue's policy later does not undo an accepted RedrivePolicy...
    _allow(sqs, dlq, {"redrivePermission": "denyAll"})
    assert "RedrivePolicy" in attributes(sqs, source, "All")
    # ... but setting it again is checked against the policy now in force.
    expect_error(
        sqs.set_queue_attributes,
        QueueUrl=source,
        Attributes=_redrive(dlq, 3),
        code="InvalidParameterValue",
    )
    _allow(sqs, dlq, {"redrivePermission": "byQueue", "sourceQueueArns": [_arn_of(source)]})
    sqs.set_queue_attributes(QueueUrl=source, Attributes=_redrive(dlq, 3))


def _arn_of(url: str) -> str:
    return queue_arn(queue_name_of(url))
