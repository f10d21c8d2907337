"""Encryption at rest, seen from outside: real boto3 against the real server, then the raw bytes
of the store — every file of the data directory (database, WAL, shared memory) on SQLite, every
table's rows as text on PostgreSQL.

The promise: a marker sent to a queue with SSE (SQS-managed, AWS's default, or a
KmsMasterKeyId) or published to a topic with a KmsMasterKeyId is nowhere in the store, yet is
received intact; a queue with SqsManagedSseEnabled=false still stores it as sent (which proves
the scan would see it). A restart with the same key reads old messages, another key is refused,
and a database written before encryption existed keeps its messages readable.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import ServerFactory, json_client, servers_on, sns_client
from tests.e2e.helpers import expect_error
from tests.support import pg
from tests.support.server import DenshoServer, ServerError
from tests.support.sns_endpoints import HttpSubscriber

pytestmark = pytest.mark.timeout(120)


def _marker() -> str:
    return f"MARKER-{uuid.uuid4().hex}"


def _key_file(path: Path) -> Path:
    path.write_text(base64.b64encode(os.urandom(32)).decode() + "\n")
    path.chmod(0o600)
    return path


def _server(new_server: ServerFactory, tmp_path: Path) -> DenshoServer:
    """A server of the test's own. PostgreSQL nodes have no key of their own: they get one."""
    server = new_server()
    if server.store is not None:
        server.extra_args = ("--master-key-file", str(_key_file(tmp_path / "shared.key")))
    return server.start()


async def _pg_text(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        tables = [
            r[0]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        out = []
        for table in tables:
            out += [r[0] for r in await conn.fetch(f'SELECT t::text FROM "{table}" t')]
        return "\n".join(out)
    finally:
        await conn.close()


def stored_bytes(server: DenshoServer) -> bytes:
    """Everything the store holds, read now: each file of the data directory, or (PostgreSQL)
    each table's rows as text."""
    if server.store is not None:
        return asyncio.run(_pg_text(server.store)).encode()
    return b"".join(p.read_bytes() for p in sorted(server.data_dir.rglob("*")) if p.is_file())


def holds(server: DenshoServer, marker: str) -> bool:
    """Whether the store holds ``marker`` as text, or as hex (PostgreSQL's text form of bytea)."""
    data = stored_bytes(server)
    return marker.encode() in data or marker.encode().hex().encode() in data


def _send(sqs: Any, url: str, marker: str) -> None:
    sqs.send_message(
        QueueUrl=url,
        MessageBody=f"body {marker}",
        MessageAttributes={
            "s": {"DataType": "String", "StringValue": f"attr {marker}"},
            "b": {"DataType": "Binary", "BinaryValue": f"bin {marker}".encode()},
        },
    )


def _receive_one(sqs: Any, url: str) -> dict[str, Any]:
    got = sqs.receive_message(
        QueueUrl=url, MessageAttributeNames=["All"], WaitTimeSeconds=5, VisibilityTimeout=0
    )["Messages"]
    assert len(got) == 1
    message: dict[str, Any] = got[0]
    return message


def _assert_intact(message: dict[str, Any], marker: str) -> None:
    # botocore has checked MD5OfBody and MD5OfMessageAttributes against what it received.
    assert message["Body"] == f"body {marker}"
    assert message["MessageAttributes"]["s"]["StringValue"] == f"attr {marker}"
    assert message["MessageAttributes"]["b"]["BinaryValue"] == f"bin {marker}".encode()


def test_sse_queues_keep_no_plaintext_yet_messages_arrive_intact(
    new_server: ServerFactory, tmp_path: Path
) -> None:
    server = _server(new_server, tmp_path)
    sqs = json_client(server.endpoint)
    default = sqs.create_queue(QueueName="sse-default")["QueueUrl"]
    kms = sqs.create_queue(QueueName="sse-kms", Attributes={"KmsMasterKeyId": "alias/x"})[
        "QueueUrl"
    ]
    plain = sqs.create_queue(QueueName="plain", Attributes={"SqsManagedSseEnabled": "false"})[
        "QueueUrl"
    ]
    fifo = sqs.create_queue(
        QueueName="sse.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    markers = {url: _marker() for url in (default, kms, plain)}
    for url, marker in markers.items():
        _send(sqs, url, marker)
    fifo_marker = _marker()
    sqs.send_message(QueueUrl=fifo, MessageBody=f"body {fifo_marker}", MessageGroupId="g")

    assert not holds(server, markers[default])
    assert not holds(server, markers[kms])
    assert not holds(server, fifo_marker)
    assert holds(server, markers[plain])  # the scan does see what is stored as sent

    for url, marker in markers.items():
        _assert_intact(_receive_one(sqs, url), marker)
    fifo_got = sqs.receive_message(QueueUrl=fifo, WaitTimeSeconds=5)["Messages"]
    assert [m["Body"] for m in fifo_got] == [f"body {fifo_marker}"]


def test_restart_with_the_same_key_reads_old_messages_and_another_key_is_refused(
    new_server: ServerFactory, tmp_path: Path
) -> None:
    server = _server(new_server, tmp_path)
    sqs = json_client(server.endpoint)
    url = sqs.create_queue(QueueName="sse-restart")["QueueUrl"]
    marker = _marker()
    _send(sqs, url, marker)
    server.restart()
    sqs = json_client(server.endpoint)
    _assert_intact(_receive_one(sqs, url), marker)

    server.stop()
    server.extra_args = ("--master-key-file", str(_key_file(tmp_path / "other.key")))
    with pytest.raises(ServerError, match="not the one this database's messages were encrypted"):
        server.start()


def test_a_lost_key_file_is_refused_not_replaced(tmp_path: Path) -> None:
    # SQLite's own key file (a PostgreSQL store has none), so on SQLite whatever the run's stores.
    with servers_on("sqlite", tmp_path) as make:
        _lost_key_file(make())


def _lost_key_file(server: DenshoServer) -> None:
    server.start()
    sqs = json_client(server.endpoint)
    url = sqs.create_queue(QueueName="sse-lost")["QueueUrl"]
    _send(sqs, url, _marker())
    server.stop()
    key = server.data_dir / "master.key"
    assert key.stat().st_mode & 0o777 == 0o600
    key.unlink()
    with pytest.raises(ServerError, match=r"master\.key is missing"):
        server.start()
    assert not key.exists()


def _make_pre_encryption(server: DenshoServer) -> None:
    """Turn the stopped server's store into what a densho without encryption left: schema
    without the sealing tables, no key, and plaintext rows in a queue that is SSE now."""
    if server.store is None:
        (server.data_dir / "master.key").unlink()
        conn = sqlite3.connect(server.data_dir / "densho.db")
        conn.executescript(
            "DROP TABLE data_keys; DROP TABLE sealing_master;"
            " UPDATE queues SET"
            " attributes = json_set(attributes, '$.SqsManagedSseEnabled', 'true');"
            " PRAGMA user_version = 4;"
        )
        conn.close()
        return

    async def pg(url: str) -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                "DROP TABLE data_keys; DROP TABLE sealing_master;"
                " DELETE FROM densho_schema_migrations WHERE version = 6;"
                " UPDATE queues SET attributes ="
                ' (attributes::jsonb || \'{"SqsManagedSseEnabled": "true"}\')::text;'
            )
        finally:
            await conn.close()

    asyncio.run(pg(server.store))


def test_a_database_from_before_encryption_stays_readable(
    new_server: ServerFactory, tmp_path: Path
) -> None:
    server = _server(new_server, tmp_path)
    sqs = json_client(server.endpoint)
    url = sqs.create_queue(QueueName="old", Attributes={"SqsManagedSseEnabled": "false"})[
        "QueueUrl"
    ]
    old = _marker()
    _send(sqs, url, old)
    server.stop()
    _make_pre_encryption(server)
    server.start()
    sqs = json_client(server.endpoint)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["SqsManagedSseEnabled"] == "true"
    new = _marker()
    _send(sqs, url, new)
    assert holds(server, old)  # the old row, as it was
    assert not holds(server, new)
    got = sqs.receive_message(
        QueueUrl=url, MessageAttributeNames=["All"], MaxNumberOfMessages=10, WaitTimeSeconds=2
    )["Messages"]
    by_body = {m["Body"]: m for m in got}
    assert set(by_body) == {f"body {old}", f"body {new}"}
    _assert_intact(by_body[f"body {old}"], old)
    _assert_intact(by_body[f"body {new}"], new)


def test_sns_topic_with_a_key_keeps_its_http_outbox_sealed(
    new_server: ServerFactory, tmp_path: Path
) -> None:
    server = _server(new_server, tmp_path)
    sns = sns_client(server.endpoint)
    subscriber = HttpSubscriber()
    try:
        topic = sns.create_topic(Name="sealed", Attributes={"KmsMasterKeyId": "alias/topic"})[
            "TopicArn"
        ]
        path = "/sub"
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=subscriber.url + path)
        (confirmation,) = subscriber.wait_for(path, "SubscriptionConfirmation")
        token = json.loads(confirmation.body)["Token"]
        sns.confirm_subscription(TopicArn=topic, Token=token)
        held = subscriber.hold(path)  # the delivery waits: its outbox row stays
        marker = _marker()
        sns.publish(
            TopicArn=topic,
            Message=f"message {marker}",
            Subject=f"subject-{marker}",
            MessageAttributes={"a": {"DataType": "String", "StringValue": f"attr {marker}"}},
        )
        subscriber.wait_for(path, "Notification")
        assert not holds(server, marker)
        held.set()
        (notification,) = subscriber.wait_for(path, "Notification")
        document = json.loads(notification.body)
        assert document["Message"] == f"message {marker}"
        assert document["Subject"] == f"subject-{marker}"
        assert document["MessageAttributes"]["a"]["Value"] == f"attr {marker}"
    finally:
        subscriber.close()


@pg.only_with_postgresql
def test_postgresql_without_a_key_warns_and_stores_as_sent(tmp_path: Path) -> None:
    # PostgreSQL's case alone (SQLite creates its key), whatever the store of this half.
    with servers_on("postgresql", tmp_path) as make:
        _postgresql_without_a_key(make())


def _postgresql_without_a_key(server: DenshoServer) -> None:
    server.start()
    sqs = json_client(server.endpoint)
    url = sqs.create_queue(QueueName="no-key")["QueueUrl"]
    marker = _marker()
    _send(sqs, url, marker)
    assert holds(server, marker)
    _assert_intact(_receive_one(sqs, url), marker)
    server.stop()
    logs = "".join(p.read_text() for p in server.log_dir.glob("densho-*.stderr.log"))
    assert logs.count("NOT encrypted at rest") == 1


def test_one_sse_type_at_a_time(sqs: Any, queue: str) -> None:
    both = {"KmsMasterKeyId": "alias/x", "SqsManagedSseEnabled": "true"}
    error = expect_error(
        sqs.set_queue_attributes, QueueUrl=queue, Attributes=both, code="InvalidAttributeValue"
    )
    assert "one type of server-side encryption" in error["Error"]["Message"]
    expect_error(
        sqs.create_queue,
        QueueName=f"both-{uuid.uuid4().hex[:8]}",
        Attributes=both,
        code="InvalidAttributeValue",
    )
