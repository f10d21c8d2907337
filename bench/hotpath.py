"""densho's own CPU per SendMessage, without the HTTP server: its ASGI app driven in-process.

    PYTHONPATH=. .venv/bin/python -m bench.hotpath [--requests 20000] [--concurrency 16]
        [--profile FILE]

The app runs as ``densho serve`` would run it (SQLite on a fresh data dir, synchronous=FULL,
metrics on, encryption at rest), but the requests are ASGI calls made here: the figure is what
densho adds to the HTTP server's own cost (see ``scripts/bench`` for the two together). The CPU is
this process's (utime + stime, all threads; the store's fdatasync helper process not counted),
over the timed requests only, so the machine's other load changes it far less than it changes a
throughput. ``--profile FILE`` writes a cProfile (CPU time) of the timed requests.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from bench.loadgen import AUTHORIZATION, CONTENT_TYPE, Bodies
from densho.config import Settings
from densho.server import App


def _scope(action: str) -> dict[str, Any]:
    headers = [
        (b"host", b"127.0.0.1:9324"),
        (b"x-amz-target", b"AmazonSQS." + action.encode()),
        (b"content-type", CONTENT_TYPE),
        (b"authorization", AUTHORIZATION),
    ]
    return {
        "type": "http",
        "method": "POST",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
    }


async def _call(app: App, scope: dict[str, Any], body: bytes) -> tuple[int, bytes]:
    answer: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            answer["body"] = message.get("body", b"")

    await app(scope, receive, send)
    return answer["status"], answer["body"]


async def measure(
    requests: int, concurrency: int, profile: Path | None
) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, requests) of ``requests`` SendMessage calls."""
    data_dir = Path(tempfile.mkdtemp(prefix="densho-hotpath-"))
    app = App(Settings(data_dir=data_dir), "http://127.0.0.1:9324")
    try:
        await app.startup()
        status, answer = await _call(
            app, _scope("CreateQueue"), orjson.dumps({"QueueName": "hotpath"})
        )
        assert status == 200, answer
        head = (
            b'{"QueueUrl":' + orjson.dumps(orjson.loads(answer)["QueueUrl"]) + b',"MessageBody":"'
        )
        bodies = Bodies(1024)
        scope = _scope("SendMessage")
        per_worker = max(1, requests // concurrency)

        async def worker(first: int) -> None:
            for seq in range(first, first + per_worker):
                status, answer = await _call(app, scope, head + bodies.body(seq) + b'"}')
                if status != 200:
                    raise RuntimeError(f"SendMessage: {status} {answer[:200]!r}")

        # Warm-up: caches, the first data key, the group-commit machinery.
        await asyncio.gather(*(worker(i * per_worker) for i in range(concurrency)))
        profiler = cProfile.Profile(time.process_time) if profile else None
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        offset = concurrency * per_worker
        await asyncio.gather(*(worker(offset + i * per_worker) for i in range(concurrency)))
        if profiler is not None:
            profiler.disable()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        if profiler is not None and profile is not None:
            profiler.dump_stats(profile)
        return cpu, wall, concurrency * per_worker
    finally:
        await app.shutdown()
        shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hotpath", description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", type=Path, help="write a CPU-time cProfile here")
    args = parser.parse_args(argv)
    import uvloop

    cpu, wall, n = uvloop.run(measure(args.requests, args.concurrency, args.profile))
    load = os.getloadavg()[0]
    print(
        f"{n} SendMessage: {cpu / n * 1e6:.1f} us CPU per request (densho without HTTP server),"
        f" {n / wall:,.0f} req/s; load average {load:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
