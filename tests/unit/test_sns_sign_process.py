"""The signing process: a real child process signs, and the parent's callers get its answers.

Signatures are checked with the certificate's public key through ``cryptography`` directly,
not through densho's signer. Every test runs on uvloop (as the server does) and on asyncio's
own loop.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
import uvloop
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

from densho.sns.signing.process import SigningProcess
from densho.sns.signing.signer import Signer

NOW_MS = 1_700_000_000_000
START_WAIT_S = 20.0  # a child's interpreter start on a busy machine


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate(now_ms=NOW_MS)


Runner = Callable[[Coroutine[Any, Any, None]], None]


@pytest.fixture(params=["uvloop", "asyncio"])
def run(request: pytest.FixtureRequest) -> Runner:
    if request.param == "uvloop":
        return lambda main: uvloop.run(main)
    return lambda main: asyncio.run(main)


def verify(signer: Signer, data: bytes, signature: str, version: int) -> None:
    public = signer.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    algorithm = hashes.SHA1() if version == 1 else hashes.SHA256()
    public.verify(base64.b64decode(signature), data, PKCS1v15(), algorithm)


async def until_ready(process: SigningProcess) -> int:
    """Ask until the child answers (the first asks are signed on the thread); its pid."""
    deadline = asyncio.get_running_loop().time() + START_WAIT_S
    while process.child_pid() is None or not process.ready:
        await process.signature(b"warm-up", 2)
        assert asyncio.get_running_loop().time() < deadline, "the child never got ready"
        await asyncio.sleep(0.02)
    pid = process.child_pid()
    assert pid is not None
    return pid


@contextlib.asynccontextmanager
async def started(signer: Signer) -> AsyncIterator[tuple[SigningProcess, int]]:
    """A signing process whose child is ready, and the child's pid; closed afterwards."""
    process = SigningProcess(signer)
    try:
        yield process, await until_ready(process)
    finally:
        await process.close()


def test_child_signs_many_requests_in_order(signer: Signer, run: Runner) -> None:
    async def main() -> None:
        async with started(signer) as (process, pid):
            requests = [(f"message {n}\n".encode() * (1 + n % 50), 1 + n % 2) for n in range(300)]
            answers = await asyncio.gather(*(process.signature(d, v) for d, v in requests))
            for (data, version), signature in zip(requests, answers, strict=True):
                verify(signer, data, signature, version)
            assert process.child_pid() == pid  # all answered by the child, no restart

    run(main())


def test_large_data_is_signed(signer: Signer, run: Runner) -> None:
    async def main() -> None:
        async with started(signer) as (process, _):
            data = os.urandom(300 * 1024)  # more than a pipe holds at once
            verify(signer, data, await process.signature(data, 2), 2)

    run(main())


def test_unknown_version_is_refused_and_the_child_carries_on(signer: Signer, run: Runner) -> None:
    async def main() -> None:
        async with started(signer) as (process, _):
            with pytest.raises(ValueError, match="SignatureVersion 3"):
                await process.signature(b"data", 3)
            verify(signer, b"data", await process.signature(b"data", 1), 1)

    run(main())


def test_a_killed_child_loses_no_request_and_is_replaced(signer: Signer, run: Runner) -> None:
    async def main() -> None:
        async with started(signer) as (process, pid):
            requests = [(f"in flight {n}".encode(), 2) for n in range(200)]
            asked = [asyncio.ensure_future(process.signature(d, v)) for d, v in requests]
            await asyncio.sleep(0)  # the requests are written to the child
            os.kill(pid, signal.SIGKILL)
            answers = await asyncio.wait_for(asyncio.gather(*asked), 60)
            for (data, version), signature in zip(requests, answers, strict=True):
                verify(signer, data, signature, version)
            # A new child takes over once the restart pause has passed.
            await asyncio.sleep(1.1)
            new_pid = await until_ready(process)
            assert new_pid != pid

    run(main())


def test_close_stops_the_child(signer: Signer, run: Runner) -> None:
    async def main() -> None:
        process = SigningProcess(signer)
        pid = await until_ready(process)
        await process.close()
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # reaped: gone for good
        # After close, signatures are still made (on the thread), never refused.
        verify(signer, b"late", await process.signature(b"late", 2), 2)
        assert process.child_pid() is None

    run(main())
