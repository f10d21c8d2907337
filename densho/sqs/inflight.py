"""The limit on messages in flight (received, not yet deleted) per queue, as AWS states it.

AWS (Amazon SQS developer guide, "Amazon SQS standard queue quotas" and "Amazon SQS FIFO queue
quotas"): a standard queue holds at most about 120,000 messages in flight; at the limit a short
poll answers OverLimit, a long poll answers no error. A FIFO queue holds at most 120,000, and at
the limit SQS returns no error (a receive then gets nothing more). The guide does not say what a
receive that would cross the limit part-way gets: densho delivers up to the limit.

Owns: that rule (``allowance``, pure) and ``InFlightLimit``, which keeps a per-queue estimate of
the room left so that most receives need no store read: the store is asked (a row count read from
``queue_counts``; the rows in flight are counted only when the queue holds enough to reach the
limit) when the estimate is older than ``REFRESH_MS``, too small for the receive, or spent
while it came from a row count (which bounds the rows in flight however many are received).
Receives on this node take from the estimate, its deletes and visibility changes to 0 give back;
expired visibility timeouts and other nodes' receives and deletes are seen at the next refresh,
so several nodes may pass the limit by what they receive within ``REFRESH_MS``, and room freed
elsewhere may wait as long — AWS's limit is approximate too.
Must not know: HTTP, botocore, wire shapes, SQL.
"""

from __future__ import annotations

from densho.core import errors
from densho.storage.base import Store

AWS_LIMIT = 120_000  # messages in flight per queue, standard and FIFO alike
REFRESH_MS = 1000
MAX_KNOWN = 10_000  # queues with an estimate before stale ones are dropped


def allowance(limit: int, in_flight: int, wanted: int, *, fifo: bool, short_poll: bool) -> int:
    """How many messages a receive of ``wanted`` may claim with ``in_flight`` in flight (0: none,
    answered as an empty receive). A short poll of a standard queue at the limit is refused."""
    room = limit - in_flight
    if room > 0:
        return min(wanted, room)
    if short_poll and not fifo:
        raise errors.TooManyInFlight(limit)
    return 0


class InFlightLimit:
    def __init__(self, store: Store, limit: int) -> None:
        self.limit = limit
        self._store = store
        # Queue id -> (room estimate, read at ms, whether the read was the queue's row count).
        # A row count bounds what is in flight however many of those rows are received since:
        # an estimate from one that runs out is read again, not taken for the limit.
        self._room: dict[int, tuple[int, int, bool]] = {}
        # Room reserved by receives whose claim has not committed yet: a store read does not
        # see them, and concurrent receives must not all spend the same room.
        self._pending: dict[int, int] = {}
        # Per queue, everything ever reserved less what receives gave back unused when they
        # settled: its change during a store read is what the receives meanwhile claimed or still
        # hold.
        self._reserved: dict[int, int] = {}

    def known(self, queue_id: int, now_ms: int, wanted: int) -> int | None:
        """What ``count`` answers when its estimate is recent enough, else None (then await
        ``count``): most receives, without a coroutine."""
        known = self._room.get(queue_id)
        if known is None or now_ms - known[1] >= REFRESH_MS or 0 < known[0] < wanted:
            return None
        if known[0] <= 0 and known[2]:
            return None
        return self.limit - known[0]

    async def count(self, queue_id: int, now_ms: int, wanted: int) -> int:
        """The queue's messages in flight, or an upper bound that leaves room for ``wanted``.
        A recent estimate is taken as it is unless it leaves some room but less than ``wanted``:
        at the limit, counting the rows in flight (about 18 ms at 120,000, on SQLite's one
        writer) for every short poll refused or every long poll woken would let a client in a
        loop stall the store."""
        estimate = self.known(queue_id, now_ms, wanted)
        if estimate is not None:
            return estimate
        # The read sees claims committed before its snapshot. Those of reservations pending when
        # it starts are added (counted twice if they committed first: never too few), and so is
        # what receives reserved while it ran, less what they gave back unused (another receive's
        # claim may commit and settle meanwhile, after the snapshot): a read of 120,000 rows
        # takes ~15 ms on PostgreSQL.
        pending, before = self._pending.get(queue_id, 0), self._reserved.get(queue_id, 0)
        # Below limit - wanted rows the store answers its row count (no counting): room enough,
        # and a bound that receives of those rows, before or during the read, do not raise.
        in_flight, rows = await self._store.in_flight(queue_id, now_ms, self.limit - wanted)
        if not rows:
            in_flight += max(0, pending + self._reserved.get(queue_id, 0) - before)
        if len(self._room) >= MAX_KNOWN:  # queues come and go: keep only recent estimates
            self._room = {q: r for q, r in self._room.items() if now_ms - r[1] < REFRESH_MS}
            self._reserved = {q: n for q, n in self._reserved.items() if q in self._room}
        self._room[queue_id] = (self.limit - in_flight, now_ms, rows)
        return in_flight

    def reserve(self, queue_id: int, count: int) -> None:
        """A receive on this node is about to claim up to ``count`` messages of the queue
        (called with no await since ``count`` answered, so no other receive spends them)."""
        self._pending[queue_id] = self._pending.get(queue_id, 0) + count
        self._reserved[queue_id] = self._reserved.get(queue_id, 0) + count
        known = self._room.get(queue_id)
        if known is not None:
            self._room[queue_id] = (known[0] - count, known[1], known[2])

    def settle(self, queue_id: int, reserved: int, claimed: int) -> None:
        """The receive that reserved ``reserved`` claimed ``claimed`` (0 if it failed)."""
        left = self._pending.get(queue_id, 0) - reserved
        if left > 0:
            self._pending[queue_id] = left
        else:
            self._pending.pop(queue_id, None)
        if queue_id in self._reserved:
            self._reserved[queue_id] -= reserved - claimed
        self.freed(queue_id, reserved - claimed)

    def full(self, queue_id: int) -> bool:
        """Whether the estimate says the queue has no room left (long polls wait for some)."""
        known = self._room.get(queue_id)
        return known is not None and known[0] <= 0 and not known[2]

    def freed(self, queue_id: int, count: int) -> None:
        """This node deleted ``count`` messages of the queue, or made them visible again. (A
        deleted message may have been visible again already: the estimate may err high by
        those, until the next refresh.)"""
        known = self._room.get(queue_id)
        if known is not None and count:
            self._room[queue_id] = (known[0] + count, known[1], known[2])

    def forget(self, queue_id: int) -> None:
        """The queue was deleted (or changed on another node): read it afresh."""
        self._room.pop(queue_id, None)
        self._reserved.pop(queue_id, None)
