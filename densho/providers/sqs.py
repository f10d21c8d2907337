"""SQS operations: wire parameters in, engine calls, wire results out.

Owns: one async function per SQS action, queue URL <-> (account, name), and the shaping of results
(which attributes a receive returns, batch Successful/Failed lists).
Must not know: HTTP, JSON vs Query, SQL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from densho.api import sqs as api
from densho.core import errors
from densho.core.sqs_model import Attr, Queue, ReceivedMessage
from densho.providers import authorize, paging
from densho.providers import move_tasks as moves
from densho.providers.context import SqsContext
from densho.providers.errors import batch_entry
from densho.providers.message_attrs import attrs_in
from densho.sqs import messages
from densho.sqs.flow import Outgoing, Sent
from densho.sqs.md5 import md5_of_attributes

Params = Mapping[str, Any]  # any operation's request, for helpers that read what all of them have


# A handler takes its operation's api Request and answers its Result (test_api_shapes checks).
Handler = Callable[[SqsContext, Any], Awaitable[Any]]


def queue_url(ctx: SqsContext, queue: Queue) -> str:
    return f"{ctx.call.endpoint}/{queue.account}/{queue.name}"


_URL_MEMO: dict[tuple[str, str], tuple[str, str]] = {}
_URL_MEMO_MAX = 10_000


def _owner_and_name(url: str, default_account: str) -> tuple[str, str]:
    """(account, queue name) from a queue URL, memoised: parsing is pure and on the hot path."""
    key = (url, default_account)
    found = _URL_MEMO.get(key)
    if found is None:
        path = urlsplit(url).path if "://" in url else url
        parts = [s for s in path.split("/") if s]
        if not parts:
            raise errors.QueueNotFound(url)
        found = (parts[-2] if len(parts) >= 2 else default_account, parts[-1])
        if len(_URL_MEMO) >= _URL_MEMO_MAX:
            _URL_MEMO.clear()
        _URL_MEMO[key] = found
    return found


async def _queue(ctx: SqsContext, p: Params) -> Queue:
    """The queue a QueueUrl names: looked up by account + name in the request's region (a
    queue URL's path names no region: AWS's host does, densho's request signature does),
    whatever host the URL has."""
    account, name = _owner_and_name(p["QueueUrl"], ctx.account)
    return await ctx.engine.queues.get_queue(account, ctx.call.region, name)


resolve_queue = _queue  # the same rule for the console's operations (densho.providers.browse)


def _cached_queue(ctx: SqsContext, p: Params) -> Queue | None:
    """``_queue``'s answer when the queue is cached (None: ask ``_queue``): the message
    operations' lookup without awaiting a coroutine."""
    account, name = _owner_and_name(p["QueueUrl"], ctx.account)
    return ctx.engine.queues.known(account, ctx.call.region, name)


def _attrs_out(attrs: dict[str, Attr]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, a in attrs.items():
        value: dict[str, Any] = {"DataType": a.data_type}
        if a.binary_value is not None:
            value["BinaryValue"] = a.binary_value
        else:
            value["StringValue"] = a.string_value
        out[name] = value
    return out


def _outgoing(
    ctx: SqsContext, p: api.SendMessageRequest | api.SendMessageBatchRequestEntry
) -> Outgoing:
    # Most messages carry no attributes: no call for those.
    wire_system = p.get("MessageSystemAttributes")
    system = attrs_in(wire_system) if wire_system else {}
    trace = ctx.call.trace_header
    if trace is not None and "AWSTraceHeader" not in system:
        # X-Ray: the request's X-Amzn-Trace-Id header is every sent message's AWSTraceHeader;
        # a MessageSystemAttributes value overrides it (X-Ray Developer Guide, "Amazon SQS and
        # AWS X-Ray").
        system["AWSTraceHeader"] = Attr("String", trace, None)
    wire_attributes = p.get("MessageAttributes")
    return Outgoing(
        p.get("MessageBody", ""),
        attrs_in(wire_attributes) if wire_attributes else {},
        system,
        p.get("DelaySeconds"),
        p.get("MessageGroupId"),
        p.get("MessageDeduplicationId"),
    )


def _sender(ctx: SqsContext) -> str:
    # Signed: who AWS would name. Open mode: the access key the client used, as before.
    if ctx.call.identity is not None:
        return ctx.call.identity.unique_id
    return ctx.call.access_key or ctx.account


# --- queues ---


async def create_queue(ctx: SqsContext, p: api.CreateQueueRequest) -> api.CreateQueueResult:
    queue = await ctx.engine.queues.create_queue(
        ctx.account,
        ctx.call.region,
        p["QueueName"],
        p.get("Attributes") or {},
        p.get("tags") or {},
    )
    return {"QueueUrl": queue_url(ctx, queue)}


async def get_queue_url(ctx: SqsContext, p: api.GetQueueUrlRequest) -> api.GetQueueUrlResult:
    account = p.get("QueueOwnerAWSAccountId") or ctx.account
    queue = await ctx.engine.queues.get_queue(account, ctx.call.region, p["QueueName"])
    return {"QueueUrl": queue_url(ctx, queue)}


async def delete_queue(ctx: SqsContext, p: api.DeleteQueueRequest) -> api.DeleteQueueResult:
    await ctx.engine.queues.delete_queue(await _queue(ctx, p))
    return {}


def _page(
    names: list[str], p: api.ListQueuesRequest | api.ListDeadLetterSourceQueuesRequest
) -> tuple[list[str], str | None]:
    """AWS pagination: NextToken only when MaxResults was given and more remain."""
    try:
        start = paging.start_after(names, p.get("NextToken"))
    except ValueError:
        raise errors.InvalidNextToken() from None
    limit = p.get("MaxResults")
    if limit is None:
        return names[start : start + 1000], None
    if not 1 <= limit <= 1000:
        raise errors.PageSizeOutOfRange(limit, 1, 1000)
    page = names[start : start + limit]
    more = start + limit < len(names)
    return page, paging.token_for(page[-1]) if more and page else None


async def list_queues(ctx: SqsContext, p: api.ListQueuesRequest) -> api.ListQueuesResult:
    queues = await ctx.engine.queues.list_queues(
        ctx.account, ctx.call.region, p.get("QueueNamePrefix", "")
    )
    by_name = {q.name: q for q in queues}
    page, token = _page(sorted(by_name), p)
    out: api.ListQueuesResult = {}
    if page:
        out["QueueUrls"] = [queue_url(ctx, by_name[n]) for n in page]
    if token:
        out["NextToken"] = token
    return out


async def get_queue_attributes(
    ctx: SqsContext, p: api.GetQueueAttributesRequest
) -> api.GetQueueAttributesResult:
    queue = await _queue(ctx, p)
    attrs = await ctx.engine.queues.get_attributes(queue, p.get("AttributeNames") or [])
    return {"Attributes": attrs} if attrs else {}


async def set_queue_attributes(
    ctx: SqsContext, p: api.SetQueueAttributesRequest
) -> api.SetQueueAttributesResult:
    await ctx.engine.queues.set_attributes(await _queue(ctx, p), p.get("Attributes") or {})
    return {}


async def purge_queue(ctx: SqsContext, p: api.PurgeQueueRequest) -> api.PurgeQueueResult:
    await ctx.engine.queues.purge(await _queue(ctx, p))
    return {}


async def tag_queue(ctx: SqsContext, p: api.TagQueueRequest) -> api.TagQueueResult:
    await ctx.engine.queues.tag(await _queue(ctx, p), p.get("Tags") or {})
    return {}


async def untag_queue(ctx: SqsContext, p: api.UntagQueueRequest) -> api.UntagQueueResult:
    await ctx.engine.queues.untag(await _queue(ctx, p), p.get("TagKeys") or [])
    return {}


async def list_queue_tags(ctx: SqsContext, p: api.ListQueueTagsRequest) -> api.ListQueueTagsResult:
    queue = await _queue(ctx, p)
    return {"Tags": queue.tags} if queue.tags else {}


async def add_permission(ctx: SqsContext, p: api.AddPermissionRequest) -> api.AddPermissionResult:
    await ctx.engine.queues.add_permission(
        await _queue(ctx, p), p["Label"], p.get("AWSAccountIds") or [], p.get("Actions") or []
    )
    return {}


async def remove_permission(
    ctx: SqsContext, p: api.RemovePermissionRequest
) -> api.RemovePermissionResult:
    await ctx.engine.queues.remove_permission(await _queue(ctx, p), p["Label"])
    return {}


async def list_dead_letter_source_queues(
    ctx: SqsContext, p: api.ListDeadLetterSourceQueuesRequest
) -> api.ListDeadLetterSourceQueuesResult:
    sources = await ctx.engine.queues.dead_letter_sources(await _queue(ctx, p))
    by_name = {q.name: q for q in sources}
    page, token = _page(sorted(by_name), p)
    out: api.ListDeadLetterSourceQueuesResult = {
        "queueUrls": [queue_url(ctx, by_name[n]) for n in page]
    }
    if token:
        out["NextToken"] = token
    return out


# --- messages ---


def _sent(result: Sent, out: Any) -> None:
    """One sent message's result, written into ``out`` (a SendMessageResult, or a batch entry
    holding its Id)."""
    out["MD5OfMessageBody"] = result.md5_body
    out["MessageId"] = result.message_id
    if result.md5_attributes:
        out["MD5OfMessageAttributes"] = result.md5_attributes
    if result.md5_system_attributes:
        out["MD5OfMessageSystemAttributes"] = result.md5_system_attributes
    if result.sequence_number is not None:
        out["SequenceNumber"] = str(result.sequence_number)


async def send_message(ctx: SqsContext, p: api.SendMessageRequest) -> api.SendMessageResult:
    queue = _cached_queue(ctx, p) or await _queue(ctx, p)
    now = ctx.engine.now_ms()
    prepared = ctx.engine.messages.prepare(queue, _outgoing(ctx, p), _sender(ctx), now)
    (sent,) = await ctx.engine.messages.send(queue, [prepared])
    out: api.SendMessageResult = {}
    _sent(sent, out)
    return out


async def send_message_batch(
    ctx: SqsContext, p: api.SendMessageBatchRequest
) -> api.SendMessageBatchResult:
    queue = _cached_queue(ctx, p) or await _queue(ctx, p)
    entries = p.get("Entries") or []
    outgoing = [_outgoing(ctx, entry) for entry in entries]
    ctx.engine.messages.check_batch(
        "SendMessageBatch",
        [entry.get("Id", "") for entry in entries],
        [messages.size_of(o.body, o.attributes) for o in outgoing],
    )
    ctx.engine.messages.check_fifo_batch(queue, outgoing)
    now = ctx.engine.now_ms()
    failed: list[api.BatchResultErrorEntry] = []
    ready = []
    prepare, sender = ctx.engine.messages.prepare, _sender(ctx)
    for entry, out in zip(entries, outgoing, strict=True):
        try:
            ready.append((entry["Id"], prepare(queue, out, sender, now)))
        except errors.DomainError as exc:
            failed.append(_failure(entry["Id"], exc))
    successful: list[api.SendMessageBatchResultEntry] = []
    if ready:
        sent = await ctx.engine.messages.send(queue, [m for _, m in ready])
        for (entry_id, _), one in zip(ready, sent, strict=True):
            done: Any = {"Id": entry_id}  # the Id first, as AWS writes it; _sent adds the rest
            _sent(one, done)
            successful.append(done)
    # AWS leaves an empty Failed out (LocalStack snapshot send_oversized_message_batch), though
    # the model calls the member required.
    result: api.SendMessageBatchResult = {"Successful": successful}  # type: ignore[typeddict-item]
    if failed:
        result["Failed"] = failed
    return result


def _failure(entry_id: str, exc: Exception) -> api.BatchResultErrorEntry:
    code, message, sender = batch_entry(exc)
    return {"Id": entry_id, "SenderFault": sender, "Code": code, "Message": message}


_SYSTEM_NAMES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "AWSTraceHeader",
    "MessageGroupId",
    "MessageDeduplicationId",
    "SequenceNumber",
    "DeadLetterQueueSourceArn",
)


def _system_attributes(
    m: ReceivedMessage, wanted: set[str], source_arns: dict[int, str | None]
) -> dict[str, str]:
    if not wanted:
        return {}
    every = "All" in wanted
    values: dict[str, str | None] = {
        "SenderId": m.sender_id,
        "SentTimestamp": str(m.sent_ms),
        "ApproximateReceiveCount": str(m.receive_count),
        "ApproximateFirstReceiveTimestamp": str(m.first_receive_ms),
        "AWSTraceHeader": (
            m.system_attributes["AWSTraceHeader"].string_value
            if "AWSTraceHeader" in m.system_attributes
            else None
        ),
        "MessageGroupId": m.group_id,
        "MessageDeduplicationId": m.dedup_id,
        "SequenceNumber": None if m.sequence_number is None else str(m.sequence_number),
        "DeadLetterQueueSourceArn": (
            None if m.dead_letter_source_id is None else source_arns[m.dead_letter_source_id]
        ),
    }
    return {
        name: value
        for name in _SYSTEM_NAMES
        if (every or name in wanted) and (value := values[name]) is not None
    }


async def receive_message(
    ctx: SqsContext, p: api.ReceiveMessageRequest
) -> api.ReceiveMessageResult:
    queue = _cached_queue(ctx, p) or await _queue(ctx, p)
    received = await ctx.engine.messages.receive(
        queue,
        p.get("MaxNumberOfMessages", 1),
        p.get("VisibilityTimeout"),
        p.get("WaitTimeSeconds"),
        p.get("ReceiveRequestAttemptId"),
    )
    names, system_names = p.get("AttributeNames"), p.get("MessageSystemAttributeNames")
    wanted_system: set[str] = set(names) if names else set()
    if system_names:
        wanted_system.update(system_names)
    wanted_attrs = p.get("MessageAttributeNames") or []
    source_arns: dict[int, str | None] = {}
    if wanted_system:
        for m in received:  # dead-letter messages' sources: ids in the store, ARNs on the wire
            source = m.dead_letter_source_id
            if source is not None and source not in source_arns:
                source_arns[source] = await ctx.engine.queues.arn_of(
                    source, queue.account, queue.region
                )
    out = []
    for m in received:
        msg: api.Message = {
            "MessageId": m.message_id,
            "ReceiptHandle": m.receipt_handle,
            "MD5OfBody": m.md5_body,
            "Body": m.body,
        }
        if wanted_system:
            system = _system_attributes(m, wanted_system, source_arns)
            if system:
                msg["Attributes"] = system
        chosen = messages.select(m.attributes, wanted_attrs) if wanted_attrs else None
        if chosen:
            # Both digests are set, as chosen is not empty; their types say "or None".
            msg["MD5OfMessageAttributes"] = (
                m.md5_attributes if len(chosen) == len(m.attributes) else md5_of_attributes(chosen)  # type: ignore[typeddict-item]
            )
            msg["MessageAttributes"] = _attrs_out(chosen)
        out.append(msg)
    return {"Messages": out} if out else {}


async def delete_message(ctx: SqsContext, p: api.DeleteMessageRequest) -> api.DeleteMessageResult:
    queue = _cached_queue(ctx, p) or await _queue(ctx, p)
    (problem,) = await ctx.engine.messages.delete(queue, [p["ReceiptHandle"]])
    if problem is not None:
        raise problem
    return {}


async def delete_message_batch(
    ctx: SqsContext, p: api.DeleteMessageBatchRequest
) -> api.DeleteMessageBatchResult:
    queue = _cached_queue(ctx, p) or await _queue(ctx, p)
    entries = p.get("Entries") or []
    ctx.engine.messages.check_batch(
        "DeleteMessageBatch", [entry.get("Id", "") for entry in entries]
    )
    problems = await ctx.engine.messages.delete(
        queue, [entry["ReceiptHandle"] for entry in entries]
    )
    return _batch_result(entries, problems)


def _batch_result(
    entries: Sequence[api.DeleteMessageBatchRequestEntry], problems: list[Exception | None]
) -> api.DeleteMessageBatchResult:
    successful: list[api.DeleteMessageBatchResultEntry] = []
    failed: list[api.BatchResultErrorEntry] = []
    for entry, problem in zip(entries, problems, strict=True):
        if problem is None:
            successful.append({"Id": entry["Id"]})
        else:
            failed.append(_failure(entry["Id"], problem))
    return {"Successful": successful, "Failed": failed}


async def change_message_visibility(
    ctx: SqsContext, p: api.ChangeMessageVisibilityRequest
) -> api.ChangeMessageVisibilityResult:
    queue = _cached_queue(ctx, p) or await _queue(ctx, p)
    (problem,) = await ctx.engine.messages.change_visibility(
        queue, [(p["ReceiptHandle"], p["VisibilityTimeout"])]
    )
    if problem is not None:
        raise problem
    return {}


async def change_message_visibility_batch(
    ctx: SqsContext, p: api.ChangeMessageVisibilityBatchRequest
) -> api.ChangeMessageVisibilityBatchResult:
    queue = _cached_queue(ctx, p) or await _queue(ctx, p)
    entries = p.get("Entries") or []
    ctx.engine.messages.check_batch(
        "ChangeMessageVisibilityBatch", [entry.get("Id", "") for entry in entries]
    )
    problems = await ctx.engine.messages.change_visibility(
        queue, [(entry["ReceiptHandle"], entry.get("VisibilityTimeout", 0)) for entry in entries]
    )
    return _batch_result(entries, problems)


HANDLERS: dict[str, Handler] = {
    "CreateQueue": create_queue,
    "GetQueueUrl": get_queue_url,
    "DeleteQueue": delete_queue,
    "ListQueues": list_queues,
    "GetQueueAttributes": get_queue_attributes,
    "SetQueueAttributes": set_queue_attributes,
    "PurgeQueue": purge_queue,
    "TagQueue": tag_queue,
    "UntagQueue": untag_queue,
    "ListQueueTags": list_queue_tags,
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "ListDeadLetterSourceQueues": list_dead_letter_source_queues,
    "SendMessage": send_message,
    "SendMessageBatch": send_message_batch,
    "ReceiveMessage": receive_message,
    "DeleteMessage": delete_message,
    "DeleteMessageBatch": delete_message_batch,
    "ChangeMessageVisibility": change_message_visibility,
    "ChangeMessageVisibilityBatch": change_message_visibility_batch,
    "StartMessageMoveTask": moves.start_message_move_task,
    "CancelMessageMoveTask": moves.cancel_message_move_task,
    "ListMessageMoveTasks": moves.list_message_move_tasks,
}
# Signed calls are decided against the caller's and the queue's policies before they run.
HANDLERS = authorize.guarded(HANDLERS, authorize.sqs_check(_queue))
