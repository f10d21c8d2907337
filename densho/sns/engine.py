"""SNS semantics, assembled: topics, subscriptions and publishing over one cache of topics.

Owns: building the parts that share a node's SNS state (a ``Node``: one ``Catalog`` of cached
topic and subscription views, one ``Signatures``) — ``topics`` (``densho.sns.topics``),
``subscriptions`` (``densho.sns.subscriptions``), ``publisher``
(``densho.sns.publishing.publisher``) — and the node-level duties: dropping cached topics when other
nodes change them, waking the delivery worker after a commit that queued outbox rows,
expiring FIFO deduplication windows and confirmation tokens, closing the signing process.
Time comes from the injected ``Clock``; SNS state from the ``SnsStore``; queues and SQS message
rules from the ``SqsEngine``.
Must not know: HTTP, botocore, wire dict shapes, SQL, how the outbox is delivered.
"""

from __future__ import annotations

from collections.abc import Callable

from densho.core.clock import Clock
from densho.core.events import NO_SNS_EVENTS, SnsEvents
from densho.sns.catalog import Catalog
from densho.sns.endpoint_rules import DEFAULT, EndpointRules
from densho.sns.node import Node
from densho.sns.publishing.publisher import Publisher
from densho.sns.signatures import Signatures
from densho.sns.signing.signer import Signer
from densho.sns.subscriptions import Subscriptions
from densho.sns.topics import Topics
from densho.sqs.engine import SqsEngine
from densho.storage.sns_base import SnsStore


class SnsEngine:
    def __init__(
        self,
        store: SnsStore,
        sqs: SqsEngine,
        clock: Clock,
        signer: Callable[[], Signer],
        *,
        relay_email: bool = False,
        endpoint_rules: EndpointRules = DEFAULT,
        queue_policies: bool = False,
        events: SnsEvents = NO_SNS_EVENTS,
    ) -> None:
        """``relay_email``: whether emails are sent (through an SMTP relay) or recorded;
        ``endpoint_rules``: where Subscribe accepts HTTP/S and email endpoints;
        ``queue_policies``: authentication is on, so a queue's policy must allow SNS to
        deliver to it (as on AWS); off, every subscribed queue receives; ``events``: told of
        publishes and of each notification's fate (metrics)."""
        self._store = store
        self.events = events
        self._clock = clock
        # Called after a commit that queued outbox rows (the delivery worker's wake-up).
        self.on_outbox: Callable[[], None] | None = None
        self._catalog = Catalog(store, clock)
        self.signatures = Signatures(signer)
        node = Node(
            store,
            clock,
            self._catalog,
            self.signatures,
            relay_email,
            self._outbox_woken,
            endpoint_rules,
            queue_policies,
            events,
        )
        self.topics = Topics(node)
        self.publisher = Publisher(node, self.topics, sqs)
        self.subscriptions = Subscriptions(node, self.topics, self.publisher.to_queue)

    def _outbox_woken(self) -> None:
        if self.on_outbox is not None:
            self.on_outbox()

    def now_ms(self) -> int:
        return self._clock.now_ms()

    def forget_topic(self, arn: str) -> None:
        """Another node changed the topic or its subscriptions."""
        self._catalog.forget(arn)

    def forget_all(self) -> None:
        """Other nodes' changes may have been missed: drop every cached topic."""
        self._catalog.forget_all()

    def reset(self) -> None:
        """A reset deleted topics (here or on another node): drop every cached topic and the
        FIFO sequence numbers this node handed out."""
        self._catalog.reset()

    async def expire(self) -> None:
        now = self._clock.now_ms()
        await self._store.expire_topic_windows(now)
        await self._store.forget_tokens(now)

    async def close(self) -> None:
        """Stop the signing process, if one was started."""
        await self.signatures.close()
