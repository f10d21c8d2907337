"""Counts and purges of a queue with a backlog, on both wire protocols and both stores: the
Approximate* counters are kept, not counted; PurgeQueue answers at once and deletes its rows in
the background, never delivering nor counting one meanwhile, and never purging a message that
arrives after it — one sent later, or one a dead-letter move brings in later. DeleteQueue
answers at once too, its rows deleted in the background.

AWS references: API Reference PurgeQueue ("The message deletion process takes up to 60
seconds"; "Messages sent to the queue before you call PurgeQueue might be received but are
deleted within the next minute. Messages sent to the queue after you call PurgeQueue might be
deleted while the queue is being purged" — densho keeps them).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import Any

import asyncpg

from tests.e2e.helpers import (
    counts,
    expect_error,
    queue_arn,
    queue_name_of,
    receive_n,
    wait_counts,
    wait_until,
)
from tests.support.server import DenshoServer

BACKLOG = 3_000
NON_EXISTENT = "AWS.SimpleQueueService.NonExistentQueue"
DELETED_RECENTLY = "AWS.SimpleQueueService.QueueDeletedRecently"


def _fill(sqs: Any, url: str, count: int, prefix: str) -> None:
    for start in range(0, count, 10):
        entries = [
            {"Id": str(i), "MessageBody": f"{prefix}-{start + i}"}
            for i in range(min(10, count - start))
        ]
        answer = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        assert not answer.get("Failed")


def test_counts_of_a_backlog_follow_every_change(sqs: Any, make_queue: Any) -> None:
    url = make_queue()
    _fill(sqs, url, BACKLOG, "m")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    assert counts(sqs, url) == (BACKLOG, 0, 1)
    got = receive_n(sqs, url, 10, VisibilityTimeout=60)
    assert counts(sqs, url) == (BACKLOG - 10, 10, 1)
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got[:4])]
    sqs.delete_message_batch(QueueUrl=url, Entries=entries)
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=got[4]["ReceiptHandle"], VisibilityTimeout=0
    )
    assert counts(sqs, url) == (BACKLOG - 10 + 1, 5, 1)


def test_purge_of_a_backlog_answers_at_once_and_keeps_what_comes_after(
    sqs: Any, make_queue: Any
) -> None:
    url = make_queue()
    _fill(sqs, url, BACKLOG, "old")
    receive_n(sqs, url, 3, VisibilityTimeout=60)  # in flight: purged too
    sqs.purge_queue(QueueUrl=url)
    # Nothing of the purge is counted or delivered from the moment it answered.
    assert counts(sqs, url) == (0, 0, 0)
    sqs.send_message(QueueUrl=url, MessageBody="new")
    assert counts(sqs, url) == (1, 0, 0)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    assert [m["Body"] for m in got.get("Messages", [])] == ["new"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got["Messages"][0]["ReceiptHandle"])
    wait_counts(sqs, url, (0, 0, 0), timeout=5)


def test_a_purged_dead_letter_queue_keeps_messages_moved_into_it_later(
    sqs: Any, make_queue: Any
) -> None:
    dlq = make_queue()
    policy = {"deadLetterTargetArn": queue_arn(queue_name_of(dlq)), "maxReceiveCount": 1}
    source = make_queue(attributes={"RedrivePolicy": json.dumps(policy)})
    sqs.send_message(QueueUrl=source, MessageBody="sent before the purge")
    _fill(sqs, dlq, 50, "purged")
    receive_n(sqs, source, 1, VisibilityTimeout=0)
    sqs.purge_queue(QueueUrl=dlq)
    # The second receive moves the message (sent before the purge) to the purged queue.
    assert sqs.receive_message(QueueUrl=source).get("Messages", []) == []
    assert counts(sqs, dlq) == (1, 0, 0)
    got = receive_n(sqs, dlq, 1)
    assert [m["Body"] for m in got] == ["sent before the purge"]


def test_a_deleted_backlog_is_gone_at_once_and_its_rows_soon_after(
    sqs: Any, admin_sqs: Any, make_queue: Any, densho_server: DenshoServer
) -> None:
    url = make_queue()
    _fill(sqs, url, BACKLOG, "d")  # more than one chunk of the background deletion
    receive_n(sqs, url, 3, VisibilityTimeout=60)  # in flight: deleted too
    name = queue_name_of(url)
    queue_id = _db_value(densho_server, "SELECT id FROM queues WHERE name = {}", name)
    admin_sqs.delete_queue(QueueUrl=url)
    assert sqs.list_queues(QueueNamePrefix=name).get("QueueUrls", []) == []
    expect_error(sqs.get_queue_url, QueueName=name, code=NON_EXISTENT)
    # AWS: "you must wait at least 60 seconds before creating a queue with the same name".
    expect_error(sqs.create_queue, QueueName=name, code=DELETED_RECENTLY)
    # Its own rows (the session's server may still be deleting other tests' queues), within the
    # minute AWS gives a deletion.
    count = "SELECT count(*) FROM messages WHERE queue_id = {}"
    wait_until(lambda: _db_value(densho_server, count, queue_id) == 0, timeout=60, interval=0.2)


def _db_value(server: DenshoServer, query: str, param: int | str) -> int:
    """One integer read in the server's database itself; ``{}`` in ``query`` is the parameter."""
    if server.store is None:
        conn = sqlite3.connect(f"file:{server.data_dir / 'densho.db'}?mode=ro", uri=True)
        try:
            return int(conn.execute(query.format("?"), (param,)).fetchone()[0])
        finally:
            conn.close()

    async def read(url: str) -> int:
        conn = await asyncpg.connect(url)
        try:
            return int(await conn.fetchval(query.format("$1"), param))
        finally:
            await conn.close()

    return asyncio.run(read(server.store))
