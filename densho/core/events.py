"""What the engines tell an observer as it happens: messages sent, received and deleted, empty
receives, publishes and the fate of each notification.

Owns: ``SqsEvents`` and ``SnsEvents``, the hooks the SQS and SNS engines call where a fact is
known (after the store answered), whose default methods do nothing. Whoever counts (the
metrics, ``densho.metrics``) subclasses them; the engines never learn what is done with the
facts.
Must not know: Prometheus, HTTP, SQL. Calls sit on the request's hot path: an implementation
must cost well under a microsecond and never suspend or raise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from densho.core.sqs_model import NewMessage, Queue

# CloudWatch's NumberOfNotificationsDelivered / Failed / FilteredOut.
Outcome = Literal["delivered", "failed", "filtered_out"]


class SqsEvents:
    """The SQS engine's facts; this base ignores them."""

    __slots__ = ()

    def sent(self, queue: Queue, messages: Sequence[NewMessage]) -> None:
        """``messages`` were stored in ``queue`` (a SendMessage or SendMessageBatch)."""

    def received(self, queue: Queue, count: int) -> None:
        """A ReceiveMessage on ``queue`` answered ``count`` messages (0: an empty receive)."""

    def deleted(self, queue: Queue, count: int) -> None:
        """``count`` deletions with a valid receipt handle of ``queue`` succeeded (as
        CloudWatch's NumberOfMessagesDeleted, a handle whose message was already deleted
        counts too)."""

    def queue_deleted(self, queue: Queue) -> None:
        """``queue`` is gone: whatever was kept of it may go too."""


class SnsEvents:
    """The SNS engine's facts; this base ignores them."""

    __slots__ = ()

    def published(self, topic_arn: str, count: int) -> None:
        """``count`` messages published to the topic were accepted (committed)."""

    def notifications(self, topic_arn: str, protocol: str, outcome: Outcome, count: int) -> None:
        """``count`` notifications of the topic to ``protocol`` subscribers ended so:
        delivered, failed (CloudWatch's rule: every failed HTTP/S attempt, the final failure
        of the others), or filtered out by a subscription's filter policy."""


NO_SQS_EVENTS = SqsEvents()
NO_SNS_EVENTS = SnsEvents()
