"""SNS management actions end to end: real boto3 ``sns`` client against the session server.

Topic permissions (AddPermission / RemovePermission editing the Policy), data protection
policies (stored and returned verbatim), the SMS settings, opt-out, sandbox and origination
number actions, platform applications and endpoints, and Publish straight to a phone number or a
platform endpoint — each with AWS's errors, checked by code, HTTP status and message.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ACCOUNT_ID, REGION
from tests.e2e.helpers import expect_error

Client = Any

DATA_PROTECTION_POLICY = {
    "Name": "block-emails",
    "Description": "deny inbound e-mail addresses",
    "Version": "2021-06-01",
    "Statement": [
        {
            "Sid": "deny-inbound",
            "DataDirection": "Inbound",
            "Principal": ["*"],
            "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
            "Operation": {"Deny": {}},
        }
    ],
}


def _name(hint: str) -> str:
    return f"{hint}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def topic(sns: Client) -> Iterator[str]:
    arn: str = sns.create_topic(Name=_name("perm"))["TopicArn"]
    yield arn
    sns.delete_topic(TopicArn=arn)


@pytest.fixture
def app(sns: Client) -> Iterator[str]:
    arn: str = sns.create_platform_application(
        Name=_name("app"), Platform="GCM", Attributes={"PlatformCredential": "server-key"}
    )["PlatformApplicationArn"]
    yield arn
    sns.delete_platform_application(PlatformApplicationArn=arn)


def _policy(sns: Client, topic: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(
        sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"]
    )
    return doc


def _message(response: dict[str, Any]) -> str:
    return str(response["Error"]["Message"])


def _recorded(endpoint: str, protocol: str, target: str) -> list[dict[str, Any]]:
    """What densho recorded instead of sending to ``target`` (GET /_densho/sns/recorded)."""
    query = urllib.parse.urlencode({"protocol": protocol, "endpoint": target})
    with urllib.request.urlopen(f"{endpoint}/_densho/sns/recorded?{query}", timeout=10) as r:
        rows: list[dict[str, Any]] = json.loads(r.read())
    return rows


# --- AddPermission / RemovePermission ---


def test_add_permission_appends_statements_as_aws_writes_them(sns: Client, topic: str) -> None:
    sns.add_permission(
        TopicArn=topic, Label="one", AWSAccountId=["111122223333"], ActionName=["Publish"]
    )
    sns.add_permission(
        TopicArn=topic,
        Label="two",
        AWSAccountId=["111122223333", "444455556666"],
        ActionName=["Subscribe", "GetTopicAttributes"],
    )
    policy = _policy(sns, topic)
    assert policy["Id"] == "__default_policy_ID"  # the default statement is kept
    sids = [s["Sid"] for s in policy["Statement"]]
    assert sids == ["__default_statement_ID", "one", "two"]
    one, two = policy["Statement"][1:]
    assert one == {
        "Sid": "one",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "SNS:Publish",
        "Resource": topic,
    }
    assert two["Principal"] == {
        "AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"]
    }
    assert two["Action"] == ["SNS:Subscribe", "SNS:GetTopicAttributes"]

    sns.remove_permission(TopicArn=topic, Label="one")
    assert [s["Sid"] for s in _policy(sns, topic)["Statement"]] == [
        "__default_statement_ID",
        "two",
    ]


def test_add_permission_errors(sns: Client, topic: str) -> None:
    sns.add_permission(
        TopicArn=topic, Label="dup", AWSAccountId=["111122223333"], ActionName=["Publish"]
    )
    err = expect_error(
        sns.add_permission,
        TopicArn=topic,
        Label="dup",
        AWSAccountId=["111122223333"],
        ActionName=["Subscribe"],
        code="InvalidParameter",
    )
    assert _message(err) == "Invalid parameter: Statement already exists"
    for action in ("CreateTopic", "*", "NotAnAction"):
        err = expect_error(
            sns.add_permission,
            TopicArn=topic,
            Label="scope",
            AWSAccountId=["111122223333"],
            ActionName=[action],
            code="InvalidParameter",
        )
        assert _message(err) == "Invalid parameter: Policy statement action out of service scope!"
    err = expect_error(
        sns.add_permission,
        TopicArn=topic + "-missing",
        Label="x",
        AWSAccountId=["111122223333"],
        ActionName=["Publish"],
        code="NotFound",
        status=404,
    )
    assert _message(err) == "Topic does not exist"
    err = expect_error(
        sns.add_permission,
        TopicArn="not-an-arn",
        Label="x",
        AWSAccountId=["111122223333"],
        ActionName=["Publish"],
        code="InvalidParameter",
    )
    assert _message(err) == (
        "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1"
    )
    # A refused AddPermission leaves the policy as it was.
    assert [s["Sid"] for s in _policy(sns, topic)["Statement"]] == [
        "__default_statement_ID",
        "dup",
    ]


def test_remove_permission_errors(sns: Client, topic: str) -> None:
    err = expect_error(
        sns.remove_permission, TopicArn=topic, Label="never-added", code="InvalidParameter"
    )
    assert _message(err) == (
        "Invalid parameter: Label Reason: No statement with label never-added exists"
    )
    err = expect_error(
        sns.remove_permission,
        TopicArn=topic + "-missing",
        Label="x",
        code="NotFound",
        status=404,
    )
    assert _message(err) == "Topic does not exist"


# --- data protection policies ---


def test_data_protection_policy_is_stored_and_returned_verbatim(sns: Client, topic: str) -> None:
    assert sns.get_data_protection_policy(ResourceArn=topic)["DataProtectionPolicy"] == ""
    text = json.dumps(DATA_PROTECTION_POLICY, indent=2)  # whitespace and order are kept
    sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=text)
    assert sns.get_data_protection_policy(ResourceArn=topic)["DataProtectionPolicy"] == text
    # Publishing is not affected (the policy is stored, not enforced).
    assert sns.publish(TopicArn=topic, Message="mail me at someone@example.com")["MessageId"]
    sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy="")
    assert sns.get_data_protection_policy(ResourceArn=topic)["DataProtectionPolicy"] == ""


def test_data_protection_policy_from_create_topic(sns: Client) -> None:
    text = json.dumps(DATA_PROTECTION_POLICY)
    arn = sns.create_topic(Name=_name("dpp"), DataProtectionPolicy=text)["TopicArn"]
    try:
        assert sns.get_data_protection_policy(ResourceArn=arn)["DataProtectionPolicy"] == text
    finally:
        sns.delete_topic(TopicArn=arn)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("{not json", "Policy is not valid JSON"),
        ("[1, 2]", "Policy must be a JSON object"),
        ('{"Name": "x"}', "Policy must contain a non-empty Statement list"),
        (
            '{"Version": "2012-10-17", "Statement": []}',
            "Unsupported policy version: 2012-10-17",
        ),
        (
            '{"Statement": [{"Operation": {"Deny": {}}}]}',
            "Each statement must name a non-empty DataIdentifier list",
        ),
        (
            '{"Statement": [{"DataIdentifier": ["x"], "Operation": {"Audit": {}, "Deny": {}}}]}',
            "Each statement must hold exactly one Operation: Audit, Deidentify or Deny",
        ),
    ],
)
def test_data_protection_policy_checks(sns: Client, topic: str, document: str, reason: str) -> None:
    err = expect_error(
        sns.put_data_protection_policy,
        ResourceArn=topic,
        DataProtectionPolicy=document,
        code="InvalidParameter",
    )
    assert _message(err) == f"Invalid parameter: DataProtectionPolicy Reason: {reason}"


def test_data_protection_policy_of_a_missing_topic(sns: Client, topic: str) -> None:
    extra: dict[str, Any]
    for call, extra in (
        (sns.get_data_protection_policy, {}),
        (sns.put_data_protection_policy, {"DataProtectionPolicy": "{}"}),
    ):
        err = expect_error(
            call, ResourceArn=topic + "-missing", code="NotFound", status=404, **extra
        )
        assert _message(err) == "Topic does not exist"


# --- SMS settings, opt-outs, sandbox ---


def test_sms_attributes(sns: Client) -> None:
    sns.set_sms_attributes(
        attributes={
            "DefaultSMSType": "Transactional",
            "DefaultSenderID": "densho1",
            "DeliveryStatusSuccessSamplingRate": "10",
            "MonthlySpendLimit": "5",
        }
    )
    everything = sns.get_sms_attributes()["attributes"]
    assert everything["DefaultSMSType"] == "Transactional"
    assert everything["MonthlySpendLimit"] == "5"
    assert sns.get_sms_attributes(attributes=["DefaultSenderID", "Unknown"])["attributes"] == {
        "DefaultSenderID": "densho1"
    }
    sns.set_sms_attributes(attributes={"DefaultSenderID": ""})  # empty: removed
    assert "DefaultSenderID" not in sns.get_sms_attributes()["attributes"]
    sns.set_sms_attributes(attributes={"MonthlySpendLimit": ""})
    assert sns.get_sms_attributes()["attributes"]["MonthlySpendLimit"] == "1"  # the default


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        # AWS's texts (LocalStack snapshots test_set_invalid_sms_attributes): no prefix.
        ({"Bogus": "1"}, "Bogus is not a valid attribute"),
        ({"DefaultSendID": "x"}, "DefaultSendID is not a valid attribute"),
        ({"DefaultSMSType": "Urgent"}, "DefaultSMSType is invalid"),
        # densho words the other refused values as AWS words DefaultSMSType's.
        ({"DefaultSenderID": "123456"}, "DefaultSenderID is invalid"),
        (
            {"DeliveryStatusSuccessSamplingRate": "101"},
            "DeliveryStatusSuccessSamplingRate is invalid",
        ),
    ],
)
def test_sms_attribute_errors(sns: Client, attributes: dict[str, str], message: str) -> None:
    err = expect_error(sns.set_sms_attributes, attributes=attributes, code="InvalidParameter")
    assert _message(err) == message


def test_phone_number_opt_out_actions(sns: Client) -> None:
    assert sns.check_if_phone_number_is_opted_out(phoneNumber="+15550001111")["isOptedOut"] is False
    assert isinstance(sns.list_phone_numbers_opted_out()["phoneNumbers"], list)
    sns.opt_in_phone_number(phoneNumber="+15550001111")  # not opted out: nothing to do
    for call, number in (
        (sns.check_if_phone_number_is_opted_out, "+1555LALALA"),
        (sns.opt_in_phone_number, "call-me"),
    ):
        err = expect_error(call, phoneNumber=number, code="InvalidParameter")
        assert _message(err) == "Invalid parameter: PhoneNumber Reason: input incorrectly formatted"
    err = expect_error(
        sns.list_phone_numbers_opted_out, nextToken="bogus!", code="InvalidParameter"
    )
    assert _message(err) == "Invalid parameter: NextToken"


def test_sms_sandbox(sns: Client) -> None:
    assert sns.get_sms_sandbox_account_status()["IsInSandbox"] is False
    first, second = "+15557770001", "+15557770002"
    sns.create_sms_sandbox_phone_number(PhoneNumber=first, LanguageCode="en-GB")
    sns.create_sms_sandbox_phone_number(PhoneNumber=second)
    try:
        listed = sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"]
        assert {"PhoneNumber": first, "Status": "Pending"} in listed
        page = sns.list_sms_sandbox_phone_numbers(MaxResults=1)
        assert len(page["PhoneNumbers"]) == 1 and page["NextToken"]
        rest = sns.list_sms_sandbox_phone_numbers(MaxResults=100, NextToken=page["NextToken"])
        assert page["PhoneNumbers"][0] not in rest["PhoneNumbers"]
        err = expect_error(
            sns.verify_sms_sandbox_phone_number,
            PhoneNumber=first,
            OneTimePassword="00000000",
            code="VerificationException",
        )
        assert _message(err) == "Invalid one-time password."
    finally:
        sns.delete_sms_sandbox_phone_number(PhoneNumber=first)
        sns.delete_sms_sandbox_phone_number(PhoneNumber=second)
    assert {"PhoneNumber": first, "Status": "Pending"} not in sns.list_sms_sandbox_phone_numbers()[
        "PhoneNumbers"
    ]
    extra: dict[str, Any]
    for call, extra in (
        (sns.delete_sms_sandbox_phone_number, {}),
        (sns.verify_sms_sandbox_phone_number, {"OneTimePassword": "123456"}),
    ):
        err = expect_error(call, PhoneNumber=first, code="ResourceNotFound", status=404, **extra)
        assert _message(err) == "Resource does not exist"
    err = expect_error(
        sns.create_sms_sandbox_phone_number, PhoneNumber="+1", code="ValidationError"
    )
    assert "failed to satisfy constraint" in _message(err)


def test_sandbox_number_is_verified_with_the_recorded_code(sns: Client, endpoint: str) -> None:
    phone = f"+1555{uuid.uuid4().int % 10**7:07d}"
    sns.create_sms_sandbox_phone_number(PhoneNumber=phone)
    try:
        (otp_sms,) = _recorded(endpoint, "sms", phone)
        code = otp_sms["payload"].rsplit(" ", 1)[-1]
        assert code.isdigit() and len(code) == 6
        sns.verify_sms_sandbox_phone_number(PhoneNumber=phone, OneTimePassword=code)
        listed = sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"]
        assert {"PhoneNumber": phone, "Status": "Verified"} in listed
    finally:
        sns.delete_sms_sandbox_phone_number(PhoneNumber=phone)


def test_origination_numbers(sns: Client) -> None:
    assert sns.list_origination_numbers()["PhoneNumbers"] == []
    assert sns.list_origination_numbers(MaxResults=30)["PhoneNumbers"] == []
    err = expect_error(sns.list_origination_numbers, MaxResults=31, code="ValidationError")
    assert _message(err).endswith("Member must have value between 1 and 30")


# --- platform applications ---


def test_platform_application_lifecycle(sns: Client) -> None:
    name = _name("ios")
    arn = sns.create_platform_application(
        Name=name,
        Platform="APNS",
        Attributes={"PlatformPrincipal": "-----CERT-----", "PlatformCredential": "-----KEY-----"},
    )["PlatformApplicationArn"]
    assert arn == f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:app/APNS/{name}"
    # Credentials are stored but never shown.
    assert sns.get_platform_application_attributes(PlatformApplicationArn=arn)["Attributes"] == {
        "Enabled": "true"
    }
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:events"
    sns.set_platform_application_attributes(
        PlatformApplicationArn=arn,
        Attributes={
            "EventEndpointCreated": topic,
            "SuccessFeedbackSampleRate": "50",
            "PlatformCredential": "-----NEW KEY-----",
        },
    )
    assert sns.get_platform_application_attributes(PlatformApplicationArn=arn)["Attributes"] == {
        "Enabled": "true",
        "EventEndpointCreated": topic,
        "SuccessFeedbackSampleRate": "50",
    }
    listed = [
        a
        for page in sns.get_paginator("list_platform_applications").paginate()
        for a in page["PlatformApplications"]
    ]
    assert {
        "PlatformApplicationArn": arn,
        "Attributes": {
            "Enabled": "true",
            "EventEndpointCreated": topic,
            "SuccessFeedbackSampleRate": "50",
        },
    } in listed
    sns.delete_platform_application(PlatformApplicationArn=arn)
    sns.delete_platform_application(PlatformApplicationArn=arn)  # idempotent
    err = expect_error(
        sns.get_platform_application_attributes,
        PlatformApplicationArn=arn,
        code="NotFound",
        status=404,
    )
    assert _message(err) == "PlatformApplication does not exist"


@pytest.mark.parametrize(
    ("name", "platform", "attributes", "message"),
    [
        (
            "ok",
            "SYMBIAN",
            {"PlatformCredential": "k"},
            "Invalid parameter: Platform Reason: SYMBIAN is not supported",
        ),
        (
            "bad name!",
            "GCM",
            {"PlatformCredential": "k"},
            "Invalid parameter: bad name! Reason: must contain only characters 'a'-'z', "
            "'A'-'Z', '0'-'9', '_', '-', and '.'",
        ),
        (
            "ok",
            "APNS",
            {"PlatformCredential": "key"},
            "Invalid parameter: Attributes Reason: PlatformCredential attribute provided "
            "without PlatformPrincipal",
        ),
        (
            "ok",
            "ADM",
            {"PlatformPrincipal": "client-id"},
            "Invalid parameter: Attributes Reason: PlatformPrincipal attribute provided "
            "without PlatformCredential",
        ),
        (
            "ok",
            "GCM",
            {"PlatformCredential": "k", "Colour": "blue"},
            "Invalid parameter: Attributes Reason: Invalid attribute name: Colour",
        ),
    ],
)
def test_create_platform_application_errors(
    sns: Client, name: str, platform: str, attributes: dict[str, str], message: str
) -> None:
    err = expect_error(
        sns.create_platform_application,
        Name=name,
        Platform=platform,
        Attributes=attributes,
        code="InvalidParameter",
    )
    assert _message(err) == message


def test_platform_application_arn_errors(sns: Client) -> None:
    err = expect_error(
        sns.get_platform_application_attributes,
        PlatformApplicationArn="nope",
        code="InvalidParameter",
    )
    assert _message(err) == (
        "Invalid parameter: PlatformApplicationArn Reason: An ARN must have at least 6 "
        "elements, not 1"
    )
    err = expect_error(
        sns.list_endpoints_by_platform_application,
        PlatformApplicationArn=f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:app/GCM/missing-{uuid.uuid4()}",
        code="NotFound",
        status=404,
    )
    assert _message(err) == "PlatformApplication does not exist"


# --- platform endpoints ---


def test_create_platform_endpoint_is_idempotent_on_the_token(sns: Client, app: str) -> None:
    app_name = app.rsplit("/", 1)[-1]
    arn = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1")["EndpointArn"]
    prefix = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:endpoint/GCM/{app_name}/"
    assert arn.startswith(prefix) and len(arn) == len(prefix) + 36
    assert sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"] == {
        "Enabled": "true",
        "Token": "device-1",
    }
    # The same token and attributes (defaults spelled out or not): the same endpoint.
    for extra in ({}, {"Attributes": {"Enabled": "true"}}):
        again = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1", **extra)
        assert again["EndpointArn"] == arn
    # Different attributes: refused, naming the existing endpoint.
    err = expect_error(
        sns.create_platform_endpoint,
        PlatformApplicationArn=app,
        Token="device-1",
        CustomUserData="user-42",
        code="InvalidParameter",
    )
    assert _message(err) == (
        f"Invalid parameter: Token Reason: Endpoint {arn} already exists with the same Token, "
        "but different attributes."
    )
    other = sns.create_platform_endpoint(
        PlatformApplicationArn=app, Token="device-2", CustomUserData="user-42"
    )["EndpointArn"]
    assert other != arn
    assert sns.get_endpoint_attributes(EndpointArn=other)["Attributes"] == {
        "Enabled": "true",
        "Token": "device-2",
        "CustomUserData": "user-42",
    }
    # Re-registering without CustomUserData matches the endpoint that has some.
    assert (
        sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-2")["EndpointArn"]
        == other
    )


def test_endpoint_attributes_and_deletion(sns: Client, app: str) -> None:
    arn = sns.create_platform_endpoint(
        PlatformApplicationArn=app, Token="t-1", Attributes={"CustomUserData": "from-attrs"}
    )["EndpointArn"]
    sns.set_endpoint_attributes(
        EndpointArn=arn, Attributes={"Enabled": "false", "Token": "t-2", "CustomUserData": "u"}
    )
    assert sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"] == {
        "Enabled": "false",
        "Token": "t-2",
        "CustomUserData": "u",
    }
    # The new token is the one CreatePlatformEndpoint matches.
    err = expect_error(
        sns.create_platform_endpoint,
        PlatformApplicationArn=app,
        Token="t-2",
        code="InvalidParameter",
    )
    assert arn in _message(err)  # Enabled differs: false there, true asked
    for attributes, message in (
        (
            {"Colour": "blue"},
            "Invalid parameter: Attributes Reason: Invalid attribute name: Colour",
        ),
        (
            {"Enabled": "maybe"},
            "Invalid parameter: Attributes Reason: Invalid value for attribute: Enabled",
        ),
        (
            {"CustomUserData": "x" * 2049},
            "Invalid parameter: Attributes Reason: Invalid value for attribute: CustomUserData: "
            "must be at most 2048 bytes long in UTF-8 encoding",
        ),
    ):
        err = expect_error(
            sns.set_endpoint_attributes,
            EndpointArn=arn,
            Attributes=attributes,
            code="InvalidParameter",
        )
        assert _message(err) == message
    sns.delete_endpoint(EndpointArn=arn)
    sns.delete_endpoint(EndpointArn=arn)  # idempotent
    extra: dict[str, Any]
    for call, extra in (
        (sns.get_endpoint_attributes, {}),
        (sns.set_endpoint_attributes, {"Attributes": {"Enabled": "true"}}),
    ):
        err = expect_error(call, EndpointArn=arn, code="NotFound", status=404, **extra)
        assert _message(err) == "Endpoint does not exist"
    err = expect_error(
        sns.get_endpoint_attributes,
        EndpointArn=f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:endpoint/GCM/only-two",
        code="InvalidParameter",
    )
    assert _message(err) == (
        "Invalid parameter: EndpointArn Reason: Wrong number of slashes in relative portion of "
        "the ARN."
    )


def test_endpoints_are_listed_in_pages_and_deleted_with_their_application(sns: Client) -> None:
    app = sns.create_platform_application(
        Name=_name("many"), Platform="GCM", Attributes={"PlatformCredential": "k"}
    )["PlatformApplicationArn"]
    made = {
        sns.create_platform_endpoint(PlatformApplicationArn=app, Token=f"token-{i}")["EndpointArn"]
        for i in range(105)
    }
    first = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)
    assert len(first["Endpoints"]) == 100 and first["NextToken"]
    second = sns.list_endpoints_by_platform_application(
        PlatformApplicationArn=app, NextToken=first["NextToken"]
    )
    assert len(second["Endpoints"]) == 5 and "NextToken" not in second
    listed = [e["EndpointArn"] for e in first["Endpoints"] + second["Endpoints"]]
    assert set(listed) == made and listed == sorted(listed)
    sns.delete_platform_application(PlatformApplicationArn=app)
    err = expect_error(
        sns.get_endpoint_attributes, EndpointArn=listed[0], code="NotFound", status=404
    )
    assert _message(err) == "Endpoint does not exist"
    err = expect_error(
        sns.create_platform_endpoint,
        PlatformApplicationArn=app,
        Token="late",
        code="NotFound",
        status=404,
    )
    assert _message(err) == "PlatformApplication does not exist"


# --- Publish to a phone number or a platform endpoint ---


def test_publish_to_a_phone_number(sns: Client, topic: str, endpoint: str) -> None:
    phone = f"+1555{uuid.uuid4().int % 10**7:07d}"
    response = sns.publish(
        PhoneNumber=phone,
        Message="your code is 1234",
        MessageAttributes={
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
        },
    )
    assert len(response["MessageId"]) == 36
    (recorded,) = _recorded(endpoint, "sms", phone)
    assert recorded["messageId"] == response["MessageId"]
    assert recorded["payload"] == "your code is 1234"
    for number in ("+1a234", "NAA+15551234567", "0044"):
        err = expect_error(sns.publish, PhoneNumber=number, Message="x", code="InvalidParameter")
        assert (
            _message(err)
            == f"Invalid parameter: PhoneNumber Reason: {number} is not valid to publish to"
        )
    err = expect_error(
        sns.publish,
        PhoneNumber="+15550002222",
        Message="x",
        MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Loud"}},
        code="InvalidParameter",
    )
    assert _message(err) == (
        "Invalid parameter: MessageAttributes Reason: Loud is not a valid value for "
        "AWS.SNS.SMS.SMSType"
    )
    err = expect_error(
        sns.publish,
        PhoneNumber="+15550002222",
        TopicArn=topic,
        Message="x",
        code="InvalidParameter",
    )
    assert _message(err) == (
        "Invalid parameter: TopicArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may "
        "be specified"
    )
    err = expect_error(sns.publish, PhoneNumber="+15550002222", Message="", code="InvalidParameter")
    assert _message(err) == "Invalid parameter: Empty message"


def test_publish_to_a_platform_endpoint(sns: Client, app: str, endpoint: str) -> None:
    arn = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="push-1")["EndpointArn"]
    plain = sns.publish(TargetArn=arn, Message="hello device")["MessageId"]
    # A platform-specific payload needs no "default" key when sent straight to an endpoint.
    gcm = json.dumps({"notification": {"title": "hi"}})
    structured = sns.publish(
        TargetArn=arn, Message=json.dumps({"GCM": gcm}), MessageStructure="json"
    )["MessageId"]
    recorded = _recorded(endpoint, "application", arn)
    assert [(r["messageId"], r["payload"]) for r in recorded] == [
        (plain, "hello device"),
        (structured, gcm),
    ]
    err = expect_error(
        sns.publish,
        TargetArn=arn,
        Message=json.dumps({"APNS": "{}"}),
        MessageStructure="json",
        code="InvalidParameter",
    )
    assert _message(err) == (
        "Invalid parameter: Message Structure - No default entry in JSON message body"
    )
    err = expect_error(
        sns.publish, TargetArn=arn[:-4] + "0000", Message="x", code="InvalidParameter"
    )
    assert _message(err) == (
        "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified"
    )
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "false"})
    err = expect_error(sns.publish, TargetArn=arn, Message="x", code="EndpointDisabled")
    assert _message(err) == "Endpoint is disabled"
    sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "true"})
    sns.set_platform_application_attributes(
        PlatformApplicationArn=app, Attributes={"Enabled": "false"}
    )
    err = expect_error(sns.publish, TargetArn=arn, Message="x", code="PlatformApplicationDisabled")
    assert _message(err) == "Platform application is disabled"


# --- error texts checked against AWS's recorded answers ---


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "a^b",
            {"DataType": "String", "StringValue": "v"},
            "Invalid non-alphanumeric character '#x5E' was found in the message attribute name. "
            "Can only include alphanumeric characters, hyphens, underscores, or dots.",
        ),
        (
            ".ab",
            {"DataType": "String", "StringValue": "v"},
            "Invalid message attribute name starting with character '.' was found.",
        ),
        (
            "ab.",
            {"DataType": "String", "StringValue": "v"},
            "Invalid message attribute name ending with character '.' was found.",
        ),
        (
            "a..b",
            {"DataType": "String", "StringValue": "v"},
            "Message attribute name can not have successive '.' character.",
        ),
        (
            "n" * 257,
            {"DataType": "String", "StringValue": "v"},
            "Length of message attribute name must be less than 256 bytes.",
        ),
        (
            "attr1",
            {"DataType": "String", "BinaryValue": b"\x01"},
            "The message attribute 'attr1' with type 'String' must use field 'String'.",
        ),
        (
            "attr1",
            {"DataType": "Number", "BinaryValue": b"\x01"},
            "The message attribute 'attr1' with type 'Number' must use field 'String'.",
        ),
        (
            "attr1",
            {"DataType": "Binary", "StringValue": "v"},
            "The message attribute 'attr1' with type 'Binary' must use field 'Binary'.",
        ),
    ],
)
def test_message_attribute_errors_as_aws_words_them(
    sns: Client, topic: str, name: str, value: dict[str, Any], message: str
) -> None:
    targets: list[dict[str, Any]] = [{"TopicArn": topic}, {"PhoneNumber": "+15550003333"}]
    for target in targets:
        err = expect_error(
            sns.publish,
            Message="x",
            MessageAttributes={name: value},
            code="ParameterValueInvalid",
            **target,
        )
        assert _message(err) == message
