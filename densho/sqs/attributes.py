"""Queue attributes as AWS names them: which exist, their defaults, ranges and who may set them.

Owns: the attribute table and every use of attribute names and string values above storage —
validating and normalising what CreateQueue and SetQueueAttributes give, the stored attribute set
of a new or changed queue (the form storage persists, read into ``Queue.config`` by
``densho.core.queue_config``), and GetQueueAttributes' answer. The engine reads a queue's
configuration only from ``Queue.config``; the attribute strings stay here. This is below the
providers so that every way of creating a queue (the API, declared queues) validates alike.
Must not know: storage, the wire.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from densho.core import errors
from densho.core.queue_config import (
    MIB,
    DeadLetterTarget,
    DedupScope,
    QueueConfig,
    ThroughputLimit,
    json_map,
)
from densho.core.sqs_model import Queue, QueueCounts
from densho.sqs.redrive import (
    canonical_redrive_policy,
    check_redrive_allow_policy,
    check_redrive_policy,
)


@dataclass(frozen=True, slots=True)
class Spec:
    kind: str  # "int" | "bool" | "json" | "str" | "enum"
    default: str | None = None
    lo: int = 0
    hi: int = 0
    choices: tuple[str, ...] = ()
    fifo_only: bool = False
    create_only: bool = False
    # A fifo_only attribute AWS names in its refusal for a standard queue ("You can specify the
    # X only when FifoQueue is set to true."), where the others are just unknown.
    named_fifo_only: bool = False


# https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
WRITABLE: dict[str, Spec] = {
    "DelaySeconds": Spec("int", "0", 0, 900),
    "MaximumMessageSize": Spec("int", str(MIB), 1024, MIB),
    "MessageRetentionPeriod": Spec("int", "345600", 60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": Spec("int", "0", 0, 20),
    "VisibilityTimeout": Spec("int", "30", 0, 43_200),
    "Policy": Spec("json"),
    "RedrivePolicy": Spec("json"),
    "RedriveAllowPolicy": Spec("json"),
    "KmsMasterKeyId": Spec("str"),
    "KmsDataKeyReusePeriodSeconds": Spec("int", None, 60, 86_400),
    "SqsManagedSseEnabled": Spec("bool", "true"),
    "FifoQueue": Spec("bool", None, fifo_only=True, create_only=True),
    "ContentBasedDeduplication": Spec("bool", "false", fifo_only=True),
    "DeduplicationScope": Spec(
        "enum", "queue", choices=("messageGroup", "queue"), fifo_only=True, named_fifo_only=True
    ),
    "FifoThroughputLimit": Spec(
        "enum",
        "perQueue",
        choices=("perQueue", "perMessageGroupId"),
        fifo_only=True,
        named_fifo_only=True,
    ),
}

COMPUTED = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
)

# The order AWS lists attributes in for GetQueueAttributes(All).
ALL_ORDER = (
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "Policy",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
)

KNOWN = frozenset(WRITABLE) | frozenset(COMPUTED)

_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,75}\.fifo")


def validate_queue_name(name: str, fifo: bool) -> None:
    """The name rules of the queue type ``fifo`` (which the FifoQueue attribute decides)."""
    if not (_FIFO_NAME if fifo else _NAME).fullmatch(name):
        raise errors.InvalidQueueName(name, fifo=fifo)


def requests_fifo(given: Mapping[str, str]) -> bool:
    """Whether CreateQueue's attributes ask for a FIFO queue."""
    return given.get("FifoQueue", "false").lower() == "true"


def _normalise(name: str, spec: Spec, value: str) -> str:
    if spec.kind == "int":
        try:
            number = int(value.strip())
        except ValueError:
            raise errors.InvalidAttributeValue(name) from None
        if not spec.lo <= number <= spec.hi:
            raise errors.InvalidAttributeValue(name)
        return str(number)
    if spec.kind == "bool":
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise errors.InvalidAttributeValue(name)
        return lowered
    if spec.kind == "enum":
        if value not in spec.choices:
            raise errors.InvalidAttributeValue(name)
        return value
    if spec.kind == "json":
        if value == "":
            return ""
        if json_map(value) is None:
            raise errors.InvalidAttributeValue(name)
        return value
    return value


def check_high_throughput(config: QueueConfig) -> None:
    """A FIFO queue's effective DeduplicationScope / FifoThroughputLimit pair. API Reference: "The
    perMessageGroupId value is allowed only when the value for DeduplicationScope is
    messageGroup"."""
    if (
        config.throughput_limit is ThroughputLimit.PER_MESSAGE_GROUP_ID
        and config.dedup_scope is not DedupScope.MESSAGE_GROUP
    ):
        raise errors.ThroughputNeedsGroupScope()


def _allow_policy(value: str) -> str:
    check_redrive_allow_policy(value)
    return value  # stored as given


# Policy documents checked by their own rules: the document as stored, or a structured error.
_DOCUMENTS: dict[str, Callable[[str], str]] = {
    "RedrivePolicy": canonical_redrive_policy,
    "RedriveAllowPolicy": _allow_policy,
}


def validate(given: Mapping[str, str], fifo: bool, creating: bool) -> dict[str, str]:
    """Validate user-supplied attribute values; return them normalised.

    Raises InvalidAttributeName for unknown, read-only or wrong-queue-type names,
    InvalidAttributeValue for out-of-range values and InvalidPolicyValue for policy documents that
    break a rule, as AWS does. Rules across attributes and queues are the engine's.
    """
    out: dict[str, str] = {}
    for name, value in given.items():
        spec = WRITABLE.get(name)
        if spec is not None and spec.named_fifo_only and not fifo:
            raise errors.FifoOnlyAttribute(name)
        if spec is None or (spec.fifo_only and not fifo):
            raise errors.InvalidAttributeName(name)
        if name == "FifoQueue" and not creating:
            # On a FIFO queue, FifoQueue=true restates the type; anything else would change it.
            if value.lower() == "true":
                continue
            if value.lower() == "false":
                raise errors.QueueTypeChange()
            raise errors.InvalidAttributeValue(name)
        if spec.create_only and not creating:
            raise errors.InvalidAttributeName(name)
        document = _DOCUMENTS.get(name)
        if document is not None and value != "":  # an empty document removes the policy
            value = document(value)
        out[name] = _normalise(name, spec, value)
    if out.get("SqsManagedSseEnabled") == "true" and out.get("KmsMasterKeyId"):
        raise errors.SseTypeConflict()
    return out


def dead_letter_request(given: Mapping[str, str]) -> tuple[str, DeadLetterTarget] | None:
    """The RedrivePolicy document validated ``given`` sets, and its target (None: it sets none)."""
    document = given.get("RedrivePolicy")
    return (document, check_redrive_policy(document)) if document else None


def with_defaults(attributes: Mapping[str, str], fifo: bool) -> dict[str, str]:
    """The full stored attribute set of a new queue: defaults overlaid by the given values."""
    out: dict[str, str] = {}
    for name, spec in WRITABLE.items():
        if spec.default is not None and (fifo or not spec.fifo_only):
            out[name] = spec.default
    if fifo:
        out["FifoQueue"] = "true"
    if attributes.get("KmsMasterKeyId"):
        # SSE-KMS replaces SSE-SQS, and the data key reuse period appears with it.
        out["SqsManagedSseEnabled"] = "false"
        out["KmsDataKeyReusePeriodSeconds"] = "300"
    out.update(attributes)
    return {k: v for k, v in out.items() if v != "" or WRITABLE[k].kind != "json"}


def differing(stored: Mapping[str, str], given: Mapping[str, str]) -> str | None:
    """The first of the validated ``given`` attributes an existing queue has another value of
    (None: CreateQueue of the existing name succeeds)."""
    for key, value in given.items():
        current = stored.get(key, WRITABLE[key].default)
        document = _DOCUMENTS.get(key)
        if current != value and document is not None and current:
            # A document stored before densho normalised documents (as given): compare it in
            # today's stored form, so CreateQueue with the same document still succeeds.
            with contextlib.suppress(errors.DomainError):
                current = document(current)
        if current != value:
            return key
    return None


def merge(stored: Mapping[str, str], given: Mapping[str, str]) -> dict[str, str]:
    """The stored attribute set after SetQueueAttributes of the validated ``given`` values."""
    merged = dict(stored)
    for key, value in given.items():
        if value == "" and WRITABLE[key].kind == "json":
            merged.pop(key, None)  # an empty policy document removes the policy
        else:
            merged[key] = value
    if given.get("KmsMasterKeyId"):
        merged["SqsManagedSseEnabled"] = "false"
        merged.setdefault("KmsDataKeyReusePeriodSeconds", "300")
    return merged


def with_policy(stored: Mapping[str, str], document: str | None) -> dict[str, str]:
    """The stored attribute set with the Policy document replaced (None: removed)."""
    merged = dict(stored)
    if document is None:
        merged.pop("Policy", None)
    else:
        merged["Policy"] = document
    return merged


# --- GetQueueAttributes ---

COUNTED = frozenset(
    {
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    }
)


def wanted(names: Iterable[str]) -> set[str]:
    """The attributes GetQueueAttributes asks for (``All``: every one)."""
    out = set(names)
    for name in out:
        if name != "All" and name not in KNOWN:
            raise errors.InvalidAttributeName(name)
    return set(ALL_ORDER) if "All" in out else out


def render(queue: Queue, names: set[str], counts: QueueCounts | None) -> dict[str, str]:
    """GetQueueAttributes' answer, in AWS's order; ``counts`` when ``names`` has COUNTED ones."""
    out: dict[str, str] = {}
    for name in ALL_ORDER:
        if name in names:
            value = _attribute(queue, name, counts)
            if value is not None:
                out[name] = value
    return out


def _attribute(queue: Queue, name: str, counts: QueueCounts | None) -> str | None:
    if name == "QueueArn":
        return queue.arn
    if name == "CreatedTimestamp":
        return str(queue.created_ms // 1000)
    if name == "LastModifiedTimestamp":
        return str(queue.modified_ms // 1000)
    if name == "KmsDataKeyReusePeriodSeconds" and not queue.attributes.get("KmsMasterKeyId"):
        # A KMS setting: AWS lists it only while the queue has a KMS key, also after the key
        # was removed by setting KmsMasterKeyId to "" (LocalStack snapshot
        # get-queue-attributes-after-set-to-defaults, recorded against AWS).
        return None
    if counts is not None:
        if name == "ApproximateNumberOfMessages":
            return str(counts.visible)
        if name == "ApproximateNumberOfMessagesNotVisible":
            return str(counts.in_flight)
        if name == "ApproximateNumberOfMessagesDelayed":
            return str(counts.delayed)
    return queue.attributes.get(name) or None
