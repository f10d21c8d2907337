"""A PostgreSQL cluster of its own (``initdb``/``pg_ctl`` as the ``postgres`` user), for tests
that crash and restart PostgreSQL and for benches that need server settings the shared
PostgreSQL of this machine must keep (checkpoints, WAL sizes).

Owns: making the cluster in a fresh temporary directory (on this machine /tmp is on the same
disk as the shared PostgreSQL, so its commits pay for the same fsyncs), starting it on a free
127.0.0.1 port with the given ``-c`` settings, stopping it, creating databases in it, and
removing it all on ``close()``.
Knows nothing of densho: densho migrates the databases it is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

import asyncpg

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), Path("/nonexistent"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgCluster:
    """A cluster of its own on a free port, run as ``postgres`` (PostgreSQL refuses root), with
    ``settings`` given to the server as ``-c name=value`` at every start."""

    def __init__(
        self, settings: Mapping[str, str] | None = None, parent: Path | None = None
    ) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="densho-pgcluster-", dir=parent))
        self.data = self.dir / "data"
        self.port = free_port()
        self.settings = dict(settings or {})
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
        self._run(PG_BIN / "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str | Path) -> None:
        subprocess.run(
            [*self._as_postgres, *map(str, args)],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = " ".join(
            [
                f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
                *(f"-c {name}={value}" for name, value in self.settings.items()),
            ]
        )
        log = self.dir / "log"
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", log, "-w", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-w", "-m", mode, "stop")

    def create_database(self, name: str) -> str:
        async def create() -> None:
            conn = await asyncpg.connect(self.admin_url, timeout=5)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(create())
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
