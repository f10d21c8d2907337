"""Fair queues on the embedded SQLite store: which rows a receive of a standard queue claims
when its messages carry MessageGroupId.

AWS (July 2025, "Amazon SQS fair queues" and "How Amazon SQS fair queues work" in the Developer
Guide): on a standard queue MessageGroupId names a *tenant*; each message without one is a tenant
of its own. When one tenant builds a backlog or holds much of the consumers' capacity (AWS: more
than 10% of the messages in flight and at least 30 of its own, or more than 10% of recent
processing time), SQS delivers the other, quiet tenants' messages first; the noisy tenant's
messages still come whenever no quiet one waits, and among noisy tenants the one with the fewest
messages in flight comes first. The aim is an even spread of in-flight messages across tenants.
Nothing else changes: no ordering, no locking of groups, standard throughput.

Owns: the choice of up to N visible rows across tenants (``pick``) and the SQL-side shape of it.
Must not know: the transaction around it, receipt handles, dead-letter moves (``SqliteStore``
claims and moves what ``pick`` names); HTTP; AWS errors.

The rule, per receive ("water-filling"): every tenant with a visible message has a *level*; the
next message goes to the tenant with the lowest level, which then rises by one; ties go round the
tenants in a fixed cyclic order (group ids, the ungrouped tenant where the order wraps), starting
after the last group the previous receive served. Within a tenant, oldest first.

- A group's level starts at its messages in flight beyond ``NOISY_IN_FLIGHT`` (AWS's 30): below
  that every group is quiet and each receive is shared evenly between the tenants that have
  messages (so a quiet group is never stuck behind a flood, even at test scale); above it the
  group is noisy, and the more it holds in flight, the later it comes.
- Messages without a group form one tenant at level 0: AWS never finds them noisy (each is its
  own tenant), but pooling them keeps one receive from being all ungrouped while groups wait.
- The resumption point is the memory that AWS's "recent processing time" gives: consumers that
  delete at once leave nothing in flight, yet the tenants served last wait for the others' turn.
- Messages about to pass maxReceiveCount are named as ``spent`` (the store moves them to the
  dead-letter queue in the same transaction) and take no share.

Finding tenants without reading backlogs: the partial index ``messages_fair`` (queue_id,
group_id, visible_ms, receive_count) over grouped rows of standard queues. One recursive
statement skip-scans distinct groups (one index seek each) and, per group, counts its messages in
flight and finds its oldest visible one from the index alone; a group's first messages are then
one range read. At most ``MAX_GROUPS`` groups are looked at per receive, from the resumption
point on, so a queue with thousands of tenants costs the same per receive and every group gets its
turn. Why derive this from the messages rather than keep a table
of active groups up to date at send and delete: visibility timeouts end without any write, and
sends, deletes, purges, retention, redrive and move tasks would all have to maintain it; the index
is always right, and the plain path (sends and deletes of ungrouped messages) pays nothing.

Ungrouped messages on a fair queue: stored with group_id '' (never a valid group id, read back as
no group) while the queue holds groups, so they are in the same index and a grouped backlog cannot
hide them. Ungrouped rows stored before the queue's first group (group_id NULL, so older than
the groups' messages as a rule) are found among the ``WINDOW`` oldest visible rows of the queue,
which are also the fallback when the groups looked at have nothing visible: a receive never comes
back empty while a message is visible.
"""

from __future__ import annotations

import heapq
import sqlite3
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from densho.storage import sql

_Q = sql.queries()

NOISY_IN_FLIGHT = 30  # AWS: a noisy tenant has at least 30 of its own messages in flight
IN_FLIGHT_CAP = 1000  # count a group's messages in flight up to this; beyond, it is just noisy
MAX_GROUPS = 64  # groups looked at per receive
WINDOW = 30  # oldest visible rows read for older ungrouped rows and as the fallback
SPARE = 10  # extra rows read per tenant, for rows that go to the dead-letter queue instead

Head = tuple[int, int, int]  # (seq, visible_ms, receive_count)


@dataclass(slots=True)
class Picked:
    chosen: list[int] = field(default_factory=list)  # rows to claim, in the order picked
    spent: list[int] = field(default_factory=list)  # rows to move to the dead-letter queue
    cursor: str = ""  # the next receive goes round the groups after this one
    grouped: bool = False  # whether the queue holds any message group at all


@dataclass(slots=True)
class _Tenant:
    group_id: str | None  # None: the queue's messages without a group
    heads: deque[Head] | None  # its first visible rows, oldest first; None until needed


def has_groups(conn: sqlite3.Connection, queue_id: int) -> bool:
    """Whether the standard queue holds any message with a group (one index seek)."""
    return conn.execute(_Q["fair_probe"], {"queue_id": queue_id}).fetchone() is not None


def pick(
    conn: sqlite3.Connection,
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
    groups, wrap, last_seen = _groups(conn, args, cursor)
    out = Picked(cursor=cursor, grouped=bool(groups))
    fetch = need + SPARE
    window: list[tuple[int, int, int, str | None]] = conn.execute(
        _Q["fair_window"], {**args, "window": WINDOW}
    ).fetchall()
    ungrouped = conn.execute(
        _Q["fair_group_heads"], {**args, "group_id": "", "limit": fetch}
    ).fetchall()
    window = [row for row in window if row[0] not in exclude]
    ungrouped.extend((seq, vis, count) for seq, vis, count, group in window if group is None)
    ungrouped = [h for h in ungrouped if h[0] not in exclude]
    ungrouped.sort(key=lambda h: (h[1], h[0]))

    # The tenants with something visible in cyclic order from the cursor; a tenant's index in
    # ``tenants`` breaks ties of level.
    tenants: list[_Tenant] = []
    heap: list[tuple[int, int]] = []  # (level, tenant index)
    for i in range(len(groups) + 1):
        if i == wrap and ungrouped:
            heap.append((0, len(tenants)))
            tenants.append(_Tenant(None, deque(ungrouped[:fetch])))
        if i < len(groups) and groups[i][2] is not None:  # something visible
            heap.append((max(0, groups[i][1] - NOISY_IN_FLIGHT), len(tenants)))
            tenants.append(_Tenant(groups[i][0], None))
    heapq.heapify(heap)
    last_served = -1

    # Each step delivers one row or drops one tenant: bounded by need + tenants.
    for _ in range(need + len(tenants)):
        if len(out.chosen) >= need or not heap:
            break
        level, i = heapq.heappop(heap)
        tenant = tenants[i]
        if tenant.heads is None:
            rows = conn.execute(
                _Q["fair_group_heads"], {**args, "group_id": tenant.group_id, "limit": fetch}
            )
            tenant.heads = deque(h for h in rows if h[0] not in exclude)
        heads = tenant.heads
        while heads and max_receive_count is not None and heads[0][2] >= max_receive_count:
            out.spent.append(heads.popleft()[0])
        if not heads:
            continue  # nothing (left) to deliver; spent rows beyond this page wait a round
        out.chosen.append(heads.popleft()[0])
        if tenant.group_id is not None:
            last_served = max(last_served, i)
        if heads:
            heapq.heappush(heap, (level + 1, i))
    if last_served >= 0:
        out.cursor = str(tenants[last_served].group_id)
    elif last_seen:
        out.cursor = last_seen  # more groups than one look: the next receive looks further

    if not out.chosen and not out.spent:
        # The groups looked at have nothing visible (more groups than MAX_GROUPS): oldest first.
        for seq, _, count, _ in window:
            if max_receive_count is not None and count >= max_receive_count:
                out.spent.append(seq)
            elif len(out.chosen) < need:
                out.chosen.append(seq)
    return out


def _groups(
    conn: sqlite3.Connection, args: dict[str, Any], cursor: str
) -> tuple[list[tuple[str, int, int | None]], int, str]:
    """Up to MAX_GROUPS groups (id, in flight, oldest visible_at) in cyclic order after
    ``cursor``; how many come before the order wraps; the last one looked at, unless all were."""
    scan = {**args, "cap": IN_FLIGHT_CAP}
    rows = conn.execute(_Q["fair_groups"], {**scan, "after": cursor, "max_groups": MAX_GROUPS})
    groups: list[tuple[str, int, int | None]] = rows.fetchall()
    if len(groups) == MAX_GROUPS:
        return groups, MAX_GROUPS, groups[-1][0]
    wrap = len(groups)
    if not cursor:
        return groups, wrap, ""
    room = MAX_GROUPS - wrap
    rows = conn.execute(_Q["fair_groups"], {**scan, "after": "", "max_groups": room})
    before = [g for g in rows.fetchall() if g[0] <= cursor]
    groups.extend(before)
    return groups, wrap, before[-1][0] if len(before) == room else ""
