"""Message move tasks over the real SQLite store with a fake clock.

The runners pace themselves in real time (asyncio), so these tests use tasks without a rate or
with a high one, and wait for a status with a bounded poll; every other time (StartedTimestamp,
the new messages' SentTimestamp, retention) comes from the fake clock.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from densho.core import errors
from densho.core.clock import FakeClock
from densho.core.move_model import CANCELLED, COMPLETED, FAILED, QUEUE_GONE, RUNNING, MoveTask
from densho.providers.errors import to_aws
from densho.sqs.engine import SqsEngine
from densho.sqs.flow import Outgoing
from densho.sqs.move_tasks import MoveTasks, decode_handle, encode_handle
from densho.storage.sqlite import SqliteStore

pytestmark = pytest.mark.timeout(30)

ACCOUNT = "000000000000"


class World:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.clock = FakeClock()
        self.store = SqliteStore(path)
        self.engine = SqsEngine(self.store, self.clock)
        self.moves = MoveTasks(self.engine, self.store)

    async def open(self) -> None:
        await self.store.open()

    async def close(self) -> None:
        self.engine.close()
        await self.moves.close()
        await self.store.close()

    async def reopen(self) -> None:
        """A restart: new store, engine and runners on the same database file."""
        await self.close()
        self.store = SqliteStore(self.path)
        self.engine = SqsEngine(self.store, self.clock)
        self.moves = MoveTasks(self.engine, self.store)
        await self.store.open()

    async def pipe(self, n: int, name: str = "src") -> tuple[str, str]:
        """source --(maxReceiveCount 1)--> dlq with ``n`` messages redriven to the dlq."""
        dlq = await self.engine.queues.create_queue(ACCOUNT, "us-east-1", f"{name}-dlq", {}, {})
        policy = json.dumps({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 1})
        source = await self.engine.queues.create_queue(
            ACCOUNT, "us-east-1", name, {"RedrivePolicy": policy}, {}
        )
        now = self.engine.now_ms()
        prepared = [
            self.engine.messages.prepare(source, Outgoing(f"m{i}"), "sender", now) for i in range(n)
        ]
        for i in range(0, n, 10):
            await self.engine.messages.send(source, prepared[i : i + 10])
        for _ in range(2 * n + 2):  # each message: one receive, then the move on the next
            if (await self.engine.queues.counts(dlq)).visible == n:
                break
            await self.engine.messages.receive(source, 10, 0, 0)
        assert (await self.engine.queues.counts(dlq)).visible == n
        return source.arn, dlq.arn

    async def bodies(self, name: str) -> list[str]:
        queue = await self.engine.queues.get_queue(ACCOUNT, "us-east-1", name)
        out: list[str] = []
        while True:
            got = await self.engine.messages.receive(queue, 10, 300, 0)
            if not got:
                return out
            out.extend(m.body for m in got)

    async def wait_moved(self, source_arn: str, at_least: int) -> None:
        for _ in range(1000):
            if (await self.moves.list_tasks(source_arn, 1))[0].moved >= at_least:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"never {at_least} messages moved")

    async def wait_status(self, source_arn: str, *statuses: str) -> MoveTask:
        for _ in range(1000):
            (task,) = await self.moves.list_tasks(source_arn, 1)
            if task.status in statuses:
                return task
            await asyncio.sleep(0.01)
        raise AssertionError(f"task never reached {statuses}: {task}")


def run(tmp_path: Path, scenario: Callable[[World], Awaitable[None]]) -> None:
    async def main() -> None:
        world = World(tmp_path / "t.db")
        await world.open()
        try:
            await scenario(world)
        finally:
            await world.close()

    asyncio.run(main())


def test_handle_round_trip_and_garbage() -> None:
    arn = "arn:aws:sqs:us-east-1:000000000000:q"
    assert decode_handle(encode_handle("t-1", arn)) == ("t-1", arn)
    for bad in ["foobared", "", "bm90IGpzb24=", "WzEsMl0=", "eyJ0YXNrSWQiOjF9"]:
        with pytest.raises(errors.InvalidParameter):
            decode_handle(bad)


def test_move_to_destination_as_new_messages(tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        _, dlq_arn = await w.pipe(25)
        dest = await w.engine.queues.create_queue(ACCOUNT, "us-east-1", "dest", {}, {})
        w.clock.advance(5_000)
        task = await w.moves.start(dlq_arn, dest.arn, None)
        assert (task.status, task.to_move, task.moved) == (RUNNING, 25, 0)
        assert task.started_ms == w.clock.now_ms()
        done = await w.wait_status(dlq_arn, COMPLETED)
        assert (done.moved, done.to_move, done.destination_arn) == (25, 25, dest.arn)
        got = await w.engine.messages.receive(dest, 10, 30, 0)
        assert len(got) == 10
        for m in got:
            # Redriven messages are new messages (Developer Guide): never received, enqueued now.
            assert m.receive_count == 1  # this receive
            assert m.sent_ms == w.clock.now_ms()
        bodies = [m.body for m in got] + await w.bodies("dest")
        assert sorted(bodies) == sorted(f"m{i}" for i in range(25))
        dlq = await w.engine.queues.get_queue(ACCOUNT, "us-east-1", "src-dlq")
        assert (await w.engine.queues.counts(dlq)).visible == 0

    run(tmp_path, scenario)


def test_message_ids_are_new(tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        _, dlq_arn = await w.pipe(3)
        dlq = await w.engine.queues.get_queue(ACCOUNT, "us-east-1", "src-dlq")
        before = {m.message_id for m in await w.engine.messages.receive(dlq, 10, 0, 0)}
        w.clock.advance(1)  # the visibility-0 receive above ends
        await w.moves.start(dlq_arn, None, None)
        await w.wait_status(dlq_arn, COMPLETED)
        source = await w.engine.queues.get_queue(ACCOUNT, "us-east-1", "src")
        after = {m.message_id for m in await w.engine.messages.receive(source, 10, 30, 0)}
        assert len(after) == 3 and not after & before

    run(tmp_path, scenario)


def test_back_to_the_original_sources(tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        _, dlq_arn = await w.pipe(4, "one")
        dlq = await w.engine.queues.get_queue(ACCOUNT, "us-east-1", "one-dlq")
        policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
        # Same region as its dead-letter queue: AWS refuses a DLQ in another region.
        two = await w.engine.queues.create_queue(
            ACCOUNT, "us-east-1", "two", {"RedrivePolicy": policy}, {}
        )
        await w.engine.messages.send(
            two, [w.engine.messages.prepare(two, Outgoing("x"), "s", w.clock.now_ms())]
        )
        for _ in range(3):
            await w.engine.messages.receive(two, 10, 0, 0)
        assert (await w.engine.queues.counts(dlq)).visible == 5
        await w.moves.start(dlq_arn, None, None)
        done = await w.wait_status(dlq_arn, COMPLETED)
        assert done.destination_arn is None and done.moved == 5
        assert sorted(await w.bodies("one")) == ["m0", "m1", "m2", "m3"]
        assert await w.bodies("two") == ["x"]

    run(tmp_path, scenario)


def test_original_source_gone_fails(tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        _, dlq_arn = await w.pipe(2)
        dlq = await w.engine.queues.get_queue(ACCOUNT, "us-east-1", "src-dlq")
        # A message sent straight to the DLQ has no original source queue.
        await w.engine.messages.send(
            dlq, [w.engine.messages.prepare(dlq, Outgoing("direct"), "s", w.clock.now_ms())]
        )
        await w.moves.start(dlq_arn, None, None)
        done = await w.wait_status(dlq_arn, FAILED)
        assert (done.moved, done.failure_reason) == (2, QUEUE_GONE)
        assert await w.bodies("src-dlq") == ["direct"]

    run(tmp_path, scenario)


def test_start_rules(tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        _, dlq_arn = await w.pipe(50)
        plain = await w.engine.queues.create_queue(ACCOUNT, "us-east-1", "plain", {}, {})
        fifo = await w.engine.queues.create_queue(
            ACCOUNT, "us-east-1", "f.fifo", {"FifoQueue": "true"}, {}
        )
        with pytest.raises(errors.InvalidParameter) as info:
            await w.moves.start(plain.arn, None, None)
        assert "Dead Letter Queue" in to_aws(info.value).message
        with pytest.raises(errors.ResourceNotFound) as missing:
            await w.moves.start(dlq_arn + "x", None, None)
        assert missing.value.parameter == "SourceArn"
        with pytest.raises(errors.ResourceNotFound) as missing:
            await w.moves.start(dlq_arn, plain.arn + "x", None)
        assert missing.value.parameter == "DestinationArn"
        with pytest.raises(errors.InvalidParameter) as info:
            await w.moves.start("not-an-arn", None, None)
        assert "format" in to_aws(info.value).message
        with pytest.raises(errors.InvalidParameter) as info:
            await w.moves.start(dlq_arn, fifo.arn, None)
        assert "same type" in to_aws(info.value).message
        with pytest.raises(errors.InvalidParameter) as info:
            await w.moves.start(dlq_arn, dlq_arn, None)
        assert "different" in to_aws(info.value).message
        for rate in (0, 501):
            with pytest.raises(errors.InvalidParameter) as info:
                await w.moves.start(dlq_arn, plain.arn, rate)
            assert "MaxNumberOfMessagesPerSecond" in to_aws(info.value).message
        for limit in (0, 11):
            with pytest.raises(errors.InvalidParameter) as info:
                await w.moves.list_tasks(dlq_arn, limit)
            assert "MaxResults" in to_aws(info.value).message
        assert await w.moves.list_tasks(plain.arn, 10) == []

        first = await w.moves.start(dlq_arn, plain.arn, 1)
        with pytest.raises(errors.InvalidParameter) as info:
            await w.moves.start(dlq_arn, plain.arn, None)
        assert "already a task running" in to_aws(info.value).message
        moved = await w.moves.cancel(w.moves.handle(first))
        assert 0 <= moved < 50
        done = await w.wait_status(dlq_arn, CANCELLED)
        assert done.moved < 50
        with pytest.raises(errors.MoveTaskNotFound):  # only a RUNNING task can be cancelled
            await w.moves.cancel(w.moves.handle(first))
        with pytest.raises(errors.MoveTaskNotFound):
            await w.moves.cancel(encode_handle("nope", dlq_arn))
        with pytest.raises(errors.ResourceNotFound):
            await w.moves.cancel(encode_handle(first.task_id, dlq_arn + "x"))

        second = await w.moves.start(dlq_arn, plain.arn, None)
        await w.wait_status(dlq_arn, COMPLETED)
        listed = await w.moves.list_tasks(dlq_arn, 10)
        assert [t.task_id for t in listed] == [second.task_id, first.task_id]
        assert listed[0].moved + listed[1].moved == 50

    run(tmp_path, scenario)


def test_keeps_ten_most_recent_tasks(tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        _, dlq_arn = await w.pipe(1)
        ids = []
        for _ in range(12):
            ids.append((await w.moves.start(dlq_arn, None, None)).task_id)
            await w.wait_status(dlq_arn, COMPLETED)
            w.clock.advance(1)
        assert [t.task_id for t in await w.moves.list_tasks(dlq_arn, 10)] == ids[::-1][:10]

    run(tmp_path, scenario)


def test_destination_deleted_mid_task_fails(tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        _, dlq_arn = await w.pipe(30)
        dest = await w.engine.queues.create_queue(ACCOUNT, "us-east-1", "dest", {}, {})
        await w.moves.start(dlq_arn, dest.arn, 20)  # one message per 50 ms
        await w.wait_moved(dlq_arn, 2)
        await w.engine.queues.delete_queue(dest)
        done = await w.wait_status(dlq_arn, FAILED, COMPLETED)
        assert (done.status, done.failure_reason) == (FAILED, QUEUE_GONE)
        assert 2 <= done.moved < 30

    run(tmp_path, scenario)


def test_restart_resumes_without_loss_or_duplicate(tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        _, dlq_arn = await w.pipe(40)
        dest = await w.engine.queues.create_queue(ACCOUNT, "us-east-1", "dest", {}, {})
        await w.moves.start(dlq_arn, dest.arn, 50)  # ~0.8 s for all
        await w.wait_moved(dlq_arn, 5)
        await w.reopen()
        (interrupted,) = await w.moves.list_tasks(dlq_arn, 1)
        assert interrupted.status == RUNNING and 5 <= interrupted.moved < 40
        assert await w.moves.adopt() == 1
        done = await w.wait_status(dlq_arn, COMPLETED)
        assert done.moved == 40
        bodies = await w.bodies("dest")
        assert sorted(bodies) == sorted(f"m{i}" for i in range(40))

    run(tmp_path, scenario)


def test_cancel_of_a_task_without_runner_still_finishes(tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        _, dlq_arn = await w.pipe(5)
        dest = await w.engine.queues.create_queue(ACCOUNT, "us-east-1", "dest", {}, {})
        task = await w.moves.start(dlq_arn, dest.arn, 1)
        await w.reopen()  # the task is RUNNING in the store, no runner yet
        assert await w.moves.cancel(w.moves.handle(task)) <= 1
        done = await w.wait_status(dlq_arn, CANCELLED)
        assert done.moved <= 1

    run(tmp_path, scenario)


def test_source_deleted_mid_task_fails(tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        _, dlq_arn = await w.pipe(30)
        dest = await w.engine.queues.create_queue(ACCOUNT, "us-east-1", "dest", {}, {})
        task = await w.moves.start(dlq_arn, dest.arn, 20)
        await w.wait_moved(dlq_arn, 2)
        await w.engine.queues.delete_queue(
            await w.engine.queues.get_queue(ACCOUNT, "us-east-1", "src-dlq")
        )
        for _ in range(500):
            stored = await w.store.get_move_task(task.task_id)
            assert stored is not None
            if stored.status != RUNNING:
                break
            await asyncio.sleep(0.01)
        assert stored is not None
        assert (stored.status, stored.failure_reason) == (FAILED, QUEUE_GONE)
        # Nothing moved after the delete; what was moved before is in the destination once.
        bodies = await w.bodies("dest")
        assert len(bodies) == stored.moved == len(set(bodies))
        with pytest.raises(errors.ResourceNotFound):  # the source cannot be listed any more
            await w.moves.list_tasks(dlq_arn, 1)

    run(tmp_path, scenario)


def test_fifo_redrive_orders_moved_messages_after_the_destinations_own(tmp_path: Path) -> None:
    async def scenario(w: World) -> None:
        fifo = {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
        dlq = await w.engine.queues.create_queue(ACCOUNT, "us-east-1", "d.fifo", fifo, {})
        policy = json.dumps({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 1})
        src = await w.engine.queues.create_queue(
            ACCOUNT, "us-east-1", "s.fifo", {**fifo, "RedrivePolicy": policy}, {}
        )
        dest = await w.engine.queues.create_queue(ACCOUNT, "us-east-1", "t.fifo", fifo, {})
        now = w.clock.now_ms()
        for i in range(3):
            out = Outgoing(f"old{i}", group_id="g")
            await w.engine.messages.send(src, [w.engine.messages.prepare(src, out, "s", now)])
        for _ in range(10):
            if (await w.engine.queues.counts(dlq)).visible == 3:
                break
            for m in await w.engine.messages.receive(src, 10, 0, 0):
                await w.engine.messages.change_visibility(src, [(m.receipt_handle, 0)])
        assert (await w.engine.queues.counts(dlq)).visible == 3
        out = Outgoing("own", group_id="g")
        (own,) = await w.engine.messages.send(
            dest, [w.engine.messages.prepare(dest, out, "s", now)]
        )
        await w.moves.start(dlq.arn, dest.arn, None)
        await w.wait_status(dlq.arn, COMPLETED)
        got = []
        for _ in range(4):
            (m,) = await w.engine.messages.receive(dest, 1, 30, 0)
            got.append(m)
            await w.engine.messages.delete(dest, [m.receipt_handle])
        assert [m.body for m in got] == ["own", "old0", "old1", "old2"]
        seqs = [m.sequence_number or 0 for m in got]
        assert seqs == sorted(seqs) and len(set(seqs)) == 4
        assert own.sequence_number == seqs[0]

    run(tmp_path, scenario)
