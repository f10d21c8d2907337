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


def test_debug_level_logs_every_request_once(store_kind: str, tmp_path: Path) -> None:
    """``--log-level debug``: one access line per request — client, method, path, action,
    status, duration — for both SQS protocols (Query also at a queue URL's path), SNS, a
    refused request and densho's own endpoints (probes included at this level)."""
    with servers_on(store_kind, tmp_path) as make:
        server = make(extra_args=("--log-level", "debug")).start()
        json_sqs = make_client("json", server.endpoint)
        url = json_sqs.create_queue(QueueName="debug-logs")["QueueUrl"]
        json_sent = json_sqs.send_message(QueueUrl=url, MessageBody="one")
        # A Query request POSTed to the queue URL itself (as the JavaScript SDK v2 sends them).
        form = b"Action=SendMessage&MessageBody=two"
        with urllib.request.urlopen(urllib.request.Request(url, data=form), timeout=5) as reply:
            assert reply.status == 200
        sns = sns_client(server.endpoint)
        topic = sns.create_topic(Name="debug-logs")["TopicArn"]
        published = sns.publish(TopicArn=topic, Message="three")
        try:
            json_sqs.get_queue_url(QueueName="no-such-queue")
        except ClientError:
            pass
        else:  # pragma: no cover
            raise AssertionError("GetQueueUrl of a missing queue succeeded")
        urllib.request.urlopen(server.endpoint + "/_densho/health", timeout=5).close()
        sns.list_topics()
        text = _log_text(server, until="action=ListTopics")

        access = [line for line in text.splitlines() if " densho.access: " in line]
        fields = [dict(f.split("=", 1) for f in line.split(": ", 1)[1].split()) for line in access]
        for entry in fields:
            assert entry["client"] == "127.0.0.1"
            assert entry["method"] in ("GET", "POST") and entry["path"].startswith("/")
            assert float(entry["ms"]) >= 0 and entry["status"].isdigit()
        by_action = [
            (e["service"], e["action"], e["status"], e["method"], e["path"]) for e in fields
        ]
        assert by_action == [
            ("sqs", "CreateQueue", "200", "POST", "/"),
            ("sqs", "SendMessage", "200", "POST", "/"),
            ("sqs", "SendMessage", "200", "POST", "/000000000000/debug-logs"),
            ("sns", "CreateTopic", "200", "POST", "/"),
            ("sns", "Publish", "200", "POST", "/"),
            ("sqs", "GetQueueUrl", "400", "POST", "/"),
            ("densho", "/_densho/health", "200", "GET", "/_densho/health"),
            ("sns", "ListTopics", "200", "POST", "/"),
        ]
        ids = [e["request_id"] for e in fields]
        assert json_sent["ResponseMetadata"]["RequestId"] in ids
        assert published["ResponseMetadata"]["RequestId"] in ids
        assert len(set(ids) - {"-"}) == len(ids) - 1  # one line per request (the probe has no id)
        assert " DEBUG densho.access: " in access[6] and " INFO densho.access: " in access[0]
        json_sqs.close()
        sns.close()
