"""A Celery app with SQS as its broker (kombu's SQS transport), pointed at densho.

``SQS_ENDPOINT_URL`` says where densho listens (default http://127.0.0.1:9324). kombu builds the
SQS endpoint from the broker URL's host and port, ``sqs://KEY:SECRET@HOST:PORT``; any key works
while densho's authentication is off.

Start a worker: ``SQS_ENDPOINT_URL=http://127.0.0.1:9324 celery -A tasks worker -P solo``.
Tested in ``test_tasks.py``.
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote, urlsplit

import boto3
from celery import Celery

ENDPOINT = os.environ.get("SQS_ENDPOINT_URL", "http://127.0.0.1:9324")
KEY = os.environ.get("AWS_ACCESS_KEY_ID", "test")
SECRET = os.environ.get("AWS_SECRET_ACCESS_KEY", "test")
DONE_QUEUE = "thumbnails-done"

_where = urlsplit(ENDPOINT)
app = Celery(
    "tasks",
    broker=f"sqs://{quote(KEY, safe='')}:{quote(SECRET, safe='')}@{_where.hostname}:{_where.port}",
)
app.conf.broker_transport_options = {
    "region": "us-east-1",
    "is_secure": _where.scheme == "https",
    "polling_interval": 0.1,
    "wait_time_seconds": 1,
}
app.conf.task_default_queue = "thumbnails"


def sqs():
    return boto3.client(
        "sqs",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
    )


@app.task
def make_thumbnail(image_id: int) -> None:
    """The work; it announces what it made on the ``thumbnails-done`` queue."""
    client = sqs()
    url = client.create_queue(QueueName=DONE_QUEUE)["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody=json.dumps({"image": image_id, "size": 128}))
