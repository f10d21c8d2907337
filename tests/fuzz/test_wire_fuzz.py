"""Fuzzing the wire: random, mostly hostile requests for every operation of SQS (JSON 1.0 and
Query) and SNS (Query), generated from botocore's models (tests/fuzz/requests.py), sent raw to a
real server on each store. Whatever arrives: never a 5xx, an error code of the service's set, the
server alive, and the data stored before the storm intact.

Budget: DENSHO_FUZZ_SECONDS per store (default 15 s, CI); DENSHO_FUZZ_SEED picks the stream
(default: a fixed seed, so a failure reproduces). A longer run: DENSHO_FUZZ_SECONDS=600.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.loaders import Loader
from botocore.model import ServiceModel

from densho.protocol.loader import sqs_query_model_dict
from tests.conftest import json_client, servers_on, sns_client
from tests.fuzz.requests import Generator, Request, error_codes

BUDGET_S = float(os.environ.get("DENSHO_FUZZ_SECONDS", "15"))
SEED = int(os.environ.get("DENSHO_FUZZ_SEED", "20261204"))
REQUEST_TIMEOUT_S = 30.0  # a valid long poll waits at most 20 s
MAX_FAILURES = 15

pytestmark = pytest.mark.timeout(int(BUDGET_S) + 120)

CREDENTIALS = Credentials("test", "test")
_XML_CODE = re.compile(rb"<Code>([^<]*)</Code>")


def _models() -> tuple[ServiceModel, ServiceModel, ServiceModel]:
    loader = Loader()
    sqs_json = ServiceModel(loader.load_service_model("sqs", "service-2", "2012-11-05"), "sqs")
    sqs_query = ServiceModel(sqs_query_model_dict(), "sqs")
    sns = ServiceModel(loader.load_service_model("sns", "service-2", "2010-03-31"), "sns")
    return sqs_json, sqs_query, sns


class Wire:
    """One keep-alive connection to the server, reopened when the server closes it."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        parts = urlsplit(endpoint)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.conn: http.client.HTTPConnection | None = None

    def send(self, req: Request, service: str) -> tuple[int, bytes, str]:
        """Signs (as an SDK would: the credential scope names the service) and sends."""
        signed = AWSRequest("POST", self.endpoint + "/", data=req.body, headers=req.headers)
        SigV4Auth(CREDENTIALS, service, "us-east-1").add_auth(signed)
        headers = dict(signed.headers.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    self.host, self.port, timeout=REQUEST_TIMEOUT_S
                )
            try:
                self.conn.request("POST", "/", body=req.body, headers=headers)
                answer = self.conn.getresponse()
                return answer.status, answer.read(), answer.getheader("content-type") or ""
            except (ConnectionError, http.client.HTTPException):
                self.close()  # the server may close a connection after an error answer
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _code(body: bytes, content_type: str) -> str:
    if "json" in content_type:
        import json

        try:
            kind = str(json.loads(body).get("__type", ""))
        except ValueError:
            return "<unparsable JSON error>"
        return kind.rpartition("#")[2]
    found = _XML_CODE.search(body)
    return found.group(1).decode() if found else "<no Code element>"


def test_no_input_gives_a_5xx(store_kind: str, tmp_path: Path) -> None:
    with servers_on(store_kind, tmp_path) as make:
        server = make().start()
        endpoint = server.endpoint
        sqs, sns = json_client(endpoint), sns_client(endpoint)
        canary = sqs.create_queue(QueueName="canary-7f3a9c")["QueueUrl"]
        sqs.send_message(QueueUrl=canary, MessageBody="still here")
        topic = sns.create_topic(Name="canary-7f3a9c")["TopicArn"]
        queue_arn = "arn:aws:sqs:us-east-1:000000000000:canary-7f3a9c"
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

        sqs_json, sqs_query, sns_model = _models()
        generators = [
            (Generator(sqs_json, "json", endpoint), error_codes(sqs_json)),
            (Generator(sqs_query, "query", endpoint), error_codes(sqs_query)),
            (Generator(sns_model, "query", endpoint), error_codes(sns_model)),
        ]
        streams = [(g, codes, op) for g, codes in generators for op in g.operations]
        rnd = random.Random(SEED)
        wire = Wire(endpoint)
        failures: list[str] = []
        sent = 0
        deadline = time.monotonic() + BUDGET_S
        try:
            while time.monotonic() < deadline and len(failures) < MAX_FAILURES:
                generator, codes, op = streams[sent % len(streams)]
                req = generator.request(op, rnd)
                status, body, content_type = wire.send(req, generator.model.signing_name)
                sent += 1
                problem = None
                if status >= 500:
                    problem = f"status {status}"
                elif status >= 400:
                    code = _code(body, content_type)
                    if code not in codes:
                        problem = f"error code {code!r} is not one of the service's"
                if problem is not None:
                    failures.append(
                        f"{generator.protocol} {op} ({req.note}): {problem}: {body[:300]!r}"
                    )
        finally:
            wire.close()
        assert server.running, "the server died:\n" + server.stderr_tail()
        assert not failures, f"{len(failures)} of {sent} requests failed:\n" + "\n".join(failures)
        assert sent > 500, f"only {sent} requests in {BUDGET_S} s"
        # The storm touched nothing it did not name.
        got = sqs.receive_message(QueueUrl=canary, WaitTimeSeconds=1)["Messages"]
        assert [m["Body"] for m in got] == ["still here"]
        subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert [s["Endpoint"] for s in subs] == [queue_arn]
        assert "Traceback" not in server.stderr_tail(10_000_000)


@pytest.mark.parametrize(
    ("content_type", "shape"),
    [
        ("application/x-amz-json-1.0", b'"__type":'),
        ("application/x-www-form-urlencoded", b"<Code>"),
    ],
)
def test_a_body_over_8_mib_is_refused_in_the_protocols_shape(
    endpoint: str, content_type: str, shape: bytes
) -> None:
    wire = Wire(endpoint)
    headers = {"Content-Type": content_type, "X-Amz-Target": "AmazonSQS.ListQueues"}
    if "form" in content_type:
        del headers["X-Amz-Target"]
    body = b"Action=ListQueues&MessageBody=" + b"a" * (8 * 1024 * 1024)
    try:
        status, answer, _ = wire.send(Request("ListQueues", headers, body, "9 MiB"), "sqs")
    finally:
        wire.close()
    assert status == 413 and shape in answer and b"RequestEntityTooLarge" in answer
