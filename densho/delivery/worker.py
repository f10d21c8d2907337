"""The delivery worker: one asyncio task per node that drains the SNS outbox.

Owns: the loop — claim due rows up to a concurrency limit, run one attempt per row as its own
task (HTTP/S POST, or SMTP for email), report each outcome to ``Deliveries``, then sleep until
the earliest due row, a wake-up (a publish queued rows; an attempt finished) or a bounded idle
timeout. Start-up recovery of rows a crashed process had claimed.
Must not know: SQL, retry policies (``densho.sns.outbox`` decides), the wire.

Several nodes may run this loop on one shared outbox: a claim stamps a lease, so each row is
attempted by one node at a time, and a node that dies mid-attempt only delays its rows until
their lease ends. Wake-ups stay within a node: a publish wakes the worker of the node that took
it (which then delivers), and a node's own attempts wake it to schedule their retries. Rows of
other nodes are found by the sleep itself — until the earliest due time of any row in the outbox
(a claimed row's: its lease's end), at most ``IDLE_MS`` — so a row whose node died is retried by
another node when its lease ends, or at most ``IDLE_MS`` after it was written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from densho.core.sns_model import Claimed, OutboxEntry
from densho.sns import protocols
from densho.sns.outbox.attempts import Attempt, Result
from densho.sns.outbox.deliveries import Deliveries

log = logging.getLogger(__name__)

IDLE_MS = 30_000  # wake up at least this often, even with nothing due (bounded sleeps only)
MIN_SLEEP_MS = 5


class Sender(Protocol):
    async def send(self, entry: OutboxEntry) -> Attempt: ...


class Closable(Sender, Protocol):
    async def close(self) -> None: ...


class DeliveryWorker:
    def __init__(
        self,
        deliveries: Deliveries,
        http: Closable,
        smtp: Sender | None,
        *,
        concurrency: int = 32,
    ) -> None:
        self._deliveries = deliveries
        self._http = http
        self._smtp = smtp
        self._concurrency = concurrency
        self._wake = asyncio.Event()
        self._attempts: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Rows were queued (or an attempt ended): look at the outbox now."""
        self._wake.set()

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="sns-delivery")

    async def close(self) -> None:
        """Stop claiming and cancel attempts in flight; their rows stay claimed and are
        retried after the next start (or when their lease ends)."""
        tasks = [t for t in (self._runner, *self._attempts) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._http.close()

    async def _run(self) -> None:
        try:
            recovered = await self._deliveries.recover()
            if recovered:
                log.info("SNS delivery: %d interrupted attempts will be retried", recovered)
        except Exception:
            log.exception("SNS delivery recovery failed")
        while True:
            try:
                await self._round()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("SNS delivery round failed")
                await asyncio.sleep(1.0)

    async def _round(self) -> None:
        self._wake.clear()
        free = self._concurrency - len(self._attempts)
        if free > 0:
            for claimed in await self._deliveries.claim(free):
                task = asyncio.create_task(self._attempt(claimed))
                self._attempts.add(task)
                task.add_done_callback(self._finished)
            free = self._concurrency - len(self._attempts)
        now = self._deliveries.now_ms()
        until = now + IDLE_MS
        if free > 0:
            due = await self._deliveries.next_due()
            if due is not None:
                until = min(until, max(now + MIN_SLEEP_MS, due))
        # Full: the next wake-up is an attempt finishing (its done callback). The wait is the
        # clock's: a controlled clock pushed past a retry's due time ends it at once.
        await self._deliveries.wait(until, self._wake)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._attempts.discard(task)
        self._wake.set()

    async def _attempt(self, claimed: Claimed) -> None:
        entry = claimed.entry
        try:
            attempt = await self._send(claimed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # A bug or a malformed row: count it as a failed attempt, so the policy (and the
            # hour AWS allows) bounds how often it is tried.
            log.exception("SNS delivery %s to %s failed", entry.message_id, entry.endpoint)
            attempt = Attempt(Result.RETRYABLE, f"internal error: {type(exc).__name__}")
        if attempt is None:
            return
        try:
            if attempt.result is Result.DELIVERED:
                await self._deliveries.delivered(claimed)
            else:
                await self._deliveries.failed(claimed, attempt)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The row stays claimed: it is attempted again when its lease ends.
            log.exception("SNS delivery %s: recording the outcome failed", entry.message_id)

    async def _send(self, claimed: Claimed) -> Attempt | None:
        """One attempt; None when the row was settled without one (dropped or recorded)."""
        entry = claimed.entry
        if not await self._deliveries.wanted(claimed):
            return None
        if entry.protocol in protocols.EMAIL_PROTOCOLS:
            if self._smtp is None:  # the relay was configured when this was queued
                await self._deliveries.record(claimed)
                return None
            return await self._smtp.send(entry)
        if entry.protocol in protocols.HTTP_PROTOCOLS:
            return await self._http.send(entry)
        return Attempt(Result.PERMANENT, f"no transport for {entry.protocol}")
