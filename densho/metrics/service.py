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
from collections.abc import Callable

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.exposition import choose_encoder

from densho.metrics import text
from densho.metrics.counters import SnsCounters, SqsCounters
from densho.metrics.gauges import Refresher
from densho.metrics.timings import Commits, Requests
from densho.storage.open import AnyStore

EOF = b"# EOF\n"  # OpenMetrics' last line


class Metrics:
    def __init__(self, node: str, interval_s: float, store_kind: str) -> None:
        self.node = node
        self.interval_s = interval_s
        # prometheus_client's own collectors: CPU, memory, open files of this process.
        self.registry = CollectorRegistry(auto_describe=False)
        ProcessCollector(registry=self.registry)
        self.sqs = SqsCounters(node)
        self.sns = SnsCounters(node)
        self.commits = Commits(node, store_kind)
        self.requests = Requests(node)
        self.gauges: Refresher | None = None

    def start(self, store: AnyStore, now_ms: Callable[[], int]) -> None:
        """Begin refreshing the gauges from ``store`` (open) every interval; ``now_ms``: the
        queues' clock (what is visible, delayed, how old)."""
        self.gauges = Refresher(store, self.interval_s, now_ms)
        self.gauges.start()

    def _encode(self, encoder: Callable[[CollectorRegistry], bytes], openmetrics: bool) -> bytes:
        """The process metrics as ``prometheus_client`` encodes them, then densho's."""
        head = encoder(self.registry)
        if openmetrics and head.endswith(EOF):
            head = head[: -len(EOF)]
        families = [
            *self.sqs.collect(),
            *self.sns.collect(),
            *(self.gauges.collect() if self.gauges is not None else []),
            *self.requests.collect(),
            *self.commits.collect(),
        ]
        body = head + text.encode(families, openmetrics).encode()
        return body + EOF if openmetrics else body

    async def close(self) -> None:
        if self.gauges is not None:
            await self.gauges.close()

    async def render(self, accept: str) -> tuple[str, bytes]:
        """(content type, body) of a scrape with this Accept header."""
        encoder, content_type = choose_encoder(accept)
        openmetrics = content_type.startswith("application/openmetrics-text")
        body = await asyncio.to_thread(self._encode, encoder, openmetrics)
        return content_type, body
