"""Celery's SQS transport (kombu) against densho: a task is queued, a worker runs it, and the
task's own SQS message proves it ran. Endpoint from EP; keys from AWS_ACCESS_KEY_ID/SECRET.

Run by scripts/check-clients in a virtualenv that has ``celery[sqs]``; not part of the test suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from urllib.parse import quote, urlparse

import boto3
from celery import Celery

ENDPOINT = os.environ["EP"]
KEY = os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
SECRET = os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
_url = urlparse(ENDPOINT)

# kombu builds the endpoint from the broker URL's host and port (is_secure picks https).
app = Celery(
    "celery_check",
    broker=f"sqs://{quote(KEY, safe='')}:{quote(SECRET, safe='')}@{_url.hostname}:{_url.port}",
)
app.conf.broker_transport_options = {
    "region": "us-east-1",
    "is_secure": _url.scheme == "https",
    "polling_interval": 0.5,
    "wait_time_seconds": 1,
}
app.conf.task_default_queue = "celery-check"


def _results_queue() -> tuple[object, str]:
    sqs = boto3.client("sqs", endpoint_url=ENDPOINT, region_name="us-east-1")
    return sqs, sqs.create_queue(QueueName="celery-result")["QueueUrl"]


@app.task(name="celery_check.add")
def add(x: int, y: int) -> int:
    sqs, url = _results_queue()
    sqs.send_message(QueueUrl=url, MessageBody=str(x + y))
    return x + y


def main() -> None:
    sqs, url = _results_queue()
    sqs.purge_queue(QueueUrl=url)
    add.delay(2, 40)
    here = os.path.dirname(os.path.abspath(__file__))
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "celery_check",
            "worker",
            "-P",
            "solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        cwd=here,
    )
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2).get("Messages", [])
            if got:
                if got[0]["Body"] != "42":
                    sys.exit(f"celery task answered {got[0]['Body']!r}")
                print("Celery SQS transport OK")
                return
        sys.exit("the celery task did not run within 40 s")
    finally:
        worker.terminate()
        worker.wait(10)


if __name__ == "__main__":
    main()
