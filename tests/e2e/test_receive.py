"""ReceiveMessage, DeleteMessage and ChangeMessageVisibility, on both wire protocols.

AWS references: API Reference ReceiveMessage (MaxNumberOfMessages 1-10, VisibilityTimeout,
WaitTimeSeconds, MessageAttributeNames with All / .* / prefix.*, AttributeNames and
MessageSystemAttributeNames), DeleteMessage (an old receipt handle still succeeds; AWS
deletes the message by it), ChangeMessageVisibility (0-43,200 s; 0 makes the message visible
again; the changed timeout is not kept for the next receive; AWS applies it by an earlier
receive's handle too, and after the timeout ran out answers 200 without a change). FIFO
handles: tests/e2e/test_fifo.py.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import QueueMaker
from tests.e2e.helpers import (
    ALL_TYPES_ATTRIBUTES,
    counts,
    expect_error,
    md5_of_attributes,
    receive_n,
    receive_one,
    wait_counts,
)

SYSTEM_ATTRIBUTES = {
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
}


def test_receive_from_empty_queue_has_no_messages_key(sqs: Any, queue: str) -> None:
    resp = sqs.receive_message(QueueUrl=queue)
    assert "Messages" not in resp


def test_receive_default_is_one_message(sqs: Any, queue: str) -> None:
    for i in range(3):
        sqs.send_message(QueueUrl=queue, MessageBody=f"m{i}")
    resp = sqs.receive_message(QueueUrl=queue)
    assert len(resp["Messages"]) == 1


def test_receive_up_to_ten(sqs: Any, queue: str) -> None:
    sent = set()
    for start in (0, 10):
        entries = [{"Id": f"e{i}", "MessageBody": f"m{start + i}"} for i in range(10)]
        if start:
            entries = entries[:5]
        resp = sqs.send_message_batch(QueueUrl=queue, Entries=entries)
        sent |= {s["MessageId"] for s in resp["Successful"]}
    assert len(sent) == 15
    first = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=60)
    assert 1 <= len(first["Messages"]) <= 10
    rest = receive_n(sqs, queue, 15 - len(first["Messages"]), VisibilityTimeout=60)
    got = [m["MessageId"] for m in first["Messages"] + rest]
    assert len(got) == len(set(got)) == 15
    assert set(got) == sent


@pytest.mark.parametrize("n", [0, 11, -1])
def test_max_number_of_messages_out_of_range(sqs: Any, queue: str, n: int) -> None:
    expect_error(
        sqs.receive_message, QueueUrl=queue, MaxNumberOfMessages=n, code="InvalidParameterValue"
    )


@pytest.mark.parametrize("timeout", [-1, 43201])
def test_receive_visibility_timeout_out_of_range(sqs: Any, queue: str, timeout: int) -> None:
    expect_error(
        sqs.receive_message, QueueUrl=queue, VisibilityTimeout=timeout, code="InvalidParameterValue"
    )


def test_receive_from_non_existent_queue(sqs: Any, endpoint: str) -> None:
    expect_error(
        sqs.receive_message,
        QueueUrl=f"{endpoint}/000000000000/no-such-queue-for-receive",
        code="AWS.SimpleQueueService.NonExistentQueue",
    )


# -- message attribute selection --------------------------------------------------------

FILTER_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "Help.Me": {"DataType": "String", "StringValue": "Me"},
    "Hello": {"DataType": "String", "StringValue": "There"},
    "General": {"DataType": "Number", "StringValue": "66"},
    "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02"},
}


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["All"], set(FILTER_ATTRIBUTES)),
        ([".*"], set(FILTER_ATTRIBUTES)),
        (["*"], set(FILTER_ATTRIBUTES)),  # AWS: snapshot key all_wildcard_asterisk
        (["Hello", "General"], {"Hello", "General"}),
        (["Foo", "Hello"], {"Hello"}),
        (["Hel.*"], {"Help.Me", "Hello"}),
        (["Help.*"], {"Help.Me"}),
        (["Blob"], {"Blob"}),
        (["Foo", "Help"], set()),
        ([], set()),
    ],
    ids=["All", "dot-star", "star", "exact", "exact-and-missing", "prefix-Hel", "prefix-Help",
         "binary", "only-missing", "none"],
)  # fmt: skip
def test_message_attribute_names_filter(
    sqs: Any, queue: str, names: list[str], expected: set[str]
) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="filter", MessageAttributes=FILTER_ATTRIBUTES)
    msg = receive_one(sqs, queue, MessageAttributeNames=names)
    got = msg.get("MessageAttributes", {})
    assert set(got) == expected
    for name in expected:
        assert got[name] == FILTER_ATTRIBUTES[name]
    if expected:
        # The digest covers the attributes returned (what SDKs verify on receive).
        assert msg["MD5OfMessageAttributes"] == md5_of_attributes(got)


# -- message system attributes -------------------------------------------------------------


@pytest.mark.parametrize("parameter", ["AttributeNames", "MessageSystemAttributeNames"])
def test_all_system_attributes(sqs: Any, queue: str, parameter: str) -> None:
    before = int(time.time() * 1000)
    sqs.send_message(QueueUrl=queue, MessageBody="sys")
    after_send = int(time.time() * 1000)
    msg = receive_one(sqs, queue, VisibilityTimeout=0, **{parameter: ["All"]})
    after_receive = int(time.time() * 1000)
    attrs = msg["Attributes"]
    assert set(attrs) >= SYSTEM_ATTRIBUTES, sorted(attrs)
    assert "AWSTraceHeader" not in attrs  # none was sent
    assert attrs["SenderId"]
    assert attrs["ApproximateReceiveCount"] == "1"
    sent_ts = int(attrs["SentTimestamp"])
    first_ts = int(attrs["ApproximateFirstReceiveTimestamp"])
    assert before - 1000 <= sent_ts <= after_send + 1000
    assert sent_ts - 1000 <= first_ts <= after_receive + 1000

    again = receive_one(sqs, queue, **{parameter: ["All"]})
    assert again["MessageId"] == msg["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    assert again["Attributes"]["ApproximateFirstReceiveTimestamp"] == str(first_ts)
    assert again["Attributes"]["SentTimestamp"] == str(sent_ts)


@pytest.mark.parametrize(
    "names",
    [
        ["SentTimestamp"],
        ["ApproximateReceiveCount"],
        ["ApproximateFirstReceiveTimestamp"],
        ["SenderId"],
        ["SentTimestamp", "ApproximateReceiveCount"],
    ],
)
def test_selected_system_attributes(sqs: Any, queue: str, names: list[str]) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="sys")
    msg = receive_one(sqs, queue, MessageSystemAttributeNames=names)
    assert set(msg["Attributes"]) == set(names)


def test_no_system_attributes_unless_asked(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="plain", MessageAttributes=ALL_TYPES_ATTRIBUTES)
    msg = receive_one(sqs, queue)
    assert "Attributes" not in msg
    assert "MessageAttributes" not in msg


# -- visibility -----------------------------------------------------------------------------


def test_received_message_is_invisible_until_timeout(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="hide")
    first = receive_one(sqs, queue, VisibilityTimeout=1)
    t0 = time.monotonic()
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []
    again = receive_one(sqs, queue, timeout=6, AttributeNames=["ApproximateReceiveCount"])
    assert time.monotonic() - t0 >= 0.8
    assert again["MessageId"] == first["MessageId"]
    assert again["ReceiptHandle"] != first["ReceiptHandle"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"


def test_queue_visibility_timeout_is_the_default(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(attributes={"VisibilityTimeout": "1"})
    sqs.send_message(QueueUrl=url, MessageBody="q")
    receive_one(sqs, url)
    assert counts(sqs, url) == (0, 1, 0)
    wait_counts(sqs, url, (1, 0, 0), timeout=5)


def test_receive_with_zero_visibility_timeout(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="zero")
    first = receive_one(sqs, queue, VisibilityTimeout=0)
    second = receive_one(sqs, queue)
    assert second["MessageId"] == first["MessageId"]
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    # The second receive used the queue's 30 s timeout.
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []


def test_change_visibility_to_zero_makes_it_visible(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="cmv")
    msg = receive_one(sqs, queue)
    assert counts(sqs, queue) == (0, 1, 0)
    sqs.change_message_visibility(
        QueueUrl=queue, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=0
    )
    assert counts(sqs, queue) == (1, 0, 0)
    again = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    assert again["MessageId"] == msg["MessageId"]
    # Not permanent: the next receive hides it for the queue's timeout again.
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []


def test_change_visibility_extends_timeout(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="extend")
    msg = receive_one(sqs, queue, VisibilityTimeout=1)
    sqs.change_message_visibility(
        QueueUrl=queue, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=60
    )
    time.sleep(1.5)
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []
    assert counts(sqs, queue) == (0, 1, 0)


def test_change_visibility_shortens_timeout(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="shorten")
    msg = receive_one(sqs, queue, VisibilityTimeout=60)
    sqs.change_message_visibility(
        QueueUrl=queue, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=1
    )
    again = receive_one(sqs, queue, timeout=6)
    assert again["MessageId"] == msg["MessageId"]


def test_change_visibility_near_maximum(sqs: Any, queue: str) -> None:
    # The 12-hour maximum counts from the receive ("If you attempt to set the
    # VisibilityTimeout to a value greater than the maximum time left, Amazon SQS returns
    # an error"), so stay a little below it.
    sqs.send_message(QueueUrl=queue, MessageBody="max")
    msg = receive_one(sqs, queue)
    sqs.change_message_visibility(
        QueueUrl=queue, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=43000
    )
    assert counts(sqs, queue) == (0, 1, 0)


@pytest.mark.parametrize("timeout", [-1, 43201])
def test_change_visibility_out_of_range(sqs: Any, queue: str, timeout: int) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="range")
    msg = receive_one(sqs, queue)
    expect_error(
        sqs.change_message_visibility,
        QueueUrl=queue,
        ReceiptHandle=msg["ReceiptHandle"],
        VisibilityTimeout=timeout,
        code="InvalidParameterValue",
    )


def test_change_visibility_invalid_handle(sqs: Any, queue: str) -> None:
    expect_error(
        sqs.change_message_visibility,
        QueueUrl=queue,
        ReceiptHandle="garbage",
        VisibilityTimeout=10,
        code="ReceiptHandleIsInvalid",
        status={400, 404},
    )


def test_change_visibility_by_an_earlier_receipt_handle(sqs: Any, queue: str) -> None:
    # AWS applies it (LocalStack's AWS-validated test_terminate_visibility_timeout_after_receive:
    # the first receive's handle makes the message receivable after a second receive).
    sqs.send_message(QueueUrl=queue, MessageBody="earlier")
    first = receive_one(sqs, queue, VisibilityTimeout=0)
    second = receive_one(sqs, queue, VisibilityTimeout=60)
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    sqs.change_message_visibility(
        QueueUrl=queue, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0
    )
    assert receive_one(sqs, queue)["MessageId"] == first["MessageId"]
    batch = sqs.change_message_visibility_batch(
        QueueUrl=queue,
        Entries=[{"Id": "a", "ReceiptHandle": second["ReceiptHandle"], "VisibilityTimeout": 0}],
    )
    assert batch["Successful"] == [{"Id": "a"}] and not batch.get("Failed")
    assert counts(sqs, queue) == (1, 0, 0)


def test_change_visibility_after_the_timeout_ran_out(sqs: Any, make_queue: QueueMaker) -> None:
    # Visible again and not received since: AWS answers 200 and leaves the message as it is
    # (LocalStack snapshot ``visibility_timeout_expired`` and its PR 9632, AWS-validated).
    url = make_queue(attributes={"VisibilityTimeout": "1"})
    sqs.send_message(QueueUrl=url, MessageBody="late")
    msg = receive_one(sqs, url)
    wait_counts(sqs, url, (1, 0, 0), timeout=5)
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=60
    )
    assert counts(sqs, url) == (1, 0, 0)
    assert receive_one(sqs, url)["MessageId"] == msg["MessageId"]


def test_change_visibility_of_deleted_message(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="gone")
    msg = receive_one(sqs, queue)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=msg["ReceiptHandle"])
    expect_error(
        sqs.change_message_visibility,
        QueueUrl=queue,
        ReceiptHandle=msg["ReceiptHandle"],
        VisibilityTimeout=10,
        code="InvalidParameterValue",
    )


# -- delete ---------------------------------------------------------------------------------


def test_delete_message(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="delete me")
    msg = receive_one(sqs, queue, VisibilityTimeout=0)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=msg["ReceiptHandle"])
    assert counts(sqs, queue) == (0, 0, 0)
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []


def test_delete_twice_succeeds(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="twice")
    msg = receive_one(sqs, queue)
    for _ in range(3):
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=msg["ReceiptHandle"])
    assert counts(sqs, queue) == (0, 0, 0)


def test_delete_by_an_earlier_receipt_handle_deletes(sqs: Any, make_queue: QueueMaker) -> None:
    # The API reference: an old handle "will succeed, but the message might not be deleted";
    # AWS deletes it (LocalStack's SNS filter-policy snapshots, recorded on AWS).
    url = make_queue(attributes={"VisibilityTimeout": "0"})
    sqs.send_message(QueueUrl=url, MessageBody="old handle")
    old = receive_one(sqs, url)
    new = receive_one(sqs, url)
    assert new["MessageId"] == old["MessageId"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=old["ReceiptHandle"])
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    assert counts(sqs, url) == (0, 0, 0)
    # The latest handle now names a message that is gone: success, no effect.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=new["ReceiptHandle"])


def test_delete_batch_by_earlier_receipt_handles(sqs: Any, queue: str) -> None:
    sqs.send_message_batch(
        QueueUrl=queue, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)]
    )
    old = receive_n(sqs, queue, 3, VisibilityTimeout=0)
    receive_n(sqs, queue, 3, VisibilityTimeout=60)
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(old)]
    resp = sqs.delete_message_batch(QueueUrl=queue, Entries=entries)
    assert sorted(e["Id"] for e in resp["Successful"]) == ["0", "1", "2"]
    assert not resp.get("Failed")
    assert counts(sqs, queue) == (0, 0, 0)


def test_delete_of_in_flight_message_by_its_handle(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="in flight")
    msg = receive_one(sqs, queue, VisibilityTimeout=300)
    assert counts(sqs, queue) == (0, 1, 0)
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=msg["ReceiptHandle"])
    assert counts(sqs, queue) == (0, 0, 0)


@pytest.mark.parametrize("handle", ["garbage", "x" * 300, "AQEB" + "A" * 100])
def test_delete_with_invalid_receipt_handle(sqs: Any, queue: str, handle: str) -> None:
    expect_error(
        sqs.delete_message,
        QueueUrl=queue,
        ReceiptHandle=handle,
        code="ReceiptHandleIsInvalid",
        status={400, 404},
    )


def test_receipt_handle_of_another_queue(sqs: Any, make_queue: QueueMaker) -> None:
    a = make_queue()
    b = make_queue()
    sqs.send_message(QueueUrl=a, MessageBody="belongs to a")
    msg = receive_one(sqs, a)
    # Deleting through the wrong queue must not delete it from its own queue.
    try:
        sqs.delete_message(QueueUrl=b, ReceiptHandle=msg["ReceiptHandle"])
    except ClientError as exc:
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    assert counts(sqs, a) == (0, 1, 0)


def test_message_back_from_flight_comes_before_newer_ones(sqs: Any, make_queue: QueueMaker) -> None:
    """AWS (standard queue): a message whose visibility timeout ran out is delivered before a
    message sent later, even though that one became visible first."""
    url = make_queue()
    sqs.send_message(QueueUrl=url, MessageBody="test1")
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=2)["Messages"]
    assert [m["Body"] for m in first] == ["test1"]
    time.sleep(1)
    sqs.send_message(QueueUrl=url, MessageBody="test2")
    wait_counts(sqs, url, (2, 0, 0), timeout=5)
    got = sqs.receive_message(QueueUrl=url)["Messages"]
    assert [m["Body"] for m in got] == ["test1"]
