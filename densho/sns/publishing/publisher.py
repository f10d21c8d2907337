"""Publish and PublishBatch: a topic's message validated, fanned out, and committed with every
delivery in one storage job.

Owns: the batch rules, FIFO topics' SequenceNumber and deduplication, signing a publication
(ahead, in the signing process, when an SQS envelope is signed), turning each SQS send into a
message of its queue (or of the subscription's dead-letter queue when the queue is missing,
its policy refuses SNS or it refuses the message), the FIFO ids each queue takes, the promise
that a publish's deliveries commit with it, and the wake-ups after the commit.
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
MAX_BATCH_ID = 80
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]+")
# The SenderId SQS shows for messages SNS delivers (the SNS service principal's id on AWS).
SNS_SENDER_ID = "AIDAIT2UOQQY3AUEKVGXU"
# The service principal a queue policy names to let SNS deliver.
SNS_SERVICE = "sns.amazonaws.com"
# A FIFO topic's SequenceNumbers grow by this much per message. AWS's are 20 digits that step
# by thousands (10000000000000003000, 10000000000000004000, ... in notifications AWS sent);
# stepping so keeps them apart from the SequenceNumbers a subscribed FIFO queue assigns the
# same messages (its own count, one by one), which on AWS differ from the topic's too.
_TOPIC_SEQUENCE_STEP = 1000


def sequence_number(sequence: int) -> str:
    """A FIFO topic's stored sequence as Publish, PublishBatch and the notification show it."""
    return str(SEQUENCE_BASE + _TOPIC_SEQUENCE_STEP * sequence)


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
        checked = _check(topic, message)
        tally: Tally = {}
        item = await self._item(topic, checked, endpoint, tally)
        (result,) = await self._commit(topic, [item], tally)
        return result

    async def publish_batch(
        self, arn: str, entries: Sequence[BatchEntry], endpoint: str
    ) -> list[tuple[str, Published]]:
        """Publish up to ten messages; per entry id, its result. An entry that fails
        validation fails the whole request and nothing is published, as on AWS (the first
        such entry's error is raised). All deliveries commit in one storage job."""
        topic = await self._topics.get(arn)
        if not entries:
            raise SnsEmptyBatch()
        if len(entries) > MAX_BATCH:
            raise SnsTooManyEntries()
        seen: set[str] = set()
        for entry in entries:
            if entry.entry_id in seen:
                raise SnsBatchIdsNotDistinct()
            seen.add(entry.entry_id)
        for entry in entries:
            if len(entry.entry_id) > MAX_BATCH_ID:
                raise SnsInvalidBatchEntryId(entry.entry_id, too_long=True)
            if not _BATCH_ID.fullmatch(entry.entry_id):
                raise SnsInvalidBatchEntryId(entry.entry_id)
        if sum(size_of(e.message) for e in entries) > MAX_MESSAGE_BYTES:
            raise SnsBatchTooLong()
        checked = [_check(topic, e.message) for e in entries]  # all, before any takes a number
        tally: Tally = {}
        items = [await self._item(topic, c, endpoint, tally) for c in checked]
        results = await self._commit(topic, items, tally)
        return [(e.entry_id, r) for e, r in zip(entries, results, strict=True)]

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
        self, topic: TopicView, checked: Checked, endpoint: str, tally: Tally
    ) -> PublishItem:
        """The checked message fanned out; its notifications' outcomes counted in ``tally``
        (those to the outbox are counted when their attempts end)."""
        config = topic.config
        arn = topic.topic.arn
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
        signature = None
        if fanout.signed(config.fifo, reached):
            signing = self._signatures.signing(config.signature_version, endpoint)
            if fanout.sqs_envelope_signed(config.fifo, reached):
                signature = await self._signatures.sign_ahead(
                    signing, message_id, arn, checked, now
                )
        publication = fanout.Publication(
            message=checked,
            topic_arn=arn,
            message_id=message_id,
            timestamp_ms=now,
            sequence_number=None if sequence is None else sequence_number(sequence),
            endpoint=endpoint,
            signing=signing,
            relay_email=self._node.relay_email,
            signature=signature,
        )
        out = fanout.fan_out(publication, reached)
        item = PublishItem(
            message_id, sequence, dedup, outbox=out.outbox, recorded=out.recorded, seal=config.seal
        )
        for recorded in out.recorded:
            key = (recorded.protocol, "delivered")
            tally[key] = tally.get(key, 0) + 1
        for send in out.sqs:
            sub = send.subscription.sub
            queue = await self._queue(sub.endpoint)
            delivery = None
            if queue is not None and self._admits(queue, sub):
                delivery = self._to_queue(queue, send, checked, config.fifo, now)
            delivered = delivery is not None
            if not delivered:
                # AWS accepts the publish; the delivery fails with a client error (no queue,
                # its policy refuses SNS, or it refuses the message), which goes to the
                # subscription's dead-letter queue when it has one.
                delivery = await self.dead_letter(
                    send.subscription, send.body, send.attributes, now, checked, config.fifo
                )
            key = ("sqs", "delivered" if delivered else "failed")
            tally[key] = tally.get(key, 0) + 1
            if delivery is not None:
                item.deliveries.append(delivery)
        return item

    def _to_queue(
        self, queue: Queue, send: fanout.SqsSend, checked: Checked, fifo_topic: bool, now: int
    ) -> Delivery | None:
        """The SQS message ``send`` puts in its subscription's ``queue``; None when the queue
        refuses it (a failed delivery, as on AWS)."""
        group_id, dedup_id = _fifo_ids(queue, checked, fifo_topic)
        trace = checked.source.trace_header
        out = Outgoing(
            body=send.body,
            attributes=send.attributes,
            # The publish's X-Ray trace header reaches the delivered message, as on AWS
            # (LocalStack's aws-validated SNS trace header propagation test).
            system_attributes={} if trace is None else {"AWSTraceHeader": Attr("String", trace)},
            group_id=group_id,
            dedup_id=dedup_id,
            body_checked=send.checked,
            md5_body=send.md5_body,
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
        message: Checked | None = None,
        fifo_topic: bool = False,
    ) -> Delivery | None:
        """The SQS message a failed delivery leaves in the subscription's dead-letter queue
        (RedrivePolicy deadLetterTargetArn): the body as it would have been delivered, with
        the raw delivery's message attributes and, from ``message`` (the published message
        when known), the FIFO ids the queue takes. None without a usable dead-letter queue."""
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
        group_id, dedup_id = (
            (None, None) if message is None else _fifo_ids(queue, message, fifo_topic)
        )
        out = Outgoing(body=body, attributes=dict(attributes), group_id=group_id, dedup_id=dedup_id)
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
        # The ARN's region, whichever region the topic is in: a subscription may deliver to a
        # queue of another region, as on AWS.
        _, _, _, region, account, name = queue_arn.split(":", 5)
        queues = self._sqs.queues
        queue = queues.known(account, region, name)  # cached: no coroutine of its own
        return queue if queue is not None else await queues.lookup(account, region, name)


def _check(topic: TopicView, message: Message) -> Checked:
    config = topic.config
    return check(message, fifo=config.fifo, content_dedup=config.content_dedup)


def _fifo_ids(queue: Queue, message: Checked, fifo_topic: bool) -> tuple[str | None, str | None]:
    """The MessageGroupId and MessageDeduplicationId a delivery of ``message`` to ``queue``
    carries: a FIFO queue takes the FIFO topic's (a dead-letter queue too, which has no
    content-based deduplication of its own to fall back on); a standard queue takes no
    deduplication id, and a group only from a standard topic (fair queues): AWS delivers a
    FIFO topic's messages to a standard queue without MessageGroupId."""
    if queue.config.fifo:
        return message.group_id, message.dedup_id
    return (None if fifo_topic else message.group_id), None
