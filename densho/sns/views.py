"""Typed views of stored topics and subscriptions: their attribute strings parsed once, when a
record is loaded into the engine's cache or changed, never per publish.

Owns: ``TopicConfig`` (what the engine reads of a topic's attributes: FIFO, content-based
deduplication, throughput scope, SignatureVersion, DeliveryPolicy), ``TopicView`` and
``SubscriptionView`` (raw delivery, the compiled filter policy, the effective delivery policy of
an HTTP/S subscription, the dead-letter queue), and how each is built from the stored record.
Must not know: storage, the wire; the stored records keep AWS's attribute strings (what
GetTopicAttributes / GetSubscriptionAttributes show), these views are what the rules use.
"""

from __future__ import annotations

from dataclasses import dataclass

from densho.core.seal import Seal, for_topic
from densho.core.sns_model import Subscription, Topic
from densho.sns import protocols
from densho.sns.attributes import dead_letter_target
from densho.sns.filter import policy as filter_policy
from densho.sns.outbox import delivery_policy
from densho.sns.outbox.delivery_policy import EffectiveDeliveryPolicy, TopicDeliveryPolicy

# Subscription state densho keeps among a subscription's attributes; never shown or writable.
AUTHENTICATED = "densho:ConfirmationWasAuthenticated"
AUTH_UNSUBSCRIBE = "densho:AuthenticateOnUnsubscribe"
# The IAM principal that called Subscribe (GetSubscriptionAttributes' SubscriptionPrincipal).
PRINCIPAL = "densho:SubscriptionPrincipal"
INTERNAL_PREFIX = "densho:"


@dataclass(frozen=True, slots=True)
class TopicConfig:
    """What the engine reads of a topic's attributes."""

    fifo: bool
    content_dedup: bool  # ContentBasedDeduplication (FIFO topics)
    dedup_by_group: bool  # FifoThroughputScope MessageGroup: deduplication per message group
    signature_version: int  # 1 (SHA1) or 2 (SHA256)
    delivery_policy: TopicDeliveryPolicy | None  # its HTTP/S subscriptions' defaults
    seal: Seal | None = None  # KmsMasterKeyId: what seals its outbox and recorded rows


def topic_config(topic: Topic) -> TopicConfig:
    attributes = topic.attributes
    policy = attributes.get("DeliveryPolicy")
    return TopicConfig(
        fifo=attributes.get("FifoTopic") == "true",
        content_dedup=attributes.get("ContentBasedDeduplication") == "true",
        dedup_by_group=attributes.get("FifoThroughputScope") == "MessageGroup",
        signature_version=int(attributes.get("SignatureVersion", "1")),
        delivery_policy=delivery_policy.parse_topic_policy(policy) if policy else None,
        seal=for_topic(attributes.get("KmsMasterKeyId")),
    )


@dataclass(frozen=True, slots=True)
class TopicView:
    topic: Topic
    config: TopicConfig


def topic_view(topic: Topic) -> TopicView:
    return TopicView(topic, topic_config(topic))


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    """A subscription as fan-out and delivery use it."""

    sub: Subscription
    raw: bool  # RawMessageDelivery
    filter: filter_policy.FilterPolicy | None
    # HTTP/S subscriptions: the DeliveryPolicy they run under (the topic's defaults merged in).
    delivery: EffectiveDeliveryPolicy | None
    dead_letter_arn: str | None  # RedrivePolicy's deadLetterTargetArn
    # The topic DeliveryPolicy ``delivery`` was merged with (a view is reused while both hold).
    topic_policy: TopicDeliveryPolicy | None


def subscription_view(
    sub: Subscription, topic_policy: TopicDeliveryPolicy | None
) -> SubscriptionView:
    attributes = sub.attributes
    text = attributes.get("FilterPolicy")
    compiled = None
    if text:
        scope = attributes.get("FilterPolicyScope", filter_policy.MESSAGE_ATTRIBUTES)
        compiled = filter_policy.parse(text, scope)
    delivery = None
    if sub.protocol in protocols.HTTP_PROTOCOLS:
        own = attributes.get("DeliveryPolicy")
        delivery = delivery_policy.effective_policy(
            topic_policy, delivery_policy.parse_subscription_policy(own) if own else None
        )
    redrive = attributes.get("RedrivePolicy")
    return SubscriptionView(
        sub=sub,
        raw=attributes.get("RawMessageDelivery") == "true",
        filter=compiled,
        delivery=delivery,
        dead_letter_arn=dead_letter_target(redrive) if redrive else None,
        topic_policy=topic_policy,
    )


def requires_authentication(sub: Subscription) -> bool:
    """Whether only an authenticated Unsubscribe may delete ``sub`` (it was confirmed with
    AuthenticateOnUnsubscribe)."""
    return sub.attributes.get(AUTH_UNSUBSCRIBE) == "true"
