"""SNS operations: wire parameters in, ``SnsEngine`` calls, wire results out.

Owns: one async function per SNS action, pagination tokens, the shape of results
(Topics / Subscriptions lists, PublishBatch Successful/Failed).
Must not know: HTTP, the Query encoding, SQL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from densho.api import sns as api
from densho.core.sns_model import Published, Subscription
from densho.providers import authorize, paging, sns_manage
from densho.providers.context import SnsContext
from densho.providers.message_attrs import attrs_in
from densho.sns.errors import Refusal, SnsInvalidParameter
from densho.sns.publishing.message import Message
from densho.sns.publishing.publisher import BatchEntry, sequence_number

PAGE = 100
# The SubscriptionArn Subscribe answers for a subscription that waits for confirmation.
PENDING = "pending confirmation"


# A handler takes its operation's api Request and answers its Result (test_api_shapes checks).
Handler = Callable[[SnsContext, Any], Awaitable[Any]]


def _page(keys: Sequence[str], token: str | None) -> tuple[int, int, str | None]:
    """(start, end, next token) of a page of ``PAGE`` among sorted ``keys``."""
    try:
        start = paging.start_after(keys, token)
    except ValueError:
        raise SnsInvalidParameter("NextToken") from None
    end = min(start + PAGE, len(keys))
    return start, end, paging.token_for(keys[end - 1]) if end < len(keys) else None


def _tags_in(wire: list[api.Tag] | None) -> dict[str, str]:
    tags: dict[str, str] = {}
    for tag in wire or []:
        if tag["Key"] in tags:
            raise SnsInvalidParameter("Tags", Refusal.DUPLICATE_TAG_KEYS)
        tags[tag["Key"]] = tag["Value"]
    return tags


def _message(ctx: SnsContext, p: api.PublishRequest | api.PublishBatchRequestEntry) -> Message:
    return Message(
        message=p["Message"],
        subject=p.get("Subject"),
        structure=p.get("MessageStructure"),
        attributes=attrs_in(p.get("MessageAttributes")),
        group_id=p.get("MessageGroupId"),
        dedup_id=p.get("MessageDeduplicationId"),
        trace_header=ctx.call.trace_header,
    )


def _published(result: Published) -> api.PublishResult:
    out: api.PublishResult = {"MessageId": result.message_id}
    if result.sequence is not None:
        out["SequenceNumber"] = sequence_number(result.sequence)
    return out


def _sub_entry(sub: Subscription) -> api.Subscription:
    return {
        "SubscriptionArn": sub.arn if sub.confirmed else "PendingConfirmation",
        "Owner": sub.owner,
        "Protocol": sub.protocol,
        "Endpoint": sub.endpoint,
        "TopicArn": sub.topic_arn,
    }


# --- topics ---


async def create_topic(ctx: SnsContext, p: api.CreateTopicRequest) -> api.CreateTopicResult:
    attributes = dict(p.get("Attributes") or {})
    if "DataProtectionPolicy" in p:
        attributes["DataProtectionPolicy"] = p["DataProtectionPolicy"]
    topic = await ctx.engine.topics.create(
        ctx.account, ctx.call.region, p["Name"], attributes, _tags_in(p.get("Tags"))
    )
    return {"TopicArn": topic.arn}


async def delete_topic(ctx: SnsContext, p: api.DeleteTopicRequest) -> api.DeleteTopicResult:
    await ctx.engine.topics.delete(p["TopicArn"])
    return {}


async def list_topics(ctx: SnsContext, p: api.ListTopicsRequest) -> api.ListTopicsResult:
    topics = await ctx.engine.topics.of_account(ctx.account, ctx.call.region)
    arns = [t.arn for t in topics]
    start, end, token = _page(arns, p.get("NextToken"))
    out: api.ListTopicsResult = {"Topics": [{"TopicArn": arn} for arn in arns[start:end]]}
    if token:
        out["NextToken"] = token
    return out


async def get_topic_attributes(
    ctx: SnsContext, p: api.GetTopicAttributesRequest
) -> api.GetTopicAttributesResult:
    topic = await ctx.engine.topics.get(p["TopicArn"])
    return {"Attributes": await ctx.engine.topics.attributes(topic)}


async def set_topic_attributes(
    ctx: SnsContext, p: api.SetTopicAttributesRequest
) -> api.SetTopicAttributesResult:
    topic = await ctx.engine.topics.get(p["TopicArn"])
    await ctx.engine.topics.set_attribute(topic, p["AttributeName"], p.get("AttributeValue", ""))
    return {}


# --- subscriptions ---


async def subscribe(ctx: SnsContext, p: api.SubscribeRequest) -> api.SubscribeResult:
    identity = ctx.call.identity
    sub = await ctx.engine.subscriptions.subscribe(
        ctx.account,
        p["TopicArn"],
        p["Protocol"],
        p.get("Endpoint"),
        p.get("Attributes") or {},
        ctx.endpoint,
        principal=None if identity is None else identity.arn,
    )
    if sub.confirmed or p.get("ReturnSubscriptionArn"):
        return {"SubscriptionArn": sub.arn}
    return {"SubscriptionArn": PENDING}


async def confirm_subscription(
    ctx: SnsContext, p: api.ConfirmSubscriptionRequest
) -> api.ConfirmSubscriptionResult:
    # Also reached by a GET of a confirmation's SubscribeURL (unsigned: not authenticated).
    sub = await ctx.engine.subscriptions.confirm(
        p["TopicArn"],
        p["Token"],
        authenticated=ctx.call.access_key is not None,
        authenticate_on_unsubscribe=str(p.get("AuthenticateOnUnsubscribe", "")).lower() == "true",
    )
    return {"SubscriptionArn": sub.arn}


async def unsubscribe(ctx: SnsContext, p: api.UnsubscribeRequest) -> api.UnsubscribeResult:
    # Also reached by a GET of a notification's UnsubscribeURL (unsigned).
    await ctx.engine.subscriptions.unsubscribe(
        p["SubscriptionArn"], ctx.endpoint, authenticated=ctx.call.access_key is not None
    )
    return {}


def _subs_page(
    subs: list[Subscription], p: api.ListSubscriptionsRequest | api.ListSubscriptionsByTopicRequest
) -> api.ListSubscriptionsResult:
    start, end, token = _page([s.arn for s in subs], p.get("NextToken"))
    out: api.ListSubscriptionsResult = {"Subscriptions": [_sub_entry(s) for s in subs[start:end]]}
    if token:
        out["NextToken"] = token
    return out


async def list_subscriptions(
    ctx: SnsContext, p: api.ListSubscriptionsRequest
) -> api.ListSubscriptionsResult:
    return _subs_page(await ctx.engine.subscriptions.of_owner(ctx.account, ctx.call.region), p)


async def list_subscriptions_by_topic(
    ctx: SnsContext, p: api.ListSubscriptionsByTopicRequest
) -> api.ListSubscriptionsByTopicResult:
    return _subs_page(await ctx.engine.subscriptions.of_topic(p["TopicArn"]), p)


async def get_subscription_attributes(
    ctx: SnsContext, p: api.GetSubscriptionAttributesRequest
) -> api.GetSubscriptionAttributesResult:
    sub = await ctx.engine.subscriptions.get(p["SubscriptionArn"])
    return {"Attributes": ctx.engine.subscriptions.attributes(sub)}


async def set_subscription_attributes(
    ctx: SnsContext, p: api.SetSubscriptionAttributesRequest
) -> api.SetSubscriptionAttributesResult:
    sub = await ctx.engine.subscriptions.get(p["SubscriptionArn"])
    await ctx.engine.subscriptions.set_attribute(
        sub, p["AttributeName"], p.get("AttributeValue", "")
    )
    return {}


# --- publishing ---


def _target(p: api.PublishRequest) -> str:
    topic, target = p.get("TopicArn"), p.get("TargetArn")
    if topic is None and target is None:
        raise SnsInvalidParameter("TopicArn or TargetArn", Refusal.TARGET_MISSING)
    if topic is not None and target is not None:
        raise SnsInvalidParameter("TopicArn", Refusal.MANY_TARGETS)
    return str(topic if topic is not None else target)


async def publish_(ctx: SnsContext, p: api.PublishRequest) -> api.PublishResult:
    if sns_manage.is_direct(p):  # a phone number or a platform endpoint: recorded, not sent
        return await sns_manage.publish_direct(ctx, p, _message(ctx, p))
    result = await ctx.engine.publisher.publish(_target(p), _message(ctx, p), ctx.endpoint)
    return _published(result)


async def publish_batch(ctx: SnsContext, p: api.PublishBatchRequest) -> api.PublishBatchResult:
    entries = [
        BatchEntry(e["Id"], _message(ctx, e)) for e in p.get("PublishBatchRequestEntries") or []
    ]
    outcomes = await ctx.engine.publisher.publish_batch(p["TopicArn"], entries, ctx.endpoint)
    # An entry AWS refuses refuses the whole request, so Failed is always empty.
    successful: list[api.PublishBatchResultEntry] = [
        {"Id": entry_id, **_published(result)} for entry_id, result in outcomes
    ]
    return {"Successful": successful, "Failed": []}


# --- tags ---


async def tag_resource(ctx: SnsContext, p: api.TagResourceRequest) -> api.TagResourceResult:
    await ctx.engine.topics.tag(p["ResourceArn"], _tags_in(p.get("Tags")))
    return {}


async def untag_resource(ctx: SnsContext, p: api.UntagResourceRequest) -> api.UntagResourceResult:
    await ctx.engine.topics.untag(p["ResourceArn"], p.get("TagKeys") or [])
    return {}


async def list_tags_for_resource(
    ctx: SnsContext, p: api.ListTagsForResourceRequest
) -> api.ListTagsForResourceResult:
    tags = await ctx.engine.topics.tags(p["ResourceArn"])
    return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


HANDLERS: dict[str, Handler] = {
    "CreateTopic": create_topic,
    "DeleteTopic": delete_topic,
    "ListTopics": list_topics,
    "GetTopicAttributes": get_topic_attributes,
    "SetTopicAttributes": set_topic_attributes,
    "Subscribe": subscribe,
    "ConfirmSubscription": confirm_subscription,
    "Unsubscribe": unsubscribe,
    "ListSubscriptions": list_subscriptions,
    "ListSubscriptionsByTopic": list_subscriptions_by_topic,
    "GetSubscriptionAttributes": get_subscription_attributes,
    "SetSubscriptionAttributes": set_subscription_attributes,
    "Publish": publish_,
    "PublishBatch": publish_batch,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
HANDLERS.update(sns_manage.HANDLERS)
# Signed calls are decided against the caller's and the topic's policies before they run.
HANDLERS = authorize.guarded(HANDLERS, authorize.sns_check)
