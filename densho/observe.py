"""What happened in one request, for whoever watches it: the access log and the metrics.

Owns: ``RequestRecord`` (one per request the server answers) and naming the queue or topic a
call addressed.
Must not know: how records are written, counted or shipped; message bodies (a record never
holds one, nor any secret).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


# Not frozen, though never changed: made per request (why: densho/core/store.py, Claim).
@dataclass(slots=True)
class RequestRecord:
    request_id: str  # "" for densho's own endpoints (they answer no x-amzn-requestid)
    service: str  # "sqs", "sns", or "densho" for its own endpoints (probes, console, admin)
    action: str  # the operation (SendMessage), or the path of densho's own endpoints
    account: str  # the caller's account ("" when not known, e.g. a refused signature)
    resource: str  # the queue or topic addressed, by name ("" when none)
    status: int  # the HTTP status answered
    error_code: str  # AWS's error code, "" on success
    latency_s: float  # from the first byte read to the response handed to the server
    # The client's address (a trusted proxy's forwarded one, see densho.proxies), the method,
    # and the path as sent (percent-encoded; never the query string, which may hold a secret).
    client: str = ""
    method: str = ""
    path: str = ""


Observer = Callable[[RequestRecord], None]

# The parameters naming what a call addresses, in the order they are looked for.
_QUEUE_URL = "QueueUrl"
_ARN_KEYS = ("TopicArn", "TargetArn", "SubscriptionArn", "ResourceArn", "SourceArn")
_NAME_KEYS = ("QueueName", "Name")


def resource_of(params: Mapping[str, Any]) -> str:
    """The name of the queue or topic a call's parameters address, or ""."""
    url = params.get(_QUEUE_URL)
    if isinstance(url, str) and url:
        return url.rstrip("/").rpartition("/")[2]
    for key in _ARN_KEYS:
        arn = params.get(key)
        if isinstance(arn, str) and arn.startswith("arn:"):
            # arn:aws:sns:region:account:topic[:subscription-id]; arn:aws:sqs:...:queue
            parts = arn.split(":")
            return parts[5] if len(parts) > 5 else ""
    for key in _NAME_KEYS:
        name = params.get(key)
        if isinstance(name, str):
            return name
    return ""
