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

from densho.engine import errors

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


# --- dead-letter policies ---------------------------------------------------------------------
# Rules: API Reference CreateQueue / SetQueueAttributes (RedrivePolicy, RedriveAllowPolicy: "You can
# specify up to 10 source queue ARNs", sourceQueueArns "only when the redrivePermission parameter is
# set to byQueue"; "The dead-letter queue of a FIFO queue must also be a FIFO queue").
# Reason texts: as AWS answers them — "Dead-letter queue must be same type of queue as the source.."
# (double period included) appears verbatim in real CreateQueue failures; the others as recorded by
# SQS emulators checked against AWS (Inqnuam/local-aws-sqs test suite).

REDRIVE_PERMISSIONS = ("allowAll", "denyAll", "byQueue")
MAX_REDRIVE_SOURCES = 10
_REDRIVE_KEYS = frozenset({"deadLetterTargetArn", "maxReceiveCount"})
_ALLOW_KEYS = frozenset({"redrivePermission", "sourceQueueArns"})
_CANT_CREATE = "Amazon SQS can't create the redrive allow policy."


@dataclass(frozen=True, slots=True)
class RedrivePolicy:
    target_arn: str
    region: str
    account: str
    name: str
    max_receive_count: int


def _json_map(value: str) -> dict[str, object] | None:
    try:
        doc = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value.strip()):
        return int(value)
    return None


def check_redrive_policy(value: str) -> RedrivePolicy:
    """Validate a RedrivePolicy document as AWS does. Whether the target exists, has the source's
    type, account and region, and allows the source is the engine's check (it needs the store)."""
    doc = _json_map(value)
    if doc is None:
        raise errors.InvalidAttributeValue(
            "RedrivePolicy", "Redrive policy is not a valid JSON map."
        )

    def invalid(reason: str) -> errors.InvalidPolicyValue:
        return errors.InvalidPolicyValue("RedrivePolicy", value, reason)

    for key in ("maxReceiveCount", "deadLetterTargetArn"):
        if key not in doc:
            raise invalid(f"Redrive policy does not contain mandatory attribute: {key}.")
    raw_count = doc["maxReceiveCount"]
    count = _whole_number(raw_count)
    if count is None or not 1 <= count <= 1000:
        shown = raw_count if isinstance(raw_count, str) else orjson.dumps(raw_count).decode()
        raise invalid(
            f"Invalid value for maxReceiveCount: {shown}, valid values are from 1 to 1000 both "
            "inclusive."
        )
    arn = doc["deadLetterTargetArn"]
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) != 6 or parts[0] != "arn" or not all(parts[1:]):
        raise invalid("Dead-letter target ARN should be fully qualified ARN.")
    if parts[2] != "sqs":
        raise invalid("Only SQS queues are valid resources for deadLetterTargetArn.")
    if not doc.keys() <= _REDRIVE_KEYS:
        raise invalid(
            "Only following attributes are supported: [maxReceiveCount, deadLetterTargetArn]."
        )
    return RedrivePolicy(str(arn), parts[3], parts[4], parts[5], count)


def redrive_target(value: str) -> tuple[str, str, int] | None:
    """(account, name, maxReceiveCount) of a stored RedrivePolicy, or None; never raises, so a
    policy stored under older, laxer rules cannot break ReceiveMessage."""
    try:
        policy = check_redrive_policy(value)
    except errors.DomainError:
        doc = _json_map(value) or {}
        arn, count = doc.get("deadLetterTargetArn"), _whole_number(doc.get("maxReceiveCount"))
        parts = arn.split(":") if isinstance(arn, str) else []
        if len(parts) != 6 or count is None or count < 1:
            return None
        return parts[4], parts[5], count
    return policy.account, policy.name, policy.max_receive_count


def check_redrive_allow_policy(value: str) -> None:
    """Validate a RedriveAllowPolicy document as AWS does."""
    doc = _json_map(value)
    unsupported = errors.InvalidAttributeValue(
        "RedriveAllowPolicy",
        "Amazon SQS can't create the redrive allow policy, as it\u2019s in an unsupported format.",
    )
    if doc is None or not doc.keys() <= _ALLOW_KEYS:
        raise unsupported
    permission = doc.get("redrivePermission")
    if permission not in REDRIVE_PERMISSIONS:
        raise unsupported
    sources = doc.get("sourceQueueArns")
    if "sourceQueueArns" in doc and (
        not isinstance(sources, list) or not all(isinstance(a, str) for a in sources)
    ):
        raise unsupported

    def invalid(reason: str) -> errors.InvalidPolicyValue:
        return errors.InvalidPolicyValue("RedriveAllowPolicy", value, f"{_CANT_CREATE} {reason}")

    if permission != "byQueue":
        if "sourceQueueArns" in doc:
            raise invalid(
                "To specify one or more source queue ARNs, you must set redrivePermission to "
                "byQueue."
            )
        return
    if not isinstance(sources, list) or not sources:
        raise invalid(
            "When you specify the byQueue permission type, you must also specify one or more "
            "sourceQueueArns values."
        )
    if len(sources) > MAX_REDRIVE_SOURCES:
        raise invalid(
            f"The maximum number of source queue ARNs you can specify is {MAX_REDRIVE_SOURCES}."
        )


def redrive_allows(allow_policy: str | None, source_arn: str) -> bool:
    """Whether a dead-letter queue's RedriveAllowPolicy lets ``source_arn`` name it as its target.
    No policy is allowAll, the default (account and region are checked by the caller)."""
    doc = _json_map(allow_policy) if allow_policy else None
    if doc is None:
        return True
    permission = doc.get("redrivePermission")
    if permission == "denyAll":
        return False
    if permission == "byQueue":
        sources = doc.get("sourceQueueArns")
        return isinstance(sources, list) and source_arn in sources
    return True


# --- high throughput FIFO ------------------------------------------------------------------------


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
