"""Malformed requests over raw HTTP: always an AWS-shaped 4xx error, never a 500.

AWS references: API Reference "Common Errors" (InvalidAction, MissingParameter,
InvalidParameterValue, MissingAction; HTTP 400) and the SQS JSON protocol's error shape
(``__type`` and ``message`` in the body, the Query-compatible code in the
``x-amzn-query-error: <code>;Sender`` header), the Query protocol's
``<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>``.

The requests carry an Authorization header with an SQS credential scope (unverified
signature) so that service detection by scope is exercised as for a real SDK.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import QueueMaker, unique_name

AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sqs/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
)
JSON_TYPE = "application/x-amz-json-1.0"
FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        doc = json.loads(self.body)
        assert isinstance(doc, dict), doc
        return doc

    def xml_error(self) -> dict[str, str]:
        root = ET.fromstring(self.body)
        assert _local(root.tag) == "ErrorResponse", self.body
        fields: dict[str, str] = {}
        for node in root.iter():
            if len(node) == 0:
                fields[_local(node.tag)] = node.text or ""
        return fields


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _request(
    endpoint: str,
    body: bytes,
    headers: dict[str, str],
    *,
    path: str = "/",
    method: str = "POST",
) -> Reply:
    parts = urllib.parse.urlsplit(endpoint)
    assert parts.hostname is not None
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
    try:
        all_headers = {"Authorization": AUTH, "X-Amz-Date": "20250101T000000Z", **headers}
        conn.request(method, path, body=body, headers=all_headers)
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def _json(endpoint: str, target: str | None, body: bytes | str) -> Reply:
    headers = {"Content-Type": JSON_TYPE}
    if target is not None:
        headers["X-Amz-Target"] = target
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return _request(endpoint, raw, headers)


def _query(endpoint: str, params: dict[str, str], *, path: str = "/") -> Reply:
    body = urllib.parse.urlencode(params).encode("ascii")
    return _request(endpoint, body, {"Content-Type": FORM_TYPE}, path=path)


def _assert_client_error(reply: Reply) -> None:
    assert 400 <= reply.status < 500, f"expected 4xx, got {reply.status}: {reply.body[:500]!r}"


def _json_error_code(reply: Reply) -> tuple[str, str]:
    """(the __type's shape name, the Query-compatible code from the header or '')."""
    _assert_client_error(reply)
    doc = reply.json()
    assert "__type" in doc, doc
    shape = str(doc["__type"]).rsplit("#", 1)[-1]
    query_code = reply.headers.get("x-amzn-query-error", "").split(";", 1)[0]
    return shape, query_code


# -- a well-formed request, for contrast ---------------------------------------------------


def test_raw_json_request_works(endpoint: str) -> None:
    reply = _json(endpoint, "AmazonSQS.ListQueues", "{}")
    assert reply.status == 200, reply.body
    assert isinstance(reply.json(), dict)


def test_raw_query_request_works(endpoint: str) -> None:
    reply = _query(endpoint, {"Action": "ListQueues", "Version": "2012-11-05"})
    assert reply.status == 200, reply.body
    root = ET.fromstring(reply.body)
    assert _local(root.tag) == "ListQueuesResponse"


# -- JSON protocol ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"[1, 2, 3]", b'"a string"', b"\xff\xfe\x00garbage", b"{" * 10_000],
    ids=["garbage", "empty", "array", "string", "bad-utf8", "deep-nesting"],
)
def test_json_malformed_body(endpoint: str, body: bytes) -> None:
    reply = _json(endpoint, "AmazonSQS.ListQueues", body)
    if body == b"":
        # An empty body may be taken as no parameters (ListQueues has no required ones).
        assert reply.status in {200, 400}, reply.body
        return
    _json_error_code(reply)


def test_json_unknown_target(endpoint: str) -> None:
    reply = _json(endpoint, "AmazonSQS.FooBar", "{}")
    shape, query_code = _json_error_code(reply)
    assert "UnknownOperation" in shape or "InvalidAction" in (shape, query_code), (
        shape,
        query_code,
    )


def test_json_target_of_another_service(endpoint: str) -> None:
    reply = _json(endpoint, "DynamoDB_20120810.ListTables", "{}")
    _assert_client_error(reply)


def test_json_missing_required_parameter(
    endpoint: str, admin_sqs: Any, make_queue: QueueMaker
) -> None:
    url = make_queue()
    reply = _json(endpoint, "AmazonSQS.SendMessage", json.dumps({"QueueUrl": url}))
    shape, query_code = _json_error_code(reply)
    assert "MissingParameter" in (shape, query_code) or "Validation" in shape, (shape, query_code)
    assert admin_sqs.receive_message(QueueUrl=url).get("Messages", []) == []


def test_json_missing_queue_name(endpoint: str) -> None:
    reply = _json(endpoint, "AmazonSQS.CreateQueue", "{}")
    shape, query_code = _json_error_code(reply)
    assert "MissingParameter" in (shape, query_code) or "Validation" in shape, (shape, query_code)


@pytest.mark.parametrize(
    "params",
    [
        {"MaxNumberOfMessages": "ten"},
        {"MaxNumberOfMessages": 1.5},
        {"MaxNumberOfMessages": [1]},
        {"AttributeNames": "All"},
        {"QueueUrl": 42},
    ],
    ids=["int-as-word", "float", "list-for-int", "string-for-list", "int-for-string"],
)
def test_json_wrong_parameter_types(
    endpoint: str, make_queue: QueueMaker, params: dict[str, Any]
) -> None:
    body = {"QueueUrl": make_queue(), **params}
    _json_error_code(_json(endpoint, "AmazonSQS.ReceiveMessage", json.dumps(body)))


def test_json_non_existent_queue_error_shape(endpoint: str) -> None:
    url = f"{endpoint}/000000000000/{unique_name('raw-missing')}"
    reply = _json(endpoint, "AmazonSQS.GetQueueAttributes", json.dumps({"QueueUrl": url}))
    assert reply.status == 400, reply.body
    doc = reply.json()
    assert str(doc["__type"]).rsplit("#", 1)[-1] == "QueueDoesNotExist", doc
    # JSON keeps the short text; Query says "...for this wsdl version." (see the Query test).
    assert doc.get("message") == "The specified queue does not exist.", doc
    assert reply.headers.get("x-amzn-query-error") == (
        "AWS.SimpleQueueService.NonExistentQueue;Sender"
    ), reply.headers


def test_json_without_target_header(endpoint: str) -> None:
    _assert_client_error(_json(endpoint, None, "{}"))


# -- Query protocol ---------------------------------------------------------------------------


def test_query_unknown_action(endpoint: str) -> None:
    reply = _query(endpoint, {"Action": "FooBar", "Version": "2012-11-05"})
    assert reply.status == 400, reply.body
    error = reply.xml_error()
    assert error["Code"] == "InvalidAction"
    assert error["Type"] == "Sender"
    assert "RequestId" in error


def test_query_missing_action(endpoint: str) -> None:
    reply = _query(endpoint, {"Version": "2012-11-05", "QueueName": "x"})
    _assert_client_error(reply)
    assert reply.xml_error()["Code"] in {"MissingAction", "InvalidAction", "MissingParameter"}


def test_query_missing_required_parameter(endpoint: str, make_queue: QueueMaker) -> None:
    url = make_queue()
    reply = _query(endpoint, {"Action": "SendMessage", "Version": "2012-11-05", "QueueUrl": url})
    assert reply.status == 400, reply.body
    error = reply.xml_error()
    assert error["Code"] == "MissingParameter"
    assert error["Type"] == "Sender"


def test_query_missing_queue_name(endpoint: str) -> None:
    reply = _query(endpoint, {"Action": "CreateQueue", "Version": "2012-11-05"})
    assert reply.status == 400, reply.body
    assert reply.xml_error()["Code"] == "MissingParameter"


@pytest.mark.parametrize(
    "params",
    [
        {"MaxNumberOfMessages": "ten"},
        {"MaxNumberOfMessages": "1.5"},
        {"VisibilityTimeout": ""},
        {"WaitTimeSeconds": "99999999999999999999"},
    ],
    ids=["int-as-word", "float", "empty", "huge"],
)
def test_query_wrong_parameter_types(
    endpoint: str, make_queue: QueueMaker, params: dict[str, str]
) -> None:
    url = make_queue()
    reply = _query(
        endpoint, {"Action": "ReceiveMessage", "Version": "2012-11-05", "QueueUrl": url, **params}
    )
    _assert_client_error(reply)
    assert reply.xml_error()["Code"]


def test_query_non_existent_queue_error_shape(endpoint: str) -> None:
    url = f"{endpoint}/000000000000/{unique_name('raw-missing')}"
    reply = _query(
        endpoint,
        {
            "Action": "GetQueueAttributes",
            "Version": "2012-11-05",
            "QueueUrl": url,
            "AttributeName.1": "All",
        },
    )
    assert reply.status == 400, reply.body
    error = reply.xml_error()
    assert error["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["Type"] == "Sender"
    # AWS's Query text for a missing queue (recorded against AWS: LocalStack's
    # test_non_existent_queue, key queue-does-not-exist-query); JSON's is shorter.
    assert error["Message"] == "The specified queue does not exist for this wsdl version."


def test_query_invalid_attribute_name_error_shape(endpoint: str, make_queue: QueueMaker) -> None:
    url = make_queue()
    reply = _query(
        endpoint,
        {
            "Action": "GetQueueAttributes",
            "Version": "2012-11-05",
            "QueueUrl": url,
            "AttributeName.1": "Foobar",
        },
    )
    assert reply.status == 400, reply.body
    assert reply.xml_error()["Code"] == "InvalidAttributeName"


def test_query_action_posted_to_queue_url(endpoint: str, make_queue: QueueMaker) -> None:
    url = make_queue()
    path = urllib.parse.urlsplit(url).path
    reply = _query(
        endpoint,
        {"Action": "SendMessage", "Version": "2012-11-05", "MessageBody": "via path"},
        path=path,
    )
    assert reply.status == 200, reply.body
    root = ET.fromstring(reply.body)
    assert _local(root.tag) == "SendMessageResponse"


def _get(endpoint: str, path: str, params: dict[str, str]) -> Reply:
    query = urllib.parse.urlencode(params)
    return _request(endpoint, b"", {}, path=f"{path}?{query}" if query else path, method="GET")


@pytest.mark.parametrize("accept", [None, "application/json"])
def test_query_get_on_queue_url_without_action(
    endpoint: str, make_queue: QueueMaker, accept: str | None
) -> None:
    # AWS: 404 with a bare <UnknownOperationException/>, whatever the client accepts.
    path = urllib.parse.urlsplit(make_queue()).path
    headers = {} if accept is None else {"Accept": accept}
    reply = _request(endpoint, b"", headers, path=path, method="GET")
    assert reply.status == 404, reply.body
    assert reply.body.strip() == b"<UnknownOperationException/>"


@pytest.mark.parametrize("action", ["CreateQueue", "ListQueues"])
def test_query_get_on_queue_url_refuses_queueless_actions(
    endpoint: str, make_queue: QueueMaker, admin_sqs: Any, action: str
) -> None:
    # AWS: a queue URL serves only the actions on that queue; CreateQueue is not run.
    path = urllib.parse.urlsplit(make_queue()).path
    name = unique_name("via-get")
    params = {"Action": action, "Version": "2012-11-05"}
    if action == "CreateQueue":
        params["QueueName"] = name
    reply = _get(endpoint, path, params)
    assert reply.status == 400, reply.body
    error = reply.xml_error()
    assert error["Code"] == "InvalidAction"
    assert error["Message"] == f"The action {action} is not valid for this endpoint."
    assert not admin_sqs.list_queues(QueueNamePrefix=name).get("QueueUrls")


def test_query_get_on_queue_url_runs_queue_actions(endpoint: str, make_queue: QueueMaker) -> None:
    path = urllib.parse.urlsplit(make_queue()).path
    reply = _get(endpoint, path, {"Action": "SendMessage", "MessageBody": "by GET"})
    assert reply.status == 200, reply.body
    assert _local(ET.fromstring(reply.body).tag) == "SendMessageResponse"
    # GetQueueUrl is served on a queue URL too, even for another queue (AWS-validated).
    other = make_queue()
    reply = _get(endpoint, path, {"Action": "GetQueueUrl", "QueueName": other.rsplit("/", 1)[1]})
    assert reply.status == 200, reply.body
    assert other.encode() in reply.body


def test_query_malformed_form_body(endpoint: str) -> None:
    reply = _request(
        endpoint,
        b"Action=ListQueues&%zz=%%%&&=x&Version=2012-11-05",
        {"Content-Type": FORM_TYPE},
    )
    assert reply.status < 500, reply.body


# -- neither protocol -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "headers"),
    [
        ("POST", "/", b"", {}),
        ("POST", "/", b"hello", {"Content-Type": "text/plain"}),
        ("GET", "/", b"", {}),
        ("PUT", "/", b"{}", {"Content-Type": JSON_TYPE}),
        ("POST", "/no/such/path/at/all", b"{}", {"Content-Type": JSON_TYPE}),
    ],
    ids=["empty-post", "text-plain", "get-root", "put", "deep-path"],
)
def test_unrecognised_requests_are_not_server_errors(
    endpoint: str, method: str, path: str, body: bytes, headers: dict[str, str]
) -> None:
    reply = _request(endpoint, body, headers, path=path, method=method)
    assert reply.status < 500, f"{method} {path} -> {reply.status}: {reply.body[:300]!r}"
