"""The storage contract of SNS (``densho/storage/sns_base.py``, ``outbox.py``), run against every
backend: topics, subscriptions, publishing, the outbox of deliveries outside densho, recorded
deliveries and confirmation tokens — each operation's result and atomicity promise.
"""

from __future__ import annotations

import asyncio

import pytest

from densho.core.sns_model import (
    Delivery,
    OutboxEntry,
    PublishItem,
    Recorded,
    Subscription,
    Token,
    Topic,
    TopicDedup,
)
from densho.core.sqs_model import Attr
from densho.storage.open import AnyStore
from tests.contract.conftest import Backend
from tests.contract.scenarios import T0, claim, fifo_send, msg, new_queue, nodes, run

pytestmark = pytest.mark.timeout(60)

TOPIC = "arn:aws:sns:r:a:t"


def entry(n: int, created_ms: int = T0, sub: str = "arn:sub:h") -> OutboxEntry:
    return OutboxEntry(
        sub,
        TOPIC,
        "https",
        "https://example.com/hook",
        "Notification",
        f"m{n}",
        f"body {n}",
        created_ms,
        headers=[("x-amz-sns-message-id", f"m{n}")],
        subject="hi" if n % 2 else None,
        attributes={"a": Attr("Binary", None, b"\x00\x01")} if n % 2 else {},
    )


def recorded(n: int, protocol: str = "sms", sub: str = "arn:sub:r") -> Recorded:
    return Recorded(protocol, f"+1555000{n}", TOPIC, sub, "Notification", f"r{n}", f"p{n}", T0)


def test_topic_sequence_reservations_never_repeat_two_nodes(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        topic = Topic("arn:aws:sns:r:a:s.fifo", "a", "r", "s.fifo", {"FifoTopic": "true"}, {}, T0)
        await store.create_topic(topic)
        async with nodes(backend, store) as both:
            got = await asyncio.gather(
                *(both[i % len(both)].reserve_topic_seq(topic.arn, 1 + i % 3) for i in range(30))
            )
        numbers = [n for last, i in zip(got, range(30), strict=True) for n in _reserved(last, i)]
        assert sorted(numbers) == list(range(1, sum(1 + i % 3 for i in range(30)) + 1))
        assert await store.reserve_topic_seq("arn:aws:sns:r:a:gone", 1) is None

    run(backend, scenario)


def _reserved(last: int | None, i: int) -> list[int]:
    assert last is not None
    return list(range(last - i % 3, last + 1))


def test_sns_topics_subscriptions_and_publish(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        topic = Topic("arn:aws:sns:r:a:t.fifo", "a", "r", "t.fifo", {"FifoTopic": "true"}, {}, T0)
        made, created = await store.create_topic(topic)
        assert created and made == topic
        assert (await store.create_topic(topic))[1] is False
        assert [t.arn for t in await store.list_topics("a", "r")] == [topic.arn]
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


def test_a_pending_subscription_keeps_its_token_and_confirmation_together(
    backend: Backend,
) -> None:
    async def scenario(store: AnyStore) -> None:
        pending = Subscription("arn:sub:h", TOPIC, "a", "https", "https://x", {}, False, T0)
        token = Token("tok1", TOPIC, "", T0 + 1_000)
        made, created = await store.subscribe_pending(pending, token, [entry(1, sub="")], [])
        assert (made, created) == (pending, True)
        # Bound to the subscription's ARN, whatever the token and message said.
        assert await store.get_token("tok1") == Token("tok1", TOPIC, "arn:sub:h", T0 + 1_000)
        claimed = await store.outbox_claim(T0, "l", T0 + 60_000, 10)
        assert [c.entry.subscription_arn for c in claimed] == ["arn:sub:h"]
        # The same endpoint again: the one found, a new token, a new confirmation (recorded).
        again = Subscription("arn:sub:h2", TOPIC, "a", "https", "https://x", {}, False, T0)
        sms = recorded(1, "https", sub="")
        found, created = await store.subscribe_pending(
            again, Token("tok2", TOPIC, "", T0), [], [sms]
        )
        assert (found.arn, created) == ("arn:sub:h", False)
        assert (await store.get_token("tok2")) is not None
        assert [r.delivery.subscription_arn for r in await store.recorded()] == ["arn:sub:h"]
        # Confirmed: nothing to confirm any more, nothing stored.
        await store.update_subscription("arn:sub:h", {}, True)
        third = Token("tok3", TOPIC, "", T0)
        found, created = await store.subscribe_pending(again, third, [entry(2)], [])
        assert (found.confirmed, created) == (True, False)
        assert await store.get_token("tok3") is None
        again_due = await store.outbox_claim(T0 + 60_000, "m", T0 + 120_000, 10)
        assert [c.entry.message_id for c in again_due] == ["m1"]  # no second confirmation
        assert await store.outbox_next_due() == T0 + 120_000
        # Unsubscribing notes its token and UnsubscribeConfirmation in the same job.
        bye = Token("bye", TOPIC, "arn:sub:h", T0 + 5_000, snapshot="{}")
        assert await store.delete_subscription_noting("arn:sub:h", bye, [entry(3)])
        assert await store.get_token("bye") == bye
        assert not await store.delete_subscription_noting(
            "arn:sub:h", Token("no", TOPIC, "", T0), []
        )
        assert await store.get_token("no") is None
        # Tokens expire at their time.
        await store.forget_tokens(T0 + 1_000)
        assert await store.get_token("tok1") is None and await store.get_token("bye") == bye

    run(backend, scenario)


def test_outbox_leases_retries_and_endings(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        dlq = await new_queue(store, "dlq")
        topic = Topic(TOPIC, "a", "r", "t", {}, {}, T0)
        await store.create_topic(topic)
        items = [PublishItem(f"p{n}", None, None, outbox=[entry(n, T0 + n)]) for n in range(4)]
        assert [p.delivered for p in await store.publish(TOPIC, items)] == [True] * 4
        assert await store.outbox_next_due() == T0
        first = await store.outbox_claim(T0 + 1, "a", T0 + 60_000, 2)
        assert [(c.entry, c.attempts, c.lease) for c in first] == [
            (entry(0, T0), 1, "a"),
            (entry(1, T0 + 1), 1, "a"),
        ]
        # Claimed rows wait for their lease's end; one claimer's rows are not another's.
        rest = await store.outbox_claim(T0 + 3, "b", T0 + 60_000, 10)
        assert [c.entry.message_id for c in rest] == ["m2", "m3"]
        assert await store.outbox_claim(T0 + 4, "c", T0 + 60_000, 10) == []
        assert not await store.outbox_done(first[0].row_id, "b")
        assert await store.outbox_done(first[0].row_id, "a")
        assert await store.outbox_retry(first[1].row_id, "a", T0 + 10, "HTTP 500")
        assert not await store.outbox_retry(first[1].row_id, "a", T0 + 10, "again")
        assert await store.outbox_next_due() == T0 + 10
        # Given up: to the subscription's dead-letter queue, or to the recorded log.
        dead = msg("dead")
        assert await store.outbox_dead_letter(rest[0].row_id, "b", Delivery(dlq, dead, None))
        assert not await store.outbox_dead_letter(rest[0].row_id, "b", Delivery(dlq, dead, None))
        got, _, _ = await store.receive(claim(dlq))
        assert [m.body for m in got] == ["dead"]
        kept = recorded(9, "https", sub="arn:sub:h")
        assert await store.outbox_record(rest[1].row_id, "b", kept, T0 + 20)
        assert not await store.outbox_record(rest[1].row_id, "b", kept, T0 + 20)
        [row] = await store.recorded(protocol="https")
        assert (row.delivery, row.recorded_ms) == (kept, T0 + 20)
        # A restart: leases of a process that is gone come due at once — where one process
        # owns the store; several nodes cannot tell, and wait for the leases to end.
        retried = await store.outbox_claim(T0 + 10, "d", T0 + 60_000, 10)
        assert [c.attempts for c in retried] == [2]
        if store.shared:
            assert await store.outbox_recover(T0 + 11) == 0
            assert await store.outbox_claim(T0 + 11, "e", T0 + 60_000, 10) == []
        else:
            assert await store.outbox_recover(T0 + 11) == 1
            assert [c.attempts for c in await store.outbox_claim(T0 + 11, "e", T0, 10)] == [3]

    run(backend, scenario)


def test_recorded_deliveries_newest_last_filtered_and_cleared(backend: Backend) -> None:
    async def scenario(store: AnyStore) -> None:
        await store.create_topic(Topic(TOPIC, "a", "r", "t", {}, {}, T0))
        items = [
            PublishItem("p1", None, None, recorded=[recorded(1), recorded(2, "lambda")]),
            PublishItem("p2", None, None, recorded=[recorded(3)]),
        ]
        await store.publish(TOPIC, items)
        assert [r.delivery.message_id for r in await store.recorded()] == ["r1", "r2", "r3"]
        assert [r.delivery for r in await store.recorded(protocol="sms")] == [
            recorded(1),
            recorded(3),
        ]
        assert [r.delivery.message_id for r in await store.recorded(limit=2)] == ["r2", "r3"]
        assert await store.recorded(endpoint="+15550003", topic_arn=TOPIC) != []
        assert await store.recorded(topic_arn="arn:other") == []
        rows = await store.recorded()
        assert rows[0].row_id < rows[1].row_id < rows[2].row_id
        assert all(r.recorded_ms == T0 for r in rows)  # recorded at the publish
        assert await store.clear_recorded() == 3
        assert await store.recorded() == []

    run(backend, scenario)
