"""The storage contract of message move tasks (``densho/storage/move_store.py``), run against
every backend: each operation's result and atomicity promise, and the leases of several nodes.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

import pytest

from densho.core.move_model import (
    CANCELLED,
    COMPLETED,
    FAILED,
    QUEUE_GONE,
    RUNNING,
    MoveStep,
    MoveTask,
)
from densho.core.store import Lease
from densho.storage.open import AnyStore
from tests.contract.conftest import Backend
from tests.contract.scenarios import T0, claim, fifo_send, msg, new_queue, run

pytestmark = pytest.mark.timeout(60)


async def move_queues(store: AnyStore, fifo: bool = False) -> tuple[int, int]:
    """A move task's source and destination queues (``dlq`` and ``dest``)."""
    suffix = ".fifo" if fifo else ""
    return (
        await new_queue(store, f"dlq{suffix}", fifo=fifo),
        await new_queue(store, f"dest{suffix}", fifo=fifo),
    )


def move_task(src: int, dest: int, task_id: str = "t") -> MoveTask:
    """A RUNNING move task from ``src`` to ``dest``, nothing moved yet."""
    return MoveTask(task_id, src, "arn:src", dest, "arn:dest", None, RUNNING, 0, 0, T0)


def test_move_task_lifecycle(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        src, dest = await move_queues(store)
        await store.send(src, [msg(f"m{i}") for i in range(5)])

        lease = Lease("node", T0 + 5_000)
        started = await store.start_move_task(move_task(src, dest, "t1"), T0, 0, lease)
        assert started is not None and started.to_move == 5 and started.status == RUNNING
        assert (
            await store.start_move_task(move_task(src, dest, "t2"), T0, 0, lease) is None
        )  # one per source
        # Adopted when its lease has ended (at a restart, without leases: at once).
        assert [t.task_id for t in await store.adopt_move_tasks(lease, T0 + 5_000)] == ["t1"]
        ids = [str(uuid.uuid4()) for _ in range(3)]
        step = await store.move_chunk("t1", T0 + 1, 3, 0, ids, False, lease)
        assert step is not None
        assert (step.status, step.moved, step.targets) == (RUNNING, 3, (dest,))
        got, _, _ = await store.receive(claim(dest, now=T0 + 1))
        assert sorted(m.message_id for m in got) == sorted(ids)
        assert all(m.receive_count == 1 and m.sent_ms == T0 + 1 for m in got)
        step = await store.move_chunk(
            "t1", T0 + 2, 10, 0, [str(uuid.uuid4()) for _ in range(10)], False, lease
        )
        assert step is not None and (step.status, step.moved) == (COMPLETED, 2)
        got_task = await store.get_move_task("t1")
        assert got_task is not None and got_task.moved == 5
        # Cancel: RUNNING -> CANCELLING -> (next chunk) CANCELLED.
        await store.send(src, [msg("x")])
        assert await store.start_move_task(move_task(src, dest, "t3"), T0 + 3, 0, lease) is not None
        cancelling = await store.cancel_move_task("t3")
        assert cancelling is not None and cancelling.status == "CANCELLING"
        assert await store.cancel_move_task("t3") is None
        step = await store.move_chunk("t3", T0 + 4, 10, 0, ["id"], False, lease)
        assert step is not None and step.status == CANCELLED
        assert [t.task_id for t in await store.list_move_tasks(src, 10)] == ["t3", "t1"]
        await store.fail_move_task("t1", "nope")  # not active: unchanged
        t1 = await store.get_move_task("t1")
        assert t1 is not None and t1.status == COMPLETED

    run(backend, scenario)


def test_move_task_into_a_fifo_queue_numbers_the_messages(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        src, dest = await move_queues(store, fifo=True)
        await store.send(dest, [msg("own", group_id="g", dedup_id="own")], fifo_send())
        for i in range(3):
            await store.send(src, [msg(f"m{i}", group_id="g", dedup_id=f"d{i}")], fifo_send())
        task = move_task(src, dest)
        lease = Lease("node", T0 + 5_000)
        assert await store.start_move_task(task, T0, 0, lease) is not None
        step = await store.move_chunk("t", T0 + 1, 10, 0, [f"id{i}" for i in range(3)], True, lease)
        assert step is not None and (step.status, step.moved) == (COMPLETED, 3)
        got, _, _ = await store.receive(claim(dest, now=T0 + 1, fifo=True))
        assert [m.body for m in got] == ["own", "m0", "m1", "m2"]
        numbers = [m.sequence_number or 0 for m in got]
        assert numbers == sorted(set(numbers))  # after the queue's own, in order

    run(backend, scenario)


def test_move_task_runs_under_one_lease_at_a_time_two_nodes(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        src, dest = await move_queues(store)
        await store.send(src, [msg(f"m{i}") for i in range(5)])
        task = move_task(src, dest)

        def ids() -> list[str]:
            return [str(uuid.uuid4())]

        assert await store.start_move_task(task, T0, 0, Lease("a", T0 + 5_000)) is not None
        if not store.shared:  # one process: no leases, every call acts for the caller
            assert [t.task_id for t in await store.adopt_move_tasks(Lease("b", 0), T0)] == ["t"]
            assert await store.move_chunk("t", T0, 1, 0, ids(), False, Lease("b", 0)) is not None
            return
        async with backend.opened() as other:
            b = Lease("b", T0 + 11_000)
            assert await other.adopt_move_tasks(b, T0 + 1_000) == []  # a's lease is live
            assert await other.move_chunk("t", T0 + 1_000, 1, 0, ids(), False, b) is None
            step = await store.move_chunk(
                "t", T0 + 2_000, 1, 0, ids(), False, Lease("a", T0 + 7_000)
            )
            assert step is not None and step.moved == 1  # and a's lease now ends at T0 + 7 s
            assert await other.adopt_move_tasks(b, T0 + 6_999) == []
            # a stopped renewing: of two adopters at once, one gets the task.
            got = await asyncio.gather(
                other.adopt_move_tasks(b, T0 + 7_000),
                store.adopt_move_tasks(Lease("c", T0 + 11_000), T0 + 7_000),
            )
            assert sorted(len(g) for g in got) == [0, 1]
            holder, lease = (other, b) if got[0] else (store, Lease("c", T0 + 11_000))
            lost = await store.move_chunk("t", T0 + 7_001, 1, 0, ids(), False, Lease("a", T0))
            assert lost is None  # a's runner finds the task taken and stops
            step = await holder.move_chunk("t", T0 + 7_002, 1, 0, ids(), False, lease)
            assert step is not None and step.moved == 1
            moved = await store.get_move_task("t")
            assert moved is not None and moved.moved == 2

    run(backend, scenario)


def test_a_released_move_task_is_adopted_at_once(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        src, dest = await move_queues(store)
        task = move_task(src, dest)
        assert await store.start_move_task(task, T0, 0, Lease("a", T0 + 5_000)) is not None
        if store.shared:  # a's lease is live: nobody else may adopt the task yet
            assert await store.adopt_move_tasks(Lease("b", T0 + 9_000), T0 + 1_000) == []
        await store.release_move_tasks("a")  # a stops gracefully
        adopted = await store.adopt_move_tasks(Lease("b", T0 + 9_000), T0 + 1_000)
        assert [t.task_id for t in adopted] == ["t"]

    run(backend, scenario)


def test_a_move_task_fails_when_asked_or_when_its_queues_go(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        lease = Lease("node", T0 + 5_000)
        src, dest = await move_queues(store)
        await store.send(src, [msg("m")])
        assert await store.start_move_task(move_task(src, dest, "t1"), T0, 0, lease) is not None
        await store.fail_move_task("t1", "stopped")
        failed = await store.get_move_task("t1")
        assert failed is not None and (failed.status, failed.failure_reason) == (
            FAILED,
            "stopped",
        )
        assert await store.get_move_task("nope") is None
        # The destination is deleted: the next chunk fails the task and moves nothing.
        assert await store.start_move_task(move_task(src, dest, "t2"), T0, 0, lease) is not None
        await store.delete_queue(dest, T0 + 1)
        step = await store.move_chunk("t2", T0 + 2, 10, 0, ["id"], False, lease)
        assert step is not None and (step.status, step.moved) == (FAILED, 0)
        t2 = await store.get_move_task("t2")
        assert t2 is not None and t2.failure_reason == QUEUE_GONE
        assert (await store.counts(src, T0 + 2, 0)).visible == 1
        assert await store.move_chunk("gone", T0 + 2, 10, 0, ["id"], False, lease) == MoveStep(
            FAILED, 0, ()
        )

    run(backend, scenario)


def test_a_move_task_without_destination_returns_messages_where_they_came_from(
    backend: Backend,
) -> None:
    async def scenario(store: AnyStore) -> None:
        lease = Lease("node", T0 + 5_000)
        origin, dlq = await new_queue(store, "origin"), await new_queue(store, "dlq")
        other = await new_queue(store, "other")
        await store.send(origin, [msg("a"), msg("b")])
        await store.send(other, [msg("c")])
        redrive = {"dead_letter_queue_id": dlq, "max_receive_count": 1}
        for queue_id in (origin, other):  # received once, then moved to the dead-letter queue
            await store.receive(claim(queue_id, vis_ms=0, **redrive))
            assert (await store.receive(claim(queue_id, now=T0 + 1, **redrive)))[2] > 0
        await store.delete_queue(other, T0 + 2)
        back = MoveTask("t", dlq, "arn:dlq", None, None, None, RUNNING, 0, 0, T0)
        started = await store.start_move_task(back, T0 + 3, 0, lease)
        assert started is not None and started.to_move == 3
        ids = [str(uuid.uuid4()) for _ in range(3)]
        step = await store.move_chunk("t", T0 + 4, 10, 0, ids, False, lease)
        # a and b go home; c's origin is gone, and the task fails there.
        assert step is not None and (step.status, step.moved, step.targets) == (
            FAILED,
            2,
            (origin,),
        )
        home, _, _ = await store.receive(claim(origin, now=T0 + 4))
        assert sorted(m.body for m in home) == ["a", "b"]
        assert all(m.receive_count == 1 and m.dead_letter_source_id is None for m in home)

    run(backend, scenario)


def test_a_source_keeps_its_ten_most_recent_tasks(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        lease = Lease("node", T0 + 5_000)
        src, dest = await move_queues(store)
        for i in range(12):
            task = move_task(src, dest, f"t{i:02}")
            assert await store.start_move_task(replace(task, started_ms=T0 + i), T0, 0, lease)
            step = await store.move_chunk(f"t{i:02}", T0 + i, 10, 0, ["id"], False, lease)
            assert step is not None and step.status == COMPLETED  # nothing to move
        listed = await store.list_move_tasks(src, 100)
        assert [t.task_id for t in listed] == [f"t{i:02}" for i in range(11, 1, -1)]
        assert [t.task_id for t in await store.list_move_tasks(src, 2)] == ["t11", "t10"]

    run(backend, scenario)
