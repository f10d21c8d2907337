"""Two densho nodes on one PostgreSQL database, driven concurrently: producers (boto3, several
threads) send through one node, long-polling consumers receive and delete through the other.

Promised and checked here: nothing acknowledged is lost; no message is delivered twice within
its visibility timeout (with a long timeout any second delivery is a bug); a FIFO queue keeps each
message group's order and lock across nodes; a receipt handle from one node works on the other; a
send to one node wakes a long poll waiting on the other at once (LISTEN/NOTIFY); and when one node
is killed (``kill -9``) mid-load the other carries on: the producers move over to it without
losing anything acknowledged, and messages the dead node had in flight come back through the
survivor once their visibility timeout ends.

Runs when ``postgresql`` is among ``DENSHO_TEST_STORES``; when it is and PostgreSQL is not
reachable the tests fail (``tests/support/pg.py``), they are never skipped.
"""

from __future__ import annotations

import hashlib
import statistics
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import json_client, unique_name
from tests.e2e.helpers import counts, receive_one
from tests.support import pg
from tests.support.server import DenshoServer

pytestmark = [
    pytest.mark.timeout(90),
    pg.only_with_postgresql,
]

PRODUCERS = 4
CONSUMERS = 4
LONG_VISIBILITY_S = 120  # far beyond any test: a second delivery can only be a bug
SHORT_VISIBILITY_S = 3  # the consumer-kill test waits this out
# The loader's clock against the server's visibility deadlines (kept in milliseconds).
CLOCK_SLACK_S = 0.05
WAKE_BOUND_S = 1.0  # a long poll on one node must see a send to the other within this
LOAD_LIMIT_S = 25.0  # hard bound on each load phase
JOIN_LIMIT_S = LOAD_LIMIT_S + 20  # a worker's last call may still be a long poll or a timeout


# --------------------------------------------------------------------------- nodes


@dataclass
class Node:
    name: str
    server: DenshoServer

    def client(self) -> Any:
        """No retries (a server error must show), short timeouts (a dead node fails fast).
        Make clients in the main thread: boto3's default session is not thread-safe."""
        return json_client(self.server.endpoint, connect_timeout=2, read_timeout=15)


@pytest.fixture
def database() -> Iterator[str]:
    with pg.fresh_database() as url:
        yield url


@pytest.fixture
def nodes(database: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    """Nodes A and B, two densho processes on the same fresh database."""
    made: list[Node] = []
    try:
        for name in ("A", "B"):
            server = DenshoServer(
                tmp_path / name, log_dir=tmp_path / f"{name}-logs", store=database
            )
            made.append(Node(name, server))
            server.start()
        yield made[0], made[1]
    finally:
        for node in made:
            node.server.close()


# --------------------------------------------------------------------------- the ledger


@dataclass
class Delivery:
    node: str
    asked: float  # monotonic time the ReceiveMessage went out
    answered: float
    receive_count: int


@dataclass
class Ledger:
    """What the producers were told and what the consumers got, checked as it comes in.

    Bodies are ``tag:group:seq``; each group is sent in order by one producer. For a FIFO
    queue every answer is checked against the group's order and lock as the loader saw them:
    a consumer notes an answer before it sends that answer's delete (``deleting``), so a
    group's next answer can only legitimately come after that note, or after the visibility
    timeout of its messages in flight ran out.
    """

    fifo: bool
    visibility_s: float
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: dict[str, str] = field(default_factory=dict)  # message id -> body
    acked_on: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # node -> sends
    unsure: set[str] = field(default_factory=set)  # bodies of sends that got no answer
    deliveries: dict[str, list[Delivery]] = field(default_factory=lambda: defaultdict(list))
    delivered_body: dict[str, str] = field(default_factory=dict)
    delete_tried: set[str] = field(default_factory=set)
    # Deletes whose call failed (their node died): done or not, nobody knows.
    delete_unsure: set[str] = field(default_factory=set)
    deleted: dict[str, float] = field(default_factory=dict)  # id -> delete acknowledged at
    problems: list[str] = field(default_factory=list)  # broken promises
    errors: list[str] = field(default_factory=list)  # calls that failed where they must not
    switches: list[tuple[float, str]] = field(default_factory=list)  # a worker left a node
    # FIFO bookkeeping, per group
    last_sequence: dict[int, int] = field(default_factory=dict)
    next_new: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    open: dict[int, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    seq_of: dict[str, tuple[int, int]] = field(default_factory=dict)

    def body(self, group: int, seq: int) -> str:
        return f"{self.tag}:{group}:{seq}"

    def parse(self, body: str) -> tuple[int, int] | None:
        tag, _, rest = body.partition(":")
        group, _, seq = rest.partition(":")
        if tag != self.tag or not group.isdigit() or not seq.isdigit():
            return None
        return int(group), int(seq)

    def problem(self, text: str) -> None:
        if len(self.problems) < 1000:
            self.problems.append(text)

    # -- producers

    def sent(self, node: str, group: int, body: str, answer: dict[str, Any]) -> None:
        with self.lock:
            self.acked[answer["MessageId"]] = body
            self.acked_on[node] += 1
            if self.fifo:
                number = int(answer["SequenceNumber"])
                if number <= self.last_sequence.get(group, -1):
                    self.problem(f"group {group}: SequenceNumber {number} did not grow")
                self.last_sequence[group] = number

    def send_failed(self, node: str, body: str, exc: Exception) -> None:
        with self.lock:
            self.unsure.add(body)
            self.switches.append((time.monotonic(), node))

    # -- consumers

    def delivered(self, node: str, asked: float, answered: float, messages: list[Any]) -> None:
        with self.lock:
            by_group: dict[int, list[tuple[int, str]]] = defaultdict(list)
            for m in messages:
                mid, body = m["MessageId"], m["Body"]
                if m["MD5OfBody"] != hashlib.md5(body.encode()).hexdigest():
                    self.problem(f"{mid}: MD5OfBody does not match the body")
                before = self.deliveries[mid]
                if before and answered - before[-1].asked < self.visibility_s - CLOCK_SLACK_S:
                    self.problem(
                        f"{body} delivered again {answered - before[-1].asked:.2f} s after the"
                        f" receive that handed it out (visibility timeout {self.visibility_s} s)"
                    )
                if mid in self.deleted and self.deleted[mid] < asked:
                    self.problem(f"{body} delivered again after its delete was acknowledged")
                count = int(m["Attributes"]["ApproximateReceiveCount"])
                before.append(Delivery(node, asked, answered, count))
                self.delivered_body[mid] = body
                # In flight again, whatever became of an earlier delete.
                self.delete_tried.discard(mid)
                self.delete_unsure.discard(mid)
                parsed = self.parse(body)
                if parsed is None:
                    self.problem(f"foreign message {body!r}")
                    continue
                self.seq_of[mid] = parsed
                by_group[parsed[0]].append((parsed[1], mid))
            if self.fifo:
                for group, entries in by_group.items():
                    self._check_group(group, [seq for seq, _ in entries], answered)
                    self.open[group].update(entries)

    def _check_group(self, group: int, seqs: list[int], answered: float) -> None:
        """One answer's messages of ``group``, in the server's order."""
        first = seqs[0]
        if seqs != list(range(first, first + len(seqs))):
            self.problem(f"group {group}: one answer held seqs {seqs}")
        if first > self.next_new[group]:
            self.problem(f"group {group}: seq {first} before seq {self.next_new[group]}")
        for seq, mid in self.open[group].items():
            if mid in self.delete_tried:
                continue  # maybe deleted: the server may have moved on
            last = self.deliveries[mid][-1]
            if answered < last.asked + self.visibility_s - CLOCK_SLACK_S and seq not in seqs:
                self.problem(f"group {group}: seq {first} handed out while seq {seq} was in flight")
            elif seq < first:
                self.problem(f"group {group}: seq {first} handed out before expired seq {seq}")
        self.next_new[group] = max(self.next_new[group], seqs[-1] + 1)

    def deleting(self, ids: list[str]) -> None:
        with self.lock:
            self.delete_tried.update(ids)

    def deleted_ok(self, ids: list[str]) -> None:
        now = time.monotonic()
        with self.lock:
            for mid in ids:
                self.deleted[mid] = now
                seq = self.seq_of.get(mid)
                if seq is not None:
                    self.open[seq[0]].pop(seq[1], None)

    def delete_failed(self, ids: list[str]) -> None:
        with self.lock:
            self.delete_unsure.update(ids)

    def left(self, node: str) -> None:
        with self.lock:
            self.switches.append((time.monotonic(), node))

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)

    # -- state

    def all_acked_deleted(self) -> bool:
        """Every acknowledged send deleted, or its delete is in doubt (then the queue's counts
        tell: a message whose delete did not happen is still there, and comes back)."""
        with self.lock:
            return all(mid in self.deleted or mid in self.delete_unsure for mid in self.acked)

    def deleted_count(self) -> int:
        with self.lock:
            return len(self.deleted)

    def verify(self) -> None:
        """Nothing acknowledged lost or changed, nothing unexplained, no broken promise."""
        assert not self.errors, f"{len(self.errors)} failed calls, e.g. {self.errors[:3]}"
        assert not self.problems, f"{len(self.problems)} problems, e.g. {self.problems[:5]}"
        lost = [body for mid, body in self.acked.items() if mid not in self.deliveries]
        assert not lost, f"{len(lost)} of {len(self.acked)} acknowledged sends lost: {lost[:5]}"
        changed = [mid for mid, body in self.acked.items() if self.delivered_body[mid] != body]
        assert not changed, f"bodies changed: {changed[:5]}"
        undeleted = [m for m in self.acked if m not in self.deleted and m not in self.delete_unsure]
        assert not undeleted, f"{len(undeleted)} acknowledged messages never deleted"
        extra = {self.delivered_body[mid] for mid in self.deliveries if mid not in self.acked}
        # Only a send whose answer was lost to a killed node may have been stored unannounced.
        assert extra <= self.unsure, f"unexplained messages: {sorted(extra - self.unsure)[:5]}"


# --------------------------------------------------------------------------- workers


def produce(
    ledger: Ledger,
    legs: list[tuple[str, Any, int]],
    url: str,
    groups: list[int],
    deadline: float,
) -> None:
    """Send ``count`` messages through each leg's node in turn, round-robin over ``groups``.

    A failed send ends its leg (the node is gone) and is noted as unsure; on a FIFO queue it is
    retried unchanged on the next leg (the same deduplication id, so it is stored once at most),
    on a standard queue the producer moves on (a retry could store it twice)."""
    seq = dict.fromkeys(groups, 0)
    turn = 0
    retry: str | None = None
    for node, sqs, count in legs:
        sent = 0
        while sent < count and time.monotonic() < deadline:
            group = groups[turn % len(groups)]
            body = retry or ledger.body(group, seq[group])
            extra: dict[str, str] = {}
            if ledger.fifo:
                extra = {"MessageGroupId": f"g{group}", "MessageDeduplicationId": body}
            try:
                answer = sqs.send_message(QueueUrl=url, MessageBody=body, **extra)
            except Exception as exc:
                ledger.send_failed(node, body, exc)
                if ledger.fifo:
                    retry = body
                else:
                    seq[group] += 1
                    turn += 1
                break
            retry = None
            ledger.sent(node, group, body, answer)
            seq[group] += 1
            turn += 1
            sent += 1


def consume(
    ledger: Ledger,
    legs: list[tuple[str, Any]],
    url: str,
    *,
    stop: Callable[[], bool],
    deadline: float,
    empty_limit: int | None = None,
) -> None:
    """Long-poll, note, delete (one batch per answer) until ``stop()``, ``empty_limit`` empty
    answers in a row, or the deadline. A failed call moves on to the next leg's node; with none
    left it is an error."""
    legs = list(legs)
    node, sqs = legs.pop(0)
    empty = 0

    def fail(what: str, exc: Exception) -> bool:
        nonlocal node, sqs
        if not legs:
            ledger.error(f"{what} on {node}: {exc!r}")
            return False
        ledger.left(node)
        node, sqs = legs.pop(0)
        return True

    while not stop() and time.monotonic() < deadline:
        if empty_limit is not None and empty >= empty_limit:
            return
        asked = time.monotonic()
        try:
            answer = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
        except Exception as exc:
            if fail("ReceiveMessage", exc):
                continue
            return
        messages = answer.get("Messages", [])
        empty = 0 if messages else empty + 1
        if not messages:
            continue
        ledger.delivered(node, asked, time.monotonic(), messages)
        ids = [m["MessageId"] for m in messages]
        ledger.deleting(ids)
        entries = [
            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)
        ]
        try:
            answer = sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        except Exception as exc:
            ledger.delete_failed(ids)
            if fail("DeleteMessageBatch", exc):
                continue
            return
        if answer.get("Failed"):
            ledger.error(f"DeleteMessageBatch on {node}: {answer['Failed'][:3]}")
        ledger.deleted_ok([ids[int(e["Id"])] for e in answer.get("Successful", [])])


def start(target: Callable[..., None], *args: Any, **kwargs: Any) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
    thread.start()
    return thread


def join(threads: list[threading.Thread]) -> None:
    limit = time.monotonic() + JOIN_LIMIT_S
    for thread in threads:
        thread.join(timeout=max(0.1, limit - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "a worker thread did not finish in time"


def settled(ledger: Ledger, producers: list[threading.Thread]) -> Callable[[], bool]:
    """The consumers' stop: the producers are done and every acknowledged send was deleted."""
    return lambda: not any(t.is_alive() for t in producers) and ledger.all_acked_deleted()


def never() -> bool:
    return False


def drain_rest(ledger: Ledger, node: Node, url: str) -> None:
    """After a kill: drain what is left until the queue is empty, visible and in flight. That
    is sends stored but never answered, and messages whose delete never answered but did not
    happen (they come back after their visibility timeout)."""
    sqs = node.client()
    deadline = time.monotonic() + SHORT_VISIBILITY_S + 10
    while counts(sqs, url) != (0, 0, 0) and time.monotonic() < deadline:
        consume(ledger, [(node.name, sqs)], url, stop=never, deadline=deadline, empty_limit=1)


def make_queue(node: Node, *, fifo: bool, visibility_s: int) -> str:
    attributes = {"VisibilityTimeout": str(visibility_s)}
    if fifo:
        attributes["FifoQueue"] = "true"
    name = unique_name("two-nodes", suffix=".fifo" if fifo else "")
    url: str = node.client().create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url


def assert_empty(url: str, *nodes: Node) -> None:
    for node in nodes:
        assert counts(node.client(), url) == (0, 0, 0), f"queue not empty, seen from {node.name}"


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("kind", ["standard", "fifo"])
def test_send_on_one_node_receive_on_the_other(nodes: tuple[Node, Node], kind: str) -> None:
    a, b = nodes
    fifo = kind == "fifo"
    url = make_queue(a, fifo=fifo, visibility_s=LONG_VISIBILITY_S)
    ledger = Ledger(fifo=fifo, visibility_s=LONG_VISIBILITY_S)
    # FIFO: two groups per producer, interleaved, so each consumer answer mixes groups.
    groups = [[p, p + PRODUCERS] if fifo else [p] for p in range(PRODUCERS)]
    per_producer = 80 if fifo else 120
    deadline = time.monotonic() + LOAD_LIMIT_S
    producers = [
        start(produce, ledger, [("A", a.client(), per_producer)], url, mine, deadline)
        for mine in groups
    ]
    done = settled(ledger, producers)
    consumers = [
        start(consume, ledger, [("B", b.client())], url, stop=done, deadline=deadline)
        for _ in range(CONSUMERS)
    ]
    join(producers + consumers)

    assert len(ledger.acked) == PRODUCERS * per_producer, ledger.errors[:3]
    ledger.verify()
    assert all(d.node == "B" for ds in ledger.deliveries.values() for d in ds)
    multiple = {mid: ds for mid, ds in ledger.deliveries.items() if len(ds) > 1}
    assert not multiple, f"{len(multiple)} messages delivered more than once"
    if fifo:
        assert dict(ledger.next_new) == {g: per_producer // 2 for g in range(2 * PRODUCERS)}
    assert_empty(url, a, b)


def test_receipt_handle_from_one_node_works_on_the_other(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    sqs_a, sqs_b = a.client(), b.client()
    url = make_queue(a, fifo=False, visibility_s=LONG_VISIBILITY_S)

    sqs_a.send_message(QueueUrl=url, MessageBody="deleted through A")
    got = receive_one(sqs_b, url)
    sqs_a.delete_message(QueueUrl=url, ReceiptHandle=got["ReceiptHandle"])
    assert_empty(url, a, b)

    sqs_a.send_message(QueueUrl=url, MessageBody="made visible through A")
    got = receive_one(sqs_b, url)
    sqs_a.change_message_visibility(
        QueueUrl=url, ReceiptHandle=got["ReceiptHandle"], VisibilityTimeout=0
    )
    again = receive_one(sqs_a, url, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert again["MessageId"] == got["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    sqs_b.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    assert_empty(url, a, b)


def test_long_poll_on_one_node_wakes_on_a_send_to_the_other(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    sqs_a, sqs_b = a.client(), b.client()
    url = make_queue(a, fifo=False, visibility_s=LONG_VISIBILITY_S)
    sqs_b.receive_message(QueueUrl=url)  # B knows the queue before its polls start
    latencies: list[float] = []
    for n in range(5):
        answer: dict[str, Any] = {}

        def poll(into: dict[str, Any]) -> None:
            into.update(sqs_b.receive_message(QueueUrl=url, WaitTimeSeconds=10))
            into["at"] = time.monotonic()

        poller = start(poll, answer)
        time.sleep(0.3)  # the poll is waiting on B by now
        sent_at = time.monotonic()
        sqs_a.send_message(QueueUrl=url, MessageBody=f"wake {n}")
        poller.join(timeout=15)
        assert not poller.is_alive()
        [message] = answer.get("Messages", [])
        assert message["Body"] == f"wake {n}"
        latencies.append(answer["at"] - sent_at)
        sqs_b.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    shown = ", ".join(f"{v * 1000:.0f}" for v in latencies)
    print(f"cross-node wake latency (send + wake + answer), ms: {shown}")
    # Without the notification the poll would sit out its 10 s.
    assert max(latencies) < WAKE_BOUND_S, f"wake-up latencies {shown} ms"
    assert statistics.median(latencies) < WAKE_BOUND_S / 2, f"wake-up latencies {shown} ms"


def test_producer_node_killed_mid_load(nodes: tuple[Node, Node]) -> None:
    """kill -9 the node the producers send through; they carry on through the other one."""
    a, b = nodes
    url = make_queue(b, fifo=False, visibility_s=LONG_VISIBILITY_S)
    ledger = Ledger(fifo=False, visibility_s=LONG_VISIBILITY_S)
    after_kill = 40
    deadline = time.monotonic() + LOAD_LIMIT_S
    producers = [
        start(
            produce,
            ledger,
            [("A", a.client(), 100_000), ("B", b.client(), after_kill)],
            url,
            [p],
            deadline,
        )
        for p in range(PRODUCERS)
    ]
    done = settled(ledger, producers)
    consumers = [
        start(consume, ledger, [("B", b.client())], url, stop=done, deadline=deadline)
        for _ in range(CONSUMERS)
    ]
    limit = time.monotonic() + 10
    while ledger.deleted_count() < 200 and time.monotonic() < limit:
        time.sleep(0.05)
    killed_at = time.monotonic()
    a.server.kill9()
    join(producers + consumers)
    drain_rest(ledger, b, url)

    assert ledger.acked_on["A"] >= 200, "the kill came before the load was under way"
    assert ledger.acked_on["B"] == PRODUCERS * after_kill, ledger.errors[:3]
    assert len(ledger.switches) == PRODUCERS, "every producer, and nothing else, left node A"
    assert all(at >= killed_at for at, _ in ledger.switches)
    ledger.verify()
    multiple = {mid: ds for mid, ds in ledger.deliveries.items() if len(ds) > 1}
    assert not multiple, f"{len(multiple)} messages delivered more than once"
    assert_empty(url, b)


@pytest.mark.parametrize("kind", ["standard", "fifo"])
def test_consumer_node_killed_with_messages_in_flight(nodes: tuple[Node, Node], kind: str) -> None:
    """kill -9 the node the consumers receive through while it has messages in flight: they
    come back through the other node once their visibility timeout is over, nothing is lost.
    On a FIFO queue their groups stay locked until then, and keep their order."""
    a, b = nodes
    fifo = kind == "fifo"
    url = make_queue(a, fifo=fifo, visibility_s=SHORT_VISIBILITY_S)
    ledger = Ledger(fifo=fifo, visibility_s=SHORT_VISIBILITY_S)
    per_producer = 300
    deadline = time.monotonic() + LOAD_LIMIT_S
    groups = [[0, 2], [1, 3]] if fifo else [[0], [1]]
    producers = [
        start(produce, ledger, [("A", a.client(), per_producer)], url, mine, deadline)
        for mine in groups
    ]
    # Messages received through B and never deleted: certainly in flight on B at the kill.
    held: list[str] = []
    holder = b.client()
    for _ in range(20):
        asked = time.monotonic()
        answer = holder.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        messages = answer.get("Messages", [])
        if messages:
            ledger.delivered("B", asked, time.monotonic(), messages)
            held = [m["MessageId"] for m in messages]
            held_at = asked
            break
    assert held, "nothing to hold"
    done = settled(ledger, producers)
    consumers = [
        start(
            consume,
            ledger,
            [("B", b.client()), ("A", a.client())],
            url,
            stop=done,
            deadline=deadline,
        )
        for _ in range(3)
    ]
    # Kill while the held messages are surely still in flight (on a loaded machine 60 deletes
    # may take longer than their visibility timeout, and B would hand them out again first).
    limit = min(time.monotonic() + 10, held_at + SHORT_VISIBILITY_S / 2)
    while ledger.deleted_count() < 60 and time.monotonic() < limit:
        time.sleep(0.02)
    producing_at_kill = any(t.is_alive() for t in producers)
    killed_at = time.monotonic()
    b.server.kill9()
    join(producers + consumers)
    drain_rest(ledger, a, url)

    assert len(ledger.acked) == 2 * per_producer, ledger.errors[:3]
    assert producing_at_kill, "the kill came after the load"
    assert all(node == "B" and at >= killed_at for at, node in ledger.switches)
    ledger.verify()
    for mid in held:
        first, *later = ledger.deliveries[mid]
        assert first.node == "B"
        assert later, f"held message {mid} never came back"
        assert later[0].node == "A"
        assert later[0].receive_count == 2
        # It stayed invisible for its whole visibility timeout (checked by the ledger for
        # every message) and came back soon after.
        assert later[0].answered - first.asked < SHORT_VISIBILITY_S + 5
    assert_empty(url, a)
