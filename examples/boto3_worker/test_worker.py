"""The worker's retries, tested in well under a second: densho's pytest plugin starts densho
(in memory, on a clock the test moves), and ``densho_clean`` empties it before each test."""

import json

from worker import Worker


def make_queues(sqs):
    """``orders``: an hour's visibility timeout, then the dead-letter queue after 3 receives."""
    dlq_url = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    found = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    dlq_arn = found["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}
    url = sqs.create_queue(
        QueueName="orders",
        Attributes={"VisibilityTimeout": "3600", "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    return url, dlq_url


def test_a_shipped_order_is_deleted(densho_clean):
    sqs = densho_clean.client("sqs")
    url, _ = make_queues(sqs)
    shipped = []
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": 1}))

    assert Worker(sqs, url, ship=lambda order: shipped.append(order["id"])).poll_once() == 1

    assert shipped == [1]
    densho_clean.advance(3600)  # even after the visibility timeout, nothing comes back
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_a_failing_order_is_retried_hourly_then_dead_lettered(densho_clean):
    sqs = densho_clean.client("sqs")
    url, dlq_url = make_queues(sqs)
    attempts = []

    def ship(order):
        attempts.append(order["id"])
        raise RuntimeError("the warehouse is closed")

    worker = Worker(sqs, url, ship)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": 7}))

    for attempt in range(1, 4):
        assert worker.poll_once() == 1  # received, shipping failed, not deleted
        assert attempts == [7] * attempt
        assert worker.poll_once() == 0  # hidden for the visibility timeout...
        densho_clean.advance(3600)  # ...which passes at once

    # A fourth receive would exceed maxReceiveCount: SQS moves the message instead.
    assert worker.poll_once() == 0
    dead = sqs.receive_message(
        QueueUrl=dlq_url, MessageSystemAttributeNames=["ApproximateReceiveCount"]
    )["Messages"]
    assert [json.loads(m["Body"]) for m in dead] == [{"id": 7}]
    assert attempts == [7, 7, 7]
