"""This node's counters of SQS and SNS traffic, named after CloudWatch's metrics.

Owns: ``SqsCounters`` and ``SnsCounters`` — the engines' event hooks (``densho.core.events``),
which add to plain integers kept per queue, per topic and per (topic, protocol) — and their
exposition as Prometheus counter and histogram families labelled with the node (each node
counts what it served; a sum over nodes is the cluster's).
Must not know: HTTP, SQL, what the engines do.

Why plain integers: a hook runs on the request's path. Increments happen on the event loop's
thread only; a scrape reads them from a worker thread, taking one copy of each collection (a
C-level copy, atomic under the GIL), so it may see one request's counts half applied — never a
broken structure. Looking a queue's counts up by its id replaces ``Counter.labels(...)``
(about 1 µs each) on the hot path: about 0.1 µs per hook.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from densho.core.events import Outcome, SnsEvents, SqsEvents
from densho.core.sqs_model import NewMessage, Queue
from densho.metrics.histogram import SIZE_BYTES, Histogram, le_values
from densho.metrics.text import Family, labels, with_le

SIZE_LE = le_values(SIZE_BYTES)


class _QueueCounts:
    __slots__ = ("deleted", "empty", "labels", "received", "sent", "size_labels", "sizes")

    def __init__(self, rendered: str) -> None:
        self.labels = rendered
        self.size_labels = with_le(rendered, SIZE_LE)
        self.sent = 0
        self.received = 0
        self.deleted = 0
        self.empty = 0
        self.sizes = Histogram(SIZE_BYTES)


class SqsCounters(SqsEvents):
    __slots__ = ("_node", "_queues")

    def __init__(self, node: str) -> None:
        self._node = node
        self._queues: dict[int, _QueueCounts] = {}

    def _of(self, queue: Queue) -> _QueueCounts:
        counts = self._queues.get(queue.id)
        if counts is None:
            rendered = labels(
                (
                    ("node", self._node),
                    ("account", queue.account),
                    ("region", queue.region),
                    ("queue", queue.name),
                )
            )
            counts = self._queues[queue.id] = _QueueCounts(rendered)
        return counts

    def sent(self, queue: Queue, messages: Sequence[NewMessage]) -> None:
        counts = self._of(queue)
        counts.sent += len(messages)
        sizes = counts.sizes
        if len(messages) == 1:
            sizes.observe(messages[0].size)
            return
        # A batch: Histogram.observe inlined (a call per message would cost as much as it).
        bounds, buckets, total = sizes.bounds, sizes.counts, 0
        for m in messages:
            buckets[bisect_left(bounds, m.size)] += 1
            total += m.size
        sizes.total += total

    def received(self, queue: Queue, count: int) -> None:
        counts = self._of(queue)
        if count:
            counts.received += count
        else:
            counts.empty += 1

    def deleted(self, queue: Queue, count: int) -> None:
        self._of(queue).deleted += count

    def queue_deleted(self, queue: Queue) -> None:
        # Its series end here (a queue made again under the name starts from zero, as a new
        # CloudWatch queue does).
        self._queues.pop(queue.id, None)

    def collect(self) -> list[Family]:
        queues = list(self._queues.values())
        sent = Family(
            "densho_sqs_number_of_messages_sent",
            "counter",
            "Messages stored by SendMessage and SendMessageBatch (NumberOfMessagesSent).",
        )
        received = Family(
            "densho_sqs_number_of_messages_received",
            "counter",
            "Messages returned by ReceiveMessage (NumberOfMessagesReceived).",
        )
        deleted = Family(
            "densho_sqs_number_of_messages_deleted",
            "counter",
            "Deletions with a valid receipt handle (NumberOfMessagesDeleted).",
        )
        empty = Family(
            "densho_sqs_number_of_empty_receives",
            "counter",
            "ReceiveMessage calls that returned no message (NumberOfEmptyReceives).",
        )
        sizes = Family(
            "densho_sqs_sent_message_size_bytes",
            "histogram",
            "Size of the messages sent, body and attributes (SentMessageSize).",
        )
        for q in queues:
            sent.add(q.labels, q.sent)
            received.add(q.labels, q.received)
            deleted.add(q.labels, q.deleted)
            empty.add(q.labels, q.empty)
            sizes.add_histogram(q.size_labels, q.labels, q.sizes)
        return [sent, received, deleted, empty, sizes]


class _TopicCounts:
    __slots__ = ("labels", "published")

    def __init__(self, rendered: str) -> None:
        self.labels = rendered
        self.published = 0


class SnsCounters(SnsEvents):
    __slots__ = ("_node", "_notifications", "_topics")

    def __init__(self, node: str) -> None:
        self._node = node
        self._topics: dict[str, _TopicCounts] = {}
        # (topic ARN, protocol, outcome) -> count
        self._notifications: dict[tuple[str, str, Outcome], int] = {}

    def _labels(self, topic_arn: str, *more: tuple[str, str]) -> str:
        account, region, name = topic_parts(topic_arn)
        pairs = (("node", self._node), ("account", account), ("region", region), ("topic", name))
        return labels((*pairs, *more))

    def published(self, topic_arn: str, count: int) -> None:
        counts = self._topics.get(topic_arn)
        if counts is None:
            counts = self._topics[topic_arn] = _TopicCounts(self._labels(topic_arn))
        counts.published += count

    def notifications(self, topic_arn: str, protocol: str, outcome: Outcome, count: int) -> None:
        key = (topic_arn, protocol, outcome)
        self._notifications[key] = self._notifications.get(key, 0) + count

    def collect(self) -> list[Family]:
        published = Family(
            "densho_sns_number_of_messages_published",
            "counter",
            "Messages accepted by Publish and PublishBatch (NumberOfMessagesPublished).",
        )
        for t in list(self._topics.values()):
            published.add(t.labels, t.published)
        outcomes: dict[Outcome, Family] = {
            "delivered": Family(
                "densho_sns_number_of_notifications_delivered",
                "counter",
                "Notifications delivered to subscribers (NumberOfNotificationsDelivered).",
            ),
            "failed": Family(
                "densho_sns_number_of_notifications_failed",
                "counter",
                "Notifications that failed: every failed HTTP/S attempt, the final failure of "
                "other protocols (NumberOfNotificationsFailed).",
            ),
            "filtered_out": Family(
                "densho_sns_number_of_notifications_filtered_out",
                "counter",
                "Notifications a subscription's filter policy rejected "
                "(NumberOfNotificationsFilteredOut).",
            ),
        }
        for (arn, protocol, outcome), count in list(self._notifications.items()):
            outcomes[outcome].add(self._labels(arn, ("protocol", protocol)), count)
        return [published, *outcomes.values()]


def topic_parts(topic_arn: str) -> tuple[str, str, str]:
    """(account, region, name) of arn:aws:sns:REGION:ACCOUNT:NAME."""
    parts = topic_arn.split(":", 5)
    if len(parts) < 6:
        return "", "", topic_arn
    return parts[4], parts[3], parts[5]
