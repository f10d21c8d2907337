"""densho's own CPU per SendMessage, ReceiveMessage, DeleteMessage, their batch forms and SNS
Publish, without the HTTP server: its ASGI app driven in-process.

    PYTHONPATH=. .venv/bin/python -m bench.hotpath [--requests 20000] [--concurrency 16]
        [--ops send,receive,delete,sendbatch,receive10,deletebatch,publish] [--sdk-headers]
        [--synchronous FULL|NORMAL] [--profile FILE]

The app runs as ``densho serve`` would run it (SQLite on a fresh data dir, synchronous=FULL,
metrics on, encryption at rest), but the requests are ASGI calls made here: the figure is what
densho adds to the HTTP server's own cost (see ``scripts/bench`` for the two together). The CPU is
this process's (utime + stime, all threads; the store's fdatasync helper process not counted),
over the timed requests only, so the machine's other load changes it far less than it changes a
throughput.

Phases, each timed on its own: ``send`` (SendMessage of 1 KiB bodies), ``receive``
(ReceiveMessage of one message each, short polls, from the messages the send phase stored) and
``delete`` (DeleteMessage of each received message by its receipt handle). Each phase is warmed
up first with the same number of requests. ``sendbatch`` (SendMessageBatch of ten 1 KiB bodies),
``receive10`` (ReceiveMessage of up to ten, short polls, a visibility timeout that outlasts the
run, from the messages ``sendbatch`` stored) and ``deletebatch`` (DeleteMessageBatch of the ten
handles of one receive) are the same for the bench's ``batch`` and ``drain`` scenarios; their
lines also give the CPU per message. They run at most 3,000 requests (``--requests`` caps it):
the messages of both rounds stay in flight until ``deletebatch``. ``--sdk-headers`` sends the
headers boto3 sends (eleven, signed) instead of the bare four. ``--profile FILE`` writes a
cProfile (CPU time) of the timed requests of the phases run (``FILE.send``, ``FILE.receive``,
``FILE.delete``, ...).

``publish`` measures SNS Publish (Query protocol) of 1 KiB messages to a standard topic with three
SQS subscriptions (signed JSON envelopes), as ``scripts/bench --scenarios sns`` does. The
signature is made in the signing process, whose CPU is not this process's: each phase's line
also gives its child processes' CPU per request (read from /proc), the signing process's for a
publish.

Instruction counts (robust on a loaded machine): run under ``valgrind --tool=callgrind`` twice,
with ``--requests N`` and ``--requests 2N``, and divide the difference by N (start-up cancels).
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
from collections.abc import Awaitable, Callable, Sequence
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

OPS = ("send", "receive", "delete", "sendbatch", "receive10", "deletebatch", "publish")
# The phases each one needs first: receives and deletes work on what the phase before left.
NEEDS = {
    "delete": "receive",
    "receive": "send",
    "deletebatch": "receive10",
    "receive10": "sendbatch",
}
BATCH = 10  # messages per request of the batch phases
BATCH_OPS = ("sendbatch", "receive10", "deletebatch")
MAX_BATCH_REQUESTS = 3_000  # per round of a batch phase: 60,000 messages in flight at most
# Messages received by receive10 stay in flight longer than any run (as the bench's drain).
VISIBILITY_TIMEOUT = 3600
SNS_SUBSCRIBERS = 3

# What botocore 1.43 sends with an SQS JSON call (besides host and content-length, which the
# HTTP server passes on too), as uvicorn hands them to the app.
SDK_HEADERS = [
    (b"accept-encoding", b"identity"),
    (b"x-amz-query-mode", b"true"),
    (
        b"user-agent",
        b"Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.1 md/arch#x86_64 "
        b"lang/python#3.11.2 md/pyimpl#CPython m/Z,b,D cfg/retry-mode#legacy Botocore/1.43.11",
    ),
    (b"x-amz-date", b"20260101T000000Z"),
    (b"amz-sdk-invocation-id", b"6b0a3a47-0d5b-4a6c-9c36-7a8a1e0e2f11"),
    (b"amz-sdk-request", b"attempt=1"),
    (b"content-length", b"1130"),
]


def _scope(action: str, sdk_headers: bool = False) -> dict[str, Any]:
    """An SQS JSON call of ``action``, or with ``action`` "SNS" an SNS (Query protocol) call."""
    headers = [
        (b"host", b"127.0.0.1:9324"),
        (b"x-amz-target", b"AmazonSQS." + action.encode()),
        (b"content-type", CONTENT_TYPE),
        (b"authorization", AUTHORIZATION),
    ]
    if action == "SNS":  # the credential scope names the service
        headers = [
            (b"host", b"127.0.0.1:9324"),
            (b"content-type", FORM_CONTENT_TYPE),
            (b"authorization", SNS_AUTHORIZATION),
        ]
    if sdk_headers:
        headers += SDK_HEADERS
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 9324),
        "method": "POST",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
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


async def _publish_setup(app: App) -> tuple[dict[str, Any], bytes]:
    """Publish to a topic with three SQS subscriptions (signed envelopes), as the bench's
    ``sns`` scenario does: (scope, body head; the message follows it)."""
    topic_arn = _xml_field(await _sns(app, "CreateTopic", {"Name": "hotpath"}), "TopicArn")
    for n in range(SNS_SUBSCRIBERS):
        url = (await _sqs(app, "CreateQueue", {"QueueName": f"hotpath-{n}"}))["QueueUrl"]
        arn = (
            await _sqs(app, "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]})
        )["Attributes"]["QueueArn"]
        params = {"TopicArn": topic_arn, "Protocol": "sqs", "Endpoint": arn}
        await _sns(app, "Subscribe", params)
    # Bodies are URL-safe ASCII (tag, digits, '-', 'x'), so they go in unescaped.
    return _scope("SNS"), sns_form("Publish", {"TopicArn": topic_arn}) + b"&Message="


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


Phase = Callable[[int], Awaitable[None]]  # one worker's requests, from its first sequence number


async def _timed(
    run: Phase, concurrency: int, per_worker: int, first: int, profile: Path | None
) -> tuple[float, float]:
    """(CPU seconds, child processes' CPU seconds) of ``concurrency`` workers running
    ``per_worker`` requests each."""
    profiler = cProfile.Profile(time.process_time) if profile else None
    cpu0, kids0 = time.process_time(), _children_cpu()
    if profiler is not None:
        profiler.enable()
    await asyncio.gather(*(run(first + i * per_worker) for i in range(concurrency)))
    if profiler is not None:
        profiler.disable()
    cpu, kids = time.process_time() - cpu0, _children_cpu() - kids0
    if profiler is not None and profile is not None:
        profiler.dump_stats(profile)
    return cpu, kids


async def measure(
    requests: int,
    concurrency: int,
    profile: Path | None,
    ops: Sequence[str] = ("send",),
    sdk_headers: bool = False,
    synchronous: str = "FULL",
) -> dict[str, tuple[float, float, int]]:
    """Per phase run: (CPU seconds, children's CPU seconds, requests) of its timed requests."""
    data_dir = Path(tempfile.mkdtemp(prefix="densho-hotpath-"))
    app = App(Settings(data_dir=data_dir, synchronous=synchronous), "http://127.0.0.1:9324")
    out: dict[str, tuple[float, float, int]] = {}
    try:
        await app.startup()
        status, answer = await _call(
            app, _scope("CreateQueue"), orjson.dumps({"QueueName": "hotpath"})
        )
        assert status == 200, answer
        url = orjson.dumps(orjson.loads(answer)["QueueUrl"])
        head = b'{"QueueUrl":' + url + b',"MessageBody":"'
        bodies = Bodies(1024)
        per_worker = max(1, requests // concurrency)
        # The batch phases' messages of both rounds stay in flight until deletebatch: fewer
        # requests there, so they stay well under SQS's limit on messages in flight.
        batch_per_worker = max(1, min(requests, MAX_BATCH_REQUESTS) // concurrency)
        send_scope = _scope("SendMessage", sdk_headers)
        receive_scope = _scope("ReceiveMessage", sdk_headers)
        delete_scope = _scope("DeleteMessage", sdk_headers)
        receive_body = b'{"QueueUrl":' + url + b',"MaxNumberOfMessages":1}'
        handles: list[bytes] = []
        batch_scope = _scope("SendMessageBatch", sdk_headers)
        delete_batch_scope = _scope("DeleteMessageBatch", sdk_headers)
        batch_head = b'{"QueueUrl":' + url + b',"Entries":['
        entry_heads = [b'{"Id":"%d","MessageBody":"' % i for i in range(BATCH)]
        receive10_body = orjson.dumps(
            {
                "QueueUrl": orjson.loads(url),
                "MaxNumberOfMessages": BATCH,
                "VisibilityTimeout": VISIBILITY_TIMEOUT,
                "WaitTimeSeconds": 0,
            }
        )
        batch_handles: list[list[bytes]] = []

        async def send(first: int) -> None:
            for seq in range(first, first + per_worker):
                status, answer = await _call(app, send_scope, head + bodies.body(seq) + b'"}')
                if status != 200:
                    raise RuntimeError(f"SendMessage: {status} {answer[:200]!r}")

        async def receive(first: int) -> None:
            for _ in range(per_worker):
                status, answer = await _call(app, receive_scope, receive_body)
                if status != 200:
                    raise RuntimeError(f"ReceiveMessage: {status} {answer[:200]!r}")
                (message,) = orjson.loads(answer)["Messages"]
                handles.append(orjson.dumps(message["ReceiptHandle"]))

        async def delete(first: int) -> None:
            for seq in range(first, first + per_worker):
                body = b'{"QueueUrl":' + url + b',"ReceiptHandle":' + handles[seq] + b"}"
                status, answer = await _call(app, delete_scope, body)
                if status != 200:
                    raise RuntimeError(f"DeleteMessage: {status} {answer[:200]!r}")

        async def sendbatch(first: int) -> None:
            for seq in range(first, first + batch_per_worker):
                entries = b",".join(
                    entry_heads[i] + bodies.body(seq * BATCH + i) + b'"}' for i in range(BATCH)
                )
                status, answer = await _call(app, batch_scope, batch_head + entries + b"]}")
                if status != 200 or b'"Failed"' in answer:
                    raise RuntimeError(f"SendMessageBatch: {status} {answer[:200]!r}")

        async def receive10(first: int) -> None:
            for _ in range(batch_per_worker):
                status, answer = await _call(app, receive_scope, receive10_body)
                if status != 200:
                    raise RuntimeError(f"ReceiveMessage: {status} {answer[:200]!r}")
                messages = orjson.loads(answer)["Messages"]
                if len(messages) != BATCH:
                    raise RuntimeError(f"ReceiveMessage: {len(messages)} messages, not {BATCH}")
                batch_handles.append([orjson.dumps(m["ReceiptHandle"]) for m in messages])

        async def deletebatch(first: int) -> None:
            for seq in range(first, first + batch_per_worker):
                entries = b",".join(
                    b'{"Id":"%d","ReceiptHandle":%s}' % (i, handle)
                    for i, handle in enumerate(batch_handles[seq])
                )
                body = batch_head + entries + b"]}"
                status, answer = await _call(app, delete_batch_scope, body)
                if status != 200 or b'"Failed":[]' not in answer:
                    raise RuntimeError(f"DeleteMessageBatch: {status} {answer[:200]!r}")

        async def publish(first: int) -> None:
            for seq in range(first, first + per_worker):
                status, answer = await _call(app, publish_scope, publish_head + bodies.body(seq))
                if status != 200:
                    raise RuntimeError(f"Publish: {status} {answer[:200]!r}")

        if "publish" in ops:
            publish_scope, publish_head = await _publish_setup(app)
        phases = {
            "send": send,
            "receive": receive,
            "delete": delete,
            "sendbatch": sendbatch,
            "receive10": receive10,
            "deletebatch": deletebatch,
            "publish": publish,
        }
        # Receives and deletes need the messages (and the handles) of the phase before.
        wanted = {op: op in ops for op in OPS}
        for op in reversed(OPS):
            if wanted[op] and op in NEEDS:
                wanted[NEEDS[op]] = True
        for op in OPS:
            if not wanted[op]:
                continue
            run = phases[op]
            # Warm-up (caches, the first data key, the group-commit machinery), then the timed
            # requests: the same count, so receives find as many messages as sends stored.
            each = batch_per_worker if op in BATCH_OPS else per_worker
            n = concurrency * each
            await asyncio.gather(*(run(i * each) for i in range(concurrency)))
            where = None if profile is None or op not in ops else Path(f"{profile}.{op}")
            cpu, kids = await _timed(run, concurrency, each, n, where)
            if op in ops:
                out[op] = (cpu, kids, n)
        return out
    finally:
        await app.shutdown()
        shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hotpath", description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000, help="per phase")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--ops",
        default="send",
        help="comma-separated: send,receive,delete,sendbatch,receive10,deletebatch,publish",
    )
    parser.add_argument("--sdk-headers", action="store_true", help="boto3's eleven headers")
    parser.add_argument("--profile", type=Path, help="write CPU-time cProfiles FILE.<phase>")
    # NORMAL: commits answered without waiting for the fdatasync process, so how requests share
    # commits no longer depends on its timing (deterministic instruction counts under callgrind).
    parser.add_argument("--synchronous", choices=("FULL", "NORMAL"), default="FULL")
    args = parser.parse_args(argv)
    ops = [op.strip() for op in args.ops.split(",") if op.strip()]
    unknown = [op for op in ops if op not in OPS]
    if unknown:
        parser.error(f"unknown --ops {unknown}; choose from {', '.join(OPS)}")
    import uvloop

    got = uvloop.run(
        measure(
            args.requests, args.concurrency, args.profile, ops, args.sdk_headers, args.synchronous
        )
    )
    load = os.getloadavg()[0]
    for op in OPS:
        if op in got:
            cpu, kids, n = got[op]
            per_message = f" ({cpu / n / BATCH * 1e6:.1f} per message)" if op in BATCH_OPS else ""
            print(
                f"{n} {op}: {cpu / n * 1e6:.1f} us CPU per request{per_message} (densho without"
                f" HTTP server), +{kids / n * 1e6:.1f} us in child processes; load average"
                f" {load:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
