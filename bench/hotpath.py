"""densho's own CPU per SendMessage (or SNS Publish), without the HTTP server: its ASGI app
driven in-process.

    PYTHONPATH=. .venv/bin/python -m bench.hotpath [--action send|publish] [--requests 20000]
        [--concurrency 16] [--profile FILE]

The app runs as ``densho serve`` would run it (SQLite on a fresh data dir, synchronous=FULL,
metrics on, encryption at rest), but the requests are ASGI calls made here: the figure is what
densho adds to the HTTP server's own cost (see ``scripts/bench`` for the two together). The CPU is
this process's (utime + stime, all threads; the store's fdatasync helper process not counted),
over the timed requests only, so the machine's other load changes it far less than it changes a
throughput. ``--profile FILE`` writes a cProfile (CPU time) of the timed requests.

``--action publish`` measures SNS Publish (Query protocol) to a standard topic with three SQS
subscriptions (signed JSON envelopes), as ``scripts/bench --scenarios sns`` does. The signature
is made in the signing process, whose CPU is not this process's: the figure is the server's
side of a publish without its RSA signature (see ``--signer-cpu``, which adds the children's).
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
from typing import Any, cast

import orjson

from bench.loadgen import (
    AUTHORIZATION,
    CONTENT_TYPE,
    FORM_CONTENT_TYPE,
    SNS_AUTHORIZATION,
    Bodies,
    sns_form,
)
from densho.config import Settings
from densho.server import App

SNS_SUBSCRIBERS = 3


def _scope(action: str) -> dict[str, Any]:
    headers = [
        (b"host", b"127.0.0.1:9324"),
        (b"x-amz-target", b"AmazonSQS." + action.encode()),
        (b"content-type", CONTENT_TYPE),
        (b"authorization", AUTHORIZATION),
    ]
    if action == "SNS":  # the Query protocol; the credential scope names the service
        headers = [
            (b"host", b"127.0.0.1:9324"),
            (b"content-type", FORM_CONTENT_TYPE),
            (b"authorization", SNS_AUTHORIZATION),
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


async def _sqs(app: App, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    status, answer = await _call(app, _scope(action), orjson.dumps(payload))
    assert status == 200, answer
    return cast(dict[str, Any], orjson.loads(answer)) if answer else {}


async def _sns(app: App, action: str, params: dict[str, str]) -> str:
    status, answer = await _call(app, _scope("SNS"), sns_form(action, params))
    assert status == 200, answer
    return answer.decode()


def _xml_field(document: str, name: str) -> str:
    return document.split(f"<{name}>", 1)[1].split(f"</{name}>", 1)[0]


async def _send_setup(app: App) -> tuple[dict[str, Any], bytes, bytes]:
    """SendMessage to one queue: (scope, body head, body tail)."""
    url = (await _sqs(app, "CreateQueue", {"QueueName": "hotpath"}))["QueueUrl"]
    head = b'{"QueueUrl":' + orjson.dumps(url) + b',"MessageBody":"'
    return _scope("SendMessage"), head, b'"}'


async def _publish_setup(app: App) -> tuple[dict[str, Any], bytes, bytes]:
    """Publish to a topic with three SQS subscriptions (signed envelopes), as the bench's
    ``sns`` scenario does: (scope, body head, body tail)."""
    topic_arn = _xml_field(await _sns(app, "CreateTopic", {"Name": "hotpath"}), "TopicArn")
    for n in range(SNS_SUBSCRIBERS):
        url = (await _sqs(app, "CreateQueue", {"QueueName": f"hotpath-{n}"}))["QueueUrl"]
        arn = (
            await _sqs(app, "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]})
        )["Attributes"]["QueueArn"]
        params = {"TopicArn": topic_arn, "Protocol": "sqs", "Endpoint": arn}
        await _sns(app, "Subscribe", params)
    # Bodies are URL-safe ASCII (tag, digits, '-', 'x'), so they go in unescaped.
    return _scope("SNS"), sns_form("Publish", {"TopicArn": topic_arn}) + b"&Message=", b""


def _children_cpu() -> float:
    """CPU seconds of this process's live children (the signing process), from /proc."""
    total = 0
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime + stime, in ticks
    return total / os.sysconf("SC_CLK_TCK")


async def measure(
    action: str, requests: int, concurrency: int, profile: Path | None
) -> tuple[float, float, float, int]:
    """(CPU seconds, children's CPU seconds, wall seconds, requests) of ``requests`` calls."""
    data_dir = Path(tempfile.mkdtemp(prefix="densho-hotpath-"))
    app = App(Settings(data_dir=data_dir), "http://127.0.0.1:9324")
    try:
        await app.startup()
        setup = _publish_setup if action == "publish" else _send_setup
        scope, head, tail = await setup(app)
        bodies = Bodies(1024)
        per_worker = max(1, requests // concurrency)

        async def worker(first: int) -> None:
            for seq in range(first, first + per_worker):
                status, answer = await _call(app, scope, head + bodies.body(seq) + tail)
                if status != 200:
                    raise RuntimeError(f"{action}: {status} {answer[:200]!r}")

        # Warm-up: caches, the first data key, the group-commit machinery.
        await asyncio.gather(*(worker(i * per_worker) for i in range(concurrency)))
        profiler = cProfile.Profile(time.process_time) if profile else None
        cpu0, wall0, kids0 = time.process_time(), time.perf_counter(), _children_cpu()
        if profiler is not None:
            profiler.enable()
        offset = concurrency * per_worker
        await asyncio.gather(*(worker(offset + i * per_worker) for i in range(concurrency)))
        if profiler is not None:
            profiler.disable()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        kids = _children_cpu() - kids0
        if profiler is not None and profile is not None:
            profiler.dump_stats(profile)
        return cpu, kids, wall, concurrency * per_worker
    finally:
        await app.shutdown()
        shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hotpath", description=__doc__)
    parser.add_argument("--action", choices=("send", "publish"), default="send")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", type=Path, help="write a CPU-time cProfile here")
    args = parser.parse_args(argv)
    import uvloop

    cpu, kids, wall, n = uvloop.run(
        measure(args.action, args.requests, args.concurrency, args.profile)
    )
    load = os.getloadavg()[0]
    name = "Publish (3 SQS subscribers)" if args.action == "publish" else "SendMessage"
    print(
        f"{n} {name}: {cpu / n * 1e6:.1f} us CPU per request (densho without HTTP server),"
        f" +{kids / n * 1e6:.1f} us in child processes (signing), {n / wall:,.0f} req/s;"
        f" load average {load:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
