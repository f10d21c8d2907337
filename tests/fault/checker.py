"""The checker: what a fault run's history says about densho's promises (pure; no I/O).

Owns: classifying every message of a history and finding the violations of SQS's contract.
Each message is, by its send's outcome and whether it was ever delivered (during the run or the
final drain):

- ``ok``: the send was acknowledged and the message delivered;
- ``lost``: the send was acknowledged and the message never delivered — a violation;
- ``recovered``: the send's outcome was unknown and the message arrived (allowed);
- ``unsent``: the send's outcome was unknown and the message never arrived (allowed);
- ``refused``: the send failed with a definite error and the message never arrived;
- ``unexpected``: delivered, but never sent, sent to another queue, or refused — a violation.

And, across its deliveries:

- ``duplicated``: delivered again while an earlier delivery's visibility timeout still ran — a
  violation (at-least-once allows a second delivery only once the first one's timeout is over);
- ``redelivered``: delivered again after that (allowed: its delete was not acknowledged in time);
- ``resurrected``: delivered after an acknowledged delete by any of its receipt handles — a
  violation. An acknowledged delete removed the message or found it gone: on a standard queue
  any receipt handle of the message deletes it, also an earlier receive's (as AWS does); on a
  FIFO queue a handle whose receive is over is refused ("The receipt handle has expired").
- ``reordered``: on a FIFO queue, two acknowledged sends of one group first delivered in the
  other order — a violation. Sends of unknown outcome may appear anywhere, or not at all.

Times are the client's: the server acted on an operation between its ``start`` and ``end``. So
a delivery's visibility runs at least until ``start + timeout``, and a later delivery happened
before that only if it *ended* before it. Every judgement takes the reading that favours the
server; a violation is one no timing could explain.

Knows nothing of how the history was made (boto3, faults, densho).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

from tests.fault.history import Delete, History, Send

# densho keeps deadlines in whole milliseconds; the client's clock reads finer.
CLOCK_SLACK_S = 0.05
VIOLATIONS = ("lost", "unexpected", "duplicated", "resurrected", "reordered")
MESSAGE_CLASSES = ("ok", "lost", "recovered", "unsent", "refused", "unexpected")
EXAMPLES_PER_KIND = 5


@dataclass(frozen=True)
class _Delivery:
    msg: str
    queue: str
    handle: str
    start: float
    end: float
    order: tuple[float, int, int]  # (end, receive's index, position in its answer)


@dataclass
class Report:
    """Counts per class and per violation, counts of operations by outcome, and examples."""

    counts: Counter[str] = field(default_factory=Counter)
    operations: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def passed(self) -> bool:
        return all(self.counts[kind] == 0 for kind in VIOLATIONS)

    def flag(self, kind: str, example: str) -> None:
        self.counts[kind] += 1
        if len(self.examples[kind]) < EXAMPLES_PER_KIND:
            self.examples[kind].append(example)

    def summary(self) -> str:
        """One line: message classes, then violations and redeliveries, then operations."""
        classes = " ".join(f"{k}={self.counts[k]}" for k in MESSAGE_CLASSES)
        extra = " ".join(
            f"{k}={self.counts[k]}" for k in ("duplicated", "redelivered", "resurrected")
        )
        ops = " ".join(f"{k}={v}" for k, v in sorted(self.operations.items()))
        return f"{classes} | {extra} reordered={self.counts['reordered']} | {ops}"

    def details(self) -> str:
        return "\n".join(
            f"  {kind}: {example}" for kind, found in self.examples.items() for example in found
        )


def check(history: History) -> Report:
    report = Report()
    for kind, ops in (
        ("send", history.sends),
        ("receive", history.receives),
        ("delete", history.deletes),
    ):
        for op in ops:
            report.operations[f"{kind}.{op.outcome}"] += 1
    sends = {s.msg: s for s in history.sends}
    deliveries = _deliveries(history)
    deletes: dict[str, list[Delete]] = defaultdict(list)
    for delete in history.deletes:
        deletes[delete.msg].append(delete)
    _classify(report, sends, deliveries)
    for msg, seen in deliveries.items():
        timeout = history.visibility[seen[0].queue]
        _check_redeliveries(report, msg, seen, timeout)
        _check_deletes(report, msg, seen, deletes[msg])
    _check_fifo_order(report, history.sends, deliveries)
    return report


def _deliveries(history: History) -> dict[str, list[_Delivery]]:
    """Every delivery of every message, in the order they happened."""
    found: dict[str, list[_Delivery]] = defaultdict(list)
    for index, receive in enumerate(history.receives):
        for pos, got in enumerate(receive.messages):
            found[got.msg].append(
                _Delivery(
                    got.msg,
                    receive.queue,
                    got.handle,
                    receive.start,
                    receive.end,
                    (receive.end, index, pos),
                )
            )
    for seen in found.values():
        seen.sort(key=lambda d: d.order)
    return found


def _classify(
    report: Report, sends: dict[str, Send], deliveries: dict[str, list[_Delivery]]
) -> None:
    for msg, send in sends.items():
        seen = deliveries.get(msg)
        if not seen:
            kind = {"ok": "lost", "unknown": "unsent", "failed": "refused"}[send.outcome]
            if kind == "lost":
                report.flag("lost", f"{msg}: sent ok at {send.end:.3f}, never delivered")
            else:
                report.counts[kind] += 1
        elif send.outcome == "failed":
            report.flag("unexpected", f"{msg}: its send failed, delivered at {seen[0].end:.3f}")
        elif any(d.queue != send.queue for d in seen):
            report.flag("unexpected", f"{msg}: sent to {send.queue}, delivered elsewhere")
        else:
            report.counts["ok" if send.outcome == "ok" else "recovered"] += 1
    for msg, seen in deliveries.items():
        if msg not in sends:
            report.flag("unexpected", f"{msg}: never sent, delivered at {seen[0].end:.3f}")


def _check_redeliveries(report: Report, msg: str, seen: list[_Delivery], timeout: float) -> None:
    """A later delivery that ended before an earlier one's visibility could have run out."""
    for before, after in pairwise(seen):
        if after.end < before.start + timeout - CLOCK_SLACK_S:
            report.flag(
                "duplicated",
                f"{msg}: delivered at [{before.start:.3f}, {before.end:.3f}] and again at "
                f"[{after.start:.3f}, {after.end:.3f}], within its {timeout} s visibility",
            )
            return
    if len(seen) > 1:
        report.counts["redelivered"] += 1


def _check_deletes(report: Report, msg: str, seen: list[_Delivery], deletes: list[Delete]) -> None:
    """A delivery that began after an acknowledged delete of ``msg``."""
    by_handle = {d.handle: d for d in seen}
    for delete in deletes:
        if delete.outcome != "ok" or delete.handle not in by_handle:
            continue
        later = [d for d in seen if d.start > delete.end]
        if later:
            report.flag(
                "resurrected",
                f"{msg}: deleted ok at [{delete.start:.3f}, {delete.end:.3f}] by the handle of "
                f"the delivery at {by_handle[delete.handle].start:.3f}, delivered again at "
                f"{later[0].start:.3f}",
            )
            return


def _check_fifo_order(
    report: Report, sends: list[Send], deliveries: dict[str, list[_Delivery]]
) -> None:
    """Per FIFO group, acknowledged sends first delivered in the order they were sent."""
    groups: dict[tuple[str, str], list[Send]] = defaultdict(list)
    for send in sends:
        if send.group is not None and send.outcome == "ok":
            groups[(send.queue, send.group)].append(send)
    for (queue, group), acked in groups.items():
        acked.sort(key=lambda s: s.seq if s.seq is not None else -1)
        latest: tuple[tuple[float, int, int], Send] | None = None
        for send in acked:
            seen = deliveries.get(send.msg)
            if not seen:
                continue  # lost, and counted so
            first = seen[0].order
            if latest is not None and first < latest[0]:
                report.flag(
                    "reordered",
                    f"{queue} group {group}: seq {send.seq} ({send.msg}) first delivered at "
                    f"{first[0]:.3f}, after seq {latest[1].seq} ({latest[1].msg}) at "
                    f"{latest[0][0]:.3f}",
                )
            elif latest is None or first > latest[0]:
                latest = (first, send)
