"""Domain values of SQS: queues, message attributes, messages as stored and as received.

Owns: the dataclasses the engine and storage exchange. All are values, never mutated after
construction; the per-message ones are not declared frozen only because a frozen dataclass's
constructor costs several microseconds more, and there is one per message on the hot path.
Must not know: wire shapes (PascalCase dicts), SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from densho.core.queue_config import QueueConfig, read
from densho.core.seal import Seal


@dataclass(slots=True)
class Attr:
    """One message attribute (or system attribute): a data type and one value."""

    data_type: str  # "String", "Number", "Binary", optionally with a ".custom" suffix
    string_value: str | None = None
    binary_value: bytes | None = None

    @property
    def is_binary(self) -> bool:
        return self.data_type.startswith("Binary")


@dataclass(frozen=True, slots=True)
class Queue:
    """A queue record. ``attributes`` is the stored form (AWS attribute names and string values,
    as storage persists them and GetQueueAttributes shows them); ``config`` is what they mean,
    built once here, and the only form the engine reads."""

    id: int
    account: str
    name: str
    region: str
    attributes: dict[str, str]
    tags: dict[str, str]
    created_ms: int
    modified_ms: int
    purged_ms: int | None = None
    config: QueueConfig = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "config", read(self.attributes))

    @property
    def arn(self) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account}:{self.name}"


@dataclass(slots=True)
class NewMessage:
    """A message ready to be stored (validated, digests computed)."""

    message_id: str
    body: str
    attributes: dict[str, Attr]
    system_attributes: dict[str, Attr]
    md5_body: str
    md5_attributes: str | None
    md5_system_attributes: str | None
    sent_ms: int
    visible_ms: int  # sent_ms + delay
    sender_id: str
    group_id: str | None = None
    dedup_id: str | None = None
    seal: Seal | None = None  # the queue's: what storage seals body and attributes with


@dataclass(slots=True)
class ReceivedMessage:
    message_id: str
    receipt_handle: str
    body: str
    md5_body: str
    attributes: dict[str, Attr]
    md5_attributes: str | None
    system_attributes: dict[str, Attr]
    md5_system_attributes: str | None
    sent_ms: int
    first_receive_ms: int
    receive_count: int
    sender_id: str
    group_id: str | None = None
    dedup_id: str | None = None
    sequence_number: int | None = None  # FIFO queues only
    row: int = 0  # the storage row and the nonce of this receive: the receipt handle names both
    nonce: int = 0
    dead_letter_source_id: int | None = None  # the queue redrive moved it from


@dataclass(frozen=True, slots=True)
class QueueCounts:
    visible: int
    in_flight: int
    delayed: int


@dataclass(frozen=True, slots=True)
class Peeked:
    """A message as browsing finds it (``Store.peek``): nothing about it changed by looking.
    ``message.row`` and ``message.message_id`` name it for ``Store.delete_peeked``."""

    message: ReceivedMessage
    visible_ms: int  # when it becomes (or became) visible: delay, visibility timeout
    in_flight: bool  # received, and its visibility timeout not yet over (at the peek's now)


@dataclass(frozen=True, slots=True)
class PeekCursor:
    """Where a page of ``Store.peek`` ended: its last row's (visible_ms, seq), the keyset the
    next page starts after."""

    visible_ms: int
    seq: int
