"""SNS topics: create (idempotent), delete, list, attributes, tags.

Owns: topic names, what CreateTopic answers for an existing topic, the attributes
GetTopicAttributes shows (stored ones plus the computed ones), how SetTopicAttributes merges,
and the tag rules (at most 50; key and value lengths; no ``aws:`` keys).
Must not know: HTTP, botocore, wire dict shapes, SQL; subscriptions and publishing (it only
counts a topic's subscriptions).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from densho.core.sns_model import Topic
from densho.sns import attributes as sattrs
from densho.sns.arns import parse_arn, topic_arn
from densho.sns.errors import (
    Refusal,
    SnsInvalidParameter,
    SnsResourceNotFound,
    TagLimitExceeded,
    TopicNotFound,
)
from densho.sns.node import Node
from densho.sns.outbox import delivery_policy
from densho.sns.views import TopicView, topic_view

_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_FIFO_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]{1,251}\.fifo")
MAX_TAGS = 50
# Attributes SetTopicAttributes removes when given "".
_REMOVABLE = ("Policy", "DeliveryPolicy", "ArchivePolicy")


class Topics:
    def __init__(self, node: Node) -> None:
        self._store = node.store
        self._catalog = node.catalog
        self._clock = node.clock

    async def get(self, arn: str) -> TopicView:
        parse_arn(arn, "TopicArn")
        topic = await self._catalog.topic(arn)
        if topic is None:
            raise TopicNotFound()
        return topic

    async def create(
        self,
        account: str,
        region: str,
        name: str,
        attributes: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> Topic:
        fifo, given = check_new_topic(name, attributes, tags)
        arn = topic_arn(region, account, name)
        existing = await self._catalog.topic(arn)
        if existing is None:
            candidate = Topic(arn, account, region, name, given, dict(tags), self._clock.now_ms())
            stored, created = await self._store.create_topic(candidate)
            self._catalog.written(arn)
            if created:
                return stored
            existing = topic_view(stored)  # created meanwhile (by another node)
        found = existing.topic
        if (
            any(found.attributes.get(k) != v for k, v in given.items())
            or existing.config.fifo != fifo
        ):
            raise SnsInvalidParameter("Attributes", Refusal.TOPIC_EXISTS)
        if tags and any(found.tags.get(k) != v for k, v in tags.items()):
            raise SnsInvalidParameter("Tags", Refusal.TOPIC_EXISTS)
        return found

    async def delete(self, arn: str) -> None:
        parse_arn(arn, "TopicArn")
        await self._store.delete_topic(arn)  # idempotent: a missing topic is no error
        self._catalog.deleted(arn)

    async def of_account(self, account: str, region: str | None) -> list[Topic]:
        """The account's topics in ``region`` (ListTopics: the caller's; None: every region,
        the console's list)."""
        return await self._store.list_topics(account, region)

    async def attributes(self, view: TopicView) -> dict[str, str]:
        """GetTopicAttributes: the computed attributes, overlaid with the stored ones."""
        topic = view.topic
        subs = await self._catalog.subscriptions(view)
        confirmed = sum(1 for s in subs if s.sub.confirmed)
        out = {
            "Policy": sattrs.default_policy(topic.arn, topic.account),
            "Owner": topic.account,
            "SubscriptionsPending": str(len(subs) - confirmed),
            "TopicArn": topic.arn,
            "EffectiveDeliveryPolicy": delivery_policy.topic_effective_json(
                view.config.delivery_policy
            ),
            "SubscriptionsConfirmed": str(confirmed),
            "DisplayName": "",
            "SubscriptionsDeleted": "0",
        }
        if view.config.fifo:
            out["FifoTopic"] = "true"
            out["ContentBasedDeduplication"] = "false"
        out.update({k: v for k, v in topic.attributes.items() if k != "DataProtectionPolicy"})
        return out

    async def set_attribute(self, view: TopicView, name: str, value: str) -> None:
        given = sattrs.check_topic_attributes({name: value}, fifo=view.config.fifo, creating=False)
        merged = dict(view.topic.attributes)
        for key, val in given.items():
            if val == "" and key in _REMOVABLE:
                merged.pop(key, None)
            else:
                merged[key] = val
        await self._update(view.topic, merged, view.topic.tags, TopicNotFound)

    async def store_attributes(self, view: TopicView, attributes: dict[str, str]) -> None:
        """Store ``attributes`` as the topic's, as given: the caller validated them
        (``densho.sns.manage.engine``: AddPermission's Policy, PutDataProtectionPolicy)."""
        await self._update(view.topic, attributes, view.topic.tags, TopicNotFound)

    async def _update(
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
            self._catalog.forget(topic.arn)
            raise missing() from None
        self._catalog.written(topic.arn)

    # --- tags ---

    async def _tag_target(self, arn: str) -> Topic:
        parse_arn(arn, "ResourceArn")
        view = await self._catalog.topic(arn)
        if view is None:
            raise SnsResourceNotFound()
        return view.topic

    async def tags(self, arn: str) -> dict[str, str]:
        return (await self._tag_target(arn)).tags

    async def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        topic = await self._tag_target(arn)
        merged = {**topic.tags, **tags}
        check_tags(merged)
        await self._update(topic, topic.attributes, merged, SnsResourceNotFound)

    async def untag(self, arn: str, keys: Sequence[str]) -> None:
        topic = await self._tag_target(arn)
        kept = {k: v for k, v in topic.tags.items() if k not in set(keys)}
        await self._update(topic, topic.attributes, kept, SnsResourceNotFound)


def check_new_topic(
    name: str, attributes: Mapping[str, str], tags: Mapping[str, str]
) -> tuple[bool, dict[str, str]]:
    """CreateTopic's checks that need no store (also declared topics' at ``check-config``):
    whether it is FIFO and the validated given attributes."""
    fifo = attributes.get("FifoTopic", "false").lower() == "true"
    # AWS refuses a bad FIFO name as it refuses any bad name: "Invalid parameter: Topic Name".
    if not (_FIFO_TOPIC_NAME if fifo else _TOPIC_NAME).fullmatch(name):
        raise SnsInvalidParameter("Topic Name")
    given = sattrs.check_topic_attributes(attributes, fifo=fifo, creating=True)
    if "FifoTopic" in given and not fifo:
        given.pop("FifoTopic")
    check_tags(tags)
    return fifo, given


def check_tags(tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise TagLimitExceeded()
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or key.startswith("aws:"):
            raise SnsInvalidParameter("Tags", Refusal.TAG_KEY, key)
        if len(value) > 256:
            raise SnsInvalidParameter("Tags", Refusal.TAG_VALUE, key)
