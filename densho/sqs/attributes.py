"""Queue attributes: which exist, their defaults, ranges and who may set them.

Owns: the attribute table and the validation/normalisation of attribute values at CreateQueue and
SetQueueAttributes time. Attribute names are SQS's own vocabulary (they are the API's domain
language, not a wire detail), so they are used as keys here.
Must not know: storage, the wire.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from densho.core import errors
from densho.sqs.redrive import check_redrive_allow_policy, check_redrive_policy

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Spec:
    kind: str  # "int" | "bool" | "json" | "str" | "enum"
    default: str | None = None
    lo: int = 0
    hi: int = 0
    choices: tuple[str, ...] = ()
    fifo_only: bool = False
    create_only: bool = False


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
    "DeduplicationScope": Spec("enum", "queue", choices=("messageGroup", "queue"), fifo_only=True),
    "FifoThroughputLimit": Spec(
        "enum", "perQueue", choices=("perQueue", "perMessageGroupId"), fifo_only=True
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
        try:
            doc = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise errors.InvalidAttributeValue(name) from None
        if not isinstance(doc, dict):
            raise errors.InvalidAttributeValue(name)
        return value
    return value


def check_high_throughput(attributes: Mapping[str, str]) -> None:
    """A FIFO queue's effective DeduplicationScope / FifoThroughputLimit pair. API Reference: "The
    perMessageGroupId value is allowed only when the value for DeduplicationScope is
    messageGroup"."""
    if attributes.get("FifoThroughputLimit") == "perMessageGroupId" and (
        attributes.get("DeduplicationScope", "queue") != "messageGroup"
    ):
        raise errors.InvalidParameter(
            "The perMessageGroupId value is allowed only when the value for DeduplicationScope "
            "is messageGroup"
        )


_DOCUMENT_CHECKS = {
    "RedrivePolicy": check_redrive_policy,
    "RedriveAllowPolicy": check_redrive_allow_policy,
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
        if spec is None or (spec.fifo_only and not fifo):
            raise errors.InvalidAttributeName(name)
        if name == "FifoQueue" and not creating:
            # On a FIFO queue, FifoQueue=true restates the type; anything else would change it.
            if value.lower() == "true":
                continue
            raise errors.InvalidAttributeValue(
                name, "Modifying queue type is not supported." if value.lower() == "false" else ""
            )
        if spec.create_only and not creating:
            raise errors.InvalidAttributeName(name)
        check = _DOCUMENT_CHECKS.get(name)
        if check is not None and value != "":  # an empty document removes the policy
            check(value)
        out[name] = _normalise(name, spec, value)
    return out


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
