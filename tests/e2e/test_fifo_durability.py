"""FIFO state across a crash (SIGKILL) and restart of the server process.

The promise tested: everything a FIFO queue remembers between requests is durable, not just its
messages — the deduplication window (API Reference SendMessage: a duplicate within the 5-minute
deduplication interval is "accepted successfully but isn't delivered", even after the original
was deleted), the per-queue SequenceNumber ("Sequence numbers ... increase over time" — never
restart), the lock a received message holds on its message group (ReceiveMessage: "no more
messages belonging to the same MessageGroupId are returned" while one is invisible) until its
visibility timeout, and the receipt handle that deletes it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import ServerFactory, json_client
from tests.e2e.helpers import counts
from tests.support.server import DenshoServer

pytestmark = pytest.mark.timeout(120)

# Long enough to outlast a restart (about a second), short enough to wait out in the test.
LOCK_S = 8


@pytest.fixture
def server(new_server: ServerFactory) -> DenshoServer:
    """A server of the test's own, on the store under test (closed by ``new_server``)."""
    return new_server().start()


def _send(sqs: Any, url: str, body: str, group: str, dedup: str) -> dict[str, Any]:
    sent: dict[str, Any] = sqs.send_message(
        QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=dedup
    )
    return sent


def _receive(sqs: Any, url: str, **kwargs: Any) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = sqs.receive_message(
        QueueUrl=url, AttributeNames=["All"], **kwargs
    ).get("Messages", [])
    return got


def test_fifo_state_survives_kill9(server: DenshoServer) -> None:
    sqs = json_client(server.endpoint)
    url = sqs.create_queue(QueueName="crash-fifo.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    sent = {
        body: _send(sqs, url, body, group, dedup=body)
        for group in ("held", "timed")
        for body in (f"{group}-1", f"{group}-2")
    }
    last_sequence = max(int(s["SequenceNumber"]) for s in sent.values())

    # "held" is locked by held-1 for ten minutes; "timed" by timed-1 for LOCK_S seconds.
    [held] = _receive(sqs, url, MaxNumberOfMessages=1, VisibilityTimeout=600)
    assert held["Body"] == "held-1"
    [timed] = _receive(sqs, url, MaxNumberOfMessages=1, VisibilityTimeout=LOCK_S)
    locked_until = time.monotonic() + LOCK_S
    assert timed["Body"] == "timed-1"

    server.restart(crash=True)
    sqs = json_client(server.endpoint)
    url = sqs.get_queue_url(QueueName="crash-fifo.fifo")["QueueUrl"]
    assert time.monotonic() < locked_until - 2, "the restart outlasted the lock under test"

    # Both groups are still locked: nothing can be received, not even held-2 or timed-2.
    assert _receive(sqs, url, MaxNumberOfMessages=10) == []
    assert counts(sqs, url) == (2, 2, 0)

    # The deduplication window survived: a duplicate is accepted, answered with the original
    # message's id, and not enqueued.
    again = _send(sqs, url, "held-1, sent again", "held", dedup="held-1")
    assert again["MessageId"] == sent["held-1"]["MessageId"]
    assert counts(sqs, url) == (2, 2, 0)

    # Sequence numbers carry on from where they were.
    fresh = _send(sqs, url, "after", "other", dedup="after")
    assert int(fresh["SequenceNumber"]) > last_sequence

    # The receipt handle from before the crash deletes held-1, which unlocks "held" in order.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=held["ReceiptHandle"])
    assert time.monotonic() < locked_until - 1, "timed-1's lock ran out before it was checked"
    got = _receive(sqs, url, MaxNumberOfMessages=10, VisibilityTimeout=600)
    assert sorted(m["Body"] for m in got) == ["after", "held-2"]

    # Deleted or not, the dedup id stays taken for the window.
    _send(sqs, url, "held-1, sent a third time", "held", dedup="held-1")

    # "timed" unlocks at timed-1's visibility timeout, not before, with timed-1 first again.
    redelivered: list[dict[str, Any]] = []
    deadline = locked_until + 10
    while not redelivered and time.monotonic() < deadline:
        redelivered = _receive(sqs, url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    assert time.monotonic() >= locked_until - 1, "timed-1 came back before its timeout"
    assert [m["Body"] for m in redelivered] == ["timed-1", "timed-2"]
    assert redelivered[0]["MessageId"] == timed["MessageId"]
    assert redelivered[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert redelivered[0]["Attributes"]["SequenceNumber"] == sent["timed-1"]["SequenceNumber"]

    # Nothing else is left: the duplicates were never enqueued.
    assert counts(sqs, url) == (0, 4, 0)
