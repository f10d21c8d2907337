"""PurgeQueue, on both wire protocols.

AWS references: API Reference PurgeQueue ("Deletes available messages in a queue (including
in-flight messages)"; one purge per 60 s, else AWS.SimpleQueueService.PurgeQueueInProgress).
The API Reference gives that error HTTP 400; AWS's older models and SDKs give 403, so both
are accepted.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import QueueMaker
from tests.e2e.helpers import counts, expect_error, receive_n, wait_counts


def test_purge_removes_visible_in_flight_and_delayed(sqs: Any, queue: str) -> None:
    for i in range(3):
        sqs.send_message(QueueUrl=queue, MessageBody=f"visible-{i}")
    sqs.send_message(QueueUrl=queue, MessageBody="delayed", DelaySeconds=60)
    receive_n(sqs, queue, 1, VisibilityTimeout=60)
    assert counts(sqs, queue) == (2, 1, 1)

    sqs.purge_queue(QueueUrl=queue)
    wait_counts(sqs, queue, (0, 0, 0), timeout=5)
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []

    # The queue keeps working after a purge.
    sqs.send_message(QueueUrl=queue, MessageBody="after purge")
    assert [m["Body"] for m in receive_n(sqs, queue, 1)] == ["after purge"]


def test_second_purge_within_60_seconds(sqs: Any, queue: str) -> None:
    sqs.purge_queue(QueueUrl=queue)
    expect_error(
        sqs.purge_queue,
        QueueUrl=queue,
        code="AWS.SimpleQueueService.PurgeQueueInProgress",
        status={400, 403},
    )


def test_purge_non_existent_queue(sqs: Any, endpoint: str) -> None:
    expect_error(
        sqs.purge_queue,
        QueueUrl=f"{endpoint}/000000000000/no-such-queue-for-purge",
        code="AWS.SimpleQueueService.NonExistentQueue",
    )


def test_fifo_purge_forgets_the_ids_before_it_and_remembers_those_after(
    sqs: Any, make_queue: QueueMaker
) -> None:
    """The purge forgets the deduplication ids sent before it (their rows are left for
    maintenance to delete when their window ends); ids sent after it deduplicate as ever, also
    one that was forgotten and sent again."""
    url = make_queue(fifo=True)

    def send(body: str, dedup_id: str) -> str:
        sent = sqs.send_message(
            QueueUrl=url, MessageBody=body, MessageGroupId="g", MessageDeduplicationId=dedup_id
        )
        return str(sent["MessageId"])

    before = [send(f"before-{i}", f"id-{i}") for i in range(3)]
    sqs.purge_queue(QueueUrl=url)
    again = send("again-0", "id-0")  # forgotten: a new message
    assert again not in before
    assert send("again-0 twice", "id-0") == again  # remembered since the purge
    fresh = send("fresh", "id-new")
    assert send("fresh twice", "id-new") == fresh
    assert [m["Body"] for m in receive_n(sqs, url, 2)] == ["again-0", "fresh"]
