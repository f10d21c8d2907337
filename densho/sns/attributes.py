"""Topic and subscription attributes: which are writable, their validation, defaults, and the
read-only ones GetTopicAttributes / GetSubscriptionAttributes add.

Owns: attribute names and which values AWS refuses (``SnsInvalidParameter``; the provider words
it).
Must not know: the wire, storage.

Source: the SNS API Reference, SetTopicAttributes / SetSubscriptionAttributes / Subscribe.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from densho.sns.errors import Refusal, SnsInvalidParameter
from densho.sns.filter import policy as filter_policy
from densho.sns.outbox import delivery_policy

_FEEDBACK_PROTOCOLS = ("Application", "HTTP", "Firehose", "Lambda", "SQS")
_FEEDBACK = frozenset(
    f"{p}{kind}"
    for p in _FEEDBACK_PROTOCOLS
    for kind in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
)
TOPIC_WRITABLE = frozenset(
    {
        "DeliveryPolicy",
        "DisplayName",
        "Policy",
        "TracingConfig",
        "KmsMasterKeyId",
        "SignatureVersion",
        "ContentBasedDeduplication",
        "FifoThroughputScope",
        "ArchivePolicy",
        *_FEEDBACK,
    }
)
TOPIC_CREATE_ONLY = frozenset({"FifoTopic", "DataProtectionPolicy"})
_FIFO_ONLY = frozenset({"ContentBasedDeduplication", "FifoThroughputScope", "ArchivePolicy"})

SUBSCRIPTION_WRITABLE = frozenset(
    {
        "DeliveryPolicy",
        "FilterPolicy",
        "FilterPolicyScope",
        "RawMessageDelivery",
        "RedrivePolicy",
        "SubscriptionRoleArn",
        "ReplayPolicy",
    }
)
_SQS_ARN = re.compile(r"arn:aws[\w-]*:sqs:[\w-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?")


def _bool(name: str, value: str, *, nested: bool = False) -> str:
    if value.lower() not in ("true", "false"):
        raise SnsInvalidParameter(name, Refusal.NOT_BOOLEAN, value, nested=nested)
    return value.lower()


def _json_object(name: str, value: str) -> None:
    try:
        doc = json.loads(value)
    except ValueError:
        raise SnsInvalidParameter(name, Refusal.INVALID_JSON) from None
    if not isinstance(doc, dict):
        raise SnsInvalidParameter(name, Refusal.INVALID_JSON)


def check_topic_attributes(
    given: Mapping[str, str], *, fifo: bool, creating: bool
) -> dict[str, str]:
    """Validate writable topic attributes; the normalised values. ``FifoTopic`` is allowed only
    when ``creating`` (the caller decided ``fifo`` from it)."""
    out: dict[str, str] = {}
    for name, value in given.items():
        if name in TOPIC_CREATE_ONLY and creating:
            if name == "FifoTopic":
                out[name] = _bool(name, value)
            else:
                _json_object(name, value)
                out[name] = value
            continue
        if name not in TOPIC_WRITABLE:
            raise SnsInvalidParameter("AttributeName")
        if name in _FIFO_ONLY and not fifo:
            if name == "ContentBasedDeduplication":
                raise SnsInvalidParameter(name, Refusal.CONTENT_DEDUP_FIFO_ONLY, nested=True)
            raise SnsInvalidParameter(name, Refusal.FIFO_ONLY, nested=True)
        if name == "DisplayName" and len(value) > 100:
            raise SnsInvalidParameter("DisplayName")
        elif name == "SignatureVersion" and value not in ("1", "2"):
            raise SnsInvalidParameter("SignatureVersion")
        elif name == "TracingConfig" and value not in ("PassThrough", "Active"):
            raise SnsInvalidParameter("TracingConfig")
        elif name == "FifoThroughputScope" and value not in ("Topic", "MessageGroup"):
            raise SnsInvalidParameter("FifoThroughputScope")
        elif name == "ContentBasedDeduplication":
            value = _bool(name, value, nested=True)
        elif name == "DeliveryPolicy" and value:
            try:
                delivery_policy.parse_topic_policy(value)
            except delivery_policy.DeliveryPolicyError as exc:
                raise _document(name, exc.reason) from None
        elif name in ("Policy", "ArchivePolicy") and value:
            _json_object(name, value)
        elif name.endswith("SampleRate") and (not value.isdigit() or int(value) > 100):
            raise SnsInvalidParameter(name)
        out[name] = value
    return out


def default_policy(topic_arn: str, account: str) -> str:
    """The Policy AWS gives a new topic (GetTopicAttributes), compact JSON."""
    return json.dumps(
        {
            "Version": "2008-10-17",
            "Id": "__default_policy_ID",
            "Statement": [
                {
                    "Sid": "__default_statement_ID",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "SNS:GetTopicAttributes",
                        "SNS:SetTopicAttributes",
                        "SNS:AddPermission",
                        "SNS:RemovePermission",
                        "SNS:DeleteTopic",
                        "SNS:Subscribe",
                        "SNS:ListSubscriptionsByTopic",
                        "SNS:Publish",
                    ],
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
                }
            ],
        },
        separators=(",", ":"),
    )


def check_subscription_attributes(
    given: Mapping[str, str],
    current: Mapping[str, str],
    *,
    subscribing: bool,
    fifo_topic: bool = False,
) -> dict[str, str]:
    """Validate writable subscription attributes against the current ones; the merged result.

    ``FilterPolicy`` "" removes the policy (and its scope). The policy is parsed against the
    scope it will have after the change. A subscription to a FIFO topic (``fifo_topic``) takes
    FIFO dead-letter queues only. Refusals made at Subscribe are ``nested`` (AWS reports them
    under ``Attributes``).
    """
    merged = dict(current)
    for name, value in given.items():
        if name not in SUBSCRIPTION_WRITABLE:
            raise SnsInvalidParameter("AttributeName")
        if name == "RawMessageDelivery":
            value = _bool(name, value, nested=subscribing)
        elif name == "FilterPolicyScope" and value not in filter_policy.SCOPES:
            raise SnsInvalidParameter(name, Refusal.FILTER_POLICY_SCOPE, nested=subscribing)
        elif name == "DeliveryPolicy" and value:
            try:
                delivery_policy.parse_subscription_policy(value)
            except delivery_policy.DeliveryPolicyError as exc:
                raise _document(name, exc.reason, subscribing) from None
        elif name == "RedrivePolicy" and value:
            target = dead_letter_target(value, nested=subscribing)
            # "FIFO topic subscriptions use FIFO queues" as dead-letter queues (SNS Developer
            # Guide, Amazon SNS dead-letter queues).
            if fifo_topic and not target.endswith(".fifo"):
                raise SnsInvalidParameter(name, Refusal.DEAD_LETTER_NOT_FIFO, nested=subscribing)
        if value == "" and name in ("FilterPolicy", "RedrivePolicy", "DeliveryPolicy"):
            merged.pop(name, None)
            if name == "FilterPolicy":
                merged.pop("FilterPolicyScope", None)
            continue
        merged[name] = value
    policy = merged.get("FilterPolicy")
    if policy is not None and ("FilterPolicy" in given or "FilterPolicyScope" in given):
        try:
            filter_policy.parse(
                policy, merged.get("FilterPolicyScope", filter_policy.MESSAGE_ATTRIBUTES)
            )
        except filter_policy.FilterPolicyError as exc:
            raise _document(exc.field or "", exc.reason, subscribing) from None
        merged.setdefault("FilterPolicyScope", filter_policy.MESSAGE_ATTRIBUTES)
    return merged


def _document(name: str, reason: str, nested: bool = False) -> SnsInvalidParameter:
    """A policy document refused by its language (filter or delivery policy): its reason."""
    return SnsInvalidParameter(name, Refusal.DOCUMENT, reason, nested=nested)


def dead_letter_target(value: str, *, nested: bool = False) -> str:
    """The dead-letter queue ARN of a subscription's RedrivePolicy, refused as AWS refuses it."""
    name = "RedrivePolicy"
    try:
        doc = json.loads(value)
    except ValueError:
        raise SnsInvalidParameter(name, Refusal.INVALID_JSON, nested=nested) from None
    target = doc.get("deadLetterTargetArn") if isinstance(doc, dict) else None
    if not isinstance(target, str):
        raise SnsInvalidParameter(name, Refusal.DEAD_LETTER_TARGET_MISSING, nested=nested)
    if not _SQS_ARN.fullmatch(target):
        raise SnsInvalidParameter(name, Refusal.DEAD_LETTER_TARGET_INVALID, nested=nested)
    return target


def is_sqs_arn(value: str) -> bool:
    return _SQS_ARN.fullmatch(value) is not None
