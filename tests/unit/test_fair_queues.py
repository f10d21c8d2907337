"""Fair queues (standard queues with MessageGroupId) over the real SQLite store, fake clock.

The scheduling rule under test (``densho/storage/fair.py``; AWS Developer Guide, "How
Amazon SQS fair queues work"): each message group is a tenant and the ungrouped messages share
one; a receive goes round the tenants that have visible messages, fewest in flight first, a group
with 30 or more messages in flight counting as noisy by how many it holds beyond that; within a
tenant, oldest first. Queues without any group keep the one-statement oldest-first claim.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from densho.core.clock import FakeClock
from densho.core.sqs_model import Queue, ReceivedMessage
from densho.sqs.engine import SqsEngine
from densho.sqs.flow import Outgoing
from densho.storage import fair
from densho.storage.sqlite import SCHEMA_VERSION, SqliteStore

Scenario = Callable[[SqsEngine, FakeClock, SqliteStore], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario) -> None:
    async def main() -> None:
        store = SqliteStore(tmp_path / "t.db", synchronous="OFF")
        await store.open()
        clock = FakeClock()
        try:
            await scenario(SqsEngine(store, clock), clock, store)
        finally:
            await store.close()

    asyncio.run(main())


async def send(
    engine: SqsEngine, queue: Queue, bodies: list[str], group: str | None = None
) -> None:
    for start in range(0, len(bodies), 10):
        await engine.messages.send(
            queue,
            [
                engine.messages.prepare(
                    queue, Outgoing(b, group_id=group), "sender", engine.now_ms()
                )
                for b in bodies[start : start + 10]
            ],
        )


def bodies(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


async def receive(engine: SqsEngine, queue: Queue, n: int = 10) -> list[ReceivedMessage]:
    return await engine.messages.receive(queue, n, None, 0)


def by_group(got: list[ReceivedMessage]) -> Counter[str | None]:
    return Counter(m.group_id for m in got)


def test_each_receive_is_shared_between_groups(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock, store: SqliteStore) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {}, {})
        await send(engine, queue, bodies("a", 200), "A")
        clock.advance(1)
        await send(engine, queue, bodies("b", 4), "B")
        first = await receive(engine, queue)
        # A, then B (the oldest tenant first), turn by turn until B has no more.
        assert by_group(first) == {"A": 6, "B": 4}
        assert [m.body for m in first if m.group_id == "A"] == bodies("a", 6)
        second = await receive(engine, queue)
        assert [m.body for m in second] == [f"a{i}" for i in range(6, 16)]

    run(tmp_path, scenario)


def test_a_noisy_group_comes_after_the_quiet_ones(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock, store: SqliteStore) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {"VisibilityTimeout": "600"}, {})
        await send(engine, queue, bodies("a", 200), "A")
        for _ in range(4):  # A alone: 40 of its messages in flight, 10 beyond the noisy line
            assert by_group(await receive(engine, queue)) == {"A": 10}
        clock.advance(1)
        await send(engine, queue, bodies("b", 5), "B")
        await send(engine, queue, bodies("u", 3))
        got = await receive(engine, queue)
        # The quiet tenants first (B, and the ungrouped messages), then A with what is left.
        assert by_group(got) == {"B": 5, None: 3, "A": 2}

    run(tmp_path, scenario)


def test_below_the_noisy_line_groups_share_evenly(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock, store: SqliteStore) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {"VisibilityTimeout": "600"}, {})
        await send(engine, queue, bodies("a", 200), "A")
        for _ in range(2):  # 20 in flight: A is not noisy yet
            await receive(engine, queue)
        clock.advance(1)
        await send(engine, queue, bodies("b", 50), "B")
        assert by_group(await receive(engine, queue)) == {"A": 5, "B": 5}

    run(tmp_path, scenario)


def test_among_noisy_groups_the_one_with_fewest_in_flight_first(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock, store: SqliteStore) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {"VisibilityTimeout": "600"}, {})
        await send(engine, queue, bodies("a", 150), "A")
        for _ in range(10):
            await receive(engine, queue)  # A: 100 in flight
        await send(engine, queue, bodies("c", 100), "C")
        for _ in range(3):  # C is quiet
            assert by_group(await receive(engine, queue)) == {"C": 10}
        for _ in range(2):  # C is noisy too (30, then 40 in flight), but holds fewer than A
            assert by_group(await receive(engine, queue)) == {"C": 10}
        assert (await engine.queues.counts(queue)).in_flight == 150

    run(tmp_path, scenario)


def test_consumers_that_delete_at_once_still_go_round_the_tenants(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock, store: SqliteStore) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {}, {})
        for g in range(30):  # 30 backlogs, the older groups' messages the older ones
            await send(engine, queue, bodies(f"g{g}-", 20), f"G{g:02}")
        served: Counter[str | None] = Counter()
        for _ in range(3):  # nothing stays in flight, yet each receive serves the next ten
            got = await receive(engine, queue)
            served.update(m.group_id for m in got)
            await engine.messages.delete(queue, [m.receipt_handle for m in got])
        assert served == {f"G{g:02}": 1 for g in range(30)}

    run(tmp_path, scenario)


def test_oldest_first_within_a_group(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock, store: SqliteStore) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {"VisibilityTimeout": "10"}, {})
        await send(engine, queue, bodies("a", 6), "A")
        first = await receive(engine, queue, 2)
        assert [m.body for m in first] == ["a0", "a1"]
        clock.advance(10_000)  # a0 and a1 are visible again, and have been longest
        got = await receive(engine, queue, 10)
        assert sorted(m.body for m in got) == bodies("a", 6)
        assert {m.body for m in got if m.receive_count == 2} == {"a0", "a1"}
        assert await receive(engine, queue) == []

    run(tmp_path, scenario)


def test_ungrouped_queue_keeps_the_plain_claim(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock, store: SqliteStore) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {}, {})
        await send(engine, queue, bodies("u", 15))
        got = await receive(engine, queue)
        assert [m.body for m in got] == bodies("u", 10)
        # White box: the store knows this queue has no group, so receives take the
        # one-statement claim (the performance promise of fair queues for plain queues).
        assert store._groups.grouped[queue.id] is False
        await send(engine, queue, bodies("g", 1), "G")
        assert store._groups.grouped[queue.id] is True
        rest = await receive(engine, queue)
        assert sorted(m.body for m in rest) == ["g0", *bodies("u", 15)[10:]]
        assert [m.group_id for m in rest if m.body == "g0"] == ["G"]

    run(tmp_path, scenario)


def test_mixed_queue_delivers_everything_once(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock, store: SqliteStore) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {}, {})
        await send(engine, queue, bodies("early", 7))  # before the queue has any group
        await send(engine, queue, bodies("a", 120), "A")
        await send(engine, queue, bodies("u", 25))  # after: kept in the fair index
        for g in range(100):  # more groups than one receive looks at
            await send(engine, queue, [f"g{g}"], f"G{g:03}")
        seen: list[str] = []
        for _ in range(60):
            got = await receive(engine, queue)
            if not got:
                break
            seen.extend(m.body for m in got)
            assert all(m.group_id is None for m in got if m.body.startswith(("u", "early"))), (
                "an ungrouped message must come back without a group"
            )
            await engine.messages.delete(queue, [m.receipt_handle for m in got])
        assert len(seen) == len(set(seen)) == 7 + 120 + 25 + 100
        # The 100 one-message groups and the ungrouped messages did not wait for A's backlog:
        # they shared each receive with A, so most of A's messages come last.
        assert all(body.startswith("a") for body in seen[-80:])

    run(tmp_path, scenario)


def test_redrive_on_a_fair_queue(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock, store: SqliteStore) -> None:
        dlq = await engine.queues.create_queue("0", "r", "dlq", {}, {})
        policy = {"deadLetterTargetArn": "arn:aws:sqs:r:0:dlq", "maxReceiveCount": 2}
        queue = await engine.queues.create_queue(
            "0", "r", "q", {"VisibilityTimeout": "5", "RedrivePolicy": json.dumps(policy)}, {}
        )
        await send(engine, queue, bodies("a", 4), "A")
        await send(engine, queue, bodies("u", 2))
        for expected_count in (1, 2):
            got = await receive(engine, queue)
            assert len(got) == 6 and {m.receive_count for m in got} == {expected_count}
            clock.advance(5_000)
        assert await receive(engine, queue) == []  # all six moved instead of delivered
        moved = await receive(engine, dlq)
        assert sorted(m.body for m in moved) == [*bodies("a", 4), *bodies("u", 2)]
        assert {m.body: m.group_id for m in moved}["a0"] == "A"
        assert {m.body: m.group_id for m in moved}["u0"] is None
        assert {m.dead_letter_source_id for m in moved} == {queue.id}

    run(tmp_path, scenario)


def test_a_receive_never_repeats_a_message_in_flight(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock, store: SqliteStore) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {"VisibilityTimeout": "600"}, {})
        for g in "ABC":
            await send(engine, queue, bodies(g, 40), g)
        await send(engine, queue, bodies("u", 10))
        # Concurrent receives share one transaction batch: none may see another's rows.
        batches = await asyncio.gather(*(receive(engine, queue) for _ in range(20)))
        ids = [m.message_id for batch in batches for m in batch]
        assert len(ids) == len(set(ids)) == 130
        assert await receive(engine, queue) == []

    run(tmp_path, scenario)


def test_visibility_timeout_zero_never_doubles_an_answer(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock, store: SqliteStore) -> None:
        dlq = await engine.queues.create_queue("0", "r", "dlq", {}, {})
        policy = {"deadLetterTargetArn": "arn:aws:sqs:r:0:dlq", "maxReceiveCount": 1}
        queue = await engine.queues.create_queue(
            "0", "r", "q", {"RedrivePolicy": json.dumps(policy)}, {}
        )
        await send(engine, queue, bodies("a", 3), "A")
        await engine.messages.receive(queue, 2, 0, 0)  # a0, a1 received once, visible again at once
        await send(engine, queue, bodies("b", 3), "B")
        got = await engine.messages.receive(queue, 10, 0, 0)
        names = [m.body for m in got]
        assert len(names) == len(set(names))
        assert "a0" not in names and "a1" not in names  # spent: moved to the DLQ
        assert len(await receive(engine, dlq)) == 2

    run(tmp_path, scenario)


def test_group_scan_rotates_through_many_groups(tmp_path: Path) -> None:
    async def scenario(engine: SqsEngine, clock: FakeClock, store: SqliteStore) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {"VisibilityTimeout": "600"}, {})
        n = fair.MAX_GROUPS * 3
        await send(engine, queue, bodies("a", 300), "A")  # the oldest messages, a flood
        for _ in range(4):
            await receive(engine, queue)  # A is noisy now
        for g in range(n):
            await send(engine, queue, [f"g{g}"], f"G{g:04}")
        quiet: set[str] = set()
        noisy = 0
        for _ in range(n // 10 + 4):  # a few receives more than the quiet messages need
            got = await receive(engine, queue)
            quiet |= {m.body for m in got if m.group_id != "A"}
            noisy += sum(m.group_id == "A" for m in got)
            if len(quiet) == n:
                break
        # Each receive looks at MAX_GROUPS groups, resuming where the last one stopped: every
        # quiet group got its turn, and A only the few places left when a look found too few.
        assert quiet == {f"g{g}" for g in range(n)}
        assert noisy <= 20

    run(tmp_path, scenario)


def test_a_version_1_database_gains_the_fair_index(tmp_path: Path) -> None:
    path = tmp_path / "t.db"

    async def before(engine: SqsEngine, clock: FakeClock, store: SqliteStore) -> None:
        queue = await engine.queues.create_queue("0", "r", "q", {}, {})
        await send(engine, queue, bodies("a", 30), "A")
        clock.advance(1)
        await send(engine, queue, bodies("b", 3), "B")

    run(tmp_path, before)
    with contextlib.closing(sqlite3.connect(path)) as conn:  # as densho 1 left it
        conn.execute("DROP INDEX messages_fair")
        conn.execute("PRAGMA user_version=1")

    async def after(engine: SqsEngine, clock: FakeClock, store: SqliteStore) -> None:
        clock.advance(1_000)  # a new fake clock starts where the first one did
        queue = await engine.queues.get_queue("0", "r", "q")
        assert by_group(await receive(engine, queue)) == {"A": 7, "B": 3}

    run(tmp_path, after)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'messages_fair'"
        ).fetchone()
