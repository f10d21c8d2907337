"""The engine against a pure model of SQS delivery semantics (``tests/unit/sqs_model.py``).

Hypothesis drives random sends, receives, deletes (with latest and earlier receipt handles),
visibility changes and clock jumps (past the 5-minute deduplication interval too) against the real
engine over a real SQLite store with a fake clock, and against the model. After every step:

* every message a receive returns was deliverable (visible, not deleted; on FIFO queues its group
  had nothing in flight), so nothing is delivered twice while invisible;
* messages of one group come in send order, as a prefix of what the group has ready;
* receive counts, bodies and group ids agree; sends, deletes and visibility changes succeed or fail
  where the model says (FIFO: dedup hits return the original message id, sends without a group or a
  deduplication id are rejected);
* the queue's counts (visible / in flight / delayed), when checked, agree with the model;
* a receive returns something whenever the model has a deliverable message (AWS short polls may
  come back empty; densho has one store, so it promises this);

and at the end of each example nothing is lost: with the clock past every timeout, draining the
queue (receive, delete) yields exactly the messages the model still holds, each once.

The machines are plain ``RuleBasedStateMachine``s run with ``run_state_machine_as_test``; each
example gets its own temporary directory, SQLite store and event loop.
"""

from __future__ import annotations

import asyncio
import functools
import os
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    multiple,
    rule,
    run_state_machine_as_test,
)

from densho.core import errors
from densho.core.clock import FakeClock
from densho.core.sqs_model import Queue
from densho.sqs.engine import SqsEngine
from densho.sqs.flow import Outgoing
from densho.storage.sqlite import SqliteStore
from tests.unit.sqs_model import (
    DEDUP_INTERVAL_MS,
    NotAllowed,
    QueueModel,
    Receipt,
    content_dedup_id,
)

T = TypeVar("T")

ACCOUNT = "000000000000"
REGION = "us-east-1"
QUEUE_VISIBILITY_S = 20
BODIES = ("a", "b", "c", "d")
GROUPS = ("g1", "g2", "g3")
DEDUP_IDS = ("d1", "d2", "d3", "d4", "d5")
# Jumps around the visibility timeouts used here and around the deduplication interval.
ADVANCES_MS = (
    1,
    999,
    1_000,
    2_000,
    4_999,
    10_000,
    20_000,
    60_000,
    150_000,
    240_000,
    DEDUP_INTERVAL_MS - 1,
    DEDUP_INTERVAL_MS,
    DEDUP_INTERVAL_MS + 1_000,
)
RECEIVE_VISIBILITY = (None, None, 0, 1, 5, 30)
NEW_VISIBILITY = (0, 1, 10, 60)

# Each example opens a fresh store; in memory-backed /dev/shm that is about twice as fast, which
# matters when hypothesis replays a thousand examples to shrink a failure.
SCRATCH_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None

SETTINGS = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    # Stop at the first failure and shrink only that one (a failing run stays within seconds);
    # SQS_MODEL_ALL_FAILURES=1 hunts for and shrinks every distinct failure (a minute or more).
    report_multiple_bugs=os.environ.get("SQS_MODEL_ALL_FAILURES") == "1",
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=[HealthCheck.too_slow],
)


def _step(fn: Callable[..., T]) -> Callable[..., T]:
    """Mark the machine broken when a step fails, so teardown only cleans up after that."""

    @functools.wraps(fn)
    def step(self: ModelMachine, *args: Any, **kwargs: Any) -> T:
        try:
            return fn(self, *args, **kwargs)
        except BaseException:
            self.broken = True
            raise

    return step


class Ref:
    """A receipt handle the test holds: the engine's string and the model's receipt."""

    def __init__(self, handle: str, receipt: Receipt) -> None:
        self.handle = handle
        self.receipt = receipt

    def __repr__(self) -> str:
        return repr(self.receipt)


class ModelMachine(RuleBasedStateMachine):
    FIFO: ClassVar[bool] = False
    CONTENT_DEDUP: ClassVar[bool] = False
    NAME: ClassVar[str] = "q"

    receipts = Bundle("receipts")

    def __init__(self) -> None:
        super().__init__()
        self.broken = False
        self._tmp = tempfile.TemporaryDirectory(prefix="densho-model-", dir=SCRATCH_DIR)
        self._loop = asyncio.new_event_loop()
        self._store = SqliteStore(Path(self._tmp.name) / "t.db", synchronous="OFF")
        try:
            self.run(self._store.open())
        except BaseException:
            self._loop.close()
            self._tmp.cleanup()
            raise
        self.clock = FakeClock()
        self.engine = SqsEngine(self._store, self.clock)
        self.model = QueueModel(fifo=self.FIFO, content_based_dedup=self.CONTENT_DEDUP)
        self._queue: Queue | None = None
        self.keys: dict[str, int] = {}  # engine message id -> model key
        self.sequence: dict[int, int] = {}  # FIFO: model key -> sequence number at send
        self.unique = 0

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coro)

    @property
    def queue(self) -> Queue:
        assert self._queue is not None
        return self._queue

    def now(self) -> int:
        return self.clock.now_ms()

    # --- set-up ---

    @initialize(delay_s=st.sampled_from((0, 0, 2)))
    @_step
    def create_queue(self, delay_s: int) -> None:
        attributes = {"VisibilityTimeout": str(QUEUE_VISIBILITY_S), "DelaySeconds": str(delay_s)}
        if self.FIFO:
            attributes["FifoQueue"] = "true"
            attributes["ContentBasedDeduplication"] = str(self.CONTENT_DEDUP).lower()
        self._queue = self.run(
            self.engine.queues.create_queue(ACCOUNT, REGION, self.NAME, attributes, {})
        )
        self.model.delay_s = delay_s
        self.model.visibility_s = QUEUE_VISIBILITY_S

    # --- operations ---

    def do_send(
        self,
        body: str,
        group_id: str | None = None,
        dedup_id: str | None = None,
        delay_s: int | None = None,
    ) -> bool:
        """Send through the engine and the model; True when the send was accepted."""
        now = self.now()
        out = Outgoing(body, delay_seconds=delay_s, group_id=group_id, dedup_id=dedup_id)
        try:
            prepared = self.engine.messages.prepare(self.queue, out, "sender", now)
            (sent,) = self.run(self.engine.messages.send(self.queue, [prepared]))
        except errors.DomainError:
            self.model.send(
                now, body, group_id=group_id, dedup_id=dedup_id, delay_s=delay_s, accepted=False
            )
            event("send: rejected")
            return False
        duplicate = sent.message_id in self.keys
        result = self.model.send(
            now,
            body,
            group_id=group_id,
            dedup_id=dedup_id,
            delay_s=delay_s,
            accepted=True,
            duplicate=duplicate,
        )
        assert result.key is not None
        event(f"send: {result.status}")
        if duplicate:
            assert self.keys[sent.message_id] == result.key, (
                f"a duplicate send must report the original m{result.key}'s message id, "
                f"got m{self.keys[sent.message_id]}'s"
            )
            return True
        self.keys[sent.message_id] = result.key
        if self.FIFO:
            assert sent.sequence_number is not None, "FIFO sends return a sequence number"
            earlier = [
                self.sequence[m.key]
                for m in self.model.messages[: result.key]
                if m.group_id == group_id
            ]
            assert not earlier or sent.sequence_number > max(earlier), (
                "sequence numbers must increase within a message group"
            )
            self.sequence[result.key] = sent.sequence_number
        return True

    @rule(
        target=receipts,
        max_messages=st.integers(1, 10),
        visibility_s=st.sampled_from(RECEIVE_VISIBILITY),
    )
    @_step
    def receive(self, max_messages: int, visibility_s: int | None) -> Any:
        return multiple(*self.do_receive(max_messages, visibility_s))

    def do_receive(self, max_messages: int, visibility_s: int | None) -> list[Ref]:
        now = self.now()
        deliverable = self.model.deliverable(now)
        got = self.run(self.engine.messages.receive(self.queue, max_messages, visibility_s, 0))
        unknown = [m.message_id for m in got if m.message_id not in self.keys]
        assert not unknown, f"received messages that were never enqueued: {unknown}"
        keys = [self.keys[m.message_id] for m in got]
        receipts = self.model.receive(
            now, keys, max_messages=max_messages, visibility_s=visibility_s
        )
        assert got or not deliverable.runs, (
            f"empty receive although the model can deliver {deliverable.describe()}"
        )
        refs = []
        for m, receipt in zip(got, receipts, strict=True):
            expected = self.model.messages[receipt.key]
            assert m.receive_count == receipt.receive_no, (
                f"m{receipt.key}: receive count {m.receive_count}, model {receipt.receive_no}"
            )
            assert m.body == expected.body
            assert m.group_id == expected.group_id
            if self.FIFO:
                assert m.sequence_number == self.sequence[receipt.key]
            refs.append(Ref(m.receipt_handle, receipt))
        event(f"receive: {min(len(refs), 3)}{'+' if len(refs) >= 3 else ''} delivered")
        return refs

    @rule(ref=receipts)
    @_step
    def delete(self, ref: Ref) -> None:
        now = self.now()
        (problem,) = self.run(self.engine.messages.delete(self.queue, [ref.handle]))
        assert problem is None or isinstance(problem, errors.DomainError), repr(problem)
        deleted = self.model.delete(now, ref.receipt, accepted=problem is None)
        event(f"delete: {'deleted' if deleted else 'no effect'}")

    @rule(ref=receipts, timeout_s=st.sampled_from(NEW_VISIBILITY))
    @_step
    def change_visibility(self, ref: Ref, timeout_s: int) -> None:
        now = self.now()
        (problem,) = self.run(
            self.engine.messages.change_visibility(self.queue, [(ref.handle, timeout_s)])
        )
        assert problem is None or isinstance(problem, errors.DomainError), repr(problem)
        changed = self.model.change_visibility(
            now, ref.receipt, timeout_s, accepted=problem is None
        )
        event(f"change visibility: {'changed' if changed else 'refused'}")

    @rule(ms=st.sampled_from(ADVANCES_MS))
    @_step
    def advance(self, ms: int) -> None:
        self.clock.advance(ms)

    @rule()
    @_step
    def check_counts(self) -> None:
        counts = self.run(self.engine.queues.counts(self.queue))
        engine = (counts.visible, counts.in_flight, counts.delayed)
        assert engine == self.model.counts(self.now()), (
            f"counts (visible, in flight, delayed): engine {engine}, "
            f"model {self.model.counts(self.now())}"
        )

    # --- the end of every example ---

    def drain(self) -> None:
        """Past every timeout, receive and delete until empty: exactly the live messages come."""
        self.clock.advance(self.model.settled_at(self.now()) - self.now() + 1)
        drained: list[int] = []
        for _ in range(len(self.model.live()) + 2):
            refs = self.do_receive(10, 60)
            if not refs:
                break
            for ref in refs:
                drained.append(ref.receipt.key)
                (problem,) = self.run(self.engine.messages.delete(self.queue, [ref.handle]))
                assert problem is None, f"drain: delete of {ref} failed: {problem!r}"
                self.model.delete(self.now(), ref.receipt, accepted=True)
        event(f"drain: {min(len(drained), 3)}{'+' if len(drained) >= 3 else ''} messages")
        lost = [m.key for m in self.model.live()]
        assert not lost, f"messages never delivered (lost): {lost}; drained {drained}"
        counts = self.run(self.engine.queues.counts(self.queue))
        assert (counts.visible, counts.in_flight, counts.delayed) == (0, 0, 0), counts

    def teardown(self) -> None:
        try:
            if not self.broken and self._queue is not None:
                self.drain()
        finally:
            try:
                self.run(self._store.close())
                self.run(self._loop.shutdown_default_executor())
            finally:
                self._loop.close()
                self._tmp.cleanup()


class StandardMachine(ModelMachine):
    NAME = "standard"

    @rule(body=st.sampled_from(BODIES), delay_s=st.sampled_from((None, None, 0, 1, 5)))
    @_step
    def send(self, body: str, delay_s: int | None) -> None:
        self.do_send(body, delay_s=delay_s)


class StandardGroupsMachine(StandardMachine):
    """A fair queue: a standard queue whose messages carry MessageGroupId, or not. Fair queues
    change only which messages come first, so the standard rules of the model hold unchanged
    (any visible message, never one in flight, nothing lost)."""

    NAME = "standard-groups"

    @rule(
        body=st.sampled_from(BODIES),
        group_id=st.sampled_from((None, *GROUPS)),
        delay_s=st.sampled_from((None, None, 0, 1, 5)),
    )
    @_step
    def send_grouped(self, body: str, group_id: str | None, delay_s: int | None) -> None:
        self.do_send(body, group_id=group_id, delay_s=delay_s)


class FifoMachine(ModelMachine):
    FIFO = True
    NAME = "fifo.fifo"
    DEDUP_CHOICES: ClassVar[tuple[str | None, ...]] = (None, *DEDUP_IDS)

    sent = Bundle("sent")  # (body, group id, dedup id) of accepted sends, to send again

    def send_fifo(self, body: str, group_id: str, dedup_id: str | None) -> Any:
        if self.do_send(body, group_id=group_id, dedup_id=dedup_id):
            return multiple((body, group_id, dedup_id))
        return multiple()

    @rule(
        target=sent,
        body=st.sampled_from(BODIES),
        group_id=st.sampled_from(GROUPS),
        dedup_id=st.sampled_from(DEDUP_CHOICES),
    )
    @_step
    def send(self, body: str, group_id: str, dedup_id: str | None) -> Any:
        return self.send_fifo(body, group_id, dedup_id)

    @rule(target=sent, body=st.sampled_from(BODIES), group_id=st.sampled_from(GROUPS))
    @_step
    def send_unique(self, body: str, group_id: str) -> Any:
        """A send no earlier one duplicates: a fresh deduplication id, or a fresh body."""
        self.unique += 1
        if self.CONTENT_DEDUP:
            return self.send_fifo(f"{body}{self.unique}", group_id, None)
        return self.send_fifo(body, group_id, f"u{self.unique}")

    @rule(body=st.sampled_from(BODIES), group_id=st.sampled_from(GROUPS))
    @_step
    def send_zero_delay(self, body: str, group_id: str) -> None:
        """DelaySeconds=0 on a FIFO send: accepted, and the queue's delay applies (AWS)."""
        self.unique += 1
        dedup_id = None if self.CONTENT_DEDUP else f"z{self.unique}"
        body = f"{body}{self.unique}" if self.CONTENT_DEDUP else body
        assert self.do_send(body, group_id=group_id, dedup_id=dedup_id, delay_s=0)

    @rule(spec=sent)
    @_step
    def send_again(self, spec: tuple[str, str, str | None]) -> None:
        """An earlier send repeated (a producer's retry), at whatever age it has now."""
        body, group_id, dedup_id = spec
        self.do_send(body, group_id=group_id, dedup_id=dedup_id)

    @rule(
        body=st.sampled_from(BODIES),
        dedup_id=st.sampled_from(DEDUP_IDS),
        missing_group=st.booleans(),
    )
    @_step
    def send_invalid(self, body: str, dedup_id: str, missing_group: bool) -> None:
        """A send AWS rejects on FIFO queues: no MessageGroupId, or a per-message delay."""
        if missing_group:
            self.do_send(body, dedup_id=dedup_id)
        else:
            self.do_send(body, group_id=GROUPS[0], dedup_id=dedup_id, delay_s=5)


class FifoContentDedupMachine(FifoMachine):
    CONTENT_DEDUP = True
    NAME = "fifo-cbd.fifo"
    DEDUP_CHOICES = (None, None, None, *DEDUP_IDS[:2])


def test_standard_queue_matches_model() -> None:
    run_state_machine_as_test(StandardMachine, settings=SETTINGS)


def test_standard_queue_with_groups_matches_model() -> None:
    run_state_machine_as_test(StandardGroupsMachine, settings=SETTINGS)


def test_fifo_queue_matches_model() -> None:
    run_state_machine_as_test(FifoMachine, settings=SETTINGS)


def test_fifo_content_dedup_queue_matches_model() -> None:
    run_state_machine_as_test(FifoContentDedupMachine, settings=SETTINGS)


# --- the model on its own: hand-checked cases ---

T0 = 1_700_000_000_000


def test_model_visibility_timeout_and_redelivery() -> None:
    q = QueueModel(fifo=False, visibility_s=10)
    (k,) = [q.send(T0, "x").key]
    assert k == 0 and q.deliverable(T0).keys == {0}
    (r1,) = q.receive(T0, [0])
    assert q.counts(T0) == (0, 1, 0)
    assert q.deliverable(T0 + 9_999).keys == frozenset()
    with pytest.raises(NotAllowed):
        q.receive(T0 + 9_999, [0])  # still invisible: a second delivery is not allowed
    (r2,) = q.receive(T0 + 10_000, [0])
    assert (r1.receive_no, r2.receive_no) == (1, 2)
    with pytest.raises(NotAllowed):
        q.delete(T0 + 10_000, r1, accepted=False)  # an earlier receipt's delete must not fail
    assert q.delete(T0 + 10_000, r1) is True  # ... and deletes the message (standard queue)
    assert q.live() == [] and q.counts(T0 + 10_000) == (0, 0, 0)
    assert q.delete(T0 + 10_000, r2) is False  # already deleted: success, no effect


def test_model_change_visibility() -> None:
    q = QueueModel(fifo=False, visibility_s=30)
    q.send(T0, "x")
    (r,) = q.receive(T0, [0])
    assert q.change_visibility(T0 + 5_000, r, 10) is True
    assert q.deliverable(T0 + 14_999).keys == frozenset()
    assert q.deliverable(T0 + 15_000).keys == {0}  # counted from the call, not the receive
    # Standard queue: visible again, the call succeeds and changes nothing.
    assert q.change_visibility(T0 + 15_000, r, 60) is False
    with pytest.raises(NotAllowed):
        q.change_visibility(T0 + 15_000, r, 60, accepted=False)  # must succeed
    assert q.deliverable(T0 + 15_000).keys == {0}
    # In flight by a later receive: an earlier receipt's change applies.
    (r2,) = q.receive(T0 + 15_000, [0])
    assert q.change_visibility(T0 + 15_000, r, 0) is True
    assert q.deliverable(T0 + 15_000).keys == {0}
    q.delete(T0 + 15_000, r2)
    with pytest.raises(NotAllowed):
        q.change_visibility(T0 + 15_000, r2, 5, accepted=True)  # deleted


def test_model_fifo_change_visibility_needs_the_latest_receipt_in_flight() -> None:
    q = QueueModel(fifo=True, content_based_dedup=True, visibility_s=30)
    q.send(T0, "x", group_id="g")
    (r,) = q.receive(T0, [0])
    assert q.change_visibility(T0 + 5_000, r, 0) is True
    assert q.change_visibility(T0 + 5_000, r, 10) is False  # visible again: not in flight
    (r2,) = q.receive(T0 + 5_000, [0])
    assert q.change_visibility(T0 + 5_000, r, 10) is False  # an earlier receipt
    with pytest.raises(NotAllowed):
        q.change_visibility(T0 + 5_000, r, 10, accepted=True)
    assert q.change_visibility(T0 + 5_000, r2, 10) is True


def test_model_expired_handles_delete_on_standard_queues_only() -> None:
    q = QueueModel(fifo=False, visibility_s=1)
    q.send(T0, "x")
    (r,) = q.receive(T0, [0])
    with pytest.raises(NotAllowed):
        q.delete(T0 + 1_000, r, accepted=False)  # standard queue: it deletes
    assert q.delete(T0 + 1_000, r, accepted=True) is True
    f = QueueModel(fifo=True, content_based_dedup=True, visibility_s=1)
    f.send(T0, "y", group_id="g")
    (r,) = f.receive(T0, [0])
    with pytest.raises(NotAllowed):
        f.delete(T0 + 1_000, r, accepted=True)  # "The receipt handle has expired"
    assert f.delete(T0 + 1_000, r, accepted=False) is False
    (r2,) = f.receive(T0 + 1_000, [0])
    assert f.delete(T0 + 1_000, r, accepted=False) is False  # an earlier receipt: expired too
    with pytest.raises(NotAllowed):
        f.delete(T0 + 1_999, r2, accepted=False)  # in flight: the latest receipt must delete
    assert f.delete(T0 + 1_999, r2) is True
    assert f.delete(T0 + 1_999, r2) is False  # already deleted: success, no effect


def test_model_delays() -> None:
    q = QueueModel(fifo=False, delay_s=5)
    q.send(T0, "queue delay")
    q.send(T0, "own delay", delay_s=1)
    q.send(T0, "no delay", delay_s=0)
    assert q.deliverable(T0).keys == {2}
    assert q.counts(T0) == (1, 0, 2)
    assert q.deliverable(T0 + 1_000).keys == {1, 2}
    assert q.deliverable(T0 + 5_000).keys == {0, 1, 2}
    f = QueueModel(fifo=True, content_based_dedup=True, delay_s=3)
    assert f.send(T0, "x", group_id="g", delay_s=1).status == "rejected"
    f.send(T0, "x", group_id="g")
    assert f.deliverable(T0 + 2_999).runs == ()
    assert f.deliverable(T0 + 3_000).runs == ((0,),)


def test_model_standard_receive_any_subset_any_order() -> None:
    q = QueueModel(fifo=False)
    for body in "abc":
        q.send(T0, body)
    d = q.deliverable(T0)
    assert d.violation([2, 0], 10) is None
    assert d.violation([1], 10) is None
    assert d.violation([], 10) is None
    assert d.violation([0, 1, 2], 2) is not None  # more than asked for
    assert d.violation([0, 0], 10) is not None  # twice in one response
    q.receive(T0, [2, 0])
    assert q.deliverable(T0).keys == {1}


def test_model_fifo_group_order_and_lock() -> None:
    q = QueueModel(fifo=True, visibility_s=30)
    for i, group in enumerate(["g1", "g1", "g2", "g1"]):
        assert q.send(T0 + i, f"b{i}", group_id=group, dedup_id=f"d{i}").key == i
    d = q.deliverable(T0 + 10)
    assert d.runs == ((0, 1, 3), (2,))  # groups in the order of their heads
    assert d.violation([0, 1, 3, 2], 10) is None  # several of a group, in order, then the next
    assert d.violation([0, 1], 2) is None
    assert d.violation([0, 2, 1], 10) is not None  # g2 before g1's ready messages are all taken
    assert d.violation([2], 10) is not None  # g2 before g1, whose head waited longer
    assert d.violation([1], 10) is not None  # skips m0
    assert d.violation([1, 0], 10) is not None  # out of order
    (r0,) = q.receive(T0 + 10, [0], max_messages=1)
    assert q.deliverable(T0 + 10).runs == ((2,),)  # g1 is locked while m0 is in flight
    with pytest.raises(NotAllowed):
        q.receive(T0 + 10, [1])
    assert q.delete(T0 + 10, r0)
    assert q.deliverable(T0 + 10).runs == ((1, 3), (2,))
    r1, r3 = q.receive(T0 + 10, [1, 3], max_messages=2, visibility_s=10)
    # m1 comes back first when its timeout ends, even though m3's was extended: its group is
    # ready again from its head, up to m3, still in flight (AWS).
    assert q.change_visibility(T0 + 10, r3, 60)
    assert q.deliverable(T0 + 10_010).runs == ((2,), (1,))  # g2's head waited longer
    assert q.deliverable(T0 + 10_010).violation([1], 10) is not None
    assert q.delete(T0 + 10_010, r3)
    assert q.deliverable(T0 + 10_010).runs == ((2,), (1,))
    _, r1b = q.receive(T0 + 10_010, [2, 1])
    assert r1b.receive_no == 2 and r1.receive_no == 1


def test_model_fifo_group_ready_when_its_head_is_visible() -> None:
    """AWS: receive g1-m1 and g1-m2, ChangeMessageVisibility(g1-m1, 0), receive 3 gives
    [g2-m1, g1-m1]; and groups are served by their heads: a group whose head was just received
    (even with VisibilityTimeout=0) goes behind groups never received."""
    q = QueueModel(fifo=True, visibility_s=30)
    for i, group in enumerate(["g1", "g1", "g2"]):
        q.send(T0 + i, f"b{i}", group_id=group, dedup_id=f"d{i}")
    r0, _ = q.receive(T0 + 10, [0, 1], max_messages=2)
    assert q.change_visibility(T0 + 20, r0, 0)
    q.receive(T0 + 30, [2, 0], max_messages=3)

    q = QueueModel(fifo=True, visibility_s=30)
    for i, group in enumerate(["g1", "g2", "g2", "g3", "g1"]):
        q.send(T0 + i, f"b{i}", group_id=group, dedup_id=f"d{i}")
    q.receive(T0 + 10, [0, 4, 1], max_messages=3, visibility_s=0)
    assert q.deliverable(T0 + 20).runs == ((3,), (0, 4), (1, 2))
    q.receive(T0 + 20, [3, 0, 4, 1, 2], visibility_s=0)


def test_model_fifo_zero_delay_means_the_queue_delay() -> None:
    q = QueueModel(fifo=True, delay_s=2)
    assert q.send(T0, "x", group_id="g", dedup_id="a", delay_s=0).status == "enqueued"
    assert q.deliverable(T0 + 1_999).keys == frozenset()
    assert q.deliverable(T0 + 2_000).keys == {0}
    assert q.send(T0, "y", group_id="g", dedup_id="b", delay_s=1).status == "rejected"


def test_model_fifo_deduplication() -> None:
    q = QueueModel(fifo=True, visibility_s=30)
    first = q.send(T0, "x", group_id="g", dedup_id="d")
    assert first.status == "enqueued"
    again = q.send(T0 + 1_000, "other body", group_id="other group", dedup_id="d")
    assert (again.status, again.key) == ("duplicate", first.key)  # scope: the whole queue
    (r,) = q.receive(T0 + 1_000, [0])
    q.delete(T0 + 1_000, r)
    # The id is still tracked after the message was received and deleted.
    assert q.send(T0 + 299_999, "x", group_id="g", dedup_id="d").status == "duplicate"
    with pytest.raises(NotAllowed):
        q.send(T0 + 299_999, "x", group_id="g", dedup_id="d", duplicate=False)
    # The edge of the interval, and a restart of it by duplicate sends, are left open...
    with pytest.raises(ValueError):
        q.send(T0 + DEDUP_INTERVAL_MS, "x", group_id="g", dedup_id="d")
    assert q.send(T0 + 300_001, "x", group_id="g", dedup_id="d", duplicate=True).key == 0
    # ... but well after the last duplicate send the id is fresh again.
    later = q.send(T0 + 700_000, "x", group_id="g", dedup_id="d")
    assert (later.status, later.key) == ("enqueued", 1)
    with pytest.raises(NotAllowed):
        q.send(T0 + 700_001, "x", group_id="g", dedup_id="d", duplicate=False)
    assert q.send(T0, "x", group_id="g").status == "rejected"  # no dedup id, no CBD
    assert q.send(T0, "x", dedup_id="e").status == "rejected"  # no group


def test_model_fifo_content_based_deduplication() -> None:
    q = QueueModel(fifo=True, content_based_dedup=True)
    a = q.send(T0, "same", group_id="g1")
    assert q.messages[0].dedup_id == content_dedup_id("same")
    assert content_dedup_id("same") == (
        "0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5"
    )
    assert q.send(T0 + 1, "same", group_id="g2").key == a.key  # body only, not the group
    assert q.send(T0 + 2, "same", group_id="g1", dedup_id="explicit").status == "enqueued"
    # An explicit id equal to the body's hash collides with it.
    assert q.send(T0 + 3, "else", group_id="g1", dedup_id=content_dedup_id("same")).key == a.key
    assert q.send(T0 + 4, "other", group_id="g1").status == "enqueued"
    assert [m.body for m in q.live()] == ["same", "same", "other"]
