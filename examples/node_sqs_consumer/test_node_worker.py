"""The sqs-consumer worker (Node) against densho: densho's pytest plugin starts densho, the worker
runs in a subprocess, and every email queued is reported sent and deleted from its queue.

Needs Node.js (20 or later) and ``npm install`` in this directory."""

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def test_the_worker_sends_every_email_and_deletes_it(densho_clean):
    node = shutil.which("node")
    if node is None:
        pytest.fail("this example needs Node.js: install node and npm")
    if not (HERE / "node_modules" / "sqs-consumer").is_dir():
        pytest.fail(f"run `npm install` in {HERE} first")
    sqs = densho_clean.client("sqs")
    inbox = sqs.create_queue(QueueName="emails")["QueueUrl"]
    done = sqs.create_queue(QueueName="emails-sent")["QueueUrl"]
    for i in range(5):
        sqs.send_message(QueueUrl=inbox, MessageBody=json.dumps({"to": f"user{i}@example.com"}))

    env = {
        **os.environ,
        "SQS_ENDPOINT_URL": densho_clean.endpoint_url,
        "QUEUE_URL": inbox,
        "DONE_URL": done,
    }
    worker = subprocess.Popen([node, "worker.mjs"], cwd=HERE, env=env)
    try:
        sent = set()
        deadline = time.monotonic() + 60
        while len(sent) < 5 and time.monotonic() < deadline:
            assert worker.poll() is None, "the node worker exited"
            answer = sqs.receive_message(QueueUrl=done, MaxNumberOfMessages=10, WaitTimeSeconds=2)
            for message in answer.get("Messages", []):
                sent.add(json.loads(message["Body"])["sent"])
                sqs.delete_message(QueueUrl=done, ReceiptHandle=message["ReceiptHandle"])
        assert sent == {f"user{i}@example.com" for i in range(5)}
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        while time.monotonic() < deadline:  # the worker deletes each one after sending it
            counts = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=names)
            if counts["Attributes"] == dict.fromkeys(names, "0"):
                break
            time.sleep(0.1)
        assert counts["Attributes"] == dict.fromkeys(names, "0")
    finally:
        worker.terminate()
        worker.wait(timeout=20)
