"""Fair queues: which rows a receive of a standard queue claims when its messages carry
MessageGroupId, on either backend.

AWS (July 2025; Developer Guide "Amazon SQS fair queues", "How Amazon SQS fair queues work"): on
a standard queue MessageGroupId names a *tenant*; a message without one is a tenant of its own.
When a tenant floods the queue or holds much of the consumers' capacity (AWS: more than 10% of
the messages in flight and at least 30 of its own, or more than 10% of recent processing time),
SQS delivers the other, quiet tenants' messages first; the noisy tenant's still come whenever no
quiet one waits, and among noisy tenants the one with the fewest in flight comes first. The aim
is in-flight messages spread evenly across tenants. Nothing else changes: no ordering, no group
locking, standard throughput.

Owns: the choice of up to N visible rows across tenants (``pick``), and what a store remembers
of its queues to schedule them (``GroupHints``: which hold message groups, where the scan
resumes).
Must not know: the transaction around a pick, receipt handles, the dead-letter move (``claims``
claims and moves what ``pick`` names — on PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so a row
another node claimed between the pick and the claim is simply not delivered here); HTTP; AWS
errors.

The rule, per receive ("water-filling"): each tenant with a visible message has a *level*; the
next message goes to the tenant with the lowest level, which then rises by one; ties go round
the tenants in cyclic order (group ids; the ungrouped tenant where the order wraps), starting
after the last group the previous receive served. Within a tenant, oldest first.

- A group's level starts at its messages in flight beyond ``NOISY_IN_FLIGHT`` (AWS's 30; counted
  up to ``IN_FLIGHT_CAP``). Below that line groups are quiet, and each receive is shared evenly
  among the tenants with visible messages, so a quiet group is never stuck behind a flood, even
  at test scale; above it a group is noisy, and the more it holds, the later it comes.
- The resumption point stands in for AWS's "recent processing time": consumers that delete at
  once leave nothing in flight, yet the tenants served last wait for the others' turn.
- Messages without a group form one tenant, always at level 0: AWS never finds them noisy (each
  is a tenant of its own), but pooling them keeps one receive from going all to them while
  groups wait.
- Rows at maxReceiveCount are returned as ``spent`` (the store moves them to the dead-letter
  queue in the same transaction) and take no share.

Finding tenants without reading backlogs: the partial index ``messages_fair`` (queue_id,
group_id, visible_ms, receive_count) over grouped rows of standard queues. One recursive
statement skip-scans distinct groups (one index seek each) and counts, per group, its visible
messages (up to N) and its messages in flight from the index alone; shares are worked out from
those counts, then each served group's first rows are one short range read. At most
``MAX_GROUPS`` groups are looked at per receive, from the resumption point on, so a queue with
thousands of tenants costs the same per receive and every group gets its turn. Why derive all
this from the messages rather than keep a table of active groups current at send and delete:
visibility timeouts end without any write, and sends, deletes, purges, retention, redrive and
move tasks would all have to maintain it; the index is always right, and the plain path (sends
and deletes of ungrouped messages) pays nothing.

Ungrouped messages on a fair queue are stored with group_id '' (never a valid group id; read
back as no group) while the store knows the queue holds groups, so they are in the same index
and a grouped backlog cannot hide them. Ungrouped rows stored before that (group_id NULL, older
than the groups' messages as a rule) are found among the oldest visible rows of the queue, read
on every fair receive; those rows are also the fallback when the groups looked at have nothing
visible, so a receive never comes back empty while a message is visible.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from densho.storage.tx import Row, Tx

NOISY_IN_FLIGHT = 30  # AWS: a noisy tenant has at least 30 of its own messages in flight
IN_FLIGHT_CAP = 300  # count a group's messages in flight up to this; beyond, it is just noisy
MAX_GROUPS = 64  # groups looked at per receive
SPARE = 10  # extra rows read per tenant, for rows that go to the dead-letter queue instead


class GroupHints:
    """Per standard queue, whether it holds message groups — False keeps its receives on the
    one-statement claim; missing means "look" (one index seek) — and where its fair scan resumes.
    Only a hint for scheduling: a stale value changes which messages come first, never whether a
    message is delivered. Set by sends with a group, dropped where rows move in. With several
    nodes (``recheck_s``), another node's first grouped send is not told to this one, so "no
    groups" is believed for ``recheck_s`` only."""

    def __init__(self, recheck_s: float | None = None) -> None:
        self.grouped: dict[int, bool] = {}
        self.cursor: dict[int, str] = {}  # per fair queue: where the group scan resumes
        self._recheck_s = recheck_s
        self._ungrouped_at: dict[int, float] = {}  # when "no groups" was last decided

    def set(self, queue_id: int, grouped: bool) -> None:
        self.grouped[queue_id] = grouped
        if not grouped and self._recheck_s is not None:
            self._ungrouped_at[queue_id] = time.monotonic()

    def plain(self, queue_id: int) -> bool:
        """Whether the queue is known to hold no message group: the one-statement claim will do."""
        if self.grouped.get(queue_id) is not False:
            return False
        if self._recheck_s is None:
            return True
        if time.monotonic() - self._ungrouped_at.get(queue_id, 0.0) < self._recheck_s:
            return True
        del self.grouped[queue_id]  # look again
        return False

    def forget(self, queue_id: int) -> None:
        """Rows moved into the queue: it may hold groups now."""
        self.grouped.pop(queue_id, None)

    def drop(self, queue_id: int) -> None:
        """The queue is gone."""
        self.forget(queue_id)
        self.cursor.pop(queue_id, None)
        self._ungrouped_at.pop(queue_id, None)


async def has_groups(tx: Tx, queue_id: int) -> bool:
    """Whether the standard queue holds any message with a group (one index seek)."""
    return await tx.fetchone("fair_probe", {"queue_id": queue_id}) is not None


async def mark_rows(tx: Tx, hints: GroupHints, queue_id: int, rows: list[dict[str, Any]]) -> None:
    """Before standard rows go in: whether the queue is fair is decided now, so no receive that
    ran before can undo it; a fair queue keeps its ungrouped messages in the fair index, as
    group ''."""
    fair = hints.grouped.get(queue_id)
    if any(row["group_id"] is not None for row in rows):
        hints.grouped[queue_id] = True
    elif fair is None or (fair is False and not hints.plain(queue_id)):
        fair = await has_groups(tx, queue_id)
        hints.set(queue_id, fair)
    if fair:
        for row in rows:
            if row["group_id"] is None:
                row["group_id"] = ""


@dataclass(slots=True)
class Picked:
    chosen: list[int] = field(default_factory=list)  # rows to claim, in the order picked
    spent: list[int] = field(default_factory=list)  # rows to move to the dead-letter queue
    cursor: str = ""  # the next receive goes round the groups after this one
    grouped: bool = False  # whether the queue holds any message group at all


@dataclass(slots=True)
class Tenant:
    group_id: str | None  # None: the queue's messages without a group
    level: int
    room: int  # visible messages, as far as counted
    heads: deque[Row] | None = None  # its next visible rows, oldest first; None until read
    read: int = 0  # rows read so far
    more: bool = True  # rows beyond those read may be visible (and may be read)


async def pick(
    tx: Tx,
    args: dict[str, Any],
    need: int,
    max_receive_count: int | None,
    cursor: str,
    exclude: set[int],
) -> Picked:
    """Up to ``need`` visible rows across tenants, fairly; ``args`` holds queue_id, now, cutoff.

    ``max_receive_count`` (redrive on) marks rows received that many times as spent. Rows in
    ``exclude`` (claimed earlier in this receive, visible again under a visibility timeout of 0)
    are passed over.
    """
    groups, wrap, last_seen = await _groups(tx, {**args, "need": need}, cursor)
    out = Picked(cursor=cursor, grouped=bool(groups))
    spare = SPARE if max_receive_count is not None else 1  # for spent rows; expired ones
    window = [
        row
        for row in await tx.fetchall("fair_window", {**args, "window": need + spare})
        if row[0] not in exclude
    ]
    heads = {**args, "group_id": "", "limit": need + spare}
    ungrouped = [h for h in await tx.fetchall("fair_group_heads", heads) if h[0] not in exclude]
    ungrouped.extend((seq, vis, count) for seq, vis, count, group in window if group is None)
    ungrouped.sort(key=lambda h: (h[1], h[0]))

    tenants = _tenants_in_order(groups, wrap, ungrouped)
    # First by the counts alone, to read no more of each tenant than its share; then for real,
    # where rows that are spent, expired or excluded leave the place to the next in line.
    shares = _shares(tenants, need)
    heap = [(t.level, i) for i, t in enumerate(tenants)]
    heapq.heapify(heap)
    last_served = -1
    # Each step delivers one row or drops one tenant: bounded by need + tenants.
    for _ in range(need + len(tenants)):
        if len(out.chosen) >= need or not heap:
            break
        level, i = heapq.heappop(heap)
        tenant = tenants[i]
        rows = await _heads(tx, args, tenant, max(shares[i], 1) + spare, need + spare, exclude)
        while rows and max_receive_count is not None and rows[0][2] >= max_receive_count:
            out.spent.append(rows.popleft()[0])
            if not rows:
                rows = await _heads(tx, args, tenant, 0, need + spare, exclude)
        if not rows:
            continue  # nothing (left) to deliver; spent rows beyond this page wait a round
        out.chosen.append(rows.popleft()[0])
        if tenant.group_id is not None:
            last_served = max(last_served, i)
        heapq.heappush(heap, (level + 1, i))
    if last_served >= 0:
        out.cursor = str(tenants[last_served].group_id)
    elif last_seen:
        out.cursor = last_seen  # more groups than one look: the next receive looks further

    if not out.chosen and not out.spent:
        # The groups looked at have nothing visible (more groups than MAX_GROUPS): the queue's
        # oldest visible rows, oldest first.
        for seq, _, count, _ in window:
            if max_receive_count is not None and count >= max_receive_count:
                out.spent.append(seq)
            elif len(out.chosen) < need:
                out.chosen.append(seq)
    return out


def _shares(tenants: list[Tenant], need: int) -> list[int]:
    """How many rows each tenant gets by the rule, from the counts alone."""
    shares = [0] * len(tenants)
    heap = [(t.level, i) for i, t in enumerate(tenants) if t.room > 0]
    heapq.heapify(heap)
    for _ in range(need):
        if not heap:
            break
        level, i = heapq.heappop(heap)
        shares[i] += 1
        if shares[i] < tenants[i].room:
            heapq.heappush(heap, (level + 1, i))
    return shares


def _tenants_in_order(groups: list[Row], wrap: int, ungrouped: list[Row]) -> list[Tenant]:
    """The tenants with something visible, in cyclic order from the cursor: the order breaks
    ties. ``groups`` are (group id, visible, in flight); the ungrouped tenant goes at ``wrap``."""
    tenants: list[Tenant] = []
    for i in range(len(groups) + 1):
        if i == wrap and ungrouped:
            tenants.append(Tenant(None, 0, len(ungrouped), deque(ungrouped), more=False))
        if i < len(groups) and groups[i][1] > 0:
            group_id, visible, in_flight = groups[i]
            tenants.append(Tenant(group_id, max(0, in_flight - NOISY_IN_FLIGHT), visible))
    return tenants


async def _heads(
    tx: Tx, args: dict[str, Any], tenant: Tenant, first: int, then: int, exclude: set[int]
) -> deque[Row]:
    """The tenant's next visible rows: ``first`` of them on first use; when those are used up,
    ``then`` more, once. (Nothing is claimed before ``pick`` returns, so a second read returns
    the rows of the first again, in the same order, before the new ones.)"""
    if tenant.heads is None:
        skip, limit = 0, first
    elif tenant.heads or not tenant.more:
        return tenant.heads
    else:
        skip, limit = tenant.read, tenant.read + then
    rows = await tx.fetchall(
        "fair_group_heads", {**args, "group_id": tenant.group_id, "limit": limit}
    )
    tenant.more = tenant.heads is None and len(rows) == limit
    tenant.read = len(rows)
    tenant.heads = deque(h for h in rows[skip:] if h[0] not in exclude)
    return tenant.heads


async def _groups(tx: Tx, args: dict[str, Any], cursor: str) -> tuple[list[Row], int, str]:
    """Up to MAX_GROUPS groups (id, visible, in flight) in cyclic order after ``cursor``; how
    many come before the order wraps; the last one looked at, unless all were."""
    scan = {**args, "cap": IN_FLIGHT_CAP}
    groups = await tx.fetchall("fair_groups", {**scan, "after": cursor, "max_groups": MAX_GROUPS})
    if len(groups) == MAX_GROUPS:
        return groups, MAX_GROUPS, groups[-1][0]
    wrap = len(groups)
    if not cursor:
        return groups, wrap, ""
    room = MAX_GROUPS - wrap
    rows = await tx.fetchall("fair_groups", {**scan, "after": "", "max_groups": room})
    before = [g for g in rows if g[0] <= cursor]
    groups.extend(before)
    return groups, wrap, before[-1][0] if len(before) == room else ""
