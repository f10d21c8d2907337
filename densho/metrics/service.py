"""One node's metrics: the registry, what feeds it, and its exposition.

Owns: ``Metrics`` — the counters the engines' hooks feed (``sqs``, ``sns``), the store's commit
hook (``commits``), the gauges' refresher (started with the store), the per-action request
metrics (``requests``), and ``render``: the registry in the format the scraper's Accept header
asks for (OpenMetrics or Prometheus text, as ``prometheus_client`` negotiates), encoded in a
worker thread so a large scrape does not hold up the event loop.
Must not know: HTTP beyond the Accept header, the wire, SQL.
"""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.exposition import choose_encoder

from densho.metrics.counters import SnsCounters, SqsCounters
from densho.metrics.gauges import Refresher
from densho.metrics.timings import Commits, Requests
from densho.storage.open import AnyStore


class Metrics:
    def __init__(self, node: str, interval_s: float, store_kind: str) -> None:
        self.node = node
        self.interval_s = interval_s
        # No auto-describe: registering would run every collector once for its names.
        self.registry = CollectorRegistry(auto_describe=False)
        self.sqs = SqsCounters(node)
        self.sns = SnsCounters(node)
        self.commits = Commits(node, store_kind)
        self.requests = Requests(node)
        for collector in (self.sqs, self.sns, self.commits, self.requests):
            self.registry.register(collector)
        ProcessCollector(registry=self.registry)  # CPU, memory, open files of this process
        self.gauges: Refresher | None = None

    def start(self, store: AnyStore) -> None:
        """Begin refreshing the gauges from ``store`` (open) every interval."""
        self.gauges = Refresher(store, self.interval_s)
        self.registry.register(self.gauges)
        self.gauges.start()

    async def close(self) -> None:
        if self.gauges is not None:
            await self.gauges.close()

    async def render(self, accept: str) -> tuple[str, bytes]:
        """(content type, body) of a scrape with this Accept header."""
        encoder, content_type = choose_encoder(accept)
        body = await asyncio.to_thread(encoder, self.registry)
        return content_type, body
