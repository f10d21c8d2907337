"""Run the real densho server as a subprocess, for end-to-end tests.

Owns: starting ``python -m densho serve`` on a free port with a data directory,
waiting (bounded) for its ready line, and stopping it — gracefully (SIGTERM),
brutally (SIGKILL) or by restarting it on the same data directory. It never
leaves a process behind: every start is paired with a wait.

Knows nothing of SQS: it only parses the endpoint URL out of the ready line
(``densho ready: http://127.0.0.1:41234 (store: ...)``).
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from densho.testing.process import serve_command

READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 15.0
_URL_RE = re.compile(r"https?://\S+")
_REPO_ROOT = Path(__file__).resolve().parents[2]


class ServerError(RuntimeError):
    """The server did not start, or did not stop, as the contract says."""


class DenshoServer:
    """One densho server process bound to one data directory.

    ``start()`` (or the context manager) launches it; ``endpoint`` is valid
    while it runs. ``restart()`` keeps the data directory; the port may change.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        log_dir: Path | None = None,
        extra_args: tuple[str, ...] = (),
        ready_timeout: float = READY_TIMEOUT_S,
        store: str | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir = Path(log_dir) if log_dir is not None else self.data_dir.parent
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.extra_args = extra_args
        # None: SQLite in data_dir. A postgresql:// URL: that database (kept across restarts,
        # like the data directory).
        self.store = store
        self.ready_timeout = ready_timeout
        self._proc: subprocess.Popen[str] | None = None
        self._endpoint: str | None = None
        self._reader: threading.Thread | None = None
        self._stderr: IO[str] | None = None
        self._starts = 0
        self.last_returncode: int | None = None

    # -- lifecycle ---------------------------------------------------------

    @property
    def endpoint(self) -> str:
        if self._endpoint is None or not self.running:
            raise ServerError("the server is not running")
        return self._endpoint

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise ServerError("the server was never started")
        return self._proc.pid

    def command(self) -> list[str]:
        return serve_command(
            "--data-dir",
            str(self.data_dir),
            "--account-id",
            "000000000000",
            "--region",
            "us-east-1",
            *(("--store", self.store, "--pg-pool-size", "4") if self.store else ()),
            *self.extra_args,
        )

    def start(self) -> DenshoServer:
        if self.running:
            raise ServerError("the server is already running")
        self._cleanup_handles()
        self._starts += 1
        stdout_log = self.log_dir / f"densho-{self._starts}.stdout.log"
        stderr_log = self.log_dir / f"densho-{self._starts}.stderr.log"
        self._stderr = stderr_log.open("w", encoding="utf-8")
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        self._proc = subprocess.Popen(
            self.command(),
            cwd=_REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        lines: queue.Queue[str | None] = queue.Queue()
        assert self._proc.stdout is not None
        self._reader = threading.Thread(
            target=_pump_stdout,
            args=(self._proc.stdout, lines, stdout_log),
            name=f"densho-stdout-{self._proc.pid}",
            daemon=True,
        )
        self._reader.start()
        try:
            self._endpoint = self._wait_ready(lines, stderr_log)
        except BaseException:
            self.kill9()
            raise
        return self

    def _wait_ready(self, lines: queue.Queue[str | None], stderr_log: Path) -> str:
        deadline = time.monotonic() + self.ready_timeout
        seen: list[str] = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServerError(
                    f"no ready line within {self.ready_timeout:.0f} s; stdout so far: {seen!r}; "
                    f"stderr: {_tail(stderr_log)}"
                )
            try:
                line = lines.get(timeout=min(remaining, 0.25))
            except queue.Empty:
                continue
            if line is None:
                assert self._proc is not None
                code = self._proc.wait(timeout=STOP_TIMEOUT_S)
                raise ServerError(
                    f"the server exited with {code} before it was ready; stdout: {seen!r}; "
                    f"stderr: {_tail(stderr_log)}"
                )
            seen.append(line)
            match = _URL_RE.search(line)
            if match:
                return match.group(0).rstrip("/")

    def stop(self, timeout: float = STOP_TIMEOUT_S, sig: int = signal.SIGTERM) -> int:
        """Ask the server to shut down (SIGTERM by default); return its exit code.

        If it does not exit within ``timeout`` it is killed and ServerError raised.
        """
        proc = self._require_proc()
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired as exc:
                self.kill9()
                raise ServerError(f"the server did not exit within {timeout} s of {sig!r}") from exc
        return self._finish()

    def kill9(self) -> int:
        """SIGKILL the server (a crash, as far as it can tell) and reap it."""
        proc = self._proc
        if proc is None:
            return 0
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT_S)
        return self._finish()

    def restart(self, *, crash: bool = False) -> DenshoServer:
        """Stop (or crash) the server if it runs, then start it on the same data dir."""
        if self.running:
            if crash:
                self.kill9()
            else:
                self.stop()
        return self.start()

    def close(self) -> None:
        """Make sure no process is left behind; never raises for a dead server."""
        if self._proc is not None and self._proc.poll() is None:
            try:
                self.stop()
            except ServerError:
                self.kill9()
        elif self._proc is not None:
            self._finish()
        self._cleanup_handles()

    def __enter__(self) -> DenshoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- internals ---------------------------------------------------------

    def _require_proc(self) -> subprocess.Popen[str]:
        if self._proc is None:
            raise ServerError("the server was never started")
        return self._proc

    def _finish(self) -> int:
        proc = self._require_proc()
        code = proc.wait(timeout=STOP_TIMEOUT_S)
        self.last_returncode = code
        self._endpoint = None
        if self._reader is not None:
            self._reader.join(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()
        self._cleanup_handles()
        return code

    def _cleanup_handles(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def stderr_tail(self, chars: int = 4000) -> str:
        """The end of the latest run's stderr log (for failure messages)."""
        return _tail(self.log_dir / f"densho-{self._starts}.stderr.log", chars)


def _pump_stdout(stream: IO[str], lines: queue.Queue[str | None], log: Path) -> None:
    """Copy the server's stdout to a log file, handing each line to the waiter."""
    with log.open("w", encoding="utf-8") as out:
        try:
            for line in stream:
                out.write(line)
                out.flush()
                lines.put(line)
        except (OSError, ValueError):
            pass
        finally:
            lines.put(None)


def _tail(path: Path, chars: int = 4000) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "<no log>"
    return text[-chars:]


def serve_refused(
    *flags: str, data_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``densho serve`` with ``flags`` expecting it to refuse to start: its exit status and
    output (bounded to 60 s, in case it starts after all)."""
    return subprocess.run(
        serve_command("--data-dir", str(data_dir), *flags),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
