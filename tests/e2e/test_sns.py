"""SNS end to end: real boto3 ``sns`` and ``sqs`` clients against the session server.

Topics, subscriptions to densho's own queues, Publish / PublishBatch fan-out (envelope and raw,
filter policies in both scopes, FIFO), tags, and AWS's main errors. The Notification signature
is verified here independently of densho's code: the string to sign is built from the SNS
Developer Guide's rules, the certificate read from the data directory.
"""

from __future__ import annotations

import base64
import json
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.conftest import ACCOUNT_ID, REGION, json_client, sns_client
from tests.e2e.helpers import expect_error, queue_arn, queue_name_of
from tests.support.server import DenshoServer

Client = Any


@pytest.fixture(scope="module")
def sqs(endpoint: str) -> Client:
    return json_client(endpoint)


def _name(hint: str, suffix: str = "") -> str:
    return f"{hint}-{uuid.uuid4().hex[:10]}{suffix}"


class Maker:
    def __init__(self, sns: Client, sqs: Client) -> None:
        self.sns, self.sqs = sns, sqs
        self.topics: list[str] = []
        self.queues: list[str] = []

    def topic(self, fifo: bool = False, **attrs: str) -> str:
        if fifo:
            attrs["FifoTopic"] = "true"
        arn: str = self.sns.create_topic(
            Name=_name("t", ".fifo" if fifo else ""), Attributes=attrs
        )["TopicArn"]
        self.topics.append(arn)
        return arn

    def queue(self, fifo: bool = False) -> tuple[str, str]:
        attrs = {"FifoQueue": "true"} if fifo else {}
        url: str = self.sqs.create_queue(
            QueueName=_name("q", ".fifo" if fifo else ""), Attributes=attrs
        )["QueueUrl"]
        self.queues.append(url)
        return url, queue_arn(queue_name_of(url))

    def subscribed_queue(self, topic: str, fifo: bool = False, **attrs: str) -> tuple[str, str]:
        url, arn = self.queue(fifo)
        sub: str = self.sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attrs
        )["SubscriptionArn"]
        return url, sub


@pytest.fixture
def make(sns: Client, sqs: Client) -> Iterator[Maker]:
    maker = Maker(sns, sqs)
    yield maker
    for arn in maker.topics:
        sns.delete_topic(TopicArn=arn)
    for url in maker.queues:
        sqs.delete_queue(QueueUrl=url)


def _receive(sqs: Client, url: str, n: int = 10, **kwargs: Any) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=n, WaitTimeSeconds=0, **kwargs
    ).get("Messages", [])
    return got


def _visible(sqs: Client, url: str) -> int:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


# --- topics ---


def test_create_topic_is_idempotent_and_validates(sns: Client, make: Maker) -> None:
    name = _name("idem")
    arn = sns.create_topic(Name=name)["TopicArn"]
    make.topics.append(arn)
    assert arn == f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{name}"
    assert sns.create_topic(Name=name)["TopicArn"] == arn
    err = expect_error(
        sns.create_topic, Name=name, Attributes={"DisplayName": "other"}, code="InvalidParameter"
    )
    assert err["Error"]["Message"].startswith("Invalid parameter: ")
    expect_error(sns.create_topic, Name="bad name!", code="InvalidParameter")
    expect_error(sns.create_topic, Name="x" * 257, code="InvalidParameter")
    expect_error(sns.create_topic, Name="plain.fifo", code="InvalidParameter")
    expect_error(
        sns.create_topic, Name="nofifo", Attributes={"FifoTopic": "true"}, code="InvalidParameter"
    )
    expect_error(sns.create_topic, Name=name, Attributes={"Bogus": "1"}, code="InvalidParameter")


def test_topic_attributes_get_and_set(sns: Client, make: Maker) -> None:
    arn = make.topic(DisplayName="hello")
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["TopicArn"] == arn
    assert attrs["Owner"] == ACCOUNT_ID
    assert attrs["DisplayName"] == "hello"
    assert attrs["SubscriptionsConfirmed"] == "0"
    assert attrs["SubscriptionsPending"] == "0"
    assert attrs["SubscriptionsDeleted"] == "0"
    policy = json.loads(attrs["Policy"])
    assert policy["Statement"][0]["Resource"] == arn
    assert "defaultHealthyRetryPolicy" in json.loads(attrs["EffectiveDeliveryPolicy"])["http"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="bye")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="2")
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert (attrs["DisplayName"], attrs["SignatureVersion"]) == ("bye", "2")
    expect_error(
        sns.set_topic_attributes,
        TopicArn=arn,
        AttributeName="SignatureVersion",
        AttributeValue="3",
        code="InvalidParameter",
    )
    expect_error(
        sns.set_topic_attributes,
        TopicArn=arn,
        AttributeName="ContentBasedDeduplication",
        AttributeValue="true",
        code="InvalidParameter",
    )
    fifo = make.topic(fifo=True, ContentBasedDeduplication="true")
    attrs = sns.get_topic_attributes(TopicArn=fifo)["Attributes"]
    assert (attrs["FifoTopic"], attrs["ContentBasedDeduplication"]) == ("true", "true")


def test_missing_topic_is_not_found(sns: Client) -> None:
    missing = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:nope-{uuid.uuid4().hex}"
    err = expect_error(sns.get_topic_attributes, TopicArn=missing, code="NotFound", status=404)
    assert err["Error"]["Message"] == "Topic does not exist"
    expect_error(sns.publish, TopicArn=missing, Message="x", code="NotFound", status=404)
    expect_error(sns.list_subscriptions_by_topic, TopicArn=missing, code="NotFound", status=404)
    expect_error(sns.get_topic_attributes, TopicArn="not-an-arn", code="InvalidParameter")
    sns.delete_topic(TopicArn=missing)  # idempotent


def test_list_topics_pages_of_100(sns: Client, make: Maker) -> None:
    before = {
        t["TopicArn"] for p in sns.get_paginator("list_topics").paginate() for t in p["Topics"]
    }
    for _ in range(101 - min(len(before), 100)):
        make.topic()
    first = sns.list_topics()
    assert len(first["Topics"]) == 100 and "NextToken" in first
    arns = [t["TopicArn"] for p in sns.get_paginator("list_topics").paginate() for t in p["Topics"]]
    assert len(arns) == len(set(arns))
    assert set(make.topics) <= set(arns)


def test_delete_topic_deletes_its_subscriptions(sns: Client, make: Maker) -> None:
    topic = make.topic()
    _, sub = make.subscribed_queue(topic)
    sns.delete_topic(TopicArn=topic)
    all_subs = [s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]]
    assert sub not in all_subs
    expect_error(sns.get_subscription_attributes, SubscriptionArn=sub, code="NotFound", status=404)


# --- subscriptions ---


def test_subscribe_sqs_and_attributes(sns: Client, make: Maker) -> None:
    topic = make.topic()
    url, sub = make.subscribed_queue(topic)
    assert sub.startswith(topic + ":")
    arn = queue_arn(queue_name_of(url))
    # Same protocol + endpoint: the same subscription.
    again = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]
    assert again == sub
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["Protocol"] == "sqs" and attrs["Endpoint"] == arn
    assert attrs["PendingConfirmation"] == "false" and attrs["RawMessageDelivery"] == "false"
    assert attrs["TopicArn"] == topic and attrs["Owner"] == ACCOUNT_ID
    # Authentication off: every caller is the account's root.
    assert attrs["SubscriptionPrincipal"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true"
    )
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue='{"a": ["b"]}'
    )
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["RawMessageDelivery"] == "true"
    assert json.loads(attrs["FilterPolicy"]) == {"a": ["b"]}
    assert attrs["FilterPolicyScope"] == "MessageAttributes"
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=""
    )
    assert "FilterPolicy" not in sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    expect_error(
        sns.set_subscription_attributes,
        SubscriptionArn=sub,
        AttributeName="FilterPolicy",
        AttributeValue='{"a": "b"}',
        code="InvalidParameter",
    )
    expect_error(
        sns.set_subscription_attributes,
        SubscriptionArn=sub,
        AttributeName="RawMessageDelivery",
        AttributeValue="maybe",
        code="InvalidParameter",
    )
    by_topic = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in by_topic] == [sub]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "1"
    sns.unsubscribe(SubscriptionArn=sub)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    expect_error(sns.get_subscription_attributes, SubscriptionArn=sub, code="NotFound", status=404)


def test_subscribe_errors_and_pending_protocols(sns: Client, make: Maker) -> None:
    topic = make.topic()
    expect_error(
        sns.subscribe,
        TopicArn=topic,
        Protocol="carrier-pigeon",
        Endpoint="x",
        code="InvalidParameter",
    )
    expect_error(
        sns.subscribe,
        TopicArn=topic,
        Protocol="sqs",
        Endpoint="not-an-arn",
        code="InvalidParameter",
    )
    _, fifo_queue = make.queue(fifo=True)
    expect_error(
        sns.subscribe,
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=fifo_queue,
        code="InvalidParameter",
    )
    _, std_queue = make.queue()
    expect_error(
        sns.subscribe,
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=std_queue,
        Attributes={"FilterPolicy": "[1]"},
        code="InvalidParameter",
    )
    # A loopback endpoint nothing listens on: densho really POSTs the confirmation.
    pending = sns.subscribe(TopicArn=topic, Protocol="https", Endpoint="https://127.0.0.1:9/x")
    assert pending["SubscriptionArn"] == "pending confirmation"
    real = sns.subscribe(
        TopicArn=topic, Protocol="email", Endpoint="a@example.com", ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    assert real.startswith(topic + ":")
    attrs = sns.get_subscription_attributes(SubscriptionArn=real)["Attributes"]
    assert attrs["PendingConfirmation"] == "true"
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert {s["SubscriptionArn"] for s in listed} == {"PendingConfirmation"}
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsPending"] == "2"


# --- publishing ---


def _string_to_sign(doc: dict[str, str]) -> bytes:
    # SNS Developer Guide, "Verifying the signatures of Amazon SNS messages".
    keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    return "".join(f"{k}\n{doc[k]}\n" for k in keys if k in doc).encode()


def _verify(doc: dict[str, str], server: DenshoServer) -> None:
    cert_url = doc["SigningCertURL"]
    cert_name = cert_url.rsplit("/", 1)[-1]
    assert cert_name.startswith("SimpleNotificationService-") and cert_name.endswith(".pem")
    assert cert_url.startswith(server.endpoint)
    with urllib.request.urlopen(cert_url, timeout=10) as response:  # as a subscriber fetches it
        pem = response.read()
    key = x509.load_pem_x509_certificate(pem).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    algorithm = hashes.SHA1() if doc["SignatureVersion"] == "1" else hashes.SHA256()
    key.verify(
        base64.b64decode(doc["Signature"]), _string_to_sign(doc), padding.PKCS1v15(), algorithm
    )


def test_fan_out_to_three_queues_with_signed_envelope(
    sns: Client, sqs: Client, make: Maker, densho_server: DenshoServer, endpoint: str
) -> None:
    topic = make.topic()
    subs = [make.subscribed_queue(topic) for _ in range(3)]
    attrs = {
        "color": {"DataType": "String", "StringValue": "red"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }
    sent = sns.publish(
        TopicArn=topic, Message="hello\nworld", Subject="greet", MessageAttributes=attrs
    )
    host = endpoint.split("://", 1)[1]
    for url, sub in subs:
        (msg,) = _receive(sqs, url, MessageAttributeNames=["All"])
        assert "MessageAttributes" not in msg  # envelope delivery: attributes are in the body
        doc = json.loads(msg["Body"])
        assert doc["Type"] == "Notification" and doc["MessageId"] == sent["MessageId"]
        assert (doc["TopicArn"], doc["Subject"], doc["Message"]) == (topic, "greet", "hello\nworld")
        assert doc["SignatureVersion"] == "1"
        assert doc["UnsubscribeURL"] == f"http://{host}/?Action=Unsubscribe&SubscriptionArn={sub}"
        assert doc["SigningCertURL"].startswith(f"http://{host}/_densho/sns/cert/")
        assert doc["MessageAttributes"]["color"] == {"Type": "String", "Value": "red"}
        assert doc["MessageAttributes"]["blob"] == {"Type": "Binary", "Value": "AAE="}
        _verify(doc, densho_server)
    sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
    sns.publish(TopicArn=topic, Message="v2")
    doc = json.loads(_receive(sqs, subs[0][0])[0]["Body"])
    assert doc["SignatureVersion"] == "2" and "Subject" not in doc
    _verify(doc, densho_server)


def test_raw_delivery_and_message_structure(sns: Client, sqs: Client, make: Maker) -> None:
    topic = make.topic()
    raw_url, _ = make.subscribed_queue(topic, RawMessageDelivery="true")
    env_url, _ = make.subscribed_queue(topic)
    attrs = {
        "n": {"DataType": "Number", "StringValue": "42"},
        "arr": {"DataType": "String.Array", "StringValue": '["a","b"]'},
        "bin": {"DataType": "Binary", "BinaryValue": b"\xff"},
    }
    sns.publish(TopicArn=topic, Message="raw body", MessageAttributes=attrs)
    (msg,) = _receive(sqs, raw_url, MessageAttributeNames=["All"], AttributeNames=["All"])
    assert msg["Body"] == "raw body"
    assert msg["MessageAttributes"]["n"] == {"DataType": "Number", "StringValue": "42"}
    assert msg["MessageAttributes"]["arr"]["StringValue"] == '["a","b"]'
    assert msg["MessageAttributes"]["bin"]["BinaryValue"] == b"\xff"
    _receive(sqs, env_url)
    structured = json.dumps({"default": "for everyone", "sqs": "for queues"})
    sns.publish(TopicArn=topic, Message=structured, MessageStructure="json")
    assert _receive(sqs, raw_url)[0]["Body"] == "for queues"
    assert json.loads(_receive(sqs, env_url)[0]["Body"])["Message"] == "for queues"
    expect_error(
        sns.publish,
        TopicArn=topic,
        Message='{"sqs": "x"}',
        MessageStructure="json",
        code="InvalidParameter",
    )
    expect_error(
        sns.publish,
        TopicArn=topic,
        Message="not json",
        MessageStructure="json",
        code="InvalidParameter",
    )


def test_publish_errors(sns: Client, make: Maker) -> None:
    topic = make.topic()
    expect_error(sns.publish, TopicArn=topic, Message="", code="InvalidParameter")
    err = expect_error(
        sns.publish, TopicArn=topic, Message="x" * (256 * 1024 + 1), code="InvalidParameter"
    )
    assert err["Error"]["Message"] == "Invalid parameter: Message too long"
    sns.publish(TopicArn=topic, Message="x" * (256 * 1024))  # exactly the limit
    expect_error(
        sns.publish,
        TopicArn=topic,
        Message="x",
        MessageAttributes={"a": {"DataType": "Weird", "StringValue": "1"}},
        code="ParameterValueInvalid",
    )
    expect_error(
        sns.publish,
        TopicArn=topic,
        Message="x",
        MessageAttributes={"a": {"DataType": "Number", "StringValue": "abc"}},
        code="ParameterValueInvalid",
    )
    expect_error(
        sns.publish,
        TopicArn=topic,
        Message="x",
        MessageDeduplicationId="d",
        code="InvalidParameter",
    )
    sent = sns.publish(TargetArn=topic, Message="via TargetArn")
    assert "MessageId" in sent


def test_filter_policies_decide_delivery(sns: Client, sqs: Client, make: Maker) -> None:
    topic = make.topic()
    by_attr, _ = make.subscribed_queue(
        topic, FilterPolicy=json.dumps({"color": ["red"], "size": [{"numeric": [">", 10]}]})
    )
    by_body, _ = make.subscribed_queue(
        topic,
        FilterPolicy=json.dumps({"order": {"kind": [{"prefix": "big"}]}}),
        FilterPolicyScope="MessageBody",
    )
    everyone, _ = make.subscribed_queue(topic)

    def attrs(color: str, size: str) -> dict[str, Any]:
        return {
            "color": {"DataType": "String", "StringValue": color},
            "size": {"DataType": "Number", "StringValue": size},
        }

    sns.publish(TopicArn=topic, Message="a", MessageAttributes=attrs("red", "11"))  # attr only
    sns.publish(TopicArn=topic, Message="b", MessageAttributes=attrs("red", "5"))  # nobody
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"kind": "bigbox"}}))  # body only
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"kind": "small"}}))  # nobody
    assert [json.loads(m["Body"])["Message"] for m in _receive(sqs, by_attr)] == ["a"]
    body_msgs = [json.loads(json.loads(m["Body"])["Message"]) for m in _receive(sqs, by_body)]
    assert body_msgs == [{"order": {"kind": "bigbox"}}]
    assert _visible(sqs, everyone) == 4


def test_fifo_topic_to_fifo_queue_keeps_order_and_groups(
    sns: Client, sqs: Client, make: Maker
) -> None:
    topic = make.topic(fifo=True, ContentBasedDeduplication="true")
    raw_url, _ = make.subscribed_queue(topic, fifo=True, RawMessageDelivery="true")
    env_url, _ = make.subscribed_queue(topic, fifo=True)
    sequences = []
    for i in range(5):
        out = sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g1" if i % 2 else "g2")
        sequences.append(int(out["SequenceNumber"]))
    assert sequences == sorted(sequences) and len(set(sequences)) == 5
    dup = sns.publish(TopicArn=topic, Message="m0", MessageGroupId="g2")
    first = sns.publish(TopicArn=topic, Message="m0-again", MessageGroupId="g2")
    assert dup["MessageId"] != first["MessageId"]
    got: list[tuple[str, str]] = []
    while batch := _receive(sqs, raw_url, AttributeNames=["All"]):
        for m in batch:
            got.append((m["Attributes"]["MessageGroupId"], m["Body"]))
            sqs.delete_message(QueueUrl=raw_url, ReceiptHandle=m["ReceiptHandle"])
    assert [b for g, b in got if g == "g1"] == ["m1", "m3"]
    assert [b for g, b in got if g == "g2"] == ["m0", "m2", "m4", "m0-again"]  # dup dropped
    env = _receive(sqs, env_url, AttributeNames=["All"])
    doc = json.loads(env[0]["Body"])
    assert doc["Type"] == "Notification" and "SequenceNumber" in doc and "Signature" not in doc
    expect_error(sns.publish, TopicArn=topic, Message="x", code="InvalidParameter")  # no group
    plain = make.topic(fifo=True)
    expect_error(
        sns.publish, TopicArn=plain, Message="x", MessageGroupId="g", code="InvalidParameter"
    )


def test_fifo_topic_feeds_a_standard_queue_too(sns: Client, sqs: Client, make: Maker) -> None:
    # AWS's FIFO topic example subscribes a standard queue (for analytics) beside FIFO ones.
    topic = make.topic(fifo=True, ContentBasedDeduplication="true")
    url, _ = make.subscribed_queue(topic, RawMessageDelivery="true")
    for i in range(3):
        sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g")
    sns.publish(TopicArn=topic, Message="m0", MessageGroupId="g")  # a duplicate: dropped
    bodies: list[str] = []
    for _ in range(10):
        batch = _receive(sqs, url)
        if not batch:
            break
        bodies += [m["Body"] for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert sorted(bodies) == ["m0", "m1", "m2"]


def test_publish_batch_one_bad_entry_refuses_the_whole_request(
    sns: Client, sqs: Client, make: Maker
) -> None:
    # AWS answers a batch with an invalid entry with that entry's error, publishing nothing
    # (not a per-entry Failed): recorded in LocalStack's test_publish_batch_exceptions.
    topic = make.topic()
    url, _ = make.subscribed_queue(topic, RawMessageDelivery="true")
    ok = {"Id": "ok1", "Message": "one"}
    bad_attr = {
        "Id": "badattr",
        "Message": "x",
        "MessageAttributes": {"a": {"DataType": "Nope", "StringValue": "1"}},
    }
    for bad, code in ((bad_attr, "ParameterValueInvalid"), ({"Id": "bad", "Message": ""}, None)):
        expect_error(
            sns.publish_batch,
            TopicArn=topic,
            PublishBatchRequestEntries=[ok, bad, {"Id": "ok2", "Message": "two"}],
            code=code or "InvalidParameter",
        )
    fifo = make.topic(fifo=True)
    refused = expect_error(
        sns.publish_batch,
        TopicArn=fifo,
        PublishBatchRequestEntries=[{"Id": "1", "Message": "m"}],
        code="InvalidParameter",
    )
    assert refused["Error"]["Message"] == (
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    )
    assert _receive(sqs, url) == []
    out = sns.publish_batch(
        TopicArn=topic, PublishBatchRequestEntries=[ok, {"Id": "ok2", "Message": "two"}]
    )
    assert [s["Id"] for s in out["Successful"]] == ["ok1", "ok2"] and out["Failed"] == []
    assert sorted(m["Body"] for m in _receive(sqs, url)) == ["one", "two"]
    for entry_id, message in (
        ("message.id", "contains an impermissible character: message.id"),
        ("i" * 81, "is too long: " + "i" * 81),
    ):
        refused = expect_error(
            sns.publish_batch,
            TopicArn=topic,
            PublishBatchRequestEntries=[{"Id": entry_id, "Message": "m"}],
            code="InvalidBatchEntryId",
        )
        assert refused["Error"]["Message"] == "The Id of a batch entry in the batch request " + (
            message
        )
    entry = {"Id": "a", "Message": "m"}
    expect_error(
        sns.publish_batch,
        TopicArn=topic,
        PublishBatchRequestEntries=[entry, entry],
        code="BatchEntryIdsNotDistinct",
    )
    expect_error(
        sns.publish_batch,
        TopicArn=topic,
        PublishBatchRequestEntries=[{"Id": str(i), "Message": "m"} for i in range(11)],
        code="TooManyEntriesInBatchRequest",
    )
    expect_error(
        sns.publish_batch,
        TopicArn=topic,
        PublishBatchRequestEntries=[],
        code="EmptyBatchRequest",
    )
    expect_error(
        sns.publish_batch,
        TopicArn=topic,
        PublishBatchRequestEntries=[{"Id": str(i), "Message": "x" * 30_000} for i in range(10)],
        code="BatchRequestTooLong",
    )


def test_publish_returns_only_after_every_queue_has_the_message(
    sns: Client, sqs: Client, make: Maker
) -> None:
    topic = make.topic()
    urls = [make.subscribed_queue(topic)[0] for _ in range(4)]
    for n in range(1, 4):
        sns.publish(TopicArn=topic, Message=f"m{n}")
        assert [_visible(sqs, u) for u in urls] == [n] * 4


def test_long_poll_wakes_on_publish(sns: Client, sqs: Client, make: Maker) -> None:
    import threading
    import time

    topic = make.topic()
    url, _ = make.subscribed_queue(topic)
    got: list[Any] = []
    waiter = threading.Thread(
        target=lambda: got.extend(
            json_client_for(sqs)
            .receive_message(QueueUrl=url, WaitTimeSeconds=10)
            .get("Messages", [])
        )
    )
    start = time.monotonic()
    waiter.start()
    time.sleep(0.3)
    sns.publish(TopicArn=topic, Message="wake")
    waiter.join(10)
    assert got and time.monotonic() - start < 5


def json_client_for(sqs: Client) -> Client:
    return json_client(sqs.meta.endpoint_url)


def test_publish_trace_header_reaches_the_queue(endpoint: str, sqs: Client, make: Maker) -> None:
    # The publisher's X-Amzn-Trace-Id becomes the delivered SQS message's AWSTraceHeader, as on
    # AWS (LocalStack's aws-validated SNS trace header test).
    header = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Sampled=1"
    traced = sns_client(endpoint)  # its own client: the handler stays registered

    def add(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = header

    traced.meta.events.register("before-send.sns.*", add)
    topic = make.topic()
    url, _ = make.subscribed_queue(topic, RawMessageDelivery="true")
    traced.publish(TopicArn=topic, Message="traced")
    traced.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "1", "Message": "b"}])
    make.sns.publish(TopicArn=topic, Message="plain")
    got = {
        m["Body"]: m.get("Attributes", {}).get("AWSTraceHeader")
        for m in _receive(sqs, url, MessageSystemAttributeNames=["AWSTraceHeader"])
    }
    assert got == {"traced": header, "b": header, "plain": None}


# --- tags ---


def test_topic_tags(sns: Client, make: Maker) -> None:
    name = _name("tagged")
    arn = sns.create_topic(Name=name, Tags=[{"Key": "a", "Value": "1"}])["TopicArn"]
    make.topics.append(arn)
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "a", "Value": "1"}]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"a": "3", "b": "2"}
    sns.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    expect_error(
        sns.tag_resource,
        ResourceArn=arn,
        Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)],
        code="TagLimitExceeded",
    )
    missing = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:nope-{uuid.uuid4().hex}"
    expect_error(
        sns.list_tags_for_resource, ResourceArn=missing, code="ResourceNotFound", status=404
    )
    expect_error(
        sns.tag_resource,
        ResourceArn=missing,
        Tags=[{"Key": "a", "Value": "b"}],
        code="ResourceNotFound",
        status=404,
    )
