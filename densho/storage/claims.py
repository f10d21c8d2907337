"""Receive claims, written once for both backends: which rows a ReceiveMessage takes in its one
transaction, and the dead-letter moves made in it.

Owns: the plain claim (oldest visible first, one statement), the claim under redrive (rows
received maxReceiveCount times move to the dead-letter queue instead), FIFO (the groups whose
head is visible, in the order of their heads; from each, its visible messages up to the first
that is not; ReceiveRequestAttemptId) and the claim of what ``fair.pick`` chooses on fair
queues.
Must not know: receipt handles, the engine, a database driver.

Several nodes (a ``shared`` store): the SQL claims with ``FOR UPDATE SKIP LOCKED``
(``pg_queries.sql``), so concurrent receivers never get the same row nor wait for each other;
a FIFO receive looks at a group only under its transaction-scoped advisory lock
(``lock_fifo_group``) and passes over a group another receiver holds.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from densho.core.store import Claim
from densho.storage import fair
from densho.storage.tx import Row, Tx

# Standard queues: extra visible rows a claim looks at (oldest visible first) to deliver the
# ones sent first among them (queries.sql "claim").
CLAIM_WINDOW_EXTRA = 10

Got = tuple[list[Row], int | None, int]  # rows claimed; earliest future visible_at; rows moved


def claim_args(claim: Claim) -> dict[str, Any]:
    return {
        "queue_id": claim.queue_id,
        "now": claim.now_ms,
        "limit": claim.limit,
        "window": claim.limit + CLAIM_WINDOW_EXTRA,
        "visible_until": claim.visible_until_ms,
        "cutoff": claim.retention_cutoff_ms,
        "nonce": claim.nonce,
        "target": claim.dead_letter_queue_id,
    }


async def plain(tx: Tx, args: dict[str, Any]) -> Got:
    """Of the oldest visible rows, those sent first, in one statement. Without any, the
    earliest future visible_at: PostgreSQL's claim answers it in the same statement (one row
    of NULLs but its last column, pg_queries.sql; a round trip less), SQLite's none."""
    rows = await tx.fetchall("claim", args)
    if not rows:
        return rows, await tx.fetchval("next_visible", args), 0
    return next_visible_in(rows)


def next_visible_in(rows: list[Row]) -> Got:
    """A PostgreSQL claim's answer (``claim``, ``receive_fifo``): the rows claimed, or the one
    row saying none was, whose last column is the earliest future visible_at."""
    if rows[0][0] is None:
        return [], rows[0][-1], 0
    return rows, None, 0


async def redriving(tx: Tx, args: dict[str, Any], max_receive_count: int) -> Got:
    moved = 0
    # Each round either claims or moves every candidate, so the candidates shrink; bounded
    # anyway, because a receive must answer.
    for _ in range(100):
        candidates = await tx.fetchall("claim_candidates", args)
        if not candidates:
            break
        spent = [seq for seq, count in candidates if count >= max_receive_count]
        fresh = [seq for seq, count in candidates if count < max_receive_count]
        if spent:
            moved += await _move(tx, args, spent)
        if fresh:
            return await _claim_rows(tx, "claim_rows", args, fresh), None, moved
    return [], await tx.fetchval("next_visible", args), moved


async def standard(tx: Tx, args: dict[str, Any], claim: Claim, hints: fair.GroupHints) -> Got:
    """A standard queue that holds message groups, or may: the fair claim, else the plain."""
    queue_id = claim.queue_id
    if hints.grouped.get(queue_id) is None:
        hints.set(queue_id, await fair.has_groups(tx, queue_id))
    if hints.grouped[queue_id]:
        got = await _fair(tx, args, claim, hints)
        if got is not None:
            return got
        hints.set(queue_id, False)
    if claim.dead_letter_queue_id is None:
        return await plain(tx, args)
    return await redriving(tx, args, claim.max_receive_count)


async def _fair(tx: Tx, args: dict[str, Any], claim: Claim, hints: fair.GroupHints) -> Got | None:
    """Claim what ``fair.pick`` chooses; None when the queue holds no message group (any more)."""
    rows: list[Row] = []
    claimed: set[int] = set()
    moved = 0
    redrive = claim.dead_letter_queue_id is not None
    cursor = hints.cursor.get(claim.queue_id, "")
    # Each round claims or moves what it picked; another round only after moves, because they
    # may have kept a tenant from its share. Bounded, because a receive must answer.
    for round_no in range(10):
        picked = await fair.pick(
            tx,
            args,
            claim.limit - len(rows),
            claim.max_receive_count if redrive else None,
            cursor,
            claimed,
        )
        if round_no == 0:
            if not picked.grouped:
                return None
            hints.cursor[claim.queue_id] = picked.cursor
        if picked.spent:
            moved += await _move(tx, args, picked.spent)
        if picked.chosen:
            claimed.update(picked.chosen)
            rows.extend(await _claim_rows(tx, "claim_rows", args, picked.chosen))
        if len(rows) >= claim.limit or not picked.spent:
            break
    if rows:
        return rows, None, moved
    return rows, await tx.fetchval("next_visible", args), moved


async def fifo(tx: Tx, args: dict[str, Any], claim: Claim, shared: bool) -> Got:
    """From each ready group's head, the messages that are visible now, up to the first that is
    not; groups in the order of their heads (``_ready_groups``).

    AWS: a group is ready when its head is visible (never received, or back from flight by its
    own timeout or ChangeMessageVisibility), whatever its later messages are doing; "groups
    that have waited longest come first". Heads received maxReceiveCount times go to the
    dead-letter queue first.
    """
    if claim.attempt_id is not None:
        found = await tx.fetchone("find_attempt", {**args, "attempt_id": claim.attempt_id})
        if found is not None:  # a retry: the same messages and receipt handles again
            seqs = tx.from_array(found[1])
            again = {**args, "nonce": found[0], "seqs": tx.array(seqs)}
            return _in_order(await tx.fetchall("redeliver", again), seqs), None, 0
    chosen: list[int] = []
    seen: set[str] = set()
    moved = 0
    async with aclosing(_ready_groups(tx, args, seen, claim.limit)) as ready:
        async for group in ready:
            lock = {"queue_id": claim.queue_id, "group_id": group}
            if shared and not await tx.fetchval("lock_fifo_group", lock):
                continue  # another receiver is delivering from this group right now
            take, spent = await _walk_group(tx, args, claim, group, claim.limit - len(chosen))
            chosen.extend(take)
            if spent:
                moved += await _move(tx, args, spent)
            if len(chosen) >= claim.limit:
                break
    if not chosen:
        return [], await tx.fetchval("next_visible", args), moved
    # Several nodes: the group is held (its lock), so these rows are claimed, never skipped,
    # which would deliver a group out of order (claim_fifo_rows, not claim_rows' SKIP LOCKED).
    name = "claim_fifo_rows" if shared else "claim_rows"
    rows = _in_order(await _claim_rows(tx, name, args, chosen), chosen)
    if claim.attempt_id is not None:
        attempt = {
            **args,
            "attempt_id": claim.attempt_id,
            "seqs": tx.array([row[0] for row in rows]),
            "expires": claim.now_ms + claim.attempt_window_ms,
        }
        await tx.execute("remember_attempt", attempt)
    return rows, None, moved


FIFO_WALK = 1024  # visible rows the first look may read before the skip-scan of groups
FIFO_SCANS = 8  # skip-scans per receive (each after groups another receiver holds); bounded


async def _ready_groups(
    tx: Tx, args: dict[str, Any], seen: set[str], want: int
) -> AsyncGenerator[str, None]:
    """The groups whose head is visible, in the order of their heads (visible_ms, seq), each
    once (``seen`` collects them); ``want`` of them are usually enough.

    Index-driven, never a read of the backlog: first the oldest visible rows, in order, each
    checked for being its group's head by one seek, until the first head is found, then (if
    more are needed) until ``want`` heads are, at most ``FIFO_WALK`` rows each time; when most
    visible rows are heads this ends after a few rows. When it
    found fewer and did not cover every visible row (visible rows mostly behind heads in
    flight: a deep backlog of few groups), a skip-scan of the groups' heads, which costs the
    number of groups. Heads are a subsequence of the visible rows in visibility order, so the
    first look's heads come first.
    """
    look = {**args, "budget": FIFO_WALK}
    walked: list[Row] = []
    # The first head alone first: one group's backlog often fills the whole receive.
    for asked in dict.fromkeys((1, want)):
        walked = await tx.fetchall("fifo_walk_heads", {**look, "want": asked})
        for _, _, group in sorted(walked, key=lambda row: (row[1], row[0])):
            if group not in seen:
                seen.add(group)
                yield group
        if len(walked) < asked:
            break  # no more heads among the rows the walk may read
    if len(walked) < want and await tx.fetchval("fifo_visible_upto", look) < FIFO_WALK:
        return  # every visible row was looked at
    for _ in range(FIFO_SCANS):
        limit = len(seen) + 64
        ready = await tx.fetchall("fifo_ready_groups", {**args, "limit": limit})
        fresh = [group for _, _, group in ready if group not in seen]
        for group in fresh:
            seen.add(group)
            yield group
        if not fresh or len(ready) < limit:
            return


async def _walk_group(
    tx: Tx, args: dict[str, Any], claim: Claim, group: str, need: int
) -> tuple[list[int], list[int]]:
    """(rows to deliver, rows to dead-letter) of one ready FIFO group, in order: from the head,
    the visible rows up to the first one that is not (in flight or delayed), so the group's
    order holds. AWS: "up to the first message still in flight"."""
    take: list[int] = []
    spent: list[int] = []
    after = -1
    redrive = claim.dead_letter_queue_id is not None
    for _ in range(1000):  # pages of the group; bounded
        page = await tx.fetchall(
            "group_head", {**args, "group_id": group, "after": after, "limit": need + 10}
        )
        for seq, visible_ms, receive_count in page:
            after = seq
            if visible_ms > claim.now_ms or len(take) >= need:
                return take, spent
            if redrive and receive_count >= claim.max_receive_count:
                spent.append(seq)
            else:
                take.append(seq)
        if len(page) < need + 10:
            break
    return take, spent


async def _move(tx: Tx, args: dict[str, Any], seqs: list[int]) -> int:
    """Move rows to the dead-letter queue (``args["target"]``); how many."""
    moved = 0
    for seq in seqs:  # a statement per row: each gets a new row id (a rare path)
        moved += await tx.execute("move_to_queue", {**args, "seq": seq})
    tx.count(args["queue_id"], -moved)
    tx.count(args["target"], moved)
    tx.wake(args["target"], len(seqs))
    return len(seqs)


async def _claim_rows(tx: Tx, name: str, args: dict[str, Any], seqs: list[int]) -> list[Row]:
    return await tx.fetchall(name, {**args, "seqs": tx.array(seqs)})


def _in_order(rows: list[Row], seqs: list[int]) -> list[Row]:
    order = {seq: i for i, seq in enumerate(seqs)}
    return sorted(rows, key=lambda row: order[row[0]])
