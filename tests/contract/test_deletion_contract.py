"""Big deletions in the background, against every backend (issue 13: nothing big on the event
loop): DeleteQueue answers in one short transaction and its rows go in chunks afterwards
(``Store.delete_queue``, ``purges_pending``, ``purge_step``), never delivered, counted or
browsed meanwhile, also by a caller that looked the queue up before; expired FIFO
deduplication ids and receive attempts are forgotten in chunks (``Store.expire_windows``); fair
queues' scheduling does not see a purge's rows.
"""

from __future__ import annotations

import collections

import pytest

from densho.core.sqs_model import QueueCounts
from densho.storage import base
from densho.storage.open import AnyStore
from tests.contract.conftest import Backend
from tests.contract.scenarios import T0, claim, fifo_send, msg, new_queue, nodes, run
from tests.contract.test_counts_contract import _rows

pytestmark = pytest.mark.timeout(60)


def test_a_deleted_queue_goes_at_once_and_its_rows_in_the_background(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store, "big")
        fifo = await new_queue(store, "big.fifo", fifo=True)
        keep = await new_queue(store, "keep")
        await store.send(qid, [msg(f"m{i}") for i in range(5)])
        await store.receive(claim(qid, limit=2))  # two in flight
        for i in range(3):
            await store.send(
                fifo, [msg(f"f{i}", group_id=f"g{i % 2}", dedup_id=f"d{i}")], fifo_send()
            )
        await store.send(keep, [msg("k")])
        await store.delete_queue(qid, T0 + 1)
        await store.delete_queue(fifo, T0 + 1)
        # Gone at once, rows and all as far as anyone can see; the rows themselves wait.
        assert await store.get_queue("acct", "us-east-1", "big") is None
        assert await _rows(backend, qid) == 5 and await _rows(backend, fifo) == 3
        async with nodes(backend, store) as every:
            for node in every:
                assert await node.purges_pending() == sorted([qid, fifo])
                # A caller that looked the queue up before it went (another node's cache).
                got, _, _ = await node.receive(claim(qid, now=T0 + 60_000))
                assert got == []
                got, _, _ = await node.receive(claim(fifo, now=T0 + 60_000, fifo=True))
                assert got == []
                assert await node.counts(qid, T0 + 60_000, 0) == QueueCounts(0, 0, 0)
                assert await node.peek(qid, None, 10, False, T0, 0) == []
        # The name is free (the engine holds it for 60 s, as AWS does): a new queue, new rows.
        again = await new_queue(store, "big")
        assert again != qid
        await store.send(again, [msg("new")])
        got, _, _ = await store.receive(claim(again, now=T0 + 2))
        assert [m.body for m in got] == ["new"]
        # Deleted in chunks, by any node.
        async with nodes(backend, store) as every:
            assert not await every[-1].purge_step(qid, 2)
            for _ in range(10):
                if await every[0].purge_step(qid, 2):
                    break
            assert await every[-1].purge_step(fifo, 10)
        assert await _rows(backend, qid) == 0 and await _rows(backend, fifo) == 0
        assert await store.purges_pending() == []
        assert await store.counts(keep, T0 + 2, 0) == QueueCounts(1, 0, 0)
        assert await store.counts(again, T0 + 2, 0) == QueueCounts(0, 1, 0)

    run(backend, scenario)


def test_expired_fifo_windows_are_forgotten_in_chunks(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "EXPIRE_CHUNK_ROWS", 2)

    async def scenario(store: AnyStore) -> None:
        fifo = await new_queue(store, "w.fifo", fifo=True)
        first = {}
        for i in range(5):
            sent = await store.send(
                fifo, [msg(f"a{i}", group_id="g", dedup_id=f"d{i}")], fifo_send()
            )
            first[f"d{i}"] = sent[0][0]
        late = await store.send(
            fifo, [msg("late", group_id="g", dedup_id="late")], fifo_send(T0 + 200_000)
        )
        got, _, _ = await store.receive(claim(fifo, fifo=True, attempt_id="r1"))
        assert len(got) == 6
        await store.expire_windows(T0 + 300_000)  # five ids (three chunks) and the attempt
        for i in range(5):
            sent = await store.send(
                fifo, [msg(f"b{i}", group_id="g", dedup_id=f"d{i}")], fifo_send(T0 + 300_001)
            )
            assert sent[0][0] != first[f"d{i}"]  # new again
        again = await store.send(
            fifo, [msg("late", group_id="g", dedup_id="late")], fifo_send(T0 + 300_001)
        )
        assert again == late  # its window is still open

    run(backend, scenario)


def test_fair_queues_do_not_count_a_purge_s_rows_in_flight(backend: Backend) -> None:
    """A tenant whose purged messages were in flight is not noisy for them: its new messages
    get their share."""

    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        await store.send(qid, [msg(f"a{i}", group_id="a") for i in range(40)])
        for _ in range(4):
            await store.receive(claim(qid, limit=10))  # all 40 in flight
        assert await store.purge(qid, T0 + 1, 60_000)
        await store.send(qid, [msg(f"new-a{i}", now=T0 + 2, group_id="a") for i in range(5)])
        await store.send(qid, [msg(f"new-b{i}", now=T0 + 2, group_id="b") for i in range(5)])
        got, _, _ = await store.receive(claim(qid, now=T0 + 3, limit=4))
        assert collections.Counter(m.group_id for m in got) == {"a": 2, "b": 2}

    run(backend, scenario)


def test_the_oldest_message_skips_a_purge_s_rows(backend: Backend) -> None:
    """The overview's oldest message (two index ranges: the rows in flight or delayed, the head
    of the visible ones) is never one a purge hid."""

    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        await store.send(qid, [msg(f"old{i}", now=T0 + i) for i in range(5)])
        await store.receive(claim(qid, now=T0 + 5, limit=2))  # two in flight
        assert await store.purge(qid, T0 + 6, 60_000)
        await store.send(qid, [msg("new", now=T0 + 7)])
        await store.send(qid, [msg("delayed", now=T0 + 8, delay_ms=60_000)])
        (view,) = await store.queue_overview(T0 + 10)
        assert (view.visible, view.not_visible, view.delayed, view.oldest_sent_ms) == (
            1,
            0,
            1,
            T0 + 7,
        )

    run(backend, scenario)
