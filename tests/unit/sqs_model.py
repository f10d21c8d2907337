"""A pure reference model of Amazon SQS message delivery, for property-based tests of the engine.

The model says what AWS *allows*, not what one implementation happens to do. When several messages
are eligible AWS leaves the choice open (which visible messages a standard-queue receive returns,
which message groups a FIFO receive serves), so ``deliverable`` describes every allowed answer as
constraints and ``receive`` checks an observed answer against them. Where the documentation leaves
an outcome open (a send at the very edge of the deduplication interval) the caller passes the
outcome it observed and the model checks that it is one of the allowed ones, then follows it. Where
the documentation leaves an outcome open but AWS was observed to choose one (receipt handles from an
earlier receive, or after the visibility timeout ran out), the model follows what AWS did.

Time is injected (epoch milliseconds) on every call: nothing here reads a clock, sleeps or does I/O.
Retention is not modelled (tests keep far inside the default four days), nor are dead-letter queues.

The rules, and the AWS documentation each comes from (SQS Developer Guide unless marked API):

* Visibility timeout: a received message stays in the queue, hidden from other receives until
  ``now + timeout``; then it is visible again and the next receive of it counts one more receive.
  sqs-visibility-timeout.html; API ReceiveMessage (VisibilityTimeout).
* ChangeMessageVisibility: the new timeout counts from the call, 0 makes the message visible at
  once. API_ChangeMessageVisibility.html. Standard queues: any receipt handle of a message that is
  not deleted changes it while it is *in flight* (received, not deleted, still hidden), also one
  from an earlier receive (LocalStack's AWS-validated test_terminate_visibility_timeout_after_
  receive); a message not in flight is left as it is, and the call succeeds (AWS answers 200 and
  does nothing: snapshot ``visibility_timeout_expired``, LocalStack PR 9632). FIFO queues: only a
  message in flight, by its latest receipt handle; the call fails otherwise.
* DeleteMessage: a message already deleted: success, no effect. Standard queues: any receipt handle
  of the message deletes it (the API reference says an older one "will still succeed, but the
  message might not be deleted"; AWS deletes: LocalStack's SNS filter-policy snapshots). FIFO
  queues: only the latest receipt handle while the message is in flight; otherwise AWS answers
  "The receipt handle has expired" (snapshot ``delete_after_timeout_fifo``; AWS knowledge center
  sqs-receipt-handle-error: handles expire with the visibility timeout).
* Delay: a queue's DelaySeconds hides every new message for that long; a standard queue's
  per-message DelaySeconds overrides it; "FIFO queues don't support timers on individual messages":
  a FIFO send with a non-zero DelaySeconds is rejected, and 0 is taken as "not given" (the queue's
  delay applies; observed on AWS). sqs-delay-queues.html, sqs-message-timers.html, API SendMessage.
* FIFO order: "Messages within the same message group are always processed one at a time, in
  strict order"; no more messages of a group are returned "unless you delete the message or it
  becomes visible". As observed on AWS: a group is ready again as soon as its *head* (its oldest
  message not deleted) is visible, by its own timeout or ChangeMessageVisibility, even while later
  messages of it are in flight; a receive delivers from the head the visible messages up to the
  first one that is not. Ready groups are served in the order of their heads (the time the head
  became visible, then send order): "groups that have waited longest come first", one group's
  ready messages all before the next group's. FIFO-key-terms.html,
  FIFO-queues-understanding-logic.html, interleaving-multiple-ordered-message-groups.html.
* FIFO deduplication: a send whose deduplication id was seen within the 5-minute interval is
  accepted but not delivered again; the id is tracked "even after the message has been received and
  deleted"; with ContentBasedDeduplication and no explicit id, the id is the SHA-256 of the body; an
  explicit id overrides it; without either the send fails; MessageGroupId is required.
  FIFO-key-terms.html, API SendMessage (MessageDeduplicationId, MessageGroupId).

Pages under https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/ and
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

DEDUP_INTERVAL_MS = 5 * 60 * 1000


class NotAllowed(AssertionError):
    """An observed outcome that AWS's documented semantics (this model) do not allow."""


def content_dedup_id(body: str) -> str:
    """The deduplication id SQS derives from a body under ContentBasedDeduplication."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass
class Message:
    key: int  # the model's own name for the message: 0, 1, 2, ... in send order
    body: str
    group_id: str | None
    dedup_id: str | None  # the effective deduplication id (FIFO queues only)
    sent_ms: int
    visible_at_ms: int  # end of the delay, then of the latest visibility timeout
    receives: int = 0
    deleted: bool = False

    def visible(self, now: int) -> bool:
        return not self.deleted and self.visible_at_ms <= now

    def in_flight(self, now: int) -> bool:
        return not self.deleted and self.receives > 0 and self.visible_at_ms > now


@dataclass(frozen=True)
class Receipt:
    """A receipt handle, abstractly: the ``receive_no``-th receive of message ``key``."""

    key: int
    receive_no: int

    def __repr__(self) -> str:
        return f"Receipt(m{self.key}#{self.receive_no})"


@dataclass(frozen=True)
class SendResult:
    status: str  # "enqueued" | "duplicate" | "rejected"
    key: int | None = None  # the new message, or the original one a duplicate send reports
    reason: str = ""


@dataclass(frozen=True)
class Deliverable:
    """Every answer one receive may give now.

    ``runs`` are disjoint tuples of message keys. An answer is allowed when it holds at most
    ``max_messages`` distinct messages and, from each run, takes a prefix of it in order. On a
    standard queue each visible message is a run of its own (any subset, any order); on a FIFO
    queue each message group whose head is visible has one run: its messages in send order, up to
    the first one that is not visible. FIFO runs are ``ordered``: in the order of their heads, and
    an answer takes them in that order, each one whole before the next (it may stop anywhere).
    """

    runs: tuple[tuple[int, ...], ...]
    ordered: bool = False

    @property
    def keys(self) -> frozenset[int]:
        return frozenset(k for run in self.runs for k in run)

    def violation(self, keys: Sequence[int], max_messages: int) -> str | None:
        """Why the answer ``keys`` is not allowed, or None when it is."""
        try:
            self.check(keys, max_messages)
        except NotAllowed as exc:
            return str(exc)
        return None

    def check(self, keys: Sequence[int], max_messages: int) -> None:
        """Raise NotAllowed unless one receive may answer ``keys`` (in this order)."""
        if len(keys) > max_messages:
            raise NotAllowed(f"{len(keys)} messages returned, at most {max_messages} asked for")
        if len(set(keys)) != len(keys):
            raise NotAllowed(f"a message returned twice in one response: {_names(keys)}")
        run_of = {k: run for run in self.runs for k in run}
        taken: dict[tuple[int, ...], list[int]] = {}
        for k in keys:
            run = run_of.get(k)
            if run is None:
                raise NotAllowed(
                    f"m{k} may not be delivered now (deliverable: {self.describe()}); "
                    f"response {_names(keys)}"
                )
            taken.setdefault(run, []).append(k)
        for run, got in taken.items():
            if tuple(got) != run[: len(got)]:
                raise NotAllowed(
                    f"group order broken: response holds {_names(got)} of the group whose next "
                    f"messages are {_names(run)} (a prefix, in order, is required)"
                )
        if self.ordered:
            expected = [k for run in self.runs for k in run][: len(keys)]
            if list(keys) != expected:
                raise NotAllowed(
                    f"groups not served in the order of their heads: response {_names(keys)}, "
                    f"expected {_names(expected)} (deliverable: {self.describe()})"
                )

    def describe(self) -> str:
        return "; ".join(_names(run) for run in self.runs) or "none"


def _names(keys: Sequence[int]) -> str:
    return "[" + ", ".join(f"m{k}" for k in keys) + "]"


@dataclass
class _DedupRecord:
    key: int  # the message first sent with this deduplication id
    first_ms: int  # when it was sent: the interval runs from here
    last_ms: int  # the latest send that was treated as its duplicate


@dataclass
class QueueModel:
    fifo: bool
    content_based_dedup: bool = False
    delay_s: int = 0  # the queue's DelaySeconds
    visibility_s: int = 30  # the queue's VisibilityTimeout
    messages: list[Message] = field(default_factory=list)
    _dedup: dict[str, _DedupRecord] = field(default_factory=dict)

    # --- send ---

    def send(
        self,
        now: int,
        body: str,
        *,
        group_id: str | None = None,
        dedup_id: str | None = None,
        delay_s: int | None = None,
        accepted: bool | None = None,
        duplicate: bool | None = None,
    ) -> SendResult:
        """Send one message. ``accepted`` and ``duplicate`` are observed outcomes (did the send
        succeed? did it report an earlier message's id?), checked against the rules; None lets the
        model decide, which it refuses to do where AWS leaves the outcome open."""
        if not self.fifo:
            if accepted is False:
                raise NotAllowed("a valid send to a standard queue was rejected")
            if duplicate:
                raise NotAllowed("a standard queue does not deduplicate sends")
            delay = self.delay_s if delay_s is None else delay_s
            return SendResult("enqueued", self._enqueue(now, body, group_id, None, delay))
        if group_id is None:
            if accepted:
                raise NotAllowed("a FIFO send without MessageGroupId must be rejected")
            return SendResult("rejected", reason="MessageGroupId is required on a FIFO queue")
        if delay_s:  # 0 is accepted, and means the queue's delay
            if accepted:
                raise NotAllowed("a FIFO send with a per-message DelaySeconds must be rejected")
            return SendResult("rejected", reason="FIFO queues take no per-message DelaySeconds")
        effective = dedup_id
        if effective is None and self.content_based_dedup:
            effective = content_dedup_id(body)
        if effective is None:
            if accepted:
                raise NotAllowed(
                    "a FIFO send without MessageDeduplicationId to a queue without "
                    "ContentBasedDeduplication must be rejected"
                )
            return SendResult("rejected", reason="no MessageDeduplicationId, no content dedup")
        if accepted is False:
            raise NotAllowed("a valid FIFO send was rejected")
        status, record = self.dedup_status(now, effective)
        if duplicate is None:
            if status == "either":
                raise ValueError(f"AWS leaves this send open; pass the observed outcome ({now=})")
            duplicate = status == "duplicate"
        if duplicate and status == "fresh":
            raise NotAllowed(f"deduplication id {effective!r} is not in its interval: must enqueue")
        if not duplicate and status == "duplicate":
            assert record is not None
            raise NotAllowed(
                f"deduplication id {effective!r} was sent {now - record.first_ms} ms ago as "
                f"m{record.key} (interval {DEDUP_INTERVAL_MS} ms): the send must be accepted "
                f"without enqueuing, reporting m{record.key}'s message id"
            )
        if duplicate:
            assert record is not None
            record.last_ms = now
            return SendResult("duplicate", record.key)
        key = self._enqueue(now, body, group_id, effective, self.delay_s)
        self._dedup[effective] = _DedupRecord(key, now, now)
        return SendResult("enqueued", key)

    def dedup_status(self, now: int, dedup_id: str) -> tuple[str, _DedupRecord | None]:
        """ "duplicate", "fresh" or "either" (AWS leaves it open) for a FIFO send of ``dedup_id``.

        Open: the exact edge of the interval, and whether a duplicate send restarts the interval
        (the documentation only says the interval follows a *successful* send)."""
        record = self._dedup.get(dedup_id)
        if record is None:
            return "fresh", None
        age = now - record.first_ms
        if age < DEDUP_INTERVAL_MS:
            return "duplicate", record
        if age == DEDUP_INTERVAL_MS or now - record.last_ms < DEDUP_INTERVAL_MS:
            return "either", record
        return "fresh", record

    def _enqueue(
        self, now: int, body: str, group_id: str | None, dedup_id: str | None, delay_s: int
    ) -> int:
        key = len(self.messages)
        self.messages.append(Message(key, body, group_id, dedup_id, now, now + delay_s * 1000))
        return key

    # --- receive ---

    def deliverable(self, now: int) -> Deliverable:
        live = [m for m in self.messages if not m.deleted]
        if not self.fifo:
            return Deliverable(tuple((m.key,) for m in live if m.visible(now)))
        groups: dict[str | None, list[Message]] = {}
        for m in live:  # send order
            groups.setdefault(m.group_id, []).append(m)
        ready = []
        for members in groups.values():
            run = []
            for m in members:  # from the head; an empty run: the head is not visible
                if not m.visible(now):
                    break
                run.append(m.key)
            if run:
                head = members[0]
                ready.append(((head.visible_at_ms, head.key), tuple(run)))
        ready.sort()
        return Deliverable(tuple(run for _, run in ready), ordered=True)

    def receive(
        self,
        now: int,
        keys: Sequence[int],
        *,
        max_messages: int = 10,
        visibility_s: int | None = None,
    ) -> list[Receipt]:
        """Check that one receive may return ``keys`` (in this order), then apply it."""
        deliverable = self.deliverable(now)
        allowed = deliverable.keys
        for k in keys:  # first name the rule a message outside the deliverable set breaks
            m = self.messages[k]
            if k in allowed:
                continue
            if m.deleted:
                raise NotAllowed(f"m{k} delivered after it was deleted")
            if m.in_flight(now):
                left = m.visible_at_ms - now
                raise NotAllowed(f"m{k} delivered while in flight ({left} ms of its timeout left)")
            if not m.visible(now):
                raise NotAllowed(
                    f"m{k} delivered during its delay ({m.visible_at_ms - now} ms left)"
                )
            before = [
                o.key
                for o in self.live()
                if o.group_id == m.group_id and o.key < k and not o.visible(now)
            ]
            raise NotAllowed(
                f"m{k} of group {m.group_id!r} delivered behind {_names(before)}, which are not "
                f"visible (deliverable: {deliverable.describe()})"
            )
        deliverable.check(keys, max_messages)
        timeout = self.visibility_s if visibility_s is None else visibility_s
        receipts = []
        for k in keys:
            m = self.messages[k]
            m.receives += 1
            m.visible_at_ms = now + timeout * 1000
            receipts.append(Receipt(k, m.receives))
        return receipts

    # --- delete and visibility ---

    def _named(self, receipt: Receipt, now: int) -> tuple[Message | None, bool]:
        """The message a receipt names (None once deleted), and whether the receipt is the
        latest receive's and the message in flight: a FIFO queue's only valid handle."""
        m = self.messages[receipt.key]
        if m.deleted:
            return None, False
        return m, receipt.receive_no == m.receives and m.in_flight(now)

    def delete(self, now: int, receipt: Receipt, *, accepted: bool | None = None) -> bool:
        """Delete by receipt; ``accepted`` is the observed outcome (no error). Returns whether the
        message is gone now (by this delete)."""
        m, current = self._named(receipt, now)
        if m is None:  # already deleted: success, no effect
            if accepted is False:
                raise NotAllowed(f"delete with {receipt} of a deleted message must succeed")
            return False
        if not self.fifo or current:
            if accepted is False:
                raise NotAllowed(f"delete with {receipt} must succeed and delete the message")
            m.deleted = True
            return True
        # FIFO: an earlier receive's receipt, or the visibility timeout ran out.
        if accepted is True:
            raise NotAllowed(f"delete with {receipt} must fail: the receipt handle has expired")
        return False

    def change_visibility(
        self, now: int, receipt: Receipt, timeout_s: int, *, accepted: bool | None = None
    ) -> bool:
        """Change the visibility timeout; ``accepted`` is the observed outcome. Returns whether the
        change applies: to an in-flight message, by any of its receipts (standard queues) or by
        its latest (FIFO queues). A standard queue's message not in flight: success, no change."""
        m, current = self._named(receipt, now)
        if self.fifo:
            applies = succeeds = m is not None and current
        else:
            succeeds = m is not None
            applies = succeeds and m is not None and m.in_flight(now)
        if accepted is not None and accepted != succeeds:
            state = "deleted" if m is None else "not in flight or named by an earlier receipt"
            raise NotAllowed(
                f"change visibility of {receipt} must succeed"
                if succeeds
                else f"change visibility of {receipt} must fail: message {state}"
            )
        if m is not None and applies:
            m.visible_at_ms = now + timeout_s * 1000
        return applies

    # --- observation ---

    def live(self) -> list[Message]:
        return [m for m in self.messages if not m.deleted]

    def counts(self, now: int) -> tuple[int, int, int]:
        """(visible, in flight, delayed), as ApproximateNumberOfMessages{,NotVisible,Delayed}."""
        live = self.live()
        visible = sum(m.visible(now) for m in live)
        in_flight = sum(m.in_flight(now) for m in live)
        return visible, in_flight, len(live) - visible - in_flight

    def settled_at(self, now: int) -> int:
        """The earliest time from which every live message is visible (no delay, no timeout)."""
        return max([now, *(m.visible_at_ms for m in self.live())])
