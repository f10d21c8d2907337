"""The console's SQS operations that are no AWS action: browse a queue's messages without
consuming them, delete one message browsing showed.

Owns: ``HANDLERS`` (``ConsolePeek``, ``ConsoleDeleteMessage``), guarded like the SQS table: a
signed caller is decided as the AWS action each resembles (sqs:ReceiveMessage, sqs:DeleteMessage;
``authorize``) on the queue the QueueUrl names. The wire never reaches them: the server runs them
only for the console (``App.dispatch_console``).
Must not know: HTTP, the wire, SQL, how the console draws what it gets.
"""

from __future__ import annotations

from typing import Any

from densho.core.sqs_model import PeekCursor
from densho.providers import authorize, sqs
from densho.providers.context import SqsContext


async def peek(ctx: SqsContext, p: dict[str, Any]) -> dict[str, Any]:
    """``QueueUrl``, ``After`` (a PeekCursor or None), ``Limit``, ``NewestFirst`` -> the
    queue's record and its page of ``Peeked``."""
    queue = await sqs.resolve_queue(ctx, p)
    after: PeekCursor | None = p.get("After")
    page = await ctx.engine.browse.peek(
        queue, after, int(p.get("Limit", 20)), bool(p.get("NewestFirst"))
    )
    return {"Queue": queue, "Messages": page}


async def delete_message(ctx: SqsContext, p: dict[str, Any]) -> dict[str, Any]:
    """``QueueUrl``, ``Row``, ``MessageId`` -> ``Deleted``: whether it was still there."""
    queue = await sqs.resolve_queue(ctx, p)
    deleted = await ctx.engine.browse.delete(queue, int(p["Row"]), str(p["MessageId"]))
    return {"Deleted": deleted}


HANDLERS = authorize.guarded(
    {"ConsolePeek": peek, "ConsoleDeleteMessage": delete_message},
    authorize.sqs_check(sqs.resolve_queue),
)
