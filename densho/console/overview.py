"""The queue list's rows: every queue a viewer may see, with its depth and markers.

Owns: which queues a viewer sees (one account, or all with authentication off), filtering by
name, sorting, paging, and the per-queue figures (Approximate* counts, age of the oldest
message) read with the store's per-queue queries.
Must not know: HTTP, templates, the wire.

Cost: one count per queue shown (all matching queues when sorted by a figure). Meant to be
replaced by the metrics' cached snapshot of every queue (``queue_overview``) when it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from densho.core.sqs_model import Queue
from densho.sqs.engine import SqsEngine

PAGE = 50
SORTS = ("name", "account", "region", "visible", "in_flight", "delayed", "age")


@dataclass(frozen=True, slots=True)
class QueueRow:
    queue: Queue
    visible: int
    in_flight: int
    delayed: int
    oldest_age_s: int | None  # seconds; None when the queue is empty
    dead_letter: bool  # some queue's RedrivePolicy names it
    redrive_source: bool  # it has a RedrivePolicy

    @property
    def fifo(self) -> bool:
        return self.queue.config.fifo


@dataclass(frozen=True, slots=True)
class Overview:
    rows: list[QueueRow]
    total: int  # queues matching the filter
    page: int
    pages: int


async def _row(engine: SqsEngine, queue: Queue, dead_letters: set[str], now_ms: int) -> QueueRow:
    counts = await engine.queues.counts(queue)
    oldest = await engine.browse.oldest_sent(queue)
    return QueueRow(
        queue,
        counts.visible,
        counts.in_flight,
        counts.delayed,
        None if oldest is None else max(0, (now_ms - oldest) // 1000),
        queue.arn in dead_letters,
        queue.config.dead_letter is not None,
    )


def _key(sort: str) -> Callable[[QueueRow], tuple[Any, str]]:
    """How rows sort by one of their figures (an empty queue's age is the least)."""
    if sort == "age":
        return lambda r: (-1 if r.oldest_age_s is None else r.oldest_age_s, r.queue.name)
    return lambda r: (getattr(r, sort), r.queue.name)


async def overview(
    engine: SqsEngine,
    all_queues: list[Queue],
    account: str | None,
    name_filter: str,
    sort: str,
    descending: bool,
    page: int,
) -> Overview:
    """The page of queues ``account`` sees (None: every account), names containing
    ``name_filter`` (case-insensitive), sorted by ``sort``."""
    visible = [q for q in all_queues if account is None or q.account == account]
    dead_letters = {d.arn for q in visible if (d := q.config.dead_letter) is not None}
    needle = name_filter.strip().lower()
    chosen = [q for q in visible if needle in q.name.lower()]
    total = len(chosen)
    sort = sort if sort in SORTS else "name"
    pages = max(1, -(-len(chosen) // PAGE))
    page = max(1, min(page, pages))
    now = engine.now_ms()
    by_record = sort in ("name", "account", "region")
    if by_record:  # sort and page first: only the page's queues are counted
        chosen.sort(key=lambda q: (getattr(q, sort), q.name), reverse=descending)
        chosen = chosen[(page - 1) * PAGE : page * PAGE]
    rows = [await _row(engine, q, dead_letters, now) for q in chosen]
    if not by_record:
        rows.sort(key=_key(sort), reverse=descending)
        rows = rows[(page - 1) * PAGE : page * PAGE]
    return Overview(rows, total, page, pages)
