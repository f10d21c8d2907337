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

from collections.abc import Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from densho.core.events import Outcome, SnsEvents, SqsEvents
from densho.core.sqs_model import NewMessage, Queue
from densho.metrics.histogram import SIZE_BYTES, Histogram

QUEUE_LABELS = ["node", "account", "region", "queue"]
TOPIC_LABELS = ["node", "account", "region", "topic"]


class _QueueCounts:
    __slots__ = ("deleted", "empty", "labels", "received", "sent", "sizes")

    def __init__(self, labels: tuple[str, ...]) -> None:
        self.labels = labels
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
            labels = (self._node, queue.account, queue.region, queue.name)
            counts = self._queues[queue.id] = _QueueCounts(labels)
        return counts

    def sent(self, queue: Queue, messages: Sequence[NewMessage]) -> None:
        counts = self._of(queue)
        counts.sent += len(messages)
        for m in messages:
            counts.sizes.observe(m.size)

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

    def collect(self) -> Iterator[Metric]:
        queues = list(self._queues.values())
        families = {
            "sent": CounterMetricFamily(
                "densho_sqs_number_of_messages_sent",
                "Messages stored by SendMessage and SendMessageBatch (NumberOfMessagesSent).",
                labels=QUEUE_LABELS,
            ),
            "received": CounterMetricFamily(
                "densho_sqs_number_of_messages_received",
                "Messages returned by ReceiveMessage (NumberOfMessagesReceived).",
                labels=QUEUE_LABELS,
            ),
            "deleted": CounterMetricFamily(
                "densho_sqs_number_of_messages_deleted",
                "Deletions with a valid receipt handle (NumberOfMessagesDeleted).",
                labels=QUEUE_LABELS,
            ),
            "empty": CounterMetricFamily(
                "densho_sqs_number_of_empty_receives",
                "ReceiveMessage calls that returned no message (NumberOfEmptyReceives).",
                labels=QUEUE_LABELS,
            ),
        }
        sizes = HistogramMetricFamily(
            "densho_sqs_sent_message_size_bytes",
            "Size of the messages sent, body and attributes (SentMessageSize).",
            labels=QUEUE_LABELS,
        )
        for q in queues:
            labels = list(q.labels)
            for field, family in families.items():
                family.add_metric(labels, getattr(q, field))
            sizes.add_metric(labels, q.sizes.buckets(), q.sizes.total)
        yield from families.values()
        yield sizes


class _TopicCounts:
    __slots__ = ("labels", "published")

    def __init__(self, labels: tuple[str, ...]) -> None:
        self.labels = labels
        self.published = 0


class SnsCounters(SnsEvents):
    __slots__ = ("_node", "_notifications", "_topics")

    def __init__(self, node: str) -> None:
        self._node = node
        self._topics: dict[str, _TopicCounts] = {}
        # (topic ARN, protocol, outcome) -> count
        self._notifications: dict[tuple[str, str, Outcome], int] = {}

    def _labels(self, topic_arn: str) -> tuple[str, ...]:
        # arn:aws:sns:REGION:ACCOUNT:NAME
        parts = topic_arn.split(":", 5)
        if len(parts) < 6:
            return (self._node, "", "", topic_arn)
        return (self._node, parts[4], parts[3], parts[5])

    def published(self, topic_arn: str, count: int) -> None:
        counts = self._topics.get(topic_arn)
        if counts is None:
            counts = self._topics[topic_arn] = _TopicCounts(self._labels(topic_arn))
        counts.published += count

    def notifications(self, topic_arn: str, protocol: str, outcome: Outcome, count: int) -> None:
        key = (topic_arn, protocol, outcome)
        self._notifications[key] = self._notifications.get(key, 0) + count

    def collect(self) -> Iterator[Metric]:
        published = CounterMetricFamily(
            "densho_sns_number_of_messages_published",
            "Messages accepted by Publish and PublishBatch (NumberOfMessagesPublished).",
            labels=TOPIC_LABELS,
        )
        for t in list(self._topics.values()):
            published.add_metric(list(t.labels), t.published)
        yield published
        labels = [*TOPIC_LABELS, "protocol"]
        outcomes: dict[Outcome, CounterMetricFamily] = {
            "delivered": CounterMetricFamily(
                "densho_sns_number_of_notifications_delivered",
                "Notifications delivered to subscribers (NumberOfNotificationsDelivered).",
                labels=labels,
            ),
            "failed": CounterMetricFamily(
                "densho_sns_number_of_notifications_failed",
                "Notifications that failed: every failed HTTP/S attempt, the final failure of "
                "other protocols (NumberOfNotificationsFailed).",
                labels=labels,
            ),
            "filtered_out": CounterMetricFamily(
                "densho_sns_number_of_notifications_filtered_out",
                "Notifications a subscription's filter policy rejected "
                "(NumberOfNotificationsFilteredOut).",
                labels=labels,
            ),
        }
        for (arn, protocol, outcome), count in list(self._notifications.items()):
            outcomes[outcome].add_metric([*self._labels(arn), protocol], count)
        yield from outcomes.values()
