"""SendMessage: bodies, message attributes, system attributes, digests, size and delay.

AWS references: API Reference SendMessage (allowed characters #x9 | #xA | #xD | #x20-#xD7FF |
#xE000-#xFFFD | #x10000-#x10FFFF, else InvalidMessageContents; body up to 1 MiB; DelaySeconds
0-900; AWSTraceHeader is the only message system attribute); Developer Guide "Amazon SQS
message attributes" (up to 10 attributes; name rules; String/Number/Binary with custom
suffixes; all parts count toward the size limit; the MD5 algorithm).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import QueueMaker
from tests.e2e.helpers import (
    ALL_TYPES_ATTRIBUTES,
    TRACE_HEADER,
    attribute_size,
    counts,
    expect_error,
    md5_of_attributes,
    md5_of_body,
    receive_n,
    receive_one,
    wait_until,
)

MAX_SIZE = 1_048_576


# -- the digest helper itself (no server) ----------------------------------------------


@pytest.mark.parametrize(
    ("attrs", "digest"),
    [
        # Vectors published with the npm package "aws-md5-of-message-attributes".
        (
            {"attribName1": {"DataType": "String", "StringValue": "attribValue 1"}},
            "19e27d4e946b072f3f58da80d94fd778",
        ),
        (
            {
                "customNumberTypeAttrib": {
                    "DataType": "Number.float",
                    "StringValue": "4563442423554324324264524243.32543234",
                }
            },
            "9fe1b90bbd9965bdf77bac517c7d2495",
        ),
        (
            {"binaryAttribute": {"DataType": "Binary", "BinaryValue": b"Hello binary world!"}},
            "31a92b15d92f8db860eda32aceb656c3",
        ),
        (
            {
                "attribName1": {"DataType": "String", "StringValue": "attribValue 1"},
                "customNumberTypeAttrib": {
                    "DataType": "Number.float",
                    "StringValue": "4563442423554324324264524243.32543234",
                },
                "binaryAttribute": {
                    "DataType": "Binary",
                    "BinaryValue": b"Hello binary world!",
                },
            },
            "c932db14a896c663f83c260297d594ff",
        ),
        # MD5OfMessageSystemAttributes recorded from AWS for this AWSTraceHeader.
        (
            {"AWSTraceHeader": {"DataType": "String", "StringValue": TRACE_HEADER}},
            "5ae4d5d7636402d80f4eb6d213245a88",
        ),
    ],
    ids=["string", "number-float", "binary", "three", "trace-header"],
)
def test_md5_helper_matches_published_vectors(attrs: dict[str, Any], digest: str) -> None:
    assert md5_of_attributes(attrs) == digest


def test_md5_of_body_known_value() -> None:
    assert md5_of_body("message") == "78e731027d8fd50ed642340b7c9a63b3"


# -- bodies ----------------------------------------------------------------------------

BODIES = {
    "ascii": "hello densho",
    "unicode": "日本語 — ünïcödé — \U0001f680",
    "json": '{"key": [1, 2.5, null, true], "nested": {"a": "b"}}',
    "xml-entities": '<a href="x">&amp; &lt; &gt; &quot; &apos;</a> "&quot;&quot;',
    "crlf": '{\r\n  "machine": 1\r\n}\r\n',
    "lone-cr": "first\rsecond\r",
    "tabs-newlines": "\tindented\n\n\ttwice\n",
    "spaces": "   padded   ",
    "single-space": " ",
    "boundaries": "\ud7ff\ue000\ufffd\U00010000\U0010ffff",
    "long": "x" * 100_000,
}


@pytest.mark.parametrize("kind", list(BODIES))
def test_body_round_trip_and_md5(sqs: Any, queue: str, kind: str) -> None:
    body = BODIES[kind]
    sent = sqs.send_message(QueueUrl=queue, MessageBody=body)
    assert sent["MD5OfMessageBody"] == md5_of_body(body)
    assert sent["MessageId"]
    assert "MD5OfMessageAttributes" not in sent
    assert "SequenceNumber" not in sent

    msg = receive_one(sqs, queue)
    assert msg["Body"] == body
    assert msg["MD5OfBody"] == md5_of_body(body)
    assert msg["MessageId"] == sent["MessageId"]
    assert msg["ReceiptHandle"]


@pytest.mark.parametrize(
    "body",
    ["\x00", "bad\x00byte", "\x08", "\x1f", "\x0b", "\ufffe", "\uffff", "ok\x01"],
    ids=["nul", "embedded-nul", "backspace", "unit-sep", "vtab", "fffe", "ffff", "soh"],
)
def test_invalid_body_characters(sqs: Any, queue: str, body: str) -> None:
    expect_error(sqs.send_message, QueueUrl=queue, MessageBody=body, code="InvalidMessageContents")
    assert counts(sqs, queue) == (0, 0, 0)


def test_empty_body_is_rejected(sqs: Any, queue: str) -> None:
    # "The minimum size is one character." The exact code is not documented.
    expect_error(
        sqs.send_message,
        QueueUrl=queue,
        MessageBody="",
        code={"MissingParameter", "InvalidParameterValue"},
    )


def test_send_to_non_existent_queue(sqs: Any, endpoint: str) -> None:
    expect_error(
        sqs.send_message,
        QueueUrl=f"{endpoint}/000000000000/no-such-queue-for-send",
        MessageBody="x",
        code="AWS.SimpleQueueService.NonExistentQueue",
    )


# -- message attributes ---------------------------------------------------------------


def test_all_attribute_types_round_trip_with_md5(sqs: Any, queue: str) -> None:
    sent = sqs.send_message(
        QueueUrl=queue, MessageBody="typed", MessageAttributes=ALL_TYPES_ATTRIBUTES
    )
    expected_md5 = md5_of_attributes(ALL_TYPES_ATTRIBUTES)
    assert sent["MD5OfMessageAttributes"] == expected_md5
    assert sent["MD5OfMessageBody"] == md5_of_body("typed")

    msg = receive_one(sqs, queue, MessageAttributeNames=["All"])
    assert msg["MessageAttributes"] == ALL_TYPES_ATTRIBUTES
    assert msg["MD5OfMessageAttributes"] == expected_md5
    assert md5_of_attributes(msg["MessageAttributes"]) == expected_md5


@pytest.mark.parametrize(
    "value",
    ["0", "-1", "3.5", "-0.000001", "12345678901234567890123456789012345678", "007"],
)
def test_number_attribute_value_is_kept_verbatim(sqs: Any, queue: str, value: str) -> None:
    attrs = {"n": {"DataType": "Number", "StringValue": value}}
    sent = sqs.send_message(QueueUrl=queue, MessageBody="n", MessageAttributes=attrs)
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    msg = receive_one(sqs, queue, MessageAttributeNames=["n"])
    assert msg["MessageAttributes"] == attrs


def test_ten_attributes_allowed(sqs: Any, queue: str) -> None:
    attrs = {f"a{i}": {"DataType": "String", "StringValue": f"v{i}"} for i in range(10)}
    sent = sqs.send_message(QueueUrl=queue, MessageBody="ten", MessageAttributes=attrs)
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(attrs)
    msg = receive_one(sqs, queue, MessageAttributeNames=["All"])
    assert msg["MessageAttributes"] == attrs


def test_more_than_ten_attributes_rejected(sqs: Any, queue: str) -> None:
    attrs = {f"a{i}": {"DataType": "String", "StringValue": f"v{i}"} for i in range(11)}
    expect_error(
        sqs.send_message,
        QueueUrl=queue,
        MessageBody="eleven",
        MessageAttributes=attrs,
        code="InvalidParameterValue",
    )


@pytest.mark.parametrize(
    "name",
    [
        "a.b-c_d",
        "UPPER.lower",
        "n" * 256,
        "awsy",
        "x.AWS.y",
        "attr.1\u00f8\u00df\u00e4",
        "\u540d\u524d",
    ],
    ids=[
        "dots-hyphens",
        "case",
        "256-chars",
        "aws-not-prefix",
        "aws-inside",
        "non-ascii-letters",
        "cjk",
    ],
)
def test_valid_attribute_names(sqs: Any, queue: str, name: str) -> None:
    attrs = {name: {"DataType": "String", "StringValue": "ok"}}
    sent = sqs.send_message(QueueUrl=queue, MessageBody="named", MessageAttributes=attrs)
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(attrs)


@pytest.mark.parametrize(
    "name",
    ["AWS.reserved", "aws.lower", "Amazon.reserved", "amAZon.mixed", ".leading", "trailing.",
     "bad!char", "sp ace", "n" * 257],
    ids=["AWS.", "aws.", "Amazon.", "amazon-mixed", "leading-dot", "trailing-dot", "bang",
         "space", "257-chars"],
)  # fmt: skip
def test_invalid_attribute_names(sqs: Any, queue: str, name: str) -> None:
    expect_error(
        sqs.send_message,
        QueueUrl=queue,
        MessageBody="x",
        MessageAttributes={name: {"DataType": "String", "StringValue": "v"}},
        code="InvalidParameterValue",
    )


@pytest.mark.parametrize(
    "attr",
    [
        {"DataType": "String", "StringValue": ""},
        {"DataType": "Number", "StringValue": "not-a-number"},
        {"DataType": "Invalid", "StringValue": "v"},
        {"DataType": "String", "StringValue": "bad\x08char"},
    ],
    ids=["empty-string", "non-numeric-number", "unknown-type", "control-char"],
)
def test_invalid_attribute_values(sqs: Any, queue: str, attr: dict[str, Any]) -> None:
    expect_error(
        sqs.send_message,
        QueueUrl=queue,
        MessageBody="x",
        MessageAttributes={"attr": attr},
        code="InvalidParameterValue",
    )


# -- message system attributes ----------------------------------------------------------


def test_aws_trace_header(sqs: Any, queue: str) -> None:
    user = {"timestamp": {"DataType": "Number", "StringValue": "1493147359900"}}
    system = {"AWSTraceHeader": {"DataType": "String", "StringValue": TRACE_HEADER}}
    plain = sqs.send_message(QueueUrl=queue, MessageBody="t", MessageAttributes=user)
    traced = sqs.send_message(
        QueueUrl=queue, MessageBody="t", MessageAttributes=user, MessageSystemAttributes=system
    )
    assert "MD5OfMessageSystemAttributes" not in plain
    assert traced["MD5OfMessageSystemAttributes"] == "5ae4d5d7636402d80f4eb6d213245a88"
    # System attributes do not enter the user attributes' digest.
    assert traced["MD5OfMessageAttributes"] == plain["MD5OfMessageAttributes"]
    assert plain["MD5OfMessageAttributes"] == md5_of_attributes(user)

    found: dict[str, dict[str, Any]] = {}

    def both_received() -> bool:
        resp = sqs.receive_message(
            QueueUrl=queue,
            MaxNumberOfMessages=10,
            MessageSystemAttributeNames=["AWSTraceHeader"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=1,
        )
        for m in resp.get("Messages", []):
            found[m["MessageId"]] = m
        return len(found) == 2

    wait_until(both_received, timeout=5, message="both messages received")
    assert found[traced["MessageId"]]["Attributes"] == {"AWSTraceHeader": TRACE_HEADER}
    assert "AWSTraceHeader" not in found[plain["MessageId"]].get("Attributes", {})
    for m in found.values():
        assert m["MessageAttributes"] == user


def _with_trace_header(client: Any, header: str) -> Any:
    """``client`` sending ``X-Amzn-Trace-Id: header`` with every request (as X-Ray SDKs do)."""

    def add(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = header

    client.meta.events.register("before-send.sqs.*", add)
    return client


def test_trace_header_from_http_header(client_factory: Any, queue: str) -> None:
    # X-Ray Developer Guide, "Amazon SQS and AWS X-Ray": the X-Amzn-Trace-Id header applies to
    # every message of a SendMessage or SendMessageBatch; the system attribute overrides it.
    sqs = _with_trace_header(client_factory(), TRACE_HEADER)  # its own client: handlers stick
    own = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Sampled=1"
    sqs.send_message(QueueUrl=queue, MessageBody="single")
    sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "a", "MessageBody": "batched"},
            {
                "Id": "b",
                "MessageBody": "own",
                "MessageSystemAttributes": {
                    "AWSTraceHeader": {"DataType": "String", "StringValue": own}
                },
            },
        ],
    )
    got = {
        m["Body"]: m.get("Attributes", {}).get("AWSTraceHeader")
        for m in receive_n(sqs, queue, 3, MessageSystemAttributeNames=["AWSTraceHeader"])
    }
    assert got == {"single": TRACE_HEADER, "batched": TRACE_HEADER, "own": own}


# -- size -------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_body_of_exactly_one_mib(sqs: Any, queue: str) -> None:
    body = "a" * MAX_SIZE
    sent = sqs.send_message(QueueUrl=queue, MessageBody=body)
    assert sent["MD5OfMessageBody"] == md5_of_body(body)
    msg = receive_one(sqs, queue)
    assert len(msg["Body"]) == MAX_SIZE
    assert msg["MD5OfBody"] == md5_of_body(body)


@pytest.mark.timeout(60)
def test_body_over_one_mib_rejected(sqs: Any, queue: str) -> None:
    expect_error(
        sqs.send_message,
        QueueUrl=queue,
        MessageBody="a" * (MAX_SIZE + 1),
        code="InvalidParameterValue",
    )


@pytest.mark.timeout(60)
def test_attributes_count_toward_size_limit(sqs: Any, queue: str) -> None:
    attrs = {"k": {"DataType": "String", "StringValue": "x"}}
    room = MAX_SIZE - attribute_size(attrs)
    sqs.send_message(QueueUrl=queue, MessageBody="a" * room, MessageAttributes=attrs)
    expect_error(
        sqs.send_message,
        QueueUrl=queue,
        MessageBody="a" * (room + 1),
        MessageAttributes=attrs,
        code="InvalidParameterValue",
    )


def test_multibyte_body_size_counts_bytes(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(attributes={"MaximumMessageSize": "1024"})
    # 341 three-byte characters = 1023 bytes: fits; 342 = 1026 bytes: too long.
    sqs.send_message(QueueUrl=url, MessageBody="€" * 341)
    expect_error(
        sqs.send_message, QueueUrl=url, MessageBody="€" * 342, code="InvalidParameterValue"
    )


def test_queue_maximum_message_size_is_enforced(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(attributes={"MaximumMessageSize": "1024"})
    sqs.send_message(QueueUrl=url, MessageBody="a" * 1024)
    expect_error(
        sqs.send_message, QueueUrl=url, MessageBody="a" * 1025, code="InvalidParameterValue"
    )
    attrs = {"k": {"DataType": "String", "StringValue": "x"}}
    expect_error(
        sqs.send_message,
        QueueUrl=url,
        MessageBody="a" * (1024 - attribute_size(attrs) + 1),
        MessageAttributes=attrs,
        code="InvalidParameterValue",
    )


# -- delay ------------------------------------------------------------------------------


def test_message_delay(sqs: Any, queue: str) -> None:
    start = time.monotonic()
    sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=1)
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []
    assert counts(sqs, queue) == (0, 0, 1)
    msg = receive_one(sqs, queue, timeout=6)
    assert msg["Body"] == "later"
    assert time.monotonic() - start >= 0.9


def test_queue_delay_applies_and_message_delay_overrides(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(attributes={"DelaySeconds": "1"})
    sqs.send_message(QueueUrl=url, MessageBody="queue-delayed")
    sqs.send_message(QueueUrl=url, MessageBody="not-delayed", DelaySeconds=0)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in first] == ["not-delayed"]
    later = receive_one(sqs, url, timeout=6)
    assert later["Body"] == "queue-delayed"


def test_maximum_delay_accepted(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="in 15 minutes", DelaySeconds=900)
    assert counts(sqs, queue) == (0, 0, 1)


@pytest.mark.parametrize("delay", [-1, 901])
def test_delay_out_of_range(sqs: Any, queue: str, delay: int) -> None:
    expect_error(
        sqs.send_message,
        QueueUrl=queue,
        MessageBody="x",
        DelaySeconds=delay,
        code="InvalidParameterValue",
    )
