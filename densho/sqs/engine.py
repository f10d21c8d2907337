"""The SQS service of one node: its queues and their message flow, over one store and one clock.

Owns: putting the two halves together — ``queues`` (lifecycle, attributes, the queue record
cache: ``densho.sqs.queues``) and ``messages`` (send, receive, delete, visibility:
``densho.sqs.flow``) share the store, the clock and the long-poll waiters — and what concerns the
node as a whole: shutting down, other nodes' notifications (forget a queue record, wake long
polls) and retention maintenance.
Must not know: HTTP, botocore, wire dict shapes, SQL.
"""

from __future__ import annotations

from densho.core.clock import Clock
from densho.sqs.browse import Browse
from densho.sqs.flow import MessageFlow
from densho.sqs.queues import Queues
from densho.sqs.waiters import Waiters
from densho.storage.base import Store


class SqsEngine:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._waiters = Waiters()
        self.queues = Queues(store, clock, self._waiters)
        self.messages = MessageFlow(store, clock, self.queues, self._waiters)
        self.browse = Browse(store, clock)  # the console: messages seen, never consumed

    def close(self) -> None:
        """Shutting down: waiting long polls return empty now, new ones do not wait."""
        self._waiters.close()

    def now_ms(self) -> int:
        return self._clock.now_ms()

    @property
    def shared(self) -> bool:
        """Whether other nodes write the same store (then they run maintenance work too)."""
        return self._store.shared

    def forget_queue(self, queue_id: int) -> None:
        """Another node changed or deleted the queue: drop its record, and let long polls on it
        look again (each checks that its queue still exists)."""
        self.queues.forget(queue_id)
        self._waiters.notify_all(queue_id)

    def forget_all(self) -> None:
        """Other nodes' changes may have been missed: drop every cached queue record."""
        self.queues.forget_all()

    def notify(self, queue_id: int) -> None:
        """Wake long polls on the queue: messages arrived by a path other than a send (a message
        move task, an SNS publish)."""
        self._waiters.notify_all(queue_id)

    def wake(self, queue_id: int | None, count: int) -> None:
        """Another node sharing the store made ``count`` messages of the queue available: wake
        that many long polls. ``None``: wake every long poll (wake-ups may have been missed)."""
        if queue_id is None:
            self._waiters.notify_all()
        else:
            self._waiters.notify(queue_id, count)

    async def expire_all(self) -> int:
        """Delete messages past their queue's retention period and forget FIFO windows that
        have passed (maintenance). Every queue in the store, as stored now (not this node's
        cache): each node sharing a store runs this, and deleting what is expired is the same
        whoever does it first."""
        now = self._clock.now_ms()
        await self._store.expire_windows(now)
        removed = 0
        for queue in await self._store.all_queues():
            removed += await self._store.expire(queue.id, now - queue.config.retention_ms)
        return removed
