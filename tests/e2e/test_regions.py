"""Queues and topics are regional, as in AWS, on the real server over both SQS protocols and
both stores: a queue belongs to one account and one region (the region of the request's
signature), so the same name in two regions is two queues with their own attributes and
messages; GetQueueUrl, ListQueues, ListTopics and ListSubscriptions answer for the caller's
region; a queue URL used from another region names no queue; an ARN names its region
(an SNS topic delivers to a queue of another region; a RedrivePolicy's dead-letter queue must be
in the source's region; a move task's SourceArn); the 60 s name hold after DeleteQueue is per
region, and so is a reset's; declared queues and topics carry their region; the console's and
LocalStack's endpoints find a queue by its region; two PostgreSQL nodes cache each region's
queue apart; and a store written before regions (SQLite schema 7, PostgreSQL migration 8) keeps
each queue in its region."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import (
    ACCOUNT_ID,
    REGION,
    ServerFactory,
    aws_client,
    make_client,
    server_with_config,
    unique_name,
)
from tests.e2e.helpers import attributes, expect_error, receive_one
from tests.support import pg
from tests.support.server import DenshoServer

pytestmark = pytest.mark.timeout(120)

OTHER = "eu-central-1"  # the second region; REGION (us-east-1) is the server's default
NOT_FOUND = "AWS.SimpleQueueService.NonExistentQueue"


def _sqs(protocol: str, endpoint: str, region: str) -> Any:
    return make_client(protocol, endpoint, region)


def _arn(region: str, name: str) -> str:
    return f"arn:aws:sqs:{region}:{ACCOUNT_ID}:{name}"


def _bodies(sqs: Any, url: str) -> list[str]:
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return sorted(m["Body"] for m in got.get("Messages", []))


def test_the_same_name_in_two_regions_is_two_queues(protocol: str, endpoint: str) -> None:
    here, there = _sqs(protocol, endpoint, REGION), _sqs(protocol, endpoint, OTHER)
    name = unique_name("twin")
    url_there = there.create_queue(QueueName=name)["QueueUrl"]
    # AWS's answer before: QueueAlreadyExists; now a second queue, whatever its attributes.
    url_here = here.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "20"})["QueueUrl"]
    try:
        # The URL's path is /account/name in both (AWS's host carries the region).
        assert url_here == url_there
        assert here.get_queue_url(QueueName=name)["QueueUrl"] == url_here
        assert there.get_queue_url(QueueName=name)["QueueUrl"] == url_there
        assert attributes(here, url_here)["VisibilityTimeout"] == "20"
        assert attributes(there, url_there)["VisibilityTimeout"] == "30"
        assert attributes(here, url_here, "QueueArn")["QueueArn"] == _arn(REGION, name)
        assert attributes(there, url_there, "QueueArn")["QueueArn"] == _arn(OTHER, name)
        there.send_message(QueueUrl=url_there, MessageBody="in eu")
        here.send_message(QueueUrl=url_here, MessageBody="in us")
        assert _bodies(here, url_here) == ["in us"]
        assert _bodies(there, url_there) == ["in eu"]
        # Idempotent in its own region: the same attributes give the same queue back.
        assert there.create_queue(QueueName=name)["QueueUrl"] == url_there
    finally:
        here.delete_queue(QueueUrl=url_here)
        there.delete_queue(QueueUrl=url_there)
    # Deleting one region's queue left the other alone until its own delete.
    expect_error(here.get_queue_url, QueueName=name, code=NOT_FOUND)


def test_a_queue_of_another_region_does_not_exist_here(protocol: str, endpoint: str) -> None:
    here, there = _sqs(protocol, endpoint, REGION), _sqs(protocol, endpoint, OTHER)
    name = unique_name("elsewhere")
    url = there.create_queue(QueueName=name)["QueueUrl"]
    try:
        expect_error(here.get_queue_url, QueueName=name, code=NOT_FOUND)
        expect_error(
            here.get_queue_attributes, QueueUrl=url, AttributeNames=["All"], code=NOT_FOUND
        )
        expect_error(here.send_message, QueueUrl=url, MessageBody="x", code=NOT_FOUND)
        expect_error(here.delete_queue, QueueUrl=url, code=NOT_FOUND)
        assert there.get_queue_url(QueueName=name)["QueueUrl"] == url  # still there
    finally:
        there.delete_queue(QueueUrl=url)


def test_list_queues_shows_the_callers_region(protocol: str, endpoint: str) -> None:
    here, there = _sqs(protocol, endpoint, REGION), _sqs(protocol, endpoint, OTHER)
    prefix = unique_name("listed")
    mine = here.create_queue(QueueName=f"{prefix}-us")["QueueUrl"]
    theirs = there.create_queue(QueueName=f"{prefix}-eu")["QueueUrl"]
    try:
        assert here.list_queues(QueueNamePrefix=prefix)["QueueUrls"] == [mine]
        assert there.list_queues(QueueNamePrefix=prefix)["QueueUrls"] == [theirs]
    finally:
        here.delete_queue(QueueUrl=mine)
        there.delete_queue(QueueUrl=theirs)


def test_a_deleted_name_is_held_in_its_region_only(protocol: str, endpoint: str) -> None:
    here, there = _sqs(protocol, endpoint, REGION), _sqs(protocol, endpoint, OTHER)
    name = unique_name("held")
    there.delete_queue(QueueUrl=there.create_queue(QueueName=name)["QueueUrl"])
    expect_error(
        there.create_queue,
        QueueName=name,
        code="AWS.SimpleQueueService.QueueDeletedRecently",
    )
    here.delete_queue(QueueUrl=here.create_queue(QueueName=name)["QueueUrl"])


def test_a_dead_letter_queue_is_in_the_sources_region(protocol: str, endpoint: str) -> None:
    here, there = _sqs(protocol, endpoint, REGION), _sqs(protocol, endpoint, OTHER)
    dlq = unique_name("dlq")
    # The same name in both regions: the policy's ARN decides which one is the target.
    dlq_there = there.create_queue(QueueName=dlq)["QueueUrl"]
    dlq_here = here.create_queue(QueueName=dlq)["QueueUrl"]
    source = unique_name("source")
    made: list[str] = []
    try:
        policy = {"deadLetterTargetArn": _arn(OTHER, dlq), "maxReceiveCount": "1"}
        expect_error(
            here.create_queue,
            QueueName=source,
            Attributes={"RedrivePolicy": json.dumps(policy)},
            code="InvalidParameterValue",
        )
        url = there.create_queue(
            QueueName=source,
            Attributes={"RedrivePolicy": json.dumps(policy), "VisibilityTimeout": "0"},
        )["QueueUrl"]
        made.append(url)
        there.send_message(QueueUrl=url, MessageBody="poison")
        receive_one(there, url)
        # The next receive moves it (maxReceiveCount 1) to the dead-letter queue of its region.
        assert _bodies(there, url) == []
        assert _bodies(there, dlq_there) == ["poison"]
        assert _bodies(here, dlq_here) == []
        sources = there.list_dead_letter_source_queues(QueueUrl=dlq_there)["queueUrls"]
        assert sources == [url]
        assert here.list_dead_letter_source_queues(QueueUrl=dlq_here).get("queueUrls", []) == []
        # A move task names its queue by ARN: the region's queue, or none.
        expect_error(
            here.start_message_move_task,
            SourceArn=_arn(REGION, source),
            code="ResourceNotFoundException",
            status=404,
        )
    finally:
        for url in made:
            there.delete_queue(QueueUrl=url)
        there.delete_queue(QueueUrl=dlq_there)
        here.delete_queue(QueueUrl=dlq_here)


def test_topics_and_subscriptions_are_listed_in_their_region(endpoint: str) -> None:
    sns_here = aws_client("sns", endpoint, region=REGION)
    sns_there = aws_client("sns", endpoint, region=OTHER)
    sqs_there = aws_client("sqs", endpoint, region=OTHER)
    name = unique_name("alerts")
    topic_there = sns_there.create_topic(Name=name)["TopicArn"]
    topic_here = sns_here.create_topic(Name=name)["TopicArn"]
    queue = sqs_there.create_queue(QueueName=unique_name("subscriber"))["QueueUrl"]
    try:
        assert topic_there == f"arn:aws:sns:{OTHER}:{ACCOUNT_ID}:{name}"
        assert topic_here == f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{name}"
        listed_here = {t["TopicArn"] for t in sns_here.list_topics()["Topics"]}
        listed_there = {t["TopicArn"] for t in sns_there.list_topics()["Topics"]}
        assert topic_here in listed_here and topic_there not in listed_here
        assert topic_there in listed_there and topic_here not in listed_there
        queue_arn = attributes(sqs_there, queue, "QueueArn")["QueueArn"]
        sub = sns_there.subscribe(TopicArn=topic_there, Protocol="sqs", Endpoint=queue_arn)
        arn = sub["SubscriptionArn"]
        subs_here = {s["SubscriptionArn"] for s in sns_here.list_subscriptions()["Subscriptions"]}
        subs_there = {s["SubscriptionArn"] for s in sns_there.list_subscriptions()["Subscriptions"]}
        assert arn in subs_there and arn not in subs_here
    finally:
        sns_here.delete_topic(TopicArn=topic_here)
        sns_there.delete_topic(TopicArn=topic_there)
        sqs_there.delete_queue(QueueUrl=queue)


def test_a_topic_delivers_to_a_queue_of_another_region(protocol: str, endpoint: str) -> None:
    sns_here = aws_client("sns", endpoint, region=REGION)
    here, there = _sqs(protocol, endpoint, REGION), _sqs(protocol, endpoint, OTHER)
    name = unique_name("target")
    # The same name in both regions: the subscription's ARN names the eu-central-1 one.
    url_there = there.create_queue(QueueName=name)["QueueUrl"]
    url_here = here.create_queue(QueueName=name)["QueueUrl"]
    topic = sns_here.create_topic(Name=unique_name("fanout"))["TopicArn"]
    try:
        sns_here.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=_arn(OTHER, name),
            Attributes={"RawMessageDelivery": "true"},
        )
        sns_here.publish(TopicArn=topic, Message="across regions")
        got = receive_one(there, url_there)
        assert got["Body"] == "across regions"
        assert _bodies(here, url_here) == []
    finally:
        sns_here.delete_topic(TopicArn=topic)
        here.delete_queue(QueueUrl=url_here)
        there.delete_queue(QueueUrl=url_there)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_console_and_localstack_peek_find_a_queue_by_its_region(endpoint: str) -> None:
    there = aws_client("sqs", endpoint, region=OTHER)
    name = unique_name("peeked")
    url = there.create_queue(QueueName=name)["QueueUrl"]
    try:
        there.send_message(QueueUrl=url, MessageBody="peek me")
        console = f"{endpoint}/_densho/console/queues/{ACCOUNT_ID}"
        status, page = _get(f"{console}/{OTHER}/{name}")
        assert status == 200 and "peek me" in page
        assert _get(f"{console}/{REGION}/{name}")[0] == 404
        assert _get(f"{console}/{name}")[0] == 404  # a link of before: the default region
        status, listing = _get(f"{endpoint}/_densho/console/queues?filter={name}")
        assert status == 200 and f"/queues/{ACCOUNT_ID}/{OTHER}/{name}" in listing
        # LocalStack's peek: unsigned, the region the URL's host names, else the default one.
        peek = f"{endpoint}/_aws/sqs/messages?QueueUrl="
        status, body = _get(f"{peek}http://sqs.{OTHER}.localhost:4566/{ACCOUNT_ID}/{name}")
        assert status == 200 and "peek me" in body
        status, body = _get(f"{peek}{url}")
        assert status == 400 and "NonExistentQueue" in body
    finally:
        there.delete_queue(QueueUrl=url)


# --- a store written before regions ---


def _sqlite_before_regions(db: Path) -> None:
    """Turn the store into what densho's schema 7 left: queues unique by account and name,
    deleted_queues without a region."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.executescript(
            """
            BEGIN;
            CREATE TABLE queues_old (
                id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL,
                name TEXT NOT NULL, region TEXT NOT NULL, attributes TEXT NOT NULL,
                tags TEXT NOT NULL, created_ms INTEGER NOT NULL, modified_ms INTEGER NOT NULL,
                purged_ms INTEGER, fifo_seq INTEGER NOT NULL DEFAULT 0, purge_seq INTEGER,
                UNIQUE (account, name));
            INSERT INTO sqlite_sequence (name, seq)
                SELECT 'queues_old', seq FROM sqlite_sequence WHERE name = 'queues';
            INSERT INTO queues_old SELECT * FROM queues;
            DROP TABLE queues;
            ALTER TABLE queues_old RENAME TO queues;
            DROP TABLE deleted_queues;
            CREATE TABLE deleted_queues (account TEXT NOT NULL, name TEXT NOT NULL,
                deleted_ms INTEGER NOT NULL, PRIMARY KEY (account, name));
            PRAGMA user_version = 7;
            COMMIT;
            """
        )
    finally:
        conn.close()


def _postgres_before_regions(url: str) -> None:
    """Turn the store into what PostgreSQL migration 8 left."""

    async def main() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                "ALTER TABLE queues DROP CONSTRAINT queues_account_region_name_key;"
                " ALTER TABLE queues ADD CONSTRAINT queues_account_name_key UNIQUE (account, name);"
                " DROP TABLE deleted_queues;"
                " CREATE TABLE deleted_queues (account TEXT NOT NULL, name TEXT NOT NULL,"
                " deleted_ms BIGINT NOT NULL, PRIMARY KEY (account, name));"
                " DELETE FROM densho_schema_migrations WHERE version = 9;"
            )
        finally:
            await conn.close()

    asyncio.run(main())


def _path(url: str) -> str:
    return urllib.parse.urlsplit(url).path


def _sequence(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(
            conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'queues'").fetchone()[0]
        )
    finally:
        conn.close()


def test_a_store_from_before_regions_keeps_each_queue_in_its_region(
    new_server: ServerFactory, store_kind: str
) -> None:
    if store_kind == "memory":
        pytest.skip("an in-memory store is new at every start: nothing to upgrade")
    server = new_server().start()
    here = aws_client("sqs", server.endpoint, region=REGION)
    there = aws_client("sqs", server.endpoint, region=OTHER)
    url_there = there.create_queue(QueueName="old-eu")["QueueUrl"]
    url_here = here.create_queue(QueueName="old-us")["QueueUrl"]
    there.send_message(QueueUrl=url_there, MessageBody="kept")
    # The newest queue id, deleted: an id is never reused, before the upgrade or after it.
    here.delete_queue(QueueUrl=here.create_queue(QueueName="gone")["QueueUrl"])
    server.stop()
    db = server.data_dir / "densho.db"
    if server.store is None:
        before = _sequence(db)
        _sqlite_before_regions(db)
    else:
        _postgres_before_regions(server.store)
    server.start()
    here = aws_client("sqs", server.endpoint, region=REGION)
    there = aws_client("sqs", server.endpoint, region=OTHER)
    # The port may have changed with the restart: the paths name the queues.
    assert _path(there.get_queue_url(QueueName="old-eu")["QueueUrl"]) == _path(url_there)
    assert _path(here.get_queue_url(QueueName="old-us")["QueueUrl"]) == _path(url_here)
    expect_error(here.get_queue_url, QueueName="old-eu", code=NOT_FOUND)
    expect_error(there.get_queue_url, QueueName="old-us", code=NOT_FOUND)
    assert _bodies(there, url_there) == ["kept"]
    # The name of one region is free in the other now: a second, separate queue.
    twin = here.create_queue(QueueName="old-eu", Attributes={"VisibilityTimeout": "20"})
    assert attributes(here, twin["QueueUrl"])["VisibilityTimeout"] == "20"
    assert attributes(there, url_there)["VisibilityTimeout"] == "30"
    listed = [_path(u) for u in here.list_queues()["QueueUrls"]]
    assert listed == [_path(twin["QueueUrl"]), _path(url_here)]
    server.stop()
    if server.store is None:
        assert _sequence(db) > before  # the new queue took an id past the deleted one's


def test_declared_queues_of_one_name_in_two_regions(store_kind: str, tmp_path: Path) -> None:
    config = (
        "[[queues]]\n"
        'name = "jobs"\n'
        "[[queues]]\n"
        'name = "jobs"\n'
        f'region = "{OTHER}"\n'
        'attributes = { VisibilityTimeout = "45" }\n'
        "[[topics]]\n"
        'name = "events"\n'
        f'region = "{OTHER}"\n'
        "[[topics.subscriptions]]\n"
        'protocol = "sqs"\n'
        f'endpoint = "{_arn(OTHER, "jobs")}"\n'
    )
    with server_with_config(store_kind, tmp_path, config) as server:
        here = aws_client("sqs", server.endpoint, region=REGION)
        there = aws_client("sqs", server.endpoint, region=OTHER)
        url = here.get_queue_url(QueueName="jobs")["QueueUrl"]
        assert attributes(here, url)["VisibilityTimeout"] == "30"
        assert attributes(there, url)["VisibilityTimeout"] == "45"
        sns_there = aws_client("sns", server.endpoint, region=OTHER)
        topic = f"arn:aws:sns:{OTHER}:{ACCOUNT_ID}:events"
        assert [t["TopicArn"] for t in sns_there.list_topics()["Topics"]] == [topic]
        assert aws_client("sns", server.endpoint, region=REGION).list_topics()["Topics"] == []
        sns_there.publish(TopicArn=topic, Message="declared")
        assert "declared" in receive_one(there, url)["Body"]
        assert _bodies(here, url) == []


def test_a_reset_of_one_region_frees_that_regions_deleted_names(
    new_server: ServerFactory,
) -> None:
    server = new_server().start()
    here = aws_client("sqs", server.endpoint, region=REGION)
    there = aws_client("sqs", server.endpoint, region=OTHER)
    kept = here.create_queue(QueueName="kept")["QueueUrl"]
    for sqs in (here, there):
        sqs.delete_queue(QueueUrl=sqs.create_queue(QueueName="reused")["QueueUrl"])
    request = urllib.request.Request(
        f"{server.endpoint}/_densho/reset?region={OTHER}", data=b"", method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["reset"] is True
    there.create_queue(QueueName="reused")  # its region's hold is gone with the reset
    expect_error(
        here.create_queue,
        QueueName="reused",
        code="AWS.SimpleQueueService.QueueDeletedRecently",
    )
    assert here.get_queue_url(QueueName="kept")["QueueUrl"] == kept


@pg.only_with_postgresql
def test_two_nodes_cache_each_regions_queue_apart(tmp_path: Path) -> None:
    """Each node caches queue records by account, region and name: a record one node holds for
    one region never answers for another region's name, whichever node created which."""
    with pg.fresh_database() as url:
        a = DenshoServer(tmp_path / "A", log_dir=tmp_path / "A-logs", store=url)
        b = DenshoServer(tmp_path / "B", log_dir=tmp_path / "B-logs", store=url)
        try:
            a.start()
            b.start()
            a_there = aws_client("sqs", a.endpoint, region=OTHER)
            a_here = aws_client("sqs", a.endpoint, region=REGION)
            b_there = aws_client("sqs", b.endpoint, region=OTHER)
            b_here = aws_client("sqs", b.endpoint, region=REGION)
            queue = a_there.create_queue(QueueName="shared")["QueueUrl"]
            assert attributes(b_there, queue)["VisibilityTimeout"] == "30"  # B caches it
            expect_error(b_here.get_queue_url, QueueName="shared", code=NOT_FOUND)
            b_here.create_queue(QueueName="shared", Attributes={"VisibilityTimeout": "20"})
            assert attributes(a_here, queue)["VisibilityTimeout"] == "20"
            assert attributes(a_there, queue)["VisibilityTimeout"] == "30"
            assert attributes(b_there, queue)["VisibilityTimeout"] == "30"
            a_there.send_message(QueueUrl=queue, MessageBody="eu")
            assert _bodies(b_here, queue) == []
            assert _bodies(b_there, queue) == ["eu"]
        finally:
            a.close()
            b.close()
