"""Signatures made beside the event loop, by one signing process per key.

Owns: handing the bytes SNS signs to a child process (``densho.sns.signing.worker``) and giving
each caller its answer (answers come back in the order asked); starting the child on first
use, starting a new one when it dies (what it left unanswered is signed on a thread), and
stopping it on close. Until the child says it is ready, or while it cannot be started, the
signing happens on a thread instead, so no publish waits for a process to start.

Why a process: an RSA-2048 signature costs about a quarter of a millisecond of CPU on every
publish that reaches an SQS subscriber with the JSON envelope. On a thread, that work shared the
GIL with the event loop: every signature meant taking the GIL from the loop and giving it back,
and the loop stalled on those hand-offs. The child has its own interpreter; the loop only
writes to and reads from two pipes — the requests of one loop turn in one write, and the child
answers all it read in one write (a pipe write and read per publish, on each side, had cost
both processes CPU: 2.9 system calls per publish before, 0.4 after, in ``bench.hotpath``).
Must not know: what is signed and why (``densho.sns.signing.signer``), HTTP, storage.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import cast

from densho.sns.signing.signer import Signer
from densho.sns.signing.worker import ANSWER, HEAD, KEY_VERSION, READY

log = logging.getLogger(__name__)

# Signs while no child is ready. One thread, so RSA work never takes more than one core there.
_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="densho-sign")
_RESTART_AFTER_S = 1.0  # a child that died is replaced no sooner than this
_STOP_WAIT_S = 5.0

# What the child was asked, in order: None for the key frame, else the data, its version and
# the caller waiting for the answer.
_Asked = tuple[bytes, int, "asyncio.Future[str]"] | None


class SigningProcess:
    def __init__(self, signer: Signer) -> None:
        self._signer = signer
        self._child: _Child | None = None
        self._ready = False
        self._starting: asyncio.Task[None] | None = None
        self._next_start = 0.0  # time.monotonic() before which no new child is started
        self._closed = False

    async def signature(self, data: bytes, version: int) -> str:
        """The base64 signature of ``data`` for SignatureVersion ``version``."""
        child = self._child
        if self._ready and child is not None:
            return await child.ask(data, version)
        self._start_soon()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_THREAD, self._signer.signature_of, data, version)

    @property
    def ready(self) -> bool:
        """Whether signatures are made by the child now (else on the thread)."""
        return self._ready

    def child_pid(self) -> int | None:
        return None if self._child is None else self._child.pid()

    async def close(self) -> None:
        """Stop the child once it has answered what it was asked."""
        self._closed = True
        self._ready = False
        if self._starting is not None:
            await asyncio.gather(self._starting, return_exceptions=True)
        child, self._child = self._child, None
        if child is not None:
            await child.stop()

    def _start_soon(self) -> None:
        if (
            self._closed
            or self._child is not None  # started; ready soon
            or self._starting is not None
            or time.monotonic() < self._next_start
        ):
            return
        self._starting = asyncio.get_running_loop().create_task(self._start())

    async def _start(self) -> None:
        try:
            loop = asyncio.get_running_loop()
            child = _Child(self)
            await loop.subprocess_exec(
                lambda: child,
                sys.executable,
                "-m",
                "densho.sns.signing.worker",
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,
            )
            child.send_key(self._signer.key_pem())
            self._child = child
        except Exception:  # signing stays on the thread
            log.exception("the SNS signing process could not be started")
            self._next_start = time.monotonic() + _RESTART_AFTER_S
        finally:
            self._starting = None

    def _child_ready(self, child: _Child) -> None:
        if child is self._child and not self._closed:
            self._ready = True

    def _child_lost(self, child: _Child) -> None:
        if child is self._child:
            self._child = None
            self._ready = False
            self._next_start = time.monotonic() + _RESTART_AFTER_S
            if not self._closed:
                log.error("the SNS signing process exited; signing on a thread until it is back")
            child.discard()
        loop = asyncio.get_running_loop()
        for asked in child.take_unanswered():
            data, version, caller = asked
            done = loop.run_in_executor(_THREAD, self._signer.signature_of, data, version)
            done.add_done_callback(functools.partial(_pass_on, caller=caller))


def _pass_on(source: asyncio.Future[str], caller: asyncio.Future[str]) -> None:
    if caller.done():
        return
    if source.cancelled():
        caller.cancel()
    elif (exc := source.exception()) is not None:
        caller.set_exception(exc)
    else:
        caller.set_result(source.result())


class _Child(asyncio.SubprocessProtocol):
    """One signing process: its pipes, what it was asked, and what it has answered so far."""

    def __init__(self, owner: SigningProcess) -> None:
        self._owner = owner
        self._transport: asyncio.SubprocessTransport | None = None
        self._stdin: asyncio.WriteTransport | None = None
        self._asked: collections.deque[_Asked] = collections.deque()
        self._received = bytearray()
        # Requests of this loop turn not yet written: they go to the child together, in one
        # write at the end of the turn (``_write_out``), not one write each.
        self._out = bytearray()
        self._exited = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio's, so no isinstance here.
        self._transport = cast(asyncio.SubprocessTransport, transport)
        self._stdin = cast(asyncio.WriteTransport, self._transport.get_pipe_transport(0))

    def pid(self) -> int | None:
        return None if self._transport is None else self._transport.get_pid()

    def send_key(self, key_pem: bytes) -> None:
        assert self._stdin is not None
        self._asked.append(None)
        self._stdin.writelines([HEAD.pack(len(key_pem), KEY_VERSION), key_pem])

    async def ask(self, data: bytes, version: int) -> str:
        loop = asyncio.get_running_loop()
        caller: asyncio.Future[str] = loop.create_future()
        self._asked.append((data, version, caller))
        out = self._out
        if not out:
            loop.call_soon(self._write_out)
        out += HEAD.pack(len(data), version)
        out += data
        return await caller

    def _write_out(self) -> None:
        stdin, out = self._stdin, self._out
        if stdin is not None and out and not stdin.is_closing():
            stdin.write(bytes(out))
        # A closed pipe: what was asked is answered elsewhere (``take_unanswered``).
        out.clear()

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        if fd != 1:
            return
        received = self._received
        received += data
        start = 0
        while len(received) - start >= ANSWER.size:
            (length,) = ANSWER.unpack_from(received, start)
            end = start + ANSWER.size + length
            if len(received) < end:
                break
            self._answer(bytes(received[start + ANSWER.size : end]))
            start = end
        del received[:start]

    def _answer(self, answer: bytes) -> None:
        asked = self._asked.popleft()
        if asked is None:
            if answer == READY:
                self._owner._child_ready(self)
            return
        caller = asked[2]
        if caller.done():  # the caller gave up waiting
            return
        if answer:
            caller.set_result(answer.decode("ascii"))
        else:
            caller.set_exception(ValueError(f"SignatureVersion {asked[1]} cannot be signed"))

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        # The end of its output, so every answer it gave has been read: what is still asked
        # now will never be answered.
        if fd == 1:
            self._owner._child_lost(self)

    def process_exited(self) -> None:
        self._exited.set()

    def take_unanswered(self) -> list[tuple[bytes, int, asyncio.Future[str]]]:
        asked = [a for a in self._asked if a is not None]
        self._asked.clear()
        return asked

    def discard(self) -> None:
        """Close the pipes of a child that stopped answering (and end it, if it still runs)."""
        if self._transport is not None:
            self._transport.close()

    async def stop(self) -> None:
        self._write_out()  # what this turn asked, before the end of input
        if self._stdin is not None:
            self._stdin.close()  # end of input: the child answers what is left, then exits
        try:
            await asyncio.wait_for(self._exited.wait(), _STOP_WAIT_S)
        except TimeoutError:
            if self._transport is not None:
                self._transport.kill()
        if self._transport is not None:
            self._transport.close()
