"""Prometheus metrics at ``GET /metrics`` on the real server, on both stores: traffic through
boto3, a scrape with a plain HTTP client, parsed with ``prometheus_client``'s own parsers.

Checked: the exact counters of sends, receives, deletes, empty receives, message sizes,
publishes and notifications (delivered, failed, filtered out) of this node; the gauges read from
the database after a background refresh (visible, in flight, delayed, age of the oldest message,
the SNS outbox); the content type negotiated from the Accept header; two nodes on one
PostgreSQL database reporting the same gauges while each counts only its own traffic; /metrics
public with authentication on unless ``--metrics-token`` asks for a bearer token; and
``--metrics off``.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_text

from tests.conftest import ServerFactory, json_client, servers_on, sns_client
from tests.support import pg
from tests.support.server import DenshoServer

pytestmark = pytest.mark.timeout(90)

INTERVAL = ("--metrics-interval", "0.2")
REFRESH_BOUND_S = 10.0
OPENMETRICS = "application/openmetrics-text; version=1.0.0"
NO_QUEUE = "QueueDoesNotExist"  # the JSON protocol's code (the client here speaks JSON)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def fetch(
    endpoint: str, *, accept: str | None = None, token: str | None = None
) -> tuple[int, str, str]:
    """An unsigned GET of /metrics: status, content type, body."""
    headers = {}
    if accept is not None:
        headers["Accept"] = accept
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(endpoint + "/metrics", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read().decode()


def scrape(endpoint: str, **kwargs: Any) -> Samples:
    status, content_type, body = fetch(endpoint, **kwargs)
    assert status == 200, body
    if content_type.startswith("application/openmetrics-text"):
        families = parse_openmetrics(body)  # type: ignore[no-untyped-call]
    else:
        assert content_type.startswith("text/plain; version=0.0.4")
        families = parse_text(body)
    return {(s.name, frozenset(s.labels.items())): s.value for f in families for s in f.samples}


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def eventually(read: Callable[[], Any], expected: Any) -> Any:
    """``read()`` until it answers ``expected`` (a background refresh), within a bound."""
    deadline = time.monotonic() + REFRESH_BOUND_S
    got = read()
    while got != expected and time.monotonic() < deadline:
        time.sleep(0.1)
        got = read()
    assert got == expected
    return got


def gauges(endpoint: str, queue: str) -> tuple[float | None, ...]:
    samples = scrape(endpoint)
    labels = {"account": "000000000000", "region": "us-east-1", "queue": queue}
    return tuple(
        value(samples, f"densho_sqs_approximate_number_of_messages_{kind}", **labels)
        for kind in ("visible", "not_visible", "delayed")
    )


def test_counters_and_gauges(new_server: ServerFactory) -> None:
    server = new_server(extra_args=(*INTERVAL, "--node-name", "node-1")).start()
    endpoint = server.endpoint
    sqs = json_client(endpoint)
    url = sqs.create_queue(QueueName="work")["QueueUrl"]
    idle = sqs.create_queue(QueueName="idle")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="a" * 100)
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "b", "MessageBody": "b" * 200}, {"Id": "c", "MessageBody": "c" * 3000}],
    )
    sqs.send_message(QueueUrl=url, MessageBody="d" * 50, DelaySeconds=600)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=600)
    assert len(got["Messages"]) == 2
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got["Messages"][0]["ReceiptHandle"])
    for _ in range(2):
        assert "Messages" not in sqs.receive_message(QueueUrl=idle, WaitTimeSeconds=0)

    sns = sns_client(endpoint)
    topic = sns.create_topic(Name="events")["TopicArn"]
    for name in ("inbox", "filtered"):
        sqs.create_queue(QueueName=name)
    arn = "arn:aws:sqs:us-east-1:000000000000:"
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn + "inbox")
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn + "filtered",
        Attributes={"FilterPolicy": json.dumps({"kind": ["never"]})},
    )
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn + "missing")
    # Waits for its confirmation in the outbox (nothing listens there: it stays due).
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint="http://127.0.0.1:9/hook")
    sns.publish(TopicArn=topic, Message="one")
    sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[{"Id": "x", "Message": "two"}, {"Id": "y", "Message": "3"}],
    )

    samples = scrape(endpoint)
    q = {"node": "node-1", "account": "000000000000", "region": "us-east-1"}
    assert value(samples, "densho_sqs_number_of_messages_sent_total", **q, queue="work") == 4
    assert value(samples, "densho_sqs_number_of_messages_received_total", **q, queue="work") == 2
    assert value(samples, "densho_sqs_number_of_messages_deleted_total", **q, queue="work") == 1
    assert value(samples, "densho_sqs_number_of_empty_receives_total", **q, queue="idle") == 2
    assert value(samples, "densho_sqs_number_of_empty_receives_total", **q, queue="work") == 0
    sizes = "densho_sqs_sent_message_size_bytes"
    assert value(samples, sizes + "_count", **q, queue="work") == 4
    assert value(samples, sizes + "_sum", **q, queue="work") == 3350
    assert value(samples, sizes + "_bucket", **q, queue="work", le="256.0") == 3
    assert value(samples, sizes + "_bucket", **q, queue="work", le="4096.0") == 4
    t = {**q, "topic": "events"}
    assert value(samples, "densho_sns_number_of_messages_published_total", **t) == 3
    notifications = "densho_sns_number_of_notifications_"
    assert value(samples, notifications + "delivered_total", **t, protocol="sqs") == 3
    assert value(samples, notifications + "filtered_out_total", **t, protocol="sqs") == 3
    assert value(samples, notifications + "failed_total", **t, protocol="sqs") == 3
    # Messages SNS put in a queue count as sent to it, as in CloudWatch.
    assert value(samples, "densho_sqs_number_of_messages_sent_total", **q, queue="inbox") == 3
    # Per action: latency and errors.
    duration = "densho_request_duration_seconds_count"
    sqs_action = {"node": "node-1", "service": "sqs"}
    assert value(samples, duration, **sqs_action, action="SendMessage") == 2
    assert value(samples, duration, **sqs_action, action="ReceiveMessage") == 3
    assert value(samples, duration, node="node-1", service="sns", action="Publish") == 1
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="nowhere")
    errors = "densho_request_errors_total"
    assert value(scrape(endpoint), errors, **sqs_action, action="GetQueueUrl", code=NO_QUEUE) == 1
    # Store commits were timed.
    commits = value(
        samples, "densho_store_commit_seconds_count", node="node-1", store=_kind(server)
    )
    assert commits is not None and commits > 0

    # The gauges, read from the database by the background refresh.
    eventually(lambda: gauges(endpoint, "work"), (1.0, 1.0, 1.0))
    eventually(lambda: gauges(endpoint, "inbox"), (3.0, 0.0, 0.0))
    eventually(lambda: gauges(endpoint, "idle"), (0.0, 0.0, 0.0))
    eventually(lambda: gauges(endpoint, "filtered"), (0.0, 0.0, 0.0))
    samples = scrape(endpoint)
    age = "densho_sqs_approximate_age_of_oldest_message_seconds"
    work = {"account": "000000000000", "region": "us-east-1", "queue": "work"}
    assert 0 <= (value(samples, age, **work) or -1) < 60
    assert value(samples, age, **{**work, "queue": "idle"}) == 0
    outbox = {"account": "000000000000", "region": "us-east-1", "topic": "events"}
    assert value(samples, "densho_sns_outbox_depth", **outbox, protocol="http") == 1

    # What an OpenMetrics scraper asks for, it gets.
    status, content_type, _ = fetch(endpoint, accept=OPENMETRICS)
    assert status == 200 and content_type.startswith("application/openmetrics-text")
    om = scrape(endpoint, accept=OPENMETRICS)
    assert value(om, "densho_sqs_number_of_messages_sent_total", **q, queue="work") == 4

    # A deleted queue's series go: its gauges at the next refresh, its counters at once.
    sqs.delete_queue(QueueUrl=idle)
    eventually(lambda: gauges(endpoint, "idle"), (None, None, None))
    samples = scrape(endpoint)
    assert value(samples, "densho_sqs_number_of_empty_receives_total", **q, queue="idle") is None


def _kind(server: Any) -> str:
    return "postgresql" if server.store else "sqlite"


@pg.only_with_postgresql
def test_two_nodes_on_one_database_report_the_same_gauges(tmp_path: Path) -> None:
    with servers_on("postgresql", tmp_path) as make:
        first = make("a", extra_args=(*INTERVAL, "--node-name", "a")).start()
        # A second node on the first one's database.
        second = DenshoServer(
            tmp_path / "b",
            log_dir=tmp_path,
            store=first.store,
            extra_args=(*INTERVAL, "--node-name", "b"),
        )
        with second:
            _two_nodes(first, second)


def _two_nodes(first: DenshoServer, second: DenshoServer) -> None:
    sqs_a, sqs_b = json_client(first.endpoint), json_client(second.endpoint)
    url = sqs_a.create_queue(QueueName="shared")["QueueUrl"]
    sqs_a.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(5)]
    )
    sqs_b.send_message(QueueUrl=url, MessageBody="late", DelaySeconds=600)
    got = sqs_b.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=600)
    assert len(got["Messages"]) == 2
    for node in (first.endpoint, second.endpoint):
        eventually(partial(gauges, node, "shared"), (3.0, 2.0, 1.0))
    # Counters are each node's own.
    q = {"account": "000000000000", "region": "us-east-1", "queue": "shared"}
    a, b = scrape(first.endpoint), scrape(second.endpoint)
    sent = "densho_sqs_number_of_messages_sent_total"
    received = "densho_sqs_number_of_messages_received_total"
    assert (value(a, sent, node="a", **q), value(b, sent, node="b", **q)) == (5, 1)
    assert (value(a, received, node="a", **q), value(b, received, node="b", **q)) == (0, 2)


AUTH = (
    '[[credentials]]\naccess_key_id = "AKIAMETRICS000000001"\n'
    'secret_access_key = "metrics-secret"\naccount_id = "111111111111"\n'
)


def test_public_with_authentication_on_unless_a_token_is_set(
    store_kind: str, tmp_path: Path
) -> None:
    config = tmp_path / "densho.toml"
    config.write_text(AUTH, "utf-8")
    with servers_on(store_kind, tmp_path) as make:
        public = make("public", extra_args=("--config", str(config))).start()
        assert fetch(public.endpoint)[0] == 200  # Prometheus cannot sign: public by default
        guarded = make(
            "guarded", extra_args=("--config", str(config), "--metrics-token", "t0ken")
        ).start()
        assert fetch(guarded.endpoint)[0] == 401
        assert fetch(guarded.endpoint, token="wrong")[0] == 401
        status, _, body = fetch(guarded.endpoint, token="t0ken")
        assert status == 200 and "densho_store_commit_seconds" in body


def test_metrics_off(new_server: ServerFactory) -> None:
    server = new_server(extra_args=("--metrics", "off")).start()
    status, _, body = fetch(server.endpoint)
    assert status == 404 and "metrics are off" in body
    sqs = json_client(server.endpoint)  # the server works as ever
    url = sqs.create_queue(QueueName="plain")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1
