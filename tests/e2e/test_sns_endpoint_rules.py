"""Where SNS may deliver (``[sns] http_endpoints``), end to end: Subscribe refuses a refused
endpoint with AWS's "Unreachable Endpoint", and delivery refuses a name that resolves to a refused
address (and a literal address refused since it subscribed) — the subscriber receives nothing,
and the refusal is one permanent failure, not retried. SNS speaks Query only: boto3's SNS client.
The default configuration delivering to 127.0.0.1 is tests/e2e/test_sns_http.py."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import sns_client
from tests.e2e.helpers import expect_error, wait_until
from tests.support.server import DenshoServer
from tests.support.sns_endpoints import HttpSubscriber

REFUSED_LINE = "endpoint refused by [sns] http_endpoints"
PRODUCTION = """
[sns]
http_endpoints = { deny = ["127.0.0.0/8", "::1", "*.internal"] }
"""


@pytest.fixture
def subscriber() -> Iterator[HttpSubscriber]:
    server = HttpSubscriber()
    yield server
    server.close()


def _unreachable(sns: Any, topic: str, protocol: str, endpoint: str) -> None:
    error = expect_error(
        sns.subscribe, TopicArn=topic, Protocol=protocol, Endpoint=endpoint, code="InvalidParameter"
    )
    assert error["Error"]["Message"] == "Invalid parameter: Unreachable Endpoint"


def _refusals(log_dir: Path) -> list[str]:
    return [
        line
        for path in sorted(log_dir.glob("densho-*.stderr.log"))
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        if REFUSED_LINE in line
    ]


def _server(tmp_path: Path, config: str | None) -> DenshoServer:
    args: tuple[str, ...] = ()
    if config is not None:
        path = tmp_path / "densho.toml"
        path.write_text(config, encoding="utf-8")
        args = ("--config", str(path))
    return DenshoServer(tmp_path / "data", log_dir=tmp_path, extra_args=args)


def test_metadata_addresses_are_refused_by_default(endpoint: str) -> None:
    sns = sns_client(endpoint)
    topic = sns.create_topic(Name=f"ssrf-{uuid.uuid4().hex[:8]}")["TopicArn"]
    _unreachable(sns, topic, "http", "http://169.254.169.254/latest/meta-data/")
    _unreachable(sns, topic, "https", "https://[fd00:ec2::254]/latest/api/token")
    _unreachable(sns, topic, "http", "http://2852039166/")  # 169.254.169.254, spelt as a number
    _unreachable(sns, topic, "email", "root@[169.254.169.254]")
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed == []
    sns.close()


def test_denied_loopback_is_refused_at_subscribe_and_after_resolution(
    tmp_path: Path, subscriber: HttpSubscriber
) -> None:
    port = subscriber.url.rsplit(":", 1)[1]
    with _server(tmp_path, PRODUCTION) as server:
        sns = sns_client(server.endpoint)
        topic = sns.create_topic(Name="ssrf")["TopicArn"]
        _unreachable(sns, topic, "http", f"{subscriber.url}/literal")
        _unreachable(sns, topic, "http", f"http://[::1]:{port}/literal6")
        _unreachable(sns, topic, "https", "https://metadata.google.internal/")
        _unreachable(sns, topic, "email-json", "ops@mail.corp.internal")
        # A name is not resolved at Subscribe: accepted, pending confirmation ...
        sub = sns.subscribe(
            TopicArn=topic, Protocol="http", Endpoint=f"http://localhost:{port}/by-name"
        )
        assert sub["SubscriptionArn"] == "pending confirmation"
        # ... and its confirmation is refused at delivery: localhost is 127.0.0.1 / ::1.
        wait_until(lambda: _refusals(tmp_path), timeout=10, message="the refusal's log line")
        time.sleep(2)  # a retried refusal would show up (the confirmation policy retries 5xx)
        assert len(_refusals(tmp_path)) == 1, _refusals(tmp_path)
        assert subscriber.requests == []
        sns.close()


def test_a_literal_address_denied_after_subscribing_is_refused_at_delivery(
    tmp_path: Path, subscriber: HttpSubscriber
) -> None:
    server = _server(tmp_path, None)
    with server:
        sns = sns_client(server.endpoint)
        topic = sns.create_topic(Name="later")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"{subscriber.url}/later")
        (confirmation,) = subscriber.wait_for("/later", "SubscriptionConfirmation")
        token = json.loads(confirmation.body)["Token"]
        sns.confirm_subscription(TopicArn=topic, Token=token)
        sns.publish(TopicArn=topic, Message="allowed")
        subscriber.wait_for("/later", "Notification")
        sns.close()
    config = tmp_path / "densho.toml"
    config.write_text(PRODUCTION, encoding="utf-8")
    server.extra_args = ("--config", str(config))
    with server:
        sns = sns_client(server.endpoint)
        sns.publish(TopicArn=topic, Message="refused")
        wait_until(lambda: _refusals(tmp_path), timeout=10, message="the refusal's log line")
        time.sleep(1)
        assert [json.loads(r.body)["Message"] for r in subscriber.to("/later", "Notification")] == [
            "allowed"
        ]
        assert len(_refusals(tmp_path)) == 1
        sns.close()
