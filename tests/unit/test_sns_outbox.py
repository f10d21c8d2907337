"""The SNS delivery outbox: attempt classification, retry decisions, and the outbox over the real
SQLite store with a fake clock (claims and leases, retries, dead-lettering, confirmation tokens)
— no network, no sleeps.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from densho.core.clock import FakeClock
from densho.core.sns_model import OutboxEntry
from densho.sns import envelope
from densho.sns.engine import SnsEngine
from densho.sns.errors import SnsInvalidParameter
from densho.sns.outbox.attempts import Attempt, Result, classify_http, next_attempt_ms
from densho.sns.outbox.deliveries import Deliveries
from densho.sns.outbox.delivery_policy import MAX_RETRY_WINDOW_MS, RetryPolicy
from densho.sns.publishing.message import Message
from densho.sns.signing.signer import Signer
from densho.sns.subscriptions import TOKEN_TTL_MS
from densho.sqs.engine import SqsEngine
from densho.storage.outbox import insert_outbox
from densho.storage.sqlite import SqliteStore

ACCOUNT = "000000000000"
REGION = "us-east-1"
ENDPOINT = "http://127.0.0.1:9324"
SIGNER = Signer.generate(now_ms=1_700_000_000_000)


@pytest.mark.parametrize(
    ("status", "result"),
    [
        (200, Result.DELIVERED),
        (204, Result.DELIVERED),
        (299, Result.DELIVERED),
        (301, Result.PERMANENT),
        (400, Result.PERMANENT),
        (404, Result.PERMANENT),
        (429, Result.RETRYABLE),
        (500, Result.RETRYABLE),
        (503, Result.RETRYABLE),
        (599, Result.RETRYABLE),
    ],
)
def test_http_statuses(status: int, result: Result) -> None:
    assert classify_http(status) is result


def test_next_attempt_follows_the_schedule_then_gives_up() -> None:
    policy = RetryPolicy(min_delay_target=1, max_delay_target=3, num_retries=3)
    assert [next_attempt_ms(policy, n, 0, 10_000) for n in (1, 2, 3, 4)] == [
        11_000,
        12_000,
        13_000,
        None,
    ]


def test_next_attempt_stays_within_the_hour_of_the_publish() -> None:
    policy = RetryPolicy(min_delay_target=600, max_delay_target=600, num_retries=20)
    created = 0
    assert next_attempt_ms(policy, 1, created, MAX_RETRY_WINDOW_MS - 600_000) is not None
    assert next_attempt_ms(policy, 1, created, MAX_RETRY_WINDOW_MS - 599_999) is None


# --- the store ---

StoreScenario = Callable[[SqliteStore], Awaitable[None]]


def run_store(tmp_path: Path, scenario: StoreScenario) -> None:
    async def main() -> None:
        store = SqliteStore(tmp_path / "t.db", "NORMAL")
        await store.open()
        try:
            await scenario(store)
        finally:
            await store.close()

    asyncio.run(main())


def entry(n: int, created_ms: int = 1_000) -> OutboxEntry:
    return OutboxEntry(
        subscription_arn=f"arn:aws:sns:{REGION}:{ACCOUNT}:t:{n}",
        topic_arn=f"arn:aws:sns:{REGION}:{ACCOUNT}:t",
        protocol="http",
        endpoint=f"http://127.0.0.1:1/{n}",
        kind=envelope.NOTIFICATION,
        message_id=f"m{n}",
        body=f"body {n}",
        created_ms=created_ms,
        headers=[("x-amz-sns-message-id", f"m{n}")],
    )


def test_claims_lease_rows_and_expired_leases_come_back(tmp_path: Path) -> None:
    async def scenario(store: SqliteStore) -> None:
        await store._tx(lambda tx: insert_outbox(tx, [entry(1), entry(2, 5_000)]))
        assert await store.outbox_next_due() == 1_000
        first = await store.outbox_claim(2_000, "a", 62_000, 10)
        assert [(c.entry.message_id, c.attempts, c.lease) for c in first] == [("m1", 1, "a")]
        assert first[0].entry == entry(1)
        # Claimed rows are invisible until their lease ends; the other row is not due yet.
        assert await store.outbox_claim(3_000, "b", 63_000, 10) == []
        assert await store.outbox_next_due() == 5_000
        second = await store.outbox_claim(5_000, "b", 65_000, 10)
        assert [c.entry.message_id for c in second] == ["m2"]
        # The holder of "a" died: after the lease, another claim takes the row.
        third = await store.outbox_claim(62_000, "c", 122_000, 10)
        assert [(c.entry.message_id, c.attempts) for c in third] == [("m1", 2)]
        # The old lease can no longer settle it; the new one can.
        assert not await store.outbox_done(first[0].row_id, "a")
        assert await store.outbox_retry(third[0].row_id, "c", 70_000, "HTTP 500")
        assert await store.outbox_next_due() == 65_000
        assert await store.outbox_done(second[0].row_id, "b")
        assert await store.outbox_next_due() == 70_000

    run_store(tmp_path, scenario)


def test_recovery_releases_every_lease_at_once(tmp_path: Path) -> None:
    async def scenario(store: SqliteStore) -> None:
        await store._tx(lambda tx: insert_outbox(tx, [entry(1), entry(2)]))
        await store.outbox_claim(2_000, "dead", 62_000, 1)
        assert await store.outbox_recover(3_000) == 1
        claimed = await store.outbox_claim(3_000, "new", 63_000, 10)
        assert sorted(c.entry.message_id for c in claimed) == ["m1", "m2"]

    run_store(tmp_path, scenario)


# --- engine and deliveries together ---

Scenario = Callable[[SnsEngine, Deliveries, SqsEngine, FakeClock], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario, relay_email: bool = False) -> None:
    async def main() -> None:
        store = SqliteStore(tmp_path / "t.db", "NORMAL")
        await store.open()
        clock = FakeClock()
        sqs = SqsEngine(store, clock)
        sns = SnsEngine(store, sqs, clock, lambda: SIGNER, relay_email=relay_email)
        try:
            await scenario(sns, Deliveries(sns, store, clock), sqs, clock)
        finally:
            await store.close()

    asyncio.run(main())


async def _confirmed_http(sns: SnsEngine, deliveries: Deliveries, topic: str, **attrs: str) -> str:
    await sns.subscriptions.subscribe(
        ACCOUNT, topic, "http", "http://127.0.0.1:1/x", attrs, ENDPOINT
    )
    (confirmation,) = await deliveries.claim(10)
    assert confirmation.entry.kind == envelope.SUBSCRIPTION_CONFIRMATION
    token = json.loads(confirmation.entry.body)["Token"]
    await deliveries.delivered(confirmation)
    sub = await sns.subscriptions.confirm(
        topic, token, authenticated=True, authenticate_on_unsubscribe=False
    )
    return sub.arn


def test_retries_then_dead_letters_per_the_policy(tmp_path: Path) -> None:
    async def scenario(
        sns: SnsEngine, deliveries: Deliveries, sqs: SqsEngine, clock: FakeClock
    ) -> None:
        topic = (await sns.topics.create(ACCOUNT, REGION, "t", {}, {})).arn
        dlq = await sqs.queues.create_queue(ACCOUNT, REGION, "dlq", {}, {})
        policy = {"healthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 5, "numRetries": 2}}
        await _confirmed_http(
            sns,
            deliveries,
            topic,
            DeliveryPolicy=json.dumps(policy),
            RedrivePolicy=json.dumps(
                {"deadLetterTargetArn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:dlq"}
            ),
        )
        published = await sns.publisher.publish(topic, Message("hi"), ENDPOINT)
        for attempt in (1, 2):
            (claimed,) = await deliveries.claim(10)
            assert claimed.attempts == attempt
            await deliveries.failed(claimed, Attempt(Result.RETRYABLE, "HTTP 500"))
            assert await deliveries.next_due() == clock.now_ms() + 5_000
            assert await deliveries.claim(10) == []
            clock.advance(5_000)
        (last,) = await deliveries.claim(10)
        await deliveries.failed(last, Attempt(Result.RETRYABLE, "HTTP 500"))
        assert await deliveries.next_due() is None
        (dead,) = await sqs.messages.receive(dlq, 10, None, 0)
        assert json.loads(dead.body)["MessageId"] == published.message_id
        assert dead.body == last.entry.body

    run(tmp_path, scenario)


def test_unwanted_rows_are_dropped(tmp_path: Path) -> None:
    async def scenario(
        sns: SnsEngine, deliveries: Deliveries, sqs: SqsEngine, clock: FakeClock
    ) -> None:
        topic = (await sns.topics.create(ACCOUNT, REGION, "t", {}, {})).arn
        sub = await _confirmed_http(sns, deliveries, topic)
        await sns.publisher.publish(topic, Message("hi"), ENDPOINT)
        await sns.subscriptions.unsubscribe(sub)  # authenticated: no cancellation message
        (claimed,) = await deliveries.claim(10)
        assert not await deliveries.wanted(claimed)
        assert await deliveries.next_due() is None

    run(tmp_path, scenario)


def test_tokens_expire_after_two_days(tmp_path: Path) -> None:
    async def scenario(
        sns: SnsEngine, deliveries: Deliveries, sqs: SqsEngine, clock: FakeClock
    ) -> None:
        topic = (await sns.topics.create(ACCOUNT, REGION, "t", {}, {})).arn
        await sns.subscriptions.subscribe(
            ACCOUNT, topic, "http", "http://127.0.0.1:1/x", {}, ENDPOINT
        )
        (confirmation,) = await deliveries.claim(10)
        token = json.loads(confirmation.entry.body)["Token"]
        clock.advance(TOKEN_TTL_MS)
        with pytest.raises(SnsInvalidParameter):
            await sns.subscriptions.confirm(
                topic, token, authenticated=True, authenticate_on_unsubscribe=False
            )

    run(tmp_path, scenario)


def test_email_is_recorded_without_a_relay_and_queued_with_one(tmp_path: Path) -> None:
    async def recorded(sns: SnsEngine, deliveries: Deliveries, _: SqsEngine, __: FakeClock) -> None:
        topic = (await sns.topics.create(ACCOUNT, REGION, "t", {}, {})).arn
        await sns.subscriptions.subscribe(ACCOUNT, topic, "email", "a@example.com", {}, ENDPOINT)
        assert await deliveries.claim(10) == []
        (row,) = await deliveries.recorded(protocol="email")
        assert row.delivery.kind == envelope.SUBSCRIPTION_CONFIRMATION
        assert "Action=ConfirmSubscription" in row.delivery.payload

    async def relayed(sns: SnsEngine, deliveries: Deliveries, _: SqsEngine, __: FakeClock) -> None:
        topic = (await sns.topics.create(ACCOUNT, REGION, "t", {}, {})).arn
        await sns.subscriptions.subscribe(
            ACCOUNT, topic, "email-json", "a@example.com", {}, ENDPOINT
        )
        (claimed,) = await deliveries.claim(10)
        assert json.loads(claimed.entry.body)["Type"] == "SubscriptionConfirmation"
        assert await deliveries.recorded() == []

    run(tmp_path / "a", recorded)
    run(tmp_path / "b", relayed, relay_email=True)
