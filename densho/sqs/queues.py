"""SQS queue lifecycle: create, look up, list, delete, attributes, tags, permissions, purge.

Owns: the rules of a queue's life — a queue is its account's, region's and name's (as in AWS:
the same name in two regions is two queues); CreateQueue is idempotent for equal attributes and
refused for a name deleted in that region less than a minute ago; a RedrivePolicy must name an
existing queue of the same type, account and region that admits the source; tags, permissions,
the purge interval — and the read-through cache of queue records, by account, region and name,
every request looks its queue up in. Attribute names
and strings are ``densho.sqs.attributes``'s; the rules here read ``Queue.config``.
Must not know: HTTP, botocore, wire dict shapes, SQL, how messages flow (``densho.sqs.flow``).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

import orjson

from densho.core import errors, queue_config
from densho.core.cache import SHARED_TTL_MS, ReadThrough
from densho.core.clock import Clock
from densho.core.events import NO_SQS_EVENTS, SqsEvents
from densho.core.sqs_model import Queue, QueueCounts
from densho.core.store import QUEUE, QueueGone, StoreUnavailable
from densho.sqs import attributes as qattrs
from densho.sqs import policy_statements
from densho.sqs.waiters import Waiters
from densho.storage.base import Store

log = logging.getLogger(__name__)

PURGE_INTERVAL_MS = 60_000
# A purge deletes its rows in the background, this many per transaction (a few ms each), other
# requests' work in between; at most this many chunks per run (maintenance resumes the rest).
PURGE_CHUNK_ROWS = 1_000
PURGE_MAX_CHUNKS = 100_000
# After each chunk the deleter rests this many times as long as the chunk took, so it takes at
# most about a third of the store's time whatever a chunk costs at the moment: deleting a
# million rows writes hundreds of MB of WAL (SQLite's or PostgreSQL's), and every commit of
# another queue waits for whatever WAL was written before its own.
PURGE_REST_RATIO = 2.0
DELETED_NAME_HOLD_MS = 60_000  # AWS: wait 60 s before re-creating a deleted queue's name
MAX_TAGS = 50
# API Reference AddPermission: "An Amazon SQS policy can have a maximum of seven actions per
# statement" (Developer Guide, "Amazon SQS policy quotas": actions per statement, 7).
MAX_PERMISSION_ACTIONS = 7
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


class Queues:
    def __init__(
        self, store: Store, clock: Clock, waiters: Waiters, events: SqsEvents = NO_SQS_EVENTS
    ) -> None:
        self._store = store
        self._events = events  # queue deletions (metrics drop the queue's series)
        self._clock = clock
        self._waiters = waiters  # long polls on a queue wake when it is deleted
        # A read-through cache of queue records, updated by this process's own queue writes.
        # Alone on its store, that keeps it exact; on a shared store other nodes' writes arrive
        # as ``forget`` (their notifications), and entries are reloaded after a second in case
        # one was lost.
        # Keyed by (account, region, name): a queue's identity, as AWS's.
        self._cache: ReadThrough[tuple[str, str, str], Queue] = ReadThrough(
            clock, SHARED_TTL_MS if store.shared else None
        )
        # queue id -> its cache key (forget by id)
        self._ids: dict[int, tuple[str, str, str]] = {}
        self._purging: dict[int, asyncio.Task[None]] = {}  # purges deleting their rows

    # --- the record cache ---

    async def lookup(self, account: str, region: str, name: str) -> Queue | None:
        """The queue of that name in the account and region, if there is one."""
        key = (account, region, name)
        queue = self._cache.get(key)
        if queue is None:
            began = self._cache.begin()
            queue = await self._store.get_queue(account, region, name)
            if queue is not None:
                self._ids[queue.id] = key
                self._cache.loaded(key, queue, began)
        return queue

    def known(self, account: str, region: str, name: str) -> Queue | None:
        """The queue as the cache holds it, or None (then ``lookup`` reads the store): every
        request's lookup, without a coroutine when the queue is cached."""
        return self._cache.get((account, region, name))

    async def get_queue(self, account: str, region: str, name: str) -> Queue:
        queue = await self.lookup(account, region, name)
        if queue is None:
            raise errors.QueueNotFound(name)
        return queue

    def _put(self, queue: Queue) -> None:
        """This node wrote the queue: cache what the store answered."""
        key = (queue.account, queue.region, queue.name)
        self._ids[queue.id] = key
        self._cache.put(key, queue)

    def _drop(self, queue: Queue) -> None:
        """The queue is gone (deleted here, or found gone on a shared store)."""
        self._ids.pop(queue.id, None)
        self._cache.forget((queue.account, queue.region, queue.name))

    def gone(self, queue: Queue) -> errors.QueueNotFound:
        """The store found the queue deleted (by another node, after this one looked it up)."""
        self._drop(queue)
        return errors.QueueNotFound(queue.name)

    def forget(self, queue_id: int) -> None:
        """Another node changed or deleted the queue: drop its record."""
        key = self._ids.pop(queue_id, None)
        if key is not None:
            self._cache.forget(key)

    def forget_all(self) -> None:
        """Other nodes' changes may have been missed: drop every cached queue record."""
        self._ids.clear()
        self._cache.forget_all()

    def cached(self, queue_id: int) -> Queue | None:
        """The queue's record if this node holds it (no store read)."""
        key = self._ids.get(queue_id)
        queue = None if key is None else self._cache.peek(key)
        return queue if queue is not None and queue.id == queue_id else None

    async def arn_of(self, queue_id: int, account: str, region: str) -> str | None:
        """The ARN of a queue of ``account`` in ``region`` by id (a dead-letter message's
        source), if it still exists."""
        queue = self.cached(queue_id)  # an ARN never changes
        if queue is None:
            listed = await self._store.list_queues(account, region, "")
            queue = next((q for q in listed if q.id == queue_id), None)
        return None if queue is None else queue.arn

    # --- lifecycle ---

    async def create_queue(
        self,
        account: str,
        region: str,
        name: str,
        attributes: Mapping[str, str],
        tags: Mapping[str, str],
    ) -> Queue:
        fifo, given, stored = check_new_queue(name, attributes, tags)
        now = self._clock.now_ms()
        existing = await self.lookup(account, region, name)
        if existing is not None:
            _check_same(existing, given)
            return existing
        if await self._store.deleted_since(account, region, name, now - DELETED_NAME_HOLD_MS):
            raise errors.QueueDeletedRecently(name)
        await self._check_dead_letter_target(account, region, name, fifo, attributes)
        queue, created = await self._store.create_queue(
            account, name, region, stored, dict(tags), now
        )
        if not created:  # lost a race with a concurrent CreateQueue of the same name
            _check_same(queue, given)
        self._put(queue)
        return queue

    async def list_queues(self, account: str, region: str, prefix: str) -> list[Queue]:
        return await self._store.list_queues(account, region, prefix)

    async def delete_queue(self, queue: Queue) -> None:
        await self._store.delete_queue(queue.id, self._clock.now_ms())
        self._drop(queue)
        self.finish_purge(queue.id)  # its rows, deleted in the background as a purge's
        self._events.queue_deleted(queue)
        self._store.changed(QUEUE, str(queue.id))
        self._waiters.notify_all(queue.id)

    async def _save(self, queue: Queue, attributes: dict[str, str], tags: dict[str, str]) -> Queue:
        try:
            updated = await self._store.update_queue(
                queue.id, attributes, tags, self._clock.now_ms()
            )
        except QueueGone:
            raise self.gone(queue) from None
        self._put(updated)
        self._store.changed(QUEUE, str(queue.id))
        return updated

    async def counts(self, queue: Queue) -> QueueCounts:
        now = self._clock.now_ms()
        return await self._store.counts(queue.id, now, now - queue.config.retention_ms)

    # --- attributes ---

    async def get_attributes(self, queue: Queue, names: Sequence[str]) -> dict[str, str]:
        wanted = qattrs.wanted(names)
        counts = await self.counts(queue) if wanted & qattrs.COUNTED else None
        return qattrs.render(queue, wanted, counts)

    async def set_attributes(self, queue: Queue, attributes: Mapping[str, str]) -> None:
        fifo = queue.config.fifo
        given = qattrs.validate(attributes, fifo=fifo, creating=False)
        merged = qattrs.merge(queue.attributes, given)
        if fifo:
            config = queue_config.read(merged)
            qattrs.check_high_throughput(config)
            narrowed = queue.config.dedup_scope is not config.dedup_scope
            if narrowed and config.dedup_scope is queue_config.DedupScope.MESSAGE_GROUP:
                until = self._clock.now_ms() + queue_config.SCOPE_PROPAGATION_MS
                merged[queue_config.QUEUE_SCOPE_UNTIL] = str(until)
        await self._check_dead_letter_target(
            queue.account, queue.region, queue.name, fifo, attributes
        )
        await self._save(queue, merged, queue.tags)

    async def _check_dead_letter_target(
        self, account: str, region: str, name: str, fifo: bool, attributes: Mapping[str, str]
    ) -> None:
        """A RedrivePolicy given to CreateQueue or SetQueueAttributes must name an existing queue
        of the same type, account and region whose RedriveAllowPolicy admits the source.
        ``attributes`` as given (already validated): errors quote the document as written."""
        requested = qattrs.dead_letter_request(attributes)
        if requested is None:
            return
        document, policy = requested
        if policy.account != account:
            raise errors.DeadLetterOwnerDiffers(document)
        target = (
            await self.lookup(account, region, policy.name) if policy.region == region else None
        )
        if target is None:
            raise errors.DeadLetterTargetMissing(document)
        if target.config.fifo != fifo:
            raise errors.DeadLetterTypeDiffers(document)
        source = f"arn:aws:sqs:{region}:{account}:{name}"
        if not target.config.redrive_allow.admits(source):
            raise errors.DeadLetterNotAllowed(document, policy.arn, source)

    async def dead_letter_sources(self, queue: Queue) -> list[Queue]:
        arn = queue.arn
        return [
            candidate
            for candidate in await self._store.list_queues(queue.account, queue.region, "")
            if (target := candidate.config.dead_letter) is not None and target.arn == arn
        ]

    async def purge(self, queue: Queue) -> None:
        now = self._clock.now_ms()
        if queue.purged_ms is not None and now - queue.purged_ms < PURGE_INTERVAL_MS:
            raise errors.PurgeInProgress(queue.name)  # known here: no need to ask the store
        try:
            purged = await self._store.purge(queue.id, now, PURGE_INTERVAL_MS)
        except QueueGone:
            raise self.gone(queue) from None
        if not purged:  # purged meanwhile, by another node: reload its purge time next time
            self._drop(queue)
            raise errors.PurgeInProgress(queue.name)
        self._put(replace(queue, purged_ms=now))
        self._store.changed(QUEUE, str(queue.id))
        self.finish_purge(queue.id)

    def finish_purge(self, queue_id: int) -> None:
        """Delete the rows of the queue's purge, or of the deleted queue, in the background
        (unless this node is at it already): the purge or DeleteQueue answered at once, its
        rows hidden from receives and counts."""
        if queue_id not in self._purging:
            task = asyncio.get_running_loop().create_task(self._delete_purged(queue_id))
            self._purging[queue_id] = task
            task.add_done_callback(lambda _: self._purging.pop(queue_id, None))

    async def _delete_purged(self, queue_id: int) -> None:
        loop = asyncio.get_running_loop()  # real time: pacing, not SQS semantics
        try:
            for _ in range(PURGE_MAX_CHUNKS):
                began = loop.time()
                if await self._store.purge_step(queue_id, PURGE_CHUNK_ROWS):
                    return
                await asyncio.sleep((loop.time() - began) * PURGE_REST_RATIO)
        except StoreUnavailable as exc:  # maintenance carries on later (``purges_pending``)
            log.warning("purge of queue %d paused: %s", queue_id, exc)
        except Exception:
            log.exception("purge of queue %d failed", queue_id)

    def close(self) -> None:
        """Shutting down: purges under way stop between chunks (maintenance resumes them)."""
        for task in list(self._purging.values()):
            task.cancel()

    # --- tags ---

    async def tag(self, queue: Queue, tags: Mapping[str, str]) -> None:
        merged = {**queue.tags, **tags}
        check_tags(merged)
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
            raise errors.InvalidLabel(label)
        if not accounts or not actions:
            raise errors.MissingParameter("AWSAccountId" if not accounts else "ActionName")
        if len(actions) > MAX_PERMISSION_ACTIONS:
            raise errors.TooManyActions(len(actions), MAX_PERMISSION_ACTIONS)
        for action in actions:
            if action not in _PERMISSION_ACTIONS:
                raise errors.ActionNotAllowed(action)
        policy = _policy(queue)
        if policy_statements.has_label(policy, label):
            raise errors.LabelExists(label)
        policy_statements.grant(policy, label, accounts, actions, "SQS", queue.arn)
        document = orjson.dumps(policy).decode()
        await self._save(queue, qattrs.with_policy(queue.attributes, document), queue.tags)

    async def remove_permission(self, queue: Queue, label: str) -> None:
        policy = _policy(queue)
        if not policy_statements.revoke(policy, label):
            raise errors.LabelNotFound(label)
        document = orjson.dumps(policy).decode() if policy_statements.statements(policy) else None
        await self._save(queue, qattrs.with_policy(queue.attributes, document), queue.tags)


def check_new_queue(
    name: str, attributes: Mapping[str, str], tags: Mapping[str, str]
) -> tuple[bool, dict[str, str], dict[str, str]]:
    """CreateQueue's checks that need no store (also declared queues' at ``check-config``):
    whether it is FIFO, the validated given attributes and the full stored set."""
    # The FifoQueue attribute decides the type and the name must follow that type's rules:
    # a ".fifo" name without FifoQueue=true is an invalid standard queue name, and FifoQueue on
    # a standard queue (even "false") is an unknown attribute, as on AWS.
    fifo = qattrs.requests_fifo(attributes)
    qattrs.validate_queue_name(name, fifo)
    given = qattrs.validate(attributes, fifo=fifo, creating=True)
    stored = qattrs.with_defaults(given, fifo)
    if fifo:
        qattrs.check_high_throughput(queue_config.read(stored))
    check_tags(tags)
    return fifo, given, stored


def _check_same(existing: Queue, given: Mapping[str, str]) -> None:
    attribute = qattrs.differing(existing.attributes, given)
    if attribute is not None:
        raise errors.QueueNameExists(existing.name, attribute)


def check_tags(tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise errors.TooManyTags(MAX_TAGS)
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise errors.InvalidTag(key)


def _policy(queue: Queue) -> dict[str, object]:
    text = queue.config.policy
    if text:
        doc = orjson.loads(text)
        if isinstance(doc, dict) and isinstance(doc.get("Statement"), list):
            return doc
    # AddPermission writes the 2008-10-17 policy language version, as AWS does for queues.
    return {
        "Version": "2008-10-17",
        "Id": f"{queue.arn}/SQSDefaultPolicy",
        "Statement": [],
    }
