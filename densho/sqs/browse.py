"""Looking at a queue's messages without consuming them (the console).

Owns: what browsing means in SQS terms — unexpired messages only (the queue's retention period
decides), in the order they become visible, paged by keyset — and the one-message delete a
browser asks for (no receipt handle: the row and message id it was shown).
Must not know: HTTP, the wire, SQL, how a page is drawn.
"""

from __future__ import annotations

from densho.core.clock import Clock
from densho.core.sqs_model import PeekCursor, Peeked, Queue, QueueOverview
from densho.storage.base import Store

MAX_PAGE = 100


class Browse:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def peek(
        self, queue: Queue, after: PeekCursor | None, limit: int, newest_first: bool
    ) -> list[Peeked]:
        now = self._clock.now_ms()
        limit = max(1, min(limit, MAX_PAGE))
        cutoff = now - queue.config.retention_ms
        return await self._store.peek(queue.id, after, limit, newest_first, now, cutoff)

    async def delete(self, queue: Queue, row: int, message_id: str) -> bool:
        """Delete the message browsing showed; whether it was still there."""
        return await self._store.delete_peeked(queue.id, row, message_id)

    async def overview(self) -> list[QueueOverview]:
        """Every queue with its backlog now, read in one grouped statement off the event loop
        (``Store.queue_overview``)."""
        return await self._store.queue_overview(self._clock.now_ms())
