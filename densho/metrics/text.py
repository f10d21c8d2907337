"""The exposition of densho's own metric families, in Prometheus text 0.0.4 or OpenMetrics 1.0.

Owns: ``Family`` (a metric's name, type, help and sample lines, each line's labels rendered
once), rendering label sets (``labels``), and ``encode`` — the two text formats
``prometheus_client`` negotiates (``service`` asks it which one, and its ``ProcessCollector``
output is spliced in).
Must not know: what the metrics mean.

Why not ``prometheus_client``'s encoders for these: they build a label dictionary per sample and
validate and escape every label name and value on every scrape — about 15 µs a sample, 280 ms
for the 18,000 samples of 1,000 queues. Here a queue's label string is rendered when the queue is
first counted (or its gauges read), so a scrape joins prepared strings: ~1 µs a sample.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

Line = tuple[str, str, str]  # (sample-name suffix, rendered labels without braces, value)


@dataclass(slots=True)
class Family:
    name: str  # without _total (counters), _bucket/_count/_sum (histograms)
    kind: str  # "counter", "gauge" or "histogram"
    help: str
    lines: list[Line] = field(default_factory=list)

    def add(self, labels: str, value: float, suffix: str = "") -> None:
        self.lines.append((suffix, labels, number(value)))

    def add_histogram(self, bucket_labels: Sequence[str], labels: str, h: HistogramLike) -> None:
        """A histogram's samples: one line per bucket (``bucket_labels``: ``labels`` with each
        bucket's ``le``, in order, "+Inf" last), then its count and sum."""
        buckets = h.cumulative()
        for le_labels, count in zip(bucket_labels, buckets, strict=True):
            self.lines.append(("_bucket", le_labels, str(count)))
        self.lines.append(("_count", labels, str(buckets[-1])))
        self.lines.append(("_sum", labels, number(h.total)))


class HistogramLike(Protocol):
    @property
    def total(self) -> float: ...

    def cumulative(self) -> list[int]:
        """The count of each bucket and of those below it, "+Inf" last."""
        ...


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def labels(pairs: Iterable[tuple[str, str]]) -> str:
    """``name="value",...`` (no braces), values escaped."""
    return ",".join(f'{name}="{escape(value)}"' for name, value in pairs)


def with_le(rendered: str, bounds: Sequence[str]) -> list[str]:
    """``rendered`` with each bucket's ``le`` label, "+Inf" last."""
    head = f"{rendered}," if rendered else ""
    return [f'{head}le="{le}"' for le in (*bounds, "+Inf")]


def number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def encode(families: Iterable[Family], openmetrics: bool) -> str:
    out: list[str] = []
    for f in families:
        if openmetrics:
            out.append(f"# TYPE {f.name} {f.kind}\n# HELP {f.name} {escape(f.help)}\n")
        else:
            # Text 0.0.4 names a counter family by its sample name.
            name = f"{f.name}_total" if f.kind == "counter" else f.name
            help_text = f.help.replace("\\", "\\\\").replace("\n", "\\n")
            out.append(f"# HELP {name} {help_text}\n# TYPE {name} {f.kind}\n")
        total = "_total" if f.kind == "counter" else ""
        for suffix, rendered, value in f.lines:
            sample = f.name + (suffix or total)
            out.append(f"{sample}{{{rendered}}} {value}\n" if rendered else f"{sample} {value}\n")
    return "".join(out)
