"""The Approximate* counters without counting (``Store.counts``, ``queue_counts``), run against
every backend: after each way a message row comes or goes — sends (single, batch, FIFO with
duplicates, SNS-less), receives, deletes (single, batch, repeated and stale handles), visibility
changes, dead-letter moves, move tasks, purge, retention expiry, browsing deletes, DeleteQueue —
the counts agree with the rows in the database, on a second node too (PostgreSQL: before and
after the deltas are folded). And a SQLite database written before the counts existed is counted
when it is opened.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from densho.core.move_model import RUNNING, MoveTask
from densho.core.sqs_model import QueueCounts
from densho.core.store import Handle, Lease
from densho.storage import sql
from densho.storage.open import AnyStore, from_url
from densho.storage.postgres import PostgresStore
from densho.storage.sqlite import SCHEMA_VERSION, SqliteStore
from tests.contract.conftest import Backend
from tests.contract.scenarios import (
    T0,
    VISIBILITY,
    claim,
    fifo_send,
    msg,
    new_queue,
    nodes,
    run,
)

pytestmark = pytest.mark.timeout(60)


async def _rows(backend: Backend, queue_id: int) -> int:
    """The queue's message rows, counted in the database itself (the truth to agree with)."""
    if backend.kind == "sqlite":
        path = backend.url.removeprefix("sqlite:///")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = conn.execute("SELECT count(*) FROM messages WHERE queue_id = ?", (queue_id,))
            return int(found.fetchone()[0])
        finally:
            conn.close()
    pg = await asyncpg.connect(backend.url)
    try:
        return int(await pg.fetchval("SELECT count(*) FROM messages WHERE queue_id = $1", queue_id))
    finally:
        await pg.close()


async def _check(
    backend: Backend, store: AnyStore, queue_id: int, now: int, want: tuple[int, int, int]
) -> None:
    """``counts`` is ``want`` on every node (PostgreSQL: before and after a fold) and adds up
    to the queue's rows."""
    async with nodes(backend, store) as every:
        for node in every:
            assert await node.counts(queue_id, now, 0) == QueueCounts(*want)
    if isinstance(store, PostgresStore):
        await store.fold_counts()
        assert await store.counts(queue_id, now, 0) == QueueCounts(*want)
    assert sum(want) == await _rows(backend, queue_id)


def test_counts_follow_sends_receives_deletes_and_visibility(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        other = await new_queue(store, "other")
        await _check(backend, store, qid, T0, (0, 0, 0))
        await store.send(qid, [msg("one")])
        await store.send(qid, [msg(f"b{i}") for i in range(9)])
        await store.send(qid, [msg("late", delay_ms=60_000)])
        # Sends of one loop turn to two queues share a statement (PostgreSQL).
        await asyncio.gather(store.send(qid, [msg("x")]), store.send(other, [msg("y"), msg("z")]))
        await _check(backend, store, qid, T0, (11, 0, 1))
        await _check(backend, store, other, T0, (2, 0, 0))
        got, _, _ = await store.receive(claim(qid, limit=4))
        assert len(got) == 4
        await _check(backend, store, qid, T0, (7, 4, 1))
        handles = [Handle(qid, m.row, m.nonce) for m in got]
        # One delete, then a batch with a repeat and an already deleted handle.
        assert await store.delete_messages(handles[:1]) == ["deleted"]
        done = await store.delete_messages([handles[1], handles[1], handles[0]])
        assert done[0] == "deleted" and done[2] == "gone"  # the repeat: deleted once
        await _check(backend, store, qid, T0, (7, 2, 1))
        # Back to visible (visibility 0), and a stale handle deletes nothing.
        refused = await store.change_visibility([(handles[2], T0)], T0, VISIBILITY)
        assert refused == [None]
        await _check(backend, store, qid, T0, (8, 1, 1))
        assert await store.delete_messages([Handle(qid, handles[2].seq, 1)]) == ["gone"]
        # Later: the delayed message is visible, the last in-flight one too.
        await _check(backend, store, qid, T0 + 61_000, (10, 0, 0))
        page = await store.peek(qid, None, 1, False, T0, 0)
        assert await store.delete_peeked(qid, page[0].message.row, page[0].message.message_id)
        await _check(backend, store, qid, T0 + 61_000, (9, 0, 0))

    run(backend, scenario)


def test_counts_follow_fifo_sends_and_their_duplicates(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store, "q.fifo", fifo=True)
        await store.send(qid, [msg("a", group_id="g", dedup_id="1")], fifo_send())
        batch = [msg("b", group_id="g", dedup_id="2"), msg("again", group_id="g", dedup_id="1")]
        await store.send(qid, batch, fifo_send())
        await store.send(qid, [msg("a", group_id="h", dedup_id="2")], fifo_send())
        await _check(backend, store, qid, T0, (2, 0, 0))
        got, _, _ = await store.receive(claim(qid, fifo=True))
        assert [m.body for m in got] == ["a", "b"]
        await _check(backend, store, qid, T0, (0, 2, 0))

    run(backend, scenario)


def test_counts_follow_dead_letter_moves_and_move_tasks(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        src = await new_queue(store, "src")
        dlq = await new_queue(store, "dlq")
        await store.send(src, [msg(f"m{i}") for i in range(5)])
        got, _, _ = await store.receive(claim(src, vis_ms=0))
        assert len(got) == 5
        got, _, moved = await store.receive(
            claim(src, now=T0 + 1, dead_letter_queue_id=dlq, max_receive_count=1)
        )
        assert (got, moved) == ([], 5)
        await _check(backend, store, src, T0 + 1, (0, 0, 0))
        await _check(backend, store, dlq, T0 + 1, (5, 0, 0))
        task = MoveTask("t", dlq, "arn:dlq", src, "arn:src", None, RUNNING, 0, 0, T0)
        lease = Lease("node", T0 + 60_000)
        assert await store.start_move_task(task, T0 + 2, 0, lease) is not None
        step = await store.move_chunk("t", T0 + 3, 3, 0, ["n1", "n2", "n3"], False, lease)
        assert step is not None and step.moved == 3
        await _check(backend, store, src, T0 + 3, (3, 0, 0))
        await _check(backend, store, dlq, T0 + 3, (2, 0, 0))

    run(backend, scenario)


def test_counts_follow_purge_expiry_and_queue_deletion(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        keep = await new_queue(store, "keep")
        await store.send(qid, [msg(f"old{i}", now=T0 - 10_000) for i in range(3)])
        await store.send(qid, [msg("new", now=T0)])
        await store.send(keep, [msg("k")])
        assert await store.expire(qid, T0 - 5_000) == 3
        await _check(backend, store, qid, T0, (1, 0, 0))
        await store.receive(claim(qid))
        await store.send(qid, [msg("two", now=T0 + 1), msg("three", now=T0 + 1)])
        await _check(backend, store, qid, T0 + 1, (2, 1, 0))
        assert await store.purge(qid, T0 + 1, 60_000)
        # The purge answers at once: its rows are hidden, then deleted in chunks.
        assert await store.counts(qid, T0 + 2, 0) == QueueCounts(0, 0, 0)
        assert await _rows(backend, qid) == 3
        await store.send(qid, [msg("after", now=T0 + 3)])
        got, _, _ = await store.receive(claim(qid, now=T0 + 3, vis_ms=0))
        assert [m.body for m in got] == ["after"]  # never a purged one
        assert await store.counts(qid, T0 + 3, 0) == QueueCounts(1, 0, 0)
        assert await store.purges_pending() == [qid]
        assert not await store.purge_step(qid, 2)
        assert await store.counts(qid, T0 + 3, 0) == QueueCounts(1, 0, 0)
        assert await store.purge_step(qid, 2)
        assert await store.purges_pending() == []
        await _check(backend, store, qid, T0 + 3, (1, 0, 0))
        await store.delete_queue(qid, T0 + 4)
        assert await store.counts(qid, T0 + 4, 0) == QueueCounts(0, 0, 0)
        await _check(backend, store, keep, T0 + 4, (1, 0, 0))

    run(backend, scenario)


def test_a_purge_hides_only_what_the_queue_held(backend: Backend) -> None:
    """Messages that arrive after a purge are not purged, also those a dead-letter move brings
    in (sent before the purge, moved after it), and on a second node too."""

    async def scenario(store: AnyStore) -> None:
        src = await new_queue(store, "src")
        dlq = await new_queue(store, "dlq")
        await store.send(src, [msg("early", now=T0)])
        await store.send(dlq, [msg(f"purged{i}", now=T0) for i in range(5)])
        got, _, _ = await store.receive(claim(src, now=T0 + 1, vis_ms=0))
        assert len(got) == 1
        await store.receive(claim(dlq, now=T0 + 1, limit=2))  # two of them in flight
        assert await store.purge(dlq, T0 + 2, 60_000)
        got, _, moved = await store.receive(
            claim(src, now=T0 + 3, dead_letter_queue_id=dlq, max_receive_count=1)
        )
        assert (got, moved) == ([], 1)
        await store.send(dlq, [msg("after", now=T0 + 4)])
        async with nodes(backend, store) as every:
            for node in every:
                assert await node.counts(dlq, T0 + 5, 0) == QueueCounts(2, 0, 0)
                assert (await node.counts(dlq, T0 + 40_000, 0)).visible == 2
        got, _, _ = await store.receive(claim(dlq, now=T0 + 40_000))
        assert sorted(m.body for m in got) == ["after", "early"]
        for _ in range(10):
            if await store.purge_step(dlq, 2):
                break
        assert await _rows(backend, dlq) == 2
        assert await store.counts(dlq, T0 + 40_000, 0) == QueueCounts(0, 2, 0)

    run(backend, scenario)


def test_a_purge_with_sends_in_its_transaction_counts_them(backend: Backend) -> None:
    """SQLite's group commit: sends submitted before the purge share its transaction, and
    their counts, not yet written, are purged with them."""

    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        await store.send(qid, [msg("a")])
        await asyncio.gather(
            store.send(qid, [msg("b"), msg("c")]),
            store.send(qid, [msg("d")]),
            store.purge(qid, T0 + 1, 60_000),
        )
        # PostgreSQL: the loop turn's sends commit by themselves, before or after the purge.
        left = 0 if not store.shared else (await store.counts(qid, T0 + 2, 0)).visible
        assert await store.counts(qid, T0 + 2, 0) == QueueCounts(left, 0, 0)
        await store.send(qid, [msg("e", now=T0 + 2)])
        for _ in range(10):
            if await store.purge_step(qid, 100):
                break
        await _check(backend, store, qid, T0 + 2, (left + 1, 0, 0))

    run(backend, scenario)


def test_a_database_written_before_the_counts_is_counted_when_opened(tmp_path: Path) -> None:
    """Schema 5 had no queue_counts: opening such a database counts its rows once."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(sql.schema())
    conn.execute("DROP TABLE queue_counts")
    conn.execute("ALTER TABLE queues DROP COLUMN purge_seq")
    conn.execute("PRAGMA user_version=5")
    for name in ("a", "b", "empty"):
        conn.execute(
            "INSERT INTO queues (account, name, region, attributes, tags, created_ms,"
            " modified_ms) VALUES ('acct', ?, 'r', '{}', '{}', 0, 0)",
            (name,),
        )
    rows = [(1 + i % 2, f"id{i}", "b", "0" * 32, "s", T0, T0) for i in range(7)]
    conn.executemany(
        "INSERT INTO messages (queue_id, message_id, body, md5_body, sender_id, sent_ms,"
        " visible_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.close()

    async def main() -> None:
        store = from_url(f"sqlite:///{path}", synchronous="NORMAL")
        assert isinstance(store, SqliteStore)
        await store.open()
        try:
            assert await store.counts(1, T0, 0) == QueueCounts(4, 0, 0)
            assert await store.counts(2, T0, 0) == QueueCounts(3, 0, 0)
            assert await store.counts(3, T0, 0) == QueueCounts(0, 0, 0)
            await store.send(2, [msg("more")])
            assert await store.counts(2, T0, 0) == QueueCounts(4, 0, 0)
        finally:
            await store.close()
        again = sqlite3.connect(path)
        assert again.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        again.close()

    asyncio.run(main())


def test_in_flight_counts_only_when_the_queue_could_reach_the_floor(backend: Backend) -> None:
    """``in_flight`` (ReceiveMessage's in-flight limit): below ``floor`` rows it answers the row
    count (an upper bound, read without counting); from there the rows in flight."""

    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        await store.send(qid, [msg(f"m{i}") for i in range(6)])
        await store.send(qid, [msg("late", delay_ms=60_000)])
        got, _, _ = await store.receive(claim(qid, limit=2))
        assert len(got) == 2
        assert await store.in_flight(qid, T0, 100) == (7, True)  # the row count
        assert await store.in_flight(qid, T0, 7) == (
            2,
            False,
        )  # counted: delayed rows are not in flight
        assert await store.delete_messages([Handle(qid, got[0].row, got[0].nonce)]) == ["deleted"]
        assert await store.in_flight(qid, T0, 0) == (1, False)
        assert await store.in_flight(qid, T0 + 30_001, 0) == (
            0,
            False,
        )  # its visibility timeout ended
        if isinstance(store, PostgresStore):
            await store.fold_counts()
        assert await store.in_flight(qid, T0, 100) == (6, True)

    run(backend, scenario)
