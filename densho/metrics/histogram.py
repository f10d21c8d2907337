"""A histogram kept as plain numbers: what an observation on the request path may cost.

Owns: ``Histogram`` (fixed bucket bounds, a count per bucket, the sum), observed on the event
loop's thread with a bisection and two additions, and read as cumulative bucket counts; the
bucket bounds densho uses, with their ``le`` label values.
Must not know: what is measured; how it is exposed.

Why not ``prometheus_client.Histogram``: its ``observe`` takes a lock and walks every bucket
(about 0.8 µs); this one costs about a tenth of that, and the scrape adds up the buckets.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

# Seconds: sub-millisecond commits up to a 20 s long poll.
LATENCY_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20)
# Bytes: SQS messages are 1 B to 1 MiB.
SIZE_BYTES = (256, 1024, 4096, 16384, 65536, 262144, 1048576)


def le_values(bounds: Sequence[float]) -> tuple[str, ...]:
    """The ``le`` label of each bound (without "+Inf")."""
    return tuple(repr(float(b)) for b in bounds)


class Histogram:
    __slots__ = ("bounds", "counts", "total")

    def __init__(self, bounds: Sequence[float]) -> None:
        self.bounds = tuple(bounds)
        self.counts = [0] * (len(self.bounds) + 1)  # the last one: above every bound
        self.total = 0.0

    def observe(self, value: float) -> None:
        # bisect_left: a value equal to a bound belongs to that bound's bucket (le: <=).
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value

    def cumulative(self) -> list[int]:
        """Each bucket's count plus those below it, "+Inf" (every observation) last."""
        out = list(self.counts)  # one copy: the loop thread may observe meanwhile
        for i in range(1, len(out)):
            out[i] += out[i - 1]
        return out
