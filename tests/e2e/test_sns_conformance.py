"""SNS answers as AWS answers them: the differences found in December 2026 (issue 14), one
test each, over boto3 (SNS is Query protocol) against the real server on each store.

Each test names the root cause it covers (N4, N5, ...: /work/shared/aws-differences-2026-12.md)
and the source of AWS's answer: LocalStack's SNS snapshots recorded against AWS, or the SNS API
Reference.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import REGION, json_client
from tests.e2e.helpers import expect_error, queue_arn, queue_name_of, wait_until

Client = Any
IP = "Invalid parameter: "


@pytest.fixture(scope="module")
def sqs(endpoint: str) -> Client:
    return json_client(endpoint)


@pytest.fixture(scope="module")
def sns_unchecked(endpoint: str) -> Client:
    """An SNS client that sends what botocore would refuse (a missing or empty member)."""
    return boto3.client(
        "sns",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
    )


def _name(suffix: str = "") -> str:
    return f"c-{uuid.uuid4().hex[:10]}{suffix}"


@pytest.fixture
def topic(sns: Client) -> Iterator[str]:
    arn: str = sns.create_topic(Name=_name())["TopicArn"]
    yield arn
    sns.delete_topic(TopicArn=arn)


@pytest.fixture
def queue(sqs: Client) -> Iterator[tuple[str, str]]:
    url: str = sqs.create_queue(QueueName=_name())["QueueUrl"]
    yield url, queue_arn(queue_name_of(url))
    sqs.delete_queue(QueueUrl=url)


def _error(call: Any, /, code: str = "InvalidParameter", **kwargs: Any) -> str:
    message: str = expect_error(call, code=code, **kwargs)["Error"]["Message"]
    return message


def _subscribe_queue(sns: Client, topic: str, arn: str, **attrs: str) -> str:
    sub: str = sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attrs, ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    return sub


# --- N4: Subscribe protocol=sms validates the number (snapshots test_subscribe_invalid_sms) ---


@pytest.mark.parametrize(
    "number", ["+15--551234567", "NAA+15551234567", "+15551234567.", "/+15551234567"]
)
def test_subscribe_sms_refuses_a_malformed_number(sns: Client, topic: str, number: str) -> None:
    message = _error(sns.subscribe, TopicArn=topic, Protocol="sms", Endpoint=number)
    assert message == f"Invalid SMS endpoint: {number}"


def test_subscribe_sms_takes_a_number(sns: Client, topic: str) -> None:
    for number in ("+15551234567", "+15/55-123.4567"):
        sub = sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint=number)
        assert sub["SubscriptionArn"].startswith(topic + ":")


# --- N5: SetSMSAttributes texts (snapshots test_set_invalid_sms_attributes) ---


def test_set_sms_attributes_errors_carry_no_prefix(sns: Client) -> None:
    assert (
        _error(sns.set_sms_attributes, attributes={"InvalidAttribute": "invalid"})
        == "InvalidAttribute is not a valid attribute"
    )
    assert (
        _error(sns.set_sms_attributes, attributes={"DefaultSendID": "x"})
        == "DefaultSendID is not a valid attribute"
    )
    assert (
        _error(sns.set_sms_attributes, attributes={"DefaultSMSType": "invalid"})
        == "DefaultSMSType is invalid"
    )


# --- N6: FifoTopic=true without a .fifo name (snapshot fifo-name-not-contains-fifo) ---


def test_fifo_topic_without_fifo_name(sns: Client) -> None:
    message = _error(sns.create_topic, Name=_name(), Attributes={"FifoTopic": "true"})
    assert message == IP + "Topic Name"


# --- N7: MessageStructure=json ignores non-string protocols (snapshot key-is-not-string) ---


def test_message_structure_ignores_a_non_string_protocol(
    sns: Client, sqs: Client, topic: str, queue: tuple[str, str]
) -> None:
    url, arn = queue
    _subscribe_queue(sns, topic, arn, RawMessageDelivery="true")
    sns.publish(
        TopicArn=topic,
        MessageStructure="json",
        Message=json.dumps({"default": "d", "sqs": {"f": "v"}}),
    )
    got = wait_until(lambda: sqs.receive_message(QueueUrl=url).get("Messages"))
    assert got[0]["Body"] == "d"
    message = _error(
        sns.publish,
        TopicArn=topic,
        MessageStructure="json",
        Message=json.dumps({"default": {"f": "v"}}),
    )
    assert message == IP + "Message Structure - No default entry in JSON message body"


# --- N13: invalid JSON in RedrivePolicy / FilterPolicy (snapshot invalid-json-*-policy) ---


@pytest.mark.parametrize("name", ["RedrivePolicy", "FilterPolicy"])
def test_policy_not_json(sns: Client, topic: str, queue: tuple[str, str], name: str) -> None:
    sub = _subscribe_queue(sns, topic, queue[1])
    message = _error(
        sns.set_subscription_attributes,
        SubscriptionArn=sub,
        AttributeName=name,
        AttributeValue="{invalidjson}",
    )
    assert message.startswith(IP + f"{name}: failed to parse JSON.")
    assert message == IP + f"{name}: failed to parse JSON. Unexpected character ('i' (code 105))"


# --- N14 / H3: ConfirmSubscription (snapshots topic-not-exists, invalid-token) ---

AWS_LIKE_TOKEN = "51b2ff3edb475b7d91550e0ab6edf0c1de2a34e6ebaf6c2262a001bcb7e051c4" * 4


def test_confirm_subscription_errors_name_the_token(sns: Client, topic: str) -> None:
    missing = topic[:-1] + ("i" if topic[-1] != "i" else "j")
    assert _error(sns.confirm_subscription, TopicArn=missing, Token=AWS_LIKE_TOKEN) == IP + "Token"
    assert _error(sns.confirm_subscription, TopicArn=topic, Token=AWS_LIKE_TOKEN) == IP + "Token"
    assert _error(sns.confirm_subscription, TopicArn=topic, Token="randomtoken") == "Invalid token"


# --- N15: Subscribe idempotency with attributes at their defaults (subscribe-idempotent) ---


def test_subscribe_again_with_default_attributes(
    sns: Client, topic: str, queue: tuple[str, str]
) -> None:
    arn = queue[1]
    sub = _subscribe_queue(sns, topic, arn, RawMessageDelivery="true")
    again = {"RawMessageDelivery": "true", "FilterPolicyScope": "MessageAttributes"}
    assert _subscribe_queue(sns, topic, arn, **again) == sub
    assert _subscribe_queue(sns, topic, arn) == sub
    assert _subscribe_queue(sns, topic, arn, FilterPolicyScope="MessageAttributes") == sub
    message = _error(
        sns.subscribe,
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "false", "FilterPolicyScope": "MessageBody"},
    )
    assert (
        message == IP + "Attributes Reason: Subscription already exists with different attributes"
    )


# --- N16: Unsubscribe ARN errors (snapshots invalid-unsubscribe-arn-3/-4) ---


def test_unsubscribe_arn_errors(sns_unchecked: Client) -> None:
    message = _error(
        sns_unchecked.unsubscribe, SubscriptionArn="arn:aws:sns:us-east-1:111111111111:random"
    )
    assert message == IP + "SubscriptionId"
    message = _error(sns_unchecked.unsubscribe)
    assert message == IP + "SubscriptionArn Reason: no value for required parameter"


# --- N17: DataType "String." (snapshot publish-error) ---


def test_data_type_with_an_empty_custom_label(sns: Client, topic: str) -> None:
    message = _error(
        sns.publish,
        code="ParameterValueInvalid",
        TopicArn=topic,
        Message="m",
        MessageAttributes={"attr1": {"DataType": "String.", "StringValue": "v"}},
    )
    assert message == (
        "The message attribute 'attr1' has an invalid message attribute type, the set of "
        "supported type prefixes is Binary, Number, and String."
    )
    attrs = {"attr1": {"DataType": "String.  prefixed.", "StringValue": "v"}}
    assert sns.publish(TopicArn=topic, Message="m", MessageAttributes=attrs)["MessageId"]


# --- N18 / N19: platform applications (snapshots invalid-application-name / -arn) ---


def test_platform_application_name_and_arn_errors(sns: Client, sns_unchecked: Client) -> None:
    message = _error(
        sns_unchecked.create_platform_application,
        Name="",
        Platform="ADM",
        Attributes={"PlatformPrincipal": "d", "PlatformCredential": "d"},
    )
    assert message == IP + " Reason: cannot be empty"
    message = _error(
        sns.set_platform_application_attributes,
        PlatformApplicationArn="invalid-arn",
        Attributes={},
    )
    assert (
        message == IP + "PlatformApplicationArn Reason: An ARN must have at least 6 elements, not 1"
    )


# --- N20: FilterPolicyScope (snapshots sub-attrs-filter-scope-*) ---


def test_filter_policy_scope_shows_beside_a_policy_only(
    sns: Client, topic: str, queue: tuple[str, str]
) -> None:
    sub = _subscribe_queue(sns, topic, queue[1])

    def attrs() -> dict[str, str]:
        got: dict[str, str] = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        return got

    assert "FilterPolicyScope" not in attrs()
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageBody"
    )
    assert "FilterPolicyScope" not in attrs()
    message = _error(
        sns.set_subscription_attributes,
        SubscriptionArn=sub,
        AttributeName="FilterPolicyScope",
        AttributeValue="RandomValue",
    )
    assert message == (
        IP + "FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or "
        "MessageAttributes"
    )
    # The scope set before was kept: a nested policy (MessageBody only) is accepted.
    sns.set_subscription_attributes(
        SubscriptionArn=sub,
        AttributeName="FilterPolicy",
        AttributeValue=json.dumps({"a": {"b": ["c"]}}),
    )
    assert attrs()["FilterPolicyScope"] == "MessageBody"


# --- N21: anything-but with a suffix (snapshot error-condition-anything-but-suffix) ---


def test_anything_but_suffix_is_refused(sns: Client, topic: str) -> None:
    message = _error(
        sns.subscribe,
        TopicArn=topic,
        Protocol="sms",
        Endpoint="+123123123",
        Attributes={"FilterPolicy": json.dumps({"key": [{"anything-but": {"suffix": "test"}}]})},
    )
    assert message == (
        IP + "Attributes Reason: FilterPolicy: Unsupported anything-but pattern: suffix"
    )


# --- H2: an SMS Publish of more than 1,600 characters (Publish API Reference) ---


def test_sms_publish_longer_than_1600_characters(sns: Client) -> None:
    assert sns.publish(PhoneNumber="+15551234567", Message="a" * 1600)["MessageId"]
    message = _error(sns.publish, PhoneNumber="+15551234567", Message="a" * 1601)
    assert "must be less than 1600" in message
