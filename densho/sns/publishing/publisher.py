"""Publish and PublishBatch: a topic's message validated, fanned out, and committed with every
delivery in one storage job.

Owns: the batch rules, FIFO topics' SequenceNumber and deduplication, signing a publication
(ahead, in the signing process, when an SQS envelope is signed), turning each SQS send into a
message of its queue (or of the subscription's dead-letter queue when the queue is missing),
the promise that a publish's deliveries commit with it, and the wake-ups after the commit.
Must not know: HTTP, botocore, wire dict shapes, SQL; what each subscriber receives
(``fanout``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from densho import iam
from densho.core import errors as sqs_errors
from densho.core.events import Outcome
from densho.core.ids import uuid4
from densho.core.sns_model import Delivery, Published, PublishItem, Subscription, TopicDedup
from densho.core.sqs_model import Attr, NewMessage, Queue
from densho.sns import attributes as sattrs
from densho.sns.errors import (
    SnsBatchIdsNotDistinct,
    SnsBatchTooLong,
    SnsEmptyBatch,
    SnsInvalidBatchEntryId,
    SnsTooManyEntries,
    TopicNotFound,
)
from densho.sns.node import Node
from densho.sns.publishing import fanout
from densho.sns.publishing.message import MAX_MESSAGE_BYTES, Checked, Message, check, size_of
from densho.sns.topics import Topics
from densho.sns.views import SubscriptionView, TopicView
from densho.sqs.engine import SqsEngine
from densho.sqs.flow import FIFO_WINDOW_MS, SEQUENCE_BASE, Outgoing, fifo_send

log = logging.getLogger(__name__)

# Notifications of one Publish or PublishBatch, by (protocol, outcome): told after the commit.
Tally = dict[tuple[str, Outcome], int]
MAX_BATCH = 10
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
# The SenderId SQS shows for messages SNS delivers (the SNS service principal's id on AWS).
SNS_SENDER_ID = "AIDAIT2UOQQY3AUEKVGXU"
# The service principal a queue policy names to let SNS deliver.
SNS_SERVICE = "sns.amazonaws.com"


@dataclass(frozen=True, slots=True)
class BatchEntry:
    entry_id: str
    message: Message


class Publisher:
    def __init__(self, node: Node, topics: Topics, sqs: SqsEngine) -> None:
        self._node = node
        self._store = node.store
        self._catalog = node.catalog
        self._clock = node.clock
        self._signatures = node.signatures
        self._topics = topics
        self._sqs = sqs
        # Deliveries to SQS queues whose policy refused SNS (authentication on), since start.
        self.refused_deliveries = 0

    async def publish(self, arn: str, message: Message, endpoint: str) -> Published:
        """Publish one message; when this returns, every matching SQS subscription's queue holds
        its delivery (one storage job)."""
        topic = await self._topics.get(arn)
        tally: Tally = {}
        item = await self._item(topic, message, endpoint, tally)
        (result,) = await self._commit(topic, [item], tally)
        return result

    async def publish_batch(
        self, arn: str, entries: Sequence[BatchEntry], endpoint: str
    ) -> list[tuple[str, Published | Exception]]:
        """Publish up to ten messages; per entry id, its result or the error that refused it.
        The accepted entries' deliveries all commit in one storage job."""
        topic = await self._topics.get(arn)
        if not entries:
            raise SnsEmptyBatch()
        if len(entries) > MAX_BATCH:
            raise SnsTooManyEntries()
        seen: set[str] = set()
        for entry in entries:
            if not _BATCH_ID.fullmatch(entry.entry_id):
                raise SnsInvalidBatchEntryId()
            if entry.entry_id in seen:
                raise SnsBatchIdsNotDistinct()
            seen.add(entry.entry_id)
        if sum(size_of(e.message) for e in entries) > MAX_MESSAGE_BYTES:
            raise SnsBatchTooLong()
        outcomes: list[Exception | None] = []
        items: list[PublishItem] = []
        tally: Tally = {}
        for entry in entries:
            try:
                items.append(await self._item(topic, entry.message, endpoint, tally))
                outcomes.append(None)
            except sqs_errors.DomainError as exc:
                outcomes.append(exc)
        committed = iter(await self._commit(topic, items, tally) if items else [])
        return [
            (entry.entry_id, outcome if outcome is not None else next(committed))
            for entry, outcome in zip(entries, outcomes, strict=True)
        ]

    async def _commit(
        self, topic: TopicView, items: list[PublishItem], tally: Tally
    ) -> list[Published]:
        arn = topic.topic.arn
        results = await self._store.publish(arn, items)
        events = self._node.events
        events.published(arn, len(items))
        for (protocol, outcome), count in tally.items():
            events.notifications(arn, protocol, outcome, count)
        arrived: dict[int, list[NewMessage]] = {}
        queued = False
        for item, result in zip(items, results, strict=True):
            if result.delivered:
                for d in item.deliveries:
                    arrived.setdefault(d.queue_id, []).append(d.message)
                queued = queued or bool(item.outbox)
        for queue_id, messages in arrived.items():
            self._sqs.arrived(queue_id, messages)
        if queued:
            self._node.woken()
        return results

    async def _item(
        self, topic: TopicView, message: Message, endpoint: str, tally: Tally
    ) -> PublishItem:
        """The message checked and fanned out; its notifications' outcomes counted in
        ``tally`` (those to the outbox are counted when their attempts end)."""
        config = topic.config
        arn = topic.topic.arn
        checked = check(message, fifo=config.fifo, content_dedup=config.content_dedup)
        now = self._clock.now_ms()
        message_id = uuid4()
        sequence: int | None = None
        dedup: TopicDedup | None = None
        if config.fifo:
            sequence = await self._next_sequence(topic)
            assert checked.dedup_id is not None and checked.group_id is not None
            scope = checked.group_id if config.dedup_by_group else ""
            dedup = TopicDedup(checked.dedup_id, scope, now, FIFO_WINDOW_MS)
        reached = []
        for view in await self._catalog.subscriptions(topic):
            if fanout.reaches(view, checked):
                reached.append(view)
            elif view.sub.confirmed:  # its filter policy did not match
                key: tuple[str, Outcome] = (view.sub.protocol, "filtered_out")
                tally[key] = tally.get(key, 0) + 1
        signing = None
        if fanout.signed(config.fifo, reached):
            signing = self._signatures.signing(config.signature_version, endpoint)
            if fanout.sqs_envelope_signed(config.fifo, reached):
                await self._signatures.sign_ahead(signing, message_id, arn, checked, now)
        publication = fanout.Publication(
            message=checked,
            topic_arn=arn,
            message_id=message_id,
            timestamp_ms=now,
            sequence_number=None if sequence is None else str(SEQUENCE_BASE + sequence),
            endpoint=endpoint,
            signing=signing,
            relay_email=self._node.relay_email,
        )
        out = fanout.fan_out(publication, reached)
        item = PublishItem(
            message_id, sequence, dedup, outbox=out.outbox, recorded=out.recorded, seal=config.seal
        )
        for recorded in out.recorded:
            key = (recorded.protocol, "delivered")
            tally[key] = tally.get(key, 0) + 1
        for send in out.sqs:
            queue = await self._queue(send.subscription.sub.endpoint)
            delivered = queue is not None and self._admits(queue, send.subscription.sub)
            if not delivered or queue is None:
                # AWS accepts the publish; the delivery fails with a client error (no queue,
                # or its policy refuses SNS), which goes to the subscription's dead-letter
                # queue when it has one.
                delivery = await self.dead_letter(
                    send.subscription, send.body, send.attributes, now, checked.group_id
                )
            else:
                delivery = self._to_queue(queue, send, checked, now)
                delivered = delivery is not None
            key = ("sqs", "delivered" if delivered else "failed")
            tally[key] = tally.get(key, 0) + 1
            if delivery is not None:
                item.deliveries.append(delivery)
        return item

    def _to_queue(
        self, queue: Queue, send: fanout.SqsSend, checked: Checked, now: int
    ) -> Delivery | None:
        """The SQS message ``send`` puts in its subscription's ``queue``; None when the queue
        refuses it (AWS drops it too)."""
        trace = checked.source.trace_header
        out = Outgoing(
            body=send.body,
            attributes=send.attributes,
            # The publish's X-Ray trace header reaches the delivered message, as on AWS
            # (LocalStack's aws-validated SNS trace header propagation test).
            system_attributes={} if trace is None else {"AWSTraceHeader": Attr("String", trace)},
            group_id=checked.group_id,
            dedup_id=checked.dedup_id if queue.config.fifo else None,
        )
        try:
            prepared = self._sqs.messages.prepare(queue, out, SNS_SENDER_ID, now)
        except sqs_errors.DomainError as exc:
            log.info("SNS delivery to %s refused: %s", send.subscription.sub.endpoint, exc)
            return None
        return Delivery(queue.id, prepared, fifo_send(queue, now))

    async def _next_sequence(self, topic: TopicView) -> int:
        """A FIFO topic's next SequenceNumber, larger than every one handed out before. Alone
        on the store, this process counts in memory (the publish stores the highest); nodes
        sharing a store reserve each number there, so no two hand out the same."""
        arn = topic.topic.arn
        if not self._store.shared:
            sequences = self._catalog.sequences
            sequence = sequences.get(arn, topic.topic.seq) + 1
            sequences[arn] = sequence
            return sequence
        reserved = await self._store.reserve_topic_seq(arn, 1)
        if reserved is None:  # deleted on another node since it was looked up
            self._catalog.forget(arn)
            raise TopicNotFound()
        return reserved

    async def dead_letter(
        self,
        view: SubscriptionView,
        body: str,
        attributes: Mapping[str, Attr],
        now: int,
        group_id: str | None = None,
    ) -> Delivery | None:
        """The SQS message a failed delivery leaves in the subscription's dead-letter queue
        (RedrivePolicy deadLetterTargetArn): the body as it would have been delivered, with
        the raw delivery's message attributes. None without a usable dead-letter queue."""
        target = view.dead_letter_arn
        if target is None:
            return None
        sub = view.sub
        queue = None
        if await self._catalog.topic(sub.topic_arn) is not None and sattrs.is_sqs_arn(target):
            queue = await self._queue(target)
        if queue is None:
            log.warning("dead-letter queue %s of %s does not exist", target, sub.arn)
            return None
        if not self._admits(queue, sub):
            return None
        out = Outgoing(body=body, attributes=dict(attributes), group_id=group_id)
        try:
            prepared = self._sqs.messages.prepare(queue, out, SNS_SENDER_ID, now)
        except sqs_errors.DomainError as exc:
            log.warning("dead-letter queue %s refused a message of %s: %s", target, sub.arn, exc)
            return None
        return Delivery(queue.id, prepared, fifo_send(queue, now))

    async def to_queue(self, sub: Subscription, body: str) -> bool:
        """Put a message SNS itself writes (a SubscriptionConfirmation) into ``sub``'s queue,
        under the rule its deliveries follow; whether it arrived."""
        queue = await self._queue(sub.endpoint)
        if queue is None or not self._admits(queue, sub):
            return False
        now = self._clock.now_ms()
        try:
            prepared = self._sqs.messages.prepare(queue, Outgoing(body=body), SNS_SENDER_ID, now)
        except sqs_errors.DomainError as exc:  # e.g. a FIFO queue (no group id)
            log.info("SNS message to %s refused: %s", sub.endpoint, exc)
            return False
        await self._sqs.messages.send(queue, [prepared])
        return True

    def _admits(self, queue: Queue, sub: Subscription) -> bool:
        """With authentication on, whether ``queue``'s policy lets SNS send it ``sub``'s
        topic's messages, as AWS requires of every queue a topic delivers to (even in the
        topic owner's account): sqs:SendMessage allowed to ``sns.amazonaws.com`` with the
        conditions read against the topic (aws:SourceArn, aws:SourceAccount). A refusal is
        logged and counted (``refused_deliveries``)."""
        if not self._node.queue_policies:
            return True
        topic_arn = sub.topic_arn
        owner = topic_arn.split(":", 5)[4]
        request = iam.Request(
            self._clock.now_ms(),
            extra={
                "aws:sourcearn": topic_arn,
                "aws:sourceaccount": owner,
                "aws:sourceowner": owner,
            },
        )
        if iam.service_allows(
            queue.config.policy, SNS_SERVICE, "sqs:SendMessage", queue.arn, request
        ):
            return True
        self.refused_deliveries += 1
        log.warning(
            "SNS delivery of %s to %s dropped: the queue's policy does not allow %s "
            "sqs:SendMessage from this topic",
            topic_arn,
            queue.arn,
            SNS_SERVICE,
        )
        return False

    def notify_queue(self, queue_id: int) -> None:
        """Wake long polls on a queue a dead-lettered message went to."""
        self._sqs.notify(queue_id)

    async def _queue(self, queue_arn: str) -> Queue | None:
        _, _, _, region, account, name = queue_arn.split(":", 5)
        try:
            queue = await self._sqs.queues.get_queue(account, name)
        except sqs_errors.QueueNotFound:
            return None
        return queue if queue.region == region else None
