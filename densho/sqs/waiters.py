"""Long-poll wake-ups: a receive waiting on an empty queue sleeps until told something changed.

Owns: the waiting receives of each queue, in arrival order, and waking as many of them as there
are new messages (one each), not all of them: waking every consumer for every send made each one
run a claim transaction for a single message. A waiter registers *before* it looks at the queue,
so a message committed in between is never missed; a waiter that was woken but leaves with
messages it found on its own passes the wake-up on, so none is lost. No polling loops: the only
timer is the waiter's own deadline (or the earliest known visible_at of a delayed or in-flight
message), waited for through the clock (``Clock.wait``), so advancing a controlled clock ends it.
Must not know: storage, the wire.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Waiters:
    def __init__(self) -> None:
        self._waiting: dict[int, deque[asyncio.Future[None]]] = {}
        self.closing = False  # shutting down: waiting receives return now, new ones do not wait
        self.resets = 0  # how many resets happened: a long poll that saw one answers empty

    def close(self) -> None:
        self.closing = True
        self.notify_all()

    def reset(self) -> None:
        """Every queue was deleted (a reset): waiting receives answer empty now."""
        self.resets += 1
        self.notify_all()

    def register(self, key: int) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, deque()).append(fut)
        return fut

    def forget(self, key: int, fut: asyncio.Future[None]) -> None:
        """The waiter is done with ``fut`` (woken or not)."""
        waiting = self._waiting.get(key)
        if waiting is not None and not fut.done():
            waiting.remove(fut)
            if not waiting:
                del self._waiting[key]

    def notify(self, key: int, count: int = 1) -> None:
        """Wake up to ``count`` waiters of the queue, oldest first."""
        waiting = self._waiting.get(key)
        while waiting and count > 0:
            fut = waiting.popleft()
            if not fut.done():
                fut.set_result(None)
                count -= 1
        if waiting is not None and not waiting:
            del self._waiting[key]

    def notify_all(self, key: int | None = None) -> None:
        """Wake every waiter of the queue (of every queue when ``key`` is None)."""
        keys = list(self._waiting) if key is None else [key]
        for k in keys:
            self.notify(k, len(self._waiting.get(k, ())))
