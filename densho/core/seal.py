"""Which key seals a queue's or a topic's messages at rest.

Owns: ``Seal`` (a key id and its data-key reuse period) and how queue and topic attributes name
one: SSE-SQS (``SqsManagedSseEnabled``, AWS's default for new queues) seals under one fixed key
id, SSE-KMS under the ``KmsMasterKeyId`` as written (a key id, ARN or alias), with
``KmsDataKeyReusePeriodSeconds``; topics only with a ``KmsMasterKeyId``.
Must not know: cryptography (``densho.sealing``), storage.
"""

from __future__ import annotations

from dataclasses import dataclass

SQS_MANAGED = "sqs-managed"  # the key id of SSE-SQS queues
DEFAULT_REUSE_MS = 300_000  # KmsDataKeyReusePeriodSeconds' default


@dataclass(frozen=True, slots=True)
class Seal:
    key_id: str
    reuse_ms: int = DEFAULT_REUSE_MS


SSE_SQS = Seal(SQS_MANAGED)


def for_queue(sqs_managed: bool, kms_key: str | None, reuse_ms: int | None) -> Seal | None:
    if kms_key:
        return Seal(kms_key, reuse_ms or DEFAULT_REUSE_MS)
    return SSE_SQS if sqs_managed else None


def for_topic(kms_key: str | None) -> Seal | None:
    return Seal(kms_key) if kms_key else None
