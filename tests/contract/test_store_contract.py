"""The SQS storage contract (``densho/storage/base.py``, ``claims.py``, ``fair.py``), run
against every backend: each operation's result and atomicity promise, with times passed in.
Tests named ``..._two_nodes`` run on two nodes where the backend has them (``scenarios.nodes``).
"""

from __future__ import annotations

import asyncio

import pytest

from densho.core.sqs_model import Attr
from densho.core.store import Claim, Handle, QueueGone
from densho.storage.open import AnyStore
from tests.contract.conftest import Backend
from tests.contract.scenarios import (
    FIFO_VISIBILITY,
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


# --- queues ---


def test_ping_reaches_an_open_store(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        await store.ping()  # returns (no row is asked for): the database answered

    run(backend, scenario)


def test_queues_create_get_list_update_delete(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        q, created = await store.create_queue("a", "alpha", "r", {"X": "1"}, {"t": "v"}, T0)
        assert created and q.name == "alpha" and q.attributes == {"X": "1"}
        again, created = await store.create_queue("a", "alpha", "r", {"X": "2"}, {}, T0 + 5)
        assert not created and again == q
        await store.create_queue("a", "beta", "r", {}, {}, T0)
        await store.create_queue("b", "alpha", "r", {}, {}, T0)
        assert await store.get_queue("a", "r", "alpha") == q
        assert await store.get_queue("a", "r", "nope") is None
        assert [x.name for x in await store.list_queues("a", "r", "")] == ["alpha", "beta"]
        assert [x.name for x in await store.list_queues("a", "r", "be")] == ["beta"]
        updated = await store.update_queue(q.id, {"Y": "3"}, {"k": "w"}, T0 + 10)
        assert (updated.attributes, updated.tags, updated.modified_ms) == (
            {"Y": "3"},
            {"k": "w"},
            T0 + 10,
        )
        await store.send(q.id, [msg("m")])
        assert not await store.deleted_since("a", "r", "alpha", T0)
        await store.delete_queue(q.id, T0 + 20)
        assert await store.get_queue("a", "r", "alpha") is None
        assert await store.deleted_since("a", "r", "alpha", T0 + 19)
        assert not await store.deleted_since("a", "r", "alpha", T0 + 20)
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
        assert await store.delete_messages([stale]) == ["gone"]
        assert await store.delete_messages([handles[0]]) == ["deleted"]
        assert await store.delete_messages([handles[0]]) == ["gone"]
        assert await store.delete_messages([handles[1], handles[2], handles[1]]) == [
            "deleted",
            "deleted",
            "gone",
        ]
        # A batch across queues deletes each current handle once.
        other = await new_queue(store, "other")
        await store.send(qid, [msg("x")])
        await store.send(other, [msg("y")])
        x = (await store.receive(claim(qid)))[0][0]
        y = (await store.receive(claim(other)))[0][0]
        batch = [Handle(other, y.row, y.nonce), Handle(qid, x.row, x.nonce ^ 1)]
        assert await store.delete_messages([*batch, Handle(qid, x.row, x.nonce)]) == [
            "deleted",
            "gone",
            "deleted",
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
            [(a, T0 + 60_000), (gone, T0), (b, T0 + 43_200_001)], T0, VISIBILITY
        )
        assert outcomes == [None, "gone", "too-long"]
        got, _, _ = await store.receive(claim(qid, now=T0 + 30_000))
        assert [m.body for m in got] == ["b", "c"]
        c = next(Handle(qid, m.row, m.nonce) for m in got if m.body == "c")
        # a now stays hidden until T0 + 60 s; release it at once.
        assert await store.change_visibility([(a, T0 + 30_000)], T0 + 30_000, VISIBILITY) == [None]
        got, _, _ = await store.receive(claim(qid, now=T0 + 30_000))
        assert [m.body for m in got] == ["a"]
        # c's visibility timeout ended at T0 + 60 s: it is not in flight any more.
        outcome = await store.change_visibility([(c, T0 + 90_000)], T0 + 70_000, VISIBILITY)
        assert outcome == ["not-inflight"]
        late = await store.change_visibility([(c, T0 + 90_000)], T0 + 70_000, FIFO_VISIBILITY)
        assert late == ["not-inflight"]
        got, _, _ = await store.receive(claim(qid, now=T0 + 70_000))
        assert [m.body for m in got] == ["a", "b", "c"]  # unchanged: c is visible

    run(backend, scenario)


def test_change_visibility_by_an_earlier_receive(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        await store.send(qid, [msg("a")])
        (first,), _, _ = await store.receive(claim(qid, vis_ms=0))
        await store.receive(claim(qid))  # received again: in flight until T0 + 30 s
        old = Handle(qid, first.row, first.nonce, first.message_id)
        assert await store.change_visibility([(old, T0)], T0, VISIBILITY) == [None]
        assert await store.change_visibility([(old, T0)], T0, FIFO_VISIBILITY) == ["gone"]
        # A handle naming another message (a reused row id) changes nothing.
        other = Handle(qid, first.row, first.nonce, "another message")
        assert await store.change_visibility([(other, T0)], T0, VISIBILITY) == ["gone"]
        (third,), _, _ = await store.receive(claim(qid))
        assert third.receive_count == 3

    run(backend, scenario)


def test_delete_by_any_receive_or_only_the_latest_in_flight(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        await store.send(qid, [msg("a"), msg("b"), msg("c"), msg("d")])
        got, _, _ = await store.receive(claim(qid, vis_ms=0))
        first = {m.body: Handle(qid, m.row, m.nonce, m.message_id) for m in got}
        got, _, _ = await store.receive(claim(qid))  # in flight until T0 + 30 s
        latest = {m.body: Handle(qid, m.row, m.nonce, m.message_id) for m in got}
        # Only the latest receive, while in flight: an earlier one has expired.
        assert await store.delete_messages([first["a"]], T0) == ["expired"]
        assert await store.delete_messages([latest["a"]], T0) == ["deleted"]
        assert await store.delete_messages([latest["a"]], T0) == ["gone"]
        assert await store.delete_messages([latest["b"]], T0 + 30_000) == ["expired"]
        # Any receive of the message.
        assert await store.delete_messages([first["b"]]) == ["deleted"]
        assert await store.delete_messages([first["b"], latest["b"]]) == ["gone", "gone"]
        stranger = Handle(qid, first["c"].seq, 1, "another message")  # a reused row id
        assert await store.delete_messages([stranger]) == ["gone"]
        # A batch: an expired handle, a stranger, a message and then its earlier handle.
        batch = [first["c"], stranger, latest["d"], first["d"]]
        assert await store.delete_messages(batch, T0 + 1) == ["expired", "gone", "deleted", "gone"]
        counts = await store.counts(qid, T0, 0)
        assert (counts.visible, counts.in_flight, counts.delayed) == (0, 1, 0)
        assert await store.delete_messages([stranger, first["c"]]) == ["gone", "deleted"]
        # Handles of one message in one batch answer as if they ran in order.
        await store.send(qid, [msg("e"), msg("f")])
        got, _, _ = await store.receive(claim(qid, vis_ms=0))
        early = {m.body: Handle(qid, m.row, m.nonce, m.message_id) for m in got}
        got, _, _ = await store.receive(claim(qid))
        late = {m.body: Handle(qid, m.row, m.nonce, m.message_id) for m in got}
        batch = [early["e"], late["e"], late["f"], early["f"], late["f"]]
        assert await store.delete_messages(batch, T0) == [
            "expired",
            "deleted",
            "deleted",
            "gone",
            "gone",
        ]

    run(backend, scenario)


def test_concurrent_receives_share_out_the_visible_messages(backend: Backend) -> None:
    """Receives of one queue at one time (one loop turn: on PostgreSQL one shared statement)
    each get their own messages, at most their limit, the oldest first, until none are left;
    one left without any is told when the next becomes visible."""

    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        await store.send(qid, [msg(f"m{n}") for n in range(7)])
        got = await asyncio.gather(
            store.receive(claim(qid, limit=3)),
            store.receive(claim(qid, limit=1)),
            store.receive(claim(qid, limit=2, vis_ms=5_000)),
            store.receive(claim(qid, limit=10)),
            store.receive(claim(qid, limit=10)),
        )
        bodies = [[m.body for m in rows] for rows, _, _ in got]
        flat = [b for each in bodies for b in each]
        assert sorted(flat) == [f"m{n}" for n in range(7)]  # each once
        assert [len(b) for b in bodies[:3]] == [3, 1, 2] and len(bodies[3]) + len(bodies[4]) == 1
        for rows, next_visible, moved in got:
            assert moved == 0 and len({m.nonce for m in rows}) <= 1
            assert next_visible is None if rows else next_visible == T0 + 5_000
        again, next_visible, _ = await store.receive(claim(qid, now=T0 + 5_000))
        assert sorted(m.body for m in again) == sorted(bodies[2])  # its visibility ended
        assert next_visible is None

    run(backend, scenario)


def test_concurrent_deletes_answer_as_if_in_turn(backend: Backend) -> None:
    """Deletes requested together (one loop turn: on PostgreSQL one shared statement), with and
    without an in-flight time, of two queues, naming the same messages: each request answers
    as if the requests ran one after another in the order they came."""

    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        other = await new_queue(store, "other")
        await store.send(qid, [msg("a"), msg("b"), msg("c")])
        await store.send(other, [msg("x")])
        got, _, _ = await store.receive(claim(qid, vis_ms=0))
        first = {m.body: Handle(qid, m.row, m.nonce, m.message_id) for m in got}
        got, _, _ = await store.receive(claim(qid))  # in flight until T0 + 30 s
        latest = {m.body: Handle(qid, m.row, m.nonce, m.message_id) for m in got}
        (x,), _, _ = await store.receive(claim(other))
        hx = Handle(other, x.row, x.nonce, x.message_id)
        done = await asyncio.gather(
            store.delete_messages([first["a"]], T0),  # only the latest receive: expired
            store.delete_messages([latest["a"], hx]),
            store.delete_messages([first["a"], latest["b"]], T0 + 30_000),  # a gone, b expired
            store.delete_messages([first["b"]]),  # any receive
            store.delete_messages([latest["b"], hx, latest["c"]], T0),
            store.delete_messages([]),
        )
        assert list(done) == [
            ["expired"],
            ["deleted", "deleted"],
            ["gone", "expired"],
            ["deleted"],
            ["gone", "gone", "deleted"],
            [],
        ]
        for q in (qid, other):
            counts = await store.counts(q, T0, 0)
            assert (counts.visible, counts.in_flight, counts.delayed) == (0, 0, 0)

    run(backend, scenario)


def test_delete_batch_of_distinct_rows_answers_each_handle(backend: Backend) -> None:
    """A batch naming distinct rows of one queue (SQLite deletes it with one statement): each
    handle answers for itself, and only the rows a handle names go."""

    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        await store.send(qid, [msg(body) for body in "abcdef"])
        got, _, _ = await store.receive(claim(qid, vis_ms=0))
        first = {m.body: Handle(qid, m.row, m.nonce, m.message_id) for m in got}
        got, _, _ = await store.receive(claim(qid))  # in flight until T0 + 30 s
        latest = {m.body: Handle(qid, m.row, m.nonce, m.message_id) for m in got}
        assert len(latest) == 6
        assert await store.delete_messages([latest["a"]]) == ["deleted"]
        batch = [
            latest["a"],  # deleted already
            Handle(qid, latest["b"].seq, 1, "another message"),  # b's row, not b
            first["c"],  # an earlier receive of c: any receive deletes
            Handle(qid, latest["d"].seq, latest["d"].nonce ^ 1),  # no id, another receive
            Handle(qid, latest["e"].seq, latest["e"].nonce),  # no id, the latest receive
        ]
        assert await store.delete_messages(batch) == ["gone", "gone", "deleted", "gone", "deleted"]
        # Only the latest receive while in flight deletes: b's earlier one has expired, f's
        # latest one too once its visibility timeout is over.
        assert await store.delete_messages([first["b"], latest["d"]], T0) == ["expired", "deleted"]
        late = T0 + 30_000
        assert await store.delete_messages([latest["b"], latest["f"]], late) == ["expired"] * 2
        counts = await store.counts(qid, T0, 0)
        assert (counts.visible, counts.in_flight, counts.delayed) == (0, 2, 0)  # b and f
        assert await store.delete_messages([latest["f"], latest["b"]]) == ["deleted"] * 2
        counts = await store.counts(qid, T0, 0)
        assert (counts.visible, counts.in_flight, counts.delayed) == (0, 0, 0)

    run(backend, scenario)


def test_retention_expire_and_purge(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        await store.send(qid, [msg("old", now=T0)])
        await store.send(qid, [msg("new", now=T0 + 5_000)])
        # Sent at or before the cutoff: expired, never delivered; counted until maintenance
        # deletes it (AWS's counts are approximate too: counting never reads the backlog).
        assert (await store.counts(qid, T0 + 6_000, T0)).visible == 2
        c = claim(qid, now=T0 + 6_000)
        got, _, _ = await store.receive(
            Claim(c.queue_id, c.now_ms, 10, c.visible_until_ms, T0, c.nonce)
        )
        assert [m.body for m in got] == ["new"]
        assert await store.expire(qid, T0) == 1
        assert await store.expire(qid, T0) == 0
        assert await store.purge(qid, T0 + 6_000, 60_000)
        await store.send(qid, [msg("later", now=T0 + 7_000)])
        assert (await store.counts(qid, T0 + 8_000, 0)).visible == 1  # sent after the purge
        queue = await store.get_queue("acct", "us-east-1", "q")
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
        async with nodes(backend, store) as both:
            results = await asyncio.gather(
                *(both[i % len(both)].receive(claim(qid, limit=7)) for i in range(30))
            )
        ids = [m.message_id for got, _, _ in results for m in got]
        assert len(ids) == len(set(ids))
        # A receive can come back short while other receives hold rows it would have taken
        # (they skip locked rows, as an SQS short poll samples): what is left is still there.
        for _ in range(20):
            if len(ids) >= 100:
                break
            got, _, _ = await store.receive(claim(qid, limit=10))
            ids.extend(m.message_id for m in got)
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
        delivered: list[str] = []
        async with nodes(backend, store) as both:
            for round_no in range(40):
                results = await asyncio.gather(
                    *(both[i % len(both)].receive(claim(qid, limit=3, fifo=True)) for i in range(6))
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
        for g in ("a", "b", "c"):
            assert [d for d in delivered if d.startswith(g)] == [f"{g}:{i}" for i in range(20)]

    run(backend, scenario)


def test_concurrent_fifo_sends_dedup_once_two_nodes(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store, "f.fifo", fifo=True)
        async with nodes(backend, store) as both:
            sent = await asyncio.gather(
                *(
                    both[i % len(both)].send(
                        qid, [msg(str(i), group_id="g", dedup_id=f"d{i % 25}")], fifo_send()
                    )
                    for i in range(50)
                )
            )
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
