"""The throwaway store, ``--store memory`` (and ``sqlite://:memory:``): the same server and the
same SQLite code, in memory, with nothing on disk.

Checked with a real workload over JSON and Query (batches, FIFO order and deduplication,
encrypted messages — every queue is SSE by default, sealed with a key that lives in memory —,
redrive to a dead-letter queue, a long poll woken by a send, an SNS fan-out signed with a key
made in memory, and the metrics' gauges, which read through the store's view path): the data
directory stays empty, the process holds no file open but its own program's, and no fdatasync
process is started. A restart starts empty: the store dies with the process, by design (the
durability tests do not apply to it).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SqsClient, make_client, sns_client
from tests.e2e.test_metrics import INTERVAL, eventually, gauges
from tests.support.server import DenshoServer

pytestmark = pytest.mark.timeout(90)
ARN = "arn:aws:sqs:us-east-1:000000000000:"


def test_a_real_workload_runs_in_memory_and_writes_nothing(protocol: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with DenshoServer(data, log_dir=tmp_path, store="memory", extra_args=INTERVAL) as server:
        endpoint = server.endpoint
        sqs = make_client(protocol, endpoint)
        _batches(sqs)
        _fifo(sqs)
        _redrive(sqs)
        _long_poll(sqs)
        _sns_fan_out(sqs, endpoint)
        # The metrics' gauges read every queue through the store's view path.
        eventually(lambda: gauges(endpoint, "inbox"), (1.0, 1.0, 0.0))
        assert _open_files(server.pid) == []
        assert not any("densho.storage.syncer" in c for c in _children(server.pid))
    assert list(data.iterdir()) == []


@pytest.mark.parametrize("url", ["memory", "sqlite://:memory:"])
def test_a_restart_starts_empty(url: str, tmp_path: Path) -> None:
    with DenshoServer(tmp_path / "data", log_dir=tmp_path, store=url) as server:
        sqs = make_client("json", server.endpoint)
        queue = sqs.create_queue(QueueName="kept-nowhere")["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody="gone with the process")
        assert len(sqs.list_queues()["QueueUrls"]) == 1
        server.restart()
        assert "QueueUrls" not in make_client("json", server.endpoint).list_queues()
    assert list((tmp_path / "data").iterdir()) == []


def _batches(sqs: SqsClient) -> None:
    queue = sqs.create_queue(QueueName="work")["QueueUrl"]
    for batch in range(20):
        entries = [{"Id": str(i), "MessageBody": f"{batch}-{i}"} for i in range(10)]
        assert len(sqs.send_message_batch(QueueUrl=queue, Entries=entries)["Successful"]) == 10
    seen: set[str] = set()
    for _ in range(100):  # bounded: 200 messages, up to 10 a receive
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            break
        seen.update(m["Body"] for m in got)
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
        assert len(sqs.delete_message_batch(QueueUrl=queue, Entries=entries)["Successful"]) == len(
            got
        )
    assert seen == {f"{b}-{i}" for b in range(20) for i in range(10)}
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    counts = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"]
    assert counts == dict.fromkeys(names, "0")


def _fifo(sqs: SqsClient) -> None:
    queue = sqs.create_queue(QueueName="orders.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    for body, dedup in (("one", "a"), ("two", "b"), ("one again", "a"), ("three", "c")):
        sqs.send_message(
            QueueUrl=queue, MessageBody=body, MessageGroupId="g", MessageDeduplicationId=dedup
        )
    got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["one", "two", "three"]


def _redrive(sqs: SqsClient) -> None:
    dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": ARN + "dead", "maxReceiveCount": 1})
    queue = sqs.create_queue(
        QueueName="flaky", Attributes={"RedrivePolicy": policy, "VisibilityTimeout": "0"}
    )["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="poison")
    assert len(sqs.receive_message(QueueUrl=queue)["Messages"]) == 1
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)  # moved, not served again
    assert sqs.receive_message(QueueUrl=dlq)["Messages"][0]["Body"] == "poison"


def _long_poll(sqs: SqsClient) -> None:
    queue = sqs.create_queue(QueueName="waiting")["QueueUrl"]
    answered: list[Any] = []
    started = time.monotonic()
    waiter = threading.Thread(
        target=lambda: answered.append(sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10))
    )
    waiter.start()
    time.sleep(0.3)
    sqs.send_message(QueueUrl=queue, MessageBody="wake up")
    waiter.join(timeout=15)
    assert answered and answered[0]["Messages"][0]["Body"] == "wake up"
    assert time.monotonic() - started < 5


def _sns_fan_out(sqs: SqsClient, endpoint: str) -> None:
    sns = sns_client(endpoint)
    inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    topic = sns.create_topic(Name="events")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=ARN + "inbox")
    sns.publish(TopicArn=topic, Message="hello")
    envelope = json.loads(sqs.receive_message(QueueUrl=inbox)["Messages"][0]["Body"])
    assert envelope["Message"] == "hello" and envelope["Signature"]
    sqs.send_message(QueueUrl=inbox, MessageBody="for the gauge")  # 1 visible, 1 in flight


def _open_files(pid: int) -> list[str]:
    """Files (not sockets, pipes or devices) the process holds open, but its standard streams
    (the test's log files)."""
    fd_dir = Path(f"/proc/{pid}/fd")
    found = []
    for fd in os.listdir(fd_dir):
        if int(fd) <= 2:
            continue
        try:
            target = os.readlink(fd_dir / fd)
        except FileNotFoundError:  # closed meanwhile
            continue
        if target.startswith("/") and not target.startswith(("/dev/", "/proc/")):
            found.append(target)
    return found


def _children(pid: int) -> list[str]:
    """The command lines of the process's children."""
    lines = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            raw = Path(f"/proc/{child}/cmdline").read_bytes()
            lines.append(raw.replace(b"\0", b" ").decode())
    return lines
