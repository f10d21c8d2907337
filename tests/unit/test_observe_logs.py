"""Pure pieces of the access log: naming what a call addressed, and the JSON line format."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from densho.logs import JsonFormatter
from densho.observe import resource_of


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"QueueUrl": "http://h:1/000000000000/orders"}, "orders"),
        ({"QueueUrl": "http://h:1/000000000000/orders.fifo/"}, "orders.fifo"),
        ({"QueueName": "new"}, "new"),
        ({"TopicArn": "arn:aws:sns:us-east-1:000000000000:events"}, "events"),
        ({"SubscriptionArn": "arn:aws:sns:us-east-1:000000000000:events:1f2e"}, "events"),
        ({"SourceArn": "arn:aws:sqs:us-east-1:000000000000:dlq"}, "dlq"),
        ({"Name": "topic"}, "topic"),
        ({"TopicArn": "not-an-arn"}, ""),
        ({"TopicArn": "arn:aws:sns"}, ""),
        ({}, ""),
    ],
)
def test_resource_of(params: dict[str, str], expected: str) -> None:
    assert resource_of(params) == expected


def _record(exc: bool) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            info = sys.exc_info()
    record = logging.LogRecord("densho", logging.ERROR, "f.py", 1, "failed %s", ("x",), info)
    record.status = 500
    return record


def test_json_line_carries_extra_fields_and_a_trace_only_for_exceptions() -> None:
    formatter = JsonFormatter()
    plain = json.loads(formatter.format(_record(exc=False)))
    assert plain["message"] == "failed x" and plain["level"] == "error"
    assert plain["logger"] == "densho" and plain["status"] == 500
    assert "trace" not in plain and plain["time"].endswith("Z")
    failed = json.loads(formatter.format(_record(exc=True)))
    assert "ValueError: boom" in failed["trace"]
