"""The outbox as the delivery worker sees it: claim due rows, then settle each attempt.

Owns: what happens to a claimed row — dropped when its subscription no longer wants it,
deleted when delivered, rescheduled per the subscription's effective DeliveryPolicy after a
retryable failure, and otherwise given up: a notification goes to the subscription's
dead-letter queue (RedrivePolicy) in the same storage job that deletes the row, or is dropped
with a log line. Also the read side of recorded deliveries.
Must not know: HTTP, SMTP, SQL; the worker (``densho.delivery``) sends and reports back.

A subscription's dead-letter queue receives the message body exactly as it would have been
delivered (the JSON envelope, or the raw message with its message attributes). AWS documents
no message attributes of its own on such copies, so densho adds none. Confirmation messages
are never dead-lettered (AWS's DLQ holds notifications).
"""

from __future__ import annotations

import logging

from densho.core.clock import Clock, Wake
from densho.core.events import Outcome
from densho.core.ids import uuid4
from densho.core.sns_model import Claimed, Pending, RecordedRow
from densho.sns import envelope, payloads, protocols
from densho.sns.engine import SnsEngine
from densho.sns.outbox.attempts import LEASE_MS, Attempt, Result, next_attempt_ms
from densho.sns.outbox.delivery_policy import DEFAULT_RETRY_POLICY
from densho.storage.sns_base import SnsStore

log = logging.getLogger(__name__)


class Deliveries:
    def __init__(self, engine: SnsEngine, store: SnsStore, clock: Clock) -> None:
        self._engine = engine
        self._store = store
        self._clock = clock

    def now_ms(self) -> int:
        return self._clock.now_ms()

    async def wait(self, until_ms: int, wake: Wake) -> None:
        """Until ``until_ms`` on the clock (a retry's due time), or ``wake`` is set."""
        await self._clock.wait(until_ms, wake)

    async def recover(self) -> int:
        """At start-up: rows a dead process had claimed are due again now."""
        return await self._store.outbox_recover(self._clock.now_ms())

    async def claim(self, limit: int) -> list[Claimed]:
        now = self._clock.now_ms()
        lease = uuid4()  # one per claim: only this claim's holder may settle these rows
        return await self._store.outbox_claim(now, lease, now + LEASE_MS, limit)

    async def next_due(self) -> int | None:
        return await self._store.outbox_next_due()

    async def wanted(self, c: Claimed) -> bool:
        """Whether the row should still be sent; an unwanted row is deleted here. A
        notification needs its subscription confirmed, a SubscriptionConfirmation needs it
        still pending; an UnsubscribeConfirmation goes out whatever happened since."""
        kind = c.entry.kind
        if kind == envelope.UNSUBSCRIBE_CONFIRMATION:
            return True
        view, _ = await self._engine.subscriptions.find(c.entry.subscription_arn)
        if view is not None and view.sub.confirmed == (kind == envelope.NOTIFICATION):
            return True
        log.info(
            "SNS %s %s to %s dropped: the subscription is gone or changed state",
            kind,
            c.entry.message_id,
            c.entry.endpoint,
        )
        await self._store.outbox_done(c.row_id, c.lease)
        return False

    async def delivered(self, c: Claimed) -> None:
        await self._store.outbox_done(c.row_id, c.lease)
        self._count(c, "delivered")

    def _count(self, c: Claimed, outcome: Outcome) -> None:
        """A notification's outcome (confirmation messages are no notifications)."""
        if c.entry.kind == envelope.NOTIFICATION:
            self._engine.events.notifications(c.entry.topic_arn, c.entry.protocol, outcome, 1)

    async def record(self, c: Claimed) -> None:
        """Keep the row's message in the recorded log instead of sending it (an email while
        no SMTP relay is configured)."""
        recorded = payloads.as_recorded(c.entry)
        await self._store.outbox_record(c.row_id, c.lease, recorded, self._clock.now_ms())
        self._count(c, "delivered")

    async def failed(self, c: Claimed, attempt: Attempt) -> None:
        entry = c.entry
        # CloudWatch counts every failed HTTP/S attempt, and other protocols' final failure.
        if entry.protocol in protocols.HTTP_PROTOCOLS:
            self._count(c, "failed")
        view, _ = await self._engine.subscriptions.find(entry.subscription_arn)
        now = self._clock.now_ms()
        if attempt.result is Result.RETRYABLE:
            policy = DEFAULT_RETRY_POLICY
            if view is not None and view.delivery is not None:  # HTTP/S
                policy = view.delivery.retry
            due = next_attempt_ms(policy, c.attempts, entry.created_ms, now)
            if due is not None:
                log.info(
                    "SNS delivery %s to %s failed (%s, attempt %d); next attempt in %d ms",
                    entry.message_id,
                    entry.endpoint,
                    attempt.detail,
                    c.attempts,
                    due - now,
                )
                await self._store.outbox_retry(c.row_id, c.lease, due, attempt.detail)
                return
        if entry.protocol not in protocols.HTTP_PROTOCOLS:
            self._count(c, "failed")
        if view is not None and entry.kind == envelope.NOTIFICATION:
            publisher = self._engine.publisher
            dead = await publisher.dead_letter(view, entry.body, entry.attributes, now)
            if dead is not None:
                if await self._store.outbox_dead_letter(c.row_id, c.lease, dead):
                    publisher.notify_queue(dead.queue_id)
                    log.info(
                        "SNS delivery %s to %s moved to the dead-letter queue after %d "
                        "attempts (%s)",
                        entry.message_id,
                        entry.endpoint,
                        c.attempts,
                        attempt.detail,
                    )
                return
        log.warning(
            "SNS %s %s to %s dropped after %d attempts: %s",
            entry.kind,
            entry.message_id,
            entry.endpoint,
            c.attempts,
            attempt.detail,
        )
        await self._store.outbox_done(c.row_id, c.lease)

    async def pending(self, limit: int = 100) -> list[Pending]:
        """The outbox: deliveries still owed, next due first."""
        return await self._store.outbox_pending(limit)

    async def recorded(
        self,
        protocol: str | None = None,
        endpoint: str | None = None,
        topic_arn: str | None = None,
        limit: int = 1000,
    ) -> list[RecordedRow]:
        return await self._store.recorded(protocol, endpoint, topic_arn, limit)

    async def clear_recorded(self) -> int:
        return await self._store.clear_recorded()
