"""The storage contract every backend implements.

Owns: the method list and each method's atomicity promise.
Must not know: SQS semantics beyond what the methods state; the engine decides, storage applies.

Times are epoch milliseconds passed in by the caller (never read from the database clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from densho.engine.model import NewMessage, Queue, QueueCounts, ReceivedMessage


class StoreUnavailable(Exception):
    """The database cannot be reached right now (connection lost, server restarting, too many
    connections). Nothing of the failed call is acknowledged; the caller may retry. Raised by
    backends on a network (PostgreSQL); the server answers it as a retryable AWS error."""


class QueueGone(LookupError):
    """The queue a call names no longer exists (deleted by another node sharing the store, after
    this one looked it up). Nothing of the call was written."""

    def __init__(self, queue_id: int) -> None:
        super().__init__(f"queue {queue_id} is gone")
        self.queue_id = queue_id


# What ``Sharing.changed`` names: a queue (its id) or an SNS topic (its ARN), whose cached
# records — the queue's, or the topic's and its subscriptions' — other nodes should forget.
QUEUE = "queue"
TOPIC = "topic"


@dataclass(frozen=True, slots=True)
class Claim:
    """A receive request: claim up to ``limit`` visible, unexpired rows of one queue."""

    queue_id: int
    now_ms: int
    limit: int
    visible_until_ms: int  # the new visible_at of each claimed row
    retention_cutoff_ms: int  # rows sent at or before this are expired
    nonce: int  # stamped on each claimed row; part of its receipt handle
    # Redrive: a row already received this many times moves to the dead-letter queue instead of
    # being delivered, in the same transaction.
    dead_letter_queue_id: int | None = None
    max_receive_count: int = 0
    # FIFO: deliver each group's messages in order, never past a message that is not visible
    # (in flight or delayed). Standard queues whose messages carry a group id are fair queues:
    # any visible messages may come, but the groups with the fewest messages in flight first
    # (each backend's fair-queue module documents its rule); without groups, oldest first.
    fifo: bool = False
    # FIFO ReceiveRequestAttemptId: a retry within ``attempt_window_ms`` returns the same
    # messages with the same receipt handles (their visibility timeout restarts).
    attempt_id: str | None = None
    attempt_window_ms: int = 300_000


@dataclass(frozen=True, slots=True)
class FifoSend:
    """FIFO rules for a send: deduplication within a window, per queue or per message group."""

    now_ms: int
    window_ms: int
    by_group: bool


@dataclass(frozen=True, slots=True)
class Handle:
    """A decoded receipt handle: which row, and which receive of it."""

    queue_id: int
    seq: int
    nonce: int


class Sharing(Protocol):
    """What a store tells the engines about other processes writing the same data."""

    # Whether other processes (densho nodes) may write this store. False: this process is the
    # only writer, so caches kept exact by its own writes stay exact.
    shared: bool

    def changed(self, kind: str, key: str) -> None:
        """After a commit that changed a record the engines cache (``QUEUE`` and the queue's
        id, or ``TOPIC`` and the topic's ARN): tell the other nodes to forget their copy. A
        store that is not ``shared`` does nothing."""
        ...


class Store(Sharing, Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    # --- queues (each call atomic) ---
    async def create_queue(
        self,
        account: str,
        name: str,
        region: str,
        attributes: dict[str, str],
        tags: dict[str, str],
        now_ms: int,
    ) -> tuple[Queue, bool]:
        """Insert the queue, or return the existing one of that name (created=False)."""
        ...

    async def get_queue(self, account: str, name: str) -> Queue | None: ...

    async def list_queues(self, account: str, prefix: str) -> list[Queue]:
        """All queues of the account whose name starts with ``prefix``, ordered by name."""
        ...

    async def all_queues(self) -> list[Queue]:
        """Every queue of every account, ordered by id (maintenance)."""
        ...

    async def delete_queue(self, queue_id: int, now_ms: int) -> None:
        """Delete the queue and its messages; remember the name's deletion time."""
        ...

    async def deleted_since(self, account: str, name: str, since_ms: int) -> bool:
        """Whether a queue of this name was deleted after ``since_ms``."""
        ...

    async def update_queue(
        self, queue_id: int, attributes: dict[str, str], tags: dict[str, str], now_ms: int
    ) -> Queue:
        """Replace the queue's stored attributes and tags; QueueGone if it no longer exists."""
        ...

    async def purge(self, queue_id: int, now_ms: int, interval_ms: int) -> bool:
        """Unless the queue was purged after ``now_ms - interval_ms`` (then False, nothing
        changed): delete every message sent at or before ``now_ms`` and the queue's
        deduplication window, and record the purge time — all atomically, so of concurrent
        purges on several nodes one wins. QueueGone if the queue no longer exists."""
        ...

    # --- messages (each call atomic) ---
    async def send(
        self, queue_id: int, messages: list[NewMessage], fifo: FifoSend | None = None
    ) -> list[tuple[str, int]]:
        """Insert the messages; return (message id, sequence) for each, in order.

        Standard queues: the sequence is the row id. FIFO queues: the queue's next
        SequenceNumber; a message whose deduplication id was seen within the window is not
        inserted, and its entry returns the original message's id and SequenceNumber.
        A ``shared`` store raises QueueGone (and inserts nothing) if the queue no longer exists.
        """
        ...

    async def receive(self, claim: Claim) -> tuple[list[ReceivedMessage], int | None, int]:
        """Claim visible rows; when none, also return the earliest future visible_at (or None).

        Returns (messages, next_visible_ms, moved): ``moved`` counts rows that went to the
        dead-letter queue in this transaction (none if that queue no longer exists: its rows
        are then delivered, as without a dead-letter queue). The returned messages carry
        ``receipt_handle`` empty (the engine encodes handles); their ``sequence_number`` is the
        row's.
        """
        ...

    async def delete_messages(self, handles: list[Handle]) -> list[bool]:
        """Delete each row whose handle is current; True where a row was deleted."""
        ...

    async def change_visibility(
        self, changes: list[tuple[Handle, int]], now_ms: int, max_ms: int
    ) -> list[str]:
        """Set visible_at of each in-flight row whose handle is current.

        Per change: "ok", "gone" (no such row or a newer receive), "not-inflight" (visible now),
        or "too-long" (beyond ``max_ms`` after its latest receive).
        """
        ...

    async def counts(self, queue_id: int, now_ms: int, retention_cutoff_ms: int) -> QueueCounts: ...

    async def expire(self, queue_id: int, retention_cutoff_ms: int) -> int:
        """Delete rows sent at or before the cutoff; return how many."""
        ...

    async def expire_windows(self, now_ms: int) -> None:
        """Forget deduplication ids and receive attempts whose 5-minute window has passed."""
        ...
