"""The storage contract of SNS, next to ``base.Store``.

Owns: the method list for topics, subscriptions and publishing, and each method's atomicity
promise.
Must not know: SNS rules (which attributes are valid, which subscriptions match); the engine
decides, storage applies.

Times are epoch milliseconds passed in by the caller.
"""

from __future__ import annotations

from typing import Protocol

from densho.sns.model import Published, PublishItem, Subscription, Topic


class SnsStore(Protocol):
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
        """Replace the topic's stored attributes and tags."""
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

    # --- publishing ---
    async def publish(self, topic_arn: str, items: list[PublishItem]) -> list[Published]:
        """Write every item's deliveries (SQS messages) in ONE atomic job: when this returns,
        every delivery of every item is committed (durably), or none is and it raises.

        A FIFO item (``dedup`` set) whose deduplication id was seen within the window is not
        delivered again: it answers the original's message id and sequence. Otherwise its id is
        remembered for the window and the topic's stored sequence advances to its ``sequence``.
        FIFO deliveries follow the destination queue's own deduplication (``Delivery.fifo``).
        """
        ...

    async def expire_topic_windows(self, now_ms: int) -> None:
        """Forget FIFO topic deduplication ids whose window has passed."""
        ...
