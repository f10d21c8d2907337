"""Helpers for the e2e suite: error assertions, bounded waits, and SQS's MD5 digests.

The MD5 functions are an independent reference implementation of the algorithm in the
Amazon SQS Developer Guide ("Calculating the MD5 message digest for message attributes"),
checked against published vectors in ``test_messages.py``. botocore does not verify these
digests itself, so the tests do.

Reference: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
"""

from __future__ import annotations

import hashlib
import struct
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

import pytest
from botocore.exceptions import ClientError

T = TypeVar("T")

ACCOUNT_ID = "000000000000"
REGION = "us-east-1"

# One attribute of every data type, including custom type suffixes (Developer Guide,
# "Message attribute data types": String, Number, Binary, each with an optional
# ".custom-type" suffix).
ALL_TYPES_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "str": {"DataType": "String", "StringValue": "héllo wörld ✓"},
    "num": {"DataType": "Number", "StringValue": "-12345.6789"},
    "bin": {"DataType": "Binary", "BinaryValue": bytes(range(256))},
    "num_float": {"DataType": "Number.float", "StringValue": "3.14159"},
    "str_custom": {"DataType": "String.custom", "StringValue": "custom \U0001f600"},
    "bin_gif": {"DataType": "Binary.gif", "BinaryValue": b"GIF89a\x00\x01\xff"},
}

TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"


def queue_name_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


# -- errors -------------------------------------------------------------------------


def expect_error(
    call: Callable[..., Any],
    /,
    *args: Any,
    code: str | Collection[str],
    status: int | Collection[int] = 400,
    **kwargs: Any,
) -> dict[str, Any]:
    """Call and require an AWS error with this code (botocore's ``Error.Code``) and status.

    On the JSON protocol botocore reports the Query-compatible code carried by the
    ``x-amzn-query-error`` header, so one code works for both protocols.
    """
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    response: dict[str, Any] = info.value.response
    got_code = response.get("Error", {}).get("Code")
    got_status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    codes = {code} if isinstance(code, str) else set(code)
    statuses = {status} if isinstance(status, int) else set(status)
    assert got_code in codes, f"expected error code {sorted(codes)}, got {got_code!r}: {response}"
    assert got_status in statuses, (
        f"expected HTTP status {sorted(statuses)}, got {got_status!r}: {response}"
    )
    return response


# -- waiting ------------------------------------------------------------------------


def wait_until(
    predicate: Callable[[], T | None],
    *,
    timeout: float = 5.0,
    interval: float = 0.1,
    message: str = "condition",
) -> T:
    """Poll ``predicate`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            pytest.fail(f"{message} not reached within {timeout} s (last value: {last!r})")
        time.sleep(interval)


def attributes(sqs: Any, url: str, *names: str) -> dict[str, str]:
    result: dict[str, str] = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=list(names) or ["All"]
    ).get("Attributes", {})
    return result


def counts(sqs: Any, url: str) -> tuple[int, int, int]:
    """(visible, in flight, delayed) from the three Approximate* attributes."""
    attrs = attributes(
        sqs,
        url,
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    )
    return (
        int(attrs["ApproximateNumberOfMessages"]),
        int(attrs["ApproximateNumberOfMessagesNotVisible"]),
        int(attrs["ApproximateNumberOfMessagesDelayed"]),
    )


def wait_counts(sqs: Any, url: str, expected: tuple[int, int, int], timeout: float = 5.0) -> None:
    seen: list[tuple[int, int, int]] = []

    def check() -> bool:
        seen.append(counts(sqs, url))
        return seen[-1] == expected

    wait_until(check, timeout=timeout, message=f"counts {expected} (last {seen[-1:]})")


def receive_n(
    sqs: Any, url: str, n: int, *, timeout: float = 10.0, **kwargs: Any
) -> list[dict[str, Any]]:
    """Receive until ``n`` messages arrived (bounded by count and time); return them."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    for _ in range(10 * n + 20):
        if len(got) >= n or time.monotonic() >= deadline:
            break
        resp = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=min(10, n - len(got)), WaitTimeSeconds=1, **kwargs
        )
        got.extend(resp.get("Messages", []))
    assert len(got) == n, f"expected {n} messages, received {len(got)}"
    return got


def receive_one(sqs: Any, url: str, **kwargs: Any) -> dict[str, Any]:
    return receive_n(sqs, url, 1, **kwargs)[0]


# -- MD5 digests ----------------------------------------------------------------------


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8")).hexdigest()


def _length_prefixed(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def md5_of_attributes(attrs: Mapping[str, Mapping[str, Any]] | None) -> str | None:
    """SQS's digest of message (or message system) attributes; None when there are none.

    Per the Developer Guide: sort by name; for each, the 4-byte big-endian length and
    UTF-8 bytes of the name and of the data type, one transport byte (1 for String and
    Number, 2 for Binary), then the length-prefixed value bytes; MD5 the concatenation.
    """
    if not attrs:
        return None
    buf = bytearray()
    for name in sorted(attrs):
        attr = attrs[name]
        data_type = str(attr["DataType"])
        buf += _length_prefixed(name.encode("utf-8"))
        buf += _length_prefixed(data_type.encode("utf-8"))
        if data_type.split(".", 1)[0] == "Binary":
            buf.append(2)
            buf += _length_prefixed(bytes(attr["BinaryValue"]))
        else:
            buf.append(1)
            buf += _length_prefixed(str(attr["StringValue"]).encode("utf-8"))
    return hashlib.md5(bytes(buf)).hexdigest()


def attribute_size(attrs: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes an attribute map counts toward the message size limit (name + type + value)."""
    total = 0
    for name, attr in attrs.items():
        total += len(name.encode("utf-8")) + len(str(attr["DataType"]).encode("utf-8"))
        if "BinaryValue" in attr:
            total += len(bytes(attr["BinaryValue"]))
        else:
            total += len(str(attr["StringValue"]).encode("utf-8"))
    return total
