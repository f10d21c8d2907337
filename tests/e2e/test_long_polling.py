"""Long polling: ReceiveMessage with WaitTimeSeconds (0-20) and the queue's
ReceiveMessageWaitTimeSeconds default, on both wire protocols.

AWS references: API Reference ReceiveMessage ("If a message is available, the call returns
sooner than WaitTimeSeconds"; "If no messages are available and the wait time expires, the
call does not return a message list"); Developer Guide "Amazon SQS short and long polling".
Timing bounds are generous; every wait is bounded.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.conftest import ClientFactory, QueueMaker
from tests.e2e.helpers import expect_error

pytestmark = pytest.mark.timeout(60)


class LateSender:
    """Sends one message from another thread (and client) after a delay."""

    def __init__(self, factory: ClientFactory, url: str, delay: float, body: str) -> None:
        self._client = factory()
        self._url = url
        self._delay = delay
        self._body = body
        self.sent_at: float | None = None
        self._thread = threading.Thread(target=self._run, name="late-sender", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            time.sleep(self._delay)
            self._client.send_message(QueueUrl=self._url, MessageBody=self._body)
            self.sent_at = time.monotonic()
        finally:
            self._client.close()

    def join(self) -> float:
        self._thread.join(timeout=15)
        assert not self._thread.is_alive(), "the sender thread did not finish"
        assert self.sent_at is not None, "the sender thread failed to send"
        return self.sent_at


def test_long_poll_returns_soon_after_a_send(
    sqs: Any, queue: str, client_factory: ClientFactory
) -> None:
    sender = LateSender(client_factory, queue, 0.5, "wake up")
    start = time.monotonic()
    resp = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10)
    returned = time.monotonic()
    sent_at = sender.join()
    messages = resp.get("Messages", [])
    assert [m["Body"] for m in messages] == ["wake up"], "the long poll returned empty"
    assert returned - sent_at < 2.0, f"returned {returned - sent_at:.2f} s after the send"
    assert returned - start < 5.0


def test_long_poll_on_empty_queue_waits_then_returns_empty(sqs: Any, queue: str) -> None:
    start = time.monotonic()
    resp = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)
    elapsed = time.monotonic() - start
    assert "Messages" not in resp
    assert 0.9 <= elapsed < 3.0, f"took {elapsed:.2f} s"


def test_long_poll_returns_at_once_when_messages_wait(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="ready")
    sqs.send_message(QueueUrl=queue, MessageBody="ready too")
    start = time.monotonic()
    resp = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10, MaxNumberOfMessages=5)
    assert time.monotonic() - start < 2.0
    assert len(resp["Messages"]) >= 1


def test_queue_receive_wait_time_is_the_default(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(attributes={"ReceiveMessageWaitTimeSeconds": "1"})
    start = time.monotonic()
    resp = sqs.receive_message(QueueUrl=url)
    elapsed = time.monotonic() - start
    assert "Messages" not in resp
    assert 0.9 <= elapsed < 3.0, f"took {elapsed:.2f} s"


def test_queue_default_wait_wakes_on_send(
    sqs: Any, make_queue: QueueMaker, client_factory: ClientFactory
) -> None:
    url = make_queue(attributes={"ReceiveMessageWaitTimeSeconds": "10"})
    sender = LateSender(client_factory, url, 0.5, "default wait")
    resp = sqs.receive_message(QueueUrl=url)
    returned = time.monotonic()
    sent_at = sender.join()
    assert [m["Body"] for m in resp.get("Messages", [])] == ["default wait"]
    assert returned - sent_at < 2.0


def test_zero_wait_overrides_queue_default(sqs: Any, make_queue: QueueMaker) -> None:
    url = make_queue(attributes={"ReceiveMessageWaitTimeSeconds": "5"})
    start = time.monotonic()
    resp = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    assert "Messages" not in resp
    assert time.monotonic() - start < 1.0


def test_long_poll_sees_delayed_message_when_it_becomes_visible(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="delayed", DelaySeconds=1)
    start = time.monotonic()
    resp = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)
    elapsed = time.monotonic() - start
    assert [m["Body"] for m in resp.get("Messages", [])] == ["delayed"]
    assert 0.5 <= elapsed < 3.0, f"took {elapsed:.2f} s"


def test_long_poll_sees_message_whose_visibility_expires(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="comes back")
    first = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=1)["Messages"][0]
    start = time.monotonic()
    resp = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)
    elapsed = time.monotonic() - start
    assert [m["MessageId"] for m in resp.get("Messages", [])] == [first["MessageId"]]
    assert elapsed < 3.0, f"took {elapsed:.2f} s"


def test_long_poll_wakes_on_change_visibility(
    sqs: Any, queue: str, client_factory: ClientFactory
) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="released")
    held = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=300)["Messages"][0]
    other = client_factory()
    released: dict[str, float] = {}

    def release() -> None:
        time.sleep(0.5)
        other.change_message_visibility(
            QueueUrl=queue, ReceiptHandle=held["ReceiptHandle"], VisibilityTimeout=0
        )
        released["at"] = time.monotonic()

    thread = threading.Thread(target=release, name="releaser", daemon=True)
    thread.start()
    resp = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10)
    returned = time.monotonic()
    thread.join(timeout=15)
    other.close()
    assert "at" in released
    assert [m["MessageId"] for m in resp.get("Messages", [])] == [held["MessageId"]]
    assert returned - released["at"] < 2.0


def test_concurrent_long_polls_each_get_one_message(
    sqs: Any, queue: str, client_factory: ClientFactory
) -> None:
    pollers = 3
    results: dict[int, list[dict[str, Any]]] = {}
    returned: dict[int, float] = {}
    clients = [client_factory() for _ in range(pollers)]

    def poll(i: int) -> None:
        resp = clients[i].receive_message(QueueUrl=queue, WaitTimeSeconds=10)
        results[i] = resp.get("Messages", [])
        returned[i] = time.monotonic()

    threads = [threading.Thread(target=poll, args=(i,), daemon=True) for i in range(pollers)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # let the polls start waiting
    for i in range(pollers):
        sqs.send_message(QueueUrl=queue, MessageBody=f"for poller {i}")
    sent_at = time.monotonic()
    for t in threads:
        t.join(timeout=15)
    for c in clients:
        c.close()
    assert all(not t.is_alive() for t in threads)
    ids = [m["MessageId"] for msgs in results.values() for m in msgs]
    assert len(ids) == pollers == len(set(ids)), results
    assert all(len(msgs) == 1 for msgs in results.values())
    assert max(returned.values()) - sent_at < 2.0


@pytest.mark.parametrize("wait", [-1, 21])
def test_wait_time_out_of_range(sqs: Any, queue: str, wait: int) -> None:
    expect_error(
        sqs.receive_message, QueueUrl=queue, WaitTimeSeconds=wait, code="InvalidParameterValue"
    )


def test_long_poll_wakes_when_a_delete_unlocks_a_fifo_group(
    sqs: Any, make_queue: QueueMaker, client_factory: ClientFactory
) -> None:
    url = make_queue(fifo=True, attributes={"ContentBasedDeduplication": "true"})
    for body in ("first", "second"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    held = sqs.receive_message(QueueUrl=url, VisibilityTimeout=300)["Messages"][0]
    assert held["Body"] == "first"
    other = client_factory()
    deleted: dict[str, float] = {}

    def delete() -> None:
        time.sleep(0.5)
        other.delete_message(QueueUrl=url, ReceiptHandle=held["ReceiptHandle"])
        deleted["at"] = time.monotonic()

    thread = threading.Thread(target=delete, name="deleter", daemon=True)
    thread.start()
    # The group is locked by "first" until the delete; then "second" is deliverable at once.
    resp = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)
    returned = time.monotonic()
    thread.join(timeout=15)
    other.close()
    assert "at" in deleted
    assert [m["Body"] for m in resp.get("Messages", [])] == ["second"]
    assert returned - deleted["at"] < 2.0
