"""Read-through caches of store records (queues, topics, subscriptions) that the engines keep.

Owns: the rule that a cache never installs a record older than a write or a forget it has seen
(a generation: a load installs what it read only if no write or forget happened since it began),
and, when other processes write the store too (PostgreSQL, several nodes), a time-to-live after
which an entry is loaded again. Other nodes' writes normally reach a cache as a ``forget`` within
milliseconds (the store's change notifications); the time-to-live is the safety net for a
notification that was lost (a node dying between its commit and its NOTIFY). AWS itself lets a
queue attribute change take up to 60 s to show everywhere (SetQueueAttributes).
Must not know: what the records are, the store, SQL.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from densho.core.clock import Clock

K = TypeVar("K")
V = TypeVar("V")

# Entries of a store that other nodes write are loaded again after this long. Short, because a
# reload is one indexed read; long enough that a busy queue's record costs one read a second.
SHARED_TTL_MS = 1_000


class ReadThrough(Generic[K, V]):
    """Entries by key; each remembers when it was loaded (only read with a time-to-live)."""

    __slots__ = ("_clock", "_entries", "_gen", "_ttl_ms")

    def __init__(self, clock: Clock, ttl_ms: int | None) -> None:
        self._clock = clock
        self._ttl_ms = ttl_ms  # None: this process is the only writer, entries stay exact
        self._entries: dict[K, tuple[V, int]] = {}
        self._gen = 0

    def get(self, key: K) -> V | None:
        """The entry, unless missing or older than the time-to-live (then load it again)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._ttl_ms is not None and self._clock.now_ms() - entry[1] >= self._ttl_ms:
            return None
        return entry[0]

    def peek(self, key: K) -> V | None:
        """The entry whatever its age (for what never changes in a record, such as its ARN)."""
        entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def begin(self) -> int:
        """Before a load: the token ``loaded`` checks."""
        return self._gen

    def loaded(self, key: K, value: V, began: int) -> None:
        """Install what a load that started at ``began`` read, unless the cache saw a write or
        a forget since (the read may predate that change)."""
        if self._gen == began:
            self._entries[key] = (value, self._stamp())

    def put(self, key: K, value: V) -> None:
        """This process wrote ``value``: it replaces the entry, and loads in flight are stale."""
        self._gen += 1
        self._entries[key] = (value, self._stamp())

    def forget(self, key: K) -> None:
        self._gen += 1
        self._entries.pop(key, None)

    def forget_all(self) -> None:
        self._gen += 1
        self._entries.clear()

    def _stamp(self) -> int:
        return 0 if self._ttl_ms is None else self._clock.now_ms()
