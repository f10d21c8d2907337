"""SQS message flow: send, receive with long polling, delete, change visibility.

Owns: every rule of a message's way through a queue — the checks a message must pass against its
queue (FIFO ids and deduplication, size, delay), the clock arithmetic of delay, visibility and
retention, redrive on receive, receipt handles, batch limits, and when long polls wait and wake
(the in-flight limit's rule and estimate: ``densho.sqs.inflight``).
It reads a queue's configuration from ``Queue.config`` only (precomputed: nothing is parsed per
request). Time comes from the injected ``Clock``; state lives in the injected ``Store``.
Must not know: HTTP, botocore, wire dict shapes, SQL, queue attribute names.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from densho.core import errors
from densho.core.clock import Clock
from densho.core.events import NO_SQS_EVENTS, SqsEvents
from densho.core.ids import uuid4
from densho.core.queue_config import DedupScope, QueueConfig
from densho.core.sqs_model import Attr, NewMessage, Queue, ReceivedMessage
from densho.core.store import Claim, FifoSend, Handle, QueueGone
from densho.sqs import handles, messages
from densho.sqs.inflight import AWS_LIMIT, REFRESH_MS, InFlightLimit, allowance
from densho.sqs.md5 import md5_of_attributes, md5_of_body
from densho.sqs.queues import Queues
from densho.sqs.visibility import refusal
from densho.sqs.waiters import Waiters
from densho.storage.base import Store

FIFO_WINDOW_MS = 300_000  # deduplication and ReceiveRequestAttemptId: 5 minutes
# SequenceNumbers are large on AWS (20 digits); the stored per-queue counter is offset by this.
SEQUENCE_BASE = 10**19
# MessageGroupId, MessageDeduplicationId, ReceiveRequestAttemptId: 1-128 alphanumeric or
# punctuation characters (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~).
_FIFO_ID = re.compile(r"[\x21-\x7e]{1,128}")
_BATCH_ENTRY_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
MAX_DELAY_S = 900
MAX_VISIBILITY_S = 43_200
MAX_WAIT_S = 20
MAX_RECEIVE = 10  # messages per ReceiveMessage
MAX_BATCH_ENTRIES = 10
MAX_BATCH_BYTES = 1024 * 1024


@dataclass(slots=True)
class Outgoing:
    """One message a caller wants to send (already decoded from the wire)."""

    body: str
    attributes: dict[str, Attr] = field(default_factory=dict)
    system_attributes: dict[str, Attr] = field(default_factory=dict)
    delay_seconds: int | None = None
    group_id: str | None = None
    dedup_id: str | None = None
    # The body's characters are known to be ones SQS accepts (SNS checks what the deliveries of
    # one publish share once, not per delivery): only encoded, not checked again.
    body_checked: bool = False
    # The body's MD5OfMessageBody when the sender has it already (``md5.SharedPrefix``).
    md5_body: str | None = None


@dataclass(slots=True)
class Sent:
    message_id: str
    md5_body: str
    md5_attributes: str | None
    md5_system_attributes: str | None
    sequence_number: int | None = None


def fifo_send(queue: Queue, now_ms: int) -> FifoSend | None:
    """The FIFO rules a send to ``queue`` stores under (None: a standard queue)."""
    config = queue.config
    if not config.fifo:
        return None
    by_group = config.dedup_scope is DedupScope.MESSAGE_GROUP
    # A scope narrowed to messageGroup lately is queue-wide still (QUEUE_SCOPE_UNTIL).
    return FifoSend(now_ms, FIFO_WINDOW_MS, by_group and now_ms >= config.queue_scope_until_ms)


class MessageFlow:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        queues: Queues,
        waiters: Waiters,
        events: SqsEvents = NO_SQS_EVENTS,
        max_in_flight: int = AWS_LIMIT,
    ) -> None:
        self._store = store
        self.in_flight = InFlightLimit(store, max_in_flight)
        self._events = events  # sends, receives, deletes as they succeed (metrics)
        self._clock = clock
        self._queues = queues  # dead-letter queues, and whether a waited-on queue still exists
        self._waiters = waiters

    # --- send ---

    def prepare(self, queue: Queue, out: Outgoing, sender_id: str, now: int) -> NewMessage:
        """Validate one outgoing message against the queue and compute what is stored."""
        if out.body == "":
            raise errors.MissingParameter("MessageBody")
        config = queue.config
        dedup_id = out.dedup_id
        if config.fifo:
            dedup_id = _check_fifo(config, out)
        elif out.dedup_id is not None:
            raise errors.NotForQueueType("MessageDeduplicationId", out.dedup_id)
        elif out.group_id is not None:
            # Standard queues accept MessageGroupId since fair queues (2025).
            _check_fifo_id("MessageGroupId", out.group_id)
        raw = out.body.encode() if out.body_checked else messages.encode_body(out.body)
        if out.attributes:
            messages.check_attributes(out.attributes)
        if out.system_attributes:
            messages.check_system_attributes(out.system_attributes)
        size = messages.size_of(raw, out.attributes) if out.attributes else len(raw)
        if size > config.max_message_bytes:
            raise errors.MessageTooLong(config.max_message_bytes)
        delay = out.delay_seconds
        if delay is None or config.fifo:  # FIFO: _check_fifo let only 0 through
            delay_ms = config.delay_ms
        elif 0 <= delay <= MAX_DELAY_S:
            delay_ms = delay * 1000
        else:
            raise errors.OutOfRange("DelaySeconds", delay, 0, MAX_DELAY_S)
        # No call for the attributes most messages lack.
        md5_body = out.md5_body or md5_of_body(raw)
        md5_attrs = md5_of_attributes(out.attributes) if out.attributes else None
        md5_sys = md5_of_attributes(out.system_attributes) if out.system_attributes else None
        # Positional, in the field order: keywords cost ~1 µs more per message.
        return NewMessage(
            uuid4(),  # message_id
            out.body,
            out.attributes,
            out.system_attributes,
            md5_body,
            md5_attrs,
            md5_sys,
            now,  # sent_ms
            now + delay_ms,  # visible_ms
            sender_id,
            out.group_id,
            dedup_id,
            config.seal,
            size,
        )

    async def send(self, queue: Queue, prepared: list[NewMessage]) -> list[Sent]:
        """Store prepared messages atomically (one commit) and wake long polls."""
        fifo = fifo_send(queue, self._clock.now_ms()) if queue.config.fifo else None
        try:
            stored = await self._store.send(queue.id, prepared, fifo)
        except QueueGone:
            raise self._queues.gone(queue) from None
        self._waiters.notify(queue.id, len(prepared))
        self._events.sent(queue, prepared)
        base = None if fifo is None else SEQUENCE_BASE
        return [
            Sent(
                message_id,
                m.md5_body,
                m.md5_attributes,
                m.md5_system_attributes,
                None if base is None else base + seq,
            )
            for m, (message_id, seq) in zip(prepared, stored, strict=True)
        ]

    @staticmethod
    def check_fifo_batch(queue: Queue, outgoing: Sequence[Outgoing]) -> None:
        """FIFO SendMessageBatch: an entry without MessageGroupId, or without a deduplication id
        where the queue derives none, fails the whole request (AWS), not just the entry."""
        if not queue.config.fifo:
            return
        for out in outgoing:
            if out.group_id is None:
                raise errors.BatchGroupIdRequired()
            if out.dedup_id is None and not queue.config.content_based_dedup:
                raise errors.DedupIdRequired()

    @staticmethod
    def check_batch(action: str, ids: Sequence[str], sizes: Sequence[int] | None = None) -> None:
        """A batch request's entry count, ids and total size (``action``: which batch)."""
        if not ids:
            raise errors.EmptyBatch(action)
        if len(ids) > MAX_BATCH_ENTRIES:
            raise errors.TooManyEntries(len(ids))
        seen: set[str] = set()
        for entry_id in ids:
            if not _BATCH_ENTRY_ID.fullmatch(entry_id):
                raise errors.InvalidBatchEntryId(entry_id)
            if entry_id in seen:
                raise errors.BatchIdsNotDistinct(entry_id)
            seen.add(entry_id)
        if sizes is not None and sum(sizes) > MAX_BATCH_BYTES:
            raise errors.BatchTooLong(sum(sizes), MAX_BATCH_BYTES)

    # --- receive ---

    async def receive(
        self,
        queue: Queue,
        max_messages: int,
        visibility_s: int | None,
        wait_s: int | None,
        attempt_id: str | None = None,
    ) -> list[ReceivedMessage]:
        config = queue.config
        if not 1 <= max_messages <= MAX_RECEIVE:
            raise errors.OutOfRange("MaxNumberOfMessages", max_messages, 1, MAX_RECEIVE)
        if visibility_s is None:  # the queue's (no call for the common case)
            visibility_ms = config.visibility_timeout_ms
        else:
            visibility_ms = _checked_ms("VisibilityTimeout", visibility_s, MAX_VISIBILITY_S)
        if wait_s is None:
            wait_ms = config.receive_wait_ms
        else:
            wait_ms = _checked_ms("WaitTimeSeconds", wait_s, MAX_WAIT_S)
        if attempt_id is not None:
            _check_fifo_id("ReceiveRequestAttemptId", attempt_id)
            if not config.fifo:
                attempt_id = None  # only FIFO queues honour it; standard queues ignore it
        if config.dead_letter is None:
            dlq, max_receives = None, 0
        else:
            dlq, max_receives = await self._dead_letter_queue(config)
        deadline = self._clock.now_ms() + wait_ms
        resets = self._waiters.resets
        # A short poll waits for nothing, so it needs no waiter (a future) unless it finds the
        # clock before its deadline after an empty claim (the wall clock stepped back): then it
        # registers and looks again, as a long poll does.
        waits = wait_ms > 0
        woken: asyncio.Future[None] | None = None
        while True:
            if waits:
                woken = self._waiters.register(queue.id)
            try:
                now = self._clock.now_ms()
                in_flight = self.in_flight.known(queue.id, now, max_messages)
                if in_flight is None:
                    in_flight = await self.in_flight.count(queue.id, now, max_messages)
                room = allowance(
                    self.in_flight.limit,
                    in_flight,
                    max_messages,
                    fifo=config.fifo,
                    short_poll=wait_ms == 0,
                )
                found: tuple[list[ReceivedMessage], int | None] = ([], None)
                if room:
                    self.in_flight.reserve(queue.id, room)
                    try:
                        found = await self._claim_once(
                            queue, room, visibility_ms, dlq, max_receives, attempt_id
                        )
                    finally:
                        self.in_flight.settle(queue.id, room, len(found[0]))
            except BaseException:
                if woken is not None:
                    self._waiters.forget(queue.id, woken)
                raise
            rows, next_visible = found
            if rows:
                if woken is not None:
                    if woken.done():  # a wake-up meant for someone else: pass it on
                        self._waiters.notify(queue.id)
                    else:
                        self._waiters.forget(queue.id, woken)
                self._events.received(queue, len(rows))
                return rows
            now = self._clock.now_ms()
            if now >= deadline or self._waiters.closing:
                if woken is not None:
                    self._waiters.forget(queue.id, woken)
                self._events.received(queue, 0)
                return []
            if woken is None:  # a short poll before its deadline: wait as a long poll does
                waits = True
                continue
            wake_at = deadline if next_visible is None else min(deadline, next_visible)
            if not room:
                # At the in-flight limit: this node's deletes wake the waiters; room freed by
                # other nodes or by visibility timeouts running out is seen a refresh later.
                wake_at = min(wake_at, now + REFRESH_MS)
            try:
                # Through the clock: advancing a controlled clock past wake_at ends the wait.
                await self._clock.wait(max(wake_at, now + 1), woken)
            finally:
                self._waiters.forget(queue.id, woken)
            if (
                self._waiters.resets != resets
            ):  # a reset deleted the queue: empty, as AWS never says
                return []
            current = await self._queues.lookup(queue.account, queue.region, queue.name)
            if current is None or current.id != queue.id:  # deleted while we waited
                raise errors.QueueNotFound(queue.name)

    async def _claim_once(
        self,
        queue: Queue,
        max_messages: int,
        visibility_ms: int,
        dlq: Queue | None,
        max_receives: int,
        attempt_id: str | None,
    ) -> tuple[list[ReceivedMessage], int | None]:
        """One claim transaction: the messages (with receipt handles) or the next visible_at."""
        now = self._clock.now_ms()
        config = queue.config
        claim = Claim(
            queue_id=queue.id,
            now_ms=now,
            limit=max_messages,
            visible_until_ms=now + visibility_ms,
            retention_cutoff_ms=now - config.retention_ms,
            nonce=random.getrandbits(62),
            dead_letter_queue_id=None if dlq is None else dlq.id,
            max_receive_count=max_receives,
            fifo=config.fifo,
            attempt_id=attempt_id,
            attempt_window_ms=FIFO_WINDOW_MS,
        )
        rows, next_visible, moved = await self._store.receive(claim)
        if moved and dlq is not None:
            self._waiters.notify(dlq.id, moved)
        return [
            _with_handle(m, handles.encode(queue.id, m.row, m.nonce, m.message_id)) for m in rows
        ], next_visible

    async def _dead_letter_queue(self, config: QueueConfig) -> tuple[Queue | None, int]:
        """The queue's dead-letter queue and maxReceiveCount, if it has a live one."""
        target = config.dead_letter
        if target is None:
            return None, 0
        found = await self._queues.lookup(target.account, target.region, target.name)
        return found, target.max_receive_count

    # --- delete and visibility ---

    @staticmethod
    def _handle_for(queue: Queue, receipt_handle: str) -> Handle:
        handle = handles.decode(receipt_handle)
        if handle.queue_id != queue.id:
            raise errors.ReceiptHandleInvalid(receipt_handle)
        return handle

    async def delete(self, queue: Queue, receipt_handles: Sequence[str]) -> list[Exception | None]:
        """Delete by receipt handle; per handle, None or the error.

        Standard queues: any receipt handle of the message deletes it, also one from an earlier
        receive (AWS deletes then, though the API reference only promises success: the LocalStack
        SNS filter-policy snapshots recorded on AWS), and one of a message already gone succeeds
        without effect. FIFO queues: only the latest receive's handle while the message is in
        flight; after its visibility timeout ended (or the message was received again) AWS
        answers that the receipt handle has expired (``ReceiptHandleExpired``).
        """
        results: list[Exception | None] = []
        valid: list[tuple[int, Handle]] = []
        for text in receipt_handles:
            try:
                valid.append((len(results), self._handle_for(queue, text)))
                results.append(None)
            except errors.DomainError as exc:
                results.append(exc)
        if valid:
            fifo_at = self._clock.now_ms() if queue.config.fifo else None
            done = await self._store.delete_messages([h for _, h in valid], fifo_at)
            deleted = expired = 0
            for (i, _), outcome in zip(valid, done, strict=True):
                if outcome == "deleted":
                    deleted += 1
                elif outcome == "expired":
                    expired += 1
                    results[i] = errors.ReceiptHandleExpired(receipt_handles[i])
            self._events.deleted(queue, len(done) - expired)
            was_full = self.in_flight.full(queue.id)
            self.in_flight.freed(queue.id, deleted)
            if deleted and (queue.config.fifo or was_full):
                # Deleting a group's in-flight message unlocks the group, and deleting at the
                # in-flight limit makes room: a message may be deliverable now, so waiting long
                # polls must look again.
                self._waiters.notify(queue.id, deleted)
        return results

    async def change_visibility(
        self, queue: Queue, changes: Sequence[tuple[str, int]]
    ) -> list[Exception | None]:
        """Change visibility by receipt handle (``densho.sqs.visibility``); per change, None
        or the error. Standard queues: any receipt handle of the message, and a message that is
        not in flight is left as it is, without an error. FIFO queues: only the latest receive's
        handle, while the message is in flight."""
        now = self._clock.now_ms()
        results: list[Exception | None] = [None] * len(changes)
        todo: list[tuple[int, Handle, int]] = []
        for i, (text, timeout_s) in enumerate(changes):
            try:
                handle = self._handle_for(queue, text)
                if not 0 <= timeout_s <= MAX_VISIBILITY_S:
                    raise errors.OutOfRange("VisibilityTimeout", timeout_s, 0, MAX_VISIBILITY_S)
                todo.append((i, handle, now + timeout_s * 1000))
            except errors.DomainError as exc:
                results[i] = exc
        if todo:
            outcomes = await self._store.change_visibility(
                [(h, at) for _, h, at in todo],
                now,
                partial(refusal, max_ms=MAX_VISIBILITY_S * 1000, fifo=queue.config.fifo),
            )
            released = 0
            for (i, _, at), outcome in zip(todo, outcomes, strict=True):
                text, timeout_s = changes[i]
                if outcome == "gone":
                    results[i] = errors.MessageNotAvailable(text)
                elif outcome == "not-inflight":
                    # A standard queue's message visible again (its timeout ran out, or it was
                    # released): AWS answers 200 and leaves it as it is (LocalStack PR 9632's
                    # AWS-validated test, snapshot ``visibility_timeout_expired``).
                    if queue.config.fifo:
                        results[i] = errors.MessageNotInflight()
                elif outcome == "too-long":
                    results[i] = errors.VisibilityBeyondLimit(timeout_s, MAX_VISIBILITY_S)
                elif at <= now:
                    released += 1
            if released:
                self.in_flight.freed(queue.id, released)
                self._waiters.notify(queue.id, released)
        return results


def _checked_ms(parameter: str, seconds: int, high: int) -> int:
    """A ReceiveMessage duration given in seconds, in milliseconds."""
    if not 0 <= seconds <= high:
        raise errors.OutOfRange(parameter, seconds, 0, high)
    return seconds * 1000


def _check_fifo(config: QueueConfig, out: Outgoing) -> str:
    """FIFO send rules; returns the deduplication id to use."""
    if out.group_id is None:
        raise errors.MissingParameter("MessageGroupId")
    _check_fifo_id("MessageGroupId", out.group_id)
    if out.delay_seconds:  # AWS takes 0 and means the queue's delay, as when none is given
        raise errors.NotForQueueType("DelaySeconds", out.delay_seconds)
    if out.dedup_id is not None:
        _check_fifo_id("MessageDeduplicationId", out.dedup_id)
        return out.dedup_id
    if not config.content_based_dedup:
        raise errors.DedupIdRequired()
    return hashlib.sha256(out.body.encode("utf-8")).hexdigest()


def _check_fifo_id(parameter: str, value: str) -> None:
    if not _FIFO_ID.fullmatch(value):
        raise errors.InvalidFifoId(parameter, value)


def _with_handle(m: ReceivedMessage, handle: str) -> ReceivedMessage:
    m.receipt_handle = handle
    if m.sequence_number is not None:
        m.sequence_number += SEQUENCE_BASE
    return m
