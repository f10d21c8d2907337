"""Topic and subscription attributes: which are writable, their validation, defaults, and the
read-only ones GetTopicAttributes / GetSubscriptionAttributes add.

Owns: attribute names and AWS's refusals of their values (as ``SnsInvalidParameter`` reasons,
which the provider prefixes with ``Invalid parameter: ``).
Must not know: the wire, storage.

Source: the SNS API Reference, SetTopicAttributes / SetSubscriptionAttributes / Subscribe.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from densho.sns import delivery_policy
from densho.sns.errors import SnsInvalidParameter
from densho.sns.filter import policy as filter_policy

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


def _bool(name: str, value: str, reason_prefix: str = "") -> str:
    if value.lower() not in ("true", "false"):
        raise SnsInvalidParameter(
            f"{reason_prefix}{name}: Invalid value [{value}]. Must be true or false."
        )
    return value.lower()


def _json_object(name: str, value: str) -> None:
    try:
        doc = json.loads(value)
    except ValueError:
        raise SnsInvalidParameter(f"{name}: Invalid JSON") from None
    if not isinstance(doc, dict):
        raise SnsInvalidParameter(f"{name}: Invalid JSON")


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
            raise SnsInvalidParameter(
                f"Attributes Reason: {name} is only valid for FIFO topics"
                if name != "ContentBasedDeduplication"
                else "Attributes Reason: Content based deduplication can only be set for FIFO "
                "topics"
            )
        if name == "DisplayName" and len(value) > 100:
            raise SnsInvalidParameter("DisplayName")
        elif name == "SignatureVersion" and value not in ("1", "2"):
            raise SnsInvalidParameter("SignatureVersion")
        elif name == "TracingConfig" and value not in ("PassThrough", "Active"):
            raise SnsInvalidParameter("TracingConfig")
        elif name == "FifoThroughputScope" and value not in ("Topic", "MessageGroup"):
            raise SnsInvalidParameter("FifoThroughputScope")
        elif name == "ContentBasedDeduplication":
            value = _bool(name, value, "Attributes Reason: ")
        elif name == "DeliveryPolicy" and value:
            try:
                delivery_policy.parse_topic_policy(value)
            except delivery_policy.DeliveryPolicyError as exc:
                raise SnsInvalidParameter(exc.message) from None
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
    given: Mapping[str, str], current: Mapping[str, str], *, subscribing: bool
) -> dict[str, str]:
    """Validate writable subscription attributes against the current ones; the merged result.

    ``FilterPolicy`` "" removes the policy (and its scope). The policy is parsed against the
    scope it will have after the change. Reasons of refusals made at Subscribe carry AWS's
    ``Attributes Reason: `` prefix.
    """
    prefix = "Attributes Reason: " if subscribing else ""
    merged = dict(current)
    for name, value in given.items():
        if name not in SUBSCRIPTION_WRITABLE:
            raise SnsInvalidParameter("AttributeName")
        if name == "RawMessageDelivery":
            value = _bool(name, value, prefix)
        elif name == "FilterPolicyScope" and value not in filter_policy.SCOPES:
            raise SnsInvalidParameter(
                f"{prefix}FilterPolicyScope: Invalid filter policy scope, only "
                "MessageAttributes and MessageBody are allowed"
            )
        elif name == "DeliveryPolicy" and value:
            try:
                delivery_policy.parse_subscription_policy(value)
            except delivery_policy.DeliveryPolicyError as exc:
                raise SnsInvalidParameter(prefix + exc.message) from None
        elif name == "RedrivePolicy" and value:
            _check_redrive(value, prefix)
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
            raise SnsInvalidParameter(prefix + exc.message) from None
        merged.setdefault("FilterPolicyScope", filter_policy.MESSAGE_ATTRIBUTES)
    return merged


def _check_redrive(value: str, prefix: str) -> None:
    try:
        doc = json.loads(value)
    except ValueError:
        raise SnsInvalidParameter(f"{prefix}RedrivePolicy: Invalid JSON") from None
    target = doc.get("deadLetterTargetArn") if isinstance(doc, dict) else None
    if not isinstance(target, str):
        raise SnsInvalidParameter(
            f"{prefix}RedrivePolicy: deadLetterTargetArn is missing from the policy"
        )
    if not _SQS_ARN.fullmatch(target):
        raise SnsInvalidParameter(f"{prefix}RedrivePolicy: deadLetterTargetArn is an invalid arn")


def is_sqs_arn(value: str) -> bool:
    return _SQS_ARN.fullmatch(value) is not None
