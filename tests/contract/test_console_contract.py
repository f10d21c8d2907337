"""What the console reads and does beyond the API, against every backend: browsing without
consuming (``Store.peek``: keyset pages both ways, nothing changed by looking, sealed bodies
opened), the one-message delete a stale page cannot misdirect (``Store.delete_peeked``) and
the SNS outbox as listed (``Store.outbox_pending``).
"""

from __future__ import annotations

import os

import pytest

from densho.core.seal import Seal
from densho.core.sns_model import PublishItem, Topic
from densho.core.sqs_model import Attr, PeekCursor, Peeked
from densho.sealing.keyring import Keyring
from densho.storage.open import AnyStore
from tests.contract.conftest import Backend
from tests.contract.scenarios import T0, claim, msg, new_queue, run
from tests.contract.test_sns_contract import TOPIC, entry

pytestmark = pytest.mark.timeout(60)


def _next(page: list[Peeked]) -> PeekCursor:
    last = page[-1]
    return PeekCursor(last.visible_ms, last.message.row)


def test_peek_pages_both_ways_without_changing_anything(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        other = await new_queue(store, "other")
        await store.send(other, [msg("not mine")])
        await store.send(qid, [msg(f"m{i}", attrs=i == 0, group_id="g") for i in range(5)])
        await store.send(qid, [msg("late", delay_ms=60_000)])
        now = T0 + 1
        seen: list[str] = []
        page = await store.peek(qid, None, 2, False, now, 0)
        while page:
            seen += [p.message.body for p in page]
            page = await store.peek(qid, _next(page), 2, False, now, 0)
        assert seen == ["m0", "m1", "m2", "m3", "m4", "late"]
        first = (await store.peek(qid, None, 1, False, now, 0))[0]
        assert first.message.attributes == {"a": Attr("String", "x")}
        assert first.message.group_id == "g" and first.message.receive_count == 0
        assert first.visible_ms == T0 and not first.in_flight
        newest = await store.peek(qid, None, 4, True, now, 0)
        assert [p.message.body for p in newest] == ["late", "m4", "m3", "m2"]
        rest = await store.peek(qid, _next(newest), 4, True, now, 0)
        assert [p.message.body for p in rest] == ["m1", "m0"]
        # Looking changed nothing: every message is still there to receive, never received.
        assert (await store.counts(qid, now, 0)).visible == 5
        got, _, _ = await store.receive(claim(qid, now=now))
        assert [m.receive_count for m in got] == [1] * 5
        in_flight = await store.peek(qid, None, 10, False, now + 1, 0)
        # Received for 30 s: now after the others, still before the delayed one (60 s).
        assert [p.message.body for p in in_flight] == ["m0", "m1", "m2", "m3", "m4", "late"]
        assert [p.in_flight for p in in_flight] == [True] * 5 + [False]
        assert in_flight[0].message.receive_count == 1
        # Expired rows (sent at or before the cutoff) are not shown.
        assert await store.peek(qid, None, 10, False, now, T0) == []

    run(backend, scenario)


def test_delete_peeked_needs_the_row_and_the_message_id(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        qid = await new_queue(store)
        other = await new_queue(store, "other")
        await store.send(qid, [msg("keep"), msg("drop")])
        page = await store.peek(qid, None, 10, False, T0, 0)
        drop = page[1].message
        assert not await store.delete_peeked(qid, drop.row, page[0].message.message_id)
        assert not await store.delete_peeked(other, drop.row, drop.message_id)
        assert await store.delete_peeked(qid, drop.row, drop.message_id)
        assert not await store.delete_peeked(qid, drop.row, drop.message_id)  # gone already
        assert [p.message.body for p in await store.peek(qid, None, 10, False, T0, 0)] == ["keep"]

    run(backend, scenario)


def test_peek_opens_sealed_messages(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        await store.use_keyring(Keyring(os.urandom(32), lambda: T0), T0)
        qid = await new_queue(store)
        m = msg("secret body")
        m.attributes = {"s": Attr("String", "secret attr")}
        m.seal = Seal("alias/x", 300_000)
        await store.send(qid, [m])
        page = await store.peek(qid, None, 10, False, T0, 0)
        assert page[0].message.body == "secret body"
        assert page[0].message.attributes == {"s": Attr("String", "secret attr")}

    run(backend, scenario)


def test_outbox_pending_lists_what_is_owed_next_due_first(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        await store.create_topic(Topic(TOPIC, "a", "r", "t", {}, {}, T0))
        items = [PublishItem(f"p{n}", None, None, outbox=[entry(n, T0 + n)]) for n in range(3)]
        await store.publish(TOPIC, items)
        [first] = await store.outbox_claim(T0 + 1, "l", T0 + 60_000, 1)
        assert await store.outbox_retry(first.row_id, "l", T0 + 500, "HTTP 503")
        pending = await store.outbox_pending(10)
        assert [(p.message_id, p.due_ms, p.attempts, p.last_error) for p in pending] == [
            ("m1", T0 + 1, 0, None),
            ("m2", T0 + 2, 0, None),
            ("m0", T0 + 500, 1, "HTTP 503"),
        ]
        assert pending[0].protocol == "https" and pending[0].topic_arn == TOPIC
        assert len(await store.outbox_pending(2)) == 2

    run(backend, scenario)
