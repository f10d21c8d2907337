"""Declared resources applied at start: each queue, topic and subscription of the configuration
file created, or brought to its declared attributes and tags.

Owns: the idempotent apply — through the engines' own CreateQueue / SetQueueAttributes /
TagQueue, CreateTopic / SetTopicAttributes / TagResource, Subscribe / SetSubscriptionAttributes,
so every rule and message of the API holds; dead-letter queues before their sources; a
subscription is the topic's one of the same protocol and endpoint, if any. Nothing undeclared is
deleted or changed: only declared attributes and tags are set. Several nodes starting together
on one database each apply the same file: a create another node won meanwhile is read back.
A refusal is a ``ConfigError`` naming the file, line and key, with the API's message.
Must not know: HTTP, the wire, SQL.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Mapping

from densho.config import Declared, DeclaredQueue, DeclaredTopic
from densho.core import errors
from densho.core.sns_model import Subscription
from densho.providers.declared_check import order, refusal
from densho.sns import attributes as sattrs
from densho.sns.engine import SnsEngine
from densho.sns.topics import check_new_topic
from densho.sqs import attributes as qattrs
from densho.sqs.engine import SqsEngine
from densho.sqs.queues import check_new_queue

log = logging.getLogger("densho")
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


async def apply(declared: Declared, sqs: SqsEngine, sns: SnsEngine, endpoint: str) -> None:
    """Hold every declared resource; ``endpoint`` is this server's URL (the SubscribeURL of a
    confirmation an HTTP/S or email subscription is sent)."""
    done: Counter[str] = Counter()
    for queue in order(declared):
        done[await _guarded(declared, queue.key, queue.attributes, _queue(sqs, queue))] += 1
    for topic in declared.topics:
        done[await _guarded(declared, topic.key, topic.attributes, _topic(sns, topic))] += 1
        for sub in topic.subscriptions:
            held = _subscription(sns, topic, sub.protocol, sub.endpoint, sub.attributes, endpoint)
            done[await _guarded(declared, sub.key, sub.attributes, held)] += 1
    if done:
        log.info(
            "declared resources of %s: %d created, %d updated, %d unchanged",
            declared.file,
            done[CREATED],
            done[UPDATED],
            done[UNCHANGED],
        )


async def _guarded(
    declared: Declared, key: str, attributes: Mapping[str, str], work: Awaitable[str]
) -> str:
    """Await ``work`` (what it did); a refusal names the attribute it is about when it names
    one."""
    try:
        return await work
    except errors.DomainError as exc:
        named = getattr(exc, "parameter", None) or getattr(exc, "name", None)
        where = f"{key}.attributes.{named}" if named in attributes else key
        raise refusal(declared, where, exc) from None


async def _queue(sqs: SqsEngine, declared: DeclaredQueue) -> str:
    queues = sqs.queues
    queue = await queues.lookup(declared.account, declared.region, declared.name)
    if queue is None:
        try:
            await queues.create_queue(
                declared.account, declared.region, declared.name, declared.attributes, declared.tags
            )
            return CREATED
        except errors.QueueNameExists:  # another node created it meanwhile, otherwise
            queue = await queues.get_queue(declared.account, declared.region, declared.name)
    _, given, _ = check_new_queue(declared.name, declared.attributes, declared.tags)
    outcome = UNCHANGED
    if qattrs.merge(queue.attributes, given) != queue.attributes:  # "" removes a policy
        await queues.set_attributes(queue, declared.attributes)
        # its new record
        queue = await queues.get_queue(declared.account, declared.region, declared.name)
        outcome = UPDATED
    if any(queue.tags.get(k) != v for k, v in declared.tags.items()):
        await queues.tag(queue, declared.tags)
        outcome = UPDATED
    return outcome


async def _topic(sns: SnsEngine, declared: DeclaredTopic) -> str:
    topics = sns.topics
    arn = declared.arn
    try:
        view = await topics.get(arn)
    except errors.DomainError:  # TopicNotFound
        try:
            await topics.create(
                declared.account, declared.region, declared.name, declared.attributes, declared.tags
            )
            return CREATED
        except errors.DomainError as exc:  # created meanwhile by another node, otherwise?
            try:
                view = await topics.get(arn)
            except errors.DomainError:
                raise exc from None
    _, given = check_new_topic(declared.name, declared.attributes, declared.tags)
    outcome = UNCHANGED
    for name, value in given.items():
        if name != "FifoTopic" and view.topic.attributes.get(name, "") != value:
            await topics.set_attribute(view, name, value)
            view = await topics.get(arn)
            outcome = UPDATED
    if any(view.topic.tags.get(k) != v for k, v in declared.tags.items()):
        await topics.tag(arn, declared.tags)
        outcome = UPDATED
    return outcome


async def _subscription(
    sns: SnsEngine,
    topic: DeclaredTopic,
    protocol: str,
    endpoint: str,
    attributes: Mapping[str, str],
    endpoint_url: str,
) -> str:
    subs = sns.subscriptions
    found = await _find(sns, topic.arn, protocol, endpoint)
    if found is None:
        try:
            await subs.subscribe(
                topic.account, topic.arn, protocol, endpoint, attributes, endpoint_url
            )
            return CREATED
        except errors.DomainError:  # subscribed meanwhile by another node, otherwise
            found = await _find(sns, topic.arn, protocol, endpoint)
            if found is None:
                raise
    merged = sattrs.check_subscription_attributes(attributes, found.attributes, subscribing=False)
    if merged == found.attributes:
        return UNCHANGED
    await subs.set_attributes(await subs.get(found.arn), attributes)
    return UPDATED


async def _find(sns: SnsEngine, arn: str, protocol: str, endpoint: str) -> Subscription | None:
    for sub in await sns.subscriptions.of_topic(arn):
        if sub.protocol == protocol and sub.endpoint == endpoint:
            return sub
    return None
