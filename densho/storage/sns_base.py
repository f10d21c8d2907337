"""The SNS store: topics, subscriptions and publishing, each operation written once for both
backends (delivery outside densho: ``outbox``).

Owns: the operations and each one's atomicity promise; the contract of the signing key the
nodes sharing a database keep there (``SigningStore``, PostgreSQL only).
Must not know: SNS rules (which attributes are valid, which subscriptions match); the engine
decides, storage applies.

A publish's SQS deliveries to every matching queue, its outbox and recorded rows, its FIFO
deduplication record and the topic's sequence commit together or not at all. Several nodes
(``shared``): a FIFO topic's deduplication id is claimed with INSERT ... ON CONFLICT (the second
publisher waits for the first and then sees its record); the FIFO queues a publish delivers to
are locked in id order before any delivery, so two publishes never deadlock on them; subscribing
takes a per-topic advisory lock, so a find-or-insert cannot insert twice. Times are epoch
milliseconds passed in by the caller.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Protocol

from densho.core.sns_model import (
    Delivery,
    OutboxEntry,
    Published,
    PublishItem,
    Recorded,
    Subscription,
    Token,
    Topic,
)
from densho.core.store import QueueGone
from densho.storage.outbox import Outbox, insert_outbox, insert_recorded, insert_token
from densho.storage.rows import dumps, sub_args, sub_from_row, topic_args, topic_from_row
from densho.storage.sealed import Keys
from densho.storage.tx import Tx


class SnsStore(Outbox):
    # --- topics ---

    async def create_topic(self, topic: Topic) -> tuple[Topic, bool]:
        """Insert the topic, or return the existing one of that ARN (created=False)."""
        args = topic_args(topic)

        async def op(tx: Tx) -> tuple[Topic, bool]:
            created = await tx.execute("sns_topic_insert", args) == 1
            row = await tx.fetchone("sns_topic_get", args)
            assert row is not None
            return topic_from_row(row), created

        return await self._tx(op)

    async def get_topic(self, arn: str) -> Topic | None:
        return await self._record("sns_topic_get", {"arn": arn}, topic_from_row)

    async def list_topics(self, account: str, region: str | None) -> list[Topic]:
        """The account's topics in ``region`` (None: in every region), ordered by ARN."""
        args = {"account": account, "region": region}
        return await self._records("sns_topic_list", args, topic_from_row)

    async def update_topic(
        self, arn: str, attributes: dict[str, str], tags: dict[str, str]
    ) -> Topic:
        """Replace the topic's stored attributes and tags; LookupError if it is gone."""
        args = {"arn": arn, "attributes": dumps(attributes), "tags": dumps(tags)}
        topic = await self._record("sns_topic_update", args, topic_from_row)
        if topic is None:
            raise LookupError(arn)
        return topic

    async def reserve_topic_seq(self, arn: str, count: int) -> int | None:
        """Advance the topic's stored sequence by ``count``; the last number reserved (the
        caller's are the ``count`` up to it), or None when the topic is gone. Concurrent callers
        (several nodes) never get the same number."""
        args = {"arn": arn, "count": count}
        seq = await self._one(lambda tx: tx.fetchval("sns_topic_reserve", args))
        return None if seq is None else int(seq)

    async def delete_topic(self, arn: str) -> list[str]:
        """Delete the topic, its subscriptions and its deduplication window; return the ARNs
        of the deleted subscriptions."""

        async def op(tx: Tx) -> list[str]:
            await tx.execute("sns_topic_delete", {"arn": arn})
            await tx.execute("sns_topic_dedup_forget", {"arn": arn})
            return [r[0] for r in await tx.fetchall("sns_topic_subscriptions_delete", {"arn": arn})]

        return await self._tx(op)

    # --- subscriptions ---

    async def create_subscription(self, sub: Subscription) -> tuple[Subscription, bool]:
        """Insert the subscription, or return the topic's existing one with the same protocol
        and endpoint (created=False)."""

        async def op(tx: Tx) -> tuple[Subscription, bool]:
            found = await self._find_subscription(tx, sub)
            if found is not None:
                return found, False
            await tx.execute("sns_sub_insert", sub_args(sub))
            return sub, True

        return await self._tx(op)

    async def get_subscription(self, arn: str) -> Subscription | None:
        return await self._record("sns_sub_get", {"arn": arn}, sub_from_row)

    async def list_subscriptions(self, owner: str) -> list[Subscription]:
        """The owner's subscriptions, ordered by ARN."""
        return await self._records("sns_sub_list", {"owner": owner}, sub_from_row)

    async def topic_subscriptions(self, topic_arn: str) -> list[Subscription]:
        """The topic's subscriptions, ordered by ARN."""
        return await self._records("sns_sub_by_topic", {"topic_arn": topic_arn}, sub_from_row)

    async def update_subscription(
        self, arn: str, attributes: dict[str, str], confirmed: bool
    ) -> Subscription | None:
        """Replace the subscription's attributes and state; None when it is gone."""
        args = {"arn": arn, "attributes": dumps(attributes), "confirmed": int(confirmed)}
        return await self._record("sns_sub_update", args, sub_from_row)

    async def delete_subscription(self, arn: str) -> bool:
        """Delete the subscription; whether it existed."""
        return await self._one(lambda tx: _delete_subscription(tx, arn))

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

        async def op(tx: Tx) -> tuple[Subscription, bool]:
            found = await self._find_subscription(tx, sub)
            if found is not None and found.confirmed:
                return found, False  # nothing to confirm: no new token, no message
            if found is None:
                await tx.execute("sns_sub_insert", sub_args(sub))
            arn = sub.arn if found is None else found.arn
            await insert_token(tx, token, arn)
            await insert_outbox(tx, outbox, arn)
            await insert_recorded(tx, recorded, subscription_arn=arn)
            return (sub, True) if found is None else (found, False)

        return await self._tx(op)

    async def delete_subscription_noting(
        self, arn: str, token: Token, outbox: list[OutboxEntry]
    ) -> bool:
        """Delete the subscription and, if it existed, store ``token`` and queue ``outbox``
        (its UnsubscribeConfirmation) in the same atomic job; whether it existed."""

        async def op(tx: Tx) -> bool:
            if not await _delete_subscription(tx, arn):
                return False
            await insert_token(tx, token)
            await insert_outbox(tx, outbox)
            return True

        return await self._tx(op)

    async def _find_subscription(self, tx: Tx, sub: Subscription) -> Subscription | None:
        """The topic's subscription with ``sub``'s protocol and endpoint; several nodes: held
        under the topic's lock until the commit, so a find-or-insert inserts once."""
        args = sub_args(sub)
        if self.shared:
            await tx.execute("sns_sub_lock_topic", args)
        row = await tx.fetchone("sns_sub_find", args)
        return None if row is None else sub_from_row(row)

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
        while True:
            # Data keys first, each in its own commit: inside the publish nothing else may wait.
            keys = await self._data_keys(
                [item.seal for item in items]
                + [d.message.seal for item in items for d in item.deliveries]
            )
            op = partial(self._publish, topic_arn=topic_arn, items=items, keys=keys)
            try:
                if self._publish_is_one_insert(items):
                    return await self._one(op)
                return await self._tx(op)
            except QueueGone as gone:
                # A queue subscribed to the topic was deleted on another node after the engine
                # looked it up; the transaction rolled back. AWS drops a delivery to a queue
                # that is gone and accepts the publish: again, without that queue.
                kept = without_queue(items, gone.queue_id)
                if kept is None:
                    raise
                items = kept

    def _publish_is_one_insert(self, items: list[PublishItem]) -> bool:
        """Whether ``_publish`` of ``items`` writes with one statement (then it needs no
        transaction or savepoint of its own). A backend with one writer says so for
        standard deliveries only, inserted together (``_insert_fanout``)."""
        return False

    async def _publish(
        self, tx: Tx, topic_arn: str, items: list[PublishItem], keys: Keys
    ) -> list[Published]:
        fifo_queues = sorted(
            {d.queue_id for i in items for d in i.deliveries if d.fifo is not None}
        )
        if self.shared and fifo_queues:  # in id order, before any delivery: no deadlock
            await tx.fetchall("lock_fifo_queues", {"ids": tx.array(fifo_queues)})
        out: list[Published] = []
        deliveries: list[Delivery] = []  # of every item delivered: stored together, below
        top_seq = 0
        for item in items:
            dedup = item.dedup
            if dedup is not None:
                key = {
                    "topic_arn": topic_arn,
                    "scope": dedup.scope,
                    "dedup_id": dedup.dedup_id,
                    "now": dedup.now_ms,
                }
                first = {
                    **key,
                    "message_id": item.message_id,
                    "seq": item.sequence,
                    "expires": dedup.now_ms + dedup.window_ms,
                }
                if await tx.fetchone("sns_dedup_claim", first) is None:
                    # Seen within the window: accepted, not delivered again; AWS answers as before.
                    found = await tx.fetchone("sns_dedup_find", key)
                    assert found is not None  # the conflicting row is live (and locked)
                    out.append(Published(found[0], found[1], False))
                    continue
            deliveries += item.deliveries
            dk = None if item.seal is None else keys.get(item.seal)
            await insert_outbox(tx, item.outbox, dk=dk)
            await insert_recorded(tx, item.recorded, dk=dk)
            if item.sequence is not None:
                top_seq = max(top_seq, item.sequence)
            out.append(Published(item.message_id, item.sequence, True))
        await self._deliver(tx, deliveries, keys)
        if top_seq:
            await tx.execute("sns_topic_seq", {"arn": topic_arn, "seq": top_seq})
        return out

    async def expire_topic_windows(self, now_ms: int) -> None:
        """Forget FIFO topic deduplication ids whose window has passed."""
        await self._one(lambda tx: tx.execute("sns_dedup_expire", {"now": now_ms}))


async def _delete_subscription(tx: Tx, arn: str) -> bool:
    return await tx.execute("sns_sub_delete", {"arn": arn}) == 1


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


def without_queue(items: list[PublishItem], queue_id: int) -> list[PublishItem] | None:
    """``items`` without their deliveries to ``queue_id`` (a subscribed queue deleted on another
    node), to publish again; None when none of them delivered there (nothing to retry)."""
    kept = [
        replace(item, deliveries=[d for d in item.deliveries if d.queue_id != queue_id])
        for item in items
    ]
    if sum(len(i.deliveries) for i in kept) == sum(len(i.deliveries) for i in items):
        return None
    return kept
