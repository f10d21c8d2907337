"""The topics and subscriptions one node has cached, as typed views, read through from the
store.

Owns: the read-through caches by topic ARN (a topic's view; its subscriptions' views), the
rule that every write drops the topic's entries here and, through the store, on every other
node, and the in-memory FIFO sequence counters of a node that is the store's only writer.
A subscription's view is rebuilt only when its record or its topic's DeliveryPolicy changed,
so filter policies are compiled once per change, not once per reload.
Must not know: SNS rules (what may be written), the wire, SQL.
"""

from __future__ import annotations

from densho.core.cache import SHARED_TTL_MS, ReadThrough
from densho.core.clock import Clock
from densho.core.sns_model import Subscription
from densho.core.store import TOPIC
from densho.sns.views import SubscriptionView, TopicView, subscription_view, topic_view
from densho.storage.sns_base import SnsStore


class Catalog:
    def __init__(self, store: SnsStore, clock: Clock) -> None:
        self._store = store
        # A write drops the topic's entries (``written``), and a read installs what it loaded
        # only if no write happened meanwhile. On a shared store other nodes' writes arrive as
        # ``forget`` (their notifications), and entries are reloaded after a second in case one
        # was lost.
        ttl = SHARED_TTL_MS if store.shared else None
        self._topics: ReadThrough[str, TopicView] = ReadThrough(clock, ttl)
        # Each topic's subscriptions with the topic view they were built under: they are
        # current only while that view is the cached one.
        self._subs: ReadThrough[str, tuple[TopicView, list[SubscriptionView]]] = ReadThrough(
            clock, ttl
        )
        self._built: dict[str, dict[str, SubscriptionView]] = {}  # the last views per topic
        # FIFO topics: the last SequenceNumber handed out, when this process is the only writer
        # (several nodes reserve theirs in the store).
        self.sequences: dict[str, int] = {}

    async def topic(self, arn: str) -> TopicView | None:
        view = self._topics.get(arn)
        if view is None:
            began = self._topics.begin()
            topic = await self._store.get_topic(arn)
            if topic is None:
                return None
            view = topic_view(topic)
            self._topics.loaded(arn, view, began)
        return view

    def cached_topic(self, arn: str) -> TopicView | None:
        """The topic's view if cached, whatever its age (no load)."""
        return self._topics.peek(arn)

    async def subscriptions(self, topic: TopicView) -> list[SubscriptionView]:
        """The topic's subscriptions (all states), ordered by ARN."""
        arn = topic.topic.arn
        entry = self._subs.get(arn)
        if entry is not None and entry[0] is topic:
            return entry[1]
        began = self._subs.begin()
        views = self._views(topic, await self._store.topic_subscriptions(arn))
        self._subs.loaded(arn, (topic, views), began)
        return views

    def view(self, sub: Subscription, topic: TopicView | None) -> SubscriptionView:
        """The view of ``sub`` as stored now, under ``topic`` (None: gone)."""
        policy = None if topic is None else topic.config.delivery_policy
        known = self._built.get(sub.topic_arn, {}).get(sub.arn)
        # Only an HTTP/S subscription's view (its effective DeliveryPolicy) depends on the topic.
        if (
            known is not None
            and known.sub == sub
            and (known.delivery is None or known.topic_policy == policy)
        ):
            return known
        return subscription_view(sub, policy)

    def _views(self, topic: TopicView, subs: list[Subscription]) -> list[SubscriptionView]:
        views = [self.view(sub, topic) for sub in subs]
        if views:
            self._built[topic.topic.arn] = {v.sub.arn: v for v in views}
        else:
            self._built.pop(topic.topic.arn, None)
        return views

    def written(self, arn: str) -> None:
        """This node changed the topic or its subscriptions: drop them here and elsewhere."""
        self.forget(arn)
        self._store.changed(TOPIC, arn)

    def deleted(self, arn: str) -> None:
        """This node deleted the topic."""
        self.written(arn)
        self.sequences.pop(arn, None)
        self._built.pop(arn, None)

    def forget(self, arn: str) -> None:
        """The topic or its subscriptions changed (here, or on another node)."""
        self._topics.forget(arn)
        self._subs.forget(arn)

    def reset(self) -> None:
        """A reset deleted topics: nothing cached of them is kept."""
        self.forget_all()
        self._built.clear()
        self.sequences.clear()

    def forget_all(self) -> None:
        """Other nodes' changes may have been missed: drop every cached topic."""
        self._topics.forget_all()
        self._subs.forget_all()
