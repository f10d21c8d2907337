"""SNS delivery outside densho, end to end: HTTP/S subscribers, email, and recorded protocols.

A local HTTP subscriber and SMTP sink (``tests/support/sns_endpoints.py``) stand in for the
endpoints. Every message's signature is checked by ``tests/support/sns_validator.py``, written
from the SNS Developer Guide and not from densho's code.

Retry timings use DeliveryPolicy delays of 1-2 s so the suite stays fast; every wait is bounded.
"""

from __future__ import annotations

import itertools
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import REGION, ServerFactory, json_client, sns_client
from tests.e2e.helpers import expect_error, queue_arn, queue_name_of, wait_until
from tests.support.server import DenshoServer
from tests.support.sns_endpoints import HttpSubscriber, Request, SmtpSink
from tests.support.sns_validator import NotVerified, validate

Client = Any

CERT_PATH = re.compile(r"/_densho/sns/cert/SimpleNotificationService-[0-9a-f]+\.pem")


def http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def verify(doc: dict[str, str]) -> None:
    """Verify an SNS message's signature as a subscriber would (raises NotVerified)."""
    assert CERT_PATH.fullmatch(urllib.parse.urlparse(doc["SigningCertURL"]).path), doc
    validate(doc, http_get, https_only=False)


def verified(request: Request, version: str) -> dict[str, str]:
    doc: dict[str, str] = json.loads(request.body)
    assert doc["SignatureVersion"] == version
    verify(doc)
    tampered = {**doc, "Message": doc["Message"] + "!"}
    with pytest.raises(NotVerified, match="bad signature"):
        verify(tampered)
    return doc


def _name(hint: str) -> str:
    return f"{hint}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def subscriber() -> Iterator[HttpSubscriber]:
    server = HttpSubscriber()
    yield server
    server.close()


@pytest.fixture(scope="module")
def sqs(endpoint: str) -> Client:
    return json_client(endpoint)


def confirmed_http(sns: Client, subscriber: HttpSubscriber, topic: str, **attrs: str) -> str:
    """Subscribe a fresh path of the subscriber and confirm it with ConfirmSubscription."""
    path = f"/{_name('sub')}"
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=subscriber.url + path, Attributes=attrs)
    (confirmation,) = subscriber.wait_for(path, "SubscriptionConfirmation")
    token = json.loads(confirmation.body)["Token"]
    arn: str = sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
    return arn


def path_of(sns: Client, sub_arn: str) -> str:
    endpoint = sns.get_subscription_attributes(SubscriptionArn=sub_arn)["Attributes"]["Endpoint"]
    return str(urllib.parse.urlparse(endpoint).path)


# --- confirmation, notifications, signatures ---


def test_confirm_by_api_and_by_subscribe_url_then_signed_notifications(
    sns: Client, subscriber: HttpSubscriber, endpoint: str
) -> None:
    topic = sns.create_topic(Name=_name("http"))["TopicArn"]
    host = urllib.parse.urlparse(endpoint).netloc

    # Subscription A: confirmed with the ConfirmSubscription action.
    pending = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=subscriber.url + "/a-" + host)
    assert pending["SubscriptionArn"] == "pending confirmation"
    (conf_a,) = subscriber.wait_for("/a-" + host, "SubscriptionConfirmation")
    assert conf_a.method == "POST"
    headers = conf_a.headers
    assert headers["x-amz-sns-topic-arn"] == topic
    assert "x-amz-sns-subscription-arn" not in headers
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    assert headers["user-agent"] == "Amazon Simple Notification Service Agent"
    doc_a = verified(conf_a, "1")
    assert headers["x-amz-sns-message-id"] == doc_a["MessageId"]
    assert doc_a["Type"] == "SubscriptionConfirmation" and doc_a["TopicArn"] == topic
    assert doc_a["SubscribeURL"] == (
        f"http://{host}/?Action=ConfirmSubscription&TopicArn={topic}&Token={doc_a['Token']}"
    )
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsPending"] == "1"
    sub_a = sns.confirm_subscription(TopicArn=topic, Token=doc_a["Token"])["SubscriptionArn"]
    assert sub_a.startswith(topic + ":")
    # Confirming again answers the same subscription.
    assert sns.confirm_subscription(TopicArn=topic, Token=doc_a["Token"])["SubscriptionArn"] == (
        sub_a
    )
    attrs_a = sns.get_subscription_attributes(SubscriptionArn=sub_a)["Attributes"]
    assert attrs_a["PendingConfirmation"] == "false"
    assert attrs_a["ConfirmationWasAuthenticated"] == "true"

    # Subscription B: confirmed by visiting the SubscribeURL (an unsigned GET).
    path_b = "/b-" + host
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=subscriber.url + path_b)
    (conf_b,) = subscriber.wait_for(path_b, "SubscriptionConfirmation")
    doc_b = verified(conf_b, "1")
    status, body = http_get(doc_b["SubscribeURL"])
    assert status == 200
    assert b"<ConfirmSubscriptionResponse" in body
    sub_b = re.search(rb"<SubscriptionArn>([^<]+)</SubscriptionArn>", body)
    assert sub_b is not None
    sub_b_arn = sub_b.group(1).decode()
    attrs_b = sns.get_subscription_attributes(SubscriptionArn=sub_b_arn)["Attributes"]
    assert attrs_b["PendingConfirmation"] == "false"
    assert attrs_b["ConfirmationWasAuthenticated"] == "false"
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "2"

    # A bad token is refused.
    expect_error(sns.confirm_subscription, TopicArn=topic, Token="00" * 40, code="InvalidParameter")

    # SignatureVersion 1 notification, with subject and message attributes.
    message_id = sns.publish(
        TopicArn=topic,
        Message="hello\nworld",
        Subject="greeting",
        MessageAttributes={"color": {"DataType": "String", "StringValue": "blue"}},
    )["MessageId"]
    for path, sub in (("/a-" + host, sub_a), (path_b, sub_b_arn)):
        (note,) = subscriber.wait_for(path, "Notification")
        assert note.headers["x-amz-sns-message-id"] == message_id
        assert note.headers["x-amz-sns-subscription-arn"] == sub
        assert note.headers["x-amz-sns-topic-arn"] == topic
        assert "x-amz-sns-rawdelivery" not in note.headers
        doc = verified(note, "1")
        assert doc["Message"] == "hello\nworld" and doc["Subject"] == "greeting"
        assert doc["MessageId"] == message_id
        assert doc["UnsubscribeURL"] == (f"http://{host}/?Action=Unsubscribe&SubscriptionArn={sub}")
        assert json.loads(note.body)["MessageAttributes"] == {
            "color": {"Type": "String", "Value": "blue"}
        }

    # SignatureVersion 2: notifications and a new subscription's confirmation (left pending).
    sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
    path_c = "/c-" + host
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=subscriber.url + path_c)
    (conf_c,) = subscriber.wait_for(path_c, "SubscriptionConfirmation")
    verified(conf_c, "2")
    second = sns.publish(TopicArn=topic, Message="no subject")["MessageId"]
    for path in ("/a-" + host, path_b):
        notes = subscriber.wait_for(path, "Notification", count=2)
        doc = verified(notes[1], "2")
        assert doc["MessageId"] == second and "Subject" not in doc
    # The pending subscription receives no notification.
    assert subscriber.to(path_c, "Notification") == []
    sns.delete_topic(TopicArn=topic)


def test_raw_delivery_and_request_policy_content_type(
    sns: Client, subscriber: HttpSubscriber
) -> None:
    topic = sns.create_topic(Name=_name("raw"))["TopicArn"]
    policy = json.dumps({"requestPolicy": {"headerContentType": "application/json"}})
    sub = confirmed_http(sns, subscriber, topic, RawMessageDelivery="true", DeliveryPolicy=policy)
    path = path_of(sns, sub)
    sns.publish(TopicArn=topic, Message='{"raw": true}', Subject="ignored")
    (note,) = subscriber.wait_for(path, "Notification")
    assert note.body == b'{"raw": true}'
    assert note.headers["x-amz-sns-rawdelivery"] == "true"
    assert note.headers["content-type"] == "application/json"
    assert note.headers["x-amz-sns-subscription-arn"] == sub
    sns.delete_topic(TopicArn=topic)


# --- retries and dead-letter queues ---


def test_retries_follow_the_delivery_policy(sns: Client, subscriber: HttpSubscriber) -> None:
    # Linear from 1 s to 2 s over 3 retries: waits of 1.0, 1.5 and 2.0 s.
    policy = {
        "healthyRetryPolicy": {
            "minDelayTarget": 1,
            "maxDelayTarget": 2,
            "numRetries": 3,
            "backoffFunction": "linear",
        }
    }
    topic = sns.create_topic(Name=_name("retry"))["TopicArn"]
    sub = confirmed_http(sns, subscriber, topic, DeliveryPolicy=json.dumps(policy))
    path = path_of(sns, sub)
    subscriber.script(path, [500, 429, 503])
    message_id = sns.publish(TopicArn=topic, Message="persist")["MessageId"]
    attempts = subscriber.wait_for(path, "Notification", count=4, timeout=15)
    assert {a.headers["x-amz-sns-message-id"] for a in attempts} == {message_id}
    assert len({a.body for a in attempts}) == 1  # every attempt sends the same bytes
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]
    for gap, expected in zip(gaps, (1.0, 1.5, 2.0), strict=True):
        assert expected - 0.1 <= gap <= expected + 1.0, gaps
    sns.delete_topic(TopicArn=topic)


def test_exhausted_and_refused_deliveries_go_to_the_dead_letter_queue(
    sns: Client, sqs: Client, subscriber: HttpSubscriber
) -> None:
    dlq_url = sqs.create_queue(QueueName=_name("sns-dlq"))["QueueUrl"]
    redrive = json.dumps({"deadLetterTargetArn": queue_arn(queue_name_of(dlq_url))})
    fast = json.dumps(
        {"healthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 2}}
    )
    topic = sns.create_topic(Name=_name("dlq"))["TopicArn"]
    # Server errors until the policy is spent: the enveloped message lands in the DLQ.
    failing = confirmed_http(sns, subscriber, topic, DeliveryPolicy=fast, RedrivePolicy=redrive)
    failing_path = path_of(sns, failing)
    subscriber.script(failing_path, [500] * 10)
    # A client error (404) is not retried: the raw message goes to the DLQ at once.
    refused = confirmed_http(
        sns, subscriber, topic, RawMessageDelivery="true", RedrivePolicy=redrive
    )
    refused_path = path_of(sns, refused)
    subscriber.script(refused_path, [404] * 10)
    message_id = sns.publish(
        TopicArn=topic,
        Message="undeliverable",
        MessageAttributes={"n": {"DataType": "Number", "StringValue": "7"}},
    )["MessageId"]

    def dead_letters() -> list[dict[str, Any]] | None:
        got = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=1,
        ).get("Messages", [])
        for m in got:
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=m["ReceiptHandle"])
        found.extend(got)
        return found if len(found) >= 2 else None

    found: list[dict[str, Any]] = []
    wait_until(dead_letters, timeout=15, interval=0.1, message="two dead letters")
    raw = next(m for m in found if m["Body"] == "undeliverable")
    assert raw["MessageAttributes"]["n"] == {"DataType": "Number", "StringValue": "7"}
    enveloped = next(m for m in found if m["Body"] != "undeliverable")
    doc = json.loads(enveloped["Body"])
    assert doc["Type"] == "Notification" and doc["MessageId"] == message_id
    verify(doc)
    assert len(subscriber.to(failing_path, "Notification")) == 3  # first attempt + 2 retries
    assert len(subscriber.to(refused_path, "Notification")) == 1
    sns.delete_topic(TopicArn=topic)
    sqs.delete_queue(QueueUrl=dlq_url)


# --- unsubscribing, the certificate ---


def test_unsubscribe_url_sends_a_final_confirmation_that_can_restore(
    sns: Client, subscriber: HttpSubscriber, endpoint: str
) -> None:
    topic = sns.create_topic(Name=_name("unsub"))["TopicArn"]
    sub = confirmed_http(sns, subscriber, topic)
    path = path_of(sns, sub)
    sns.publish(TopicArn=topic, Message="first")
    (note,) = subscriber.wait_for(path, "Notification")
    status, body = http_get(json.loads(note.body)["UnsubscribeURL"])
    assert status == 200 and b"<UnsubscribeResponse" in body
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    (goodbye,) = subscriber.wait_for(path, "UnsubscribeConfirmation")
    assert goodbye.headers["x-amz-sns-subscription-arn"] == sub
    doc = verified(goodbye, "1")
    assert sub in doc["Message"]
    # Its SubscribeURL restores the subscription, under the same ARN.
    status, body = http_get(doc["SubscribeURL"])
    assert status == 200 and sub.encode() in body
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["Endpoint"] == (
        subscriber.url + path
    )
    sns.publish(TopicArn=topic, Message="again")
    subscriber.wait_for(path, "Notification", count=2)
    # An authenticated Unsubscribe (the owner's) sends no cancellation message.
    sns.unsubscribe(SubscriptionArn=sub)
    assert len(subscriber.to(path, "UnsubscribeConfirmation")) == 1
    sns.delete_topic(TopicArn=topic)


def test_authenticate_on_unsubscribe_refuses_the_unsigned_url(
    sns: Client, subscriber: HttpSubscriber
) -> None:
    topic = sns.create_topic(Name=_name("auth"))["TopicArn"]
    path = f"/{_name('auth')}"
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=subscriber.url + path)
    (conf,) = subscriber.wait_for(path, "SubscriptionConfirmation")
    sub = sns.confirm_subscription(
        TopicArn=topic, Token=json.loads(conf.body)["Token"], AuthenticateOnUnsubscribe="true"
    )["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message="x")
    (note,) = subscriber.wait_for(path, "Notification")
    status, body = http_get(json.loads(note.body)["UnsubscribeURL"])
    assert status == 403 and b"AuthorizationError" in body
    sns.unsubscribe(SubscriptionArn=sub)  # signed: allowed
    sns.delete_topic(TopicArn=topic)


def test_signing_certificate_is_served(endpoint: str) -> None:
    status, _ = http_get(f"{endpoint}/_densho/sns/cert/SimpleNotificationService-00.pem")
    assert status == 404
    assert http_get(f"{endpoint}/_densho/sns/nothing")[0] == 404


@pytest.mark.parametrize("listing", ["recorded", "outbox"])
def test_listings_refuse_other_methods_and_bad_limits(endpoint: str, listing: str) -> None:
    url = f"{endpoint}/_densho/sns/{listing}"
    status, body = http_get(url + "?limit=1")
    assert status == 200 and isinstance(json.loads(body), list)
    for bad in ("0", "100001", "ten"):
        status, body = http_get(f"{url}?limit={bad}")
        assert status == 400 and body, bad
    request = urllib.request.Request(url, data=b"", method="POST")
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 405
    else:
        raise AssertionError("POST was accepted")


# --- recorded protocols (the session server has no SMTP relay) ---


def recorded(base: str, **filters: str) -> list[dict[str, Any]]:
    status, body = http_get(f"{base}/_densho/sns/recorded?{urllib.parse.urlencode(filters)}")
    assert status == 200
    rows: list[dict[str, Any]] = json.loads(body)
    return rows


def test_email_without_relay_and_other_protocols_are_recorded(sns: Client, endpoint: str) -> None:
    topic = sns.create_topic(Name=_name("rec"))["TopicArn"]
    mail = f"{_name('user')}@example.com"
    pending = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=mail)
    assert pending["SubscriptionArn"] == "pending confirmation"
    (confirmation,) = recorded(endpoint, protocol="email", endpoint=mail)
    assert confirmation["type"] == "SubscriptionConfirmation"
    assert confirmation["subject"] == "AWS Notification - Subscription Confirmation"
    url = re.search(r"http://\S+Action=ConfirmSubscription\S+", confirmation["payload"])
    assert url is not None
    assert http_get(url.group(0))[0] == 200

    phone = "+15555550100"
    sms_sub = sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint=phone)["SubscriptionArn"]
    function = f"arn:aws:lambda:{REGION}:000000000000:function:{_name('fn')}"
    lambda_sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function)[
        "SubscriptionArn"
    ]
    app = f"arn:aws:sns:{REGION}:000000000000:endpoint/GCM/app/{uuid.uuid4()}"
    sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=app)
    for arn in (sms_sub, lambda_sub):  # confirmed at Subscribe, as AWS does
        assert arn.startswith(topic + ":")
    structured = json.dumps(
        {"default": "plain", "sms": "short", "lambda": "for lambda", "GCM": '{"data": 1}'}
    )
    message_id = sns.publish(
        TopicArn=topic,
        Message=structured,
        MessageStructure="json",
        Subject="subj",
        MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}},
    )["MessageId"]

    (email,) = [r for r in recorded(endpoint, endpoint=mail) if r["type"] == "Notification"]
    assert email["messageId"] == message_id and email["subject"] == "subj"
    assert email["payload"].startswith("plain\n")
    assert "Action=Unsubscribe" in email["payload"]
    (sms,) = recorded(endpoint, protocol="sms", topic_arn=topic)
    assert sms["payload"] == "short" and sms["subscriptionArn"] == sms_sub
    (lam,) = recorded(endpoint, protocol="lambda", endpoint=function)
    event = json.loads(lam["payload"])["Records"][0]
    assert event["EventSource"] == "aws:sns" and event["EventSubscriptionArn"] == lambda_sub
    assert event["Sns"]["Message"] == "for lambda" and event["Sns"]["Subject"] == "subj"
    assert event["Sns"]["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    (push,) = recorded(endpoint, protocol="application", endpoint=app)
    assert push["payload"] == '{"data": 1}'
    rows = recorded(endpoint, topic_arn=topic)
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)  # newest last
    assert all(r["timestampMs"] <= r["recordedMs"] for r in rows)
    sns.delete_topic(TopicArn=topic)


# --- servers of their own: SMTP relay, crash and restart ---


@pytest.fixture
def own_server(new_server: ServerFactory) -> Iterator[tuple[DenshoServer, SmtpSink]]:
    """A server of the test's own (closed by ``new_server``) relaying email to a local sink."""
    sink = SmtpSink()
    try:
        yield new_server(extra_args=("--smtp-relay", sink.address)).start(), sink
    finally:
        sink.close()


def test_email_goes_through_the_smtp_relay(
    own_server: tuple[DenshoServer, SmtpSink],
) -> None:
    server, sink = own_server
    sns = sns_client(server.endpoint)
    topic = sns.create_topic(Name=_name("mail"))["TopicArn"]
    text_to, json_to = f"{_name('t')}@example.com", f"{_name('j')}@example.com"
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=text_to)
    sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint=json_to)
    invite = sink.wait_for(lambda to, m: to == [text_to])
    assert invite["Subject"] == "AWS Notification - Subscription Confirmation"
    assert "no-reply@sns.amazonaws.com" in invite["From"]
    link = re.search(r"http://\S+Action=ConfirmSubscription\S+", invite.get_content())
    assert link is not None and http_get(link.group(0))[0] == 200
    json_invite = sink.wait_for(lambda to, m: to == [json_to])
    doc = json.loads(json_invite.get_content())
    assert doc["Type"] == "SubscriptionConfirmation"
    verify(doc)
    sns.confirm_subscription(TopicArn=topic, Token=doc["Token"])
    message_id = sns.publish(TopicArn=topic, Message="by mail", Subject="news")["MessageId"]
    note = sink.wait_for(lambda to, m: to == [text_to] and m["Subject"] == "news")
    assert note.get_content().startswith("by mail")
    json_note = sink.wait_for(lambda to, m: to == [json_to] and m["Subject"] == "news")
    note_doc = json.loads(json_note.get_content())
    assert note_doc["MessageId"] == message_id
    verify(note_doc)
    # Relayed, not recorded.
    status, body = http_get(f"{server.endpoint}/_densho/sns/recorded")
    assert status == 200 and json.loads(body) == []


def test_pending_and_interrupted_deliveries_survive_kill9(
    own_server: tuple[DenshoServer, SmtpSink], subscriber: HttpSubscriber, store_kind: str
) -> None:
    server, _ = own_server
    sns = sns_client(server.endpoint)
    policy = json.dumps(
        {"healthyRetryPolicy": {"minDelayTarget": 2, "maxDelayTarget": 2, "numRetries": 10}}
    )
    topic = sns.create_topic(Name=_name("crash"))["TopicArn"]
    down = confirmed_http(sns, subscriber, topic, DeliveryPolicy=policy)
    down_path = path_of(sns, down)
    subscriber.script(down_path, [500] * 3)
    pending_id = sns.publish(TopicArn=topic, Message="pending retry")["MessageId"]
    subscriber.wait_for(down_path, "Notification", count=1)
    time.sleep(0.5)  # let the failed attempt be written back (next attempt due in 2 s)
    # Crash while the delivery waits for its retry; the endpoint recovers meanwhile.
    server.kill9()
    subscriber.script(down_path, [])
    server.restart()
    sns = sns_client(server.endpoint)
    attempts = subscriber.wait_for(down_path, "Notification", count=2, timeout=15)
    assert attempts[-1].headers["x-amz-sns-message-id"] == pending_id

    if store_kind != "sqlite":
        # A shared database cannot tell a dead node's claim from a live one's: the row comes
        # back when its lease (60 s) ends, too slow for this suite.
        return
    # Crash in the middle of an attempt: the claimed row is attempted again after restart
    # (one process owns an SQLite store, so every claim found at start-up is a dead one's).
    sns.unsubscribe(SubscriptionArn=down)
    hang = confirmed_http(sns, subscriber, topic)
    hang_path = path_of(sns, hang)
    release = subscriber.hold(hang_path)
    held_id = sns.publish(TopicArn=topic, Message="interrupted")["MessageId"]
    subscriber.wait_for(hang_path, "Notification", count=1)
    server.kill9()
    release.set()
    server.restart()
    again = subscriber.wait_for(hang_path, "Notification", count=2, timeout=15)
    assert [r.headers["x-amz-sns-message-id"] for r in again] == [held_id, held_id]
