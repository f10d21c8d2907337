"""The operator's views of the store (``Store.queue_overview``, ``Store.outbox_depths``), run
against every backend: every queue's backlog in one grouped read, the outbox per topic, the
same figures from a second node, and the loop kept free while they are read.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from densho.core.sns_model import OutboxDepth, OutboxEntry, PublishItem, Topic
from densho.core.sqs_model import QueueOverview
from densho.storage.open import AnyStore
from tests.contract.conftest import Backend
from tests.contract.scenarios import T0, claim, msg, new_queue, nodes, run

pytestmark = pytest.mark.timeout(60)

TOPIC = "arn:aws:sns:r:a:t"


def _figures(overview: list[QueueOverview]) -> list[tuple[object, ...]]:
    return [
        (o.account, o.name, o.visible, o.not_visible, o.delayed, o.oldest_age_s) for o in overview
    ]


def test_queue_overview_counts_every_queue_in_one_read_two_nodes(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        busy = await new_queue(store, "busy")
        await new_queue(store, "empty")
        fifo = await new_queue(store, "f.fifo", fifo=True)
        short, _ = await store.create_queue(
            "other", "short", "eu-west-1", {"MessageRetentionPeriod": "60"}, {}, T0
        )
        await store.send(busy, [msg(f"m{i}", now=T0 + i) for i in range(5)])
        await store.send(busy, [msg("later", now=T0 + 10, delay_ms=60_000)])
        got, _, _ = await store.receive(claim(busy, now=T0 + 20, limit=2))
        assert len(got) == 2
        await store.send(fifo, [msg("f", now=T0 + 500, group_id="g", dedup_id="d")])
        # One message older than the queue's 60 s retention (counted until maintenance deletes
        # it, as AWS's approximate counts may: counting never reads the backlog), one within it.
        await store.send(short.id, [msg("expired", now=T0 - 40_000), msg("kept", now=T0 + 10_000)])

        now = T0 + 21_000
        assert (await store.queue_overview(now))[3].visible == 2
        assert await store.expire(short.id, now - 60_000) == 1
        async with nodes(backend, store) as both:
            views = [await node.queue_overview(now) for node in both]
        for overview in views:
            assert _figures(overview) == [
                ("acct", "busy", 3, 2, 1, 21.0),
                ("acct", "empty", 0, 0, 0, 0.0),
                ("acct", "f.fifo", 1, 0, 0, 20.5),
                ("other", "short", 1, 0, 0, 11.0),
            ]
        overview = views[0]
        assert [o.fifo for o in overview] == [False, False, True, False]
        assert overview[3].arn == "arn:aws:sqs:eu-west-1:other:short"
        assert overview[0].queue == await store.get_queue("acct", "us-east-1", "busy")
        assert overview[0].now_ms == now and overview[1].oldest_sent_ms is None
        # At a later moment the delayed message is visible and the received ones are back.
        later = {o.name: o for o in await store.queue_overview(T0 + 90_000)}
        assert (later["busy"].visible, later["busy"].not_visible, later["busy"].delayed) == (
            6,
            0,
            0,
        )
        await store.delete_queue(busy, T0 + 90_000)
        assert [o.name for o in await store.queue_overview(now)] == ["empty", "f.fifo", "short"]

    run(backend, scenario)


def test_outbox_depths_per_topic_and_protocol(backend: Backend) -> None:
    def entry(n: int, topic: str, protocol: str) -> OutboxEntry:
        return OutboxEntry(
            f"{topic}:sub-{protocol}", topic, protocol, "x", "Notification", f"m{n}", "b", T0
        )

    async def scenario(store: AnyStore) -> None:
        assert await store.outbox_depths() == []
        other = "arn:aws:sns:r:a:u"
        for arn, name in ((TOPIC, "t"), (other, "u")):
            await store.create_topic(Topic(arn, "a", "r", name, {}, {}, T0))
        await store.publish(
            TOPIC,
            [
                PublishItem("p0", None, None, outbox=[entry(0, TOPIC, "https")]),
                PublishItem(
                    "p1", None, None, outbox=[entry(1, TOPIC, "https"), entry(2, TOPIC, "email")]
                ),
            ],
        )
        await store.publish(
            other, [PublishItem("p2", None, None, outbox=[entry(3, other, "http")])]
        )
        depths = [
            OutboxDepth(TOPIC, "email", 1),
            OutboxDepth(TOPIC, "https", 2),
            OutboxDepth(other, "http", 1),
        ]
        assert await store.outbox_depths() == depths
        # Claimed rows are still owed until they are done.
        [first] = await store.outbox_claim(T0, "l", T0 + 60_000, 1)
        assert await store.outbox_depths() == depths
        assert await store.outbox_done(first.row_id, "l")
        assert sum(d.pending for d in await store.outbox_depths()) == 3

    run(backend, scenario)


def test_queue_overview_leaves_the_event_loop_free(backend: Backend) -> None:
    """The overview of queues holding 100,000 messages reads index ranges, not the backlogs, off
    the loop: the loop keeps turning and writes go on meanwhile."""

    async def scenario(store: AnyStore) -> None:
        qids = [await new_queue(store, f"q{i}") for i in range(4)]
        for n in range(100):
            await store.send(qids[n % 4], [msg("x" * 100) for _ in range(1000)])
        gaps: list[float] = []
        done = asyncio.Event()

        async def ticker() -> None:
            last = time.perf_counter()
            while not done.is_set():
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)
        reads: list[float] = []
        for _ in range(3):
            started = time.perf_counter()
            write = asyncio.ensure_future(store.send(qids[0], [msg("during")]))
            view = await store.queue_overview(T0)
            reads.append(time.perf_counter() - started)
            assert len(await write) == 1  # a write is not held up behind the read
            assert sum(o.visible for o in view) in (100_000, 100_001, 100_002, 100_003)
            assert {o.oldest_sent_ms for o in view} == {T0}
        done.set()
        await tick
        assert max(gaps) < 0.05, (max(gaps), reads)

    run(backend, scenario)
