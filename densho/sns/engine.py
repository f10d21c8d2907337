"""SNS semantics: topics, subscriptions, tags, and Publish / PublishBatch fan-out to the SQS
queues of this densho.

Owns: topic and subscription rules (names, idempotent create, attributes, states), the choice of
deliveries for a published message, and the promise that a publish's SQS deliveries commit in one
storage job with it. Time comes from the injected ``Clock``; SNS state from the ``SnsStore``;
queues and SQS message rules from the ``SqsEngine``.
Must not know: HTTP, botocore, wire dict shapes, SQL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from densho.engine import errors as sqs_errors
from densho.engine.clock import Clock
from densho.engine.model import Queue
from densho.engine.sqs import FIFO_WINDOW_MS, SEQUENCE_BASE, Outgoing, SqsEngine
from densho.ids import uuid4
from densho.sns import attributes as sattrs
from densho.sns import delivery_policy, envelope, filter_policy
from densho.sns import publish as pub
from densho.sns.errors import (
    SnsBatchIdsNotDistinct,
    SnsBatchTooLong,
    SnsEmptyBatch,
    SnsInvalidBatchEntryId,
    SnsInvalidParameter,
    SnsResourceNotFound,
    SnsTooManyEntries,
    SubscriptionNotFound,
    TagLimitExceeded,
    TopicNotFound,
)
from densho.sns.model import Delivery, Published, PublishItem, Subscription, Topic, TopicDedup
from densho.sns.signing import Signer
from densho.storage.base import FifoSend
from densho.storage.sns_base import SnsStore

log = logging.getLogger(__name__)

_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_FIFO_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,251}\.fifo")
PROTOCOLS = frozenset(
    {"http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"}
)
MAX_TAGS = 50
MAX_BATCH = 10
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
# The SenderId SQS shows for messages SNS delivers (the SNS service principal's id on AWS).
SNS_SENDER_ID = "AIDAIT2UOQQY3AUEKVGXU"
PENDING = "pending confirmation"


@dataclass(frozen=True, slots=True)
class BatchEntry:
    entry_id: str
    message: pub.Message


def topic_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sns:{region}:{account}:{name}"


def parse_arn(arn: str, parameter: str) -> tuple[str, str, str]:
    """(region, account, resource) of an SNS ARN; refuses a malformed one as AWS does."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "sns" or not parts[5]:
        raise SnsInvalidParameter(parameter)
    return parts[3], parts[4], ":".join(parts[5:])


class SnsEngine:
    def __init__(
        self, store: SnsStore, sqs: SqsEngine, clock: Clock, signer: Callable[[], Signer]
    ) -> None:
        self._store = store
        self._sqs = sqs
        self._clock = clock
        self._signer_factory = signer
        self._signer: Signer | None = None
        # Read-through caches. This process is the only writer of the embedded store; a write
        # bumps the entry's generation and drops it, and a read installs what it loaded only if
        # no write happened meanwhile, so a cache never holds an older state than the store.
        self._topics: dict[str, Topic] = {}
        self._subs: dict[str, list[Subscription]] = {}
        self._gen: dict[str, int] = {}
        self._seq: dict[str, int] = {}  # FIFO topics: the last SequenceNumber handed out
        self._filters: dict[tuple[str, str, str], filter_policy.FilterPolicy] = {}

    def signer(self) -> Signer:
        if self._signer is None:
            self._signer = self._signer_factory()
        return self._signer

    def _written(self, key: str) -> None:
        self._gen[key] = self._gen.get(key, 0) + 1
        self._topics.pop(key, None)
        self._subs.pop(key, None)

    # --- topics ---

    async def _find_topic(self, arn: str) -> Topic | None:
        topic = self._topics.get(arn)
        if topic is None:
            gen = self._gen.get(arn, 0)
            topic = await self._store.get_topic(arn)
            if topic is not None and self._gen.get(arn, 0) == gen:
                self._topics[arn] = topic
        if topic is not None and topic.arn not in self._seq:
            self._seq[topic.arn] = topic.seq
        return topic

    async def get_topic(self, arn: str) -> Topic:
        parse_arn(arn, "TopicArn")
        topic = await self._find_topic(arn)
        if topic is None:
            raise TopicNotFound()
        return topic

    async def create_topic(
        self,
        account: str,
        region: str,
        name: str,
        attributes: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> Topic:
        fifo = attributes.get("FifoTopic", "false").lower() == "true"
        if fifo:
            if not _FIFO_TOPIC_NAME.fullmatch(name):
                raise SnsInvalidParameter(
                    "Fifo Topic names must end with .fifo and must be made up of only uppercase "
                    "and lowercase ASCII letters, numbers, underscores, and hyphens, and must be "
                    "between 1 and 256 characters long."
                )
        elif not _TOPIC_NAME.fullmatch(name):
            raise SnsInvalidParameter("Topic Name")
        given = sattrs.check_topic_attributes(attributes, fifo=fifo, creating=True)
        if "FifoTopic" in given and not fifo:
            given.pop("FifoTopic")
        self._check_tags(tags)
        arn = topic_arn(region, account, name)
        existing = await self._find_topic(arn)
        if existing is None:
            candidate = Topic(arn, account, region, name, given, dict(tags), self._clock.now_ms())
            existing, created = await self._store.create_topic(candidate)
            self._written(arn)
            if created:
                return existing
        if any(existing.attributes.get(k) != v for k, v in given.items()) or (
            existing.is_fifo != fifo
        ):
            raise SnsInvalidParameter(
                "Attributes Reason: Topic already exists with different attributes"
            )
        if tags and any(existing.tags.get(k) != v for k, v in tags.items()):
            raise SnsInvalidParameter("Tags Reason: Topic already exists with different tags")
        return existing

    async def delete_topic(self, arn: str) -> None:
        parse_arn(arn, "TopicArn")
        await self._store.delete_topic(arn)  # idempotent: a missing topic is no error
        self._written(arn)
        self._seq.pop(arn, None)

    async def list_topics(self, account: str) -> list[Topic]:
        return await self._store.list_topics(account)

    async def topic_attributes(self, topic: Topic) -> dict[str, str]:
        subs = await self._topic_subs(topic.arn)
        confirmed = sum(1 for s in subs if s.confirmed)
        out = {
            "Policy": sattrs.default_policy(topic.arn, topic.account),
            "Owner": topic.account,
            "SubscriptionsPending": str(len(subs) - confirmed),
            "TopicArn": topic.arn,
            "EffectiveDeliveryPolicy": delivery_policy.topic_effective_json(
                delivery_policy.parse_topic_policy(topic.attributes["DeliveryPolicy"])
                if topic.attributes.get("DeliveryPolicy")
                else None
            ),
            "SubscriptionsConfirmed": str(confirmed),
            "DisplayName": "",
            "SubscriptionsDeleted": "0",
        }
        if topic.is_fifo:
            out["FifoTopic"] = "true"
            out["ContentBasedDeduplication"] = "false"
        out.update({k: v for k, v in topic.attributes.items() if k != "DataProtectionPolicy"})
        return out

    async def set_topic_attribute(self, topic: Topic, name: str, value: str) -> None:
        given = sattrs.check_topic_attributes({name: value}, fifo=topic.is_fifo, creating=False)
        merged = dict(topic.attributes)
        for key, val in given.items():
            if val == "" and key in ("Policy", "DeliveryPolicy", "ArchivePolicy"):
                merged.pop(key, None)
            else:
                merged[key] = val
        await self._store.update_topic(topic.arn, merged, topic.tags)
        self._written(topic.arn)

    # --- tags ---

    @staticmethod
    def _check_tags(tags: Mapping[str, str]) -> None:
        if len(tags) > MAX_TAGS:
            raise TagLimitExceeded()
        for key, value in tags.items():
            if not 1 <= len(key) <= 128 or key.startswith("aws:"):
                raise SnsInvalidParameter(f"Tags Reason: Invalid tag key: {key}")
            if len(value) > 256:
                raise SnsInvalidParameter(f"Tags Reason: Invalid tag value for key {key}")

    async def _tag_target(self, arn: str) -> Topic:
        parse_arn(arn, "ResourceArn")
        topic = await self._find_topic(arn)
        if topic is None:
            raise SnsResourceNotFound()
        return topic

    async def tags(self, arn: str) -> dict[str, str]:
        return (await self._tag_target(arn)).tags

    async def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        topic = await self._tag_target(arn)
        merged = {**topic.tags, **tags}
        self._check_tags(merged)
        await self._store.update_topic(arn, topic.attributes, merged)
        self._written(arn)

    async def untag(self, arn: str, keys: Sequence[str]) -> None:
        topic = await self._tag_target(arn)
        kept = {k: v for k, v in topic.tags.items() if k not in set(keys)}
        await self._store.update_topic(arn, topic.attributes, kept)
        self._written(arn)

    # --- subscriptions ---

    async def _topic_subs(self, arn: str) -> list[Subscription]:
        subs = self._subs.get(arn)
        if subs is None:
            gen = self._gen.get(arn, 0)
            subs = await self._store.topic_subscriptions(arn)
            if self._gen.get(arn, 0) == gen:
                self._subs[arn] = subs
        return subs

    async def subscribe(
        self,
        owner: str,
        arn: str,
        protocol: str,
        endpoint: str | None,
        attributes: Mapping[str, str],
    ) -> Subscription:
        topic = await self.get_topic(arn)
        if protocol not in PROTOCOLS:
            raise SnsInvalidParameter(
                f"Amazon SNS does not support this protocol string: {protocol}"
            )
        if not endpoint:
            raise SnsInvalidParameter("Endpoint")
        if protocol == "sqs":
            if not sattrs.is_sqs_arn(endpoint):
                raise SnsInvalidParameter("SQS endpoint ARN")
            if topic.is_fifo and not endpoint.endswith(".fifo"):
                raise SnsInvalidParameter(
                    "Invalid parameter: Endpoint Reason: Please use FIFO SQS queue"
                )
            if not topic.is_fifo and endpoint.endswith(".fifo"):
                raise SnsInvalidParameter(
                    "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed "
                    "to standard SNS topics"
                )
        elif topic.is_fifo:
            raise SnsInvalidParameter(
                "Invalid parameter: Endpoint Reason: FIFO topic only supports SQS protocol"
            )
        given = sattrs.check_subscription_attributes(attributes, {}, subscribing=True)
        candidate = Subscription(
            arn=f"{arn}:{uuid4()}",
            topic_arn=arn,
            owner=owner,
            protocol=protocol,
            endpoint=endpoint,
            attributes=given,
            # Subscriptions to densho's own queues need no confirmation; every other protocol
            # waits for one (confirmation delivery is not implemented yet).
            confirmed=protocol == "sqs",
            created_ms=self._clock.now_ms(),
        )
        sub, created = await self._store.create_subscription(candidate)
        self._written(arn)
        if not created and any(sub.attributes.get(k) != v for k, v in given.items()):
            raise SnsInvalidParameter(
                "Attributes Reason: Subscription already exists with different attributes"
            )
        return sub

    async def get_subscription(self, arn: str) -> Subscription:
        region, account, resource = parse_arn(arn, "SubscriptionArn")
        name, _, _ = resource.partition(":")
        for sub in await self._topic_subs(topic_arn(region, account, name)):
            if sub.arn == arn:
                return sub
        raise SubscriptionNotFound()

    async def unsubscribe(self, arn: str) -> None:
        region, account, resource = parse_arn(arn, "SubscriptionArn")
        if ":" not in resource:
            raise SnsInvalidParameter("SubscriptionArn")
        await self._store.delete_subscription(arn)  # a missing subscription is no error
        self._written(topic_arn(region, account, resource.partition(":")[0]))

    async def list_subscriptions(self, owner: str) -> list[Subscription]:
        return await self._store.list_subscriptions(owner)

    async def topic_subscriptions(self, arn: str) -> list[Subscription]:
        await self.get_topic(arn)
        return await self._topic_subs(arn)

    def subscription_attributes(self, sub: Subscription) -> dict[str, str]:
        out = {
            "ConfirmationWasAuthenticated": "true" if sub.confirmed else "false",
            "PendingConfirmation": "false" if sub.confirmed else "true",
            "Owner": sub.owner,
            "RawMessageDelivery": "false",
            "TopicArn": sub.topic_arn,
            "Endpoint": sub.endpoint,
            "Protocol": sub.protocol,
            "SubscriptionArn": sub.arn,
        }
        if sub.protocol in ("http", "https"):
            topic = self._topics.get(sub.topic_arn)
            text = topic.attributes.get("DeliveryPolicy") if topic else None
            out["EffectiveDeliveryPolicy"] = delivery_policy.subscription_effective_json(
                delivery_policy.effective_policy(
                    delivery_policy.parse_topic_policy(text) if text else None,
                    delivery_policy.parse_subscription_policy(sub.attributes["DeliveryPolicy"])
                    if sub.attributes.get("DeliveryPolicy")
                    else None,
                )
            )
        out.update(sub.attributes)
        return out

    async def set_subscription_attribute(self, sub: Subscription, name: str, value: str) -> None:
        merged = sattrs.check_subscription_attributes(
            {name: value}, sub.attributes, subscribing=False
        )
        updated = await self._store.update_subscription(sub.arn, merged, sub.confirmed)
        self._written(sub.topic_arn)
        if updated is None:
            raise SubscriptionNotFound()

    def _filter(self, sub: Subscription) -> filter_policy.FilterPolicy | None:
        text = sub.attributes.get("FilterPolicy")
        if not text:
            return None
        scope = sub.attributes.get("FilterPolicyScope", filter_policy.MESSAGE_ATTRIBUTES)
        key = (sub.arn, text, scope)
        compiled = self._filters.get(key)
        if compiled is None:
            if len(self._filters) > 10_000:
                self._filters.clear()
            compiled = self._filters[key] = filter_policy.parse(text, scope)
        return compiled

    # --- publishing ---

    async def publish(self, arn: str, message: pub.Message, endpoint: str) -> Published:
        """Publish one message; when this returns, every matching SQS subscription's queue holds
        its delivery (one storage job)."""
        topic = await self.get_topic(arn)
        item = await self._item(topic, message, endpoint)
        (result,) = await self._commit(topic, [item])
        return result

    async def publish_batch(
        self, arn: str, entries: Sequence[BatchEntry], endpoint: str
    ) -> list[tuple[str, Published | Exception]]:
        """Publish up to ten messages; per entry id, its result or the error that refused it.
        The accepted entries' deliveries all commit in one storage job."""
        topic = await self.get_topic(arn)
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
        if sum(pub.size_of(e.message) for e in entries) > pub.MAX_MESSAGE_BYTES:
            raise SnsBatchTooLong()
        outcomes: list[Exception | None] = []
        items: list[PublishItem] = []
        for entry in entries:
            try:
                items.append(await self._item(topic, entry.message, endpoint))
                outcomes.append(None)
            except sqs_errors.DomainError as exc:
                outcomes.append(exc)
        committed = iter(await self._commit(topic, items) if items else [])
        return [
            (entry.entry_id, outcome if outcome is not None else next(committed))
            for entry, outcome in zip(entries, outcomes, strict=True)
        ]

    async def _commit(self, topic: Topic, items: list[PublishItem]) -> list[Published]:
        results = await self._store.publish(topic.arn, items)
        woken: set[int] = set()
        for item, result in zip(items, results, strict=True):
            if result.delivered:
                woken.update(d.queue_id for d in item.deliveries)
        for queue_id in woken:
            self._sqs.notify(queue_id)
        return results

    async def _item(self, topic: Topic, message: pub.Message, endpoint: str) -> PublishItem:
        checked = pub.check(
            message,
            fifo=topic.is_fifo,
            content_dedup=topic.attributes.get("ContentBasedDeduplication") == "true",
        )
        now = self._clock.now_ms()
        message_id = uuid4()
        sequence: int | None = None
        dedup: TopicDedup | None = None
        if topic.is_fifo:
            sequence = self._seq.get(topic.arn, topic.seq) + 1
            self._seq[topic.arn] = sequence
            assert checked.dedup_id is not None and checked.group_id is not None
            by_group = topic.attributes.get("FifoThroughputScope") == "MessageGroup"
            dedup = TopicDedup(
                checked.dedup_id, checked.group_id if by_group else "", now, FIFO_WINDOW_MS
            )
        item = PublishItem(message_id, sequence, dedup)
        signing: envelope.Signing | None = None
        for sub in await self._topic_subs(topic.arn):
            if sub.protocol != "sqs" or not sub.confirmed:
                continue  # other protocols: delivery is not implemented yet
            if not pub.matches(self._filter(sub), checked):
                continue
            queue = await self._queue(topic, sub.endpoint)
            if queue is None:
                continue  # AWS accepts the publish; the delivery fails on its side
            if signing is None and not topic.is_fifo and not sub.raw:
                signing = envelope.Signing(
                    self.signer(),
                    int(topic.attributes.get("SignatureVersion", "1")),
                    f"{endpoint}/_densho/sns/cert/{self.signer().certificate_file_name}",
                )
            rendered = pub.sqs_body(
                checked,
                raw=sub.raw,
                message_id=message_id,
                topic_arn=topic.arn,
                subscription_arn=sub.arn,
                timestamp_ms=now,
                unsubscribe_url=envelope.unsubscribe_url(endpoint, sub.arn),
                signing=signing,
                sequence_number=None if sequence is None else str(SEQUENCE_BASE + sequence),
            )
            out = Outgoing(
                body=rendered.body,
                attributes=rendered.attributes,
                group_id=checked.group_id,
                dedup_id=checked.dedup_id if queue.is_fifo else None,
            )
            try:
                prepared = self._sqs.prepare(queue, out, SNS_SENDER_ID, now)
            except sqs_errors.DomainError as exc:  # the queue refuses it; AWS drops it too
                log.info("SNS delivery to %s refused: %s", sub.endpoint, exc)
                continue
            fifo = (
                FifoSend(
                    now,
                    FIFO_WINDOW_MS,
                    queue.attributes.get("DeduplicationScope") == "messageGroup",
                )
                if queue.is_fifo
                else None
            )
            item.deliveries.append(Delivery(queue.id, prepared, fifo))
        return item

    async def _queue(self, topic: Topic, queue_arn: str) -> Queue | None:
        _, _, _, region, account, name = queue_arn.split(":", 5)
        try:
            queue = await self._sqs.get_queue(account, name)
        except sqs_errors.QueueNotFound:
            return None
        return queue if queue.region == region else None

    async def expire(self) -> None:
        await self._store.expire_topic_windows(self._clock.now_ms())
