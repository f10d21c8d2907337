"""Two densho nodes on one PostgreSQL database: what a node keeps in memory stays true when the
other node changes it, and background work runs once for the pair.

Checked here: a queue's attribute and tag changes, and a topic's new subscription, made on one
node show on the other within the caches' bound (notifications, else a one-second reload); a
queue deleted on one node takes no more messages through the other (QueueDoesNotExist, no rows
left behind) and ends the other's long polls; PurgeQueue's once-a-minute rule holds across
nodes; a FIFO topic's SequenceNumbers never repeat across nodes; a message move task runs on one
node at a time (its rate holds with both nodes up) and the other carries it on after its node is
killed (``kill -9``); both nodes sign SNS messages with one key and serve one certificate.

Runs when ``postgresql`` is among ``DENSHO_TEST_STORES``; when it is and PostgreSQL is not
reachable the tests fail (``tests/support/pg.py``), they are never skipped.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.conftest import json_client, sns_client, unique_name
from tests.e2e.helpers import attributes, counts, expect_error, queue_arn, wait_until
from tests.support import pg
from tests.support.server import DenshoServer

pytestmark = [
    pytest.mark.timeout(90),
    pg.only_with_postgresql,
]

SEEN_WITHIN_S = 2.0  # another node's change shows within this (notification, else reload)
NON_EXISTENT = "AWS.SimpleQueueService.NonExistentQueue"
PURGE_IN_PROGRESS = "AWS.SimpleQueueService.PurgeQueueInProgress"


@dataclass
class Node:
    server: DenshoServer

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def sqs(self) -> Any:
        return json_client(self.endpoint)

    def sns(self) -> Any:
        return sns_client(self.endpoint)


@dataclass
class Pair:
    a: Node
    b: Node
    database: str

    def orphan_rows(self) -> int:
        """Message rows whose queue is gone (deleted in the background; none for long)."""

        async def count() -> int:
            conn = await asyncpg.connect(self.database, timeout=5)
            try:
                return int(
                    await conn.fetchval(
                        "SELECT count(*) FROM messages"
                        " WHERE queue_id NOT IN (SELECT id FROM queues)"
                    )
                )
            finally:
                await conn.close()

        return asyncio.run(count())


def _start_pair(base: Path, *, b_later: bool = False) -> tuple[Pair, list[DenshoServer]]:
    database = pg.create_database()
    servers = [
        DenshoServer(base / name, log_dir=base / f"{name}-logs", store=database)
        for name in ("A", "B")
    ]
    servers[0].start()
    if not b_later:
        servers[1].start()
    return Pair(Node(servers[0]), Node(servers[1]), database), servers


def _stop_pair(pair: Pair, servers: list[DenshoServer]) -> None:
    for server in servers:
        server.close()
    pg.drop_database(pair.database)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Nodes A and B on one fresh database, shared by the tests that stop neither."""
    made, servers = _start_pair(tmp_path_factory.mktemp("multi-node"))
    try:
        yield made
    finally:
        _stop_pair(made, servers)


# --- queues ---


def test_queue_changes_on_one_node_show_on_the_other(pair: Pair) -> None:
    a, b = pair.a.sqs(), pair.b.sqs()
    name = unique_name("changes")
    url = a.create_queue(QueueName=name)["QueueUrl"]
    url_b = b.get_queue_url(QueueName=name)["QueueUrl"]
    assert attributes(b, url_b, "VisibilityTimeout") == {"VisibilityTimeout": "30"}  # cached

    a.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "7"})
    wait_until(
        lambda: attributes(b, url_b, "VisibilityTimeout") == {"VisibilityTimeout": "7"},
        timeout=SEEN_WITHIN_S,
        interval=0.02,
        message="B sees A's SetQueueAttributes",
    )
    a.tag_queue(QueueUrl=url, Tags={"team": "blue"})
    wait_until(
        lambda: b.list_queue_tags(QueueUrl=url_b).get("Tags") == {"team": "blue"},
        timeout=SEEN_WITHIN_S,
        interval=0.02,
        message="B sees A's TagQueue",
    )
    a.delete_queue(QueueUrl=url)


def test_a_queue_deleted_on_one_node_takes_nothing_more_on_the_other(pair: Pair) -> None:
    a, b = pair.a.sqs(), pair.b.sqs()
    name = unique_name("deleted")
    url = a.create_queue(QueueName=name)["QueueUrl"]
    url_b = b.get_queue_url(QueueName=name)["QueueUrl"]
    b.send_message(QueueUrl=url_b, MessageBody="before")  # B knows the queue

    # B sends as fast as it can while A deletes the queue: every send either went in before
    # the delete (and goes with the queue's rows) or is refused; nothing is left behind.
    refused: list[str] = []
    sender_b = pair.b.sqs()
    started = threading.Event()

    def send_until_refused() -> None:
        for i in range(2_000):  # bounded
            try:
                sender_b.send_message_batch(
                    QueueUrl=url_b,
                    Entries=[{"Id": str(j), "MessageBody": f"{i}-{j}"} for j in range(10)],
                )
            except ClientError as exc:
                refused.append(exc.response["Error"]["Code"])
                return
            started.set()

    sender = threading.Thread(target=send_until_refused, name="sender-b", daemon=True)
    sender.start()
    assert started.wait(10)
    a.delete_queue(QueueUrl=url)
    sender.join(timeout=30)
    assert refused == [NON_EXISTENT]
    expect_error(b.send_message, QueueUrl=url_b, MessageBody="after", code=NON_EXISTENT)
    # The queue's rows are deleted in the background, and no send adds one after the delete.
    wait_until(lambda: pair.orphan_rows() == 0, timeout=20, interval=0.1)


def test_a_long_poll_ends_when_another_node_deletes_its_queue(pair: Pair) -> None:
    a, b = pair.a.sqs(), pair.b.sqs()
    name = unique_name("deleted-polled")
    url = a.create_queue(QueueName=name)["QueueUrl"]
    url_b = b.get_queue_url(QueueName=name)["QueueUrl"]
    poll: dict[str, Any] = {}

    def long_poll() -> None:
        try:
            b.receive_message(QueueUrl=url_b, WaitTimeSeconds=20)
            poll["code"] = "answered"
        except ClientError as exc:
            poll["code"] = exc.response["Error"]["Code"]
        poll["at"] = time.monotonic()

    poller = threading.Thread(target=long_poll, name="poller-b", daemon=True)
    poller.start()
    time.sleep(0.5)  # the poll waits on B
    a.delete_queue(QueueUrl=url)
    deleted_at = time.monotonic()
    poller.join(timeout=25)
    # As when the queue is deleted on the poll's own node: at once, QueueDoesNotExist.
    assert poll["code"] == NON_EXISTENT
    assert poll["at"] - deleted_at < SEEN_WITHIN_S


def test_purge_once_a_minute_across_nodes(pair: Pair) -> None:
    a, b = pair.a.sqs(), pair.b.sqs()
    name = unique_name("purge")
    url = a.create_queue(QueueName=name)["QueueUrl"]
    url_b = b.get_queue_url(QueueName=name)["QueueUrl"]
    b.send_message(QueueUrl=url_b, MessageBody="m")  # B knows the queue, never purged
    a.purge_queue(QueueUrl=url)
    expect_error(b.purge_queue, QueueUrl=url_b, code=PURGE_IN_PROGRESS, status=403)

    # Two purges at once, one through each node: one of them purges.
    url = a.create_queue(QueueName=unique_name("purge-race"))["QueueUrl"]
    clients = [pair.a.sqs(), pair.b.sqs()]
    outcomes: list[str] = []
    gate = threading.Barrier(2)

    def purge(client: Any) -> None:
        gate.wait(5)
        try:
            client.purge_queue(QueueUrl=url)
            outcomes.append("purged")
        except ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])

    threads = [threading.Thread(target=purge, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    assert sorted(outcomes) == sorted(["purged", PURGE_IN_PROGRESS])


# --- topics ---


def test_fifo_topic_sequence_numbers_never_repeat_across_nodes(pair: Pair) -> None:
    sns_a, sns_b = pair.a.sns(), pair.b.sns()
    topic = sns_a.create_topic(
        Name=unique_name("seq", suffix=".fifo"), Attributes={"FifoTopic": "true"}
    )["TopicArn"]
    queue = pair.a.sqs().create_queue(
        QueueName=unique_name("seq", suffix=".fifo"), Attributes={"FifoQueue": "true"}
    )["QueueUrl"]
    sns_a.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(queue.rsplit("/", 1)[-1]))

    def publish(client: Any, i: int) -> int:
        got = client.publish(
            TopicArn=topic,
            Message=f"m{i}",
            MessageGroupId=f"g{i % 3}",
            MessageDeduplicationId=str(i),
        )
        return int(got["SequenceNumber"])

    one_by_one = [publish(sns_a if i % 2 == 0 else sns_b, i) for i in range(20)]
    assert one_by_one == sorted(set(one_by_one))  # strictly increasing, through either node

    clients = [pair.a.sns() if t % 2 == 0 else pair.b.sns() for t in range(4)]
    numbers: list[list[int]] = [[] for _ in clients]

    def publisher(t: int) -> None:
        for i in range(10):
            numbers[t].append(publish(clients[t], 100 + t * 10 + i))

    threads = [threading.Thread(target=publisher, args=(t,), daemon=True) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    together = [n for ns in numbers for n in ns]
    assert len(together) == 40 and len(set(together)) == 40  # unique across nodes
    assert all(ns == sorted(ns) for ns in numbers)  # increasing for each publisher
    assert min(together) > max(one_by_one)
    wait_until(lambda: counts(pair.a.sqs(), queue)[0] == 60, message="60 deliveries")


def test_a_subscription_made_on_one_node_is_delivered_by_the_other(pair: Pair) -> None:
    sns_a, sns_b = pair.a.sns(), pair.b.sns()
    sqs = pair.a.sqs()
    topic = sns_a.create_topic(Name=unique_name("subs"))["TopicArn"]
    first = sqs.create_queue(QueueName=unique_name("subs-1"))["QueueUrl"]
    second = sqs.create_queue(QueueName=unique_name("subs-2"))["QueueUrl"]
    for url in (first, second):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})
    sns_a.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(first.rsplit("/", 1)[-1]))
    sns_b.publish(TopicArn=topic, Message="one")  # B caches the topic's subscriptions
    assert counts(sqs, first)[0] == 1
    sns_a.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(second.rsplit("/", 1)[-1]))

    def reached() -> bool:
        sns_b.publish(TopicArn=topic, Message="again")
        return counts(sqs, second)[0] > 0

    wait_until(
        reached, timeout=SEEN_WITHIN_S, interval=0.05, message="B delivers to A's new subscription"
    )


def test_both_nodes_sign_with_one_key(pair: Pair) -> None:
    topic = pair.a.sns().create_topic(Name=unique_name("signed"))["TopicArn"]
    sqs = pair.a.sqs()
    url = sqs.create_queue(QueueName=unique_name("signed"))["QueueUrl"]
    pair.a.sns().subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(url.rsplit("/", 1)[-1])
    )
    for node in (pair.a, pair.b):
        node.sns().publish(TopicArn=topic, Message=f"from {node.endpoint}")
    docs: list[dict[str, str]] = []
    for _ in range(10):  # bounded
        docs.extend(
            json.loads(m["Body"])
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        )
        if len(docs) == 2:
            break
    assert len(docs) == 2
    paths = {doc["SigningCertURL"].split("/_densho/", 1)[1] for doc in docs}
    assert len(paths) == 1  # one certificate, at the same path on every node
    (path,) = paths
    pems = {_get(f"{node.endpoint}/_densho/{path}") for node in (pair.a, pair.b)}
    assert len(pems) == 1
    key = x509.load_pem_x509_certificate(pems.pop()).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    for doc in docs:  # each node's signature verifies against the certificate either serves
        canonical = "".join(
            f"{k}\n{doc[k]}\n"
            for k in ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
            if k in doc
        )
        key.verify(
            base64.b64decode(doc["Signature"]),
            canonical.encode(),
            padding.PKCS1v15(),
            hashes.SHA1(),
        )


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        body: bytes = response.read()
        return body


# --- message move tasks ---

MOVE_RATE = 30  # messages a second
MOVE_COUNT = 200


def test_a_move_task_runs_on_one_node_and_the_other_carries_it_on(tmp_path: Path) -> None:
    made, servers = _start_pair(tmp_path, b_later=True)
    try:
        _move_on_one_node_then_the_other(made, servers)
    finally:
        _stop_pair(made, servers)


def _move_on_one_node_then_the_other(pair: Pair, servers: list[DenshoServer]) -> None:
    a = pair.a.sqs()
    dlq = a.create_queue(QueueName=unique_name("move-dlq"))["QueueUrl"]
    dlq_arn = queue_arn(dlq.rsplit("/", 1)[-1])
    policy = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}
    a.create_queue(
        QueueName=unique_name("move-src"), Attributes={"RedrivePolicy": json.dumps(policy)}
    )
    dest = a.create_queue(QueueName=unique_name("move-dest"))["QueueUrl"]
    for start in range(0, MOVE_COUNT, 10):
        a.send_message_batch(
            QueueUrl=dlq,
            Entries=[{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)],
        )
    a.start_message_move_task(
        SourceArn=dlq_arn,
        DestinationArn=queue_arn(dest.rsplit("/", 1)[-1]),
        MaxNumberOfMessagesPerSecond=MOVE_RATE,
    )
    servers[1].start()  # B starts while A runs the task: B must not run it too
    b = pair.b.sqs()

    def moved() -> tuple[int, str]:
        (task,) = b.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
        return int(task["ApproximateNumberOfMessagesMoved"]), str(task["Status"])

    first, _ = moved()
    began = time.monotonic()
    time.sleep(2.0)
    second, status = moved()
    elapsed = time.monotonic() - began
    assert status == "RUNNING"
    # One runner: the rate holds (two runners would move about twice as many).
    assert MOVE_RATE * elapsed * 0.5 <= second - first <= MOVE_RATE * elapsed * 1.25 + 6
    servers[0].kill9()
    killed = time.monotonic()
    at_kill, _ = moved()
    # B adopts the task once A's lease runs out (5 s) at its next look (every 2 s).
    wait_until(lambda: moved()[0] > at_kill + 3, timeout=15, message="B carries the task on")
    assert time.monotonic() - killed < 12
    done = wait_until(
        lambda: moved()[1] == "COMPLETED" or None,
        timeout=(MOVE_COUNT / MOVE_RATE) + 10,
        interval=0.2,
        message="the task completes on B",
    )
    assert done
    assert moved()[0] == MOVE_COUNT
    assert counts(b, dest) == (MOVE_COUNT, 0, 0)  # every message once: none lost, none twice
    assert counts(b, dlq) == (0, 0, 0)
