"""Every SNS refusal, worded exactly as the wire answers it: each case calls a provider handler
(over the real SQLite store, no HTTP) and renders the domain error it raises through the
provider error table — the code and the message, byte for byte. Every named refusal
(``Refusal``, ``AttributeRefusal``) has a case.

The texts are AWS's (from the SNS API Reference, AWS's own answers and LocalStack's snapshots
recorded against AWS) or, where AWS words nothing public, densho's; they must not drift.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from densho.core.clock import FakeClock
from densho.core.errors import DomainError
from densho.protocol.call import Call
from densho.providers.context import SnsContext
from densho.providers.errors import to_aws
from densho.providers.sns import HANDLERS
from densho.sns.engine import SnsEngine
from densho.sns.errors import AttributeRefusal, Refusal
from densho.sns.manage.engine import SnsManage
from densho.sns.outbox.deliveries import Deliveries
from densho.sns.signing.signer import Signer
from densho.sqs.engine import SqsEngine
from densho.storage.sqlite import SqliteStore

ACCOUNT, REGION = "000000000000", "us-east-1"
ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}"
TOPIC = f"{ARN}:t"
FIFO_TOPIC = f"{ARN}:f.fifo"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"
FIFO_QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q.fifo"
APP = f"{ARN}:app/GCM/a"
SIGNER = Signer.generate(now_ms=1_700_000_000_000)
IP = "Invalid parameter: "
SUBSCRIBE = {"TopicArn": TOPIC, "Protocol": "sqs", "Endpoint": QUEUE}


def _attr(data_type: str, value: str | None = None, binary: bytes | None = None) -> Any:
    out: dict[str, Any] = {"DataType": data_type}
    if value is not None:
        out["StringValue"] = value
    if binary is not None:
        out["BinaryValue"] = binary
    return out


def _publish(**given: Any) -> dict[str, Any]:
    return {"TopicArn": TOPIC, "Message": "m", **given}


def _attrs(**given: Any) -> dict[str, Any]:
    return _publish(MessageAttributes=given)


def _dpp(policy: str) -> dict[str, Any]:
    return {"ResourceArn": TOPIC, "DataProtectionPolicy": policy}


_STATEMENT = '{"DataIdentifier":["x"],"Operation":{"Audit":{}}}'

# (operation, parameters, AWS code, message)
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # --- ARNs ---
    (
        "GetTopicAttributes",
        {"TopicArn": "nope"},
        "InvalidParameter",
        IP + "TopicArn Reason: An ARN must have at least 6 elements, not 1",
    ),
    ("GetTopicAttributes", {"TopicArn": "arn:aws:sqs:r:a:t"}, "InvalidParameter", IP + "TopicArn"),
    ("GetTopicAttributes", {"TopicArn": f"{ARN}:missing"}, "NotFound", "Topic does not exist"),
    (
        "ListTagsForResource",
        {"ResourceArn": "x:y"},
        "InvalidParameter",
        IP + "ResourceArn Reason: An ARN must have at least 6 elements, not 2",
    ),
    (
        "ListTagsForResource",
        {"ResourceArn": f"{ARN}:missing"},
        "ResourceNotFound",
        "Resource does not exist",
    ),
    (
        "GetSubscriptionAttributes",
        {"SubscriptionArn": f"{TOPIC}:nope"},
        "NotFound",
        "Subscription does not exist",
    ),
    ("Unsubscribe", {"SubscriptionArn": TOPIC}, "InvalidParameter", IP + "SubscriptionId"),
    # --- topics ---
    ("CreateTopic", {"Name": "bad name"}, "InvalidParameter", IP + "Topic Name"),
    (
        "CreateTopic",
        {"Name": "bad", "Attributes": {"FifoTopic": "true"}},
        "InvalidParameter",
        IP + "Topic Name",
    ),
    (
        "CreateTopic",
        {"Name": "t", "Attributes": {"DisplayName": "other"}},
        "InvalidParameter",
        IP + "Attributes Reason: Topic already exists with different attributes",
    ),
    (
        "CreateTopic",
        {"Name": "t", "Tags": [{"Key": "k", "Value": "other"}]},
        "InvalidParameter",
        IP + "Tags Reason: Topic already exists with different tags",
    ),
    (
        "CreateTopic",
        {"Name": "n", "Tags": [{"Key": "aws:x", "Value": "v"}]},
        "InvalidParameter",
        IP + "Tags Reason: Invalid tag key: aws:x",
    ),
    (
        "CreateTopic",
        {"Name": "n", "Tags": [{"Key": "k", "Value": "v" * 257}]},
        "InvalidParameter",
        IP + "Tags Reason: Invalid tag value for key k",
    ),
    (
        "CreateTopic",
        {"Name": "n", "Tags": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]},
        "InvalidParameter",
        IP + "Duplicated keys are not allowed.",
    ),
    (
        "TagResource",
        {"ResourceArn": TOPIC, "Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]},
        "TagLimitExceeded",
        "Could not complete request: tag quota of per resource exceeded",
    ),
    (
        "CreateTopic",
        {"Name": "n", "Attributes": {"FifoTopic": "maybe"}},
        "InvalidParameter",
        IP + "FifoTopic: Invalid value [maybe]. Must be true or false.",
    ),
    (
        "CreateTopic",
        {"Name": "n", "Attributes": {"DataProtectionPolicy": "[]"}},
        "InvalidParameter",
        IP + "DataProtectionPolicy: Invalid JSON",
    ),
    (
        "CreateTopic",
        {"Name": "n", "Attributes": {"Policy": "{"}},
        "InvalidParameter",
        IP + "Policy: Invalid JSON",
    ),
    (
        "CreateTopic",
        {"Name": "n", "Attributes": {"Bogus": "1"}},
        "InvalidParameter",
        IP + "AttributeName",
    ),
    (
        "SetTopicAttributes",
        {"TopicArn": TOPIC, "AttributeName": "FifoTopic", "AttributeValue": "x"},
        "InvalidParameter",
        IP + "AttributeName",
    ),
    (
        "SetTopicAttributes",
        {"TopicArn": TOPIC, "AttributeName": "FifoThroughputScope", "AttributeValue": "Topic"},
        "InvalidParameter",
        IP + "Attributes Reason: FifoThroughputScope is only valid for FIFO topics",
    ),
    (
        "SetTopicAttributes",
        {"TopicArn": TOPIC, "AttributeName": "ContentBasedDeduplication", "AttributeValue": "true"},
        "InvalidParameter",
        IP + "Attributes Reason: Content based deduplication can only be set for FIFO topics",
    ),
    (
        "SetTopicAttributes",
        {
            "TopicArn": FIFO_TOPIC,
            "AttributeName": "ContentBasedDeduplication",
            "AttributeValue": "1",
        },
        "InvalidParameter",
        IP
        + "Attributes Reason: ContentBasedDeduplication: Invalid value [1]. Must be true or false.",
    ),
    (
        "SetTopicAttributes",
        {"TopicArn": TOPIC, "AttributeName": "DisplayName", "AttributeValue": "d" * 101},
        "InvalidParameter",
        IP + "DisplayName",
    ),
    (
        "SetTopicAttributes",
        {"TopicArn": TOPIC, "AttributeName": "SignatureVersion", "AttributeValue": "3"},
        "InvalidParameter",
        IP + "SignatureVersion",
    ),
    (
        "SetTopicAttributes",
        {"TopicArn": TOPIC, "AttributeName": "TracingConfig", "AttributeValue": "On"},
        "InvalidParameter",
        IP + "TracingConfig",
    ),
    (
        "SetTopicAttributes",
        {"TopicArn": FIFO_TOPIC, "AttributeName": "FifoThroughputScope", "AttributeValue": "All"},
        "InvalidParameter",
        IP + "FifoThroughputScope",
    ),
    (
        "SetTopicAttributes",
        {
            "TopicArn": TOPIC,
            "AttributeName": "HTTPSuccessFeedbackSampleRate",
            "AttributeValue": "101",
        },
        "InvalidParameter",
        IP + "HTTPSuccessFeedbackSampleRate",
    ),
    (
        "SetTopicAttributes",
        {"TopicArn": TOPIC, "AttributeName": "ArchivePolicy", "AttributeValue": "{}"},
        "InvalidParameter",
        IP + "Attributes Reason: ArchivePolicy is only valid for FIFO topics",
    ),
    (
        "SetTopicAttributes",
        {"TopicArn": FIFO_TOPIC, "AttributeName": "ArchivePolicy", "AttributeValue": "1"},
        "InvalidParameter",
        IP + "ArchivePolicy: Invalid JSON",
    ),
    (
        "SetTopicAttributes",
        {"TopicArn": TOPIC, "AttributeName": "DeliveryPolicy", "AttributeValue": "{"},
        "InvalidParameter",
        IP + "DeliveryPolicy: invalid JSON",
    ),
    (
        "SetTopicAttributes",
        {
            "TopicArn": TOPIC,
            "AttributeName": "DeliveryPolicy",
            "AttributeValue": '{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":0}}}',
        },
        "InvalidParameter",
        IP + "DeliveryPolicy: http.defaultHealthyRetryPolicy.maxDelayTarget must be specified",
    ),
    # --- subscriptions ---
    (
        "Subscribe",
        {**SUBSCRIBE, "Protocol": "carrier-pigeon"},
        "InvalidParameter",
        IP + "Amazon SNS does not support this protocol string: carrier-pigeon",
    ),
    ("Subscribe", {"TopicArn": TOPIC, "Protocol": "sqs"}, "InvalidParameter", IP + "Endpoint"),
    ("Subscribe", {**SUBSCRIBE, "Endpoint": "queue"}, "InvalidParameter", IP + "SQS endpoint ARN"),
    (
        "Subscribe",
        {**SUBSCRIBE, "Endpoint": FIFO_QUEUE},
        "InvalidParameter",
        IP
        + "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard "
        "SNS topics",
    ),
    (
        "Subscribe",
        {"TopicArn": FIFO_TOPIC, "Protocol": "https", "Endpoint": "https://h/"},
        "InvalidParameter",
        IP + "Invalid parameter: Endpoint Reason: FIFO topic only supports SQS protocol",
    ),
    (
        "Subscribe",
        {
            "TopicArn": FIFO_TOPIC,
            "Protocol": "sqs",
            "Endpoint": FIFO_QUEUE,
            "Attributes": {"RedrivePolicy": json.dumps({"deadLetterTargetArn": QUEUE})},
        },
        "InvalidParameter",
        IP + "Attributes Reason: RedrivePolicy: must use a FIFO queue as DLQ for a FIFO "
        "Subscription to a FIFO Topic.",
    ),
    (
        "Subscribe",
        {"TopicArn": TOPIC, "Protocol": "https", "Endpoint": "http://h/"},
        "InvalidParameter",
        IP + "Endpoint Reason: Endpoint must match the specified protocol",
    ),
    (
        "Subscribe",
        {"TopicArn": TOPIC, "Protocol": "email", "Endpoint": "nobody"},
        "InvalidParameter",
        IP + "Email address",
    ),
    (
        "Subscribe",
        {**SUBSCRIBE, "Attributes": {"RawMessageDelivery": "true"}},
        "InvalidParameter",
        IP + "Attributes Reason: Subscription already exists with different attributes",
    ),
    (
        "Subscribe",
        {**SUBSCRIBE, "Attributes": {"Colour": "red"}},
        "InvalidParameter",
        IP + "AttributeName",
    ),
    (
        "Subscribe",
        {**SUBSCRIBE, "Attributes": {"RawMessageDelivery": "yes"}},
        "InvalidParameter",
        IP + "Attributes Reason: RawMessageDelivery: Invalid value [yes]. Must be true or false.",
    ),
    (
        "Subscribe",
        {**SUBSCRIBE, "Attributes": {"FilterPolicyScope": "Body"}},
        "InvalidParameter",
        IP + "Attributes Reason: FilterPolicyScope: Invalid value [Body]. Please use either "
        "MessageBody or MessageAttributes",
    ),
    (
        "Subscribe",
        {**SUBSCRIBE, "Attributes": {"FilterPolicy": "{}"}},
        "InvalidParameter",
        IP + "Attributes Reason: FilterPolicy: Filter policy can not be empty",
    ),
    (
        "Subscribe",
        {**SUBSCRIBE, "Attributes": {"FilterPolicy": '{"a":{"b":["c"]}}'}},
        "InvalidParameter",
        IP + "Attributes Reason: Filter policy scope MessageAttributes does not support nested "
        "filter policy",
    ),
    (
        "Subscribe",
        {**SUBSCRIBE, "Attributes": {"DeliveryPolicy": "[]"}},
        "InvalidParameter",
        IP
        + "Attributes Reason: DeliveryPolicy: type mismatch, expecting object, received an array",
    ),
    (
        "Subscribe",
        {**SUBSCRIBE, "Attributes": {"RedrivePolicy": "{"}},
        "InvalidParameter",
        IP + "Attributes Reason: RedrivePolicy: failed to parse JSON. Unexpected end-of-input",
    ),
    (
        "Subscribe",
        {**SUBSCRIBE, "Attributes": {"RedrivePolicy": "{invalidjson}"}},
        "InvalidParameter",
        IP + "Attributes Reason: RedrivePolicy: failed to parse JSON. Unexpected character ('i' "
        "(code 105))",
    ),
    (
        "Subscribe",
        {**SUBSCRIBE, "Attributes": {"RedrivePolicy": "{}"}},
        "InvalidParameter",
        IP + "Attributes Reason: RedrivePolicy: deadLetterTargetArn is missing from the policy",
    ),
    (
        "Subscribe",
        {**SUBSCRIBE, "Attributes": {"RedrivePolicy": '{"deadLetterTargetArn":"arn:x"}'}},
        "InvalidParameter",
        IP + "Attributes Reason: RedrivePolicy: deadLetterTargetArn is an invalid arn",
    ),
    (
        "SetSubscriptionAttributes",
        {"SubscriptionArn": "<sub>", "AttributeName": "RawMessageDelivery", "AttributeValue": "1"},
        "InvalidParameter",
        IP + "RawMessageDelivery: Invalid value [1]. Must be true or false.",
    ),
    (
        "SetSubscriptionAttributes",
        {"SubscriptionArn": "<sub>", "AttributeName": "RedrivePolicy", "AttributeValue": "{}"},
        "InvalidParameter",
        IP + "RedrivePolicy: deadLetterTargetArn is missing from the policy",
    ),
    (
        "SetSubscriptionAttributes",
        {"SubscriptionArn": "<sub>", "AttributeName": "FilterPolicy", "AttributeValue": "[]"},
        "InvalidParameter",
        IP + "FilterPolicy: Filter is not an object",
    ),
    (
        "SetSubscriptionAttributes",
        {"SubscriptionArn": "<sub>", "AttributeName": "Protocol", "AttributeValue": "http"},
        "InvalidParameter",
        IP + "AttributeName",
    ),
    (
        "ConfirmSubscription",
        {"TopicArn": TOPIC, "Token": "nope"},
        "InvalidParameter",
        "Invalid token",
    ),
    ("ConfirmSubscription", {"TopicArn": TOPIC, "Token": "ab12"}, "InvalidParameter", IP + "Token"),
    (
        "ConfirmSubscription",
        {"TopicArn": f"{ARN}:missing", "Token": "ab12"},
        "InvalidParameter",
        IP + "Token",
    ),
    (
        "Subscribe",
        {"TopicArn": TOPIC, "Protocol": "sms", "Endpoint": "+15--551234567"},
        "InvalidParameter",
        "Invalid SMS endpoint: +15--551234567",
    ),
    ("ListSubscriptions", {"NextToken": "nope"}, "InvalidParameter", IP + "NextToken"),
    # --- Publish: the message ---
    (
        "Publish",
        {"Message": "m"},
        "InvalidParameter",
        IP + "TopicArn or TargetArn Reason: no value for required parameter",
    ),
    (
        "Publish",
        _publish(TargetArn=TOPIC),
        "InvalidParameter",
        IP + "TopicArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be specified",
    ),
    ("Publish", _publish(Message=""), "InvalidParameter", IP + "Empty message"),
    (
        "Publish",
        _publish(Message="a\x00b"),
        "InvalidParameter",
        IP + "Message Reason: contains invalid characters",
    ),
    ("Publish", _publish(Subject="a\nb"), "InvalidParameter", IP + "Subject"),
    ("Publish", _publish(Message="m" * 262_145), "InvalidParameter", IP + "Message too long"),
    ("Publish", _publish(MessageStructure="xml"), "InvalidParameter", IP + "MessageStructure"),
    (
        "Publish",
        _publish(MessageStructure="json"),
        "InvalidParameter",
        IP + "Message Structure - JSON message body failed to parse",
    ),
    (
        "Publish",
        _publish(MessageStructure="json", Message="{}"),
        "InvalidParameter",
        IP + "Message Structure - No default entry in JSON message body",
    ),
    (
        "Publish",
        _publish(MessageStructure="json", Message='{"default":1}'),
        "InvalidParameter",
        IP + "Message Structure - No default entry in JSON message body",
    ),
    (
        "Publish",
        _publish(MessageGroupId="a b"),
        "InvalidParameter",
        IP + "MessageGroupId Reason: MessageGroupId can only include alphanumeric and punctuation "
        "characters. 1 to 128 in length.",
    ),
    (
        "Publish",
        _publish(MessageDeduplicationId="d" * 129),
        "InvalidParameter",
        IP + "MessageDeduplicationId Reason: MessageDeduplicationId can only include alphanumeric "
        "and punctuation characters. 1 to 128 in length.",
    ),
    (
        "Publish",
        _publish(MessageDeduplicationId="d"),
        "InvalidParameter",
        IP + "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter "
        "that is not valid for this topic type",
    ),
    (
        "Publish",
        _publish(TopicArn=FIFO_TOPIC),
        "InvalidParameter",
        IP + "The MessageGroupId parameter is required for FIFO topics",
    ),
    (
        "Publish",
        _publish(TopicArn=FIFO_TOPIC, MessageGroupId="g"),
        "InvalidParameter",
        IP + "The topic should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly",
    ),
    # --- Publish: message attributes ---
    (
        "Publish",
        _attrs(**{"a" * 257: _attr("String", "v")}),
        "ParameterValueInvalid",
        "Length of message attribute name must be less than 256 bytes.",
    ),
    (
        "Publish",
        _attrs(**{".a": _attr("String", "v")}),
        "ParameterValueInvalid",
        "Invalid message attribute name starting with character '.' was found.",
    ),
    (
        "Publish",
        _attrs(**{"a.": _attr("String", "v")}),
        "ParameterValueInvalid",
        "Invalid message attribute name ending with character '.' was found.",
    ),
    (
        "Publish",
        _attrs(**{"a^": _attr("String", "v")}),
        "ParameterValueInvalid",
        "Invalid non-alphanumeric character '#x5E' was found in the message attribute name. Can "
        "only include alphanumeric characters, hyphens, underscores, or dots.",
    ),
    (
        "Publish",
        _attrs(**{"a..b": _attr("String", "v")}),
        "ParameterValueInvalid",
        "Message attribute name can not have successive '.' character.",
    ),
    (
        "Publish",
        _attrs(**{"AWS.x": _attr("String", "v")}),
        "ParameterValueInvalid",
        "The message attribute name 'AWS.x' is invalid.",
    ),
    (
        "Publish",
        _attrs(a=_attr("Text", "v")),
        "ParameterValueInvalid",
        "The message attribute 'a' has an invalid message attribute type, the set of supported "
        "type prefixes is Binary, Number, and String.",
    ),
    (
        "Publish",
        _attrs(a=_attr("Binary", "v")),
        "ParameterValueInvalid",
        "The message attribute 'a' with type 'Binary' must use field 'Binary'.",
    ),
    (
        "Publish",
        _attrs(a=_attr("Number.x", binary=b"1")),
        "ParameterValueInvalid",
        "The message attribute 'a' with type 'Number.x' must use field 'String'.",
    ),
    (
        "Publish",
        _attrs(a=_attr("Binary", binary=b"")),
        "ParameterValueInvalid",
        "The message attribute 'a' must contain non-empty message attribute value for message "
        "attribute type 'Binary'.",
    ),
    (
        "Publish",
        _attrs(a=_attr("String", "")),
        "ParameterValueInvalid",
        "The message attribute 'a' must contain non-empty message attribute value for message "
        "attribute type 'String'.",
    ),
    (
        "Publish",
        _attrs(a=_attr("Number", "one")),
        "ParameterValueInvalid",
        "Could not cast message attribute 'a' value to number.",
    ),
    (
        "Publish",
        _attrs(a=_attr("String.Array", "{}")),
        "ParameterValueInvalid",
        "The message attribute 'a' with type 'String.Array' must contain a JSON array.",
    ),
    # --- PublishBatch ---
    (
        "PublishBatch",
        {"TopicArn": TOPIC, "PublishBatchRequestEntries": []},
        "EmptyBatchRequest",
        "The batch request doesn't contain any entries.",
    ),
    (
        "PublishBatch",
        {
            "TopicArn": TOPIC,
            "PublishBatchRequestEntries": [{"Id": f"i{i}", "Message": "m"} for i in range(11)],
        },
        "TooManyEntriesInBatchRequest",
        "The batch request contains more entries than permissible.",
    ),
    (
        "PublishBatch",
        {
            "TopicArn": TOPIC,
            "PublishBatchRequestEntries": [
                {"Id": "a", "Message": "m"},
                {"Id": "a", "Message": "m"},
            ],
        },
        "BatchEntryIdsNotDistinct",
        "Two or more batch entries in the request have the same Id.",
    ),
    (
        "PublishBatch",
        {"TopicArn": TOPIC, "PublishBatchRequestEntries": [{"Id": "message.id", "Message": "m"}]},
        "InvalidBatchEntryId",
        "The Id of a batch entry in the batch request contains an impermissible character: "
        "message.id",
    ),
    (
        "PublishBatch",
        {"TopicArn": TOPIC, "PublishBatchRequestEntries": [{"Id": "i" * 81, "Message": "m"}]},
        "InvalidBatchEntryId",
        "The Id of a batch entry in the batch request is too long: " + "i" * 81,
    ),
    (
        "PublishBatch",  # one entry refused refuses the request (nothing is published)
        {
            "TopicArn": FIFO_TOPIC,
            "PublishBatchRequestEntries": [
                {"Id": "ok", "Message": "m", "MessageGroupId": "g", "MessageDeduplicationId": "d"},
                {"Id": "no-group", "Message": "m"},
            ],
        },
        "InvalidParameter",
        IP + "The MessageGroupId parameter is required for FIFO topics",
    ),
    (
        "PublishBatch",
        {
            "TopicArn": TOPIC,
            "PublishBatchRequestEntries": [
                {"Id": f"i{i}", "Message": "m" * 30_000} for i in range(9)
            ],
        },
        "BatchRequestTooLong",
        "The length of all the messages put together is more than the limit.",
    ),
    # --- topic permissions and data protection ---
    (
        "AddPermission",
        {"TopicArn": TOPIC, "Label": "s", "AWSAccountId": ["1"], "ActionName": ["Publish"]},
        "InvalidParameter",
        IP + "Statement already exists",
    ),
    (
        "AddPermission",
        {"TopicArn": TOPIC, "Label": "n", "ActionName": ["Publish"]},
        "InvalidParameter",
        IP + "AWSAccountId",
    ),
    (
        "AddPermission",
        {"TopicArn": TOPIC, "Label": "n", "AWSAccountId": ["1"]},
        "InvalidParameter",
        IP + "ActionName",
    ),
    (
        "AddPermission",
        {"TopicArn": TOPIC, "Label": "n", "AWSAccountId": ["1"], "ActionName": ["ListTopics"]},
        "InvalidParameter",
        IP + "Policy statement action out of service scope!",
    ),
    (
        "RemovePermission",
        {"TopicArn": TOPIC, "Label": "never"},
        "InvalidParameter",
        IP + "Label Reason: No statement with label never exists",
    ),
    (
        "PutDataProtectionPolicy",
        _dpp("x" * 30_721),
        "InvalidParameter",
        IP + "DataProtectionPolicy Reason: Policy must be at most 30720 characters long",
    ),
    (
        "PutDataProtectionPolicy",
        _dpp("{"),
        "InvalidParameter",
        IP + "DataProtectionPolicy Reason: Policy is not valid JSON",
    ),
    (
        "PutDataProtectionPolicy",
        _dpp("[]"),
        "InvalidParameter",
        IP + "DataProtectionPolicy Reason: Policy must be a JSON object",
    ),
    (
        "PutDataProtectionPolicy",
        _dpp('{"Version":"1"}'),
        "InvalidParameter",
        IP + "DataProtectionPolicy Reason: Unsupported policy version: 1",
    ),
    (
        "PutDataProtectionPolicy",
        _dpp('{"Statement":[]}'),
        "InvalidParameter",
        IP + "DataProtectionPolicy Reason: Policy must contain a non-empty Statement list",
    ),
    (
        "PutDataProtectionPolicy",
        _dpp('{"Statement":[1]}'),
        "InvalidParameter",
        IP + "DataProtectionPolicy Reason: Each statement must be a JSON object",
    ),
    (
        "PutDataProtectionPolicy",
        _dpp('{"Statement":[{}]}'),
        "InvalidParameter",
        IP
        + "DataProtectionPolicy Reason: Each statement must name a non-empty DataIdentifier list",
    ),
    (
        "PutDataProtectionPolicy",
        _dpp('{"Statement":[{"DataIdentifier":["x"]}]}'),
        "InvalidParameter",
        IP + "DataProtectionPolicy Reason: Each statement must hold exactly one Operation: Audit, "
        "Deidentify or Deny",
    ),
    (
        "PutDataProtectionPolicy",
        _dpp('{"Statement":[' + _STATEMENT[:-1] + ',"DataDirection":"Up"}]}'),
        "InvalidParameter",
        IP + "DataProtectionPolicy Reason: DataDirection must be Inbound or Outbound",
    ),
    (
        "PutDataProtectionPolicy",
        _dpp('{"Statement":[' + _STATEMENT[:-1] + ',"Principal":"me"}]}'),
        "InvalidParameter",
        IP + "DataProtectionPolicy Reason: Principal must be a list of strings",
    ),
    # --- SMS ---
    (
        "SetSMSAttributes",
        {"attributes": {"Bogus": "1"}},
        "InvalidParameter",
        "Bogus is not a valid attribute",
    ),
    (
        "SetSMSAttributes",
        {"attributes": {"DefaultSMSType": "Urgent"}},
        "InvalidParameter",
        "DefaultSMSType is invalid",
    ),
    (
        "SetSMSAttributes",
        {"attributes": {"DefaultSenderID": "123"}},
        "InvalidParameter",
        "DefaultSenderID is invalid",
    ),
    (
        "SetSMSAttributes",
        {"attributes": {"DeliveryStatusSuccessSamplingRate": "200"}},
        "InvalidParameter",
        "DeliveryStatusSuccessSamplingRate is invalid",
    ),
    (
        "SetSMSAttributes",
        {"attributes": {"MonthlySpendLimit": "1.5"}},
        "InvalidParameter",
        "MonthlySpendLimit is invalid",
    ),
    (
        "OptInPhoneNumber",
        {"phoneNumber": "0123"},
        "InvalidParameter",
        IP + "PhoneNumber Reason: input incorrectly formatted",
    ),
    (
        "Publish",
        {"PhoneNumber": "0123", "Message": "m"},
        "InvalidParameter",
        IP + "PhoneNumber Reason: 0123 is not valid to publish to",
    ),
    (
        "Publish",
        {
            "PhoneNumber": "+15550001111",
            "Message": "m",
            "MessageAttributes": {"AWS.SNS.SMS.SMSType": _attr("String", "Loud")},
        },
        "InvalidParameter",
        IP + "MessageAttributes Reason: Loud is not a valid value for AWS.SNS.SMS.SMSType",
    ),
    (
        "Publish",
        {
            "PhoneNumber": "+15550001111",
            "Message": "m",
            "MessageAttributes": {"AWS.SNS.SMS.SenderID": _attr("String", "1")},
        },
        "InvalidParameter",
        IP + "MessageAttributes Reason: 1 is not a valid value for AWS.SNS.SMS.SenderID",
    ),
    (
        "Publish",
        {"PhoneNumber": "+15550001111", "Message": "a" * 1601},
        "InvalidParameter",
        IP + "Message Reason: SMS messages must be less than 1600 characters",
    ),
    (
        "VerifySMSSandboxPhoneNumber",
        {"PhoneNumber": "+15550001111", "OneTimePassword": "1"},
        "ResourceNotFound",
        "Resource does not exist",
    ),
    # --- mobile push ---
    (
        "CreatePlatformApplication",
        {"Name": "", "Platform": "GCM", "Attributes": {}},
        "InvalidParameter",
        IP + " Reason: cannot be empty",
    ),
    (
        "CreatePlatformApplication",
        {"Name": "bad name!", "Platform": "GCM", "Attributes": {}},
        "InvalidParameter",
        IP + "bad name! Reason: must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', "
        "and '.'",
    ),
    (
        "CreatePlatformApplication",
        {"Name": "a" * 257, "Platform": "GCM", "Attributes": {}},
        "InvalidParameter",
        IP + "a" * 257 + " Reason: must be at most 256 characters long",
    ),
    (
        "CreatePlatformApplication",
        {"Name": "a", "Platform": "SYMBIAN", "Attributes": {}},
        "InvalidParameter",
        IP + "Platform Reason: SYMBIAN is not supported",
    ),
    (
        "CreatePlatformApplication",
        {"Name": "a", "Platform": "APNS", "Attributes": {"PlatformCredential": "c"}},
        "InvalidParameter",
        IP + "Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal",
    ),
    (
        "CreatePlatformApplication",
        {"Name": "a", "Platform": "APNS", "Attributes": {"PlatformPrincipal": "p"}},
        "InvalidParameter",
        IP + "Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential",
    ),
    (
        "CreatePlatformApplication",
        {"Name": "a", "Platform": "GCM", "Attributes": {"Colour": "red"}},
        "InvalidParameter",
        IP + "Attributes Reason: Invalid attribute name: Colour",
    ),
    (
        "CreatePlatformApplication",
        {"Name": "a", "Platform": "GCM", "Attributes": {"Enabled": "yes"}},
        "InvalidParameter",
        IP + "Attributes Reason: Invalid value for attribute: Enabled",
    ),
    (
        "CreatePlatformApplication",
        {"Name": "a", "Platform": "GCM", "Attributes": {"SuccessFeedbackSampleRate": "x"}},
        "InvalidParameter",
        IP + "Attributes Reason: Invalid value for attribute: SuccessFeedbackSampleRate",
    ),
    (
        "CreatePlatformApplication",
        {"Name": "a", "Platform": "GCM", "Attributes": {"EventEndpointCreated": "topic"}},
        "InvalidParameter",
        IP + "Attributes Reason: Invalid value for attribute: EventEndpointCreated",
    ),
    (
        "SetPlatformApplicationAttributes",
        {"PlatformApplicationArn": APP, "Attributes": {"PlatformPrincipal": "p"}},
        "InvalidParameter",
        IP + "Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential",
    ),
    (
        "GetPlatformApplicationAttributes",
        {"PlatformApplicationArn": "arn:aws:sns:r:a:app/GCM"},
        "InvalidParameter",
        IP
        + "PlatformApplicationArn Reason: Wrong number of slashes in relative portion of the ARN.",
    ),
    (
        "GetPlatformApplicationAttributes",
        {"PlatformApplicationArn": "arn:aws:sqs:r:a:app/G/n"},
        "InvalidParameter",
        IP + "PlatformApplicationArn",
    ),
    (
        "GetPlatformApplicationAttributes",
        {"PlatformApplicationArn": "a"},
        "InvalidParameter",
        IP + "PlatformApplicationArn Reason: An ARN must have at least 6 elements, not 1",
    ),
    (
        "GetPlatformApplicationAttributes",
        {"PlatformApplicationArn": f"{ARN}:app/GCM/none"},
        "NotFound",
        "PlatformApplication does not exist",
    ),
    (
        "GetEndpointAttributes",
        {"EndpointArn": f"{ARN}:endpoint/GCM/a"},
        "InvalidParameter",
        IP + "EndpointArn Reason: Wrong number of slashes in relative portion of the ARN.",
    ),
    (
        "GetEndpointAttributes",
        {"EndpointArn": f"{ARN}:endpoint/GCM/a/none"},
        "NotFound",
        "Endpoint does not exist",
    ),
    (
        "CreatePlatformEndpoint",
        {"PlatformApplicationArn": APP, "Token": "t", "Attributes": {"Token": ""}},
        "InvalidParameter",
        IP + "Attributes Reason: Invalid value for attribute: Token",
    ),
    (
        "CreatePlatformEndpoint",
        {"PlatformApplicationArn": APP, "Token": "t", "CustomUserData": "x" * 2049},
        "InvalidParameter",
        IP + "Attributes Reason: Invalid value for attribute: CustomUserData: must be at most 2048 "
        "bytes long in UTF-8 encoding",
    ),
    (
        "CreatePlatformEndpoint",
        {"PlatformApplicationArn": APP, "Token": "t", "Attributes": {"Colour": "red"}},
        "InvalidParameter",
        IP + "Attributes Reason: Invalid attribute name: Colour",
    ),
    (
        "CreatePlatformEndpoint",
        {"PlatformApplicationArn": APP, "Token": "tok", "CustomUserData": "other"},
        "InvalidParameter",
        IP + "Token Reason: Endpoint <endpoint> already exists with the same Token, but different "
        "attributes.",
    ),
    (
        "Publish",
        {"TargetArn": f"{ARN}:endpoint/GCM/a/none", "Message": "m"},
        "InvalidParameter",
        IP + "TargetArn Reason: No endpoint found for the target arn specified",
    ),
    (
        "Publish",
        {"TargetArn": "<endpoint>", "Message": "", "PhoneNumber": "+1555"},
        "InvalidParameter",
        IP + "TopicArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be specified",
    ),
    (
        "Publish",
        {"TargetArn": "<endpoint>", "MessageStructure": "json", "Message": "{"},
        "InvalidParameter",
        IP + "Message Structure - JSON message body failed to parse",
    ),
    (
        "Publish",
        {"TargetArn": "<disabled>", "Message": "m"},
        "EndpointDisabled",
        "Endpoint is disabled",
    ),
]


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for placeholder, actual in names.items():
            value = value.replace(placeholder, actual)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value


async def _world(
    tmp_path: Path,
) -> tuple[SqliteStore, dict[str, str], SnsEngine, SnsManage, FakeClock]:
    store = SqliteStore(tmp_path / "t.db", "NORMAL")
    await store.open()
    clock = FakeClock()
    sqs = SqsEngine(store, clock)
    sns = SnsEngine(store, sqs, clock, lambda: SIGNER)
    manage = SnsManage(store, sns.topics, clock)
    for name in ("q", "q.fifo"):
        fifo = {"FifoQueue": "true"} if name.endswith(".fifo") else {}
        await sqs.queues.create_queue(ACCOUNT, REGION, name, fifo, {})
    ctx = _context(sns, manage, "CreateTopic")
    await HANDLERS["CreateTopic"](ctx, {"Name": "t", "Tags": [{"Key": "k", "Value": "v"}]})
    await HANDLERS["CreateTopic"](ctx, {"Name": "f.fifo", "Attributes": {"FifoTopic": "true"}})
    sub = await HANDLERS["Subscribe"](ctx, SUBSCRIBE)
    await HANDLERS["AddPermission"](
        ctx, {"TopicArn": TOPIC, "Label": "s", "AWSAccountId": ["1"], "ActionName": ["Publish"]}
    )
    await HANDLERS["CreatePlatformApplication"](
        ctx, {"Name": "a", "Platform": "GCM", "Attributes": {}}
    )
    endpoint = await HANDLERS["CreatePlatformEndpoint"](
        ctx, {"PlatformApplicationArn": APP, "Token": "tok", "CustomUserData": "mine"}
    )
    disabled = await HANDLERS["CreatePlatformEndpoint"](
        ctx, {"PlatformApplicationArn": APP, "Token": "off", "Attributes": {"Enabled": "false"}}
    )
    names = {
        "<sub>": sub["SubscriptionArn"],
        "<endpoint>": endpoint["EndpointArn"],
        "<disabled>": disabled["EndpointArn"],
    }
    return store, names, sns, manage, clock


def _context(sns: SnsEngine, manage: SnsManage, operation: str) -> SnsContext:
    call = Call("sns", "query", operation, {}, REGION, "http://localhost", "AKID")
    return SnsContext(sns, ACCOUNT, call, manage)


def test_every_refusal_is_worded_as_before(tmp_path: Path) -> None:
    async def main() -> list[str]:
        store, names, sns, manage, _ = await _world(tmp_path)
        wrong: list[str] = []
        refused: set[object] = set()
        try:
            for operation, params, code, message in CASES:
                ctx = _context(sns, manage, operation)
                try:
                    await HANDLERS[operation](ctx, _fill(params, names))
                except DomainError as exc:
                    err = to_aws(exc)
                    got = (err.code, err.message)
                    refused.add(getattr(exc, "refusal", None))
                else:
                    got = ("(accepted)", "")
                expected = (code, _fill(message, names))
                if got != expected:
                    wrong.append(f"{operation} {params!r}:\n  got  {got}\n  want {expected}")
        finally:
            await store.close()
        untested = (set(Refusal) | set(AttributeRefusal)) - refused
        if untested:
            wrong.append(f"no case for {sorted(r.name for r in untested)}")
        return wrong

    wrong = asyncio.run(main())
    assert not wrong, "\n".join(wrong)


def test_an_unauthenticated_unsubscribe_of_a_protected_subscription(tmp_path: Path) -> None:
    async def main() -> tuple[str, str]:
        store, _, sns, manage, clock = await _world(tmp_path)
        try:
            ctx = _context(sns, manage, "Subscribe")
            await HANDLERS["Subscribe"](
                ctx, {"TopicArn": TOPIC, "Protocol": "http", "Endpoint": "http://h/"}
            )
            (confirmation,) = await Deliveries(sns, store, clock).claim(10)
            token = json.loads(confirmation.entry.body)["Token"]
            sub = await HANDLERS["ConfirmSubscription"](
                ctx, {"TopicArn": TOPIC, "Token": token, "AuthenticateOnUnsubscribe": "true"}
            )
            unsigned = SnsContext(
                sns,
                ACCOUNT,
                Call("sns", "query", "Unsubscribe", {}, REGION, "http://h", None),
                manage,
            )
            with pytest.raises(DomainError) as caught:
                await HANDLERS["Unsubscribe"](unsigned, {"SubscriptionArn": sub["SubscriptionArn"]})
            err = to_aws(caught.value)
            return err.code, err.message
        finally:
            await store.close()

    assert asyncio.run(main()) == (
        "AuthorizationError",
        "The subscription requires authentication to unsubscribe",
    )
