"""How long ``POST /_densho/reset`` takes on a full store: 1,000 queues holding 100,000
messages in all (issue 15's acceptance: under a second), then the API at once after it.

    scripts/bench-reset                        # SQLite
    scripts/bench-reset --store postgresql://postgres@127.0.0.1:5432/postgres
    scripts/bench-reset --queues 5000 --messages 500000

Owns: filling one densho (bench.servers) and timing its reset. Sends only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import urllib.request

from bench import servers
from bench.loadgen import Endpoint, RawClient, sqs_call

FILL_CLIENTS = 16


async def fill(endpoint: Endpoint, queues: int, messages: int) -> list[str]:
    """``queues`` queues, ``messages`` small messages spread evenly over them (batches of 10)."""
    urls: list[str] = []
    admin = RawClient(endpoint)
    try:
        for i in range(queues):
            answer = await sqs_call(admin, "CreateQueue", {"QueueName": f"q{i:05d}"})
            urls.append(answer["QueueUrl"])
    finally:
        admin.close()
    per_queue = messages // queues

    async def one(worker: int) -> None:
        client = RawClient(endpoint)
        try:
            for url in urls[worker::FILL_CLIENTS]:
                for batch in range(0, per_queue, 10):
                    entries = [
                        {"Id": str(i), "MessageBody": f"m-{batch + i}"}
                        for i in range(min(10, per_queue - batch))
                    ]
                    await sqs_call(
                        client, "SendMessageBatch", {"QueueUrl": url, "Entries": entries}
                    )
        finally:
            client.close()

    await asyncio.gather(*(one(n) for n in range(FILL_CLIENTS)))
    return urls


def reset(url: str) -> tuple[float, dict[str, object]]:
    """Seconds the reset took (request to answer), and its answer."""
    request = urllib.request.Request(url + "/_densho/reset", data=b"", method="POST")
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as answer:
        body = json.loads(answer.read())
    return time.perf_counter() - started, body


async def after(endpoint: Endpoint) -> float:
    """Milliseconds for the first CreateQueue after the reset (a name the reset freed)."""
    client = RawClient(endpoint)
    try:
        started = time.perf_counter()
        await sqs_call(client, "CreateQueue", {"QueueName": "q00000"})
        return (time.perf_counter() - started) * 1000
    finally:
        client.close()


def main(args: argparse.Namespace, store: str | None) -> None:
    server = servers.start_densho(store=store)
    try:
        endpoint = Endpoint.parse(server.url)
        started = time.monotonic()
        asyncio.run(fill(endpoint, args.queues, args.messages))
        filled = time.monotonic() - started
        took, body = reset(server.url)
        first = asyncio.run(after(endpoint))
    finally:
        servers.stop(server)
    print(f"\ndensho reset ({args.store or 'SQLite'})")
    print(f"  fill {args.queues:,} queues, {args.messages:,} messages  {filled:.1f} s")
    print(f"  POST /_densho/reset                     {took * 1000:.0f} ms")
    print(f"  its answer                              {json.dumps(body)}")
    print(f"  first CreateQueue after it              {first:.1f} ms")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=1_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument(
        "--store", help="postgresql://… : a server where a throw-away database is made"
    )
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> None:
    """On PostgreSQL, densho gets a throw-away database of that server, dropped afterwards."""
    args = parse(argv)
    database = servers.create_database(args.store) if args.store else None
    try:
        main(args, database)
    finally:
        if database is not None:
            servers.drop_database(args.store, database)


if __name__ == "__main__":
    run()
