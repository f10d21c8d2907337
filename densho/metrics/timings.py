"""Latencies and errors: the store's commits and, per action, the API requests.

Owns: the ``densho_store_commit_seconds`` histogram (fed by the store's commit hook: SQLite's
commit and fdatasync per group commit, PostgreSQL's transaction commit) and its exposition.
Must not know: HTTP, SQL, how either is measured.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import HistogramMetricFamily, Metric

from densho.metrics.histogram import LATENCY_S, Histogram


class Commits:
    """The store's commit latencies; ``observe`` is the store's commit hook."""

    __slots__ = ("_node", "_store", "histogram")

    def __init__(self, node: str, store_kind: str) -> None:
        self._node = node
        self._store = store_kind
        self.histogram = Histogram(LATENCY_S)

    def observe(self, seconds: float) -> None:
        self.histogram.observe(seconds)

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(
            "densho_store_commit_seconds",
            "Store commit latency: SQLite, a group commit until its WAL is fdatasynced; "
            "PostgreSQL, a transaction's COMMIT.",
            labels=["node", "store"],
        )
        h = self.histogram
        family.add_metric([self._node, self._store], h.buckets(), h.total)
        yield family
