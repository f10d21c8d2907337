"""Domain values of SNS: topics, subscriptions, and what one publish writes.

Owns: the dataclasses the SNS engine and its storage exchange. Topics and subscriptions keep
their attributes as stored (AWS's names and strings); the engine reads them through typed views
(``densho.sns.views``).
Must not know: wire shapes (PascalCase dicts), SQL, HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from densho.core.seal import Seal
from densho.core.sqs_model import Attr, NewMessage
from densho.core.store import FifoSend


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
    seal: Seal | None = None  # the topic's: what storage seals its outbox and recorded rows with


@dataclass(frozen=True, slots=True)
class Published:
    """What a publish answered: the message id and sequence (the original's for a duplicate),
    and whether its deliveries were written (False for a FIFO duplicate)."""

    message_id: str
    sequence: int | None
    delivered: bool


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One message owed to one subscriber, exactly as it will be sent (rendered at publish, so
    every attempt sends the same bytes with the same MessageId and signature)."""

    subscription_arn: str
    topic_arn: str
    protocol: str  # http, https, email, email-json
    endpoint: str
    kind: str  # envelope.NOTIFICATION, SUBSCRIPTION_CONFIRMATION or UNSUBSCRIBE_CONFIRMATION
    message_id: str
    body: str
    created_ms: int  # the publish (or Subscribe / Unsubscribe) time
    headers: list[tuple[str, str]] = field(default_factory=list)  # HTTP/S
    subject: str | None = None  # email
    # Raw deliveries: the message attributes a dead-letter queue copy carries.
    attributes: dict[str, Attr] = field(default_factory=dict)
    # Read back from a sealed row: what sealed it (a copy recorded later is sealed alike).
    seal: Seal | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Claimed:
    """An outbox row taken for one attempt."""

    row_id: int
    lease: str  # the claim's token; only its holder may finish or reschedule the row
    attempts: int  # attempts made so far, counting this one
    entry: OutboxEntry


@dataclass(frozen=True, slots=True)
class Recorded:
    """A delivery densho keeps instead of sending (SMS, Lambda, Firehose, mobile push, email
    without an SMTP relay): the payload that would have been sent."""

    protocol: str
    endpoint: str
    topic_arn: str
    subscription_arn: str
    kind: str
    message_id: str
    payload: str
    created_ms: int  # when SNS produced it (the publish)
    subject: str | None = None
    seal: Seal | None = field(default=None, compare=False)  # see OutboxEntry.seal


@dataclass(frozen=True, slots=True)
class RecordedRow:
    """A ``Recorded`` as read back: its position in the log and when it was written."""

    row_id: int
    recorded_ms: int
    delivery: Recorded


@dataclass(frozen=True, slots=True)
class Pending:
    """An outbox row as the console lists it: who is owed what, and how its delivery goes."""

    row_id: int
    subscription_arn: str
    topic_arn: str
    protocol: str
    endpoint: str
    kind: str
    message_id: str
    created_ms: int
    due_ms: int  # the next attempt (while one is under way: when its lease ends)
    attempts: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class Token:
    """A confirmation token: which subscription it confirms, until when. ``snapshot`` is set
    for the token of an UnsubscribeConfirmation: the deleted subscription, re-created when the
    token is used (that message's SubscribeURL restores the subscription)."""

    token: str
    topic_arn: str
    subscription_arn: str
    expires_ms: int
    snapshot: str | None = None  # JSON of the subscription (engine-defined)


@dataclass(frozen=True, slots=True)
class PlatformApp:
    arn: str
    account: str
    region: str
    name: str
    platform: str
    attributes: dict[str, str]  # what GetPlatformApplicationAttributes shows
    credentials: dict[str, str]  # PlatformCredential / PlatformPrincipal: stored, never shown
    created_ms: int

    @property
    def enabled(self) -> bool:
        return self.attributes.get("Enabled", "true") == "true"


@dataclass(frozen=True, slots=True)
class PlatformEndpoint:
    arn: str
    app_arn: str
    token: str
    attributes: dict[str, str]  # Enabled, Token, CustomUserData (as GetEndpointAttributes)
    created_ms: int

    @property
    def enabled(self) -> bool:
        return self.attributes.get("Enabled", "true") == "true"


@dataclass(frozen=True, slots=True)
class SandboxNumber:
    """A destination number in the account's SMS sandbox list."""

    phone: str
    status: str  # SANDBOX_PENDING or SANDBOX_VERIFIED
    otp: str  # the one-time password sent (recorded) when it was added
    language: str
    created_ms: int
