"""Time control, end to end: ``densho serve --clock controlled`` and ``/_densho/clock``.

Every test pushes the clock forward instead of sleeping — a 12-hour visibility timeout, a
15-minute delay, a 4-day retention, the 5-minute FIFO deduplication window, PurgeQueue's and
DeleteQueue's 60 s, a move task's rate, a 20 s long poll, SNS retries and confirmation tokens —
and checks that what waited for that moment happens at once. One controlled server per store
(module scope); its clock only moves forward, so each test uses queues of its own and measures
from the clock's ``now_ms`` as it reads it.
"""

from __future__ import annotations

import datetime
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    QueueMaker,
    ServerFactory,
    SqsClient,
    json_client,
    servers_on,
    sns_client,
)
from tests.e2e.helpers import counts, expect_error, queue_arn, queue_name_of, wait_until
from tests.e2e.test_auth import signed_http
from tests.e2e.test_metrics import scrape, value
from tests.support.sns_endpoints import HttpSubscriber

HOUR = 3600
DAY = 86_400


# --- the server, its clock ---


@pytest.fixture(scope="module")
def endpoint(store_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of this module's own, on the controlled clock (shadows the session server)."""
    base: Path = tmp_path_factory.mktemp(f"densho-clock-{store_kind}")
    with servers_on(store_kind, base) as make:
        server = make(extra_args=("--clock", "controlled", "--metrics-interval", "0.2"))
        yield server.start().endpoint


@pytest.fixture(scope="module")
def admin_sqs(endpoint: str) -> SqsClient:
    return json_client(endpoint)


def _call(endpoint: str, method: str, path: str) -> tuple[int, str, Any]:
    request = urllib.request.Request(
        endpoint + path, method=method, data=b"" if method == "POST" else None
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, content_type, body = (
                response.status,
                response.headers["content-type"],
                response.read(),
            )
    except urllib.error.HTTPError as exc:
        status, content_type, body = exc.code, exc.headers["content-type"], exc.read()
    document = json.loads(body) if "json" in (content_type or "") else body.decode()
    return int(status), str(content_type), document


def now(endpoint: str) -> dict[str, Any]:
    status, _, document = _call(endpoint, "GET", "/_densho/clock")
    assert status == 200, document
    result: dict[str, Any] = document
    return result


def advance(endpoint: str, seconds: float) -> dict[str, Any]:
    status, _, document = _call(endpoint, "POST", f"/_densho/clock/advance?seconds={seconds}")
    assert status == 200, document
    result: dict[str, Any] = document
    return result


def test_the_clock_answers_and_moves(endpoint: str) -> None:
    before = now(endpoint)
    assert before["mode"] == "controlled"
    assert set(before) == {"mode", "now_ms", "now", "offset_ms"}
    after = advance(endpoint, 1.5)
    assert after["offset_ms"] == before["offset_ms"] + 1500
    assert after["now_ms"] - before["now_ms"] >= 1500
    parsed = datetime.datetime.fromisoformat(after["now"].replace("Z", "+00:00"))
    assert parsed.tzinfo is not None
    assert abs(parsed.timestamp() * 1000 - after["now_ms"]) < 1
    assert advance(endpoint, 0)["offset_ms"] == after["offset_ms"]
    real = time.time() * 1000
    assert abs(now(endpoint)["now_ms"] - after["offset_ms"] - real) < 2000  # moves with real time


@pytest.mark.parametrize("given", ["-1", "abc", "nan", "inf", "", "1e30"])
def test_a_bad_advance_is_refused(endpoint: str, given: str) -> None:
    before = now(endpoint)["offset_ms"]
    status, content_type, body = _call(endpoint, "POST", f"/_densho/clock/advance?seconds={given}")
    assert status == 400 and content_type.startswith("text/plain") and "seconds" in body
    status, _, _ = _call(endpoint, "POST", "/_densho/clock/advance")
    assert status == 400
    assert now(endpoint)["offset_ms"] == before


def test_the_system_clock_does_not_advance(new_server: ServerFactory) -> None:
    system = new_server().start().endpoint
    document = now(system)
    assert (document["mode"], document["offset_ms"]) == ("system", 0)
    assert abs(document["now_ms"] - time.time() * 1000) < 2000
    status, _, answer = _call(system, "POST", "/_densho/clock/advance?seconds=5")
    assert status == 409
    assert answer == {"error": "the clock is not controlled (start densho with --clock controlled)"}


AUTH = """
[server]
clock = "controlled"
{extra}

[[credentials]]
access_key_id = "AKIDCLOCK"
secret_access_key = "secret"
account_id = "111122223333"
"""


@pytest.mark.parametrize("allowed", ["no", "file key", "flag"])
def test_with_authentication_only_when_allowed(
    new_server: ServerFactory, tmp_path: Path, allowed: str
) -> None:
    config = tmp_path / "densho.toml"
    config.write_text(
        AUTH.format(extra="allow_test_endpoints = true" if allowed == "file key" else "")
    )
    flag = ("--allow-test-endpoints",) if allowed == "flag" else ()
    server = new_server(extra_args=("--config", str(config), *flag)).start().endpoint
    for method, path in (("GET", "/_densho/clock"), ("POST", "/_densho/clock/advance?seconds=1")):
        status, _, _ = _call(server, method, path)
        assert status == (404 if allowed == "no" else 403)  # when allowed: signed requests only
        if allowed != "no" and method == "POST":
            signed, _, _ = signed_http(server + path, "sqs", b"", {}, "AKIDCLOCK", "secret")
            assert signed == 200


# --- SQS ---


def _received(sqs: SqsClient, url: str, **kwargs: Any) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], **kwargs
    ).get("Messages", [])
    return messages


def test_a_twelve_hour_visibility_timeout(endpoint: str, sqs: SqsClient, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="hidden")
    (first,) = _received(sqs, queue, VisibilityTimeout=12 * HOUR)
    assert _received(sqs, queue) == []
    advance(endpoint, 12 * HOUR - 60)
    assert _received(sqs, queue) == []
    assert counts(sqs, queue) == (0, 1, 0)
    advance(endpoint, 60)
    (again,) = _received(sqs, queue)
    assert again["MessageId"] == first["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"


def test_change_visibility_counts_from_the_clock(endpoint: str, sqs: SqsClient, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="extended")
    (m,) = _received(sqs, queue, VisibilityTimeout=30)
    advance(endpoint, 20)
    sqs.change_message_visibility(
        QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=HOUR
    )
    advance(endpoint, HOUR - 5)
    assert _received(sqs, queue) == []
    advance(endpoint, 5)
    assert len(_received(sqs, queue)) == 1


def test_a_fifteen_minute_message_delay(endpoint: str, sqs: SqsClient, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=900)
    assert counts(sqs, queue) == (0, 0, 1)
    advance(endpoint, 899)
    assert _received(sqs, queue) == []
    advance(endpoint, 1)
    assert counts(sqs, queue) == (1, 0, 0)
    assert [m["Body"] for m in _received(sqs, queue)] == ["later"]


def test_a_queue_delay(endpoint: str, sqs: SqsClient, make_queue: QueueMaker) -> None:
    url = make_queue(attributes={"DelaySeconds": "900"})
    sqs.send_message(QueueUrl=url, MessageBody="queued")
    advance(endpoint, 600)
    assert _received(sqs, url) == []
    advance(endpoint, 300)
    assert [m["Body"] for m in _received(sqs, url)] == ["queued"]


def test_a_four_day_retention(endpoint: str, sqs: SqsClient, make_queue: QueueMaker) -> None:
    url = make_queue(attributes={"MessageRetentionPeriod": str(4 * DAY)})
    sqs.send_message(QueueUrl=url, MessageBody="old")
    advance(endpoint, 4 * DAY - 60)
    assert counts(sqs, url) == (1, 0, 0)
    sqs.send_message(QueueUrl=url, MessageBody="young")
    advance(endpoint, 61)
    assert counts(sqs, url) == (1, 0, 0)  # the old one expired, at once
    assert [m["Body"] for m in _received(sqs, url)] == ["young"]


def test_the_fifo_deduplication_window(
    endpoint: str, sqs: SqsClient, make_queue: QueueMaker
) -> None:
    url = make_queue(fifo=True)

    def send() -> str:
        sent: str = sqs.send_message(
            QueueUrl=url, MessageBody="once", MessageGroupId="g", MessageDeduplicationId="d"
        )["MessageId"]
        return sent

    first = send()
    advance(endpoint, 299)
    assert send() == first  # a duplicate within 5 minutes: accepted, not stored
    advance(endpoint, 1)
    second = send()
    assert second != first
    assert counts(sqs, url) == (2, 0, 0)


def test_purge_queue_sixty_seconds(endpoint: str, sqs: SqsClient, queue: str) -> None:
    sqs.purge_queue(QueueUrl=queue)
    advance(endpoint, 59)
    expect_error(
        sqs.purge_queue,
        QueueUrl=queue,
        code="AWS.SimpleQueueService.PurgeQueueInProgress",
        status=403,
    )
    advance(endpoint, 1)
    sqs.purge_queue(QueueUrl=queue)


def test_queue_deleted_recently_sixty_seconds(
    endpoint: str, sqs: SqsClient, make_queue: QueueMaker
) -> None:
    url = make_queue()
    name = queue_name_of(url)
    sqs.delete_queue(QueueUrl=url)
    advance(endpoint, 59)
    expect_error(
        sqs.create_queue, QueueName=name, code="AWS.SimpleQueueService.QueueDeletedRecently"
    )
    advance(endpoint, 1)
    make_queue.track(sqs.create_queue(QueueName=name)["QueueUrl"])


def _long_poll(
    sqs: SqsClient, url: str, wait_s: int
) -> tuple[list[dict[str, Any]], threading.Thread, list[float]]:
    got: list[dict[str, Any]] = []
    took: list[float] = []

    def poll() -> None:
        began = time.monotonic()
        got.extend(_received(sqs, url, WaitTimeSeconds=wait_s))
        took.append(time.monotonic() - began)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    return got, thread, took


def test_a_long_poll_ends_when_its_time_has_come(
    endpoint: str, client_factory: Any, queue: str, make_queue: QueueMaker
) -> None:
    other = make_queue()
    short, short_thread, short_took = _long_poll(client_factory(), queue, 5)
    longer, long_thread, long_took = _long_poll(client_factory(), other, 20)
    time.sleep(1.0)  # both are waiting
    advance(endpoint, 5)
    short_thread.join(5)
    assert not short_thread.is_alive()  # its 5 s have passed: it answered, empty
    assert short == [] and short_took[0] < 4
    time.sleep(0.3)
    assert long_thread.is_alive()  # 5 s of its 20: still waiting
    advance(endpoint, 15)
    long_thread.join(5)
    assert not long_thread.is_alive()
    assert longer == [] and long_took[0] < 5  # not the 20 s of real time


def test_a_long_poll_gets_a_delayed_message_when_its_delay_ends(
    endpoint: str, sqs: SqsClient, client_factory: Any, queue: str
) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="soon", DelaySeconds=10)
    got, thread, took = _long_poll(client_factory(), queue, 20)
    time.sleep(0.5)
    advance(endpoint, 10)
    thread.join(5)
    assert [m["Body"] for m in got] == ["soon"]
    assert took[0] < 5


def test_a_long_poll_gets_a_message_when_its_visibility_timeout_ends(
    endpoint: str, sqs: SqsClient, client_factory: Any, queue: str
) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="back")
    (first,) = _received(sqs, queue, VisibilityTimeout=HOUR)
    got, thread, took = _long_poll(client_factory(), queue, 20)
    time.sleep(1.0)
    advance(endpoint, HOUR)
    thread.join(5)
    assert [m["MessageId"] for m in got] == [first["MessageId"]]
    assert took[0] < 5


def test_the_receive_request_attempt_id_window(
    endpoint: str, sqs: SqsClient, make_queue: QueueMaker
) -> None:
    url = make_queue(fifo=True)
    sqs.send_message(
        QueueUrl=url, MessageBody="attempt", MessageGroupId="g", MessageDeduplicationId="x"
    )
    (first,) = _received(sqs, url, VisibilityTimeout=30, ReceiveRequestAttemptId="a")
    advance(endpoint, 60)  # the message is visible again, but the attempt is remembered
    (retried,) = _received(sqs, url, VisibilityTimeout=30, ReceiveRequestAttemptId="a")
    assert retried["Attributes"]["ApproximateReceiveCount"] == "1"
    assert retried["MessageId"] == first["MessageId"]
    advance(endpoint, 300)  # past the 5-minute window: the same id is a new receive
    (fresh,) = _received(sqs, url, VisibilityTimeout=30, ReceiveRequestAttemptId="a")
    assert fresh["Attributes"]["ApproximateReceiveCount"] == "2"


def test_timestamps_come_from_the_clock(
    endpoint: str, sqs: SqsClient, make_queue: QueueMaker
) -> None:
    advance(endpoint, DAY)
    at = now(endpoint)["now_ms"]
    url = make_queue()
    created = int(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["CreatedTimestamp"])["Attributes"][
            "CreatedTimestamp"
        ]
    )
    assert abs(created * 1000 - at) < 5000
    sqs.send_message(QueueUrl=url, MessageBody="stamped")
    advance(endpoint, HOUR)
    (m,) = _received(sqs, url)
    sent = int(m["Attributes"]["SentTimestamp"])
    first = int(m["Attributes"]["ApproximateFirstReceiveTimestamp"])
    assert abs(sent - at) < 5000
    assert HOUR * 1000 <= first - sent < HOUR * 1000 + 5000


def test_metrics_gauges_count_on_the_clock(endpoint: str, sqs: SqsClient, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody="gauged", DelaySeconds=900)
    labels = {"account": "000000000000", "region": "us-east-1", "queue": queue_name_of(queue)}

    def gauges() -> tuple[float | None, float | None]:
        samples = scrape(endpoint)
        return tuple(  # type: ignore[return-value]
            value(samples, f"densho_sqs_approximate_number_of_messages_{kind}", **labels)
            for kind in ("visible", "delayed")
        )

    wait_until(lambda: gauges() == (0, 1), timeout=5, message="delayed in the gauges")
    advance(endpoint, 900)
    wait_until(lambda: gauges() == (1, 0), timeout=5, message="visible in the gauges")


def _arn(url: str) -> str:
    return queue_arn(queue_name_of(url))


def test_a_move_task_rate_follows_the_clock(
    endpoint: str, sqs: SqsClient, make_queue: QueueMaker
) -> None:
    dlq = make_queue()
    policy = {"deadLetterTargetArn": _arn(dlq), "maxReceiveCount": 1}
    source = make_queue(attributes={"RedrivePolicy": json.dumps(policy)})
    n = 30
    for start in range(0, n, 10):
        sqs.send_message_batch(
            QueueUrl=source,
            Entries=[{"Id": str(i), "MessageBody": f"m-{i}"} for i in range(start, start + 10)],
        )
    for _ in range(20):  # received twice, each moves to the DLQ
        if counts(sqs, dlq)[0] == n:
            break
        sqs.receive_message(QueueUrl=source, VisibilityTimeout=0, MaxNumberOfMessages=10)
    assert counts(sqs, dlq)[0] == n
    destination = make_queue()
    sqs.start_message_move_task(
        SourceArn=_arn(dlq), DestinationArn=_arn(destination), MaxNumberOfMessagesPerSecond=1
    )
    time.sleep(0.5)

    def task() -> dict[str, Any]:
        result: dict[str, Any] = sqs.list_message_move_tasks(SourceArn=_arn(dlq))["Results"][0]
        return result

    assert task()["ApproximateNumberOfMessagesMoved"] <= 2  # 1 a second, in real time
    advance(endpoint, 10)
    moved = wait_until(
        lambda: (m := task()["ApproximateNumberOfMessagesMoved"]) >= 10 and m, timeout=5
    )
    assert moved <= 14  # about 10 s of it
    advance(endpoint, n)
    wait_until(lambda: task()["Status"] == "COMPLETED", timeout=5, message="COMPLETED")
    assert counts(sqs, destination)[0] == n


# --- SNS (Query only, as SNS is) ---


@pytest.fixture(scope="module")
def subscriber() -> Iterator[HttpSubscriber]:
    server = HttpSubscriber()
    yield server
    server.close()


@pytest.fixture
def sns(endpoint: str) -> Any:
    return sns_client(endpoint)


def _topic(sns: Any) -> str:
    arn: str = sns.create_topic(Name=f"clock-{uuid.uuid4().hex[:10]}")["TopicArn"]
    return arn


def _subscribe(sns: Any, subscriber: HttpSubscriber, topic: str, **attrs: str) -> tuple[str, str]:
    """An HTTP subscription of a fresh path; its path and confirmation token."""
    path = f"/{uuid.uuid4().hex[:10]}"
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=subscriber.url + path, Attributes=attrs)
    (confirmation,) = subscriber.wait_for(path, "SubscriptionConfirmation")
    return path, str(json.loads(confirmation.body)["Token"])


def test_sns_retries_follow_the_clock(endpoint: str, sns: Any, subscriber: HttpSubscriber) -> None:
    policy = {
        "healthyRetryPolicy": {
            "minDelayTarget": 600,
            "maxDelayTarget": 600,
            "numRetries": 3,
            "numNoDelayRetries": 0,
            "backoffFunction": "linear",
        }
    }
    topic = _topic(sns)
    path, token = _subscribe(sns, subscriber, topic, DeliveryPolicy=json.dumps(policy))
    sns.confirm_subscription(TopicArn=topic, Token=token)
    subscriber.script(path, [500, 500])
    sns.publish(TopicArn=topic, Message="persist")

    def scheduled(attempts: int) -> int:
        """The retry's due time, once densho recorded ``attempts`` failed attempts."""
        _, _, rows = _call(endpoint, "GET", "/_densho/sns/outbox")
        mine = [r for r in rows if r["endpoint"] == subscriber.url + path]
        if not mine or mine[0]["attempts"] != attempts:
            return 0
        due: int = mine[0]["nextAttemptMs"]  # while an attempt runs: its 60 s lease's end
        return due if due - now(endpoint)["now_ms"] > 120_000 else 0

    due = wait_until(lambda: scheduled(1), timeout=5, message="the first retry scheduled")
    assert 599_000 <= due - now(endpoint)["now_ms"] <= 600_000  # the retry waits 10 minutes
    assert len(subscriber.to(path, "Notification")) == 1
    advance(endpoint, 600)
    subscriber.wait_for(path, "Notification", count=2, timeout=5)
    wait_until(lambda: scheduled(2), timeout=5, message="the second retry scheduled")
    advance(endpoint, 600)
    attempts = subscriber.wait_for(path, "Notification", count=3, timeout=5)
    stamps = {json.loads(a.body)["Timestamp"] for a in attempts}
    assert len(stamps) == 1  # every attempt sends the same message
    sns.delete_topic(TopicArn=topic)


def test_confirmation_tokens_expire_on_the_clock(
    endpoint: str, sns: Any, subscriber: HttpSubscriber
) -> None:
    topic = _topic(sns)
    _, fresh = _subscribe(sns, subscriber, topic)
    advance(endpoint, HOUR)
    sns.confirm_subscription(TopicArn=topic, Token=fresh)
    _, stale = _subscribe(sns, subscriber, topic)
    advance(endpoint, 3 * DAY)
    expect_error(sns.confirm_subscription, TopicArn=topic, Token=stale, code="InvalidParameter")
    sns.delete_topic(TopicArn=topic)


def test_envelope_timestamps_come_from_the_clock(
    endpoint: str, sns: Any, sqs: SqsClient, queue: str
) -> None:
    topic = _topic(sns)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=_arn(queue))
    advance(endpoint, 7 * DAY)
    at = now(endpoint)["now_ms"]
    sns.publish(TopicArn=topic, Message="when")
    (m,) = _received(sqs, queue, WaitTimeSeconds=2)
    stamp = json.loads(m["Body"])["Timestamp"]
    moment = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000
    assert abs(moment - at) < 5000
    sns.delete_topic(TopicArn=topic)
