"""A queue's configuration as the engine reads it: milliseconds, flags, enums, parsed policies.

Owns: ``QueueConfig`` and its parts, and ``read``, which builds one from the stored attribute
form — the AWS attribute names and string values storage persists (``{"VisibilityTimeout":
"30", "FifoQueue": "true", ...}``). A queue record builds its config once, when it is built, so
no request compares attribute strings or parses a policy document. Reading is lenient: a record
stored under older, laxer rules (or missing an attribute added since) yields a usable config
with AWS's defaults rather than an error; validating what a caller gives is
``densho.sqs.attributes``'s.
Must not know: the wire, SQL, error texts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

import orjson

from densho.core.seal import DEFAULT_REUSE_MS, SSE_SQS, Seal, for_queue

E = TypeVar("E", bound=Enum)

MIB = 1024 * 1024


class DedupScope(Enum):
    """DeduplicationScope of a FIFO queue: one window per queue or per message group."""

    QUEUE = "queue"
    MESSAGE_GROUP = "messageGroup"


class ThroughputLimit(Enum):
    """FifoThroughputLimit of a FIFO queue (high throughput mode: per message group)."""

    PER_QUEUE = "perQueue"
    PER_MESSAGE_GROUP_ID = "perMessageGroupId"


class RedrivePermission(Enum):
    """RedriveAllowPolicy's redrivePermission: which sources may use a queue as their DLQ."""

    ALLOW_ALL = "allowAll"
    DENY_ALL = "denyAll"
    BY_QUEUE = "byQueue"


@dataclass(frozen=True, slots=True)
class DeadLetterTarget:
    """A RedrivePolicy: where messages go after ``max_receive_count`` receives."""

    arn: str  # deadLetterTargetArn as written
    region: str
    account: str
    name: str
    max_receive_count: int


@dataclass(frozen=True, slots=True)
class RedriveAllow:
    """A RedriveAllowPolicy. Account and region are checked by the caller."""

    permission: RedrivePermission = RedrivePermission.ALLOW_ALL
    source_arns: frozenset[str] = frozenset()

    def admits(self, source_arn: str) -> bool:
        if self.permission is RedrivePermission.BY_QUEUE:
            return source_arn in self.source_arns
        return self.permission is RedrivePermission.ALLOW_ALL


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """Everything a queue's attributes mean to the engine. Defaults are AWS's."""

    fifo: bool = False
    visibility_timeout_ms: int = 30_000
    delay_ms: int = 0
    retention_ms: int = 345_600_000  # 4 days
    receive_wait_ms: int = 0
    max_message_bytes: int = MIB
    content_based_dedup: bool = False
    dedup_scope: DedupScope = DedupScope.QUEUE
    # Until when deduplication stays queue-wide although dedup_scope says messageGroup: a scope
    # narrowed by SetQueueAttributes (``QUEUE_SCOPE_UNTIL``).
    queue_scope_until_ms: int = 0
    throughput_limit: ThroughputLimit = ThroughputLimit.PER_QUEUE
    dead_letter: DeadLetterTarget | None = None  # RedrivePolicy
    redrive_allow: RedriveAllow = RedriveAllow()  # RedriveAllowPolicy; none is allowAll
    sqs_managed_sse: bool = True
    kms_master_key_id: str | None = None
    kms_data_key_reuse_ms: int | None = None
    # The resource Policy document as set: densho keeps it (AddPermission and RemovePermission
    # edit it) but does not enforce it.
    policy: str | None = None
    # What seals its messages at rest (None: stored as sent); SSE-SQS by default, as above.
    seal: Seal | None = SSE_SQS


_DEFAULT = QueueConfig()

# A stored attribute densho keeps for itself (never listed: GetQueueAttributes lists known
# names only). AWS: attribute changes "can take up to 60 seconds ... to propagate", and after
# DeduplicationScope queue -> messageGroup it was seen deduplicating queue-wide still; densho
# keeps the queue-wide scope for those 60 seconds (the wider scope applies at once).
QUEUE_SCOPE_UNTIL = "densho:QueueScopeUntil"
SCOPE_PROPAGATION_MS = 60_000


def read(attributes: Mapping[str, str]) -> QueueConfig:
    """The configuration a stored attribute set describes (never raises)."""
    get = attributes.get
    sqs_managed = get("SqsManagedSseEnabled", "true") == "true"
    kms_key = get("KmsMasterKeyId") or None
    reuse = get("KmsDataKeyReusePeriodSeconds")
    reuse_ms = None if reuse is None else _ms(reuse, DEFAULT_REUSE_MS)
    return QueueConfig(
        fifo=get("FifoQueue") == "true",
        visibility_timeout_ms=_ms(get("VisibilityTimeout"), _DEFAULT.visibility_timeout_ms),
        delay_ms=_ms(get("DelaySeconds"), _DEFAULT.delay_ms),
        retention_ms=_ms(get("MessageRetentionPeriod"), _DEFAULT.retention_ms),
        receive_wait_ms=_ms(get("ReceiveMessageWaitTimeSeconds"), _DEFAULT.receive_wait_ms),
        max_message_bytes=_int(get("MaximumMessageSize"), _DEFAULT.max_message_bytes),
        content_based_dedup=get("ContentBasedDeduplication") == "true",
        dedup_scope=_enum(DedupScope, get("DeduplicationScope"), _DEFAULT.dedup_scope),
        queue_scope_until_ms=_int(get(QUEUE_SCOPE_UNTIL), 0),
        throughput_limit=_enum(
            ThroughputLimit, get("FifoThroughputLimit"), _DEFAULT.throughput_limit
        ),
        dead_letter=read_dead_letter(get("RedrivePolicy")),
        redrive_allow=_redrive_allow(get("RedriveAllowPolicy")),
        sqs_managed_sse=sqs_managed,
        kms_master_key_id=kms_key,
        kms_data_key_reuse_ms=reuse_ms,
        policy=get("Policy") or None,
        seal=for_queue(sqs_managed, kms_key, reuse_ms),
    )


def json_map(text: str) -> dict[str, object] | None:
    """A JSON document that is an object, or None."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def whole_number(value: object) -> int | None:
    """A JSON value SQS accepts as an integer (5, 5.0, "5"), or None. Booleans are not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value.strip()):
        return int(value)
    return None


def read_dead_letter(text: str | None) -> DeadLetterTarget | None:
    """The target a stored RedrivePolicy names, or None if it names none usable."""
    doc = json_map(text) if text else None
    if doc is None:
        return None
    arn = doc.get("deadLetterTargetArn")
    count = whole_number(doc.get("maxReceiveCount"))
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) != 6 or count is None or count < 1:
        return None
    return DeadLetterTarget(str(arn), parts[3], parts[4], parts[5], count)


def _redrive_allow(text: str | None) -> RedriveAllow:
    doc = json_map(text) if text else None
    permission = None if doc is None else doc.get("redrivePermission")
    if permission == RedrivePermission.DENY_ALL.value:
        return RedriveAllow(RedrivePermission.DENY_ALL)
    if permission == RedrivePermission.BY_QUEUE.value and doc is not None:
        sources = doc.get("sourceQueueArns")
        arns = sources if isinstance(sources, list) else []
        return RedriveAllow(
            RedrivePermission.BY_QUEUE, frozenset(a for a in arns if isinstance(a, str))
        )
    return _DEFAULT.redrive_allow


def _int(text: str | None, default: int) -> int:
    try:
        return default if text is None else int(text)
    except ValueError:
        return default


def _ms(text: str | None, default_ms: int) -> int:
    """A stored number of seconds, in milliseconds."""
    return _int(text, default_ms // 1000) * 1000


def _enum(kind: type[E], text: str | None, default: E) -> E:
    try:
        return default if text is None else kind(text)
    except ValueError:
        return default
