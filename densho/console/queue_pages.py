"""The console's SQS pages: the queue list, a queue's page, and the forms on it.

Owns: what each page shows and each form does — read through the API's operations as the
viewer (GetQueueAttributes, ListQueueTags, ListDeadLetterSourceQueues, ListMessageMoveTasks and
the console's ConsolePeek), act through them (SendMessage, ConsoleDeleteMessage, PurgeQueue,
StartMessageMoveTask, CancelMessageMoveTask), an AWS error shown as a notice.
Must not know: ASGI, SQL, templates' markup.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from densho.console import overview
from densho.console.render import render
from densho.console.visit import Answer, Visit, attribute_fields, queue_path
from densho.core.sqs_model import PeekCursor, Peeked, Queue
from densho.protocol.errors import AwsError

PEEK_PAGE = 20


async def queue_list(visit: Visit) -> Answer:
    q = visit.query
    try:
        page = int(q.get("page", "1"))
    except ValueError:
        page = 1
    sort = q.get("sort", "name")
    descending = q.get("desc") == "1"
    errors: list[str] = []
    queues = await visit.services.store.all_queues()
    if visit.session.identity is not None:
        # Listing is ListQueues: a signed-in identity its policy refuses sees no queue.
        try:
            await visit.act("sqs", "ListQueues", [("MaxResults", "1")], visit.services.region)
        except AwsError as err:
            errors.append(f"{err.code}: {err.message}")
            queues = []
    found = await overview.overview(
        visit.services.sqs,
        queues,
        visit.account,
        q.get("filter", ""),
        sort,
        descending,
        page,
    )
    return render(
        visit,
        "queues.html",
        overview=found,
        filter=q.get("filter", ""),
        sort=sort,
        desc=descending,
        errors=errors,
    )


async def _queue(visit: Visit, account: str, region: str, name: str) -> Queue | None:
    """The queue, if it exists and the viewer's account is its (else: not found, so another
    account's queue names do not leak)."""
    if not visit.may_see(account):
        return None
    return await visit.services.sqs.queues.lookup(account, region, name)


def _cursor(text: str) -> PeekCursor | None:
    visible, _, seq = text.partition(".")
    try:
        return PeekCursor(int(visible), int(seq))
    except ValueError:
        return None


def _message(p: Peeked, now_ms: int) -> dict[str, Any]:
    m = p.message
    if p.in_flight:
        state = "in flight"
    elif p.visible_ms > now_ms:
        state = "delayed"
    else:
        state = "visible"
    return {
        "row": m.row,
        "id": m.message_id,
        "body": m.body,
        "attributes": {
            k: a.string_value if a.binary_value is None else f"({len(a.binary_value)} bytes)"
            for k, a in m.attributes.items()
        },
        "attribute_types": {k: a.data_type for k, a in m.attributes.items()},
        "system": {k: a.string_value or "" for k, a in m.system_attributes.items()},
        "sent_ms": m.sent_ms,
        "receive_count": m.receive_count,
        "first_receive_ms": m.first_receive_ms,
        "visible_ms": p.visible_ms,
        "state": state,
        "group_id": m.group_id,
        "dedup_id": m.dedup_id,
        "sequence_number": m.sequence_number,
        "sender_id": m.sender_id,
        "moved_from": m.dead_letter_source_id is not None,
    }


async def queue_page(visit: Visit, account: str, region: str, name: str) -> Answer:
    queue = await _queue(visit, account, region, name)
    if queue is None:
        return render(visit, "missing.html", status=404, what=f"queue {account}/{name} in {region}")
    # The operations run in the queue's region (their call's), which decides what the URL names.
    url = visit.queue_url(account, name)
    errors: list[str] = []
    attributes: dict[str, str] = {}
    tags: dict[str, str] = {}
    sources: list[str] = []
    tasks: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    newest = visit.query.get("order") == "newest"
    after = _cursor(visit.query.get("after", ""))
    next_after = None
    try:
        got = await visit.act(
            "sqs", "GetQueueAttributes", [("QueueUrl", url), ("AttributeName.1", "All")], region
        )
        attributes = got.get("Attributes", {})
        tags = (await visit.act("sqs", "ListQueueTags", [("QueueUrl", url)], region)).get(
            "Tags", {}
        )
        listed = await visit.act("sqs", "ListDeadLetterSourceQueues", [("QueueUrl", url)], region)
        sources = [u.rstrip("/").rsplit("/", 1)[-1] for u in listed.get("queueUrls", [])]
        if sources:
            moves = await visit.act(
                "sqs", "ListMessageMoveTasks", [("SourceArn", queue.arn)], region
            )
            tasks = moves.get("Results", [])
        peeked = await visit.console(
            "ConsolePeek",
            {"QueueUrl": url, "After": after, "Limit": PEEK_PAGE, "NewestFirst": newest},
            region,
        )
        page: list[Peeked] = peeked["Messages"]
        now = visit.services.sqs.now_ms()
        messages = [_message(p, now) for p in page]
        if len(page) == PEEK_PAGE:
            last = page[-1]
            next_after = f"{last.visible_ms}.{last.message.row}"
    except AwsError as err:
        errors.append(f"{err.code}: {err.message}")
    base = queue_path(account, region, name)
    order = "newest" if newest else "oldest"
    return render(
        visit,
        "queue.html",
        queue=queue,
        url=url,
        path=base,
        attributes=attributes,
        tags=tags,
        sources=sources,
        tasks=tasks,
        messages=messages,
        order=order,
        paged=after is not None,
        next_link=None
        if next_after is None
        else f"{base}?{urlencode({'order': order, 'after': next_after})}",
        errors=errors,
    )


async def queue_action(visit: Visit, account: str, region: str, name: str, action: str) -> Answer:
    queue = await _queue(visit, account, region, name)
    back = queue_path(account, region, name)
    if queue is None:
        return render(visit, "missing.html", status=404, what=f"queue {account}/{name} in {region}")
    url = visit.queue_url(account, name)
    form = visit.form
    try:
        if action == "send":
            fields = [("QueueUrl", url), ("MessageBody", form.get("body", ""))]
            for key, field_name in (
                ("group_id", "MessageGroupId"),
                ("dedup_id", "MessageDeduplicationId"),
                ("delay", "DelaySeconds"),
            ):
                if form.get(key, "").strip():
                    fields.append((field_name, form[key].strip()))
            fields += attribute_fields(form.get("attributes", ""), "MessageAttribute")
            sent = await visit.act("sqs", "SendMessage", fields, region)
            visit.session.notice("ok", f"Message {sent['MessageId']} sent.")
        elif action == "delete":
            params = {"QueueUrl": url, "Row": form.get("row", "0"), "MessageId": form.get("id")}
            try:
                int(params["Row"] or "")
            except ValueError:
                raise AwsError("InvalidParameterValue", "Row must be a number.") from None
            done = await visit.console("ConsoleDeleteMessage", params, region)
            visit.session.notice(
                "ok" if done["Deleted"] else "error",
                f"Message {form.get('id')} "
                + ("deleted." if done["Deleted"] else "was no longer there."),
            )
        elif action == "purge":
            await visit.act("sqs", "PurgeQueue", [("QueueUrl", url)], region)
            visit.session.notice("ok", f"Queue {name} purged.")
        elif action == "redrive":
            fields = [("SourceArn", queue.arn)]
            if form.get("rate", "").strip():
                fields.append(("MaxNumberOfMessagesPerSecond", form["rate"].strip()))
            started = await visit.act("sqs", "StartMessageMoveTask", fields, region)
            visit.session.notice("ok", f"Redrive started (task {started['TaskHandle'][:16]}…).")
        elif action == "cancel":
            got = await visit.act(
                "sqs", "CancelMessageMoveTask", [("TaskHandle", form.get("task", ""))], region
            )
            visit.session.notice(
                "ok",
                f"Redrive cancelled after {got.get('ApproximateNumberOfMessagesMoved', 0)} moved.",
            )
        else:
            return render(visit, "missing.html", status=404, what=f"action {action}")
    except AwsError as err:
        visit.session.notice("error", f"{err.code}: {err.message}")
    return Answer.redirect(back)
