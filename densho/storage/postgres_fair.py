"""Fair queues on the PostgreSQL store: which rows a receive of a standard queue claims when its
messages carry MessageGroupId.

Owns: the reads behind the choice (``pick``), on PostgreSQL. The rule itself — water-filling
across tenants, noisy tenants last, the cursor that goes round the groups — and its pure parts
(``Picked``, ``Tenant``, ``tenant_shares``, the constants: ``fair``) are shared, documented in
``sqlite_fair``; this module only runs the same reads asynchronously.
Must not know: the transaction around it, receipt handles, the dead-letter move (the store claims
and moves what ``pick`` names — with ``FOR UPDATE SKIP LOCKED``, so a row another node claimed
between the pick and the claim is simply not delivered here); HTTP; AWS errors.
"""

from __future__ import annotations

import heapq
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
from densho.storage.postgres_sql import Conn, compile_all

_Q = compile_all(sql.queries("pg_queries.sql"))


async def has_groups(c: Conn, queue_id: int) -> bool:
    """Whether the standard queue holds any message with a group (one index seek)."""
    return await c.fetchrow(_Q["fair_probe"], {"queue_id": queue_id}) is not None


async def pick(
    c: Conn,
    args: dict[str, Any],
    need: int,
    max_receive_count: int | None,
    cursor: str,
    exclude: set[int],
) -> Picked:
    """As ``sqlite_fair.pick``: up to ``need`` visible rows across tenants, fairly."""
    groups, wrap, last_seen = await _groups(c, {**args, "need": need}, cursor)
    out = Picked(cursor=cursor, grouped=bool(groups))
    spare = SPARE if max_receive_count is not None else 1
    window = [
        tuple(row)
        for row in await c.fetch(_Q["fair_window"], {**args, "window": need + spare})
        if row[0] not in exclude
    ]
    ungrouped: list[Head] = [
        (h[0], h[1], h[2])
        for h in await c.fetch(
            _Q["fair_group_heads"], {**args, "group_id": "", "limit": need + spare}
        )
        if h[0] not in exclude
    ]
    ungrouped.extend((seq, vis, count) for seq, vis, count, group in window if group is None)
    ungrouped.sort(key=lambda h: (h[1], h[0]))

    tenants = tenants_in_order(groups, wrap, ungrouped)
    shares = tenant_shares(tenants, need)
    heap = [(t.level, i) for i, t in enumerate(tenants)]
    heapq.heapify(heap)
    last_served = -1
    for _ in range(need + len(tenants)):
        if len(out.chosen) >= need or not heap:
            break
        level, i = heapq.heappop(heap)
        tenant = tenants[i]
        heads = await _heads(c, args, tenant, max(shares[i], 1) + spare, need + spare, exclude)
        while heads and max_receive_count is not None and heads[0][2] >= max_receive_count:
            out.spent.append(heads.popleft()[0])
            if not heads:
                heads = await _heads(c, args, tenant, 0, need + spare, exclude)
        if not heads:
            continue
        out.chosen.append(heads.popleft()[0])
        if tenant.group_id is not None:
            last_served = max(last_served, i)
        heapq.heappush(heap, (level + 1, i))
    if last_served >= 0:
        out.cursor = str(tenants[last_served].group_id)
    elif last_seen:
        out.cursor = last_seen

    if not out.chosen and not out.spent:
        oldest_first(out, window, need, max_receive_count)
    return out


async def _heads(
    c: Conn,
    args: dict[str, Any],
    tenant: Tenant,
    first: int,
    then: int,
    exclude: set[int],
) -> deque[Head]:
    if tenant.heads is None:
        skip, limit = 0, first
    elif tenant.heads or not tenant.more:
        return tenant.heads
    else:
        skip, limit = tenant.read, tenant.read + then
    rows = await c.fetch(
        _Q["fair_group_heads"], {**args, "group_id": tenant.group_id, "limit": limit}
    )
    tenant.more = tenant.heads is None and len(rows) == limit
    tenant.read = len(rows)
    tenant.heads = deque((h[0], h[1], h[2]) for h in rows[skip:] if h[0] not in exclude)
    return tenant.heads


async def _groups(
    c: Conn, args: dict[str, Any], cursor: str
) -> tuple[list[tuple[str, int, int]], int, str]:
    scan = {**args, "cap": IN_FLIGHT_CAP}
    rows = await c.fetch(_Q["fair_groups"], {**scan, "after": cursor, "max_groups": MAX_GROUPS})
    groups = [(r[0], r[1], r[2]) for r in rows]
    if len(groups) == MAX_GROUPS:
        return groups, MAX_GROUPS, groups[-1][0]
    wrap = len(groups)
    if not cursor:
        return groups, wrap, ""
    room = MAX_GROUPS - wrap
    rows = await c.fetch(_Q["fair_groups"], {**scan, "after": "", "max_groups": room})
    before = [(r[0], r[1], r[2]) for r in rows if r[0] <= cursor]
    groups.extend(before)
    return groups, wrap, before[-1][0] if len(before) == room else ""
