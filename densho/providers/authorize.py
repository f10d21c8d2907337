"""Policy enforcement for signed calls: which action and resource a call is, and its decision.

Owns: the IAM action each operation authorizes as (``sqs:SendMessage``; a batch authorizes once,
as its base action — SendMessageBatch as sqs:SendMessage, PublishBatch as SNS:Publish, as AWS
does), the resource ARN it acts on and that resource's policy (a queue's or a topic's
``Policy``), and wrapping a service's handler table so each call is decided before it runs.
Only calls that carry a verified identity are checked (``Call.identity``; None: authentication
is off, nothing changes). Account-level operations (CreateQueue, ListQueues, CreateTopic,
ListTopics, SMS and platform settings) are decided by the caller's identity policy alone, in
its own account.
Must not know: the wire, SQL, IAM's evaluation rules (``densho.iam``), message texts.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from densho import iam
from densho.core import errors
from densho.core.identity import Identity
from densho.core.sqs_model import Queue
from densho.providers.context import SnsContext, SqsContext
from densho.sns.errors import SnsAccessDenied
from densho.sqs.move_tasks import decode_handle

Handler = Callable[[Any, Any], Awaitable[Any]]
Check = Callable[[Any, Any], Awaitable[None]]

# Batch operations authorize as their base action (SQS Developer Guide, "Amazon SQS API
# permissions: Actions and resource reference": "...Batch" actions are not IAM actions).
_SQS_AS = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
    # The console's own operations (densho.providers.browse), as the actions they resemble.
    "ConsolePeek": "ReceiveMessage",
    "ConsoleDeleteMessage": "DeleteMessage",
}
_SNS_AS = {"PublishBatch": "Publish"}


def guarded(handlers: Mapping[str, Handler], check: Check) -> dict[str, Handler]:
    """The handler table with ``check`` run before each handler of a signed call."""

    def wrap(handler: Handler) -> Handler:
        async def checked(ctx: Any, p: Any) -> Any:
            await check(ctx, p)
            return await handler(ctx, p)

        @functools.wraps(handler)  # keeps its typed signature (tests/unit/test_api_shapes.py)
        def run(ctx: Any, p: Any) -> Awaitable[Any]:
            # Unsigned (authentication off): the handler's own coroutine, no frame around it.
            if ctx.call.identity is None:
                return handler(ctx, p)
            return checked(ctx, p)

        return run

    return {name: wrap(handler) for name, handler in handlers.items()}


def _decide(
    identity: Identity,
    action: str,
    resource: str,
    owner: str,
    policy: str | None,
    request: iam.Request,
) -> iam.Outcome:
    return iam.evaluate(identity, action, resource, owner, policy, request)


def _request(ctx: SqsContext | SnsContext, now_ms: int) -> iam.Request:
    return iam.Request(now_ms, ctx.call.source_ip, ctx.call.secure)


# --- SQS ---


def _arn_owner(arn: str) -> tuple[str, str, str] | None:
    """(account, region, name) of an ``arn:aws:<service>:<region>:<account>:<name>``; None if
    not one."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[4] or not parts[5]:
        return None
    return parts[4], parts[3], parts[5]


async def _move_source(ctx: SqsContext, p: Any) -> Queue | None:
    """The source queue a message move task operation acts on, if it names one that exists."""
    if ctx.call.operation == "CancelMessageMoveTask":
        try:
            _, arn = decode_handle(p.get("TaskHandle", ""))
        except errors.DomainError:
            return None
    else:
        arn = p.get("SourceArn", "")
    found = _arn_owner(arn)
    return None if found is None else await ctx.engine.queues.lookup(*found)


def sqs_check(resolve: Callable[[SqsContext, Any], Awaitable[Queue]]) -> Check:
    """The SQS check; ``resolve`` finds the queue a QueueUrl names (the provider's own rule)."""

    async def check(ctx: SqsContext, p: Any) -> None:
        identity = ctx.call.identity
        assert identity is not None
        operation = ctx.call.operation
        action = "sqs:" + _SQS_AS.get(operation, operation)
        region = ctx.call.region
        queue: Queue | None
        if operation in ("CreateQueue", "ListQueues"):
            queue = None
            name = p.get("QueueName", "") if operation == "CreateQueue" else ""
            resource, owner = f"arn:aws:sqs:{region}:{ctx.account}:{name}", ctx.account
        elif operation == "GetQueueUrl":
            owner = p.get("QueueOwnerAWSAccountId") or ctx.account
            queue = await ctx.engine.queues.lookup(owner, region, p.get("QueueName", ""))
            if queue is None:
                return  # the handler answers QueueDoesNotExist
        elif operation.endswith("MessageMoveTask") or operation == "ListMessageMoveTasks":
            queue = await _move_source(ctx, p)
            if queue is None:
                return  # the handler refuses the ARN or the handle
        else:
            queue = await resolve(ctx, p)
        policy = None
        if queue is not None:
            resource, owner, policy = queue.arn, queue.account, queue.config.policy
        outcome = _decide(
            identity, action, resource, owner, policy, _request(ctx, ctx.engine.now_ms())
        )
        if not outcome.allowed:
            raise errors.AccessDenied(identity.arn, action, resource, outcome.value)

    return check


# --- SNS ---

# Where each topic-level operation names its topic (the others are account-level).
_TOPIC_PARAMETER = {
    "DeleteTopic": "TopicArn",
    "GetTopicAttributes": "TopicArn",
    "SetTopicAttributes": "TopicArn",
    "Subscribe": "TopicArn",
    "ListSubscriptionsByTopic": "TopicArn",
    "Publish": "TopicArn",
    "PublishBatch": "TopicArn",
    "AddPermission": "TopicArn",
    "RemovePermission": "TopicArn",
    "TagResource": "ResourceArn",
    "UntagResource": "ResourceArn",
    "ListTagsForResource": "ResourceArn",
    "GetDataProtectionPolicy": "ResourceArn",
    "PutDataProtectionPolicy": "ResourceArn",
}
_SUBSCRIPTION_OPERATIONS = frozenset(
    {"Unsubscribe", "GetSubscriptionAttributes", "SetSubscriptionAttributes"}
)
# Answered to whoever holds the token (a confirmation link is unsigned on AWS too).
_UNCHECKED = frozenset({"ConfirmSubscription"})


async def _topic_policy(ctx: SnsContext, arn: str) -> str | None:
    """The topic's Policy, or None: none set, or no such topic (the handler answers that).
    A topic without one has AWS's default policy, which grants nothing to a direct caller (its
    condition, AWS:SourceOwner, is a key only services' calls carry)."""
    try:
        topic = await ctx.engine.topics.get(arn)
    except errors.DomainError:
        return None
    return topic.topic.attributes.get("Policy") or None


async def sns_check(ctx: SnsContext, p: Any) -> None:
    identity = ctx.call.identity
    assert identity is not None
    operation = ctx.call.operation
    if operation in _UNCHECKED:
        return
    action = "SNS:" + _SNS_AS.get(operation, operation)
    request = _request(ctx, ctx.engine.now_ms())
    parameter = _TOPIC_PARAMETER.get(operation)
    arn = p.get(parameter) if parameter else None
    if operation == "Publish" and arn is None:
        arn = p.get("TargetArn")  # a topic, or a platform endpoint (identity policy only)
    policy = owner = None
    if operation in _SUBSCRIPTION_OPERATIONS:
        arn, owner, policy = await _subscription_target(ctx, p.get("SubscriptionArn", ""), identity)
    elif arn is not None:
        policy = await _topic_policy(ctx, arn)
    if arn is None:  # an account-level operation: the caller's own account
        name = p.get("Name", "*") if operation == "CreateTopic" else "*"
        arn = f"arn:aws:sns:{ctx.call.region}:{ctx.account}:{name}"
    found = _arn_owner(arn)
    if found is None:
        return  # not an ARN: the handler refuses it
    outcome = _decide(identity, action, arn, owner or found[0], policy, request)
    if not outcome.allowed:
        raise SnsAccessDenied(identity.arn, action, arn, outcome.value)


async def _subscription_target(
    ctx: SnsContext, arn: str, identity: Identity
) -> tuple[str, str | None, str | None]:
    """(resource, owner, policy) a subscription operation is decided on: for the account that
    subscribed, the subscription, under its identity policy alone; for others, the topic under
    the topic's policy (the topic owner may manage its topic's subscriptions)."""
    try:
        sub = (await ctx.engine.subscriptions.get(arn)).sub
    except errors.DomainError:
        return arn, None, None  # the handler answers NotFound (or its ARN refusal)
    if sub.owner == identity.account_id:
        return arn, sub.owner, None
    return sub.topic_arn, None, await _topic_policy(ctx, sub.topic_arn)
