"""Detection: protocol, service, operation, SigV4 scope, host and the queue URL of a Query path."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
import pytest

from densho.protocol import detect
from densho.protocol.detect import header_scope
from densho.protocol.http import HttpRequest
from tests.support.wire_harness import botocore_parse, botocore_request, run

CREDENTIAL = "AKID123/20260101/ap-south-1/{service}/aws4_request"


def form(params: dict[str, str], path: str = "/", **headers: str) -> HttpRequest:
    base = {"host": "sqs.local:9324", "content-type": "application/x-www-form-urlencoded"}
    return HttpRequest("POST", path, b"", {**base, **headers}, urlencode(params).encode())


def auth(service: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential={CREDENTIAL.format(service=service)}, "
        "SignedHeaders=host;x-amz-date, Signature=abcdef"
    )


def test_header_scope() -> None:
    scope = header_scope({"authorization": auth("sqs")})
    assert scope == ("AKID123", "ap-south-1", "sqs")
    assert header_scope({}) == (None, None, None)
    assert header_scope({"authorization": "garbage"}) == (None, None, None)
    assert header_scope({"authorization": "AWS4-HMAC-SHA256 Credential=onlykey"}) == (
        "onlykey",
        None,
        None,
    )


def test_unsigned_request_uses_default_region() -> None:
    _, recorder = run(form({"Action": "ListQueues"}))
    call = recorder.calls[0]
    assert (call.region, call.access_key, call.endpoint) == (
        "us-east-1",
        None,
        "http://sqs.local:9324",
    )


def test_presigned_get_request() -> None:
    query = urlencode(
        {
            "Action": "GetQueueUrl",
            "QueueName": "orders",
            "Version": "2012-11-05",
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": CREDENTIAL.format(service="sqs"),
            "X-Amz-Signature": "abc",
        }
    ).encode()
    request = HttpRequest("GET", "/", query, {"host": "h:1"}, b"")
    response, recorder = run(request, {"QueueUrl": "http://h:1/000000000000/orders"})
    assert response.status == 200
    call = recorder.calls[0]
    assert (call.service, call.protocol, call.operation) == ("sqs", "query", "GetQueueUrl")
    assert call.params == {"QueueName": "orders"}
    assert (call.region, call.access_key) == ("ap-south-1", "AKID123")


def test_query_string_and_body_are_merged() -> None:
    request = HttpRequest(
        "POST",
        "/",
        b"Action=SendMessage&X-Amz-Credential=" + CREDENTIAL.format(service="sqs").encode(),
        {"host": "h", "content-type": "application/x-www-form-urlencoded"},
        b"QueueUrl=q&MessageBody=hi",
    )
    _, recorder = run(request)
    assert recorder.calls[0].params == {"QueueUrl": "q", "MessageBody": "hi"}
    assert recorder.calls[0].access_key == "AKID123"


@pytest.mark.parametrize(
    ("edge", "url"),
    [
        ({}, "http://sqs.local:9324/000000000000/orders"),
        ({"secure": True}, "https://sqs.local:9324/000000000000/orders"),
        # What the server decided the client reached (a public URL, a trusted proxy's view).
        ({"base_url": "https://q.example.com"}, "https://q.example.com/000000000000/orders"),
    ],
)
def test_queue_url_from_path(edge: dict[str, Any], url: str) -> None:
    request = form({"Action": "SendMessage", "MessageBody": "x"}, "/000000000000/orders")
    for name, value in edge.items():
        setattr(request, name, value)
    response, recorder = run(request)
    assert response.status == 200
    assert recorder.calls[0].params == {"QueueUrl": url, "MessageBody": "x"}


def test_a_forwarded_proto_header_alone_is_not_believed() -> None:
    # Whether to believe X-Forwarded-Proto is the server's call (densho.proxies), not the wire's.
    request = form(
        {"Action": "SendMessage", "MessageBody": "x"},
        "/000000000000/orders",
        **{"x-forwarded-proto": "https"},
    )
    _, recorder = run(request)
    assert recorder.calls[0].params["QueueUrl"] == "http://sqs.local:9324/000000000000/orders"


def test_explicit_queue_url_beats_path() -> None:
    request = form({"Action": "DeleteQueue", "QueueUrl": "http://x/1/q"}, "/000000000000/orders")
    _, recorder = run(request)
    assert recorder.calls[0].params == {"QueueUrl": "http://x/1/q"}


def test_path_gives_no_queue_url_to_operations_without_one() -> None:
    _, recorder = run(form({"Action": "ListQueues"}, "/000000000000/orders"))
    assert recorder.calls[0].params == {}


@pytest.mark.parametrize(
    ("params", "headers", "service"),
    [
        ({"Label": "l", "QueueUrl": "q", "TopicArn": "t"}, {"authorization": auth("sns")}, "sns"),
        ({"Label": "l", "QueueUrl": "q", "TopicArn": "t"}, {"authorization": auth("sqs")}, "sqs"),
        ({"Label": "l", "QueueUrl": "q"}, {}, "sqs"),
        ({"Label": "l", "TopicArn": "t"}, {}, "sns"),
    ],
)
def test_shared_action_is_routed_by_scope_then_parameters(
    params: dict[str, str], headers: dict[str, str], service: str
) -> None:
    _, recorder = run(form({"Action": "RemovePermission", **params}, **headers))
    assert recorder.calls[0].service == service


def test_shared_action_without_hints_is_sqs() -> None:
    response, _ = run(form({"Action": "RemovePermission", "Label": "l"}))
    assert b"queue.amazonaws.com" in response.body  # SQS's answer: QueueUrl is missing


def test_sns_only_action_goes_to_sns_even_when_signed_for_sqs() -> None:
    _, recorder = run(form({"Action": "ListTopics"}, authorization=auth("sqs")))
    assert recorder.calls[0].service == "sns"


def test_botocore_sns_add_permission_is_routed_to_sns() -> None:
    params = {"TopicArn": "t", "Label": "l", "AWSAccountId": ["1"], "ActionName": ["Publish"]}
    _, recorder = run(botocore_request("sns", "query", "AddPermission", params))
    assert recorder.calls[0].service == "sns"


def test_unknown_json_operation() -> None:
    request = botocore_request("sqs", "json", "ListQueues", {})
    request.headers["x-amz-target"] = "AmazonSQS.DoesNotExist"
    response, recorder = run(request)
    assert not recorder.calls
    assert response.status == 400
    assert orjson.loads(response.body) == {
        "__type": "com.amazon.coral.service#UnknownOperationException",
        "message": "The action DoesNotExist is not valid for this endpoint.",
    }
    assert botocore_parse("sqs", "json", "ListQueues", response)["Error"]["Code"] == "InvalidAction"


@pytest.mark.parametrize("target", ["DynamoDB_20120810.ListTables", "", "AmazonSQS", "AmazonSQS."])
def test_foreign_or_empty_target_is_invalid_action(target: str) -> None:
    headers = {"content-type": "application/x-amz-json-1.0", "x-amz-target": target}
    response, _ = run(HttpRequest("POST", "/", b"", headers, b"{}"))
    assert response.status == 400
    assert response.headers[-1] == (b"x-amzn-query-error", b"InvalidAction;Sender")


def test_unknown_query_action_answers_in_the_service_s_shape() -> None:
    response, _ = run(form({"Action": "Frobnicate"}, authorization=auth("sns")))
    assert response.status == 400
    assert b"sns.amazonaws.com" in response.body
    error = botocore_parse("sns", "query", "Publish", response)["Error"]
    assert error["Code"] == "InvalidAction"
    assert error["Message"] == "The action Frobnicate is not valid for this endpoint."


def test_missing_action() -> None:
    response, _ = run(form({"QueueUrl": "q"}))
    assert response.status == 400
    assert (
        botocore_parse("sqs", "query", "SendMessage", response)["Error"]["Code"] == "MissingAction"
    )


def test_request_ids_are_uuid4_and_distinct() -> None:
    import uuid

    ids = set()
    for _ in range(50):
        response, _ = run(form({"Action": "ListQueues"}))
        rid = dict(response.headers)[b"x-amzn-requestid"].decode()
        assert uuid.UUID(rid).version == 4
        assert f"<RequestId>{rid}</RequestId>".encode() in response.body
        ids.add(rid)
    assert len(ids) == 50


@pytest.mark.parametrize(
    "text",
    [
        "",
        "&",
        "&&a=1&&",
        "Action=Publish&Message=hello",
        "a=&b&=c&=",
        "a=1=2&b==",
        "Message=a+b%20c%2Bd&Subject=%E2%9C%93",
        "x%3Dy=z%26w",
        "k=%zz&j=%4",
        "M=caf%C3%A9+%F0%9F%98%80",
        "a=1;b=2",
        "Name.1=x&Name.2=+",
    ],
)
def test_parse_form_is_parse_qsl(text: str) -> None:
    assert detect.parse_form(text) == parse_qsl(text, keep_blank_values=True, errors="strict")


def test_parse_form_refuses_bad_utf8_escapes() -> None:
    with pytest.raises(UnicodeDecodeError):
        detect.parse_form("Message=%FF")
    with pytest.raises(UnicodeDecodeError):
        parse_qsl("Message=%FF", keep_blank_values=True, errors="strict")


def test_parse_form_answers_a_decoded_field_again_from_its_cache() -> None:
    text = "TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&Message=a+b"
    first = detect.parse_form(text)
    assert detect.parse_form(text) == first == parse_qsl(text, keep_blank_values=True)
