"""Starting and stopping a densho server for a test run: a subprocess on a free port.

Owns: the command line (``python -m densho serve --port 0``, the in-memory store and the
controlled clock unless told otherwise), reading the endpoint from the server's ready line,
waiting for its ready probe, keeping the last lines it printed (for the error when it does not
start), and stopping it by its process id — SIGTERM, then SIGKILL if it lingers — so no test run
leaves a server behind.
Must not know: what tests do with the server (``densho.testing.handle``), densho's insides.
"""

from __future__ import annotations

import collections
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from densho.testing.handle import DEFAULT_ACCOUNT, DEFAULT_REGION, Densho, DenshoError

READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
_READY_LINE = re.compile(r"densho ready: (https?://\S+)")


def serve_command(*flags: str) -> list[str]:
    """``densho serve`` with this Python, on a free loopback port (its ready line names it),
    with ``flags`` after."""
    return [sys.executable, "-m", "densho", "serve", "--host", "127.0.0.1", "--port", "0", *flags]


@contextlib.contextmanager
def server(
    *,
    store: str = "memory",
    clock: str = "controlled",
    region: str = DEFAULT_REGION,
    account_id: str = DEFAULT_ACCOUNT,
    args: Sequence[str] = (),
    ready_timeout: float = READY_TIMEOUT_S,
) -> Iterator[Densho]:
    """A densho server for the ``with`` block, stopped at its end.

    ``store``: ``memory`` (nothing on disk), ``sqlite:///path`` or ``postgresql://...``.
    ``clock``: ``controlled`` (``Densho.advance`` moves it) or ``system``. ``args``: more
    ``densho serve`` flags."""
    data_dir, throwaway = _data_dir(store)
    command = serve_command(
        "--store",
        store,
        "--clock",
        clock,
        "--region",
        region,
        "--account-id",
        account_id,
        *(("--data-dir", data_dir) if data_dir else ()),
        *args,
    )
    process = ServerProcess(command)
    try:
        endpoint = process.start(ready_timeout)
        densho = Densho(endpoint, region=region, account_id=account_id, pid=process.pid)
        densho.wait_ready(ready_timeout)
        yield densho
    finally:
        process.stop()
        if throwaway and data_dir is not None:
            shutil.rmtree(data_dir, ignore_errors=True)


def _data_dir(store: str) -> tuple[str | None, bool]:
    """Where the server may keep files, and whether that directory is this run's to remove.

    The in-memory store writes nothing. A SQLite file keeps its keys beside it, as ``densho
    serve`` does, so the next run on that file can read what this one encrypted. Any other
    store gets a throwaway directory rather than the user's own (~/.local/share/densho)."""
    if store == "memory":
        return None, False
    if store.startswith("sqlite:///"):
        return str(Path(store.removeprefix("sqlite:///")).parent), False
    return tempfile.mkdtemp(prefix="densho-test-"), True


def connect(endpoint_url: str, *, region: str = DEFAULT_REGION, timeout: float = 10.0) -> Densho:
    """A densho started elsewhere (``--densho-endpoint``), once its ready probe answers."""
    densho = Densho(endpoint_url, region=region)
    densho.wait_ready(timeout)
    return densho


class ServerProcess:
    """One server subprocess: started once, stopped once (stopping twice is harmless)."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self._proc: subprocess.Popen[str] | None = None
        self._lines: collections.deque[str] = collections.deque(maxlen=200)
        self._ready = threading.Event()
        self._endpoint: str | None = None
        self._reader: threading.Thread | None = None

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise DenshoError("the densho server was never started")
        return self._proc.pid

    def start(self, timeout: float) -> str:
        """Launch the server; its endpoint once it printed its ready line."""
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._proc = subprocess.Popen(
            self.command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one stream: one reader, and the error shows both
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        assert self._proc.stdout is not None
        # The reader drains the output for the server's whole life: a full pipe would block it.
        self._reader = threading.Thread(
            target=self._pump, args=(self._proc.stdout,), name="densho-output", daemon=True
        )
        self._reader.start()
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self._proc.poll() is not None:
                self._reader.join(timeout=5)
                raise DenshoError(
                    f"densho exited with {self._proc.returncode} before it was ready: "
                    f"{self.command}\n{self.output()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise DenshoError(
                    f"densho printed no ready line within {timeout:g} s\n{self.output()}"
                )
        assert self._endpoint is not None
        return self._endpoint

    def output(self) -> str:
        """The last lines the server printed (stdout and stderr)."""
        return "".join(self._lines)

    def stop(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=STOP_TIMEOUT_S)
        if self._reader is not None:
            self._reader.join(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()

    def _pump(self, stream: IO[str]) -> None:
        with contextlib.suppress(OSError, ValueError):
            for line in stream:
                self._lines.append(line)
                if self._endpoint is None:
                    match = _READY_LINE.search(line)
                    if match:
                        self._endpoint = match.group(1).rstrip("/")
                        self._ready.set()
