"""The log as an operator reads it, on the real server and both stores: ``--log-format json``
writes one JSON object per line, ``--log-level info`` adds one access line per request (request
id, account, service, action, queue or topic, status, error code, latency), over both SQS
protocols and SNS; no body, header or secret ever appears; probes stay out of the info log."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from tests.conftest import make_client, servers_on, sns_client
from tests.support.server import DenshoServer

SECRET_BODY = "card=4111-1111-1111-1111 body-marker-9f3e"
SECRET_KEY = "log-test-secret-key-never-printed"


def access_lines(server: DenshoServer) -> list[dict[str, Any]]:
    """Every access entry of the server's JSON log so far (each line must be JSON)."""
    entries = [json.loads(line) for line in _log_text(server).splitlines() if line.strip()]
    return [e for e in entries if e["logger"] == "densho.access"]


def _log_text(server: DenshoServer, until: str = "") -> str:
    """The server's log so far; with ``until``, once that text is in it (the access line is
    written after the answer is sent, so the client may read the log before it is there)."""
    deadline = time.monotonic() + 5
    text = server.stderr_tail(10_000_000)
    while until and until not in text and time.monotonic() < deadline:
        time.sleep(0.05)
        text = server.stderr_tail(10_000_000)
    return text


def test_json_access_lines(store_kind: str, tmp_path: Path) -> None:
    with servers_on(store_kind, tmp_path) as make:
        server = make(extra_args=("--log-level", "info", "--log-format", "json")).start()
        for protocol in ("json", "query"):
            sqs = make_client(protocol, server.endpoint)
            url = sqs.create_queue(QueueName=f"logs-{protocol}")["QueueUrl"]
            sent = sqs.send_message(QueueUrl=url, MessageBody=SECRET_BODY)
            sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
            try:
                sqs.get_queue_url(QueueName="no-such-queue")
            except ClientError:
                pass
            else:  # pragma: no cover
                raise AssertionError("GetQueueUrl of a missing queue succeeded")
        sns = sns_client(server.endpoint)
        topic = sns.create_topic(Name="logs-topic")["TopicArn"]
        sns.publish(TopicArn=topic, Message=SECRET_BODY)
        urllib.request.urlopen(server.endpoint + "/_densho/health", timeout=5).close()
        urllib.request.urlopen(server.endpoint + "/metrics", timeout=5).close()
        sns.list_topics()  # the last access line (written after its answer) ...
        _log_text(server, until='"action":"ListTopics"')  # ... is there: so are all before it

        lines = access_lines(server)
        send = [e for e in lines if e["action"] == "SendMessage"]
        assert [e["resource"] for e in send] == ["logs-json", "logs-query"]
        for entry in send:
            assert entry["service"] == "sqs" and entry["status"] == 200
            assert entry["account"] == "000000000000" and entry["error"] == "-"
            assert entry["level"] == "info" and entry["message"] == "access"
            assert isinstance(entry["ms"], float) and 0 <= entry["ms"] < 10_000
        assert sent["ResponseMetadata"]["RequestId"] == send[1]["request_id"]
        missing = [e for e in lines if e["action"] == "GetQueueUrl"]
        assert [(e["status"], e["error"], e["resource"]) for e in missing] == [
            (400, "QueueDoesNotExist", "no-such-queue")
        ] * 2
        publish = [e for e in lines if e["action"] == "Publish"]
        assert [(e["service"], e["resource"], e["status"]) for e in publish] == [
            ("sns", "logs-topic", 200)
        ]
        # Probes and scrapes: debug only.
        assert not [e for e in lines if e["action"] in ("/_densho/health", "/metrics")]
        text = _log_text(server)
        assert "body-marker-9f3e" not in text and "4111" not in text
        assert "Traceback" not in text


def test_text_access_line_and_no_secret(store_kind: str, tmp_path: Path) -> None:
    config = tmp_path / "densho.toml"
    config.write_text(
        '[[credentials]]\naccess_key_id = "AKIALOGS000000000001"\n'
        f'secret_access_key = "{SECRET_KEY}"\naccount_id = "222222222222"\n',
        "utf-8",
    )
    with servers_on(store_kind, tmp_path) as make:
        server = make(extra_args=("--config", str(config), "--log-level", "info")).start()
        import boto3

        sqs = boto3.client(
            "sqs",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIALOGS000000000001",
            aws_secret_access_key=SECRET_KEY,
        )
        url = sqs.create_queue(QueueName="signed")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=SECRET_BODY)
        wrong = boto3.client(
            "sqs",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIALOGS000000000001",
            aws_secret_access_key="not-the-secret",
        )
        try:
            wrong.list_queues()
        except ClientError:
            pass
        else:  # pragma: no cover
            raise AssertionError("a wrong signature was accepted")
        text = _log_text(server, until="error=SignatureDoesNotMatch")
        sent = [line for line in text.splitlines() if "action=SendMessage" in line]
        assert len(sent) == 1
        assert " densho.access: request_id=" in sent[0]
        assert "account=222222222222 service=sqs action=SendMessage resource=signed" in sent[0]
        assert "status=200 error=- ms=" in sent[0]
        refused = [line for line in text.splitlines() if "error=SignatureDoesNotMatch" in line]
        assert len(refused) == 1 and "status=403" in refused[0] and "account=-" in refused[0]
        assert SECRET_KEY not in text and "not-the-secret" not in text
        assert "body-marker-9f3e" not in text and "Signature=" not in text


def test_default_level_writes_no_access_line(densho_server: DenshoServer) -> None:
    sqs = make_client("json", densho_server.endpoint)
    sqs.list_queues()
    assert "densho.access" not in _log_text(densho_server)
