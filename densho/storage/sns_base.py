"""The storage contract of SNS, next to ``base.Store``.

Owns: the method list for topics, subscriptions and publishing, and each method's atomicity
promise.
Must not know: SNS rules (which attributes are valid, which subscriptions match); the engine
decides, storage applies.

Times are epoch milliseconds passed in by the caller.
"""

from __future__ import annotations

from typing import Protocol

from densho.core.sns_model import (
    Claimed,
    Delivery,
    OutboxEntry,
    Published,
    PublishItem,
    Recorded,
    RecordedRow,
    Subscription,
    Token,
    Topic,
)
from densho.storage.base import Sharing


class SnsStore(Sharing, Protocol):
    # --- topics (each call atomic) ---
    async def create_topic(self, topic: Topic) -> tuple[Topic, bool]:
        """Insert the topic, or return the existing one of that ARN (created=False)."""
        ...

    async def get_topic(self, arn: str) -> Topic | None: ...

    async def list_topics(self, account: str) -> list[Topic]:
        """The account's topics, ordered by ARN."""
        ...

    async def update_topic(
        self, arn: str, attributes: dict[str, str], tags: dict[str, str]
    ) -> Topic:
        """Replace the topic's stored attributes and tags; LookupError if it is gone."""
        ...

    async def reserve_topic_seq(self, arn: str, count: int) -> int | None:
        """Advance the topic's stored sequence by ``count``; the last number reserved (the
        caller's are the ``count`` up to it), or None when the topic is gone. Concurrent callers
        (several nodes) never get the same number."""
        ...

    async def delete_topic(self, arn: str) -> list[str]:
        """Delete the topic, its subscriptions and its deduplication window; return the ARNs
        of the deleted subscriptions."""
        ...

    # --- subscriptions (each call atomic) ---
    async def create_subscription(self, sub: Subscription) -> tuple[Subscription, bool]:
        """Insert the subscription, or return the topic's existing one with the same protocol
        and endpoint (created=False)."""
        ...

    async def get_subscription(self, arn: str) -> Subscription | None: ...

    async def list_subscriptions(self, owner: str) -> list[Subscription]:
        """The owner's subscriptions, ordered by ARN."""
        ...

    async def topic_subscriptions(self, topic_arn: str) -> list[Subscription]:
        """The topic's subscriptions, ordered by ARN."""
        ...

    async def update_subscription(
        self, arn: str, attributes: dict[str, str], confirmed: bool
    ) -> Subscription | None:
        """Replace the subscription's attributes and state; None when it is gone."""
        ...

    async def delete_subscription(self, arn: str) -> bool:
        """Delete the subscription; whether it existed."""
        ...

    async def subscribe_pending(
        self,
        sub: Subscription,
        token: Token,
        outbox: list[OutboxEntry],
        recorded: list[Recorded],
    ) -> tuple[Subscription, bool]:
        """Insert a subscription that waits for confirmation (or find the topic's one with the
        same protocol and endpoint, created=False) and, unless the one found is confirmed
        already, store the token and the confirmation message (``outbox`` to send, or
        ``recorded``) bound to its ARN — all in one atomic job."""
        ...

    async def delete_subscription_noting(
        self, arn: str, token: Token, outbox: list[OutboxEntry]
    ) -> bool:
        """Delete the subscription and, if it existed, store ``token`` and queue ``outbox``
        (its UnsubscribeConfirmation) in the same atomic job; whether it existed."""
        ...

    # --- publishing ---
    async def publish(self, topic_arn: str, items: list[PublishItem]) -> list[Published]:
        """Write every item's deliveries (SQS messages, outbox rows for HTTP/S and email,
        recorded deliveries) in ONE atomic job: when this returns, every delivery of every item
        is committed (durably), or none is and it raises.

        A FIFO item (``dedup`` set) whose deduplication id was seen within the window is not
        delivered again: it answers the original's message id and sequence. Otherwise its id is
        remembered for the window and the topic's stored sequence advances to its ``sequence``.
        FIFO deliveries follow the destination queue's own deduplication (``Delivery.fifo``).
        """
        ...

    async def expire_topic_windows(self, now_ms: int) -> None:
        """Forget FIFO topic deduplication ids whose window has passed."""
        ...

    # --- delivery outside densho: the outbox (each call atomic) ---
    async def outbox_claim(
        self, now_ms: int, lease: str, lease_until_ms: int, limit: int
    ) -> list[Claimed]:
        """Claim up to ``limit`` rows due at ``now_ms`` for one attempt each: stamp ``lease``,
        count the attempt, and make each due again at ``lease_until_ms`` (so a row whose
        claimer dies is retried). Safe with several claimers on one database."""
        ...

    async def outbox_done(self, row_id: int, lease: str) -> bool:
        """Delete the row if ``lease`` still holds it (delivered, or given up)."""
        ...

    async def outbox_retry(self, row_id: int, lease: str, due_ms: int, error: str) -> bool:
        """Release the row held by ``lease``, due again at ``due_ms``."""
        ...

    async def outbox_dead_letter(self, row_id: int, lease: str, delivery: Delivery) -> bool:
        """Delete the row held by ``lease`` and send ``delivery`` to its SQS queue, together."""
        ...

    async def outbox_record(self, row_id: int, lease: str, recorded: Recorded, now_ms: int) -> bool:
        """Delete the row held by ``lease`` and append ``recorded`` to the log, together."""
        ...

    async def outbox_next_due(self) -> int | None:
        """The earliest due time of any row (claimed rows: their lease's end), or None."""
        ...

    async def outbox_recover(self, now_ms: int) -> int:
        """At start-up: make rows claimed by a process that is gone due now. A backend shared
        by several nodes cannot tell, and returns 0 (their leases run out instead)."""
        ...

    async def recorded(
        self,
        protocol: str | None = None,
        endpoint: str | None = None,
        topic_arn: str | None = None,
        limit: int = 1000,
    ) -> list[RecordedRow]:
        """The newest ``limit`` recorded deliveries matching the filters, oldest first."""
        ...

    async def clear_recorded(self) -> int:
        """Forget every recorded delivery; how many there were."""
        ...

    async def get_token(self, token: str) -> Token | None: ...

    async def forget_tokens(self, now_ms: int) -> None:
        """Delete confirmation tokens that expired at or before ``now_ms``."""
        ...


class SigningStore(Protocol):
    """Where the nodes sharing a database keep the one SNS signing key they all sign with, so
    that every node's signatures verify against the certificate any node serves."""

    async def signing_material(self) -> tuple[bytes, bytes] | None:
        """The stored (key PEM, certificate PEM), or None before any node stored one."""
        ...

    async def keep_signing_material(
        self, key_pem: bytes, cert_pem: bytes, now_ms: int
    ) -> tuple[bytes, bytes]:
        """Store this key and certificate unless a pair is stored already (another node was
        first); the stored pair either way."""
        ...

    async def renew_signing_certificate(self, old_pem: bytes, new_pem: bytes) -> bytes:
        """Replace the stored certificate with ``new_pem`` if it is still ``old_pem`` (of
        nodes renewing at once, the first wins); the stored certificate after."""
        ...
