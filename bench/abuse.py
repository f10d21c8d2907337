"""densho at the edges: a huge backlog, purges, deleting it, hostile HTTP clients — and what
every other client feels meanwhile. The figures of the README's "Reliability under abuse" table.

    scripts/bench-abuse                        # 1,000,000 messages, SQLite
    scripts/bench-abuse --messages 200000
    scripts/bench-abuse --store postgresql://postgres@127.0.0.1:5432/postgres
    scripts/bench-abuse --pg-cluster           # a PostgreSQL cluster of the bench's own, set up
                                               # as the README advises operators (OPERATOR_SETTINGS)

Then the yes/no rows of the same table (bench.edges): hostile input, the open-file limit, a full
disk, PostgreSQL connections terminated.

Each probe runs while a *ticker* — one client sending to, receiving from and deleting on a small
other queue, back to back — records how long each of its requests took; a probe's "others wait"
figure is the ticker's worst request while the probe ran. Server CPU comes from /proc. A purge
and a DeleteQueue answer at once and delete their rows in the background: that phase is a probe
of its own, until the store records no deletion under way (read in the database itself). On
PostgreSQL every timed row also says how many checkpoints began during it (``pg_stat_bgwriter``),
and every row names its waits over 50 ms by when they started, so an outlier can be matched with
the server's log.
Owns: starting one densho (bench.servers), the probes, the report. Sends only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bench import edges, servers
from bench.loadgen import Endpoint, RawClient, sqs_call
from tests.support.pg_cluster import PgCluster

FILL_CLIENTS = 16
# Purges and deleted queues whose rows are still being deleted (densho's schema).
DELETIONS_UNDER_WAY = (
    "SELECT (SELECT count(*) FROM queues WHERE purge_seq IS NOT NULL)"
    " + (SELECT count(*) FROM queues_deleting)"
)
BACKGROUND_LIMIT_S = 3600
CLIENT_TIMEOUT_S = 5  # the server's --client-timeout here, so slow clients are cut off quickly
SLOW_MS = 50.0  # the bar for any other request: waits above it are listed
# What README.md ("Reliability under abuse", *For operators*) advises for PostgreSQL under
# million-message bursts: enough WAL kept to recycle that a burst never creates segments
# mid-flight and never forces a checkpoint of its own, fewer full-page images, checkpoints spread.
# synchronous_commit stays on: it is what makes an acknowledged send durable.
OPERATOR_SETTINGS = {
    "min_wal_size": "2GB",
    "max_wal_size": "8GB",
    "wal_compression": "lz4",
    "checkpoint_timeout": "15min",
    "checkpoint_completion_target": "0.9",
    "wal_init_zero": "off",
    "synchronous_commit": "on",
}


@dataclass
class Ticker:
    """Back-to-back send/receive/delete on a small queue; every request's latency in ms."""

    client: RawClient
    url: str
    samples: list[tuple[float, float]] = field(default_factory=list)  # (start, ms)
    running: bool = True

    async def run(self) -> None:
        for _ in range(10_000_000):
            if not self.running:
                return
            for action, payload in (
                ("SendMessage", {"QueueUrl": self.url, "MessageBody": "tick"}),
                ("ReceiveMessage", {"QueueUrl": self.url, "MaxNumberOfMessages": 1}),
            ):
                start = time.monotonic()
                answer = await sqs_call(self.client, action, payload)
                self.samples.append((start, (time.monotonic() - start) * 1000))
            for message in answer.get("Messages", []):
                start = time.monotonic()
                await sqs_call(
                    self.client,
                    "DeleteMessage",
                    {"QueueUrl": self.url, "ReceiptHandle": message["ReceiptHandle"]},
                )
                self.samples.append((start, (time.monotonic() - start) * 1000))

    def window(self, since: float) -> list[float]:
        return sorted(ms for start, ms in self.samples if start >= since)

    def slow(self, since: float) -> str:
        """The waits over SLOW_MS since ``since``: "" or "; over 50 ms: 57 at +12.3 s, …"."""
        slow = [
            (start - since, ms) for start, ms in self.samples if start >= since and ms > SLOW_MS
        ]
        if not slow:
            return ""
        return f"; over {SLOW_MS:.0f} ms: " + ", ".join(
            f"{ms:.0f} at +{at:.1f} s" for at, ms in slow
        )


async def checkpoints(store: str | None) -> int:
    """Checkpoints PostgreSQL has begun so far (timed and requested); 0 on SQLite."""
    if store is None:
        return 0
    import asyncpg  # densho's own dependency

    pg = await asyncpg.connect(store, timeout=10)
    try:
        return int(
            await pg.fetchval("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter")
        )
    finally:
        await pg.close()


def began(count: int, store: str | None) -> str:
    return "" if store is None else f"; {count} checkpoint(s) began"


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


async def fill(endpoint: Endpoint, url: str, count: int) -> float:
    """Send ``count`` small messages in batches of ten; messages per second."""
    started = time.monotonic()
    per_client = count // FILL_CLIENTS

    async def one(n: int) -> None:
        client = RawClient(endpoint)
        try:
            for batch in range(0, per_client, 10):
                entries = [
                    {"Id": str(i), "MessageBody": f"backlog-{n}-{batch + i}"}
                    for i in range(min(10, per_client - batch))
                ]
                await sqs_call(client, "SendMessageBatch", {"QueueUrl": url, "Entries": entries})
        finally:
            client.close()

    await asyncio.gather(*(one(n) for n in range(FILL_CLIENTS)))
    return per_client * FILL_CLIENTS / (time.monotonic() - started)


async def probe(
    ticker: Ticker, pid: int, work: Callable[[], Awaitable[Any]]
) -> tuple[float, float, float]:
    """(the work's own seconds, the ticker's worst ms meanwhile, server CPU seconds)."""
    await asyncio.sleep(0.5)
    since, cpu = time.monotonic(), cpu_s(pid)
    await work()
    took = time.monotonic() - since
    await asyncio.sleep(0.2)
    return took, max(ticker.window(since), default=float("nan")), cpu_s(pid) - cpu


async def deletions_under_way(server: servers.Server, store: str | None) -> int:
    if store is None:
        assert server.data_dir is not None
        path = server.data_dir / "densho.db"
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return int(conn.execute(DELETIONS_UNDER_WAY).fetchone()[0])
        finally:
            conn.close()
    import asyncpg  # densho's own dependency

    pg = await asyncpg.connect(store, timeout=10)
    try:
        return int(await pg.fetchval(DELETIONS_UNDER_WAY))
    finally:
        await pg.close()


async def background(
    ticker: Ticker, server: servers.Server, store: str | None, what: str, since: float
) -> tuple[str, str]:
    """The report row of a deletion's background phase, from its request (at ``since``) until
    it ends: how long, and what the ticker felt meanwhile."""
    before = await checkpoints(store)
    while time.monotonic() - since < BACKGROUND_LIMIT_S:
        if await deletions_under_way(server, store) == 0:
            break
        await asyncio.sleep(0.2)
    took = time.monotonic() - since
    waits = ticker.window(since)
    return (
        f"  {what}: until its rows are deleted in the background",
        f"{took:.1f} s; others meanwhile p99 {pct(waits, 0.99):.1f} ms, "
        f"max {max(waits, default=float('nan')):.1f} ms"
        + began(await checkpoints(store) - before, store)
        + ticker.slow(since),
    )


def huge_header(host: str, port: int, megabytes: int) -> int:
    """Send one header of ``megabytes`` MiB; the bytes the server took before hanging up."""
    sent = 0
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Huge: ")
        chunk = b"a" * 65536
        try:
            for _ in range(megabytes * 16):
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
    return sent


def slowloris(host: str, port: int, count: int, wait_s: float) -> int:
    """Open ``count`` connections that never finish their head; how many the server closed
    within ``wait_s``."""
    socks = []
    try:
        for _ in range(count):
            sock = socket.create_connection((host, port), timeout=5)
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
            socks.append(sock)
        time.sleep(wait_s)
        closed = 0
        for sock in socks:
            sock.setblocking(False)
            try:
                closed += sock.recv(1) == b""
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
        return closed
    finally:
        for sock in socks:
            sock.close()


async def main(args: argparse.Namespace, store: str | None) -> None:
    server = servers.start_densho(
        extra_args=("--client-timeout", str(CLIENT_TIMEOUT_S)), store=store
    )
    rows: list[tuple[str, str]] = []
    try:
        endpoint = Endpoint.parse(server.url)
        admin = RawClient(endpoint)
        big = (await sqs_call(admin, "CreateQueue", {"QueueName": "big"}))["QueueUrl"]
        small = (await sqs_call(admin, "CreateQueue", {"QueueName": "small"}))["QueueUrl"]
        rate = await fill(endpoint, big, args.messages)
        rows.append((f"fill {args.messages:,} messages (batches of 10)", f"{rate:,.0f} msgs/s"))
        ticker = Ticker(RawClient(endpoint), small)
        ticking = asyncio.create_task(ticker.run())

        since, before = time.monotonic(), await checkpoints(store)
        await asyncio.sleep(args.idle)
        idle = ticker.window(since)
        rows.append(
            (
                f"another queue while the backlog sits idle ({args.idle:.0f} s)",
                f"p50 {pct(idle, 0.5):.1f} ms, p99 {pct(idle, 0.99):.1f} ms, "
                f"max {max(idle):.1f} ms"
                + began(await checkpoints(store) - before, store)
                + ticker.slow(since),
            )
        )

        async def attributes() -> None:
            await sqs_call(
                admin, "GetQueueAttributes", {"QueueUrl": big, "AttributeNames": ["All"]}
            )

        took, worst, _ = await probe(ticker, server.pid, attributes)
        rows.append(
            (
                "GetQueueAttributes (All) on the backlog",
                f"{took * 1000:.1f} ms; others wait up to {worst:.1f} ms",
            )
        )

        asked: dict[str, float] = {}  # when the purge and the DeleteQueue were sent

        async def purge() -> None:
            asked["purge"] = time.monotonic()
            await sqs_call(admin, "PurgeQueue", {"QueueUrl": big})

        took, worst, _ = await probe(ticker, server.pid, purge)
        rows.append(
            ("PurgeQueue of the backlog", f"{took * 1000:.1f} ms; others wait up to {worst:.1f} ms")
        )
        rows.append(await background(ticker, server, store, "PurgeQueue", asked["purge"]))

        ticker.running = False  # the refill has the server to itself, as the first fill had
        await ticking
        rate = await fill(endpoint, big, args.messages)
        rows.append((f"refill {args.messages:,} messages", f"{rate:,.0f} msgs/s"))
        ticker.running = True
        ticking = asyncio.create_task(ticker.run())

        async def delete_queue() -> None:
            asked["delete"] = time.monotonic()
            await sqs_call(admin, "DeleteQueue", {"QueueUrl": big})

        took, worst, _ = await probe(ticker, server.pid, delete_queue)
        rows.append(
            (
                "DeleteQueue of the backlog",
                f"{took * 1000:.1f} ms; others wait up to {worst:.1f} ms",
            )
        )
        rows.append(await background(ticker, server, store, "DeleteQueue", asked["delete"]))

        loop = asyncio.get_running_loop()

        async def header() -> None:
            accepted = await loop.run_in_executor(
                None, huge_header, endpoint.host, endpoint.port, 64
            )
            rows.append(("  bytes of the 64 MiB header read", f"{accepted:,}"))

        took, worst, cpu = await probe(ticker, server.pid, header)
        rows.insert(
            len(rows) - 1,
            (
                "one 64 MiB request header",
                f"refused after {took * 1000:.0f} ms; {cpu * 1000:.0f} ms server CPU; "
                f"others wait up to {worst:.1f} ms",
            ),
        )

        closed = await loop.run_in_executor(
            None, slowloris, endpoint.host, endpoint.port, 1000, CLIENT_TIMEOUT_S + 3
        )
        rows.append(
            (
                f"1,000 slowloris connections (--client-timeout {CLIENT_TIMEOUT_S})",
                f"{closed} closed within {CLIENT_TIMEOUT_S + 3} s",
            )
        )
        ticker.running = False
        await ticking
        ticker.client.close()
        admin.close()
    finally:
        servers.stop(server)
    store = args.store or "SQLite"
    print(f"\ndensho under abuse ({store})")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument(
        "--store", help="postgresql://… : a server where a throw-away database is made"
    )
    parser.add_argument(
        "--pg-cluster",
        action="store_true",
        help="run on a PostgreSQL cluster of the bench's own (initdb, on this disk), started "
        "with OPERATOR_SETTINGS, removed afterwards",
    )
    parser.add_argument(
        "--pg-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="with --pg-cluster: change one of OPERATOR_SETTINGS (e.g. checkpoint_timeout=2min, "
        "so that checkpoints fall inside the run)",
    )
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of the idle probe")
    args = parser.parse_args(argv)
    if args.pg_setting and not args.pg_cluster:
        parser.error("--pg-setting needs --pg-cluster")
    if not all("=" in setting for setting in args.pg_setting):
        parser.error("--pg-setting takes NAME=VALUE")
    if args.pg_cluster and args.store:
        parser.error("--pg-cluster makes its own PostgreSQL: give no --store")
    return args


def run(argv: list[str] | None = None) -> None:
    """On PostgreSQL, densho gets a throw-away database of that server, dropped afterwards."""
    args = parse(argv)
    cluster = None
    if args.pg_cluster:
        chosen = OPERATOR_SETTINGS | dict(setting.split("=", 1) for setting in args.pg_setting)
        cluster = PgCluster(chosen)
        args.store = cluster.admin_url
        settings = ", ".join(f"{k}={v}" for k, v in chosen.items())
        print(f"PostgreSQL cluster of the bench's own at {cluster.dir}: {settings}")
    try:
        database = servers.create_database(args.store) if args.store else None
        try:
            asyncio.run(main(args, database))
            edges.report(args.store, edges.run_all(args.store, database))
        finally:
            if database is not None:
                servers.drop_database(args.store, database)
    finally:
        if cluster is not None:
            cluster.close()


if __name__ == "__main__":
    run()
