"""Gauges read from the database: every queue's backlog and the SNS outbox, refreshed in the
background.

Owns: ``Refresher`` — a task that every ``interval`` seconds reads ``Store.queue_overview`` and
``Store.outbox_depths`` (one grouped statement each, off the event loop) and keeps the answer —
and the gauge families a scrape builds from the last answer. A scrape never touches the
database, so it costs the same on a queue of ten messages or of ten million, and every node on
one database reports the same figures (labelled without the node: they are the cluster's).
Must not know: HTTP, SQL, how the store computes the figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric

from densho.core.sns_model import OutboxDepth
from densho.core.sqs_model import QueueOverview
from densho.core.store import StoreUnavailable
from densho.storage.open import AnyStore

log = logging.getLogger(__name__)

QUEUE_LABELS = ["account", "region", "queue"]


@dataclass(frozen=True, slots=True)
class Snapshot:
    queues: list[QueueOverview]
    outbox: list[OutboxDepth]
    at_s: float  # when it was read (Unix time)
    took_s: float  # how long reading it took


class Refresher:
    def __init__(self, store: AnyStore, interval_s: float) -> None:
        self._store = store
        self._interval_s = interval_s
        self._snapshot: Snapshot | None = None  # replaced whole: a scrape reads one snapshot
        self._task: asyncio.Task[None] | None = None
        self.refreshed = asyncio.Event()  # set after each refresh (tests, start-up)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="metrics-gauges")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except StoreUnavailable as exc:  # the store logged it; the last figures stay
                log.warning("metrics refresh skipped: %s", exc)
            except Exception:
                log.exception("metrics refresh failed")
            await asyncio.sleep(self._interval_s)

    async def refresh(self) -> None:
        started = time.perf_counter()
        now_s = time.time()
        queues = await self._store.queue_overview(int(now_s * 1000))
        outbox = await self._store.outbox_depths()
        self._snapshot = Snapshot(queues, outbox, now_s, time.perf_counter() - started)
        self.refreshed.set()

    def collect(self) -> Iterator[Metric]:
        snapshot = self._snapshot
        if snapshot is None:  # not read yet: no series rather than zeros
            return
        families = (
            GaugeMetricFamily(
                "densho_sqs_approximate_number_of_messages_visible",
                "Messages available for retrieval (ApproximateNumberOfMessagesVisible).",
                labels=QUEUE_LABELS,
            ),
            GaugeMetricFamily(
                "densho_sqs_approximate_number_of_messages_not_visible",
                "Messages in flight: received, not yet deleted nor visible again "
                "(ApproximateNumberOfMessagesNotVisible).",
                labels=QUEUE_LABELS,
            ),
            GaugeMetricFamily(
                "densho_sqs_approximate_number_of_messages_delayed",
                "Messages delayed, not yet available (ApproximateNumberOfMessagesDelayed).",
                labels=QUEUE_LABELS,
            ),
            GaugeMetricFamily(
                "densho_sqs_approximate_age_of_oldest_message_seconds",
                "Age of the oldest message in the queue (ApproximateAgeOfOldestMessage).",
                labels=QUEUE_LABELS,
            ),
        )
        visible, not_visible, delayed, age = families
        for q in snapshot.queues:
            labels = [q.account, q.region, q.name]
            visible.add_metric(labels, q.visible)
            not_visible.add_metric(labels, q.not_visible)
            delayed.add_metric(labels, q.delayed)
            age.add_metric(labels, q.oldest_age_s)
        yield from families
        outbox = GaugeMetricFamily(
            "densho_sns_outbox_depth",
            "SNS deliveries to HTTP/S and email subscribers waiting in the outbox (due, "
            "waiting for a retry, or being attempted).",
            labels=["account", "region", "topic", "protocol"],
        )
        for d in snapshot.outbox:
            parts = d.topic_arn.split(":", 5)
            account, region, name = (
                (parts[4], parts[3], parts[5]) if len(parts) == 6 else ("", "", d.topic_arn)
            )
            outbox.add_metric([account, region, name, d.protocol], d.pending)
        yield outbox
        yield GaugeMetricFamily(
            "densho_metrics_refreshed_timestamp_seconds",
            "When the gauges read from the database were last read (Unix time).",
            value=snapshot.at_s,
        )
        yield GaugeMetricFamily(
            "densho_metrics_refresh_duration_seconds",
            "How long the last read of the gauges from the database took.",
            value=snapshot.took_s,
        )
