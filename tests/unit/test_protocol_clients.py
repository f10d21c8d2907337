"""Real clients over HTTP against ``Wire.handle``: boto3 (JSON), the Query client, SNS, presigned.

A tiny threaded HTTP server hands each request to the wire with a scripted dispatcher, so the
clients' full pipelines run: signing, serializing, error-to-exception mapping, response parsing.
"""

from __future__ import annotations

import asyncio
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from densho.protocol.call import Call
from densho.protocol.errors import AwsError
from densho.protocol.http import HttpRequest
from tests.support.query_client import make_sqs_query_client
from tests.support.wire_harness import wire


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    output: Any = None
    calls: list[Call]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = HttpRequest(self.command, path, query.encode(), headers, body)

        async def dispatch(call: Call) -> dict[str, Any]:
            self.server.calls.append(call)
            if isinstance(self.server.output, BaseException):
                raise self.server.output
            result: dict[str, Any] = self.server.output or {}
            return result

        response = asyncio.run(wire().handle(request, dispatch))
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type.decode())
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name.decode(), value.decode())
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.calls = []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def endpoint(server: _Server) -> str:
    server.calls.clear()
    server.output = None
    return f"http://127.0.0.1:{server.server_address[1]}"


def boto3_client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="eu-central-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}),
    )


BODY = 'line one\r\nline "two" <&>'


def test_query_client_round_trip(server: _Server, endpoint: str) -> None:
    client = make_sqs_query_client(endpoint, region="ap-northeast-1")
    queue = f"{endpoint}/000000000000/orders"
    server.output = {"MessageId": "m1", "MD5OfMessageBody": "x"}
    sent = client.send_message(
        QueueUrl=queue,
        MessageBody=BODY,
        MessageAttributes={"k": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}},
    )
    assert sent["MessageId"] == "m1"
    call = server.calls[-1]
    assert (call.protocol, call.region, call.access_key) == ("query", "ap-northeast-1", "test")
    assert call.params["MessageBody"] == BODY
    assert call.params["MessageAttributes"] == {
        "k": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}
    }

    server.output = {
        "Messages": [{"MessageId": "m1", "Body": BODY, "Attributes": {"SenderId": "s"}}]
    }
    received = client.receive_message(QueueUrl=queue, AttributeNames=["All"])
    assert received["Messages"] == server.output["Messages"]


@pytest.mark.parametrize("protocol", ["json", "query"])
def test_modeled_error_becomes_the_client_exception(
    endpoint: str, server: _Server, protocol: str
) -> None:
    client = (
        boto3_client("sqs", endpoint) if protocol == "json" else make_sqs_query_client(endpoint)
    )
    server.output = AwsError("QueueDoesNotExist", "The specified queue does not exist.")
    with pytest.raises(client.exceptions.QueueDoesNotExist) as info:
        client.get_queue_url(QueueName="nope")
    error = info.value.response["Error"]
    assert error["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["Message"] == (
        "The specified queue does not exist."
        if protocol == "json"
        else "The specified queue does not exist for this wsdl version."
    )
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    server.output = AwsError("ReceiptHandleIsInvalid", "The input receipt handle is invalid.")
    with pytest.raises(client.exceptions.ReceiptHandleIsInvalid) as info2:
        client.delete_message(QueueUrl=f"{endpoint}/000000000000/q", ReceiptHandle="r")
    assert info2.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    server.output = AwsError("InvalidParameterValue", "Value 11 for parameter X is invalid.")
    with pytest.raises(ClientError) as info3:
        client.list_queues()
    assert info3.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert info3.value.response["Error"]["Message"] == "Value 11 for parameter X is invalid."


def test_sns_client(endpoint: str, server: _Server) -> None:
    client = boto3_client("sns", endpoint)
    server.output = {"MessageId": "mid"}
    assert (
        client.publish(TopicArn="arn:aws:sns:eu-central-1:000000000000:t", Message=BODY)[
            "MessageId"
        ]
        == "mid"
    )
    call = server.calls[-1]
    assert (call.service, call.operation, call.params["Message"]) == ("sns", "Publish", BODY)
    server.output = AwsError("NotFoundException", "Topic does not exist")
    with pytest.raises(client.exceptions.NotFoundException):
        client.get_topic_attributes(TopicArn="arn:aws:sns:eu-central-1:000000000000:t")


def test_presigned_query_url(endpoint: str, server: _Server) -> None:
    client = make_sqs_query_client(endpoint, region="sa-east-1")
    url = client.generate_presigned_url("list_queues", Params={"QueueNamePrefix": "o"})
    server.output = {"QueueUrls": [f"{endpoint}/000000000000/orders"]}
    with urllib.request.urlopen(url) as response:
        assert response.status == 200
        assert b"<QueueUrl>" in response.read()
    call = server.calls[-1]
    assert (call.operation, call.params, call.region) == (
        "ListQueues",
        {"QueueNamePrefix": "o"},
        "sa-east-1",
    )
