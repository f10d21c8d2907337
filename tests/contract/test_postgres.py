"""What only the PostgreSQL store promises: migrations (from empty to the committed schema, safe
from several nodes at once, refusing a newer schema), wake-ups and cache invalidations across
nodes (LISTEN/NOTIFY), FIFO sends from several nodes at once (deduplication, SequenceNumber
order), no message rows for a queue another node deleted, one signing key for every node, and
behaviour while the database is unreachable (StoreUnavailable, reconnection, no acknowledged
write lost). Runs when ``postgresql`` is among ``DENSHO_TEST_STORES``; fails,
never skips, when PostgreSQL is unreachable.

To accept a deliberate schema change: ``DENSHO_WRITE_SCHEMA_SNAPSHOT=1 pytest
tests/contract/test_postgres.py -k snapshot`` rewrites ``densho/storage/sql/pg/schema.snapshot``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import difflib
import os
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from importlib import resources
from pathlib import Path

import asyncpg
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from densho.core.sns_model import Delivery, PublishItem, Topic
from densho.core.store import QUEUE, TOPIC, QueueGone, StoreUnavailable
from densho.sns.signing.keys import shared_signer
from densho.sns.signing.signer import string_to_sign
from densho.storage import postgres_migrations, postgres_notify
from densho.storage.postgres import PostgresStore
from tests.contract.scenarios import T0, VISIBILITY, claim, fifo_send, msg
from tests.support import pg

pytestmark = [
    pytest.mark.timeout(90),
    pg.only_with_postgresql,
]

SNAPSHOT = Path(str(resources.files("densho.storage.sql").joinpath("pg", "schema.snapshot")))


@pytest.fixture
def fresh_db() -> Iterator[str]:
    with pg.fresh_database() as url:
        yield url


async def _describe(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return await postgres_migrations.describe(conn)
    finally:
        await conn.close()


# --- migrations ---


def test_migrations_from_empty_yield_the_committed_schema(fresh_db: str) -> None:
    async def main() -> str:
        assert await postgres_migrations.migrate_url(fresh_db) == list(
            range(1, postgres_migrations.latest() + 1)
        )
        assert await postgres_migrations.migrate_url(fresh_db) == []  # idempotent
        return await _describe(fresh_db)

    got = asyncio.run(main())
    if os.environ.get("DENSHO_WRITE_SCHEMA_SNAPSHOT"):
        SNAPSHOT.write_text(got, encoding="utf-8")
    want = SNAPSHOT.read_text(encoding="utf-8")
    assert got == want, "schema differs from schema.snapshot:\n" + "".join(
        difflib.unified_diff(want.splitlines(True), got.splitlines(True), "snapshot", "migrated")
    )


def test_migrations_from_several_nodes_at_once_apply_each_once(fresh_db: str) -> None:
    async def main() -> None:
        results = await asyncio.gather(
            *(postgres_migrations.migrate_url(fresh_db) for _ in range(4))
        )
        applied = sorted(v for r in results for v in r)
        assert applied == list(range(1, postgres_migrations.latest() + 1))
        conn = await asyncpg.connect(fresh_db)
        try:
            rows = await conn.fetch("SELECT version FROM densho_schema_migrations ORDER BY 1")
        finally:
            await conn.close()
        assert [r[0] for r in rows] == applied

    asyncio.run(main())


def test_a_schema_newer_than_the_code_is_refused(fresh_db: str) -> None:
    async def main() -> None:
        await postgres_migrations.migrate_url(fresh_db)
        conn = await asyncpg.connect(fresh_db)
        try:
            await conn.execute("INSERT INTO densho_schema_migrations VALUES (999, 'future', 0)")
        finally:
            await conn.close()
        with pytest.raises(RuntimeError, match="newer densho"):
            await postgres_migrations.migrate_url(fresh_db)
        with pytest.raises(RuntimeError, match="newer densho"):
            await PostgresStore(fresh_db).open()

    asyncio.run(main())


# --- wake-ups across nodes ---


def test_a_send_on_one_node_wakes_the_other(fresh_db: str) -> None:
    async def main() -> None:
        a, b = PostgresStore(fresh_db, 2), PostgresStore(fresh_db, 2)
        await a.open()
        await b.open()
        woken: asyncio.Queue[tuple[int | None, int]] = asyncio.Queue()
        own: list[tuple[int | None, int]] = []
        b.set_wake(lambda q, n: woken.put_nowait((q, n)))
        a.set_wake(lambda q, n: own.append((q, n)))
        try:
            queue, _ = await a.create_queue("acct", "q", "r", {}, {}, 0)
            await a.send(queue.id, [msg("one"), msg("two")])
            assert await asyncio.wait_for(woken.get(), 5) == (queue.id, 2)
            got, _, _ = await b.receive(claim(queue.id))
            h = [(m.row, m.nonce) for m in got]
            assert len(h) == 2
            # A visibility change to 0 on b releases a message: a's node hears of it.
            b.set_wake(lambda q, n: None)
            a.set_wake(lambda q, n: woken.put_nowait((q, n)))
            from densho.core.store import Handle

            now = got[0].first_receive_ms
            assert await b.change_visibility(
                [(Handle(queue.id, h[0][0], h[0][1]), now)], now, VISIBILITY
            ) == [None]
            assert await asyncio.wait_for(woken.get(), 5) == (queue.id, 1)
            assert own == []  # a node never hears its own notifications
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


def test_a_node_alone_announces_no_commits_until_another_listens(fresh_db: str) -> None:
    """Wake-ups go out only while another node listens; a node that starts listening is
    announced to the others at once, and hears the next commit."""

    async def main() -> None:
        a = PostgresStore(fresh_db, 2)
        await a.open()
        heard: asyncio.Queue[str] = asyncio.Queue()
        spy = await asyncpg.connect(fresh_db)  # a listener that is no node
        await spy.add_listener(postgres_notify.CHANNEL, lambda *args: heard.put_nowait(args[3]))
        b: PostgresStore | None = None
        try:
            queue, _ = await a.create_queue("acct", "q", "r", {}, {}, 0)
            for _ in range(200):  # the first count, a period after opening
                if not a.wakes_others:
                    break
                await asyncio.sleep(0.05)
            assert not a.wakes_others  # counted: no other node listens
            await a.send(queue.id, [msg("nobody hears")])
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(heard.get(), 0.5)

            b = PostgresStore(fresh_db, 2)
            woken: asyncio.Queue[tuple[int | None, int]] = asyncio.Queue()
            b.set_wake(lambda q, n: woken.put_nowait((q, n)))
            await b.open()
            assert (await asyncio.wait_for(heard.get(), 5)).split() == [b._notes.node]  # hello
            for _ in range(500):  # b's hello reaches a (not a's next count)
                if a.wakes_others:
                    break
                await asyncio.sleep(0.01)
            assert a.wakes_others
            await a.send(queue.id, [msg("b hears")])
            while (got := await asyncio.wait_for(woken.get(), 5)) == (None, 0):
                pass  # b looks again once after it started listening
            assert got == (queue.id, 1)
        finally:
            await spy.close()
            await a.close()
            if b is not None:
                await b.close()

    asyncio.run(main())


# --- an unreachable database ---


class Proxy:
    """A TCP proxy in front of PostgreSQL that the test can cut and restore."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.server: asyncio.Server | None = None
        self.port = 0
        self.links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and drop every open one (the database 'goes away')."""
        assert self.server is not None
        self.server.close()
        for w in list(self.links):
            w.transport.abort()
        await self.server.wait_closed()
        self.server = None

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.links.update((writer, up_writer))

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self.links.difference_update((writer, up_writer))


@contextlib.asynccontextmanager
async def proxied(url: str) -> AsyncIterator[tuple[Proxy, str]]:
    parts = urllib.parse.urlsplit(url)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.start()
    netloc = (
        f"{parts.username}@127.0.0.1:{proxy.port}" if parts.username else f"127.0.0.1:{proxy.port}"
    )
    try:
        yield proxy, urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    finally:
        if proxy.server is not None:
            await proxy.cut()


async def send_once_back(store: PostgresStore, queue_id: int, failure: str) -> None:
    """Send one message as soon as the store answers again (within 15 s, else ``failure``)."""
    deadline = time.monotonic() + 15
    while True:
        try:
            await store.send(queue_id, [msg("after")])
            return
        except StoreUnavailable:
            assert time.monotonic() < deadline, failure
            await asyncio.sleep(0.1)


def test_outage_answers_unavailable_then_recovers_by_itself(fresh_db: str) -> None:
    async def main() -> None:
        async with proxied(fresh_db) as (proxy, url):
            store = PostgresStore(url, 3)
            await store.open()
            watcher = PostgresStore(fresh_db, 2)  # another node, not behind the proxy
            await watcher.open()
            woken: asyncio.Queue[tuple[int | None, int]] = asyncio.Queue()
            store.set_wake(lambda q, n: woken.put_nowait((q, n)))
            try:
                queue, _ = await store.create_queue("acct", "q", "r", {}, {}, 0)
                acked = await store.send(queue.id, [msg("before")])
                await proxy.cut()
                for _ in range(3):  # every call fails fast and cleanly while it is down
                    started = time.monotonic()
                    with pytest.raises(StoreUnavailable):
                        await store.send(queue.id, [msg("during")])
                    with pytest.raises(StoreUnavailable):
                        await store.receive(claim(queue.id))
                    assert time.monotonic() - started < 12
                await proxy.start()  # the database is back (same port)
                await send_once_back(store, queue.id, "the pool did not reconnect")
                # The LISTEN connection came back too: a missed-notifications wake, then
                # notifications from other nodes again.
                deadline = time.monotonic() + 15
                while not store._notes.connected:
                    assert time.monotonic() < deadline, "LISTEN was not re-established"
                    await asyncio.sleep(0.1)
                while not woken.empty():
                    woken.get_nowait()
                await watcher.send(queue.id, [msg("from the other node")])
                assert await asyncio.wait_for(woken.get(), 5) == (queue.id, 1)
                got, _, _ = await store.receive(claim(queue.id))
                bodies = sorted(m.body for m in got)
                # Every acknowledged write is there; refused ones never were acknowledged.
                assert "before" in bodies and "after" in bodies
                assert acked[0][0] in {m.message_id for m in got}
            finally:
                await store.close()
                await watcher.close()

    asyncio.run(main())


def test_more_requests_than_connections_take_turns_on_the_kept_ones(fresh_db: str) -> None:
    """Db keeps its connections and hands them from block to block: with many more requests
    than the pool's size, some cancelled while they wait, every other one is answered, and no
    more connections are opened than the pool's size."""

    async def main() -> None:
        store = PostgresStore(fresh_db, 2)
        await store.open()
        try:
            queue, _ = await store.create_queue("acct", "q", "r", {}, {}, 0)

            async def one(n: int) -> int:
                await store.send(queue.id, [msg(f"m{n}")])
                got, _, _ = await store.receive(claim(queue.id, limit=1))
                return len(got)

            tasks = [asyncio.ensure_future(one(n)) for n in range(40)]
            await asyncio.sleep(0)
            for task in tasks[::7]:
                task.cancel()
            done = await asyncio.gather(*tasks, return_exceptions=True)
            answered = [d for d in done if not isinstance(d, BaseException)]
            assert len(answered) >= 40 - len(tasks[::7])
            assert all(isinstance(d, int | asyncio.CancelledError) for d in done)
            db = store.db
            assert db._held <= 2 and not db._waiting
            assert len(db._idle) == db._held  # all back, none lost
            # Still working, also after every pooled connection was terminated.
            await store.send(queue.id, [msg("again")])
            admin = await asyncpg.connect(fresh_db)
            try:
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND application_name = 'densho'"
                )
            finally:
                await admin.close()
            await send_once_back(store, queue.id, "the connections were not replaced")
            assert db._held <= 2
        finally:
            await store.close()

    asyncio.run(main())


# --- several nodes: what the in-process pieces rely on ---


def test_a_queue_deleted_on_another_node_takes_no_more_rows(fresh_db: str) -> None:
    async def main() -> None:
        a, b = PostgresStore(fresh_db, 3), PostgresStore(fresh_db, 2)
        await a.open()
        await b.open()
        try:
            gone, _ = await a.create_queue("acct", "gone", "r", {}, {}, 0)
            live, _ = await a.create_queue("acct", "live", "r", {}, {}, 0)
            fifo, _ = await a.create_queue("acct", "gone.fifo", "r", {}, {}, 0)
            await b.delete_queue(gone.id, 1)
            await b.delete_queue(fifo.id, 1)
            # Sends of one loop turn share an INSERT: the gone queue's fail, the others' commit.
            results = await asyncio.gather(
                a.send(gone.id, [msg("lost")]),
                a.send(live.id, [msg("kept"), msg("kept too")]),
                return_exceptions=True,
            )
            assert isinstance(results[0], QueueGone) and results[0].queue_id == gone.id
            assert isinstance(results[1], list) and len(results[1]) == 2
            with pytest.raises(QueueGone):
                await a.send(fifo.id, [msg("x", group_id="g", dedup_id="d")], fifo_send())
            # A publish delivering to it (the engine's cached subscription) still publishes.
            topic = Topic("arn:aws:sns:r:acct:t", "acct", "r", "t", {}, {}, 0)
            await a.create_topic(topic)
            item = PublishItem("m", None, None, [Delivery(gone.id, msg("p"), None)])
            item.deliveries.append(Delivery(live.id, msg("p"), None))
            (published,) = await a.publish(topic.arn, [item])
            assert published.delivered
            # A receive whose dead-letter queue is gone delivers instead of moving.
            await a.send(live.id, [msg("spent")])
            spent, _, _ = await a.receive(claim(live.id, limit=10, vis_ms=0))
            assert len(spent) == 4
            got, _, moved = await a.receive(
                claim(live.id, now=T0 + 1, dead_letter_queue_id=gone.id, max_receive_count=1)
            )
            assert (len(got), moved) == (4, 0)
            with pytest.raises(QueueGone):
                await a.update_queue(gone.id, {}, {}, 2)
            conn = await asyncpg.connect(fresh_db)
            try:
                orphans = await conn.fetchval(
                    "SELECT count(*) FROM messages WHERE queue_id NOT IN (SELECT id FROM queues)"
                )
            finally:
                await conn.close()
            assert orphans == 0
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


def test_concurrent_fifo_sends_from_two_nodes_keep_dedup_and_order(fresh_db: str) -> None:
    """FIFO sends of one loop turn share a statement (per queue, per node); two nodes' turns
    take turns on the queue's row. Every deduplication id is enqueued once, and every repeat,
    in the same statement, the same node or the other, answers the original's MessageId and
    SequenceNumber; SequenceNumbers increase with row ids, and with send order on a node."""

    async def main() -> None:
        a, b = PostgresStore(fresh_db, 3), PostgresStore(fresh_db, 3)
        await a.open()
        await b.open()
        try:
            queue, _ = await a.create_queue("acct", "q.fifo", "r", {}, {}, 0)
            by_group, _ = await a.create_queue("acct", "g.fifo", "r", {}, {}, 0)
            answers: dict[str, set[tuple[str, int]]] = {}
            for turn in range(20):
                sends = []
                for i in range(12):
                    store = a if i % 2 else b
                    dedup = f"d{(turn * 12 + i) % 30}"  # repeats within and across turns
                    batch = [msg(f"{turn}-{i}", group_id=f"g{i % 3}", dedup_id=dedup)]
                    if i == 5:  # a batch repeating its own entry: answered as the first
                        batch.append(msg("again", group_id="g0", dedup_id=dedup))
                    sends.append((dedup, store.send(queue.id, batch, fifo_send())))
                results = await asyncio.gather(*(send for _, send in sends))
                for (dedup, _), stored in zip(sends, results, strict=True):
                    answers.setdefault(dedup, set()).update(stored)
            assert len(answers) == 30 and all(len(v) == 1 for v in answers.values())
            # Fresh ids sent at once on both nodes: each node's in its send order.
            fresh = await asyncio.gather(
                *(
                    store.send(
                        queue.id, [msg("f", group_id="g", dedup_id=f"{name}{i}")], fifo_send()
                    )
                    for i in range(10)
                    for name, store in (("a", a), ("b", b))
                )
            )
            for node in (0, 1):
                numbers = [stored[0][1] for stored in fresh[node::2]]
                assert numbers == sorted(set(numbers))
            for i, stored in enumerate(fresh):
                answers[f"{'ab'[i % 2]}{i // 2}"] = set(stored)
            # Per message group: the same id in another group is another message.
            one = await a.send(
                by_group.id, [msg("x", group_id="g1", dedup_id="d")], fifo_send(by_group=True)
            )
            two = await b.send(
                by_group.id, [msg("y", group_id="g2", dedup_id="d")], fifo_send(by_group=True)
            )
            again = await b.send(
                by_group.id, [msg("z", group_id="g1", dedup_id="d")], fifo_send(by_group=True)
            )
            assert one != two and again == one and two[0][1] > one[0][1]
            conn = await asyncpg.connect(fresh_db)
            try:
                rows = await conn.fetch(
                    "SELECT message_id, fifo_seq FROM messages WHERE queue_id = $1 ORDER BY seq",
                    queue.id,
                )
                counter = await conn.fetchval("SELECT fifo_seq FROM queues WHERE id = $1", queue.id)
            finally:
                await conn.close()
            assert {(r[0], r[1]) for r in rows} == {next(iter(v)) for v in answers.values()}
            seqs = [r[1] for r in rows]
            assert seqs == sorted(set(seqs)) and counter == seqs[-1]
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


def test_a_change_on_one_node_drops_the_others_copy(fresh_db: str) -> None:
    async def main() -> None:
        a, b = PostgresStore(fresh_db, 2), PostgresStore(fresh_db, 2)
        await a.open()
        await b.open()
        heard: asyncio.Queue[tuple[str | None, str]] = asyncio.Queue()
        own: list[tuple[str | None, str]] = []
        b.set_forget(lambda kind, key: heard.put_nowait((kind, key)))
        a.set_forget(lambda kind, key: own.append((kind, key)))
        try:
            a.changed(QUEUE, "7")
            a.changed(TOPIC, "arn:aws:sns:us-east-1:000000000000:t")
            got = {await asyncio.wait_for(heard.get(), 5) for _ in range(2)}
            assert got == {(QUEUE, "7"), (TOPIC, "arn:aws:sns:us-east-1:000000000000:t")}
            assert own == []  # a node never hears its own
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


def test_nodes_sign_with_one_key(fresh_db: str) -> None:
    async def main() -> None:
        nodes = [PostgresStore(fresh_db, 2) for _ in range(3)]
        for node in nodes:
            await node.open()
        try:
            signers = await asyncio.gather(*(shared_signer(n, 1_700_000_000_000) for n in nodes))
            pems = {s.certificate_pem() for s in signers}
            assert len(pems) == 1  # every node serves the same certificate
            names = {s.certificate_file_name for s in signers}
            assert len(names) == 1  # ... at the same SigningCertURL
            fields = {
                "Type": "Notification",
                "MessageId": "m",
                "TopicArn": "arn",
                "Message": "hello",
                "Timestamp": "2024-01-01T00:00:00.000Z",
            }
            signature = base64.b64decode(signers[0].sign(fields, 2))
            public = signers[1].certificate.public_key()
            assert isinstance(public, rsa.RSAPublicKey)
            public.verify(signature, string_to_sign(fields), padding.PKCS1v15(), hashes.SHA256())
            # A restart finds the stored key.
            again = await shared_signer(nodes[2], 1_700_000_001_000)
            assert again.certificate_pem() in pems
        finally:
            for node in nodes:
                await node.close()

    asyncio.run(main())
