"""Message move tasks (dead-letter queue redrive): start, list, cancel, and the runners.

Owns: the rules of a task — the source must be some queue's dead-letter queue, the destination
(if given) must exist and be of the same type, one active task per source, a rate of 1 to 500
messages a second — its handle, and its runner: one asyncio task per active move task that moves
the source's messages chunk by chunk, each chunk one store transaction (rows move, the counter
advances, both or neither), paced to the rate. Runners resume after a restart (``adopt``) and
stop between two transactions on shutdown (``close``).
Several nodes on one store: each task runs on one node at a time, the holder of its lease
(``LEASE_MS``; taken at start, renewed by every chunk, so at most about a second apart). A chunk
under another node's live lease does nothing and its runner stops; a task whose node stopped
renewing (it died) is adopted by another node's ``adopt``, which the maintenance loop calls every
``ADOPT_EVERY_S``. One runner per task, so MaxNumberOfMessagesPerSecond holds across nodes.
Must not know: HTTP, botocore, wire dict shapes, SQL.

AWS references: API Reference, StartMessageMoveTask / ListMessageMoveTasks /
CancelMessageMoveTask / ListMessageMoveTasksResultEntry; Developer Guide, "Learn how to configure
a dead-letter queue redrive": redrive moves the oldest messages first, and "all redriven messages
are considered new messages with a new messageID and enqueueTime" (the retention period restarts).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging

import orjson

from densho.core import errors
from densho.core.ids import uuid4
from densho.core.move_model import FAILED, QUEUE_GONE, RUNNING, MoveStep, MoveTask
from densho.core.sqs_model import Queue
from densho.core.store import Lease, StoreUnavailable
from densho.sqs.engine import SqsEngine
from densho.storage.move_store import MoveStore

log = logging.getLogger(__name__)

MAX_RATE = 500  # MaxNumberOfMessagesPerSecond: "The maximum value is 500"
MAX_RESULTS = 10  # ListMessageMoveTasks: "The default is 1 ... The upper limit is 10"
DEFAULT_CHUNK = 100  # no rate given ("system optimized"): chunks of this many, back to back
CHUNKS_PER_SECOND = 10  # with a rate, chunks of rate/10 messages, so the pace is smooth
MAX_CONCURRENT_CHUNKS = 8  # chunks of all tasks in flight at once (the rest wait their turn)
INTERNAL_FAILURE = "InternalError"
STORE_RETRY_S = 1.0  # pause before a chunk is tried again while the database is unreachable
# A node runs a task for this long after its last chunk. Chunks come at most ~1 s apart (the
# pause of the slowest rate), so a live runner renews it several times over; a dead node's
# tasks wait this long (plus up to ADOPT_EVERY_S) before another node carries them on.
LEASE_MS = 5_000
ADOPT_EVERY_S = 2.0  # shared stores: how often a node looks for tasks nobody runs


def encode_handle(task_id: str, source_arn: str) -> str:
    """A task handle as AWS shapes it: base64 of a JSON document naming task and source."""
    return base64.b64encode(orjson.dumps({"taskId": task_id, "sourceArn": source_arn})).decode()


def decode_handle(handle: str) -> tuple[str, str]:
    """(task id, source ARN) of a handle; InvalidTaskHandle if it is not one."""
    try:
        doc = orjson.loads(base64.b64decode(handle, validate=True))
        task_id, source_arn = doc["taskId"], doc["sourceArn"]
    except (ValueError, TypeError, KeyError):  # binascii.Error and JSONDecodeError included
        raise errors.InvalidTaskHandle() from None
    if not isinstance(task_id, str) or not isinstance(source_arn, str):
        raise errors.InvalidTaskHandle()
    return task_id, source_arn


def _arn_parts(arn: str, parameter: str) -> tuple[str, str, str]:
    """(account, region, queue name) of a queue ARN
    ``arn:<partition>:sqs:<region>:<account>:<name>``."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or not parts[4] or not parts[5]:
        raise errors.InvalidArn(parameter)
    if parts[2] != "sqs":
        raise errors.ResourceNotFound(parameter)
    return parts[4], parts[3], parts[5]


def _retention_cutoff(queue: Queue, now_ms: int) -> int:
    return now_ms - queue.config.retention_ms


class MoveTasks:
    def __init__(self, engine: SqsEngine, store: MoveStore) -> None:
        self._engine = engine  # queues, the injected clock, long-poll wake-ups
        self._store = store
        self._runners: dict[str, asyncio.Task[None]] = {}
        self._wake: dict[str, asyncio.Event] = {}  # cuts a runner's pause short (cancel)
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_CHUNKS)
        self._closing = False
        self._node = uuid4()  # this node's name on the leases it holds

    def _lease(self) -> Lease:
        return Lease(self._node, self._engine.now_ms() + LEASE_MS)

    # --- the three actions ---

    async def start(
        self, source_arn: str, destination_arn: str | None, max_per_second: int | None
    ) -> MoveTask:
        if max_per_second is not None and not 1 <= max_per_second <= MAX_RATE:
            raise errors.OutOfRange("MaxNumberOfMessagesPerSecond", max_per_second, 1, MAX_RATE)
        source = await self._queue(source_arn, "SourceArn")
        if not await self._engine.queues.dead_letter_sources(source):
            raise errors.NotADeadLetterQueue()
        destination: Queue | None = None
        if destination_arn:  # "If this field is left blank, the messages will be redriven back
            # to their respective original source queues."
            destination = await self._queue(destination_arn, "DestinationArn")
            if destination.id == source.id:
                raise errors.MoveToSameQueue()
            if destination.config.fifo != source.config.fifo:
                raise errors.MoveTypeDiffers()
        now = self._engine.now_ms()
        task = MoveTask(
            task_id=uuid4(),
            source_queue_id=source.id,
            source_arn=source.arn,
            destination_queue_id=None if destination is None else destination.id,
            destination_arn=None if destination is None else destination.arn,
            max_per_second=max_per_second,
            status=RUNNING,
            to_move=0,
            moved=0,
            started_ms=now,
        )
        started = await self._store.start_move_task(
            task, now, _retention_cutoff(source, now), self._lease()
        )
        if started is None:
            raise errors.MoveTaskRunning()
        self._spawn(started)
        return started

    async def list_tasks(self, source_arn: str, max_results: int | None) -> list[MoveTask]:
        """The source's most recent tasks, newest first (1 unless ``max_results`` says more)."""
        if max_results is None:
            max_results = 1
        elif not 1 <= max_results <= MAX_RESULTS:
            raise errors.OutOfRange("MaxResults", max_results, 1, MAX_RESULTS)
        source = await self._queue(source_arn, "SourceArn")
        return await self._store.list_move_tasks(source.id, max_results)

    async def cancel(self, handle: str) -> int:
        """Cancel a RUNNING task; the number of messages it had moved."""
        task_id, source_arn = decode_handle(handle)
        source = await self._queue(source_arn, "SourceArn")
        task = await self._store.get_move_task(task_id)
        if task is None or task.source_queue_id != source.id:
            raise errors.MoveTaskNotFound(task_id)
        # "A message movement can only be cancelled when the current status is RUNNING."
        cancelling = await self._store.cancel_move_task(task_id)
        if cancelling is None:
            raise errors.MoveTaskNotFound(task_id)
        wake = self._wake.get(task_id)
        if wake is not None:
            wake.set()  # the runner records CANCELLED now rather than after its pause
        else:  # records CANCELLED, unless another node runs the task (then that one does)
            self._spawn(cancelling)
        return cancelling.moved

    def handle(self, task: MoveTask) -> str:
        return encode_handle(task.task_id, task.source_arn)

    # --- lifecycle ---

    async def adopt(self) -> int:
        """Start a runner for every active task no node runs — at start-up, those a restart
        interrupted; on a shared store, also those whose node stopped renewing its lease (the
        maintenance loop calls this every ``ADOPT_EVERY_S``). How many."""
        tasks = await self._store.adopt_move_tasks(self._lease(), self._engine.now_ms())
        for task in tasks:
            self._spawn(task)
        return len(tasks)

    async def close(self) -> None:
        """Stop every runner. A chunk is one transaction, so each stops between two chunks
        (a chunk already handed to the store still commits); ``adopt`` carries on."""
        self._closing = True
        runners = list(self._runners.values())
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, return_exceptions=True)
        if runners:
            try:  # hand the tasks over now; if this fails, the leases run out instead
                await self._store.release_move_tasks(self._node)
            except Exception:
                log.warning("could not release this node's move tasks", exc_info=True)

    async def stop_all(self) -> None:
        """A reset deletes every task: stop this node's runners first (their rows go)."""
        runners = list(self._runners.values())
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, return_exceptions=True)

    # --- the runner ---

    def _spawn(self, task: MoveTask) -> None:
        if self._closing or task.task_id in self._runners:
            return
        self._wake[task.task_id] = asyncio.Event()
        self._runners[task.task_id] = asyncio.create_task(
            self._run(task), name=f"densho-move-{task.task_id}"
        )

    async def _run(self, task: MoveTask) -> None:
        rate = task.max_per_second
        chunk = DEFAULT_CHUNK if rate is None else -(-rate // CHUNKS_PER_SECOND)
        clock = self._engine.clock
        due = float(clock.now_ms())  # the moment of the clock the next chunk may start at
        pushed = clock.offset_ms  # how far the clock had been pushed when last looked at
        credit = 0  # of the pushes since, what the schedule has not yet caught up with
        try:
            while True:
                # Late (a slow chunk or store): the lost time is not made up with a burst. But
                # time the clock was pushed forward by counts as passed: advancing a controlled
                # clock 10 s lets 10 s of messages move, in back-to-back chunks.
                began = clock.now_ms()
                credit += clock.offset_ms - pushed
                pushed = clock.offset_ms
                due = max(due, began - credit)
                credit = max(0, min(credit, int(began - due)))
                try:
                    async with self._slots:
                        step = await self._step(task, chunk)
                except StoreUnavailable:
                    # The database is unreachable (PostgreSQL): nothing of the chunk committed;
                    # the task stays RUNNING and tries again, rather than failing.
                    await asyncio.sleep(STORE_RETRY_S)
                    continue
                if step is None:  # another node holds the task's lease: it runs the task
                    return
                for queue_id in step.targets:
                    self._engine.notify(queue_id)
                if step.status != RUNNING:
                    return
                # Pacing on the clock: this chunk's messages take moved/rate seconds.
                if rate is not None:
                    due += step.moved * 1000 / rate
                await self._pause(task.task_id, None if rate is None else int(due))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("message move task %s failed", task.task_id)
            with contextlib.suppress(Exception):
                await self._store.fail_move_task(task.task_id, INTERNAL_FAILURE)
        finally:
            self._runners.pop(task.task_id, None)
            self._wake.pop(task.task_id, None)

    async def _step(self, task: MoveTask, limit: int) -> MoveStep | None:
        source = await self._live_source(task)
        if source is None:
            await self._store.fail_move_task(task.task_id, QUEUE_GONE)
            return MoveStep(FAILED, 0, ())
        now = self._engine.now_ms()
        return await self._store.move_chunk(
            task.task_id,
            now,
            limit,
            _retention_cutoff(source, now),
            [uuid4() for _ in range(limit)],
            source.config.fifo,
            self._lease(),
        )

    async def _pause(self, task_id: str, until_ms: int | None) -> None:
        """Until ``until_ms`` on the clock (None: no pause), or the task is cancelled."""
        wake = self._wake.get(task_id)
        if until_ms is None or wake is None or until_ms <= self._engine.now_ms():
            await asyncio.sleep(0)  # let requests in between back-to-back chunks
            return
        await self._engine.clock.wait(until_ms, wake)
        wake.clear()

    # --- queues ---

    async def _queue(self, arn: str, parameter: str) -> Queue:
        account, region, name = _arn_parts(arn, parameter)
        try:
            return await self._engine.queues.get_queue(account, region, name)
        except errors.QueueNotFound:
            raise errors.ResourceNotFound(parameter) from None

    async def _live_source(self, task: MoveTask) -> Queue | None:
        """The task's source queue, or None if it was deleted (even if re-created since)."""
        try:
            queue = await self._queue(task.source_arn, "SourceArn")
        except errors.DomainError:
            return None
        return queue if queue.id == task.source_queue_id else None
