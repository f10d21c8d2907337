"""SQLite WAL checkpoints in a thread of their own, so the event loop never runs one.

SQLite checkpoints on the committing connection by default: once the WAL passes its threshold,
the commit that crossed it copies the WAL's pages into the database file and syncs both, and
densho's writer connection lives on the event loop — every request waited (tens of ms per 16 MiB
of WAL, more while a purge of millions of rows churned through it). Here a second connection in
a worker thread runs PASSIVE checkpoints soon after commits: they never block the writer or the
readers, and copy what no reader still needs. The writer keeps SQLite's own checkpoint only as a
backstop (``BACKSTOP_PAGES``), should this thread fall behind.

Durability is unchanged: the checkpointing connection syncs the WAL before copying and the
database file after (synchronous=NORMAL in WAL mode), and the writer restarts the WAL only after
a complete checkpoint, as before.
Owns: that thread, its connection, when it checkpoints. Must not know: the schema, densho's
operations, HTTP.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

BACKSTOP_PAGES = 4096  # the writer's own autocheckpoint: 64 MiB of WAL at 16 KiB pages
PAUSE_S = 0.1  # at most ten checkpoints a second: each copies every commit since the last
IDLE_S = 1.0  # without a commit, look again after this long (stopping is noticed at once)


class Checkpointer:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._committed = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.checkpoints = 0  # completed, since start

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="densho-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """The writer committed: there are pages to copy (cheap; called on every commit)."""
        self._committed.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stopping.set()
        self._committed.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=0")  # PASSIVE never waits; a busy one is retried
            while not self._stopping.is_set():
                self._committed.wait(IDLE_S)
                if self._stopping.is_set():
                    return
                self._committed.clear()
                self._checkpoint(conn)
                self._stopping.wait(PAUSE_S)
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            # A full disk or an I/O error: the writer's commits report it (503 and the log);
            # the next commit brings another attempt.
            log.debug("WAL checkpoint failed: %s", exc)
            return
        if busy:
            self._committed.set()  # try again after the pause
        else:
            self.checkpoints += 1
