"""SNS deliveries to densho's queues as AWS makes them: the FIFO ids and SequenceNumber each
queue type gets, and the subscription's dead-letter queue for deliveries that fail (a queue
deleted, or a queue that refuses the message), FIFO dead-letter queues included.
Real boto3 ``sns`` and ``sqs`` clients against the session server (both stores).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import json_client
from tests.e2e.helpers import expect_error, queue_arn, queue_name_of

Client = Any


@pytest.fixture(scope="module")
def sqs(endpoint: str) -> Client:
    return json_client(endpoint)


class Made:
    """Topics and queues a test makes, deleted after it."""

    def __init__(self, sns: Client, sqs: Client) -> None:
        self.sns, self.sqs = sns, sqs
        self.topics: list[str] = []
        self.queues: list[str] = []

    def topic(self, fifo: bool = False) -> str:
        attrs = {"FifoTopic": "true", "ContentBasedDeduplication": "true"} if fifo else {}
        name = f"t-{uuid.uuid4().hex[:10]}{'.fifo' if fifo else ''}"
        arn: str = self.sns.create_topic(Name=name, Attributes=attrs)["TopicArn"]
        self.topics.append(arn)
        return arn

    def queue(self, fifo: bool = False, **attrs: str) -> tuple[str, str]:
        if fifo:
            attrs["FifoQueue"] = "true"
        name = f"q-{uuid.uuid4().hex[:10]}{'.fifo' if fifo else ''}"
        url: str = self.sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        self.queues.append(url)
        return url, queue_arn(queue_name_of(url))

    def subscribe(self, topic: str, queue: str, **attrs: str) -> str:
        arn: str = self.sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes=attrs
        )["SubscriptionArn"]
        return arn


@pytest.fixture
def made(sns: Client, sqs: Client) -> Iterator[Made]:
    m = Made(sns, sqs)
    yield m
    for arn in m.topics:
        sns.delete_topic(TopicArn=arn)
    for url in m.queues:
        with contextlib.suppress(sqs.exceptions.QueueDoesNotExist):
            sqs.delete_queue(QueueUrl=url)


def _redrive(dead_letter_arn: str) -> str:
    return json.dumps({"deadLetterTargetArn": dead_letter_arn})


def _messages(sqs: Client, url: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=1
    ).get("Messages", [])
    return got


# --- FIFO ids and SequenceNumbers ---


def test_a_fifo_queue_numbers_the_messages_of_a_fifo_topic_itself(
    sns: Client, sqs: Client, made: Made
) -> None:
    # AWS: the SQS message's SequenceNumber is the queue's, not the topic's (LocalStack's
    # snapshot test_message_to_fifo_sqs records two different numbers).
    topic = made.topic(fifo=True)
    url, arn = made.queue(fifo=True)
    made.subscribe(topic, arn)
    published = sns.publish(TopicArn=topic, Message="m", MessageGroupId="g")
    (message,) = _messages(sqs, url)
    notification = json.loads(message["Body"])
    assert notification["SequenceNumber"] == published["SequenceNumber"]
    assert message["Attributes"]["SequenceNumber"] != published["SequenceNumber"]
    assert message["Attributes"]["MessageGroupId"] == "g"
    # Both grow: the topic's by its own steps, the queue's by its own.
    again = sns.publish(TopicArn=topic, Message="m2", MessageGroupId="g")
    assert int(again["SequenceNumber"]) > int(published["SequenceNumber"])


def test_a_standard_queue_gets_no_group_from_a_fifo_topic(
    sns: Client, sqs: Client, made: Made
) -> None:
    # AWS delivers a FIFO topic's message to a standard queue without MessageGroupId (LocalStack
    # snapshot "messages"); a standard topic's group still reaches it (fair queues).
    fifo_topic = made.topic(fifo=True)
    standard_topic = made.topic()
    url, arn = made.queue()
    made.subscribe(fifo_topic, arn, RawMessageDelivery="true")
    made.subscribe(standard_topic, arn, RawMessageDelivery="true")
    sns.publish(TopicArn=fifo_topic, Message="from-fifo", MessageGroupId="g1")
    sns.publish(TopicArn=standard_topic, Message="from-standard", MessageGroupId="g2")
    groups = {m["Body"]: m["Attributes"].get("MessageGroupId") for m in _messages(sqs, url)}
    assert groups == {"from-fifo": None, "from-standard": "g2"}


# --- dead-letter queues ---


def test_a_fifo_subscription_takes_fifo_dead_letter_queues_only(sns: Client, made: Made) -> None:
    topic = made.topic(fifo=True)
    _, queue = made.queue(fifo=True)
    _, standard = made.queue()
    _, fifo_dlq = made.queue(fifo=True)
    sub = made.subscribe(topic, queue)
    refused = expect_error(
        sns.set_subscription_attributes,
        SubscriptionArn=sub,
        AttributeName="RedrivePolicy",
        AttributeValue=_redrive(standard),
        code="InvalidParameter",
    )
    assert refused["Error"]["Message"] == (
        "Invalid parameter: RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription "
        "to a FIFO Topic."
    )
    expect_error(
        sns.subscribe,
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=made.queue(fifo=True)[1],
        Attributes={"RedrivePolicy": _redrive(standard)},
        code="InvalidParameter",
    )
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="RedrivePolicy", AttributeValue=_redrive(fifo_dlq)
    )
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert json.loads(attrs["RedrivePolicy"]) == {"deadLetterTargetArn": fifo_dlq}


def test_a_fifo_dead_letter_queue_receives_what_a_deleted_queue_missed(
    sns: Client, sqs: Client, made: Made
) -> None:
    # LocalStack snapshot test_publish_fifo_messages_to_dlq: the DLQ (no content-based
    # deduplication of its own) holds the messages, in their group and order.
    topic = sns.create_topic(
        Name=f"t-{uuid.uuid4().hex[:10]}.fifo", Attributes={"FifoTopic": "true"}
    )["TopicArn"]
    made.topics.append(topic)
    url, queue = made.queue(fifo=True)
    dlq_url, dlq = made.queue(fifo=True)
    made.subscribe(topic, queue, RedrivePolicy=_redrive(dlq))
    sqs.delete_queue(QueueUrl=url)
    sns.publish(TopicArn=topic, Message="m1", MessageGroupId="g", MessageDeduplicationId="d1")
    sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {
                "Id": str(i),
                "Message": f"b{i}",
                "MessageGroupId": "g",
                "MessageDeduplicationId": f"b{i}",
            }
            for i in range(3)
        ],
    )
    got = []
    for _ in range(5):
        batch = _messages(sqs, dlq_url)
        if not batch:
            break
        for m in batch:
            got.append((m["Attributes"]["MessageGroupId"], json.loads(m["Body"])["Message"]))
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=m["ReceiptHandle"])
    assert got == [("g", "m1"), ("g", "b0"), ("g", "b1"), ("g", "b2")]


def test_a_message_the_queue_refuses_goes_to_the_dead_letter_queue(
    sns: Client, sqs: Client, made: Made
) -> None:
    # SNS takes messages up to 256 KiB; a queue whose MaximumMessageSize is smaller refuses
    # the larger ones. AWS counts that a client-side delivery error and moves the message to
    # the subscription's dead-letter queue (SNS Developer Guide, dead-letter queues).
    topic = made.topic()
    url, small = made.queue(MaximumMessageSize="1024")
    dlq_url, dlq = made.queue()
    made.subscribe(topic, small, RawMessageDelivery="true", RedrivePolicy=_redrive(dlq))
    big = "x" * 2000
    sns.publish(TopicArn=topic, Message="fits")
    sns.publish(TopicArn=topic, Message=big)
    assert [m["Body"] for m in _messages(sqs, url)] == ["fits"]
    assert [m["Body"] for m in _messages(sqs, dlq_url)] == [big]


def test_more_than_ten_attributes_do_not_reach_a_raw_subscription(
    sns: Client, sqs: Client, made: Made
) -> None:
    # SNS Developer Guide, message attributes: "Messages with more than 10 message attributes
    # directed towards Raw Message Delivery enabled Amazon SQS subscriptions will be discarded
    # as client side errors" (SQS takes 10); the envelope carries them in its body. (A
    # dead-letter queue refuses them as its queue did: what AWS puts there is not documented.)
    topic = made.topic()
    raw_url, raw = made.queue()
    env_url, env = made.queue()
    made.subscribe(topic, raw, RawMessageDelivery="true")
    made.subscribe(topic, env)
    attributes = {f"a{i}": {"DataType": "String", "StringValue": str(i)} for i in range(11)}
    sns.publish(TopicArn=topic, Message="eleven", MessageAttributes=attributes)
    sns.publish(
        TopicArn=topic, Message="ten", MessageAttributes=dict(list(attributes.items())[:10])
    )
    assert [m["Body"] for m in _messages(sqs, raw_url)] == ["ten"]
    bodies = sorted(json.loads(m["Body"])["Message"] for m in _messages(sqs, env_url))
    assert bodies == ["eleven", "ten"]
