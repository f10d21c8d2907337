"""The workload of a fault run: producers and consumers on a standard and a FIFO queue.

Owns: creating the two queues, the threads (producers send uniquely identified messages, FIFO
producers each own some message groups and number their messages; consumers long-poll, and
delete what they receive), recording every operation in a ``History`` with its outcome, and the
final drain (consumers go on until both queues are empty, bounded in time).

How an exception becomes an outcome: an AWS error answer below 500 is ``failed`` (the service
says it did nothing); a connection that could not be opened is ``failed`` too (nothing was
sent); a 5xx, a timeout or a reset connection is ``unknown``.

Knows nothing of the faults: it talks to one endpoint, whatever happens to the server behind it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

from tests.conftest import json_client
from tests.fault.history import Delete, Delivered, History, Outcome, Receive, Send

VISIBILITY_S = 2  # short, so that the drain does not wait long for what a lost answer hid
WAIT_S = 1  # long poll of the consumers
READ_TIMEOUT_S = 3  # above WAIT_S: a timeout means the server did not answer in time
PRODUCERS = 2  # per queue
CONSUMERS = 2  # per queue
GROUPS_PER_PRODUCER = 2
MAX_OPS_PER_THREAD = 1_000_000  # a bound; the time limit ends a run first
DRAIN_LIMIT_S = 45.0


def outcome_of(exc: Exception) -> Outcome:
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 500))
        return "unknown" if status >= 500 else "failed"
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
        return "failed"
    return "unknown"


def reason_of(exc: Exception) -> str:
    """A short name for what went wrong: the HTTP status and AWS code, or the exception."""
    if isinstance(exc, ClientError):
        meta = exc.response.get("ResponseMetadata", {})
        return f"{meta.get('HTTPStatusCode', '?')} {exc.response.get('Error', {}).get('Code')}"
    return type(exc).__name__


def _client(endpoint: str) -> Any:
    return json_client(endpoint, connect_timeout=1, read_timeout=READ_TIMEOUT_S)


@dataclass
class Workload:
    """Producers and consumers on queues ``<name>`` and ``<name>.fifo`` of ``endpoint``.

    The endpoint must stay the same across restarts (the fault scenarios restart a server on
    its port). ``start()``, then ``stop_producers()``, then ``drain()``.
    """

    endpoint: str
    name: str = "faults"

    def __post_init__(self) -> None:
        admin = _client(self.endpoint)
        attrs = {"VisibilityTimeout": str(VISIBILITY_S)}
        self.standard = admin.create_queue(QueueName=self.name, Attributes=attrs)["QueueUrl"]
        self.fifo = admin.create_queue(
            QueueName=f"{self.name}.fifo", Attributes={**attrs, "FifoQueue": "true"}
        )["QueueUrl"]
        self.history = History(visibility={self.standard: VISIBILITY_S, self.fifo: VISIBILITY_S})
        self._producing = threading.Event()
        self._consuming = threading.Event()
        self._threads: list[threading.Thread] = []
        self._producers: list[threading.Thread] = []
        self.errors: list[BaseException] = []  # a bug of the workload itself, never a fault
        self.reasons: Counter[str] = Counter()  # what the operations that were not ok met
        self._reasons_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        self._producing.set()
        self._consuming.set()
        # Clients are made here: boto3's default session is not thread-safe.
        for p in range(PRODUCERS):
            self._spawn(self._produce_standard, _client(self.endpoint), f"s{p}", producer=True)
            groups = [f"g{p}-{g}" for g in range(GROUPS_PER_PRODUCER)]
            self._spawn(self._produce_fifo, _client(self.endpoint), groups, producer=True)
        for url in (self.standard, self.fifo):
            for _ in range(CONSUMERS):
                self._spawn(self._consume, _client(self.endpoint), url)

    def stop_producers(self) -> None:
        self._producing.clear()
        for thread in self._producers:
            thread.join(timeout=READ_TIMEOUT_S + 5)

    def drain(self, limit_s: float = DRAIN_LIMIT_S) -> bool:
        """Let the consumers run until both queues are empty twice in a row; stop them.

        True when the queues emptied within ``limit_s`` (the server may be recovering still).
        """
        admin = _client(self.endpoint)
        deadline = time.monotonic() + limit_s
        empty = 0
        while empty < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                left = sum(_depth(admin, url) for url in (self.standard, self.fifo))
            except Exception:  # the server is still coming back
                empty = 0
                continue
            empty = empty + 1 if left == 0 else 0
        self._consuming.clear()
        for thread in self._threads:
            thread.join(timeout=READ_TIMEOUT_S + 5)
        return empty >= 2

    def stop(self) -> None:
        """Stop every thread (for a failing test's cleanup)."""
        self._producing.clear()
        self._consuming.clear()
        for thread in self._threads:
            thread.join(timeout=READ_TIMEOUT_S + 5)

    def _spawn(self, target: Callable[..., None], *args: Any, producer: bool = False) -> None:
        def run() -> None:
            try:
                target(*args)
            except BaseException as exc:
                self.errors.append(exc)

        thread = threading.Thread(target=run, daemon=True)
        self._threads.append(thread)
        if producer:
            self._producers.append(thread)
        thread.start()

    def _failed(self, exc: Exception) -> Outcome:
        with self._reasons_lock:
            self.reasons[reason_of(exc)] += 1
        return outcome_of(exc)

    # -- the threads ---------------------------------------------------------

    def _produce_standard(self, sqs: Any, producer: str) -> None:
        for n in range(MAX_OPS_PER_THREAD):
            if not self._producing.is_set():
                return
            msg = f"{producer}-{n}-{uuid.uuid4().hex[:8]}"
            self._send(sqs, self.standard, msg, {})

    def _produce_fifo(self, sqs: Any, groups: list[str]) -> None:
        for n in range(MAX_OPS_PER_THREAD):
            if not self._producing.is_set():
                return
            group = groups[n % len(groups)]
            seq = n // len(groups)
            msg = f"{group}-{seq}-{uuid.uuid4().hex[:8]}"
            extra = {"MessageGroupId": group, "MessageDeduplicationId": msg}
            self._send(sqs, self.fifo, msg, extra, group=group, seq=seq)

    def _send(
        self,
        sqs: Any,
        url: str,
        msg: str,
        extra: dict[str, str],
        *,
        group: str | None = None,
        seq: int | None = None,
    ) -> None:
        body = json.dumps({"id": msg, "group": group, "seq": seq})
        start = time.time()
        outcome: Outcome = "ok"
        try:
            sqs.send_message(QueueUrl=url, MessageBody=body, **extra)
        except Exception as exc:
            outcome = self._failed(exc)
        self.history.add(Send(url, msg, start, time.time(), outcome, group, seq))
        if outcome != "ok":
            time.sleep(0.05)  # the server is in trouble: do not spin

    def _consume(self, sqs: Any, url: str) -> None:
        for _ in range(MAX_OPS_PER_THREAD):
            if not self._consuming.is_set():
                return
            start = time.time()
            try:
                answer = sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=WAIT_S
                )
            except Exception as exc:
                self.history.add(Receive(url, start, time.time(), self._failed(exc)))
                time.sleep(0.05)
                continue
            got = [(_id_of(m["Body"]), m["ReceiptHandle"]) for m in answer.get("Messages", [])]
            self.history.add(
                Receive(url, start, time.time(), "ok", tuple(Delivered(*g) for g in got))
            )
            for msg, handle in got:
                self._delete(sqs, url, msg, handle)

    def _delete(self, sqs: Any, url: str, msg: str, handle: str) -> None:
        # A FIFO delete made after the delivery's visibility timeout ran out (a pause) is
        # refused, 400 "The receipt handle has expired": "failed", and the message comes back.
        start = time.time()
        outcome: Outcome = "ok"
        try:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
        except Exception as exc:
            outcome = self._failed(exc)
        self.history.add(Delete(url, msg, handle, start, time.time(), outcome))


def _id_of(body: str) -> str:
    """The message id a body carries; a body the workload did not write names itself."""
    try:
        return str(json.loads(body)["id"])
    except (ValueError, KeyError, TypeError):
        return f"<foreign body {body[:40]!r}>"


def _depth(sqs: Any, url: str) -> int:
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attrs[n]) for n in names)
