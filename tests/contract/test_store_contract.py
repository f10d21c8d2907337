"""The storage contract (``densho/storage/base.py``, ``moves.py``, ``sns_base.py``), run against
every backend: each method's result and atomicity promise, with times passed in (no clock).

Tests named ``..._two_nodes`` open a second store on the same database while the first is open:
on PostgreSQL that is two densho nodes; SQLite refuses a second owner, so they run there with one
store playing both parts (the promise is the same: no message claimed twice, order kept).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable

import pytest

from densho.core.move_model import CANCELLED, COMPLETED, RUNNING, MoveTask
from densho.core.sns_model import Delivery, PublishItem, Subscription, Topic, TopicDedup
from densho.core.sqs_model import Attr, NewMessage
from densho.core.store import Claim, FifoSend, Handle, Lease, QueueGone
from densho.storage.open import AnyStore
from tests.contract.conftest import Backend

pytestmark = pytest.mark.timeout(60)

T0 = 1_700_000_000_000
Scenario = Callable[[AnyStore], Awaitable[None]]


def run(backend: Backend, scenario: Scenario) -> None:
    async def main() -> None:
        async with backend.opened() as store:
            await scenario(store)

    asyncio.run(main())


def msg(
    body: str,
    now: int = T0,
    delay_ms: int = 0,
    *,
    attrs: bool = False,
    group_id: str | None = None,
    dedup_id: str | None = None,
) -> NewMessage:
    return NewMessage(
        message_id=str(uuid.uuid4()),
        body=body,
        attributes={"a": Attr("String", "x")} if attrs else {},
        system_attributes={},
        md5_body="0" * 32,
        md5_attributes=None,
        md5_system_attributes=None,
        sent_ms=now,
        visible_ms=now + delay_ms,
        sender_id="sender",
        group_id=group_id,
        dedup_id=dedup_id,
    )


def claim(
    queue_id: int, now: int = T0, limit: int = 10, vis_ms: int = 30_000, **kw: object
) -> Claim:
    return Claim(
        queue_id=queue_id,
        now_ms=now,
        limit=limit,
        visible_until_ms=now + vis_ms,
        retention_cutoff_ms=now - 345_600_000,
        nonce=random.getrandbits(62),
        **kw,  # type: ignore[arg-type]
    )


async def new_queue(store: AnyStore, name: str = "q", fifo: bool = False) -> int:
    attrs = {"FifoQueue": "true"} if fifo else {}
    queue, created = await store.create_queue("acct", name, "us-east-1", attrs, {}, T0)
    assert created
    return queue.id


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


def fifo_send(now: int = T0, by_group: bool = False) -> FifoSend:
    return FifoSend(now_ms=now, window_ms=300_000, by_group=by_group)


# --- queues ---


def test_queues_create_get_list_update_delete(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        q, created = await store.create_queue("a", "alpha", "r", {"X": "1"}, {"t": "v"}, T0)
        assert created and q.name == "alpha" and q.attributes == {"X": "1"}
        again, created = await store.create_queue("a", "alpha", "r", {"X": "2"}, {}, T0 + 5)
        assert not created and again == q
        await store.create_queue("a", "beta", "r", {}, {}, T0)
        await store.create_queue("b", "alpha", "r", {}, {}, T0)
        assert await store.get_queue("a", "alpha") == q
        assert await store.get_queue("a", "nope") is None
        assert [x.name for x in await store.list_queues("a", "")] == ["alpha", "beta"]
        assert [x.name for x in await store.list_queues("a", "be")] == ["beta"]
        updated = await store.update_queue(q.id, {"Y": "3"}, {"k": "w"}, T0 + 10)
        assert (updated.attributes, updated.tags, updated.modified_ms) == (
            {"Y": "3"},
            {"k": "w"},
            T0 + 10,
        )
        await store.send(q.id, [msg("m")])
        assert not await store.deleted_since("a", "alpha", T0)
        await store.delete_queue(q.id, T0 + 20)
        assert await store.get_queue("a", "alpha") is None
        assert await store.deleted_since("a", "alpha", T0 + 19)
        assert not await store.deleted_since("a", "alpha", T0 + 20)
        assert (await store.counts(q.id, T0 + 30, 0)).visible == 0

    run(backend, scenario)


# --- standard messages ---


def test_send_receive_delete_round_trip(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        sent = await store.send(qid, [msg("one", attrs=True), msg("two"), msg("three")])
        assert len(sent) == 3 and len({s[1] for s in sent}) == 3
        assert [s[1] for s in sent] == sorted(s[1] for s in sent)  # row ids increase
        got, next_visible, moved = await store.receive(claim(qid))
        assert [m.body for m in got] == ["one", "two", "three"] and moved == 0
        assert next_visible is None
        first = got[0]
        assert first.message_id == sent[0][0] and first.receive_count == 1
        assert first.attributes == {"a": Attr("String", "x")}
        assert first.first_receive_ms == T0 and first.row == sent[0][1]
        # In flight: nothing visible, and the earliest visible_at is reported.
        again, next_visible, _ = await store.receive(claim(qid))
        assert again == [] and next_visible == T0 + 30_000
        handles = [Handle(qid, m.row, m.nonce) for m in got]
        stale = Handle(qid, first.row, first.nonce + 1)
        assert await store.delete_messages([stale]) == [False]
        assert await store.delete_messages([handles[0]]) == [True]
        assert await store.delete_messages([handles[0]]) == [False]
        assert await store.delete_messages([handles[1], handles[2], handles[1]]) == [
            True,
            True,
            False,
        ]
        assert await store.counts(qid, T0, 0) == type(await store.counts(qid, T0, 0))(0, 0, 0)

    run(backend, scenario)


def test_receive_limit_delay_visibility_and_redelivery(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        await store.send(qid, [msg(f"m{i}") for i in range(5)])
        await store.send(qid, [msg("late", delay_ms=10_000)])
        counts = await store.counts(qid, T0, 0)
        assert (counts.visible, counts.in_flight, counts.delayed) == (5, 0, 1)
        got, _, _ = await store.receive(claim(qid, limit=2))
        assert [m.body for m in got] == ["m0", "m1"]
        counts = await store.counts(qid, T0, 0)
        assert (counts.visible, counts.in_flight, counts.delayed) == (3, 2, 1)
        rest, _, _ = await store.receive(claim(qid, vis_ms=1_000))
        assert [m.body for m in rest] == ["m2", "m3", "m4"]
        none, next_visible, _ = await store.receive(claim(qid))
        assert none == [] and next_visible == T0 + 1_000
        redelivered, _, _ = await store.receive(claim(qid, now=T0 + 1_000))
        assert [m.body for m in redelivered] == ["m2", "m3", "m4"]
        assert all(m.receive_count == 2 and m.first_receive_ms == T0 for m in redelivered)
        late, _, _ = await store.receive(claim(qid, now=T0 + 10_000))
        assert [m.body for m in late] == ["late"]

    run(backend, scenario)


def test_change_visibility_outcomes(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        await store.send(qid, [msg("a"), msg("b"), msg("c")])
        got, _, _ = await store.receive(claim(qid, limit=2))
        a, b = (Handle(qid, m.row, m.nonce) for m in got)
        gone = Handle(qid, a.seq, a.nonce ^ 1)
        outcomes = await store.change_visibility(
            [(a, T0 + 60_000), (gone, T0), (b, T0 + 43_200_001)], T0, 43_200_000
        )
        assert outcomes == ["ok", "gone", "too-long"]
        got, _, _ = await store.receive(claim(qid, now=T0 + 30_000))
        assert [m.body for m in got] == ["b", "c"]
        c = next(Handle(qid, m.row, m.nonce) for m in got if m.body == "c")
        # a now stays hidden until T0 + 60 s; release it at once.
        assert await store.change_visibility([(a, T0 + 30_000)], T0 + 30_000, 43_200_000) == ["ok"]
        got, _, _ = await store.receive(claim(qid, now=T0 + 30_000))
        assert [m.body for m in got] == ["a"]
        # c's visibility timeout ended at T0 + 60 s: it is not in flight any more.
        outcome = await store.change_visibility([(c, T0 + 90_000)], T0 + 70_000, 43_200_000)
        assert outcome == ["not-inflight"]

    run(backend, scenario)


def test_retention_expire_and_purge(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        await store.send(qid, [msg("old", now=T0)])
        await store.send(qid, [msg("new", now=T0 + 5_000)])
        # Sent at or before the cutoff: expired, neither counted nor delivered.
        assert (await store.counts(qid, T0 + 6_000, T0)).visible == 1
        c = claim(qid, now=T0 + 6_000)
        got, _, _ = await store.receive(
            Claim(c.queue_id, c.now_ms, 10, c.visible_until_ms, T0, c.nonce)
        )
        assert [m.body for m in got] == ["new"]
        assert await store.expire(qid, T0) == 1
        assert await store.expire(qid, T0) == 0
        await store.send(qid, [msg("later", now=T0 + 7_000)])
        assert await store.purge(qid, T0 + 6_000, 60_000)
        assert (await store.counts(qid, T0 + 8_000, 0)).visible == 1  # sent after the purge
        queue = await store.get_queue("acct", "q")
        assert queue is not None and queue.purged_ms == T0 + 6_000
        # Once a minute: refused (nothing deleted) within the interval, atomically.
        assert not await store.purge(qid, T0 + 65_999, 60_000)
        assert (await store.counts(qid, T0 + 66_000, 0)).visible == 1
        assert await store.purge(qid, T0 + 66_000, 60_000)
        assert (await store.counts(qid, T0 + 67_000, 0)).visible == 0
        await store.delete_queue(qid, T0 + 70_000)
        with pytest.raises(QueueGone):
            await store.purge(qid, T0 + 200_000, 60_000)
        with pytest.raises(QueueGone):
            await store.update_queue(qid, {}, {}, T0 + 200_000)
        assert [q.name for q in await store.all_queues()] == []

    run(backend, scenario)


def test_redrive_moves_spent_messages_in_the_receive(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store, "src")
        dlq = await new_queue(store, "dlq")
        await store.send(qid, [msg("a"), msg("b")])
        redrive = {"dead_letter_queue_id": dlq, "max_receive_count": 1}
        got, _, moved = await store.receive(claim(qid, vis_ms=0, **redrive))
        assert len(got) == 2 and moved == 0
        got, _, moved = await store.receive(claim(qid, now=T0 + 1, **redrive))
        assert got == [] and moved == 2
        in_dlq, _, _ = await store.receive(claim(dlq, now=T0 + 1))
        assert sorted(m.body for m in in_dlq) == ["a", "b"]
        assert {m.dead_letter_source_id for m in in_dlq} == {qid}

    run(backend, scenario)


# --- FIFO ---


def test_fifo_dedup_sequence_and_scope(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store, "f.fifo", fifo=True)
        first = await store.send(qid, [msg("a", group_id="g", dedup_id="d1")], fifo_send())
        # Same id within the window (another group too): the original's id and sequence.
        dup = await store.send(qid, [msg("a2", group_id="h", dedup_id="d1")], fifo_send(T0 + 1))
        assert dup == first
        batch = await store.send(
            qid,
            [
                msg("b", group_id="g", dedup_id="d2"),
                msg("b-again", group_id="g", dedup_id="d2"),  # repeats an entry of the batch
                msg("c", group_id="g", dedup_id="d3"),
            ],
            fifo_send(T0 + 2),
        )
        # SequenceNumbers increase (AWS promises no contiguity).
        assert batch[0] == batch[1] and first[0][1] < batch[0][1] < batch[2][1]
        # After the window the id is new again.
        later = await store.send(
            qid, [msg("a3", group_id="g", dedup_id="d1")], fifo_send(T0 + 300_000)
        )
        assert later[0][0] != first[0][0] and later[0][1] > batch[2][1]
        assert (await store.counts(qid, T0 + 300_000, 0)).visible == 4
        # Scope messageGroup: the same id in another group is a different message.
        gq = await new_queue(store, "g.fifo", fifo=True)
        one = await store.send(
            gq, [msg("x", group_id="g1", dedup_id="d")], fifo_send(by_group=True)
        )
        two = await store.send(
            gq, [msg("y", group_id="g2", dedup_id="d")], fifo_send(by_group=True)
        )
        assert one[0][0] != two[0][0]
        # expire_windows forgets ids whose window has passed; purge forgets the queue's.
        await store.expire_windows(T0 + 300_000)
        again = await store.send(
            gq, [msg("x2", group_id="g1", dedup_id="d")], fifo_send(by_group=True)
        )
        assert again[0][0] != one[0][0]
        assert await store.purge(qid, T0 + 300_001, 60_000)
        fresh = await store.send(
            qid, [msg("z", group_id="g", dedup_id="d1")], fifo_send(T0 + 300_002)
        )
        assert fresh[0][0] != later[0][0]

    run(backend, scenario)


def test_fifo_group_order_lock_and_attempt_id(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store, "f.fifo", fifo=True)
        for i in range(3):
            await store.send(qid, [msg(f"g{i}", group_id="g", dedup_id=f"g{i}")], fifo_send())
            await store.send(qid, [msg(f"h{i}", group_id="h", dedup_id=f"h{i}")], fifo_send())
        got, _, _ = await store.receive(claim(qid, limit=2, fifo=True))
        assert [m.body for m in got] == ["g0", "g1"]
        assert [m.sequence_number for m in got] == sorted(m.sequence_number or 0 for m in got)
        # g is locked while g0/g1 are in flight: only h comes.
        got2, _, _ = await store.receive(claim(qid, limit=10, fifo=True))
        assert [m.body for m in got2] == ["h0", "h1", "h2"]
        assert (await store.receive(claim(qid, fifo=True)))[0] == []
        # Deleting g0 and g1 unlocks g.
        await store.delete_messages([Handle(qid, m.row, m.nonce) for m in got])
        got3, _, _ = await store.receive(
            claim(qid, fifo=True, attempt_id="try-1", attempt_window_ms=300_000)
        )
        assert [m.body for m in got3] == ["g2"]
        retry, _, _ = await store.receive(
            claim(qid, now=T0 + 5, fifo=True, attempt_id="try-1", attempt_window_ms=300_000)
        )
        assert [(m.body, m.nonce) for m in retry] == [(m.body, m.nonce) for m in got3]

    run(backend, scenario)


def test_fifo_delayed_head_holds_its_group(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store, "f.fifo", fifo=True)
        await store.send(qid, [msg("a", group_id="g", dedup_id="a")], fifo_send())
        await store.send(qid, [msg("b", group_id="g", dedup_id="b")], fifo_send())
        got, _, _ = await store.receive(claim(qid, limit=1, fifo=True, vis_ms=1_000))
        assert [m.body for m in got] == ["a"]
        none, next_visible, _ = await store.receive(claim(qid, fifo=True))
        assert none == [] and next_visible == T0 + 1_000
        # a's visibility ran out: a again first, then b, in order.
        again, _, _ = await store.receive(claim(qid, now=T0 + 1_000, fifo=True))
        assert [m.body for m in again] == ["a", "b"]

    run(backend, scenario)


# --- several receivers, several nodes ---


def test_concurrent_receives_never_share_a_message_two_nodes(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        for _ in range(10):
            await store.send(qid, [msg(f"m{i}") for i in range(10)])
        other = backend.store() if backend.kind == "postgresql" else None
        nodes = [store]
        if other is not None:
            await other.open()
            nodes.append(other)
        try:
            results = await asyncio.gather(
                *(nodes[i % len(nodes)].receive(claim(qid, limit=7)) for i in range(30))
            )
        finally:
            if other is not None:
                await other.close()
        ids = [m.message_id for got, _, _ in results for m in got]
        assert len(ids) == len(set(ids)) == 100

    run(backend, scenario)


def test_concurrent_fifo_receives_keep_group_order_two_nodes(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store, "f.fifo", fifo=True)
        for i in range(20):
            await store.send(
                qid,
                [msg(f"{g}:{i}", group_id=g, dedup_id=f"{g}{i}") for g in ("a", "b", "c")],
                fifo_send(),
            )
        other = backend.store() if backend.kind == "postgresql" else None
        nodes = [store]
        if other is not None:
            await other.open()
            nodes.append(other)
        delivered: list[str] = []
        try:
            for round_no in range(40):
                results = await asyncio.gather(
                    *(
                        nodes[i % len(nodes)].receive(claim(qid, limit=3, fifo=True))
                        for i in range(6)
                    )
                )
                got = [m for r, _, _ in results for m in r]
                # Each group's messages of one round come from one receiver, in order.
                groups = [{m.group_id for m in r} for r, _, _ in results]
                for i, gi in enumerate(groups):
                    for gj in groups[i + 1 :]:
                        assert not gi & gj
                delivered.extend(m.body for r, _, _ in results for m in r)
                await store.delete_messages([Handle(qid, m.row, m.nonce) for m in got])
                if len(delivered) == 60:
                    break
                assert round_no < 39
        finally:
            if other is not None:
                await other.close()
        for g in ("a", "b", "c"):
            assert [d for d in delivered if d.startswith(g)] == [f"{g}:{i}" for i in range(20)]

    run(backend, scenario)


def test_concurrent_fifo_sends_dedup_once_two_nodes(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store, "f.fifo", fifo=True)
        other = backend.store() if backend.kind == "postgresql" else None
        nodes = [store]
        if other is not None:
            await other.open()
            nodes.append(other)
        try:
            sent = await asyncio.gather(
                *(
                    nodes[i % len(nodes)].send(
                        qid, [msg(str(i), group_id="g", dedup_id=f"d{i % 25}")], fifo_send()
                    )
                    for i in range(50)
                )
            )
        finally:
            if other is not None:
                await other.close()
        by_id: dict[str, set[int]] = {}
        for i, r in enumerate(sent):
            by_id.setdefault(f"d{i % 25}", set()).update(s for _, s in r)
        assert all(len(v) == 1 for v in by_id.values())  # each id enqueued once
        assert len({s for v in by_id.values() for s in v}) == 25
        got, _, _ = await store.receive(claim(qid, fifo=True))
        numbers = [m.sequence_number for m in got]
        assert numbers == sorted(n or 0 for n in numbers) and len(got) == 10

    run(backend, scenario)


# --- fair queues ---


def test_fair_queue_serves_quiet_groups_before_a_flood(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        await store.send(qid, [msg(f"noisy{i}", group_id="noisy") for i in range(10)] * 1)
        for i in range(5):
            await store.send(
                qid, [msg(f"noisy{10 + i * 10 + j}", group_id="noisy") for j in range(10)]
            )
        await store.send(qid, [msg("quiet", group_id="quiet"), msg("solo")])
        got, _, _ = await store.receive(claim(qid, limit=3))
        bodies = {m.body for m in got}
        assert "quiet" in bodies and "solo" in bodies
        solo = next(m for m in got if m.body == "solo")
        assert solo.group_id is None

    run(backend, scenario)


# --- move tasks ---


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
        other = backend.store()
        await other.open()
        try:
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
        finally:
            await other.close()

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


def test_topic_sequence_reservations_never_repeat_two_nodes(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        topic = Topic("arn:aws:sns:r:a:s.fifo", "a", "r", "s.fifo", {"FifoTopic": "true"}, {}, T0)
        await store.create_topic(topic)
        other = backend.store() if backend.kind == "postgresql" else None
        nodes = [store] if other is None else [store, other]
        if other is not None:
            await other.open()
        try:
            got = await asyncio.gather(
                *(nodes[i % len(nodes)].reserve_topic_seq(topic.arn, 1 + i % 3) for i in range(30))
            )
        finally:
            if other is not None:
                await other.close()
        numbers = [n for last, i in zip(got, range(30), strict=True) for n in _reserved(last, i)]
        assert sorted(numbers) == list(range(1, sum(1 + i % 3 for i in range(30)) + 1))
        assert await store.reserve_topic_seq("arn:aws:sns:r:a:gone", 1) is None

    run(backend, scenario)


def _reserved(last: int | None, i: int) -> list[int]:
    assert last is not None
    return list(range(last - i % 3, last + 1))


# --- SNS ---


def test_sns_topics_subscriptions_and_publish(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        topic = Topic("arn:aws:sns:r:a:t.fifo", "a", "r", "t.fifo", {"FifoTopic": "true"}, {}, T0)
        made, created = await store.create_topic(topic)
        assert created and made == topic
        assert (await store.create_topic(topic))[1] is False
        assert [t.arn for t in await store.list_topics("a")] == [topic.arn]
        updated = await store.update_topic(topic.arn, {"FifoTopic": "true", "X": "y"}, {"k": "v"})
        assert updated.tags == {"k": "v"}
        qid = await new_queue(store, "sub.fifo", fifo=True)
        sub = Subscription("arn:sub:1", topic.arn, "a", "sqs", "arn:q", {}, True, T0)
        assert await store.create_subscription(sub) == (sub, True)
        same = Subscription("arn:sub:2", topic.arn, "a", "sqs", "arn:q", {}, True, T0)
        assert await store.create_subscription(same) == (sub, False)
        assert [s.arn for s in await store.topic_subscriptions(topic.arn)] == ["arn:sub:1"]
        assert [s.arn for s in await store.list_subscriptions("a")] == ["arn:sub:1"]
        changed = await store.update_subscription("arn:sub:1", {"RawMessageDelivery": "true"}, True)
        assert changed is not None and changed.attributes == {"RawMessageDelivery": "true"}

        def item(message_id: str, dedup_id: str, seq: int) -> PublishItem:
            m = msg("body", group_id="g", dedup_id=dedup_id)
            return PublishItem(
                message_id,
                seq,
                TopicDedup(dedup_id, "", T0, 300_000),
                [Delivery(qid, m, fifo_send())],
            )

        out = await store.publish(topic.arn, [item("m1", "d1", 1), item("m2", "d1", 2)])
        assert [(p.message_id, p.sequence, p.delivered) for p in out] == [
            ("m1", 1, True),
            ("m1", 1, False),
        ]
        assert (await store.counts(qid, T0, 0)).visible == 1
        top = await store.get_topic(topic.arn)
        assert top is not None and top.seq == 1
        await store.expire_topic_windows(T0 + 300_000)
        out = await store.publish(topic.arn, [item("m3", "d1", 3)])
        assert out[0].delivered
        assert await store.delete_topic(topic.arn) == ["arn:sub:1"]
        assert await store.get_topic(topic.arn) is None
        assert await store.get_subscription("arn:sub:1") is None
        assert not await store.delete_subscription("arn:sub:1")

    run(backend, scenario)
