"""What storage and the layers above it exchange: the records of a storage call and its errors.

Owns: ``Claim`` (a receive), ``FifoSend``, ``Handle`` (a decoded receipt handle) and what a
delete by one did (``Deletion``), the row a change of visibility finds and the shape of the rule
that judges it (``VisibilityRow``, ``VisibilityRule``), ``Lease`` (a move task's), the
``changed`` kinds, and the errors every backend raises.
Must not know: SQL, any backend, SQS rules, the wire.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal


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


# What ``Store.changed`` names: a queue (its id) or an SNS topic (its ARN), whose cached
# records — the queue's, or the topic's and its subscriptions' — other nodes should forget.
QUEUE = "queue"
TOPIC = "topic"
EVERYTHING = "everything"  # a reset: every queue and topic (the key is empty)


@dataclass(frozen=True, slots=True)
class ResetCounts:
    """What a reset deleted (``Store.reset``)."""

    queues: int
    topics: int
    subscriptions: int
    messages: int


# Not frozen, though never changed: made per request, and a frozen dataclass's __init__ costs
# ~6x (object.__setattr__ per field: 3 us against 0.5 for eleven fields).
@dataclass(slots=True)
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
    # (in flight or delayed); a group whose head is visible is ready, groups in the order of
    # their heads. Standard queues whose messages carry a group id are fair queues: any visible
    # messages may come, but the groups with the fewest messages in flight first (each
    # backend's fair-queue module documents its rule); without groups, of the oldest visible
    # ones those sent first.
    fifo: bool = False
    # FIFO ReceiveRequestAttemptId: a retry within ``attempt_window_ms`` returns the same
    # messages with the same receipt handles (their visibility timeout restarts).
    attempt_id: str | None = None
    attempt_window_ms: int = 300_000


# Not frozen, though never changed: made per request (why: densho/core/store.py, Claim).
@dataclass(slots=True)
class FifoSend:
    """FIFO rules for a send: deduplication within a window, per queue or per message group."""

    now_ms: int
    window_ms: int
    by_group: bool


# Not frozen, though never changed: made per request (why: densho/core/store.py, Claim).
@dataclass(slots=True)
class Handle:
    """A decoded receipt handle: which row, which receive of it, and which message."""

    queue_id: int
    seq: int
    nonce: int
    # The message's id: names the message whichever of its receives the handle is from (a row id
    # may be reused once its message is deleted). None in handles made before handles carried
    # it: such a handle names the message only while its receive is the latest (by nonce).
    message_id: str | None = None

    def names(self, nonce: int, message_id: str) -> bool:
        """Whether the handle is from a receive of the message now in its row (whose latest
        receive is ``nonce``)."""
        return nonce == self.nonce if self.message_id is None else message_id == self.message_id


# What a delete by a receipt handle did: "deleted" the message; found it "gone" (deleted
# already, or the handle names no message: success, no effect); or found the handle "expired"
# (asked to delete only by the latest receive while in flight: the message is there, but the
# handle's receive is not its latest or its visibility timeout has ended).
Deletion = Literal["deleted", "gone", "expired"]


@dataclass(frozen=True, slots=True)
class VisibilityRow:
    """A message row as a change of its visibility finds it."""

    nonce: int  # of its latest receive: the current receipt handle's
    visible_ms: int
    last_receive_ms: int | None
    message_id: str


# The engine's rule for one change of visibility: (handle, its row or None when there is none,
# the new visible_at, now) -> None to apply the change, else why not (the store applies the
# verdict in the transaction that read the row).
VisibilityRule = Callable[[Handle, VisibilityRow | None, int, int], str | None]


@dataclass(frozen=True, slots=True)
class Lease:
    """A node's hold on a move task: ``owner`` (the node's id) runs it until ``until_ms``."""

    owner: str
    until_ms: int
