"""Fair queues on the embedded SQLite store: which rows a receive of a standard queue claims
when its messages carry MessageGroupId.

AWS (July 2025; Developer Guide "Amazon SQS fair queues", "How Amazon SQS fair queues work"): on
a standard queue MessageGroupId names a *tenant*; a message without one is a tenant of its own.
When a tenant floods the queue or holds much of the consumers' capacity (AWS: more than 10% of
the messages in flight and at least 30 of its own, or more than 10% of recent processing time),
SQS delivers the other, quiet tenants' messages first; the noisy tenant's still come whenever no
quiet one waits, and among noisy tenants the one with the fewest in flight comes first. The aim
is in-flight messages spread evenly across tenants. Nothing else changes: no ordering, no group
locking, standard throughput.

Owns: the choice of up to N visible rows across tenants (``pick``).
Must not know: the transaction around it, receipt handles, the dead-letter move (``SqliteStore``
claims and moves what ``pick`` names); HTTP; AWS errors.

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
import sqlite3
from collections import deque
from typing import Any

from densho.storage import sql
from densho.storage.fair import (
    IN_FLIGHT_CAP,
    MAX_GROUPS,
    SPARE,
    Head,
    Picked,
    Tenant,
    oldest_first,
    tenant_shares,
    tenants_in_order,
)

_Q = sql.queries()


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
    groups, wrap, last_seen = _groups(conn, {**args, "need": need}, cursor)
    out = Picked(cursor=cursor, grouped=bool(groups))
    spare = SPARE if max_receive_count is not None else 1  # for spent rows; expired ones
    window = [
        row
        for row in conn.execute(_Q["fair_window"], {**args, "window": need + spare})
        if row[0] not in exclude
    ]
    ungrouped = [
        h
        for h in conn.execute(
            _Q["fair_group_heads"], {**args, "group_id": "", "limit": need + spare}
        )
        if h[0] not in exclude
    ]
    ungrouped.extend((seq, vis, count) for seq, vis, count, group in window if group is None)
    ungrouped.sort(key=lambda h: (h[1], h[0]))

    # The tenants with something visible, in cyclic order from the cursor: the order breaks ties.
    tenants = tenants_in_order(groups, wrap, ungrouped)
    # First by the counts alone, to read no more of each tenant than its share; then for real,
    # where rows that are spent, expired or excluded leave the place to the next in line.
    shares = tenant_shares(tenants, need)
    heap = [(t.level, i) for i, t in enumerate(tenants)]
    heapq.heapify(heap)
    last_served = -1
    # Each step delivers one row or drops one tenant: bounded by need + tenants.
    for _ in range(need + len(tenants)):
        if len(out.chosen) >= need or not heap:
            break
        level, i = heapq.heappop(heap)
        tenant = tenants[i]
        heads = _heads(conn, args, tenant, max(shares[i], 1) + spare, need + spare, exclude)
        while heads and max_receive_count is not None and heads[0][2] >= max_receive_count:
            out.spent.append(heads.popleft()[0])
            if not heads:
                heads = _heads(conn, args, tenant, 0, need + spare, exclude)
        if not heads:
            continue  # nothing (left) to deliver; spent rows beyond this page wait a round
        out.chosen.append(heads.popleft()[0])
        if tenant.group_id is not None:
            last_served = max(last_served, i)
        heapq.heappush(heap, (level + 1, i))
    if last_served >= 0:
        out.cursor = str(tenants[last_served].group_id)
    elif last_seen:
        out.cursor = last_seen  # more groups than one look: the next receive looks further

    if not out.chosen and not out.spent:
        # The groups looked at have nothing visible (more groups than MAX_GROUPS): oldest first.
        oldest_first(out, window, need, max_receive_count)
    return out


def _heads(
    conn: sqlite3.Connection,
    args: dict[str, Any],
    tenant: Tenant,
    first: int,
    then: int,
    exclude: set[int],
) -> deque[Head]:
    """The tenant's next visible rows: ``first`` of them on first use; when those are used up,
    ``then`` more, once. (Nothing is claimed before ``pick`` returns, so a second read returns
    the rows of the first again, in the same order, before the new ones.)"""
    if tenant.heads is None:
        skip, limit = 0, first
    elif tenant.heads or not tenant.more:
        return tenant.heads
    else:
        skip, limit = tenant.read, tenant.read + then
    rows = conn.execute(
        _Q["fair_group_heads"], {**args, "group_id": tenant.group_id, "limit": limit}
    ).fetchall()
    tenant.more = tenant.heads is None and len(rows) == limit
    tenant.read = len(rows)
    tenant.heads = deque(h for h in rows[skip:] if h[0] not in exclude)
    return tenant.heads


def _groups(
    conn: sqlite3.Connection, args: dict[str, Any], cursor: str
) -> tuple[list[tuple[str, int, int]], int, str]:
    """Up to MAX_GROUPS groups (id, visible, in flight) in cyclic order after ``cursor``; how
    many come before the order wraps; the last one looked at, unless all were."""
    scan = {**args, "cap": IN_FLIGHT_CAP}
    rows = conn.execute(_Q["fair_groups"], {**scan, "after": cursor, "max_groups": MAX_GROUPS})
    groups: list[tuple[str, int, int]] = rows.fetchall()
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
