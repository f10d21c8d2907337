"""Dead-letter policies: validating RedrivePolicy and RedriveAllowPolicy documents as given.

Owns: the rules a document must satisfy at CreateQueue / SetQueueAttributes time, raised as
structured errors (their wording is the provider error table's). Reading stored documents into
a queue's configuration is ``densho.core.queue_config``'s, and lenient.
Rules: API Reference CreateQueue / SetQueueAttributes (RedrivePolicy, RedriveAllowPolicy: "You can
specify up to 10 source queue ARNs", sourceQueueArns "only when the redrivePermission parameter is
set to byQueue"; "The dead-letter queue of a FIFO queue must also be a FIFO queue").
Must not know: storage, the wire, the rest of the queue attribute table (``attributes``).
"""

from __future__ import annotations

import orjson

from densho.core import errors
from densho.core.queue_config import DeadLetterTarget, RedrivePermission, json_map, whole_number

MAX_REDRIVE_SOURCES = 10
MAX_RECEIVE_COUNT = 1000
_REDRIVE_KEYS = frozenset({"deadLetterTargetArn", "maxReceiveCount"})
_ALLOW_KEYS = frozenset({"redrivePermission", "sourceQueueArns"})
_PERMISSIONS = tuple(p.value for p in RedrivePermission)  # a tuple: the value may be unhashable


def check_redrive_policy(value: str) -> DeadLetterTarget:
    """Validate a RedrivePolicy document as AWS does. Whether the target exists, has the source's
    type, account and region, and allows the source is the engine's check (it needs the store)."""
    doc = json_map(value)
    if doc is None:
        raise errors.RedrivePolicyNotAMap()
    for key in ("maxReceiveCount", "deadLetterTargetArn"):
        if key not in doc:
            raise errors.RedriveKeyMissing(value, key)
    raw_count = doc["maxReceiveCount"]
    count = whole_number(raw_count)
    if count is None or not 1 <= count <= MAX_RECEIVE_COUNT:
        shown = raw_count if isinstance(raw_count, str) else orjson.dumps(raw_count).decode()
        raise errors.MaxReceiveCountOutOfRange(value, shown, 1, MAX_RECEIVE_COUNT)
    arn = doc["deadLetterTargetArn"]
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) != 6 or parts[0] != "arn" or not all(parts[1:]):
        raise errors.DeadLetterArnNotQualified(value)
    if parts[2] != "sqs":
        raise errors.DeadLetterNotSqs(value)
    if not doc.keys() <= _REDRIVE_KEYS:
        raise errors.RedriveUnknownKeys(value)
    return DeadLetterTarget(str(arn), parts[3], parts[4], parts[5], count)


def canonical_redrive_policy(value: str) -> str:
    """A valid RedrivePolicy document as AWS stores and answers it: compact, the two keys in this
    order, maxReceiveCount a number even when it was given as a string ("1" reads back as 1:
    terraform-aws-modules/terraform-aws-sqs#63, getmoto/moto#2402)."""
    target = check_redrive_policy(value)
    doc = {"deadLetterTargetArn": target.arn, "maxReceiveCount": target.max_receive_count}
    return orjson.dumps(doc).decode()


def check_redrive_allow_policy(value: str) -> None:
    """Validate a RedriveAllowPolicy document as AWS does."""
    doc = json_map(value)
    if doc is None or not doc.keys() <= _ALLOW_KEYS:
        raise errors.RedriveAllowUnsupported()
    permission = doc.get("redrivePermission")
    if permission not in _PERMISSIONS:
        raise errors.RedriveAllowUnsupported()
    sources = doc.get("sourceQueueArns")
    if "sourceQueueArns" in doc and (
        not isinstance(sources, list) or not all(isinstance(a, str) for a in sources)
    ):
        raise errors.RedriveAllowUnsupported()
    if permission != RedrivePermission.BY_QUEUE.value:
        if "sourceQueueArns" in doc:
            raise errors.AllowSourcesNeedByQueue(value)
        return
    if not isinstance(sources, list) or not sources:
        raise errors.AllowSourcesMissing(value)
    if len(sources) > MAX_REDRIVE_SOURCES:
        raise errors.AllowTooManySources(value, MAX_REDRIVE_SOURCES)
