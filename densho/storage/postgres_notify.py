"""Wake-ups across nodes for the PostgreSQL store: LISTEN/NOTIFY on one dedicated connection.

Owns: telling the other densho nodes sharing the database that a queue got messages that may be
available (after the commit that made them so), and hearing what they tell, as ``wake(queue_id,
count)`` calls — the same hook the engine's own sends drive for this node's long polls (channel
``densho_messages``). Likewise that a cached record changed — a queue's attributes, tags, purge
time or existence; a topic or its subscriptions — as ``forget(kind, key)`` calls that drop the
other nodes' copies (channel ``densho_changes``). Also: the connection's upkeep — reconnecting
with backoff when it is lost, and then waking every waiter (``wake(None, 0)``) and dropping every
cached record (``forget(None, "")``), because notifications sent meanwhile are gone.
Must not know: the engine, waiters, caches, SQS.

Why notifications leave after the commit and on their own connection, rather than as NOTIFY
inside each writing transaction: PostgreSQL serializes the commits of all transactions that
NOTIFY (one global lock, held through the commit's WAL flush), which would undo the group commit
the server does for concurrent writers. Here the notifications of one event-loop turn go out
together as one NOTIFY, from a session whose commits do not wait for the disk (they carry
nothing durable). The price: if a node dies between a commit and its notification, long polls
elsewhere find those messages at their next look (their deadline, at most 20 s), not at once.
Each payload carries the sending node's id, so a node ignores its own (its engine already woke
its own waiters).

Wake-ups go out only while another node listens: a node alone on its database (the usual
single-node setup) would otherwise send a NOTIFY, one more round trip, per loop turn that
committed messages, for nobody. Whether others listen: every ``PRESENCE_EVERY_S`` the listening
connection (which is also its liveness check) counts the other nodes' listening sessions
(``application_name``), and a node that starts listening says so at once (a payload of its id
alone), so the others turn their wake-ups on within a round trip rather than a period. A
commit made elsewhere in between, unannounced, is covered by the new node waking all its
waiters once, a period after it started listening. Changed records (``densho_changes``, rare)
are always announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

import asyncpg

from densho.storage.base import Forget, Wake

log = logging.getLogger(__name__)

CHANNEL = "densho_messages"  # payload: "<node> <queue id>:<count> ..."
CHANGES = "densho_changes"  # payload: "<node> <kind>:<key> ..." (an ARN key holds colons)
MAX_PAYLOAD = 7900  # PostgreSQL's limit is 8000 bytes
PRESENCE_EVERY_S = 1.0  # other listeners counted (and the connection checked) this often
LISTENER_NAME = "densho-listen"  # the listening session's application_name
MAX_BACKOFF_S = 2.0


class Notifications:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self.node = uuid.uuid4().hex[:12]
        self._wake: Wake | None = None
        self._forget: Forget | None = None
        self._conn: asyncpg.Connection | None = None
        self._pending: dict[int, int] = {}
        self._changes: dict[str, None] = {}  # "kind:key" entries, in order, each once
        self._flusher: asyncio.Task[None] | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._closing = False
        self._busy = asyncio.Lock()  # one statement at a time on the connection
        # Whether another node listens (wake-ups are sent only then); True until counted.
        self._others = True
        self._heard = 0  # payloads heard from other nodes (a count taken before one is stale)
        self._rewake: asyncio.TimerHandle | None = None

    def set_wake(self, wake: Wake) -> None:
        self._wake = wake

    def set_forget(self, forget: Forget) -> None:
        self._forget = forget

    @property
    def others(self) -> bool:
        """Whether wake-ups are sent: another node listens, or may."""
        return self._others

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def start(self) -> None:
        """Connect and listen; returns once listening (raises if the first connect fails)."""
        conn = await self._connect()
        self._supervisor = asyncio.create_task(self._supervise(conn))

    async def close(self) -> None:
        self._closing = True
        if self._flusher is not None and not self._flusher.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._flusher), 2)
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        if self._rewake is not None:
            self._rewake.cancel()
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)

    # --- sending ---

    def publish(self, queue_id: int, count: int) -> None:
        """After a commit: ``count`` messages of the queue may be available (to other nodes)."""
        self._pending[queue_id] = self._pending.get(queue_id, 0) + count
        self._schedule()

    def changed(self, kind: str, key: str) -> None:
        """After a commit: the record ``kind``/``key`` changed (other nodes forget theirs)."""
        self._changes[f"{kind}:{key}"] = None
        self._schedule()

    def _schedule(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let the other commits of this loop turn add theirs
        while self._pending or self._changes:
            batch, self._pending = self._pending, {}
            changes, self._changes = self._changes, {}
            conn = self._conn
            if conn is None or conn.is_closed():
                # No connection: the others find messages at their next look, and drop their
                # cached records when their own caches' time-to-live runs out.
                continue
            payloads = (
                [(CHANGES, p) for p in _payloads(self.node, list(changes))] if changes else []
            )
            if batch and self._others:
                entries = [f"{queue_id}:{count}" for queue_id, count in batch.items()]
                payloads.extend((CHANNEL, p) for p in _payloads(self.node, entries))
            try:
                async with self._busy:
                    for channel, payload in payloads:
                        await conn.execute("SELECT pg_notify($1, $2)", channel, payload)
            except Exception as exc:  # the supervisor reconnects; these are lost
                log.warning("NOTIFY failed: %s: %s", type(exc).__name__, exc)

    # --- receiving ---

    def _on_notify(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        node, _, entries = payload.partition(" ")
        if node == self.node:
            return
        self._heard += 1  # a node that speaks listens: send it wake-ups (its id alone: hello)
        self._others = True
        wake = self._wake
        if wake is None:
            return
        for entry in entries.split():
            queue_id, _, count = entry.partition(":")
            with contextlib.suppress(ValueError):
                wake(int(queue_id), int(count))

    def _on_change(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        node, _, entries = payload.partition(" ")
        forget = self._forget
        if node == self.node or forget is None:
            return
        for entry in entries.split():
            kind, _, key = entry.partition(":")
            forget(kind, key)

    async def _connect(self) -> asyncpg.Connection:
        conn = await asyncpg.connect(
            self._dsn,
            timeout=5,
            # Notifications carry nothing durable: their transactions need not wait for the disk.
            server_settings={"synchronous_commit": "off", "application_name": LISTENER_NAME},
        )
        try:
            await conn.add_listener(CHANNEL, self._on_notify)
            await conn.add_listener(CHANGES, self._on_change)
            # Listening now: the others send their wake-ups from their next commit on.
            await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, self.node)
        except BaseException:
            conn.terminate()
            raise
        self._conn = conn
        self._others = True  # until counted
        # A commit another node made before it heard that is found by looking again.
        if self._rewake is not None:
            self._rewake.cancel()
        self._rewake = asyncio.get_running_loop().call_later(PRESENCE_EVERY_S, self._look_again)
        return conn

    def _look_again(self) -> None:
        self._rewake = None
        if self._wake is not None:
            self._wake(None, 0)

    async def _supervise(self, conn: asyncpg.Connection | None) -> None:
        delay = 0.1
        while not self._closing:
            if conn is None:
                try:
                    conn = await self._connect()
                except Exception as exc:
                    log.warning("LISTEN connection failed: %s: %s", type(exc).__name__, exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MAX_BACKOFF_S)
                    continue
                log.warning("LISTEN connection re-established")
                # Notifications sent while away are lost: look again, load again.
                if self._forget is not None:
                    self._forget(None, "")
                if self._wake is not None:
                    self._wake(None, 0)
            delay = 0.1
            await self._watch(conn)
            self._conn = None
            conn.terminate()
            conn = None

    async def _watch(self, conn: asyncpg.Connection) -> None:
        """Count the other listeners every period; return when the connection is lost (the
        server closed it, or a count failed)."""
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _: lost.set())
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), PRESENCE_EVERY_S)
                return
            heard = self._heard
            try:
                async with self._busy:
                    others = await asyncio.wait_for(
                        conn.fetchval(_OTHER_LISTENERS, LISTENER_NAME), 5
                    )
            except Exception:
                return
            # None counted, and nobody spoke while counting (a node starting meanwhile).
            self._others = bool(others) or self._heard != heard


_OTHER_LISTENERS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND application_name = $1 AND pid <> pg_backend_pid()"
)


def _payloads(node: str, entries: list[str]) -> list[str]:
    """``node entry entry ...``, split so that none exceeds PostgreSQL's payload limit."""
    out: list[str] = []
    line = node
    for entry in entries:
        if len(line) + len(entry) + 1 > MAX_PAYLOAD and line != node:
            out.append(line)
            line = node
        line += f" {entry}"
    out.append(line)
    return out
