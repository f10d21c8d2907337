"""SendMessageBatch, DeleteMessageBatch and ChangeMessageVisibilityBatch, on both protocols.

AWS references: API Reference for the three batch actions — up to 10 entries, Ids unique
within the request and made of alphanumerics, hyphens and underscores (up to 80), the
sum of all message sizes at most 1 MiB, each entry's result reported in Successful or
Failed. Errors: AWS.SimpleQueueService.EmptyBatchRequest, .TooManyEntriesInBatchRequest,
.BatchEntryIdsNotDistinct, .InvalidBatchEntryId, .BatchRequestTooLong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.helpers import (
    ALL_TYPES_ATTRIBUTES,
    TRACE_HEADER,
    counts,
    expect_error,
    md5_of_attributes,
    md5_of_body,
    receive_n,
    wait_counts,
)

EMPTY = "AWS.SimpleQueueService.EmptyBatchRequest"
TOO_MANY = "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
NOT_DISTINCT = "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
INVALID_ID = "AWS.SimpleQueueService.InvalidBatchEntryId"
TOO_LONG = "AWS.SimpleQueueService.BatchRequestTooLong"

INVALID_IDS = ["", "bad:id", "bad.id", "sp ace", "x" * 81]
INVALID_ID_NAMES = ["empty", "colon", "dot", "space", "81-chars"]


def _attrs_for(i: int) -> dict[str, dict[str, Any]]:
    """A different mix of attribute types for each entry."""
    names = sorted(ALL_TYPES_ATTRIBUTES)
    chosen = names[: i % (len(names) + 1)]
    return {n: ALL_TYPES_ATTRIBUTES[n] for n in chosen}


# -- SendMessageBatch -----------------------------------------------------------------------


def test_send_batch_of_ten_with_md5s(sqs: Any, queue: str) -> None:
    entries: list[dict[str, Any]] = []
    for i in range(10):
        entry: dict[str, Any] = {"Id": f"entry-{i}", "MessageBody": f"body {i} ✓"}
        attrs = _attrs_for(i)
        if attrs:
            entry["MessageAttributes"] = attrs
        entries.append(entry)
    resp = sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    assert resp.get("Failed", []) == []
    ok = {s["Id"]: s for s in resp["Successful"]}
    assert set(ok) == {e["Id"] for e in entries}
    for e in entries:
        result = ok[e["Id"]]
        assert result["MessageId"]
        assert result["MD5OfMessageBody"] == md5_of_body(e["MessageBody"])
        assert result.get("MD5OfMessageAttributes") == md5_of_attributes(e.get("MessageAttributes"))
    assert len({s["MessageId"] for s in resp["Successful"]}) == 10

    by_id = {ok[e["Id"]]["MessageId"]: e for e in entries}
    for msg in receive_n(sqs, queue, 10, MessageAttributeNames=["All"]):
        e = by_id[msg["MessageId"]]
        assert msg["Body"] == e["MessageBody"]
        assert msg["MD5OfBody"] == md5_of_body(e["MessageBody"])
        assert msg.get("MessageAttributes", {}) == e.get("MessageAttributes", {})
        if e.get("MessageAttributes"):
            assert msg["MD5OfMessageAttributes"] == md5_of_attributes(e["MessageAttributes"])


def test_send_batch_entry_delay_and_trace_header(sqs: Any, queue: str) -> None:
    system = {"AWSTraceHeader": {"DataType": "String", "StringValue": TRACE_HEADER}}
    resp = sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "now", "MessageBody": "now", "MessageSystemAttributes": system},
            {"Id": "later", "MessageBody": "later", "DelaySeconds": 60},
        ],
    )
    ok = {s["Id"]: s for s in resp["Successful"]}
    assert ok["now"]["MD5OfMessageSystemAttributes"] == "5ae4d5d7636402d80f4eb6d213245a88"
    assert "MD5OfMessageSystemAttributes" not in ok["later"]
    assert counts(sqs, queue) == (1, 0, 1)


def test_send_batch_reports_per_entry_failures(sqs: Any, queue: str) -> None:
    entries = [{"Id": str(i), "MessageBody": f"fine-{i}"} for i in range(9)]
    entries.append({"Id": "9", "MessageBody": "\x01"})
    resp = sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(resp["Successful"]) == 9
    [failed] = resp["Failed"]
    assert failed["Id"] == "9"
    assert failed["Code"] == "InvalidMessageContents"
    assert failed["SenderFault"] is True
    bodies = {m["Body"] for m in receive_n(sqs, queue, 9)}
    assert bodies == {f"fine-{i}" for i in range(9)}


def test_send_batch_empty(sqs: Any, queue: str) -> None:
    resp = expect_error(sqs.send_message_batch, QueueUrl=queue, Entries=[], code=EMPTY)
    assert resp["Error"]["Message"] == (
        "There should be at least one SendMessageBatchRequestEntry in the request."
    )


def test_send_batch_without_failures_has_no_failed_list(sqs: Any, queue: str) -> None:
    # AWS leaves an empty Failed out (LocalStack snapshot send_oversized_message_batch).
    resp = sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": "1", "MessageBody": "a"}])
    assert "Failed" not in resp
    assert [s["Id"] for s in resp["Successful"]] == ["1"]


def test_send_batch_too_many(sqs: Any, queue: str) -> None:
    entries = [{"Id": f"e{i}", "MessageBody": "x"} for i in range(11)]
    expect_error(sqs.send_message_batch, QueueUrl=queue, Entries=entries, code=TOO_MANY)
    assert counts(sqs, queue) == (0, 0, 0)


def test_send_batch_duplicate_ids(sqs: Any, queue: str) -> None:
    entries = [{"Id": "same", "MessageBody": "a"}, {"Id": "same", "MessageBody": "b"}]
    expect_error(sqs.send_message_batch, QueueUrl=queue, Entries=entries, code=NOT_DISTINCT)
    assert counts(sqs, queue) == (0, 0, 0)


@pytest.mark.parametrize("bad_id", INVALID_IDS, ids=INVALID_ID_NAMES)
def test_send_batch_invalid_entry_id(sqs: Any, queue: str, bad_id: str) -> None:
    entries = [{"Id": "good", "MessageBody": "a"}, {"Id": bad_id, "MessageBody": "b"}]
    expect_error(sqs.send_message_batch, QueueUrl=queue, Entries=entries, code=INVALID_ID)


def test_send_batch_valid_entry_ids(sqs: Any, queue: str) -> None:
    ids = ["a", "A-b_9", "x" * 80]
    resp = sqs.send_message_batch(
        QueueUrl=queue, Entries=[{"Id": i, "MessageBody": i} for i in ids]
    )
    assert {s["Id"] for s in resp["Successful"]} == set(ids)


@pytest.mark.timeout(60)
def test_send_batch_total_size_over_one_mib(sqs: Any, queue: str) -> None:
    entries = [
        {"Id": "first", "MessageBody": "a" * 600_000},
        {"Id": "second", "MessageBody": "b" * 600_000},
    ]
    expect_error(sqs.send_message_batch, QueueUrl=queue, Entries=entries, code=TOO_LONG)
    assert counts(sqs, queue) == (0, 0, 0)


@pytest.mark.timeout(60)
def test_send_batch_total_size_exactly_one_mib(sqs: Any, queue: str) -> None:
    entries = [
        {"Id": "first", "MessageBody": "a" * 524_288},
        {"Id": "second", "MessageBody": "b" * 524_288},
    ]
    resp = sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    assert len(resp["Successful"]) == 2


def test_send_batch_to_non_existent_queue(sqs: Any, endpoint: str) -> None:
    expect_error(
        sqs.send_message_batch,
        QueueUrl=f"{endpoint}/000000000000/no-such-queue-for-batch",
        Entries=[{"Id": "a", "MessageBody": "x"}],
        code="AWS.SimpleQueueService.NonExistentQueue",
    )


# -- DeleteMessageBatch and ChangeMessageVisibilityBatch: shared validation ---------------


def _delete_entries(handles: list[str], ids: list[str] | None = None) -> list[dict[str, Any]]:
    ids = ids or [f"e{i}" for i in range(len(handles))]
    return [{"Id": i, "ReceiptHandle": h} for i, h in zip(ids, handles, strict=True)]


def _change_entries(handles: list[str], ids: list[str] | None = None) -> list[dict[str, Any]]:
    return [dict(e, VisibilityTimeout=0) for e in _delete_entries(handles, ids)]


BATCH_ACTIONS: dict[str, tuple[str, Callable[..., list[dict[str, Any]]]]] = {
    "delete": ("delete_message_batch", _delete_entries),
    "change": ("change_message_visibility_batch", _change_entries),
}


@pytest.fixture(params=list(BATCH_ACTIONS))
def batch_action(request: pytest.FixtureRequest) -> tuple[str, Callable[..., Any]]:
    return BATCH_ACTIONS[request.param]


def _handles(sqs: Any, queue: str, n: int) -> list[str]:
    sqs.send_message_batch(
        QueueUrl=queue, Entries=[{"Id": f"s{i}", "MessageBody": f"m{i}"} for i in range(n)]
    )
    return [m["ReceiptHandle"] for m in receive_n(sqs, queue, n, VisibilityTimeout=60)]


def test_batch_empty(sqs: Any, queue: str, batch_action: tuple[str, Any]) -> None:
    method, _ = batch_action
    resp = expect_error(getattr(sqs, method), QueueUrl=queue, Entries=[], code=EMPTY)
    # The entry type of this action (moto's aws-verified DeleteMessageBatch test).
    entry = {
        "delete_message_batch": "DeleteMessageBatchRequestEntry",
        "change_message_visibility_batch": "ChangeMessageVisibilityBatchRequestEntry",
    }[method]
    assert resp["Error"]["Message"] == f"There should be at least one {entry} in the request."


def test_batch_too_many(sqs: Any, queue: str, batch_action: tuple[str, Any]) -> None:
    method, make = batch_action
    entries = make([f"handle-{i}" for i in range(11)])
    expect_error(getattr(sqs, method), QueueUrl=queue, Entries=entries, code=TOO_MANY)


def test_batch_duplicate_ids(sqs: Any, queue: str, batch_action: tuple[str, Any]) -> None:
    method, make = batch_action
    handles = _handles(sqs, queue, 2)
    entries = make(handles, ["dup", "dup"])
    expect_error(getattr(sqs, method), QueueUrl=queue, Entries=entries, code=NOT_DISTINCT)
    assert counts(sqs, queue) == (0, 2, 0)


@pytest.mark.parametrize("bad_id", INVALID_IDS, ids=INVALID_ID_NAMES)
def test_batch_invalid_entry_id(
    sqs: Any, queue: str, batch_action: tuple[str, Any], bad_id: str
) -> None:
    method, make = batch_action
    entries = make(["handle-a"], [bad_id])
    expect_error(getattr(sqs, method), QueueUrl=queue, Entries=entries, code=INVALID_ID)


# -- DeleteMessageBatch ---------------------------------------------------------------------


def test_delete_batch(sqs: Any, queue: str) -> None:
    handles = _handles(sqs, queue, 3)
    resp = sqs.delete_message_batch(QueueUrl=queue, Entries=_delete_entries(handles))
    assert {s["Id"] for s in resp["Successful"]} == {"e0", "e1", "e2"}
    assert resp.get("Failed", []) == []
    assert counts(sqs, queue) == (0, 0, 0)


def test_delete_batch_partial_failure(sqs: Any, queue: str) -> None:
    [handle] = _handles(sqs, queue, 1)
    resp = sqs.delete_message_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "good", "ReceiptHandle": handle},
            {"Id": "bad", "ReceiptHandle": "garbage"},
        ],
    )
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [s["Id"] for s in resp["Successful"]] == ["good"]
    [failed] = resp["Failed"]
    assert failed["Id"] == "bad"
    assert failed["Code"] == "ReceiptHandleIsInvalid"
    assert failed["SenderFault"] is True
    assert counts(sqs, queue) == (0, 0, 0)


# -- ChangeMessageVisibilityBatch -----------------------------------------------------------


def test_change_visibility_batch(sqs: Any, queue: str) -> None:
    handles = _handles(sqs, queue, 3)
    assert counts(sqs, queue) == (0, 3, 0)
    entries = _change_entries(handles)
    entries[2]["VisibilityTimeout"] = 120
    resp = sqs.change_message_visibility_batch(QueueUrl=queue, Entries=entries)
    assert {s["Id"] for s in resp["Successful"]} == {"e0", "e1", "e2"}
    assert resp.get("Failed", []) == []
    wait_counts(sqs, queue, (2, 1, 0), timeout=2)


def test_change_visibility_batch_partial_failure(sqs: Any, queue: str) -> None:
    [handle] = _handles(sqs, queue, 1)
    resp = sqs.change_message_visibility_batch(
        QueueUrl=queue,
        Entries=[
            {"Id": "good", "ReceiptHandle": handle, "VisibilityTimeout": 0},
            {"Id": "bad", "ReceiptHandle": "garbage", "VisibilityTimeout": 0},
        ],
    )
    assert [s["Id"] for s in resp["Successful"]] == ["good"]
    [failed] = resp["Failed"]
    assert failed["Id"] == "bad"
    assert failed["Code"] == "ReceiptHandleIsInvalid"
    assert failed["SenderFault"] is True
    assert counts(sqs, queue) == (1, 0, 0)
