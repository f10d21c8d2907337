"""The subscription protocols SNS knows and how densho delivers each.

Owns: the protocol names Subscribe accepts, which of them AWS confirms at once (the others wait
for their owner's ConfirmSubscription), and which go through the outbox: HTTP/S (POSTed) and
email (sent through an SMTP relay, or recorded without one). ``sqs`` deliveries are SQS messages
committed with the publish; ``sms``, ``lambda``, ``firehose`` and ``application`` are recorded,
never sent.
Must not know: anything else.
"""

from __future__ import annotations

PROTOCOLS = frozenset(
    {"http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"}
)
# Protocols whose subscriptions AWS confirms at Subscribe (same account).
CONFIRMED_ON_SUBSCRIBE = frozenset({"sqs", "sms", "lambda", "firehose", "application"})
HTTP_PROTOCOLS = frozenset({"http", "https"})
EMAIL_PROTOCOLS = frozenset({"email", "email-json"})
