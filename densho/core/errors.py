"""Domain errors of SQS, with the fields a caller needs to explain them.

Owns: the exception tree below. Each class names one rule that was broken and carries the values
involved as fields, never prose: the provider layer maps each class to an AWS code, status and
message in one table (``densho.providers.errors``). Classes marked (base) are never raised.
Must not know: AWS error codes, message texts, HTTP.

    DomainError (base)
    ├── QueueNotFound(name) / QueueNameExists(name, attribute) / QueueDeletedRecently(name)
    ├── InvalidQueueName(name, fifo)          — fifo: the queue type the name was checked for
    ├── InvalidAttributeName(name) / FifoOnlyAttribute(name)
    ├── InvalidAttributeValue(name)           — a queue attribute value out of its domain
    │   ├── QueueTypeChange()                 — SetQueueAttributes FifoQueue=false on a FIFO queue
    │   ├── RedrivePolicyNotAMap()
    │   └── RedriveAllowUnsupported()         — a RedriveAllowPolicy of an unknown shape
    ├── InvalidParameter (base)               — a parameter value out of its domain
    │   ├── OutOfRange(parameter, value, low, high)
    │   ├── PageSizeOutOfRange(value, low, high)  — MaxResults of ListQueues and its kin
    │   ├── InvalidNextToken()
    │   ├── NotForQueueType(parameter, value) — e.g. DelaySeconds on a FIFO queue
    │   ├── InvalidFifoId(parameter, value)   — MessageGroupId, MessageDeduplicationId, ...
    │   ├── DedupIdRequired()                 — FIFO send without id or content-based dedup
    │   ├── VisibilityBeyondLimit(value, limit_s)  — 12 hours since the message's receive
    │   ├── ThroughputNeedsGroupScope()       — perMessageGroupId without messageGroup scope
    │   ├── message attributes: InvalidMessageAttributeName(name),
    │   │   InvalidMessageAttributeType(name), MessageAttributeWrongField(name, kind),
    │   │   MessageAttributeEmpty(name, kind), MessageAttributeCharacter(name, char),
    │   │   MessageAttributeNotNumber(name), InvalidSystemAttributeName(name),
    │   │   InvalidSystemAttributeValue(name)
    │   ├── tags and permissions: TooManyTags(limit), InvalidTag(key), InvalidLabel(label),
    │   │   ActionNotAllowed(action)
    │   ├── move tasks: InvalidTaskHandle(), InvalidArn(parameter), NotADeadLetterQueue(),
    │   │   MoveToSameQueue(), MoveTypeDiffers(), MoveTaskRunning()
    │   └── InvalidPolicyValue(document) (base) — a RedrivePolicy / RedriveAllowPolicy document
    │       that is a JSON map but breaks a rule (``parameter`` names which):
    │       RedriveKeyMissing(key), MaxReceiveCountOutOfRange(given, low, high),
    │       DeadLetterArnNotQualified(), DeadLetterNotSqs(), RedriveUnknownKeys(),
    │       DeadLetterOwnerDiffers(), DeadLetterTargetMissing(), DeadLetterTypeDiffers(),
    │       DeadLetterNotAllowed(target_arn, source_arn), AllowSourcesNeedByQueue(),
    │       AllowSourcesMissing(), AllowTooManySources(limit)
    ├── MissingParameter(name)
    ├── InvalidMessageContents(char)
    ├── MessageTooLong(limit)
    ├── ReceiptHandleInvalid(handle)
    ├── MessageNotInflight()
    ├── MessageNotAvailable(handle)           — visibility change on a message that is gone
    ├── ReceiptHandleExpired(handle)          — FIFO delete by a receive that is over
    ├── PurgeInProgress(queue_name)
    ├── TooManyAttributes(count)
    ├── LabelExists(label) / LabelNotFound(label)
    ├── TooManyActions(count, limit)          — AddPermission: actions per policy statement
    ├── MoveTasksDisabled()
    ├── ResourceNotFound(parameter)           — the queue an ARN parameter names does not exist
    ├── MoveTaskNotFound(task_id)             — no running task with that handle
    ├── AccessDenied(caller, action, resource, reason) — a policy refused the call; reason:
    │                                           the ``densho.iam.Outcome`` value that says why
    └── batch errors: EmptyBatch(action), TooManyEntries(count), BatchIdsNotDistinct(entry_id),
        InvalidBatchEntryId(entry_id), BatchTooLong(size, limit)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

# Each error is a dataclass (eq=False keeps exceptions compared and hashed by identity): its
# fields are what the provider table words the message from.


class DomainError(Exception):
    pass


@dataclass(eq=False)
class QueueNotFound(DomainError):
    name: str


@dataclass(eq=False)
class QueueNameExists(DomainError):
    name: str
    attribute: str  # the first given attribute whose value differs from the queue's


@dataclass(eq=False)
class QueueDeletedRecently(DomainError):
    name: str


@dataclass(eq=False)
class InvalidQueueName(DomainError):
    name: str
    # The queue type the name was checked for (the FifoQueue attribute decides it, not the
    # name); None: infer it from the name's suffix.
    fifo: bool | None = None

    def __post_init__(self) -> None:
        if self.fifo is None:
            self.fifo = self.name.endswith(".fifo")


@dataclass(eq=False)
class InvalidAttributeName(DomainError):
    name: str


@dataclass(eq=False)
class FifoOnlyAttribute(DomainError):
    name: str  # a high-throughput FIFO attribute given for a standard queue


# --- queue attribute values ---


@dataclass(eq=False)
class InvalidAttributeValue(DomainError):
    name: str


@dataclass(eq=False)
class QueueTypeChange(InvalidAttributeValue):
    name: str = "FifoQueue"


@dataclass(eq=False)
class RedrivePolicyNotAMap(InvalidAttributeValue):
    name: str = "RedrivePolicy"


@dataclass(eq=False)
class RedriveAllowUnsupported(InvalidAttributeValue):
    name: str = "RedriveAllowPolicy"


@dataclass(eq=False)
class SseTypeConflict(InvalidAttributeValue):
    """SqsManagedSseEnabled=true and a KmsMasterKeyId in one request: one SSE type at once."""

    name: str = "SqsManagedSseEnabled"


# --- parameter values ---


class InvalidParameter(DomainError):
    """(base) A parameter value out of its domain."""


@dataclass(eq=False)
class OutOfRange(InvalidParameter):
    parameter: str
    value: int
    low: int
    high: int


@dataclass(eq=False)
class PageSizeOutOfRange(InvalidParameter):
    value: int
    low: int
    high: int


class InvalidNextToken(InvalidParameter):
    pass


@dataclass(eq=False)
class NotForQueueType(InvalidParameter):
    parameter: str
    value: object


@dataclass(eq=False)
class InvalidFifoId(InvalidParameter):
    parameter: str
    value: str


class DedupIdRequired(InvalidParameter):
    pass


class BatchGroupIdRequired(InvalidParameter):
    """A SendMessageBatch entry to a FIFO queue without MessageGroupId: fails the whole request
    (SendMessage answers MissingParameter instead)."""


@dataclass(eq=False)
class VisibilityBeyondLimit(InvalidParameter):
    value: int
    limit_s: int


class ThroughputNeedsGroupScope(InvalidParameter):
    pass


@dataclass(eq=False)
class InvalidMessageAttributeName(InvalidParameter):
    name: str


@dataclass(eq=False)
class InvalidMessageAttributeType(InvalidParameter):
    name: str


@dataclass(eq=False)
class MessageAttributeWrongField(InvalidParameter):
    """The value is in the field of another data type (StringValue for Binary, ...)."""

    name: str
    kind: str  # "String", "Number" or "Binary" (the data type without its suffix)


@dataclass(eq=False)
class MessageAttributeEmpty(InvalidParameter):
    name: str
    kind: str


@dataclass(eq=False)
class MessageAttributeCharacter(InvalidParameter):
    name: str
    char: str


@dataclass(eq=False)
class MessageAttributeNotNumber(InvalidParameter):
    name: str


@dataclass(eq=False)
class InvalidSystemAttributeName(InvalidParameter):
    name: str


@dataclass(eq=False)
class InvalidSystemAttributeValue(InvalidParameter):
    name: str


@dataclass(eq=False)
class TooManyTags(InvalidParameter):
    limit: int


@dataclass(eq=False)
class InvalidTag(InvalidParameter):
    key: str


@dataclass(eq=False)
class InvalidLabel(InvalidParameter):
    label: str


@dataclass(eq=False)
class ActionNotAllowed(InvalidParameter):
    action: str


class InvalidTaskHandle(InvalidParameter):
    pass


@dataclass(eq=False)
class InvalidArn(InvalidParameter):
    parameter: str


class NotADeadLetterQueue(InvalidParameter):
    pass


class MoveToSameQueue(InvalidParameter):
    pass


class MoveTypeDiffers(InvalidParameter):
    pass


class MoveTaskRunning(InvalidParameter):
    pass


# --- policy documents ---


@dataclass(eq=False)
class InvalidPolicyValue(InvalidParameter):
    """(base) A policy document that is a JSON map but breaks a rule of ``parameter``."""

    parameter: ClassVar[str]
    document: str


class _RedriveRule(InvalidPolicyValue):
    parameter = "RedrivePolicy"


class _AllowRule(InvalidPolicyValue):
    parameter = "RedriveAllowPolicy"


@dataclass(eq=False)
class RedriveKeyMissing(_RedriveRule):
    key: str


@dataclass(eq=False)
class MaxReceiveCountOutOfRange(_RedriveRule):
    given: str  # the value as the document has it ("many", 0, true, ...)
    low: int
    high: int


class DeadLetterArnNotQualified(_RedriveRule):
    pass


class DeadLetterNotSqs(_RedriveRule):
    pass


class RedriveUnknownKeys(_RedriveRule):
    pass


class DeadLetterOwnerDiffers(_RedriveRule):
    pass


class DeadLetterTargetMissing(_RedriveRule):
    pass


class DeadLetterTypeDiffers(_RedriveRule):
    pass


@dataclass(eq=False)
class DeadLetterNotAllowed(_RedriveRule):
    target_arn: str
    source_arn: str


class AllowSourcesNeedByQueue(_AllowRule):
    pass


class AllowSourcesMissing(_AllowRule):
    pass


@dataclass(eq=False)
class AllowTooManySources(_AllowRule):
    limit: int


# --- messages ---


@dataclass(eq=False)
class MissingParameter(DomainError):
    name: str


@dataclass(eq=False)
class InvalidMessageContents(DomainError):
    char: str


@dataclass(eq=False)
class MessageTooLong(DomainError):
    limit: int


@dataclass(eq=False)
class ReceiptHandleInvalid(DomainError):
    handle: str


class MessageNotInflight(DomainError):
    pass


@dataclass(eq=False)
class MessageNotAvailable(DomainError):
    handle: str


@dataclass(eq=False)
class ReceiptHandleExpired(DomainError):
    handle: str


@dataclass(eq=False)
class PurgeInProgress(DomainError):
    queue_name: str


@dataclass(eq=False)
class TooManyInFlight(DomainError):
    """A short poll of a standard queue holding its limit of messages in flight."""

    limit: int


@dataclass(eq=False)
class TooManyAttributes(DomainError):
    count: int


@dataclass(eq=False)
class LabelExists(DomainError):
    label: str


@dataclass(eq=False)
class LabelNotFound(DomainError):
    label: str


@dataclass(eq=False)
class TooManyActions(DomainError):
    count: int
    limit: int


# --- message move tasks (densho.sqs.move_tasks) ---


class MoveTasksDisabled(DomainError):
    pass


@dataclass(eq=False)
class ResourceNotFound(DomainError):
    parameter: str


@dataclass(eq=False)
class AccessDenied(DomainError):
    caller: str  # the caller's principal ARN
    action: str  # sqs:SendMessage
    resource: str  # the queue's ARN
    reason: str  # explicit_deny_identity, explicit_deny_resource, no_identity_allow, ...


@dataclass(eq=False)
class MoveTaskNotFound(DomainError):
    task_id: str


# --- batches ---


@dataclass(eq=False)
class EmptyBatch(DomainError):
    action: str  # the batch action (SendMessageBatch, ...): AWS names its entry type


@dataclass(eq=False)
class TooManyEntries(DomainError):
    count: int


@dataclass(eq=False)
class BatchIdsNotDistinct(DomainError):
    entry_id: str


@dataclass(eq=False)
class InvalidBatchEntryId(DomainError):
    entry_id: str


@dataclass(eq=False)
class BatchTooLong(DomainError):
    size: int
    limit: int
