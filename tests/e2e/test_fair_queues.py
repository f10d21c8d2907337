"""Fair queues: standard queues whose messages carry MessageGroupId, on both wire protocols.

AWS references: Developer Guide "Amazon SQS fair queues" and "How Amazon SQS fair queues work"
(MessageGroupId names the tenant, a message without one is a tenant of its own; when one tenant
floods the queue or holds many messages in flight, the other tenants' messages are delivered
first, and the noisy tenant's still come when nothing else waits); API Reference SendMessage
("In standard queues, using MessageGroupId enables fair queues ... messages with the same
MessageGroupId can be processed in parallel").
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.conftest import ClientFactory, QueueMaker
from tests.e2e.helpers import counts, queue_arn, queue_name_of, wait_counts


def _send(sqs: Any, url: str, prefix: str, n: int, group: str | None = None) -> None:
    for start in range(0, n, 10):
        entries: list[dict[str, Any]] = [
            {"Id": f"e{i}", "MessageBody": f"{prefix}{start + i}"}
            for i in range(min(10, n - start))
        ]
        if group is not None:
            for entry in entries:
                entry["MessageGroupId"] = group
        resp = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        assert not resp.get("Failed"), resp["Failed"]


def _drain(sqs: Any, url: str, limit: int = 200) -> list[dict[str, Any]]:
    """Receive and delete until a receive comes back empty (bounded)."""
    got: list[dict[str, Any]] = []
    for _ in range(limit):
        resp = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            MessageSystemAttributeNames=["MessageGroupId"],
        )
        batch = resp.get("Messages", [])
        if not batch:
            break
        got.extend(batch)
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ],
        )
    return got


def test_a_quiet_group_is_not_stuck_behind_a_flood(
    sqs: Any, make_queue: QueueMaker, client_factory: ClientFactory
) -> None:
    url = make_queue()
    clients = [client_factory() for _ in range(4)]
    # The noisy tenant: 10,000 messages, sent first (so they are the oldest), 4 senders at once.
    with ThreadPoolExecutor(4) as pool:
        for future in [
            pool.submit(_send, clients[i], url, f"a{i}-", 2_500, "tenant-a") for i in range(4)
        ]:
            future.result()
    _send(sqs, url, "b", 10, "tenant-b")
    quiet = 0
    for _ in range(3):  # a consumer: receive 10, process, delete
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert len(batch) == 10
        quiet += sum(m["Body"].startswith("b") for m in batch)
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
            ],
        )
    assert quiet == 10, f"only {quiet} of the quiet tenant's 10 messages in the first 3 receives"
    assert counts(sqs, url) == (10_000 - 20, 0, 0)


def test_quiet_tenants_first_while_a_noisy_one_holds_many_in_flight(
    sqs: Any, make_queue: QueueMaker
) -> None:
    url = make_queue(attributes={"VisibilityTimeout": "600"})
    _send(sqs, url, "a", 200, "tenant-a")
    for _ in range(5):  # slow consumers of tenant A: 50 of its messages in flight
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    _send(sqs, url, "b", 4, "tenant-b")
    _send(sqs, url, "u", 3)  # without a group: a tenant of its own
    batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert Counter(m["Body"][0] for m in batch) == {"b": 4, "u": 3, "a": 3}


def test_grouped_and_ungrouped_messages_each_delivered_once(
    sqs: Any, make_queue: QueueMaker
) -> None:
    url = make_queue()
    _send(sqs, url, "early", 25)
    _send(sqs, url, "a", 60, "tenant-a")
    _send(sqs, url, "b", 15, "tenant-b")
    _send(sqs, url, "late", 20)
    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"single{i}", MessageGroupId=f"t{i}")
    got = _drain(sqs, url)
    bodies = [m["Body"] for m in got]
    assert len(bodies) == len(set(bodies)) == 25 + 60 + 15 + 20 + 5
    for m in got:
        group = m.get("Attributes", {}).get("MessageGroupId")
        body = m["Body"]
        if body.startswith(("early", "late")):
            assert group is None, body
        elif body.startswith("single"):
            assert group == f"t{body[-1]}"
        else:
            assert group == f"tenant-{body[0]}"
    assert counts(sqs, url) == (0, 0, 0)


def test_redrive_with_message_groups(sqs: Any, make_queue: QueueMaker) -> None:
    dlq = make_queue()
    policy = {"deadLetterTargetArn": queue_arn(queue_name_of(dlq)), "maxReceiveCount": 1}
    url = make_queue(attributes={"RedrivePolicy": json.dumps(policy)})
    _send(sqs, url, "a", 6, "tenant-a")
    _send(sqs, url, "b", 2, "tenant-b")
    _send(sqs, url, "u", 2)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert len(first["Messages"]) == 10
    # Received once already: the next receive moves all ten instead of delivering them.
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    wait_counts(sqs, url, (0, 0, 0))
    moved = _drain(sqs, dlq)
    assert sorted(m["Body"] for m in moved) == sorted(
        [*(f"a{i}" for i in range(6)), "b0", "b1", "u0", "u1"]
    )
    groups = {m["Body"]: m.get("Attributes", {}).get("MessageGroupId") for m in moved}
    assert groups["a0"] == "tenant-a" and groups["b1"] == "tenant-b" and groups["u0"] is None


def test_no_message_twice_while_in_flight(
    sqs: Any, make_queue: QueueMaker, client_factory: ClientFactory
) -> None:
    url = make_queue(attributes={"VisibilityTimeout": "600"})
    for g in range(5):
        _send(sqs, url, f"g{g}-", 60, f"tenant-{g}")
    _send(sqs, url, "u", 50)
    seen: list[str] = []
    lock = threading.Lock()

    def consume() -> None:
        client = client_factory()
        for _ in range(100):  # bounded
            batch = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return
            with lock:
                seen.extend(m["MessageId"] for m in batch)

    with ThreadPoolExecutor(6) as pool:
        for future in [pool.submit(consume) for _ in range(6)]:
            future.result()
    assert len(seen) == len(set(seen)) == 350
    assert counts(sqs, url) == (0, 350, 0)
