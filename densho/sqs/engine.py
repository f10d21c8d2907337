"""SQS semantics: queues, sends, receives with long polling, deletes, visibility, permissions.

Owns: every SQS rule that is not about the wire — limits, defaults, attribute semantics, the clock
arithmetic of delay/visibility/retention, and when long polls wake. Time comes from the injected
``Clock``; state lives in the injected ``Store``.
Must not know: HTTP, botocore, wire dict shapes, SQL.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import orjson

from densho.core import errors
from densho.core.cache import SHARED_TTL_MS, ReadThrough
from densho.core.clock import Clock
from densho.core.ids import uuid4
from densho.core.sqs_model import Attr, NewMessage, Queue, QueueCounts, ReceivedMessage
from densho.core.store import QUEUE, Claim, FifoSend, Handle, QueueGone
from densho.sqs import attributes as qattrs
from densho.sqs import handles, messages, policy_statements, redrive
from densho.sqs.visibility import refusal
from densho.sqs.waiters import Waiters
from densho.storage.base import Store

PURGE_INTERVAL_MS = 60_000
FIFO_WINDOW_MS = 300_000  # deduplication and ReceiveRequestAttemptId: 5 minutes
# SequenceNumbers are large on AWS (20 digits); the stored per-queue counter is offset by this.
SEQUENCE_BASE = 10**19
# MessageGroupId, MessageDeduplicationId, ReceiveRequestAttemptId: 1-128 alphanumeric or
# punctuation characters (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~).
_FIFO_ID = re.compile(r"[\x21-\x7e]{1,128}")
DELETED_NAME_HOLD_MS = 60_000  # AWS: wait 60 s before re-creating a deleted queue's name
MAX_VISIBILITY_S = 43_200
MAX_BATCH_BYTES = 1024 * 1024
MAX_TAGS = 50
_LABEL = re.compile(r"[A-Za-z0-9_-]{1,80}")
_PERMISSION_ACTIONS = frozenset(
    {
        "*",
        "ChangeMessageVisibility",
        "DeleteMessage",
        "GetQueueAttributes",
        "GetQueueUrl",
        "ListDeadLetterSourceQueues",
        "PurgeQueue",
        "ReceiveMessage",
        "SendMessage",
        "ListQueueTags",
        "CancelMessageMoveTask",
        "ListMessageMoveTasks",
        "StartMessageMoveTask",
    }
)


def queue_arn(queue: Queue) -> str:
    return f"arn:aws:sqs:{queue.region}:{queue.account}:{queue.name}"


@dataclass(slots=True)
class Outgoing:
    """One message a caller wants to send (already decoded from the wire)."""

    body: str
    attributes: dict[str, Attr] = field(default_factory=dict)
    system_attributes: dict[str, Attr] = field(default_factory=dict)
    delay_seconds: int | None = None
    group_id: str | None = None
    dedup_id: str | None = None


@dataclass(slots=True)
class Sent:
    message_id: str
    md5_body: str
    md5_attributes: str | None
    md5_system_attributes: str | None
    sequence_number: int | None = None


class SqsEngine:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._waiters = Waiters()
        # A read-through cache of queue records, updated by this process's own queue writes.
        # Alone on its store, that keeps it exact; on a shared store other nodes' writes arrive
        # as ``forget_queue`` (their notifications), and entries are reloaded after a second in
        # case one was lost.
        self._queues: ReadThrough[tuple[str, str], Queue] = ReadThrough(
            clock, SHARED_TTL_MS if store.shared else None
        )
        self._ids: dict[int, tuple[str, str]] = {}  # queue id -> its cache key (forget by id)
        self._closing = False

    def close(self) -> None:
        """Shutting down: waiting long polls return empty now, new ones do not wait."""
        self._closing = True
        self._waiters.notify_all()

    def now_ms(self) -> int:
        return self._clock.now_ms()

    @property
    def shared(self) -> bool:
        """Whether other nodes write the same store (then they run maintenance work too)."""
        return self._store.shared

    # --- queues ---

    async def create_queue(
        self,
        account: str,
        region: str,
        name: str,
        attributes: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> Queue:
        # The FifoQueue attribute decides the type and the name must follow that type's rules:
        # a ".fifo" name without FifoQueue=true is an invalid standard queue name, and FifoQueue on
        # a standard queue (even "false") is an unknown attribute, as on AWS.
        fifo = attributes.get("FifoQueue", "false").lower() == "true"
        qattrs.validate_queue_name(name, fifo)
        given = qattrs.validate(attributes, fifo=fifo, creating=True)
        if fifo:
            qattrs.check_high_throughput(qattrs.with_defaults(given, fifo))
        self._check_tags(tags)
        now = self._clock.now_ms()
        existing = await self._lookup(account, name)
        if existing is not None:
            self._check_same(existing, given)
            return existing
        if await self._store.deleted_since(account, name, now - DELETED_NAME_HOLD_MS):
            raise errors.QueueDeletedRecently(name)
        stored = qattrs.with_defaults(given, fifo)
        await self._check_redrive_target(account, region, name, fifo, stored)
        queue, created = await self._store.create_queue(
            account, name, region, stored, dict(tags), now
        )
        if not created:  # lost a race with a concurrent CreateQueue of the same name
            self._check_same(queue, given)
        self._put(queue)
        return queue

    @staticmethod
    def _check_same(existing: Queue, given: Mapping[str, str]) -> None:
        for key, value in given.items():
            if existing.attributes.get(key, qattrs.WRITABLE[key].default) != value:
                raise errors.QueueNameExists(existing.name)

    async def _lookup(self, account: str, name: str) -> Queue | None:
        key = (account, name)
        queue = self._queues.get(key)
        if queue is None:
            began = self._queues.begin()
            queue = await self._store.get_queue(account, name)
            if queue is not None:
                self._ids[queue.id] = key
                self._queues.loaded(key, queue, began)
        return queue

    def _put(self, queue: Queue) -> None:
        """This node wrote the queue: cache what the store answered."""
        key = (queue.account, queue.name)
        self._ids[queue.id] = key
        self._queues.put(key, queue)

    def _drop(self, queue: Queue) -> None:
        """The queue is gone (deleted here, or found gone on a shared store)."""
        self._ids.pop(queue.id, None)
        self._queues.forget((queue.account, queue.name))

    def forget_queue(self, queue_id: int) -> None:
        """Another node changed or deleted the queue: drop its record, and let long polls on it
        look again (each checks that its queue still exists)."""
        key = self._ids.pop(queue_id, None)
        if key is not None:
            self._queues.forget(key)
        self._waiters.notify_all(queue_id)

    def forget_all(self) -> None:
        """Other nodes' changes may have been missed: drop every cached queue record."""
        self._ids.clear()
        self._queues.forget_all()

    async def arn_of(self, queue_id: int, account: str) -> str | None:
        """The ARN of a queue of ``account`` by id (a dead-letter message's source), if it
        still exists."""
        key = self._ids.get(queue_id)
        queue = None if key is None else self._queues.peek(key)  # an ARN never changes
        if queue is None or queue.id != queue_id:
            listed = await self._store.list_queues(account, "")
            queue = next((q for q in listed if q.id == queue_id), None)
        return None if queue is None else queue_arn(queue)

    async def get_queue(self, account: str, name: str) -> Queue:
        queue = await self._lookup(account, name)
        if queue is None:
            raise errors.QueueNotFound(name)
        return queue

    async def list_queues(self, account: str, prefix: str) -> list[Queue]:
        return await self._store.list_queues(account, prefix)

    async def delete_queue(self, queue: Queue) -> None:
        await self._store.delete_queue(queue.id, self._clock.now_ms())
        self._drop(queue)
        self._store.changed(QUEUE, str(queue.id))
        self._waiters.notify_all(queue.id)

    async def _save(self, queue: Queue, attributes: dict[str, str], tags: dict[str, str]) -> Queue:
        try:
            updated = await self._store.update_queue(
                queue.id, attributes, tags, self._clock.now_ms()
            )
        except QueueGone:
            raise self._gone(queue) from None
        self._put(updated)
        self._store.changed(QUEUE, str(queue.id))
        return updated

    def _gone(self, queue: Queue) -> errors.QueueNotFound:
        """The store found the queue deleted (by another node, after this one looked it up)."""
        self._drop(queue)
        return errors.QueueNotFound(queue.name)

    async def get_attributes(self, queue: Queue, names: Sequence[str]) -> dict[str, str]:
        wanted = set(names)
        for name in wanted:
            if name != "All" and name not in qattrs.KNOWN:
                raise errors.InvalidAttributeName(name)
        if "All" in wanted:
            wanted = set(qattrs.ALL_ORDER)
        out: dict[str, str] = {}
        counts: QueueCounts | None = None
        if wanted & {
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        }:
            counts = await self.counts(queue)
        for name in qattrs.ALL_ORDER:
            if name not in wanted:
                continue
            value = self._attribute(queue, name, counts)
            if value is not None:
                out[name] = value
        return out

    @staticmethod
    def _attribute(queue: Queue, name: str, counts: QueueCounts | None) -> str | None:
        if name == "QueueArn":
            return queue_arn(queue)
        if name == "CreatedTimestamp":
            return str(queue.created_ms // 1000)
        if name == "LastModifiedTimestamp":
            return str(queue.modified_ms // 1000)
        if counts is not None:
            if name == "ApproximateNumberOfMessages":
                return str(counts.visible)
            if name == "ApproximateNumberOfMessagesNotVisible":
                return str(counts.in_flight)
            if name == "ApproximateNumberOfMessagesDelayed":
                return str(counts.delayed)
        return queue.attributes.get(name) or None

    async def set_attributes(self, queue: Queue, attributes: Mapping[str, str]) -> None:
        given = qattrs.validate(attributes, fifo=queue.is_fifo, creating=False)
        merged = dict(queue.attributes)
        for key, value in given.items():
            if value == "" and qattrs.WRITABLE[key].kind == "json":
                merged.pop(key, None)  # an empty policy document removes the policy
            else:
                merged[key] = value
        if given.get("KmsMasterKeyId"):
            merged["SqsManagedSseEnabled"] = "false"
            merged.setdefault("KmsDataKeyReusePeriodSeconds", "300")
        if queue.is_fifo:
            qattrs.check_high_throughput(merged)
        await self._check_redrive_target(
            queue.account, queue.region, queue.name, queue.is_fifo, given
        )
        await self._save(queue, merged, queue.tags)

    async def _check_redrive_target(
        self, account: str, region: str, name: str, fifo: bool, attributes: Mapping[str, str]
    ) -> None:
        """A source queue's RedrivePolicy (CreateQueue or SetQueueAttributes) must name an existing
        queue of the same type, account and region whose RedriveAllowPolicy admits the source."""
        text = attributes.get("RedrivePolicy")
        if not text:
            return
        policy = redrive.check_redrive_policy(text)

        def invalid(reason: str) -> errors.InvalidPolicyValue:
            return errors.InvalidPolicyValue("RedrivePolicy", text, reason)

        if policy.account != account:
            raise invalid("Dead-letter target owner should be same as the source.")
        target = await self._lookup(account, policy.name) if policy.region == region else None
        if target is None or target.region != region:
            raise invalid("Dead letter target does not exist.")
        if target.is_fifo != fifo:
            raise invalid("Dead-letter queue must be same type of queue as the source..")
        source = f"arn:aws:sqs:{region}:{account}:{name}"
        if not redrive.redrive_allows(target.attributes.get("RedriveAllowPolicy"), source):
            # AWS's text for this refusal is not documented; the code is the one of its siblings.
            raise invalid(
                f"The RedriveAllowPolicy of the dead-letter target {policy.target_arn} does not "
                f"allow {source} to use it as its dead-letter queue."
            )

    async def purge(self, queue: Queue) -> None:
        now = self._clock.now_ms()
        if queue.purged_ms is not None and now - queue.purged_ms < PURGE_INTERVAL_MS:
            raise errors.PurgeInProgress(queue.name)  # known here: no need to ask the store
        try:
            purged = await self._store.purge(queue.id, now, PURGE_INTERVAL_MS)
        except QueueGone:
            raise self._gone(queue) from None
        if not purged:  # purged meanwhile, by another node: reload its purge time next time
            self._drop(queue)
            raise errors.PurgeInProgress(queue.name)
        self._put(replace(queue, purged_ms=now))
        self._store.changed(QUEUE, str(queue.id))

    # --- tags ---

    @staticmethod
    def _check_tags(tags: Mapping[str, str]) -> None:
        if len(tags) > MAX_TAGS:
            raise errors.InvalidParameter(f"Too many tags. A queue can have up to {MAX_TAGS}.")
        for key, value in tags.items():
            if not 1 <= len(key) <= 128 or len(value) > 256:
                raise errors.InvalidParameter(
                    "Tag keys must be 1 to 128 characters and values at most 256 characters."
                )

    async def tag(self, queue: Queue, tags: Mapping[str, str]) -> None:
        merged = {**queue.tags, **tags}
        self._check_tags(merged)
        await self._save(queue, queue.attributes, merged)

    async def untag(self, queue: Queue, keys: Sequence[str]) -> None:
        await self._save(
            queue, queue.attributes, {k: v for k, v in queue.tags.items() if k not in keys}
        )

    # --- permissions ---

    async def add_permission(
        self, queue: Queue, label: str, accounts: Sequence[str], actions: Sequence[str]
    ) -> None:
        if not _LABEL.fullmatch(label):
            raise errors.InvalidParameter(
                f"Value {label} for parameter Label is invalid. "
                "Reason: Must be alphanumeric, hyphens or underscores."
            )
        if not accounts or not actions:
            raise errors.MissingParameter("AWSAccountId" if not accounts else "ActionName")
        for action in actions:
            if action not in _PERMISSION_ACTIONS:
                raise errors.InvalidParameter(
                    f"Value SQS:{action} for parameter ActionName is invalid. "
                    "Reason: Only the queue owner is allowed to invoke this action."
                )
        policy = _policy(queue)
        if policy_statements.has_label(policy, label):
            raise errors.LabelExists(label)
        policy_statements.grant(policy, label, accounts, actions, "SQS", queue_arn(queue))
        await self._save(
            queue, {**queue.attributes, "Policy": orjson.dumps(policy).decode()}, queue.tags
        )

    async def remove_permission(self, queue: Queue, label: str) -> None:
        policy = _policy(queue)
        if not policy_statements.revoke(policy, label):
            raise errors.LabelNotFound(label)
        merged = dict(queue.attributes)
        if policy_statements.statements(policy):
            merged["Policy"] = orjson.dumps(policy).decode()
        else:
            merged.pop("Policy", None)
        await self._save(queue, merged, queue.tags)

    async def dead_letter_sources(self, queue: Queue) -> list[Queue]:
        arn = queue_arn(queue)
        out = []
        for candidate in await self._store.list_queues(queue.account, ""):
            policy = candidate.attributes.get("RedrivePolicy")
            if policy and orjson.loads(policy).get("deadLetterTargetArn") == arn:
                out.append(candidate)
        return out

    # --- messages ---

    def prepare(self, queue: Queue, out: Outgoing, sender_id: str, now: int) -> NewMessage:
        """Validate one outgoing message against the queue and compute what is stored."""
        if out.body == "":
            raise errors.MissingParameter("MessageBody")
        dedup_id = out.dedup_id
        if queue.is_fifo:
            dedup_id = self._check_fifo(queue, out)
        elif out.dedup_id is not None:
            raise _not_for_this_queue_type("MessageDeduplicationId", out.dedup_id)
        elif out.group_id is not None:
            # Standard queues accept MessageGroupId since fair queues (2025).
            _check_fifo_id("MessageGroupId", out.group_id)
        raw = messages.encode_body(out.body)
        if out.attributes:
            messages.check_attributes(out.attributes)
        if out.system_attributes:
            messages.check_system_attributes(out.system_attributes)
        limit = queue.int_attr("MaximumMessageSize")
        if messages.size_of(raw, out.attributes) > limit:
            raise errors.MessageTooLong(limit)
        delay = out.delay_seconds
        if delay is None or queue.is_fifo:  # FIFO: _check_fifo rejected per-message delays
            delay = queue.int_attr("DelaySeconds")
        elif not 0 <= delay <= 900:
            raise errors.InvalidParameter(
                f"Value {delay} for parameter DelaySeconds is invalid. "
                "Reason: DelaySeconds must be >= 0 and <= 900."
            )
        md5_body, md5_attrs, md5_sys = messages.digests(raw, out.attributes, out.system_attributes)
        return NewMessage(
            message_id=uuid4(),
            body=out.body,
            attributes=out.attributes,
            system_attributes=out.system_attributes,
            md5_body=md5_body,
            md5_attributes=md5_attrs,
            md5_system_attributes=md5_sys,
            sent_ms=now,
            visible_ms=now + delay * 1000,
            sender_id=sender_id,
            group_id=out.group_id,
            dedup_id=dedup_id,
        )

    @staticmethod
    def _check_fifo(queue: Queue, out: Outgoing) -> str:
        """FIFO send rules; returns the deduplication id to use."""
        if out.group_id is None:
            raise errors.MissingParameter("MessageGroupId")
        _check_fifo_id("MessageGroupId", out.group_id)
        if out.delay_seconds is not None:
            raise _not_for_this_queue_type("DelaySeconds", out.delay_seconds)
        if out.dedup_id is not None:
            _check_fifo_id("MessageDeduplicationId", out.dedup_id)
            return out.dedup_id
        if queue.attributes.get("ContentBasedDeduplication") != "true":
            raise errors.InvalidParameter(
                "The queue should either have ContentBasedDeduplication enabled or "
                "MessageDeduplicationId provided explicitly"
            )
        return hashlib.sha256(out.body.encode("utf-8")).hexdigest()

    async def send(self, queue: Queue, prepared: list[NewMessage]) -> list[Sent]:
        """Store prepared messages atomically (one commit) and wake long polls."""
        fifo = (
            FifoSend(
                now_ms=self._clock.now_ms(),
                window_ms=FIFO_WINDOW_MS,
                by_group=queue.attributes.get("DeduplicationScope") == "messageGroup",
            )
            if queue.is_fifo
            else None
        )
        try:
            stored = await self._store.send(queue.id, prepared, fifo)
        except QueueGone:
            raise self._gone(queue) from None
        self._waiters.notify(queue.id, len(prepared))
        return [
            Sent(
                message_id,
                m.md5_body,
                m.md5_attributes,
                m.md5_system_attributes,
                SEQUENCE_BASE + seq if queue.is_fifo else None,
            )
            for m, (message_id, seq) in zip(prepared, stored, strict=True)
        ]

    @staticmethod
    def check_batch(ids: Sequence[str], sizes: Sequence[int] | None = None) -> None:
        if not ids:
            raise errors.EmptyBatch()
        if len(ids) > 10:
            raise errors.TooManyEntries(len(ids))
        seen: set[str] = set()
        for entry_id in ids:
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,80}", entry_id):
                raise errors.InvalidBatchEntryId(entry_id)
            if entry_id in seen:
                raise errors.BatchIdsNotDistinct(entry_id)
            seen.add(entry_id)
        if sizes is not None and sum(sizes) > MAX_BATCH_BYTES:
            raise errors.BatchTooLong(sum(sizes), MAX_BATCH_BYTES)

    async def receive(
        self,
        queue: Queue,
        max_messages: int,
        visibility_s: int | None,
        wait_s: int | None,
        attempt_id: str | None = None,
    ) -> list[ReceivedMessage]:
        if not 1 <= max_messages <= 10:
            raise errors.InvalidParameter(
                f"Value {max_messages} for parameter MaxNumberOfMessages is invalid. "
                "Reason: Must be between 1 and 10, if provided."
            )
        if visibility_s is None:
            visibility_s = queue.int_attr("VisibilityTimeout")
        elif not 0 <= visibility_s <= MAX_VISIBILITY_S:
            raise errors.InvalidParameter(
                f"Value {visibility_s} for parameter VisibilityTimeout is invalid. "
                f"Reason: Must be >= 0 and <= {MAX_VISIBILITY_S}, if provided."
            )
        if wait_s is None:
            wait_s = queue.int_attr("ReceiveMessageWaitTimeSeconds")
        elif not 0 <= wait_s <= 20:
            raise errors.InvalidParameter(
                f"Value {wait_s} for parameter WaitTimeSeconds is invalid. "
                "Reason: Must be >= 0 and <= 20, if provided."
            )
        if attempt_id is not None:
            _check_fifo_id("ReceiveRequestAttemptId", attempt_id)
            if not queue.is_fifo:
                attempt_id = None  # only FIFO queues honour it; standard queues ignore it
        retention_ms = queue.int_attr("MessageRetentionPeriod") * 1000
        dlq, max_receives = await self._redrive_target(queue)
        deadline = self._clock.now_ms() + wait_s * 1000
        while True:
            woken = self._waiters.register(queue.id)
            try:
                found = await self._claim_once(
                    queue, max_messages, visibility_s, retention_ms, dlq, max_receives, attempt_id
                )
            except BaseException:
                self._waiters.forget(queue.id, woken)
                raise
            rows, next_visible = found
            if rows:
                if woken.done():  # a wake-up meant for someone else: pass it on
                    self._waiters.notify(queue.id)
                else:
                    self._waiters.forget(queue.id, woken)
                return rows
            now = self._clock.now_ms()
            if now >= deadline or self._closing:
                self._waiters.forget(queue.id, woken)
                return []
            wake_at = deadline if next_visible is None else min(deadline, next_visible)
            try:
                await self._waiters.wait(woken, max(wake_at - now, 1) / 1000)
            finally:
                self._waiters.forget(queue.id, woken)
            current = await self._lookup(queue.account, queue.name)
            if current is None or current.id != queue.id:  # deleted while we waited
                raise errors.QueueNotFound(queue.name)

    async def _claim_once(
        self,
        queue: Queue,
        max_messages: int,
        visibility_s: int,
        retention_ms: int,
        dlq: Queue | None,
        max_receives: int,
        attempt_id: str | None,
    ) -> tuple[list[ReceivedMessage], int | None]:
        """One claim transaction: the messages (with receipt handles) or the next visible_at."""
        now = self._clock.now_ms()
        claim = Claim(
            queue_id=queue.id,
            now_ms=now,
            limit=max_messages,
            visible_until_ms=now + visibility_s * 1000,
            retention_cutoff_ms=now - retention_ms,
            nonce=random.getrandbits(62),
            dead_letter_queue_id=None if dlq is None else dlq.id,
            max_receive_count=max_receives,
            fifo=queue.is_fifo,
            attempt_id=attempt_id,
            attempt_window_ms=FIFO_WINDOW_MS,
        )
        rows, next_visible, moved = await self._store.receive(claim)
        if moved and dlq is not None:
            self._waiters.notify(dlq.id, moved)
        return [
            _with_handle(m, handles.encode(queue.id, m.row, m.nonce)) for m in rows
        ], next_visible

    async def _redrive_target(self, queue: Queue) -> tuple[Queue | None, int]:
        """The queue's dead-letter queue and maxReceiveCount, if it has a live one."""
        policy = queue.attributes.get("RedrivePolicy")
        target = redrive.redrive_target(policy) if policy else None
        if target is None:
            return None, 0
        account, name, max_receives = target
        return await self._lookup(account, name), max_receives

    def _handle_for(self, queue: Queue, receipt_handle: str) -> Handle:
        handle = handles.decode(receipt_handle)
        if handle.queue_id != queue.id:
            raise errors.ReceiptHandleInvalid(receipt_handle)
        return handle

    async def delete(self, queue: Queue, receipt_handles: Sequence[str]) -> list[Exception | None]:
        """Delete by receipt handle; per handle, None or the error. A stale handle (the message
        was received again, or is already gone) succeeds without effect, as on AWS."""
        results: list[Exception | None] = []
        valid: list[Handle] = []
        for text in receipt_handles:
            try:
                valid.append(self._handle_for(queue, text))
                results.append(None)
            except errors.DomainError as exc:
                results.append(exc)
        if valid:
            deleted = await self._store.delete_messages(valid)
            if queue.is_fifo and any(deleted):
                # Deleting a group's in-flight message unlocks the group: its next message may
                # be deliverable now, so waiting long polls must look again.
                self._waiters.notify(queue.id, sum(deleted))
        return results

    async def change_visibility(
        self, queue: Queue, changes: Sequence[tuple[str, int]]
    ) -> list[Exception | None]:
        now = self._clock.now_ms()
        results: list[Exception | None] = [None] * len(changes)
        todo: list[tuple[int, Handle, int]] = []
        for i, (text, timeout_s) in enumerate(changes):
            try:
                handle = self._handle_for(queue, text)
                if not 0 <= timeout_s <= MAX_VISIBILITY_S:
                    raise errors.InvalidParameter(
                        f"Value {timeout_s} for parameter VisibilityTimeout is invalid. "
                        f"Reason: Must be >= 0 and <= {MAX_VISIBILITY_S}, if provided."
                    )
                todo.append((i, handle, now + timeout_s * 1000))
            except errors.DomainError as exc:
                results[i] = exc
        if todo:
            outcomes = await self._store.change_visibility(
                [(h, at) for _, h, at in todo],
                now,
                partial(refusal, max_ms=MAX_VISIBILITY_S * 1000),
            )
            released = 0
            for (i, _, at), outcome in zip(todo, outcomes, strict=True):
                text, timeout_s = changes[i]
                if outcome == "gone":
                    results[i] = errors.MessageNotAvailable(text)
                elif outcome == "not-inflight":
                    results[i] = errors.MessageNotInflight()
                elif outcome == "too-long":
                    results[i] = errors.InvalidParameter(
                        f"Value {timeout_s} for parameter VisibilityTimeout is invalid. Reason: "
                        f"Total VisibilityTimeout for the message is beyond the limit "
                        f"[{MAX_VISIBILITY_S} seconds]"
                    )
                elif at <= now:
                    released += 1
            if released:
                self._waiters.notify(queue.id, released)
        return results

    async def counts(self, queue: Queue) -> QueueCounts:
        now = self._clock.now_ms()
        cutoff = now - queue.int_attr("MessageRetentionPeriod") * 1000
        return await self._store.counts(queue.id, now, cutoff)

    async def expire_all(self) -> int:
        """Delete messages past their queue's retention period and forget FIFO windows that
        have passed (maintenance). Every queue in the store, as stored now (not this node's
        cache): each node sharing a store runs this, and deleting what is expired is the same
        whoever does it first."""
        now = self._clock.now_ms()
        await self._store.expire_windows(now)
        removed = 0
        for queue in await self._store.all_queues():
            removed += await self._store.expire(
                queue.id, now - queue.int_attr("MessageRetentionPeriod") * 1000
            )
        return removed

    def notify(self, queue_id: int) -> None:
        """Wake long polls on the queue: messages arrived by a path other than ``send``
        (a message move task)."""
        self._waiters.notify_all(queue_id)

    def wake(self, queue_id: int | None, count: int) -> None:
        """Another node sharing the store made ``count`` messages of the queue available: wake
        that many long polls. ``None``: wake every long poll (wake-ups may have been missed)."""
        if queue_id is None:
            self._waiters.notify_all()
        else:
            self._waiters.notify(queue_id, count)


def _not_for_this_queue_type(parameter: str, value: object) -> errors.InvalidParameter:
    # AWS's own wording, grammar included.
    return errors.InvalidParameter(
        f"Value {value} for parameter {parameter} is invalid. Reason: The request include "
        "parameter that is not valid for this queue type."
    )


def _check_fifo_id(parameter: str, value: str) -> None:
    if not _FIFO_ID.fullmatch(value):
        raise errors.InvalidParameter(
            f"Value {value} for parameter {parameter} is invalid. Reason: {parameter} can only "
            "include alphanumeric and punctuation characters. 1 to 128 in length."
        )


def _policy(queue: Queue) -> dict[str, object]:
    text = queue.attributes.get("Policy")
    if text:
        doc = orjson.loads(text)
        if isinstance(doc, dict) and isinstance(doc.get("Statement"), list):
            return doc
    # AddPermission writes the 2008-10-17 policy language version, as AWS does for queues.
    return {
        "Version": "2008-10-17",
        "Id": f"{queue_arn(queue)}/SQSDefaultPolicy",
        "Statement": [],
    }


def _with_handle(m: ReceivedMessage, handle: str) -> ReceivedMessage:
    m.receipt_handle = handle
    if m.sequence_number is not None:
        m.sequence_number += SEQUENCE_BASE
    return m
