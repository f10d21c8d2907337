"""Bad input never produces a 500: every malformed request gets a 4xx in the right error shape."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from densho.protocol import loader
from densho.protocol.http import HttpRequest
from tests.support.wire_harness import run

JSON_HEADERS = {"host": "h", "content-type": "application/x-amz-json-1.0"}
FORM_HEADERS = {"host": "h", "content-type": "application/x-www-form-urlencoded"}
SQS_OPS = sorted(loader.sqs_json_model().operation_names)
SNS_OPS = sorted(loader.sns_model().operation_names)


def json_req(body: bytes, target: str = "AmazonSQS.SendMessage", **extra: str) -> HttpRequest:
    return HttpRequest("POST", "/", b"", {**JSON_HEADERS, "x-amz-target": target, **extra}, body)


def form_req(body: bytes, method: str = "POST", **headers: str) -> HttpRequest:
    return HttpRequest(method, "/", b"", {**FORM_HEADERS, **headers}, body)


BAD_REQUESTS = {
    "malformed json": json_req(b'{"QueueUrl": '),
    "json array": json_req(b"[1, 2]"),
    "json string": json_req(b'"hello"'),
    "json null": json_req(b"null"),
    "json not utf8": json_req(b'{"QueueUrl": "\xff\xfe"}'),
    "json nested wrong types": json_req(
        b'{"QueueUrl": "q", "MessageBody": "b", "MessageAttributes": []}'
    ),
    "json wrong list type": json_req(
        b'{"QueueUrl": "q", "Entries": {}}', "AmazonSQS.SendMessageBatch"
    ),
    "json list of scalars": json_req(
        b'{"QueueUrl": "q", "Entries": [1]}', "AmazonSQS.DeleteMessageBatch"
    ),
    "json map of scalars": json_req(
        b'{"QueueUrl": "q", "MessageBody": "b", "MessageAttributes": {"a": 1}}'
    ),
    "json unknown op": json_req(b"{}", "AmazonSQS.Nope"),
    "json without target": HttpRequest("POST", "/", b"", JSON_HEADERS, b"{}"),
    "json deep nesting": json_req(b"[" * 5000 + b"]" * 5000),
    "form garbage": form_req(b"%%%&&&===&Action"),
    "form not utf8": form_req(b"Action=SendMessage&MessageBody=\xff"),
    "form bad percent utf8": form_req(b"Action=SendMessage&MessageBody=%ff%fe"),
    "form no action": form_req(b"QueueUrl=q"),
    "form empty action": form_req(b"Action="),
    "form unknown action": form_req(b"Action=Nope"),
    "form scalar and struct": form_req(
        b"Action=SendMessage&QueueUrl=q&MessageBody=b&MessageAttribute.1=x&MessageAttribute.1.Name=y"
    ),
    "form struct where scalar": form_req(b"Action=SendMessage&QueueUrl.1=q&MessageBody=b"),
    "form entry not a struct": form_req(b"Action=SetQueueAttributes&QueueUrl=q&Attribute.1=x"),
    "form odd indexes": form_req(
        b"Action=DeleteMessageBatch&QueueUrl=q&DeleteMessageBatchRequestEntry.x.Id=1"
        b"&DeleteMessageBatchRequestEntry.99999999999999999999.Id=2"
    ),
    "form list where struct": form_req(
        b"Action=SendMessage&QueueUrl=q&MessageBody=b&MessageAttribute.1.Name=a&MessageAttribute.1.Value=v"
    ),
    "form deep keys": form_req(b"Action=ListQueues&" + b".".join([b"a"] * 2000) + b"=1"),
    "form bad bool": form_req(b"Action=Subscribe&TopicArn=t&Protocol=p&ReturnSubscriptionArn=2"),
    "form bad timestamp": form_req(b"Action=ListQueues"),
    "text/plain garbage": HttpRequest(
        "POST", "/", b"", {"content-type": "text/plain"}, b"\x00\x01"
    ),
    "no content type": HttpRequest("POST", "/", b"", {}, b"Action=ListQueues&MaxResults=x"),
    "PUT nonsense": HttpRequest("PUT", "/x/y", b"", {}, b"<xml/>"),
    "GET root": HttpRequest("GET", "/", b"", {}, b""),
    "bad query string": HttpRequest("GET", "/", b"Action=%zz&%%", {}, b""),
    "weird authorization": form_req(b"Action=ListQueues", authorization="Credential=/////,,,"),
}


@pytest.mark.parametrize("name", sorted(BAD_REQUESTS))
def test_bad_input_is_a_client_error(name: str) -> None:
    response, _ = run(BAD_REQUESTS[name])
    assert response.status < 500, response.body
    assert response.body


@pytest.mark.parametrize("name", ["form not utf8", "form bad percent utf8"])
def test_bad_utf8_form_is_refused_not_replaced(name: str) -> None:
    response, recorder = run(BAD_REQUESTS[name])
    assert (response.status, recorder.calls) == (400, [])
    assert b"<Code>InvalidQueryParameter</Code>" in response.body


@pytest.mark.parametrize("name", ["malformed json", "json array", "json not utf8"])
def test_malformed_json_is_a_serialization_error(name: str) -> None:
    response, _ = run(BAD_REQUESTS[name])
    assert response.status == 400
    assert (
        orjson.loads(response.body)["__type"] == "com.amazon.coral.service#SerializationException"
    )
    assert dict(response.headers)[b"x-amzn-query-error"] == b"MalformedInput;Sender"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)


def _member_names() -> list[str]:
    names: set[str] = set()
    for model in (loader.sqs_json_model(), loader.sns_model()):
        for shape_name in model.shape_names:
            names.update(model.shape_for(shape_name).metadata.get("required", []))
            shape = model.shape_for(shape_name)
            names.update(getattr(shape, "members", {}))
    return sorted(names)


MEMBERS = _member_names()
json_bodies = st.dictionaries(st.sampled_from(MEMBERS), json_values, max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(op=st.sampled_from(SQS_OPS), body=json_bodies)
def test_fuzz_json_never_500(op: str, body: dict[str, Any]) -> None:
    response, _ = run(json_req(orjson.dumps(body), f"AmazonSQS.{op}"))
    assert response.status < 500 or response.status == 200


form_keys = st.lists(
    st.sampled_from([*MEMBERS, "1", "2", "0", "Name", "Value", "member", "entry", "Key", "-1", ""]),
    min_size=1,
    max_size=4,
).map(".".join)
form_values = st.text(max_size=6) | st.sampled_from(["true", "false", "1", "-1", "AAAA", "x"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    op=st.sampled_from([*SQS_OPS, *SNS_OPS]),
    pairs=st.lists(st.tuples(form_keys, form_values), max_size=8),
)
def test_fuzz_query_never_500(op: str, pairs: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    response, _ = run(form_req(urlencode([("Action", op), *pairs]).encode()))
    assert response.status < 500
