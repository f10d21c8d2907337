"""The SNS delivery outbox: what happens after each attempt to deliver outside densho.

Owns: the lease a claimed row holds, the attempt timeout, how one attempt's result is
classified, and the decision after a failed attempt: try again at a given time, or give up (the
caller dead-letters or drops the message). The rows themselves are ``densho.core.sns_model``'s
``OutboxEntry`` / ``Claimed``.
Must not know: HTTP clients, SMTP, SQL, the wire.

Why an outbox: a Publish is acknowledged once its storage job commits, so every delivery it
owes to an HTTP/S or email subscriber is written in that same job; a worker delivers from the
table later and deletes a row only after success or a final failure. A row being delivered is
*claimed*: its due time is pushed to the end of a lease, so if the node dies mid-attempt the
row becomes due again when the lease ends (at-least-once, as AWS).

Retry rules (https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html and
the HTTP/S fan-out page): 2xx is delivered; 5xx, 429, timeouts and connection failures are
retried per the subscription's effective healthyRetryPolicy, within one hour of the publish;
every other status (3xx, other 4xx) is a permanent failure, not retried. ``throttlePolicy``
(maxReceivesPerSecond) is validated and reported but not enforced.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from densho.sns.outbox.delivery_policy import MAX_RETRY_WINDOW_MS, RetryPolicy, next_delay_ms

# How long a claimed row stays invisible to other claims. Longer than one attempt can take
# (HTTP: ATTEMPT_TIMEOUT_S; SMTP: the same), so a live worker never loses its row.
LEASE_MS = 60_000
ATTEMPT_TIMEOUT_S = 15.0  # AWS's HTTP/S delivery timeout


class Result(enum.Enum):
    DELIVERED = "delivered"
    RETRYABLE = "retryable"  # server-side: retried per the policy
    PERMANENT = "permanent"  # client-side: not retried


@dataclass(frozen=True, slots=True)
class Attempt:
    result: Result
    detail: str  # what happened, for logs and the row's last_error ("HTTP 500", "timeout")


def classify_http(status: int) -> Result:
    """AWS: 5XX and 429 are retryable; any other non-2xx status is a permanent failure."""
    if 200 <= status < 300:
        return Result.DELIVERED
    if status == 429 or status >= 500:
        return Result.RETRYABLE
    return Result.PERMANENT


def next_attempt_ms(policy: RetryPolicy, attempts: int, created_ms: int, now_ms: int) -> int | None:
    """When to try again after failed attempt number ``attempts`` (1 = the first delivery),
    or None when the policy has no retry left or the retry would fall outside the hour AWS
    gives a message. Delays count from the end of the failed attempt (``now_ms``)."""
    delay = next_delay_ms(policy, attempts)
    if delay is None:
        return None
    due = now_ms + delay
    if due - created_ms > MAX_RETRY_WINDOW_MS:
        return None
    return due
