"""Pure engine rules: attribute selection, sizes, receipt handles, queue attribute validation,
the in-flight limit."""

from __future__ import annotations

import base64
import json
import struct

import pytest

from densho.core import errors
from densho.core.queue_config import QUEUE_SCOPE_UNTIL
from densho.core.sqs_model import Attr, Queue
from densho.core.store import Handle
from densho.providers.errors import to_aws
from densho.sqs import attributes, handles, messages
from densho.sqs.flow import fifo_send
from densho.sqs.inflight import AWS_LIMIT, allowance


def test_select_all_prefix_and_exact() -> None:
    attrs = {
        "order.id": Attr("String", "1"),
        "order.total": Attr("Number", "2"),
        "customer": Attr("String", "c"),
    }
    assert messages.select(attrs, ["All"]) == attrs
    assert messages.select(attrs, [".*"]) == attrs
    assert set(messages.select(attrs, ["order.*"])) == {"order.id", "order.total"}
    assert set(messages.select(attrs, ["customer", "missing"])) == {"customer"}
    assert messages.select(attrs, []) == {}


def test_size_counts_body_names_types_and_values() -> None:
    attrs = {"ab": Attr("String", "xyz"), "b": Attr("Binary", binary_value=b"\x00\x01")}
    assert messages.size_of("héllo", attrs) == 6 + (2 + 6 + 3) + (1 + 6 + 2)


@pytest.mark.parametrize("text", ["\x00", "a\x08b", "\ufffe", "\ud800"])
def test_invalid_characters_rejected(text: str) -> None:
    with pytest.raises(errors.InvalidMessageContents):
        messages.check_text(text)


def test_valid_characters_accepted() -> None:
    messages.check_text("tab\tnl\ncr\r ok \ud7ff \ue000 \U0010ffff")


@pytest.mark.parametrize("name", ["AWS.x", "amazon.y", ".a", "a.", "a..b", "sp ace", "x" * 257])
def test_bad_attribute_names(name: str) -> None:
    with pytest.raises(errors.InvalidParameter):
        messages.check_attribute_name(name)


def test_attribute_value_rules() -> None:
    messages.check_attribute("n", Attr("Number.int", "1e5"))
    with pytest.raises(errors.InvalidParameter):
        messages.check_attribute("n", Attr("Number", "abc"))
    with pytest.raises(errors.InvalidParameter):
        messages.check_attribute("t", Attr("Strin", "x"))
    with pytest.raises(errors.InvalidParameter):
        messages.check_attribute("b", Attr("Binary", "x"))
    with pytest.raises(errors.TooManyAttributes):
        messages.check_attributes({f"a{i}": Attr("String", "v") for i in range(11)})


def test_receipt_handle_round_trip_and_garbage() -> None:
    handle = handles.encode(7, 123456789, 2**61 + 5, "5fd1f9c4-0d5e-4b7a-9f3e-2d8f0c1b6a7e")
    decoded = handles.decode(handle)
    assert decoded == Handle(7, 123456789, 2**61 + 5, "5fd1f9c4-0d5e-4b7a-9f3e-2d8f0c1b6a7e")
    longer = base64.b64encode(base64.b64decode(handle) + b"x").decode()
    for garbage in ["", "not-base64!", "YWJj", handle[:-4], longer]:
        with pytest.raises(errors.ReceiptHandleInvalid):
            handles.decode(garbage)


def test_receipt_handle_of_an_earlier_version_still_decodes() -> None:
    # Handles made before they carried the message id name the row and the receive only.
    old = base64.b64encode(b"dn1" + struct.pack(">QQQ", 7, 42, 99)).decode()
    assert handles.decode(old) == Handle(7, 42, 99)
    assert Handle(7, 42, 99).names(99, "any id") and not Handle(7, 42, 99).names(98, "any id")
    new = Handle(7, 42, 99, "m")
    assert new.names(98, "m") and not new.names(99, "another message")


def test_queue_attribute_validation() -> None:
    assert attributes.validate({"VisibilityTimeout": "60"}, fifo=False, creating=True) == {
        "VisibilityTimeout": "60"
    }
    with pytest.raises(errors.InvalidAttributeValue):
        attributes.validate({"VisibilityTimeout": "43201"}, fifo=False, creating=True)
    with pytest.raises(errors.InvalidAttributeValue):
        attributes.validate({"DelaySeconds": "soon"}, fifo=False, creating=True)
    with pytest.raises(errors.InvalidAttributeName):
        attributes.validate({"Nope": "1"}, fifo=False, creating=True)
    with pytest.raises(errors.InvalidAttributeName):
        attributes.validate({"ContentBasedDeduplication": "true"}, fifo=False, creating=True)
    # SetQueueAttributes: FifoQueue=true restates a FIFO queue's type; false would change it.
    assert attributes.validate({"FifoQueue": "true"}, fifo=True, creating=False) == {}
    with pytest.raises(errors.InvalidAttributeValue) as info:
        attributes.validate({"FifoQueue": "false"}, fifo=True, creating=False)
    assert "Modifying queue type" in to_aws(info.value).message
    with pytest.raises(errors.InvalidAttributeName):
        attributes.validate({"FifoQueue": "true"}, fifo=False, creating=False)
    with pytest.raises(errors.InvalidPolicyValue) as policy_info:
        attributes.validate(
            {"RedrivePolicy": '{"deadLetterTargetArn":"arn:aws:sqs:r:1:q","maxReceiveCount":0}'},
            fifo=False,
            creating=True,
        )
    assert "maxReceiveCount: 0" in to_aws(policy_info.value).message


def test_redrive_policy_is_stored_normalised_and_compared_so() -> None:
    arn = "arn:aws:sqs:us-east-1:000000000000:dlq"
    given = json.dumps({"maxReceiveCount": "3", "deadLetterTargetArn": arn}, indent=1)
    normalised = json.dumps(
        {"deadLetterTargetArn": arn, "maxReceiveCount": 3}, separators=(",", ":")
    )
    validated = attributes.validate({"RedrivePolicy": given}, fifo=False, creating=True)
    assert validated == {"RedrivePolicy": normalised}
    # A queue whose document was stored as given (before densho normalised) matches it too.
    assert attributes.differing({"RedrivePolicy": normalised}, validated) is None
    assert attributes.differing({"RedrivePolicy": given}, validated) is None
    other = attributes.validate(
        {"RedrivePolicy": json.dumps({"maxReceiveCount": 4, "deadLetterTargetArn": arn})},
        fifo=False,
        creating=True,
    )
    assert attributes.differing({"RedrivePolicy": given}, other) == "RedrivePolicy"
    assert attributes.differing({"DelaySeconds": "1"}, {"DelaySeconds": "2"}) == "DelaySeconds"


def test_queue_names() -> None:
    attributes.validate_queue_name("a-b_C9", fifo=False)
    attributes.validate_queue_name("x" * 75 + ".fifo", fifo=True)
    for bad, fifo in [("", False), ("x" * 81, False), ("a.b", False), ("q", True)]:
        with pytest.raises(errors.InvalidQueueName):
            attributes.validate_queue_name(bad, fifo=fifo)


def test_narrowed_deduplication_scope_applies_after_propagation() -> None:
    """DeduplicationScope set to messageGroup after creation: queue-wide until the stored
    propagation end, per group from then on; a queue created per group is per group at once."""

    def queue(**extra: str) -> Queue:
        attrs = {"FifoQueue": "true", "DeduplicationScope": "messageGroup", **extra}
        return Queue(1, "000000000000", "q.fifo", "us-east-1", attrs, {}, 0, 0)

    narrowed = queue(**{QUEUE_SCOPE_UNTIL: "60000"})
    at_first = fifo_send(narrowed, 59_999)
    later = fifo_send(narrowed, 60_000)
    created = fifo_send(queue(), 0)
    assert at_first is not None and not at_first.by_group
    assert later is not None and later.by_group
    assert created is not None and created.by_group


@pytest.mark.parametrize("fifo", [False, True])
@pytest.mark.parametrize("short_poll", [False, True])
def test_in_flight_limit(fifo: bool, short_poll: bool) -> None:
    """AWS's quotas: up to the limit every receive gets what it asks; one that would cross it
    part-way gets up to the limit; at it, a standard queue's short poll is OverLimit (403) and
    anything else gets nothing, without an error."""
    rule = {"fifo": fifo, "short_poll": short_poll}
    assert AWS_LIMIT == 120_000
    assert allowance(AWS_LIMIT, 0, 10, **rule) == 10
    assert allowance(AWS_LIMIT, AWS_LIMIT - 10, 10, **rule) == 10
    assert allowance(AWS_LIMIT, AWS_LIMIT - 3, 10, **rule) == 3
    for in_flight in (AWS_LIMIT, AWS_LIMIT + 5):  # several nodes may pass it a little
        if short_poll and not fifo:
            with pytest.raises(errors.TooManyInFlight) as refused:
                allowance(AWS_LIMIT, in_flight, 10, **rule)
            aws = to_aws(refused.value)  # the wire answers it 403 (protocol.quirks)
            assert aws.code == "OverLimit"
            assert aws.message.startswith("Too many messages have been received without being")
        else:
            assert allowance(AWS_LIMIT, in_flight, 10, **rule) == 0
