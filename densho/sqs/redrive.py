"""Dead-letter policies: RedrivePolicy and RedriveAllowPolicy documents.

Owns: parsing and validating both documents, naming a policy's target queue, and whether a
dead-letter queue's allow policy admits a source.
Rules: API Reference CreateQueue / SetQueueAttributes (RedrivePolicy, RedriveAllowPolicy: "You can
specify up to 10 source queue ARNs", sourceQueueArns "only when the redrivePermission parameter is
set to byQueue"; "The dead-letter queue of a FIFO queue must also be a FIFO queue").
Reason texts: as AWS answers them — "Dead-letter queue must be same type of queue as the source.."
(double period included) appears verbatim in real CreateQueue failures; the others as recorded by
SQS emulators checked against AWS (Inqnuam/local-aws-sqs test suite).
Must not know: storage, the wire, the rest of the queue attribute table (``attributes``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

from densho.core import errors

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
