"""The history of a fault run: every operation the workload issued, with its outcome.

Owns: the records (a send, a receive with what it delivered, a delete), the three outcomes
(``ok``; ``failed``, a definite AWS error that says nothing was done; ``unknown``, a timeout, a
reset connection or a 5xx, after which the operation may or may not have happened) and a
thread-safe recorder the workload's threads append to.

Knows nothing of boto3, HTTP or densho: times are wall-clock seconds (``time.time()``, the clock
densho's visibility deadlines use) taken by the client just before a request and just after its
answer, so the server acted somewhere between ``start`` and ``end``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["ok", "failed", "unknown"]


@dataclass(frozen=True)
class Send:
    """One SendMessage of the message ``msg`` (an id unique in the run, carried in its body).

    FIFO sends name their message ``group`` and the sequence number ``seq`` the producer gave
    it: one producer sends a group's messages one after the other, in increasing ``seq``.
    """

    queue: str
    msg: str
    start: float
    end: float
    outcome: Outcome
    group: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class Delivered:
    """One message of a receive's answer: its id (as read from the body) and receipt handle."""

    msg: str
    handle: str


@dataclass(frozen=True)
class Receive:
    """One ReceiveMessage; ``messages`` in the order of the answer (empty unless ``ok``)."""

    queue: str
    start: float
    end: float
    outcome: Outcome
    messages: tuple[Delivered, ...] = ()


@dataclass(frozen=True)
class Delete:
    """One DeleteMessage of ``msg`` by the receipt handle of one of its deliveries."""

    queue: str
    msg: str
    handle: str
    start: float
    end: float
    outcome: Outcome


@dataclass
class History:
    """Everything a run did, per kind, in the order each was recorded.

    ``visibility`` is each queue's visibility timeout in seconds (receives use the default).
    """

    visibility: dict[str, float]
    sends: list[Send] = field(default_factory=list)
    receives: list[Receive] = field(default_factory=list)
    deletes: list[Delete] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, op: Send | Receive | Delete) -> None:
        with self._lock:
            if isinstance(op, Send):
                self.sends.append(op)
            elif isinstance(op, Receive):
                self.receives.append(op)
            else:
                self.deletes.append(op)
