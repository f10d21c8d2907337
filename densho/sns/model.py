"""Domain values of SNS: topics, subscriptions, and what one publish writes.

Owns: the dataclasses the SNS engine and its storage exchange.
Must not know: wire shapes (PascalCase dicts), SQL, HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from densho.engine.model import NewMessage
from densho.sns.outbox import OutboxEntry, Recorded
from densho.storage.base import FifoSend


@dataclass(frozen=True, slots=True)
class Topic:
    arn: str
    account: str
    region: str
    name: str
    attributes: dict[str, str]  # the writable attributes as set (AWS names -> values)
    tags: dict[str, str]
    created_ms: int
    seq: int = 0  # FIFO topics: the last SequenceNumber handed out (offset, see engine)

    @property
    def is_fifo(self) -> bool:
        return self.attributes.get("FifoTopic") == "true"


@dataclass(frozen=True, slots=True)
class Subscription:
    arn: str
    topic_arn: str
    owner: str
    protocol: str  # "sqs", "http", "https", "email", ...
    endpoint: str
    attributes: dict[str, str]  # the writable attributes as set
    confirmed: bool
    created_ms: int

    @property
    def raw(self) -> bool:
        return self.attributes.get("RawMessageDelivery") == "true"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One SQS message a publish puts in one queue of this densho."""

    queue_id: int
    message: NewMessage
    fifo: FifoSend | None  # the queue's FIFO rules (None: a standard queue)


@dataclass(frozen=True, slots=True)
class TopicDedup:
    """A FIFO topic's deduplication of one published message."""

    dedup_id: str
    scope: str  # "" (the topic) or the message group, per FifoThroughputScope
    now_ms: int
    window_ms: int


@dataclass(slots=True)
class PublishItem:
    """One published message: its id, topic sequence and every delivery it makes."""

    message_id: str
    sequence: int | None  # FIFO topics: the topic's SequenceNumber (stored form)
    dedup: TopicDedup | None
    deliveries: list[Delivery] = field(default_factory=list)
    outbox: list[OutboxEntry] = field(default_factory=list)  # HTTP/S and email, sent later
    recorded: list[Recorded] = field(default_factory=list)  # SMS, Lambda, ...: kept, not sent


@dataclass(frozen=True, slots=True)
class Published:
    """What a publish answered: the message id and sequence (the original's for a duplicate),
    and whether its deliveries were written (False for a FIFO duplicate)."""

    message_id: str
    sequence: int | None
    delivered: bool
