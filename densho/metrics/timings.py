"""Latencies and errors: the store's commits and, per action, the API requests.

Owns: the ``densho_store_commit_seconds`` histogram (fed by the store's commit hook: SQLite's
commit and fdatasync per group commit, PostgreSQL's transaction commit), and per SQS or SNS
action ``densho_request_duration_seconds`` and ``densho_request_errors_total`` (fed by the
server's request records, ``densho.observe``), with their exposition.
Must not know: HTTP, SQL, how either is measured.
"""

from __future__ import annotations

from densho.metrics.histogram import LATENCY_S, Histogram, le_values
from densho.metrics.text import Family, labels, with_le
from densho.observe import RequestRecord

LATENCY_LE = le_values(LATENCY_S)

# The API services counted per action (densho's own endpoints are not: their "action" is a path).
SERVICES = frozenset({"sqs", "sns"})
# Action names and error codes come from the request: beyond this many distinct ones (a
# client sending made-up actions), the rest count under OTHER, so the series stay bounded.
MAX_KEYS = 500
OTHER = "other"


class Commits:
    """The store's commit latencies; ``observe`` is the store's commit hook."""

    __slots__ = ("_labels", "histogram")

    def __init__(self, node: str, store_kind: str) -> None:
        self._labels = labels((("node", node), ("store", store_kind)))
        self.histogram = Histogram(LATENCY_S)

    def observe(self, seconds: float) -> None:
        self.histogram.observe(seconds)

    def collect(self) -> list[Family]:
        family = Family(
            "densho_store_commit_seconds",
            "histogram",
            "Store commit latency: SQLite, a group commit until its WAL is fdatasynced; "
            "PostgreSQL, a transaction's COMMIT.",
        )
        family.add_histogram(with_le(self._labels, LATENCY_LE), self._labels, self.histogram)
        return [family]


class Requests:
    """Per action: latency and errors. ``observe`` is a server request observer."""

    __slots__ = ("_errors", "_latency", "_node")

    def __init__(self, node: str) -> None:
        self._node = node
        self._latency: dict[tuple[str, str], Histogram] = {}
        self._errors: dict[tuple[str, str, str], int] = {}

    def observe(self, record: RequestRecord) -> None:
        service = record.service
        if service not in SERVICES:
            return
        key = (service, record.action)
        histogram = self._latency.get(key)
        if histogram is None:
            if len(self._latency) >= MAX_KEYS:
                key = (service, OTHER)
            histogram = self._latency.get(key)
            if histogram is None:
                histogram = self._latency[key] = Histogram(LATENCY_S)
        histogram.observe(record.latency_s)
        if record.error_code:
            error = (key[0], key[1], record.error_code)
            if error not in self._errors and len(self._errors) >= MAX_KEYS:
                error = (key[0], key[1], OTHER)
            self._errors[error] = self._errors.get(error, 0) + 1

    def collect(self) -> list[Family]:
        latency = Family(
            "densho_request_duration_seconds",
            "histogram",
            "API request latency per action, from the first byte read to the answer.",
        )
        for (service, action), h in list(self._latency.items()):
            rendered = labels((("node", self._node), ("service", service), ("action", action)))
            latency.add_histogram(with_le(rendered, LATENCY_LE), rendered, h)
        errors = Family(
            "densho_request_errors",
            "counter",
            "API requests answered with an error, per action and AWS error code.",
        )
        for (service, action, code), count in list(self._errors.items()):
            pairs = (("node", self._node), ("service", service), ("action", action))
            errors.add(labels((*pairs, ("code", code))), count)
        return [latency, errors]
