"""The pure rules of fair queues, shared by both stores (``sqlite_fair``, ``postgres_fair``).

Owns: the constants, the tenant record and the decisions that need no database (shares, the
tenants' cyclic order, the oldest-first fallback); ``sqlite_fair`` documents the rule.
Must not know: a database driver; the transaction around a pick; HTTP; AWS errors.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field
from typing import Any

NOISY_IN_FLIGHT = 30  # AWS: a noisy tenant has at least 30 of its own messages in flight


IN_FLIGHT_CAP = 300  # count a group's messages in flight up to this; beyond, it is just noisy


MAX_GROUPS = 64  # groups looked at per receive


SPARE = 10  # extra rows read per tenant, for rows that go to the dead-letter queue instead


Head = tuple[int, int, int]  # (seq, visible_ms, receive_count)


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
    heads: deque[Head] | None = None  # its next visible rows, oldest first; None until read
    read: int = 0  # rows read so far
    more: bool = True  # rows beyond those read may be visible (and may be read)


def tenant_shares(tenants: list[Tenant], need: int) -> list[int]:
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


def tenants_in_order(
    groups: list[tuple[str, int, int]], wrap: int, ungrouped: list[Head]
) -> list[Tenant]:
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


def oldest_first(
    out: Picked, window: list[tuple[Any, ...]], need: int, max_receive_count: int | None
) -> None:
    """The groups looked at have nothing visible (more groups than MAX_GROUPS): take ``window``
    (the queue's oldest visible rows: seq, visible_ms, receive_count, group) oldest first."""
    for seq, _, count, _ in window:
        if max_receive_count is not None and count >= max_receive_count:
            out.spent.append(seq)
        elif len(out.chosen) < need:
            out.chosen.append(seq)
