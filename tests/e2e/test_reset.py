"""The test endpoints end to end, on both stores: ``POST /_densho/reset`` (and moto's alias)
empties everything at once and the API works after it; a long poll in flight answers empty;
LocalStack's health document; with authentication on they are absent unless
``--allow-test-endpoints``, and then need a signature."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError

from tests.conftest import json_client, servers_on, sns_client, unique_name
from tests.e2e.test_auth import http, signed_http
from tests.e2e.test_multi_node import _start_pair, _stop_pair
from tests.support import pg
from tests.support.server import DenshoServer


def _post(url: str) -> tuple[int, Any]:
    status, _, body = http(url, b"", method="POST")
    return status, json.loads(body)


def test_reset_empties_everything_and_names_are_free_at_once(
    store_kind: str, tmp_path: Path
) -> None:
    with servers_on(store_kind, tmp_path) as make:
        server = make().start()
        sqs, sns = json_client(server.endpoint), sns_client(server.endpoint)
        name = unique_name("reset")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        for i in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
        arn = sns.create_topic(Name=name)["TopicArn"]
        sns.subscribe(
            TopicArn=arn, Protocol="sqs", Endpoint=f"arn:aws:sqs:us-east-1:000000000000:{name}"
        )
        got: list[Any] = []
        poll = threading.Thread(
            target=lambda: got.append(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)),
        )
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)
        poll.start()
        time.sleep(1.0)  # the poll is waiting when the reset comes (not arriving after it)
        status, body = _post(server.endpoint + "/_densho/reset")
        poll.join(10)
        assert not poll.is_alive() and got[0].get("Messages", []) == []
        assert status == 200 and body["reset"] is True
        assert body["deleted"]["queues"] == 1 and body["deleted"]["topics"] == 1
        assert body["deleted"]["subscriptions"] == 1
        assert sqs.list_queues().get("QueueUrls", []) == []
        assert sns.list_topics()["Topics"] == []
        # No QueueDeletedRecently after a reset: the same name again at once, empty.
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
        sqs.send_message(QueueUrl=url, MessageBody="after")
        assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "after"
        assert _post(server.endpoint + "/moto-api/reset") == (200, {"status": "ok"})
        assert sqs.list_queues().get("QueueUrls", []) == []
        status, _, raw = http(server.endpoint + "/_localstack/health")
        health = json.loads(raw)
        assert status == 200 and health["services"] == {"sqs": "running", "sns": "running"}
        assert {"edition", "version"} <= health.keys()


AUTH = (
    '[[credentials]]\naccess_key_id = "AKIARESET00000000001"\n'
    'secret_access_key = "reset-secret"\naccount_id = "111111111111"\n'
)


def test_absent_with_authentication_unless_allowed(store_kind: str, tmp_path: Path) -> None:
    config = tmp_path / "densho.toml"
    config.write_text(AUTH, "utf-8")
    with servers_on(store_kind, tmp_path) as make:
        server = make(extra_args=("--config", str(config))).start()
        for path in ("/_densho/reset", "/moto-api/reset"):
            assert http(server.endpoint + path, b"", method="POST")[0] == 404
        assert http(server.endpoint + "/_localstack/health")[0] == 404
        allowed = make("allowed", extra_args=("--config", str(config), "--allow-test-endpoints"))
        allowed.start()
        assert http(allowed.endpoint + "/_densho/reset", b"", method="POST")[0] == 403
        status, _, body = signed_http(
            allowed.endpoint + "/_densho/reset",
            "sqs",
            b"",
            {},
            "AKIARESET00000000001",
            "reset-secret",
        )
        assert status == 200 and json.loads(body)["reset"] is True


def test_localstack_peek_changes_nothing(densho_server: DenshoServer) -> None:
    """LocalStack's developer endpoint on the shared server (it reads, so it may): JSON when
    asked for, else XML; visible messages only unless ShowInvisible / ShowDelayed."""
    sqs = json_client(densho_server.endpoint)
    url = sqs.create_queue(QueueName=unique_name("peek"))["QueueUrl"]
    try:
        sqs.send_message(QueueUrl=url, MessageBody="one")
        sqs.send_message(QueueUrl=url, MessageBody="two", DelaySeconds=60)
        sqs.send_message(QueueUrl=url, MessageBody="three")
        taken = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60)
        assert len(taken["Messages"]) == 1
        peek = (
            densho_server.endpoint
            + "/_aws/sqs/messages?"
            + urllib.parse.urlencode({"QueueUrl": url})
        )
        status, _, raw = http(peek, headers={"Accept": "application/json"})
        result = json.loads(raw)["ReceiveMessageResponse"]["ReceiveMessageResult"]
        assert status == 200 and len(result["Message"]) == 1
        message = result["Message"][0]
        assert message["ReceiptHandle"] == "SQS/BACKDOOR/ACCESS"
        assert message["Body"] in ("one", "three")
        names = {a["Name"] for a in message["Attribute"]}
        assert {"SenderId", "SentTimestamp", "ApproximateReceiveCount"} <= names
        status, _, raw = http(peek + "&ShowInvisible=true&ShowDelayed=true")
        root = ElementTree.fromstring(raw)
        bodies = sorted(e.text or "" for e in root.iter() if e.tag.endswith("}Body"))
        assert status == 200 and bodies == ["one", "three", "two"]
        # Nothing changed: the visible one is still there to receive, never received before.
        again = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])
        assert again["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "1"
        missing = densho_server.endpoint + "/_aws/sqs/messages?QueueUrl=http://x/000000000000/nope"
        assert http(missing)[0] == 400
    finally:
        sqs.delete_queue(QueueUrl=url)


def test_reset_of_one_account_keeps_the_others(densho_server: DenshoServer, tmp_path: Path) -> None:
    """``?account=`` deletes only that account's resources (here: another account's, so none
    of the shared server's)."""
    sqs = json_client(densho_server.endpoint)
    url = sqs.create_queue(QueueName=unique_name("kept"))["QueueUrl"]
    try:
        status, body = _post(densho_server.endpoint + "/_densho/reset?account=999999999999")
        assert status == 200 and body["deleted"]["queues"] == 0
        sqs.send_message(QueueUrl=url, MessageBody="still here")
    finally:
        sqs.delete_queue(QueueUrl=url)


@pg.only_with_postgresql
def test_the_other_node_forgets_at_once(tmp_path: Path) -> None:
    """Two nodes on one database: a reset on A ends B's long polls (empty) and B no longer
    knows the queues it had cached."""
    pair, started = _start_pair(tmp_path)
    try:
        a, b = pair.a.sqs(), pair.b.sqs()
        name = unique_name("two-nodes")
        url = a.create_queue(QueueName=name)["QueueUrl"]
        b.send_message(QueueUrl=url, MessageBody="cached on B")
        got: list[Any] = []
        poll = threading.Thread(
            target=lambda: got.append(
                b.receive_message(QueueUrl=url, WaitTimeSeconds=20, VisibilityTimeout=0)
            )
        )
        b.receive_message(QueueUrl=url, VisibilityTimeout=60)
        poll.start()
        time.sleep(0.3)
        started_at = time.monotonic()
        assert _post(pair.a.endpoint + "/_densho/reset")[0] == 200
        poll.join(10)
        assert not poll.is_alive() and got[0].get("Messages", []) == []
        assert time.monotonic() - started_at < 5
        with pytest.raises(ClientError) as caught:
            b.send_message(QueueUrl=url, MessageBody="gone")
        assert caught.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
        url = b.create_queue(QueueName=name)["QueueUrl"]
        a.send_message(QueueUrl=url, MessageBody="again")
        assert b.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "again"
    finally:
        _stop_pair(pair, started)
