"""The SQS service of one node: its queues and their message flow, over one store and one clock.

Owns: putting the two halves together — ``queues`` (lifecycle, attributes, the queue record
cache: ``densho.sqs.queues``) and ``messages`` (send, receive, delete, visibility:
``densho.sqs.flow``) share the store, the clock and the long-poll waiters — and what concerns the
node as a whole: shutting down, other nodes' notifications (forget a queue record, wake long
polls) and retention maintenance.
Must not know: HTTP, botocore, wire dict shapes, SQL.
"""

from __future__ import annotations

from collections.abc import Sequence

from densho.core.clock import Clock
from densho.core.events import NO_SQS_EVENTS, SqsEvents
from densho.core.sqs_model import NewMessage
from densho.sqs.browse import Browse
from densho.sqs.flow import MessageFlow
from densho.sqs.inflight import AWS_LIMIT
from densho.sqs.queues import Queues
from densho.sqs.waiters import Waiters
from densho.storage.base import Store


class SqsEngine:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        events: SqsEvents = NO_SQS_EVENTS,
        max_in_flight: int = AWS_LIMIT,
    ) -> None:
        """``events``: told of every send, receive, delete and queue deletion (metrics);
        ``max_in_flight``: messages in flight per queue before receives get no more."""
        self._store = store
        self._clock = clock
        self.clock = clock  # what waits for a moment of queue time waits through it
        self._waiters = Waiters()
        self._events = events
        self.queues = Queues(store, clock, self._waiters, events)
        self.messages = MessageFlow(store, clock, self.queues, self._waiters, events, max_in_flight)
        self.browse = Browse(store, clock)  # the console: messages seen, never consumed

    def close(self) -> None:
        """Shutting down: waiting long polls return empty now, new ones do not wait."""
        self._waiters.close()
        self.queues.close()

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
        self.messages.in_flight.forget(queue_id)
        self._waiters.notify_all(queue_id)

    def forget_all(self) -> None:
        """Other nodes' changes may have been missed: drop every cached queue record."""
        self.queues.forget_all()

    def reset(self) -> None:
        """A reset deleted queues (here or on another node): drop every cached record, and
        waiting long polls answer empty now."""
        self.queues.forget_all()
        self._waiters.reset()

    def notify(self, queue_id: int) -> None:
        """Wake long polls on the queue: messages arrived by a path other than a send (a message
        move task, an SNS publish)."""
        self._waiters.notify_all(queue_id)

    def arrived(self, queue_id: int, messages: Sequence[NewMessage]) -> None:
        """``messages`` were stored in the queue by SNS (a publish's deliveries, committed):
        wake its long polls, and count them as sent, as CloudWatch does."""
        self._waiters.notify_all(queue_id)
        queue = self.queues.cached(queue_id)  # the publish just looked it up
        if queue is not None:
            self._events.sent(queue, messages)

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
        for queue_id in await self._store.purges_pending():  # those a restart interrupted
            self.queues.finish_purge(queue_id)
        await self._store.expire_windows(now)
        removed = 0
        for queue in await self._store.all_queues():
            removed += await self._store.expire(queue.id, now - queue.config.retention_ms)
        return removed
