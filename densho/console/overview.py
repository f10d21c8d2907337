"""The queue list's rows: every queue a viewer may see, with its depth and markers.

Owns: which queues a viewer sees (one account, or all with authentication off), filtering by
name, sorting, paging, and the per-queue figures (Approximate* counts, age of the oldest
message).
Must not know: HTTP, templates, the wire.

Cost: the figures of every queue come from one grouped read of the store
(``Store.queue_overview``, the one the metrics' gauges use), run off the event loop: a page
view never counts a queue's messages on the loop, however deep the queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from densho.core.sqs_model import Queue, QueueOverview
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


def _row(queue: Queue, figures: QueueOverview | None, dead_letters: set[str]) -> QueueRow:
    """``figures``: None for a queue made after they were read (shown empty)."""
    oldest = None if figures is None else figures.oldest_sent_ms
    return QueueRow(
        queue,
        0 if figures is None else figures.visible,
        0 if figures is None else figures.not_visible,
        0 if figures is None else figures.delayed,
        None if figures is None or oldest is None else max(0, (figures.now_ms - oldest) // 1000),
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
    by_record = sort in ("name", "account", "region")
    if by_record:  # sort and page first
        chosen.sort(key=lambda q: (getattr(q, sort), q.name), reverse=descending)
        chosen = chosen[(page - 1) * PAGE : page * PAGE]
    figures = {o.queue.id: o for o in await engine.browse.overview()} if chosen else {}
    rows = [_row(q, figures.get(q.id), dead_letters) for q in chosen]
    if not by_record:
        rows.sort(key=_key(sort), reverse=descending)
        rows = rows[(page - 1) * PAGE : page * PAGE]
    return Overview(rows, total, page, pages)
