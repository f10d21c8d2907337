"""The storage contract every backend implements.

Owns: the method list and each method's atomicity promise.
Must not know: SQS semantics beyond what the methods state; the engine decides, storage applies.

Times are epoch milliseconds passed in by the caller (never read from the database clock).
"""

from __future__ import annotations

from typing import Protocol

from densho.core.sqs_model import NewMessage, Queue, QueueCounts, ReceivedMessage
from densho.core.store import Claim, FifoSend, Handle


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
