"""A boto3 worker: takes orders from an SQS queue and ships them.

A message is deleted only once its order is shipped. When shipping fails the message is left
alone: SQS shows it again after the queue's visibility timeout, and after ``maxReceiveCount``
receives the queue's redrive policy moves it to the dead-letter queue.

Run it against densho (``densho serve``, then ``python worker.py http://127.0.0.1:9324``), or
test it without waiting for any of that: ``test_worker.py``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any

log = logging.getLogger("worker")

Order = dict[str, Any]


class Worker:
    def __init__(self, sqs: Any, queue_url: str, ship: Callable[[Order], None]) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.ship = ship

    def poll_once(self, wait_seconds: int = 0) -> int:
        """Receive up to 10 orders and ship each; the number of messages received."""
        answer = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        )
        messages = answer.get("Messages", [])
        for message in messages:
            try:
                self.ship(json.loads(message["Body"]))
            except Exception:
                # Not deleted: SQS retries it after the visibility timeout.
                log.exception("shipping failed; SQS will retry the message")
                continue
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)


def main() -> None:
    import boto3

    endpoint = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9324"
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    worker = Worker(sqs, queue_url, ship=lambda order: print("shipped", order["id"]))
    while True:
        worker.poll_once(wait_seconds=20)


if __name__ == "__main__":
    main()
