"""The server on PostgreSQL while the database is unreachable: requests answer AWS's retryable
503 ServiceUnavailable (JSON and Query), nothing unacknowledged is claimed as written, and the
server recovers by itself when the database is back. Also ``densho migrate``.

The database "goes away" behind a TCP proxy this test runs (the shared PostgreSQL server itself
is never stopped). Runs when ``postgresql`` is among ``DENSHO_TEST_STORES``.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.conftest import json_client, make_client
from tests.contract.test_postgres import Proxy
from tests.e2e.test_health import get
from tests.support import pg
from tests.support.server import DenshoServer

pytestmark = [
    pytest.mark.timeout(120),
    pg.only_with_postgresql,
]


class ProxyThread:
    """``Proxy`` on an event loop of its own thread, driven from the (synchronous) test."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
        self.call(self.proxy.start())
        user = f"{parts.username}@" if parts.username else ""
        netloc = f"{user}127.0.0.1:{self.proxy.port}"
        self.url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))

    def call(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)  # type: ignore[arg-type]

    def close(self) -> None:
        if self.proxy.server is not None:
            self.call(self.proxy.cut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


@pytest.fixture
def database() -> Iterator[str]:
    with pg.fresh_database() as url:
        yield url


def test_unreachable_database_answers_503_and_recovers(database: str, tmp_path: Path) -> None:
    proxy = ProxyThread(database)
    server = DenshoServer(tmp_path / "data", log_dir=tmp_path, store=proxy.url)
    try:
        server.start()
        sqs = json_client(server.endpoint)
        query = make_client("query", server.endpoint)
        url = sqs.create_queue(QueueName="outage")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="before")
        proxy.call(proxy.proxy.cut())
        call: Callable[[], object]
        for client in (sqs, query):
            for call in (
                lambda c=client: c.send_message(QueueUrl=url, MessageBody="during"),
                lambda c=client: c.receive_message(QueueUrl=url),
                lambda c=client: c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]),
            ):
                with pytest.raises(ClientError) as err:
                    call()
                assert err.value.response["Error"]["Code"] == "ServiceUnavailable"
                assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        status, answer = get(server.endpoint + "/_densho/ready")
        assert status == 503 and answer["status"] == "not ready"
        assert answer["reason"].startswith("store unreachable")
        assert get(server.endpoint + "/_densho/health") == (200, {"status": "ok"})
        proxy.call(proxy.proxy.start())
        deadline = time.monotonic() + 20
        while True:
            try:
                sqs.send_message(QueueUrl=url, MessageBody="after")
                break
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "ServiceUnavailable"
                assert time.monotonic() < deadline, "the server did not recover"
                time.sleep(0.2)
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert sorted(m["Body"] for m in got) == ["after", "before"]
        assert get(server.endpoint + "/_densho/ready") == (200, {"status": "ready"})
    finally:
        server.close()
        proxy.close()


def test_terminated_connections_under_load_answer_503_never_500(
    database: str, tmp_path: Path
) -> None:
    """pg_terminate_backend of the node's connections while producers send: each request
    succeeds or answers the retryable 503; none answers 500; every acknowledged send is kept."""
    server = DenshoServer(tmp_path / "data", log_dir=tmp_path, store=database)
    name = urllib.parse.urlsplit(database).path.lstrip("/")
    statuses: list[int] = []
    acknowledged: list[str] = []
    stop = threading.Event()
    try:
        server.start()
        sqs = json_client(server.endpoint)
        url = sqs.create_queue(QueueName="terminated")["QueueUrl"]

        def produce(worker: int) -> None:
            client = json_client(server.endpoint)
            for n in range(100_000):
                if stop.is_set():
                    return
                body = f"{worker}-{n}"
                try:
                    client.send_message(QueueUrl=url, MessageBody=body)
                except ClientError as exc:
                    statuses.append(exc.response["ResponseMetadata"]["HTTPStatusCode"])
                else:
                    statuses.append(200)
                    acknowledged.append(body)

        producers = [threading.Thread(target=produce, args=(w,)) for w in range(4)]
        for thread in producers:
            thread.start()
        terminate = (
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
        for _ in range(15):
            time.sleep(0.2)
            asyncio.run(pg._admin(terminate))
        stop.set()
        for thread in producers:
            thread.join(timeout=30)
        assert statuses and set(statuses) <= {200, 503}, sorted(set(statuses))
        assert 503 in statuses or len(acknowledged) == len(statuses)
        # Every acknowledged send is there (the server may need a moment to reconnect).
        deadline = time.monotonic() + 20
        while True:
            try:
                count = sqs.get_queue_attributes(
                    QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]["ApproximateNumberOfMessages"]
                break
            except ClientError:
                assert time.monotonic() < deadline, "the server did not recover"
                time.sleep(0.2)
        assert int(count) >= len(acknowledged)
        assert "Traceback" not in server.stderr_tail(10_000_000)
    finally:
        stop.set()
        server.close()


def test_migrate_command_and_a_newer_schema(database: str) -> None:
    def migrate() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "densho", "migrate", "--store", database],
            capture_output=True,
            text=True,
            timeout=60,
        )

    first = migrate()
    assert first.returncode == 0 and "applied [1" in first.stdout, first.stderr
    again = migrate()
    assert again.returncode == 0 and "up to date" in again.stdout

    async def bump() -> None:
        import asyncpg

        conn = await asyncpg.connect(database)
        try:
            await conn.execute("INSERT INTO densho_schema_migrations VALUES (999, 'future', 0)")
        finally:
            await conn.close()

    asyncio.run(bump())
    newer = migrate()
    assert newer.returncode == 1 and "newer densho" in newer.stderr
    assert "Traceback" not in newer.stderr
    unreachable = subprocess.run(
        [sys.executable, "-m", "densho", "migrate", "--store", "postgresql://x@127.0.0.1:1/db"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unreachable.returncode == 1 and "cannot connect" in unreachable.stderr
