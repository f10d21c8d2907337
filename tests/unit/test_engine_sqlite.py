"""The SQS engine over the real SQLite store with a fake clock: no sleeps, exact time arithmetic."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from densho.core import errors
from densho.core.clock import FakeClock
from densho.sqs import flow
from densho.sqs.engine import SqsEngine
from densho.sqs.flow import Outgoing
from densho.storage.sqlite import SqliteStore

Scenario = Callable[[SqsEngine, FakeClock], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario) -> None:
    async def main() -> None:
        store = SqliteStore(tmp_path / "t.db")
        await store.open()
        clock = FakeClock()
        try:
            await scenario(SqsEngine(store, clock), clock)
        finally:
            await store.close()

    asyncio.run(main())


async def _send(engine: SqsEngine, queue_name: str, body: str, delay: int | None = None) -> None:
    queue = await engine.queues.get_queue("0", "r", queue_name)
    msg = engine.messages.prepare(
        queue, Outgoing(body, delay_seconds=delay), "sender", engine.now_ms()
    )
    await engine.messages.send(queue, [msg])


def test_visibility_timeout_and_redelivery(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {"VisibilityTimeout": "10"}, {})
        await _send(engine, "q", "one")
        (first,) = await engine.messages.receive(queue, 10, None, 0)
        assert first.receive_count == 1
        assert await engine.messages.receive(queue, 10, None, 0) == []
        counts = await engine.queues.counts(queue)
        assert (counts.visible, counts.in_flight, counts.delayed) == (0, 1, 0)
        clock.advance(9_999)
        assert await engine.messages.receive(queue, 10, None, 0) == []
        clock.advance(1)
        (again,) = await engine.messages.receive(queue, 10, None, 0)
        assert again.message_id == first.message_id and again.receive_count == 2
        # The first handle is from an earlier receive: it still deletes the message, as AWS
        # does on a standard queue; the latest one then finds it gone (success, no effect).
        assert await engine.messages.delete(queue, [first.receipt_handle]) == [None]
        assert (await engine.queues.counts(queue)).in_flight == 0
        assert await engine.messages.delete(queue, [again.receipt_handle]) == [None]

    run(tmp_path, scenario)


def test_delay_then_visible(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {}, {})
        await _send(engine, "q", "later", delay=5)
        assert (await engine.queues.counts(queue)).delayed == 1
        assert await engine.messages.receive(queue, 1, None, 0) == []
        clock.advance(5_000)
        assert len(await engine.messages.receive(queue, 1, None, 0)) == 1

    run(tmp_path, scenario)


def test_a_delete_wakes_a_long_poll_waiting_at_the_in_flight_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long poll at the limit is woken by the delete that makes room, not by its re-count
    (for other nodes' deletes), which here would come after the poll's 20 s."""
    monkeypatch.setattr(flow, "REFRESH_MS", 60_000)

    async def main() -> None:
        store = SqliteStore(tmp_path / "t.db")
        await store.open()
        try:
            engine = SqsEngine(store, FakeClock(), max_in_flight=2)
            queue = await engine.queues.create_queue("0", "r", "q", {}, {})
            for body in ("a", "b", "c"):
                await _send(engine, "q", body)
            held = await engine.messages.receive(queue, 10, 600, 0)
            assert len(held) == 2
            waiting = asyncio.create_task(engine.messages.receive(queue, 10, 600, 20))
            await asyncio.sleep(0.2)
            assert not waiting.done()
            assert await engine.messages.delete(queue, [held[0].receipt_handle]) == [None]
            assert [m.body for m in await asyncio.wait_for(waiting, 5)] == ["c"]
        finally:
            await store.close()

    asyncio.run(main())


def test_retention_expiry(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock) -> None:
        queue = await engine.queues.create_queue(
            "0", "r", "q", {"MessageRetentionPeriod": "60"}, {}
        )
        await _send(engine, "q", "old")
        clock.advance(60_000)
        # Never delivered once expired; counted until maintenance deletes it (approximate
        # counts, as AWS's: counting never reads the backlog).
        assert await engine.messages.receive(queue, 1, None, 0) == []
        assert (await engine.queues.counts(queue)).visible == 1
        assert await engine.expire_all() == 1
        assert (await engine.queues.counts(queue)).visible == 0

    run(tmp_path, scenario)


def test_change_visibility_rules(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {}, {})
        await _send(engine, "q", "m")
        (msg,) = await engine.messages.receive(queue, 1, 30, 0)
        assert await engine.messages.change_visibility(queue, [(msg.receipt_handle, 0)]) == [None]
        # Visible again and not received since: AWS answers 200 and leaves the message visible.
        assert await engine.messages.change_visibility(queue, [(msg.receipt_handle, 10)]) == [None]
        (msg,) = await engine.messages.receive(queue, 1, 30, 0)
        (problem,) = await engine.messages.change_visibility(queue, [(msg.receipt_handle, 43_201)])
        assert isinstance(problem, errors.InvalidParameter)
        clock.advance(20_000)
        (problem,) = await engine.messages.change_visibility(queue, [(msg.receipt_handle, 43_200)])
        assert isinstance(problem, errors.InvalidParameter)  # beyond 12 h since the receive
        await engine.messages.delete(queue, [msg.receipt_handle])
        (problem,) = await engine.messages.change_visibility(queue, [(msg.receipt_handle, 5)])
        assert isinstance(problem, errors.MessageNotAvailable)

    run(tmp_path, scenario)


def test_fifo_handles_need_the_latest_receive_in_flight(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock) -> None:
        queue = await engine.queues.create_queue("0", "r", "q.fifo", {"FifoQueue": "true"}, {})
        out = Outgoing("m", group_id="g", dedup_id="d")
        await engine.messages.send(
            queue, [engine.messages.prepare(queue, out, "s", engine.now_ms())]
        )
        (first,) = await engine.messages.receive(queue, 1, 30, 0)
        handle = first.receipt_handle
        assert await engine.messages.change_visibility(queue, [(handle, 0)]) == [None]
        (problem,) = await engine.messages.change_visibility(queue, [(handle, 10)])
        assert isinstance(problem, errors.MessageNotInflight)
        (problem,) = await engine.messages.delete(queue, [handle])
        assert isinstance(problem, errors.ReceiptHandleExpired)
        (again,) = await engine.messages.receive(queue, 1, 30, 0)
        (problem,) = await engine.messages.change_visibility(queue, [(handle, 10)])
        assert isinstance(problem, errors.MessageNotAvailable)
        clock.advance(29_999)
        (problem,) = await engine.messages.delete(queue, [handle])
        assert isinstance(problem, errors.ReceiptHandleExpired)
        assert await engine.messages.delete(queue, [again.receipt_handle]) == [None]
        assert await engine.messages.delete(queue, [again.receipt_handle, handle]) == [None, None]
        assert (await engine.queues.counts(queue)).in_flight == 0

    run(tmp_path, scenario)


def test_create_queue_idempotence_and_recent_delete(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {"DelaySeconds": "5"}, {})
        assert (
            await engine.queues.create_queue("0", "r", "q", {"DelaySeconds": "5"}, {})
        ).id == queue.id
        assert (await engine.queues.create_queue("0", "r", "q", {}, {})).id == queue.id
        with pytest.raises(errors.QueueNameExists):
            await engine.queues.create_queue("0", "r", "q", {"DelaySeconds": "6"}, {})
        await engine.queues.delete_queue(queue)
        with pytest.raises(errors.QueueDeletedRecently):
            await engine.queues.create_queue("0", "r", "q", {}, {})
        clock.advance(60_000)
        await engine.queues.create_queue("0", "r", "q", {}, {})

    run(tmp_path, scenario)


def test_purge_once_a_minute(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {}, {})
        await _send(engine, "q", "m")
        await engine.queues.purge(queue)
        queue = await engine.queues.get_queue("0", "r", "q")
        assert (await engine.queues.counts(queue)).visible == 0
        with pytest.raises(errors.PurgeInProgress):
            await engine.queues.purge(queue)
        clock.advance(60_000)
        await engine.queues.purge(await engine.queues.get_queue("0", "r", "q"))

    run(tmp_path, scenario)


def test_refuses_a_database_from_a_newer_schema(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "t.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version=99")
    conn.close()

    async def main() -> None:
        store = SqliteStore(path)
        with pytest.raises(RuntimeError, match="newer densho"):
            await store.open()

    asyncio.run(main())


def test_new_databases_use_16k_pages_and_older_4k_ones_still_open(tmp_path: Path) -> None:
    import sqlite3

    older = tmp_path / "older.db"
    conn = sqlite3.connect(older)
    conn.execute("PRAGMA page_size=4096")
    conn.execute("CREATE TABLE created_by_an_older_densho (x)")
    conn.close()

    async def scenario(engine: SqsEngine, clock: FakeClock) -> None:
        await engine.queues.create_queue("0", "r", "q", {}, {})
        await _send(engine, "q", "kept")

    async def main() -> None:
        for path, page_size in ((tmp_path / "new.db", 16384), (older, 4096)):
            store = SqliteStore(path)
            await store.open()
            try:
                await scenario(SqsEngine(store, FakeClock()), FakeClock())
            finally:
                await store.close()
            reopened = SqliteStore(path)
            await reopened.open()
            try:
                engine = SqsEngine(reopened, FakeClock())
                queue = await engine.queues.get_queue("0", "r", "q")
                assert queue is not None
                got = await engine.messages.receive(queue, 1, None, 0)
                assert [m.body for m in got] == ["kept"]
            finally:
                await reopened.close()
            check = sqlite3.connect(path)
            assert check.execute("PRAGMA page_size").fetchone()[0] == page_size
            check.close()

    asyncio.run(main())
