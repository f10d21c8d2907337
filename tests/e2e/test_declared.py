"""Declared resources (``[[queues]]``, ``[[topics]]``, ``[[topics.subscriptions]]`` in the
configuration file) on the real server, on both stores: they exist at start with their
attributes and tags, a publish reaches the declared queue raw and filtered; a restart with
changed declarations updates them and leaves what is undeclared alone; two PostgreSQL nodes
started at once with the same file both come up and hold each resource once; a file the API
would refuse stops the start with exit code 2 and one line naming the file, line and key."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import json_client, servers_on, sns_client
from tests.e2e.helpers import attributes, queue_arn, receive_n
from tests.support import pg
from tests.support.server import DenshoServer

pytestmark = pytest.mark.timeout(120)

# The example, as a user would write it.
EXAMPLE = (
    "[[queues]]\n"
    'name = "orders-dlq"\n'
    "[[queues]]\n"
    'name = "orders"\n'
    'attributes = { VisibilityTimeout = "60", RedrivePolicy = \''
    '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:orders-dlq","maxReceiveCount":"5"}'
    "' }\n"
    'tags = { team = "checkout" }\n'
    "[[topics]]\n"
    'name = "events"\n'
    "[[topics.subscriptions]]\n"
    'protocol = "sqs"\n'
    'endpoint = "arn:aws:sqs:us-east-1:000000000000:orders"\n'
    'attributes = { RawMessageDelivery = "true", FilterPolicy = \'{"type":["order"]}\' }\n'
)
TOPIC = "arn:aws:sns:us-east-1:000000000000:events"


def _config(tmp_path: Path, text: str, name: str = "densho.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _typed(kind: str) -> dict[str, Any]:
    return {"type": {"DataType": "String", "StringValue": kind}}


def _check_example(endpoint: str) -> None:
    sqs, sns = json_client(endpoint), sns_client(endpoint)
    url = sqs.get_queue_url(QueueName="orders")["QueueUrl"]
    sqs.get_queue_url(QueueName="orders-dlq")
    attrs = attributes(sqs, url)
    assert attrs["VisibilityTimeout"] == "60"
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == queue_arn("orders-dlq")
    assert int(redrive["maxReceiveCount"]) == 5
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "checkout"}
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [TOPIC]
    (sub,) = sns.list_subscriptions_by_topic(TopicArn=TOPIC)["Subscriptions"]
    assert (sub["Protocol"], sub["Endpoint"]) == ("sqs", queue_arn("orders"))
    assert sub["SubscriptionArn"].startswith(TOPIC + ":")  # confirmed, as Subscribe does
    sub_attrs = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])
    assert sub_attrs["Attributes"]["RawMessageDelivery"] == "true"
    assert json.loads(sub_attrs["Attributes"]["FilterPolicy"]) == {"type": ["order"]}

    sns.publish(TopicArn=TOPIC, Message="a refund", MessageAttributes=_typed("refund"))
    sns.publish(TopicArn=TOPIC, Message="an order", MessageAttributes=_typed("order"))
    (got,) = receive_n(sqs, url, 1)
    assert got["Body"] == "an order"  # raw: the message itself, no SNS envelope
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got["ReceiptHandle"])
    # the filtered-out one never arrives
    assert not sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")


def test_declared_resources_exist_and_deliver(store_kind: str, tmp_path: Path) -> None:
    config = _config(tmp_path, EXAMPLE)
    with servers_on(store_kind, tmp_path) as make:
        server = make(extra_args=("--config", str(config))).start()
        _check_example(server.endpoint)


def test_restart_updates_declared_and_keeps_undeclared(store_kind: str, tmp_path: Path) -> None:
    config = _config(tmp_path, EXAMPLE)
    with servers_on(store_kind, tmp_path) as make:
        server = make(extra_args=("--config", str(config), "--log-level", "info")).start()
        assert "4 created, 0 updated, 0 unchanged" in server.stderr_tail()
        sqs, sns = json_client(server.endpoint), sns_client(server.endpoint)
        url = sqs.get_queue_url(QueueName="orders")["QueueUrl"]
        # made through the API: an undeclared queue, an undeclared attribute and tag
        other = sqs.create_queue(QueueName="undeclared", tags={"keep": "me"})["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "3"})
        sqs.tag_queue(QueueUrl=url, Tags={"owner": "api"})
        server.stop()

        changed = (
            EXAMPLE.replace('VisibilityTimeout = "60"', 'VisibilityTimeout = "90"')
            .replace('team = "checkout"', 'team = "payments"')
            .replace('RawMessageDelivery = "true"', 'RawMessageDelivery = "false"')
        )
        config.write_text(changed, encoding="utf-8")
        server.start()
        assert "0 created, 2 updated, 2 unchanged" in server.stderr_tail()  # orders, its sub
        sqs, sns = json_client(server.endpoint), sns_client(server.endpoint)
        assert attributes(sqs, url, "VisibilityTimeout", "DelaySeconds") == {
            "VisibilityTimeout": "90",
            "DelaySeconds": "3",
        }
        assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "payments", "owner": "api"}
        assert sqs.list_queue_tags(QueueUrl=other)["Tags"] == {"keep": "me"}
        (sub,) = sns.list_subscriptions_by_topic(TopicArn=TOPIC)["Subscriptions"]
        sub_attrs = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])
        assert sub_attrs["Attributes"]["RawMessageDelivery"] == "false"
        assert len(sqs.list_queues()["QueueUrls"]) == 3

        server.restart()  # unchanged: nothing to do, nothing doubled
        assert "0 created, 0 updated, 4 unchanged" in server.stderr_tail()
        sqs, sns = json_client(server.endpoint), sns_client(server.endpoint)
        assert len(sqs.list_queues()["QueueUrls"]) == 3
        assert len(sns.list_subscriptions_by_topic(TopicArn=TOPIC)["Subscriptions"]) == 1


@pg.only_with_postgresql
def test_two_postgresql_nodes_started_together(tmp_path: Path) -> None:
    config = _config(tmp_path, EXAMPLE)
    database = pg.create_database()
    servers = [
        DenshoServer(
            tmp_path / name,
            log_dir=tmp_path / f"{name}-logs",
            store=database,
            extra_args=("--config", str(config)),
        )
        for name in ("A", "B")
    ]
    failures: list[BaseException] = []

    def start(server: DenshoServer) -> None:
        try:
            server.start()
        except BaseException as exc:  # reported below, with the server's stderr
            failures.append(exc)

    try:
        threads = [threading.Thread(target=start, args=(s,)) for s in servers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not failures, failures
        assert all(s.running for s in servers)
        _check_example(servers[0].endpoint)
        for server in servers:
            sqs = json_client(server.endpoint)
            assert len(sqs.list_queues()["QueueUrls"]) == 2
            subs = sns_client(server.endpoint).list_subscriptions_by_topic(TopicArn=TOPIC)
            assert len(subs["Subscriptions"]) == 1
    finally:
        for server in servers:
            server.close()
        pg.drop_database(database)


def _serve(
    config: Path, data_dir: Path, store: str | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "densho", "serve", "--port", "0", "--config", str(config)]
    command += ["--data-dir", str(data_dir), *(("--store", store) if store else ())]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


INVALID = [
    (
        EXAMPLE.replace('"60"', '"50000"'),
        ":5: queues[1].attributes.VisibilityTimeout: Invalid value for the parameter "
        "VisibilityTimeout.",
    ),
    (
        EXAMPLE.replace('RawMessageDelivery = "true"', 'RawMessageDelivery = "yes"'),
        ":12: topics[0].subscriptions[0].attributes.RawMessageDelivery: Invalid parameter: ",
    ),
    (
        EXAMPLE.replace('name = "orders"\n', 'name = "orders"\ncolour = "red"\n'),
        ":5: queues[1].colour: unknown key",
    ),
    (EXAMPLE.replace('"60"', "60"), ":5: queues[1].attributes.VisibilityTimeout: must be a string"),
    (
        EXAMPLE.replace("orders-dlq", "orders-dlq2", 1).replace('"orders"', '"orders-dlq2"'),
        ":4: queues[1].name: this queue is declared twice (also queues[0])",
    ),
    (
        EXAMPLE.replace("[[topics]]", "[[topics]"),
        ":7: Expected ']]' at the end of an array declaration",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"), INVALID, ids=["value", "sns-value", "key", "type", "twice", "syntax"]
)
def test_an_invalid_file_stops_the_start(tmp_path: Path, text: str, message: str) -> None:
    config = _config(tmp_path, text)
    proc = _serve(config, tmp_path / "data")
    assert proc.returncode == 2, proc.stderr
    assert f"{config}{message}" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "densho ready" not in proc.stdout


def test_an_unknown_dead_letter_target_stops_the_start(store_kind: str, tmp_path: Path) -> None:
    """A target neither declared nor existing: found only with the store, still one line."""
    text = EXAMPLE.replace('[[queues]]\nname = "orders-dlq"\n', "")
    config = _config(tmp_path, text)
    with servers_on(store_kind, tmp_path) as make:
        server = make(extra_args=("--config", str(config)))
        proc = _serve(config, server.data_dir, server.store)
    assert proc.returncode == 2, proc.stderr
    assert f"{config}:3: queues[0].attributes.RedrivePolicy: Value " in proc.stderr, proc.stderr
    assert "Dead letter target does not exist" in proc.stderr or "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr
    # one message (PostgreSQL's start may warn before it: migrations, no master key)
    said = [line for line in proc.stderr.splitlines() if "error" in line.lower()]
    assert len(said) == 1 and said[0].startswith("densho: error: "), proc.stderr


def test_check_config(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        EXAMPLE
        + '[[credentials]]\naccess_key_id = "AKIACHECK"\nsecret_access_key = "s"\n'
        + 'account_id = "000000000000"\n',
    )
    command = [sys.executable, "-m", "densho", "check-config"]
    proc = subprocess.run(
        [*command, str(config)], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{config}: ok (2 queues, 1 topics, 1 subscriptions, 1 credentials)\n"
    bad = _config(tmp_path, EXAMPLE.replace('"60"', '"-1"'), "bad.toml")
    proc = subprocess.run(
        [*command, str(bad)], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 2
    assert f"{bad}:5: queues[1].attributes.VisibilityTimeout: Invalid value" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
