"""Errors as AWS renders them, read back by botocore's own parsers: SQS (JSON, Query) and SNS."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from densho.protocol import quirks
from densho.protocol.errors import AwsError
from densho.protocol.http import HttpRequest
from tests.support.wire_harness import botocore_parse, botocore_request, response_headers, run

Q = "http://localhost:9324/000000000000/orders"
SEND = {"QueueUrl": Q, "MessageBody": "hi"}


def error_of(
    protocol: str, output: Any, operation: str = "SendMessage"
) -> tuple[int, dict[str, Any]]:
    params = SEND if operation == "SendMessage" else {"QueueUrl": Q}
    response, _ = run(botocore_request("sqs", protocol, operation, params), output)
    return response.status, botocore_parse("sqs", protocol, operation, response)["Error"]


@pytest.mark.parametrize("code", sorted(quirks.SQS_MODELED_ERRORS))
def test_modeled_sqs_errors_json(code: str) -> None:
    query_code, status = quirks.SQS_MODELED_ERRORS[code]
    response, _ = run(botocore_request("sqs", "json", "SendMessage", SEND), AwsError(code, "msg"))
    assert response.status == status
    assert orjson.loads(response.body) == {"__type": f"com.amazonaws.sqs#{code}", "message": "msg"}
    assert response_headers(response)["x-amzn-query-error"] == f"{query_code};Sender"
    error = botocore_parse("sqs", "json", "SendMessage", response)["Error"]
    # botocore (awsQueryCompatible) reports the Query code, keeping the JSON one aside.
    assert error == {"Code": query_code, "Message": "msg", "QueryErrorCode": code, "Type": "Sender"}


@pytest.mark.parametrize("code", sorted(quirks.SQS_MODELED_ERRORS))
def test_modeled_sqs_errors_query(code: str) -> None:
    query_code, status = quirks.SQS_MODELED_ERRORS[code]
    # Query words a few errors its own way, whatever the provider's text (quirks).
    message = quirks.SQS_QUERY_MESSAGES.get(query_code, "m & <n>")
    assert error_of("query", AwsError(code, "m & <n>")) == (
        status,
        {"Type": "Sender", "Code": query_code, "Message": message, "Detail": None},
    )


def test_query_spelling_of_a_code_is_accepted() -> None:
    err = AwsError("AWS.SimpleQueueService.NonExistentQueue", "gone")
    status, error = error_of("json", err)
    assert (status, error["Code"], error["QueryErrorCode"]) == (
        400,
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
    )


def test_status_of_a_modeled_code_is_aws_s_whatever_the_error_says() -> None:
    status, _ = error_of("query", AwsError("ReceiptHandleIsInvalid", "bad", status=400))
    assert status == 404


@pytest.mark.parametrize(
    ("code", "json_type"),
    [
        ("InvalidParameterValue", "com.amazon.coral.service#InvalidParameterValueException"),
        ("MissingParameter", "com.amazon.coral.service#MissingRequiredParameterException"),
        (
            "InvalidParameterValueException",
            "com.amazon.coral.service#InvalidParameterValueException",
        ),
    ],
)
def test_common_errors_json(code: str, json_type: str) -> None:
    response, _ = run(botocore_request("sqs", "json", "SendMessage", SEND), AwsError(code, "m"))
    body = orjson.loads(response.body)
    assert (response.status, body["__type"]) == (400, json_type)
    query_code = quirks.COMMON_ERROR_ALIASES.get(code, code)
    assert response_headers(response)["x-amzn-query-error"] == f"{query_code};Sender"
    assert botocore_parse("sqs", "json", "SendMessage", response)["Error"]["Code"] == query_code


def test_unknown_code_keeps_its_own_status_and_fault() -> None:
    err = AwsError("SomethingNew", "m", status=409, sender=False)
    response, _ = run(botocore_request("sqs", "json", "SendMessage", SEND), err)
    assert response.status == 409
    assert response_headers(response)["x-amzn-query-error"] == "SomethingNew;Receiver"
    assert error_of("query", err) == (
        409,
        {"Type": "Receiver", "Code": "SomethingNew", "Message": "m", "Detail": None},
    )


@pytest.mark.parametrize("protocol", ["json", "query"])
def test_unexpected_exception_is_internal_failure_without_trace(
    protocol: str, caplog: pytest.LogCaptureFixture
) -> None:
    response, _ = run(botocore_request("sqs", protocol, "SendMessage", SEND), KeyError("secret"))
    assert response.status == 500
    assert b"secret" not in response.body and b"Traceback" not in response.body
    error = botocore_parse("sqs", protocol, "SendMessage", response)["Error"]
    assert error["Code"] == "InternalFailure"
    assert error["Type"] == "Receiver"
    assert error["Message"] == quirks.INTERNAL_FAILURE_MESSAGE
    assert "secret" in caplog.text  # logged, for the operator


def test_result_that_cannot_be_encoded_is_internal_failure() -> None:
    response, _ = run(botocore_request("sqs", "json", "SendMessage", SEND), {"MessageId": object()})
    assert response.status == 500


@pytest.mark.parametrize(
    ("code", "wire_code", "status"),
    [
        ("NotFoundException", "NotFound", 404),
        ("NotFound", "NotFound", 404),
        ("InvalidParameterException", "InvalidParameter", 400),
        ("InvalidParameterValueException", "ParameterValueInvalid", 400),
        ("AuthorizationErrorException", "AuthorizationError", 403),
        ("ThrottledException", "Throttled", 429),
    ],
)
def test_sns_errors(code: str, wire_code: str, status: int) -> None:
    request = botocore_request("sns", "query", "Publish", {"TopicArn": "arn:t", "Message": "m"})
    response, _ = run(request, AwsError(code, "Topic does not exist"))
    assert response.status == status
    assert b"<Detail/>" not in response.body
    assert b'<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">' in response.body
    error = botocore_parse("sns", "query", "Publish", response)["Error"]
    assert error == {"Type": "Sender", "Code": wire_code, "Message": "Topic does not exist"}


# --- validation -----------------------------------------------------------------------------------


def json_request(operation: str, body: Any, raw: bytes | None = None) -> HttpRequest:
    return HttpRequest(
        "POST",
        "/",
        b"",
        {
            "host": "localhost:9324",
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": f"AmazonSQS.{operation}",
        },
        raw if raw is not None else orjson.dumps(body),
    )


def form_request(body: str, path: str = "/", headers: dict[str, str] | None = None) -> HttpRequest:
    base = {"host": "localhost:9324", "content-type": "application/x-www-form-urlencoded"}
    return HttpRequest("POST", path, b"", {**base, **(headers or {})}, body.encode())


def json_error(request: HttpRequest) -> tuple[int, str, str, str]:
    response, recorder = run(request)
    assert not recorder.calls
    body = orjson.loads(response.body)
    header = response_headers(response)["x-amzn-query-error"]
    return response.status, body["__type"], header, body["message"]


def query_error(request: HttpRequest, service: str = "sqs") -> tuple[int, str, str]:
    response, recorder = run(request)
    assert not recorder.calls
    parsed = botocore_parse(
        service, "query", "SendMessage" if service == "sqs" else "Publish", response
    )
    return response.status, parsed["Error"]["Code"], parsed["Error"]["Message"]


MISSING = "com.amazon.coral.service#MissingRequiredParameterException"
SERIALIZATION = "com.amazon.coral.service#SerializationException"
INVALID = "com.amazon.coral.service#InvalidParameterValueException"


@pytest.mark.parametrize(
    ("operation", "body", "expected"),
    [
        (
            "SendMessage",
            {"QueueUrl": Q},
            (
                400,
                MISSING,
                "MissingParameter;Sender",
                "The request must contain the parameter MessageBody.",
            ),
        ),
        (
            "SendMessage",
            {"QueueUrl": Q, "MessageBody": ""},
            (
                400,
                MISSING,
                "MissingParameter;Sender",
                "The request must contain the parameter MessageBody.",
            ),
        ),
        (
            "SendMessage",
            {"MessageBody": "x"},
            (
                400,
                "com.amazonaws.sqs#QueueDoesNotExist",
                "AWS.SimpleQueueService.NonExistentQueue;Sender",
                "The specified queue does not exist.",
            ),
        ),
        (
            "GetQueueAttributes",
            {"QueueUrl": Q, "AttributeNames": ["Bogus"]},
            (
                400,
                "com.amazonaws.sqs#InvalidAttributeName",
                "InvalidAttributeName;Sender",
                "Unknown Attribute Bogus.",
            ),
        ),
        (
            "SendMessage",
            {"QueueUrl": Q, "MessageBody": "x", "DelaySeconds": "5"},
            (400, SERIALIZATION, "MalformedInput;Sender", "Expected an integer at 'DelaySeconds'"),
        ),
        (
            "SendMessage",
            {"QueueUrl": Q, "MessageBody": "x", "DelaySeconds": True},
            (400, SERIALIZATION, "MalformedInput;Sender", "Expected an integer at 'DelaySeconds'"),
        ),
        (
            "SendMessage",
            {"QueueUrl": Q, "MessageBody": "x", "DelaySeconds": 2**40},
            (
                400,
                SERIALIZATION,
                "MalformedInput;Sender",
                "Value out of range for its integer type at 'DelaySeconds'",
            ),
        ),
        (
            "SendMessage",
            {"QueueUrl": Q, "MessageBody": "x", "MessageAttributes": {"a": {"StringValue": "v"}}},
            (
                400,
                MISSING,
                "MissingParameter;Sender",
                "The request must contain the parameter MessageAttributes.a.DataType.",
            ),
        ),
        (
            "SendMessage",
            {
                "QueueUrl": Q,
                "MessageBody": "x",
                "MessageAttributes": {"a": {"DataType": "Binary", "BinaryValue": "!!"}},
            },
            (
                400,
                SERIALIZATION,
                "MalformedInput;Sender",
                "Invalid base64 at 'MessageAttributes.a.BinaryValue'",
            ),
        ),
        (
            "DeleteMessageBatch",
            {"QueueUrl": Q, "Entries": [{"Id": "1", "ReceiptHandle": "r"}, {"Id": "2"}]},
            (
                400,
                MISSING,
                "MissingParameter;Sender",
                "The request must contain the parameter Entries.2.ReceiptHandle.",
            ),
        ),
    ],
)
def test_json_validation(operation: str, body: Any, expected: tuple[int, str, str, str]) -> None:
    assert json_error(json_request(operation, body)) == expected


def test_json_unknown_members_are_ignored() -> None:
    response, recorder = run(
        json_request("SendMessage", {**SEND, "Bogus": 1, "DelaySeconds": None})
    )
    assert response.status == 200
    assert recorder.calls[0].params == SEND


def test_json_receive_accepts_message_system_attribute_names_in_attribute_names() -> None:
    body = {"QueueUrl": Q, "AttributeNames": ["SentTimestamp", "ApproximateReceiveCount", "All"]}
    response, _ = run(json_request("ReceiveMessage", body))
    assert response.status == 200


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Action=SendMessage&QueueUrl=q&MessageBody=x&DelaySeconds=abc",
            (
                400,
                "InvalidParameterValue",
                "Value abc for parameter DelaySeconds is invalid. Reason: Must be an integer.",
            ),
        ),
        (
            "Action=SendMessage&QueueUrl=q&MessageBody=x&DelaySeconds=99999999999",
            (
                400,
                "InvalidParameterValue",
                "Value 99999999999 for parameter DelaySeconds is invalid. "
                "Reason: Value out of range for its integer type.",
            ),
        ),
        (
            "Action=SendMessage&QueueUrl=q",
            (400, "MissingParameter", "The request must contain the parameter MessageBody."),
        ),
        (
            "Action=SendMessage&MessageBody=x",
            # Over Query, AWS words a missing queue differently from JSON.
            (
                400,
                "AWS.SimpleQueueService.NonExistentQueue",
                "The specified queue does not exist for this wsdl version.",
            ),
        ),
        (
            "Action=GetQueueAttributes&QueueUrl=q&AttributeName.1=All&AttributeName.2=Nope",
            (400, "InvalidAttributeName", "Unknown Attribute Nope."),
        ),
        (
            "Action=SetQueueAttributes&QueueUrl=q&Attribute.1.Value=5",
            (400, "MissingParameter", "The request must contain the parameter Attribute.Name."),
        ),
        (
            "Action=SendMessage&QueueUrl=q&MessageBody=x&MessageAttribute.1.Name=a"
            "&MessageAttribute.1.Value.DataType=Binary&MessageAttribute.1.Value.BinaryValue=%%%",
            (
                400,
                "InvalidParameterValue",
                "Value %%% for parameter MessageAttribute.1.Value.BinaryValue is invalid. "
                "Reason: Must be base64-encoded binary.",
            ),
        ),
        (
            "Action=SendMessageBatch&QueueUrl=q&SendMessageBatchRequestEntry.1.Id=a",
            (
                400,
                "MissingParameter",
                "The request must contain the parameter "
                "SendMessageBatchRequestEntry.1.MessageBody.",
            ),
        ),
        (
            "Action=GetQueueUrl",
            (
                400,
                "InvalidParameterValue",
                "Value for parameter QueueName is invalid. Reason: Must specify a queue name.",
            ),
        ),
    ],
)
def test_query_validation(body: str, expected: tuple[int, str, str]) -> None:
    assert query_error(form_request(body)) == expected


def test_query_booleans_and_ints_are_parsed() -> None:
    body = "Action=Subscribe&TopicArn=t&Protocol=sqs&ReturnSubscriptionArn=true"
    response, recorder = run(form_request(body))
    assert response.status == 200
    assert recorder.calls[0].params["ReturnSubscriptionArn"] is True
    response, recorder = run(form_request("Action=ReceiveMessage&QueueUrl=q&WaitTimeSeconds=-3"))
    assert recorder.calls[0].params["WaitTimeSeconds"] == -3


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Action=Publish&TopicArn=t",
            (
                400,
                "ValidationError",
                "1 validation error detected: Value null at 'message' failed to satisfy "
                "constraint: Member must not be null",
            ),
        ),
        (
            "Action=Subscribe&TopicArn=t&Protocol=sqs&ReturnSubscriptionArn=maybe",
            (400, "InvalidParameter", "Invalid parameter: ReturnSubscriptionArn"),
        ),
        (
            "Action=CreateSMSSandboxPhoneNumber&PhoneNumber=%2B15555550100&LanguageCode=xx-XX",
            (
                400,
                "ValidationError",
                "1 validation error detected: Value 'xx-XX' at 'languageCode' failed to satisfy "
                "constraint: Member must satisfy enum value set: [en-US, en-GB, es-419, es-ES, "
                "de-DE, fr-CA, fr-FR, it-IT, ja-JP, pt-BR, kr-KR, zh-CN, zh-TW]",
            ),
        ),
        (
            "Action=TagResource&ResourceArn=arn&Tags.member.1.Key="
            + "k" * 129
            + "&Tags.member.1.Value=v",
            (
                400,
                "ValidationError",
                f"1 validation error detected: Value '{'k' * 129}' at 'tags.1.member.key' failed "
                "to satisfy constraint: Member must have length between 1 and 128",
            ),
        ),
        # AWS names a map value by its key, each list index or map key followed by "member"
        # (LocalStack's SNS snapshot test_empty_or_wrong_message_attributes, recorded on AWS).
        (
            "Action=Publish&TopicArn=t&Message=m&MessageAttributes.entry.1.Name=attr1"
            "&MessageAttributes.entry.1.Value.StringValue=v",
            (
                400,
                "ValidationError",
                "1 validation error detected: Value null at "
                "'messageAttributes.attr1.member.dataType' failed to satisfy constraint: "
                "Member must not be null",
            ),
        ),
        (
            "Action=PublishBatch&TopicArn=t&PublishBatchRequestEntries.member.1.Id=1"
            "&PublishBatchRequestEntries.member.1.Message=m"
            "&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name=attr1"
            "&PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.StringValue=v",
            (
                400,
                "ValidationError",
                "1 validation error detected: Value null at 'publishBatchRequestEntries.1.member"
                ".messageAttributes.attr1.member.dataType' failed to satisfy constraint: "
                "Member must not be null",
            ),
        ),
    ],
)
def test_sns_validation(body: str, expected: tuple[int, str, str]) -> None:
    assert query_error(form_request(body), service="sns") == expected
