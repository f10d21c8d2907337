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
from collections.abc import Callable
from dataclasses import dataclass

from densho.core.sns_model import OutboxDepth
from densho.core.sqs_model import QueueOverview
from densho.core.store import StoreUnavailable
from densho.metrics.counters import topic_parts
from densho.metrics.text import Family, labels
from densho.storage.open import AnyStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Snapshot:
    families: list[Family]  # rendered when read, so a scrape only joins them
    at_s: float  # when it was read (Unix time)
    took_s: float  # how long reading it took


class Refresher:
    def __init__(
        self, store: AnyStore, interval_s: float, now_ms: Callable[[], int] | None = None
    ) -> None:
        self._store = store
        self._now_ms = now_ms  # the queues' clock (None: the wall clock)
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
        now_ms = int(now_s * 1000) if self._now_ms is None else self._now_ms()
        queues = await self._store.queue_overview(now_ms)
        outbox = await self._store.outbox_depths()
        families = _families(queues, outbox)
        self._snapshot = Snapshot(families, now_s, time.perf_counter() - started)
        self.refreshed.set()

    def collect(self) -> list[Family]:
        snapshot = self._snapshot
        if snapshot is None:  # not read yet: no series rather than zeros
            return []
        refreshed = Family(
            "densho_metrics_refreshed_timestamp_seconds",
            "gauge",
            "When the gauges read from the database were last read (Unix time).",
        )
        refreshed.add("", snapshot.at_s)
        took = Family(
            "densho_metrics_refresh_duration_seconds",
            "gauge",
            "How long the last read of the gauges from the database took.",
        )
        took.add("", snapshot.took_s)
        return [*snapshot.families, refreshed, took]


def _families(queues: list[QueueOverview], outbox: list[OutboxDepth]) -> list[Family]:
    visible = Family(
        "densho_sqs_approximate_number_of_messages_visible",
        "gauge",
        "Messages available for retrieval (ApproximateNumberOfMessagesVisible).",
    )
    not_visible = Family(
        "densho_sqs_approximate_number_of_messages_not_visible",
        "gauge",
        "Messages in flight: received, not yet deleted nor visible again "
        "(ApproximateNumberOfMessagesNotVisible).",
    )
    delayed = Family(
        "densho_sqs_approximate_number_of_messages_delayed",
        "gauge",
        "Messages delayed, not yet available (ApproximateNumberOfMessagesDelayed).",
    )
    age = Family(
        "densho_sqs_approximate_age_of_oldest_message_seconds",
        "gauge",
        "Age of the oldest message in the queue (ApproximateAgeOfOldestMessage).",
    )
    for q in queues:
        rendered = labels((("account", q.account), ("region", q.region), ("queue", q.name)))
        visible.add(rendered, q.visible)
        not_visible.add(rendered, q.not_visible)
        delayed.add(rendered, q.delayed)
        age.add(rendered, q.oldest_age_s)
    depth = Family(
        "densho_sns_outbox_depth",
        "gauge",
        "SNS deliveries to HTTP/S and email subscribers waiting in the outbox (due, "
        "waiting for a retry, or being attempted).",
    )
    for d in outbox:
        account, region, name = topic_parts(d.topic_arn)
        pairs = (("account", account), ("region", region), ("topic", name))
        depth.add(labels((*pairs, ("protocol", d.protocol))), d.pending)
    return [visible, not_visible, delayed, age, depth]
