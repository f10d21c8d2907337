"""SNS semantics: topics, subscriptions, tags, and Publish / PublishBatch fan-out to the SQS
queues of this densho and, through the outbox, to every other kind of subscriber.

Owns: topic and subscription rules (names, idempotent create, attributes, states, confirmation
by token), the choice of deliveries for a published message, and the promise that a publish's
deliveries (SQS messages, outbox rows, recorded deliveries) commit in one storage job with it.
Time comes from the injected ``Clock``; SNS state from the ``SnsStore``; queues and SQS message
rules from the ``SqsEngine``.
Must not know: HTTP, botocore, wire dict shapes, SQL, how the outbox is delivered.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from densho.core import errors as sqs_errors
from densho.core.cache import SHARED_TTL_MS, ReadThrough
from densho.core.clock import Clock
from densho.core.ids import uuid4
from densho.core.sns_model import (
    Delivery,
    OutboxEntry,
    Published,
    PublishItem,
    Recorded,
    Subscription,
    Token,
    Topic,
    TopicDedup,
)
from densho.core.sqs_model import Attr, Queue
from densho.core.store import TOPIC
from densho.sns import attributes as sattrs
from densho.sns import delivery_policy, envelope, outbox, payloads
from densho.sns import publish as pub
from densho.sns.errors import (
    SnsAuthorizationError,
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
from densho.sns.filter import policy as filter_policy
from densho.sns.signing.process import SigningProcess
from densho.sns.signing.signer import Signer, string_to_sign
from densho.sqs.engine import SqsEngine
from densho.sqs.flow import FIFO_WINDOW_MS, SEQUENCE_BASE, Outgoing, fifo_send
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
# Subscription state densho keeps among a subscription's attributes; never shown or writable.
_AUTHENTICATED = "densho:ConfirmationWasAuthenticated"
_AUTH_UNSUBSCRIBE = "densho:AuthenticateOnUnsubscribe"
_INTERNAL_PREFIX = "densho:"


@dataclass(frozen=True, slots=True)
class BatchEntry:
    entry_id: str
    message: pub.Message


def topic_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sns:{region}:{account}:{name}"


def parse_arn(arn: str, parameter: str) -> tuple[str, str, str]:
    """(region, account, resource) of an SNS ARN; refuses a malformed one as AWS does."""
    parts = arn.split(":")
    if len(parts) < 6:  # AWS's text (recorded against AWS in LocalStack's SNS snapshots)
        raise SnsInvalidParameter(
            f"{parameter} Reason: An ARN must have at least 6 elements, not {len(parts)}"
        )
    if parts[0] != "arn" or parts[2] != "sns" or not parts[5]:
        raise SnsInvalidParameter(parameter)
    return parts[3], parts[4], ":".join(parts[5:])


class SnsEngine:
    def __init__(
        self,
        store: SnsStore,
        sqs: SqsEngine,
        clock: Clock,
        signer: Callable[[], Signer],
        *,
        relay_email: bool = False,
    ) -> None:
        self._store = store
        self._sqs = sqs
        self._clock = clock
        self._signer_factory = signer
        self._signer: Signer | None = None
        self._process: SigningProcess | None = None  # signs SQS envelopes beside the loop
        # Whether emails are sent (through an SMTP relay) or recorded.
        self.relay_email = relay_email
        # Called after a commit that queued outbox rows (the delivery worker's wake-up).
        self.on_outbox: Callable[[], None] | None = None
        # Read-through caches by topic ARN: a write drops the topic's entries (``_written``),
        # and a read installs what it loaded only if no write happened meanwhile. On a shared
        # store other nodes' writes arrive as ``forget_topic`` (their notifications), and
        # entries are reloaded after a second in case one was lost.
        ttl = SHARED_TTL_MS if store.shared else None
        self._topics: ReadThrough[str, Topic] = ReadThrough(clock, ttl)
        self._subs: ReadThrough[str, list[Subscription]] = ReadThrough(clock, ttl)
        # FIFO topics: the last SequenceNumber handed out, when this process is the only writer
        # (several nodes reserve theirs in the store: ``_next_sequence``).
        self._seq: dict[str, int] = {}
        self._filters: dict[tuple[str, str, str], filter_policy.FilterPolicy] = {}

    def signer(self) -> Signer:
        if self._signer is None:
            self._signer = self._signer_factory()
        return self._signer

    def _signing_process(self) -> SigningProcess:
        if self._process is None:
            self._process = SigningProcess(self.signer())
        return self._process

    async def close(self) -> None:
        """Stop the signing process, if one was started."""
        if self._process is not None:
            await self._process.close()

    def cert_url(self, endpoint: str) -> str:
        """SigningCertURL: served by densho at this path (``endpoint`` as the client used it)."""
        return f"{endpoint}/_densho/sns/cert/{self.signer().certificate_file_name}"

    def _signing(self, topic: Topic, endpoint: str) -> envelope.Signing:
        version = int(topic.attributes.get("SignatureVersion", "1"))
        return envelope.Signing(self.signer(), version, self.cert_url(endpoint))

    def _written(self, key: str) -> None:
        """This node changed the topic or its subscriptions: drop them here and elsewhere."""
        self.forget_topic(key)
        self._store.changed(TOPIC, key)

    def forget_topic(self, arn: str) -> None:
        """The topic or its subscriptions changed (here, or on another node)."""
        self._topics.forget(arn)
        self._subs.forget(arn)

    def forget_all(self) -> None:
        """Other nodes' changes may have been missed: drop every cached topic."""
        self._topics.forget_all()
        self._subs.forget_all()

    # --- topics ---

    async def _find_topic(self, arn: str) -> Topic | None:
        topic = self._topics.get(arn)
        if topic is None:
            began = self._topics.begin()
            topic = await self._store.get_topic(arn)
            if topic is not None:
                self._topics.loaded(arn, topic, began)
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
        await self._update_topic(topic, merged, topic.tags, TopicNotFound)

    async def store_topic_attributes(self, topic: Topic, attributes: dict[str, str]) -> None:
        """Store ``attributes`` as the topic's, as given: the caller validated them
        (``densho.sns.manage_engine``: AddPermission's Policy, PutDataProtectionPolicy)."""
        await self._update_topic(topic, attributes, topic.tags, TopicNotFound)

    async def _update_topic(
        self,
        topic: Topic,
        attributes: dict[str, str],
        tags: dict[str, str],
        missing: Callable[[], Exception],
    ) -> None:
        """Store the topic's attributes and tags; ``missing()`` is raised when the topic is gone
        (deleted on another node since this one looked it up)."""
        try:
            await self._store.update_topic(topic.arn, attributes, tags)
        except LookupError:
            self.forget_topic(topic.arn)
            raise missing() from None
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
        await self._update_topic(topic, topic.attributes, merged, SnsResourceNotFound)

    async def untag(self, arn: str, keys: Sequence[str]) -> None:
        topic = await self._tag_target(arn)
        kept = {k: v for k, v in topic.tags.items() if k not in set(keys)}
        await self._update_topic(topic, topic.attributes, kept, SnsResourceNotFound)

    # --- subscriptions ---

    async def _topic_subs(self, arn: str) -> list[Subscription]:
        subs = self._subs.get(arn)
        if subs is None:
            began = self._subs.begin()
            subs = await self._store.topic_subscriptions(arn)
            self._subs.loaded(arn, subs, began)
        return subs

    async def subscribe(
        self,
        owner: str,
        arn: str,
        protocol: str,
        endpoint: str | None,
        attributes: Mapping[str, str],
        endpoint_url: str = "",
    ) -> Subscription:
        """Subscribe; ``endpoint_url`` is the service URL the client used (it goes into the
        SubscribeURL of the confirmation an HTTP/S or email endpoint receives)."""
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
            # A FIFO topic may feed a standard queue too (AWS's FIFO example subscribes one for
            # analytics); a standard topic may not feed a FIFO queue.
            if not topic.is_fifo and endpoint.endswith(".fifo"):
                raise SnsInvalidParameter(
                    "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed "
                    "to standard SNS topics"
                )
        elif topic.is_fifo:
            raise SnsInvalidParameter(
                "Invalid parameter: Endpoint Reason: FIFO topic only supports SQS protocol"
            )
        elif protocol in outbox.HTTP_PROTOCOLS and not endpoint.lower().startswith(
            f"{protocol}://"
        ):
            raise SnsInvalidParameter("Endpoint Reason: Endpoint must match the specified protocol")
        elif protocol in outbox.EMAIL_PROTOCOLS and "@" not in endpoint:
            raise SnsInvalidParameter("Email address")
        given = sattrs.check_subscription_attributes(attributes, {}, subscribing=True)
        candidate = Subscription(
            arn=f"{arn}:{uuid4()}",
            topic_arn=arn,
            owner=owner,
            protocol=protocol,
            endpoint=endpoint,
            attributes=given,
            # HTTP/S and email wait for their owner to confirm; AWS confirms the others at once.
            confirmed=protocol in outbox.CONFIRMED_ON_SUBSCRIBE,
            created_ms=self._clock.now_ms(),
        )
        if candidate.confirmed:
            sub, created = await self._store.create_subscription(candidate)
        else:
            sub, created = await self._subscribe_pending(topic, candidate, endpoint_url)
        self._written(arn)
        if not created and any(sub.attributes.get(k) != v for k, v in given.items()):
            raise SnsInvalidParameter(
                "Attributes Reason: Subscription already exists with different attributes"
            )
        return sub

    async def _subscribe_pending(
        self, topic: Topic, sub: Subscription, endpoint_url: str
    ) -> tuple[Subscription, bool]:
        """Store a subscription that waits for confirmation with a fresh token and its
        SubscriptionConfirmation (re-sent when the same endpoint subscribes again while
        pending, as AWS does)."""
        now, token, entry = self._confirmation(
            payloads.subscription_confirmation, topic, sub, endpoint_url
        )
        send, keep = self._route([entry])
        found, created = await self._store.subscribe_pending(
            sub, Token(token, topic.arn, sub.arn, now + outbox.TOKEN_TTL_MS), send, keep
        )
        if send and not found.confirmed:
            self._woken()
        return found, created

    def _confirmation(
        self,
        build: Callable[..., OutboxEntry],
        topic: Topic,
        sub: Subscription,
        endpoint_url: str,
    ) -> tuple[int, str, OutboxEntry]:
        """A (Un)SubscriptionConfirmation to ``sub`` with a fresh token: now, the token and
        the entry ``build`` (one of payloads' confirmation makers) makes of them."""
        now = self._clock.now_ms()
        token = _mint_token()
        entry = build(
            protocol=sub.protocol,
            endpoint=sub.endpoint,
            subscription_arn=sub.arn,
            topic_arn=topic.arn,
            message_id=uuid4(),
            token=token,
            subscribe_url=envelope.subscribe_url(endpoint_url, topic.arn, token),
            timestamp_ms=now,
            signing=self._signing(topic, endpoint_url),
        )
        return now, token, entry

    def _route(self, entries: list[OutboxEntry]) -> tuple[list[OutboxEntry], list[Recorded]]:
        """Which entries go to the outbox and which are recorded instead (email without an
        SMTP relay)."""
        if self.relay_email:
            return entries, []
        send = [e for e in entries if e.protocol not in outbox.EMAIL_PROTOCOLS]
        keep = [payloads.as_recorded(e) for e in entries if e.protocol in outbox.EMAIL_PROTOCOLS]
        return send, keep

    def _woken(self) -> None:
        if self.on_outbox is not None:
            self.on_outbox()

    async def confirm_subscription(
        self,
        topic_arn_: str,
        token: str,
        *,
        authenticated: bool,
        authenticate_on_unsubscribe: bool,
    ) -> Subscription:
        """ConfirmSubscription (and a GET of the SubscribeURL): confirm the subscription the
        token was issued for, or re-create the one an UnsubscribeConfirmation's token names.
        Confirming twice answers the same subscription."""
        topic = await self.get_topic(topic_arn_)
        found = await self._store.get_token(token)
        if (
            found is None
            or found.topic_arn != topic.arn
            or found.expires_ms <= self._clock.now_ms()
        ):
            raise SnsInvalidParameter("Token")
        marks = {_AUTHENTICATED: "true" if authenticated else "false"}
        if authenticated and authenticate_on_unsubscribe:
            marks[_AUTH_UNSUBSCRIBE] = "true"
        sub = await self._store.get_subscription(found.subscription_arn)
        if sub is None:
            if found.snapshot is None:
                raise SnsInvalidParameter("Token")
            restored = replace(_from_snapshot(found.snapshot), confirmed=True)
            restored = replace(restored, attributes={**restored.attributes, **marks})
            sub, _ = await self._store.create_subscription(restored)
        elif not sub.confirmed:
            updated = await self._store.update_subscription(
                sub.arn, {**sub.attributes, **marks}, True
            )
            if updated is None:
                raise SnsInvalidParameter("Token")
            sub = updated
        self._written(topic.arn)
        return sub

    async def get_subscription(self, arn: str) -> Subscription:
        region, account, resource = parse_arn(arn, "SubscriptionArn")
        name, _, _ = resource.partition(":")
        for sub in await self._topic_subs(topic_arn(region, account, name)):
            if sub.arn == arn:
                return sub
        raise SubscriptionNotFound()

    async def unsubscribe(
        self, arn: str, endpoint_url: str = "", *, authenticated: bool = True
    ) -> None:
        """Delete a subscription. An unauthenticated request (the UnsubscribeURL) is refused
        for a subscription confirmed with AuthenticateOnUnsubscribe; otherwise an HTTP/S
        endpoint gets a final UnsubscribeConfirmation whose SubscribeURL restores it (AWS
        sends it when the requester is not the owner, which an unsigned request cannot be)."""
        region, account, resource = parse_arn(arn, "SubscriptionArn")
        if ":" not in resource:
            raise SnsInvalidParameter("SubscriptionArn")
        topic_key = topic_arn(region, account, resource.partition(":")[0])
        sub = None if authenticated else await self._store.get_subscription(arn)
        if sub is not None and sub.attributes.get(_AUTH_UNSUBSCRIBE) == "true":
            raise SnsAuthorizationError("The subscription requires authentication to unsubscribe")
        topic = None if sub is None else await self._find_topic(sub.topic_arn)
        if sub is None or topic is None or not sub.confirmed:
            await self._store.delete_subscription(arn)  # a missing subscription is no error
        elif sub.protocol in outbox.HTTP_PROTOCOLS:
            await self._unsubscribe_noting(topic, sub, endpoint_url)
        else:
            await self._store.delete_subscription(arn)
        self._written(topic_key)

    async def _unsubscribe_noting(self, topic: Topic, sub: Subscription, endpoint_url: str) -> None:
        now, token, entry = self._confirmation(
            payloads.unsubscribe_confirmation, topic, sub, endpoint_url
        )
        snapshot = _to_snapshot(sub)
        record = Token(token, topic.arn, sub.arn, now + outbox.TOKEN_TTL_MS, snapshot)
        if await self._store.delete_subscription_noting(sub.arn, record, [entry]):
            self._woken()

    async def list_subscriptions(self, owner: str) -> list[Subscription]:
        return await self._store.list_subscriptions(owner)

    async def topic_subscriptions(self, arn: str) -> list[Subscription]:
        await self.get_topic(arn)
        return await self._topic_subs(arn)

    def subscription_attributes(self, sub: Subscription) -> dict[str, str]:
        authenticated = sub.attributes.get(_AUTHENTICATED, "true" if sub.confirmed else "false")
        out = {
            "ConfirmationWasAuthenticated": authenticated,
            "PendingConfirmation": "false" if sub.confirmed else "true",
            "Owner": sub.owner,
            "RawMessageDelivery": "false",
            "TopicArn": sub.topic_arn,
            "Endpoint": sub.endpoint,
            "Protocol": sub.protocol,
            "SubscriptionArn": sub.arn,
        }
        if sub.protocol in ("http", "https"):
            topic = self._topics.peek(sub.topic_arn)
            text = topic.attributes.get("DeliveryPolicy") if topic else None
            out["EffectiveDeliveryPolicy"] = delivery_policy.subscription_effective_json(
                delivery_policy.effective_policy(
                    delivery_policy.parse_topic_policy(text) if text else None,
                    delivery_policy.parse_subscription_policy(sub.attributes["DeliveryPolicy"])
                    if sub.attributes.get("DeliveryPolicy")
                    else None,
                )
            )
        out.update((k, v) for k, v in sub.attributes.items() if not k.startswith(_INTERNAL_PREFIX))
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
        queued = False
        for item, result in zip(items, results, strict=True):
            if result.delivered:
                woken.update(d.queue_id for d in item.deliveries)
                queued = queued or bool(item.outbox)
        for queue_id in woken:
            self._sqs.notify(queue_id)
        if queued:
            self._woken()
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
            sequence = await self._next_sequence(topic)
            assert checked.dedup_id is not None and checked.group_id is not None
            by_group = topic.attributes.get("FifoThroughputScope") == "MessageGroup"
            dedup = TopicDedup(
                checked.dedup_id, checked.group_id if by_group else "", now, FIFO_WINDOW_MS
            )
        item = PublishItem(message_id, sequence, dedup)
        signing: envelope.Signing | None = None
        subs = [
            sub
            for sub in await self._topic_subs(topic.arn)
            if sub.confirmed and pub.matches(self._filter(sub), checked)
        ]
        if not topic.is_fifo and any(s.protocol == "sqs" and not s.raw for s in subs):
            signing = self._signing(topic, endpoint)
            await self._sign_ahead(signing, message_id, topic.arn, checked, now)
        template: envelope.Notification | None = None  # the SQS envelope, rendered once
        for sub in subs:
            if signing is None and not topic.is_fifo and (sub.protocol != "sqs" or not sub.raw):
                signing = self._signing(topic, endpoint)
            if sub.protocol != "sqs":
                assert signing is not None  # FIFO topics have SQS subscriptions only
                self._outside(item, topic, sub, checked, now, endpoint, signing)
                continue
            if sub.raw:
                rendered = pub.sqs_raw(checked)
            else:
                if template is None:
                    number = None if sequence is None else str(SEQUENCE_BASE + sequence)
                    template = pub.sqs_notification(
                        checked,
                        message_id=message_id,
                        topic_arn=topic.arn,
                        timestamp_ms=now,
                        signing=signing,
                        sequence_number=number,
                    )
                unsubscribe = envelope.unsubscribe_url(endpoint, sub.arn)
                rendered = pub.SqsBody(template.for_subscription(unsubscribe), {})
            queue = await self._queue(topic, sub.endpoint)
            if queue is None:
                # AWS accepts the publish; the delivery fails with a client error, which goes
                # to the subscription's dead-letter queue when it has one.
                dead = await self.dead_letter_delivery(
                    sub, rendered.body, rendered.attributes, now, checked.group_id
                )
                if dead is not None:
                    item.deliveries.append(dead)
                continue
            out = Outgoing(
                body=rendered.body,
                attributes=rendered.attributes,
                group_id=checked.group_id,
                dedup_id=checked.dedup_id if queue.config.fifo else None,
            )
            try:
                prepared = self._sqs.messages.prepare(queue, out, SNS_SENDER_ID, now)
            except sqs_errors.DomainError as exc:  # the queue refuses it; AWS drops it too
                log.info("SNS delivery to %s refused: %s", sub.endpoint, exc)
                continue
            item.deliveries.append(Delivery(queue.id, prepared, fifo_send(queue, now)))
        return item

    async def _next_sequence(self, topic: Topic) -> int:
        """A FIFO topic's next SequenceNumber, larger than every one handed out before. Alone
        on the store, this process counts in memory (the publish stores the highest); nodes
        sharing a store reserve each number there, so no two hand out the same."""
        if not self._store.shared:
            sequence = self._seq.get(topic.arn, topic.seq) + 1
            self._seq[topic.arn] = sequence
            return sequence
        reserved = await self._store.reserve_topic_seq(topic.arn, 1)
        if reserved is None:  # deleted on another node since it was looked up
            self.forget_topic(topic.arn)
            raise TopicNotFound()
        return reserved

    async def _sign_ahead(
        self,
        signing: envelope.Signing,
        message_id: str,
        arn: str,
        checked: pub.Checked,
        now: int,
    ) -> None:
        """Sign the SQS envelope in the signing process (beside the event loop), leaving the
        signature where rendering will find it."""
        fields = envelope.notification_signed(
            message_id,
            arn,
            checked.text_for("sqs"),
            envelope.iso_timestamp(now),
            checked.source.subject,
        )
        data = string_to_sign(fields)
        signature = await self._signing_process().signature(data, signing.version)
        signing.signer.remember(data, signing.version, signature)

    def _outside(
        self,
        item: PublishItem,
        topic: Topic,
        sub: Subscription,
        checked: pub.Checked,
        now: int,
        endpoint: str,
        signing: envelope.Signing,
    ) -> None:
        """The delivery of one message to a subscriber outside densho: an outbox row (HTTP/S,
        email with a relay) or a recorded delivery (the rest)."""
        to = payloads.Addressed(
            protocol=sub.protocol,
            endpoint=sub.endpoint,
            subscription_arn=sub.arn,
            topic_arn=topic.arn,
            message_id=item.message_id,
            timestamp_ms=now,
            unsubscribe_url=envelope.unsubscribe_url(endpoint, sub.arn),
            signing=signing,
        )
        if sub.protocol in outbox.HTTP_PROTOCOLS:
            policy = self.effective_policy(topic, sub)
            item.outbox.append(
                payloads.http_notification(
                    checked, to, raw=sub.raw, content_type=policy.header_content_type
                )
            )
        elif sub.protocol in outbox.EMAIL_PROTOCOLS:
            send, keep = self._route([payloads.email_notification(checked, to)])
            item.outbox.extend(send)
            item.recorded.extend(keep)
        else:
            item.recorded.append(payloads.recorded_notification(checked, to, raw=sub.raw))

    def effective_policy(
        self, topic: Topic | None, sub: Subscription
    ) -> delivery_policy.EffectiveDeliveryPolicy:
        """The DeliveryPolicy one HTTP/S subscription runs under (topic defaults merged)."""
        topic_text = topic.attributes.get("DeliveryPolicy") if topic is not None else None
        sub_text = sub.attributes.get("DeliveryPolicy")
        return delivery_policy.effective_policy(
            delivery_policy.parse_topic_policy(topic_text) if topic_text else None,
            delivery_policy.parse_subscription_policy(sub_text) if sub_text else None,
        )

    async def dead_letter_delivery(
        self,
        sub: Subscription,
        body: str,
        attributes: Mapping[str, Attr],
        now: int,
        group_id: str | None = None,
    ) -> Delivery | None:
        """The SQS message a failed delivery leaves in the subscription's dead-letter queue
        (RedrivePolicy deadLetterTargetArn): the body as it would have been delivered, with
        the raw delivery's message attributes. None without a usable dead-letter queue."""
        text = sub.attributes.get("RedrivePolicy")
        if not text:
            return None
        target = json.loads(text).get("deadLetterTargetArn")
        topic = await self._find_topic(sub.topic_arn)
        queue = None
        if topic is not None and isinstance(target, str) and sattrs.is_sqs_arn(target):
            queue = await self._queue(topic, target)
        if queue is None:
            log.warning("dead-letter queue %s of %s does not exist", target, sub.arn)
            return None
        out = Outgoing(body=body, attributes=dict(attributes), group_id=group_id)
        try:
            prepared = self._sqs.messages.prepare(queue, out, SNS_SENDER_ID, now)
        except sqs_errors.DomainError as exc:
            log.warning("dead-letter queue %s refused a message of %s: %s", target, sub.arn, exc)
            return None
        return Delivery(queue.id, prepared, fifo_send(queue, now))

    def notify_queue(self, queue_id: int) -> None:
        """Wake long polls on a queue a dead-lettered message went to."""
        self._sqs.notify(queue_id)

    async def find_subscription(self, arn: str) -> tuple[Subscription | None, Topic | None]:
        """The subscription and its topic as stored now (None where gone)."""
        sub = await self._store.get_subscription(arn)
        topic = None if sub is None else await self._find_topic(sub.topic_arn)
        return sub, topic

    async def _queue(self, topic: Topic, queue_arn: str) -> Queue | None:
        _, _, _, region, account, name = queue_arn.split(":", 5)
        try:
            queue = await self._sqs.queues.get_queue(account, name)
        except sqs_errors.QueueNotFound:
            return None
        return queue if queue.region == region else None

    async def expire(self) -> None:
        now = self._clock.now_ms()
        await self._store.expire_topic_windows(now)
        await self._store.forget_tokens(now)


def _mint_token() -> str:
    # AWS's tokens are long hex strings; 128 random bytes make guessing one hopeless.
    return secrets.token_hex(128)


def _to_snapshot(sub: Subscription) -> str:
    return json.dumps(
        {
            "arn": sub.arn,
            "topic_arn": sub.topic_arn,
            "owner": sub.owner,
            "protocol": sub.protocol,
            "endpoint": sub.endpoint,
            "attributes": sub.attributes,
            "created_ms": sub.created_ms,
        }
    )


def _from_snapshot(text: str) -> Subscription:
    doc = json.loads(text)
    return Subscription(
        arn=doc["arn"],
        topic_arn=doc["topic_arn"],
        owner=doc["owner"],
        protocol=doc["protocol"],
        endpoint=doc["endpoint"],
        attributes=doc["attributes"],
        confirmed=False,
        created_ms=doc["created_ms"],
    )
