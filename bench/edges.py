"""The yes/no rows of the README's "Reliability under abuse" table: what densho answers to
hostile input and in an unlucky operator's situations, on one store, probed from outside.

    python -m bench.edges                      # SQLite
    python -m bench.edges --store postgresql://postgres@127.0.0.1:5432/postgres

``scripts/bench-abuse`` runs these after its timed probes. Each probe starts from a fresh densho
(bench.servers) unless it shares the one given, and reports what a client saw: HTTP status,
AWS error code, counts. The disk-full probe mounts a small tmpfs and needs root; it says so
when it cannot run. Owns: the probes and their rows. Sends only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import socket
import stat
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from bench import servers

Row = tuple[str, str]
JSON_TYPE = "application/x-amz-json-1.0"
FORM_TYPE = "application/x-www-form-urlencoded"


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"total_max_attempts": 1}, read_timeout=30),
    )


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
    """(status, content type, body) of one POST to ``url``."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    try:
        conn.request("POST", parts.path or "/", body=body, headers=headers)
        answer = conn.getresponse()
        return answer.status, answer.getheader("content-type", ""), answer.read()
    finally:
        conn.close()


def query(url: str, params: dict[str, str]) -> str:
    """A Query-protocol form POST; "status code" of its answer, code read from the XML."""
    status, _, body = post(url, urlencode(params).encode(), {"Content-Type": FORM_TYPE})
    text = body.decode(errors="replace")
    code = text.split("<Code>", 1)[1].split("</Code>", 1)[0] if "<Code>" in text else "-"
    return f"{status} {code}"


def bad_input(url: str) -> list[Row]:
    sqs = client(url, "sqs")
    queue = sqs.create_queue(QueueName="edges")["QueueUrl"]
    base = {"Action": "ReceiveMessage", "Version": "2012-11-05", "QueueUrl": queue}
    rows = [
        (
            "Query integer of 5,000 digits (MaxNumberOfMessages)",
            query(url, {**base, "MaxNumberOfMessages": "9" * 5000}),
        )
    ]
    create = {"Action": "CreateQueue", "Version": "2012-11-05", "QueueName": "odd"}
    for label, index in (("superscript", "\u00b2"), ("Arabic-Indic", "\u0661")):
        params = {
            **create,
            f"Attribute.{index}.Name": "VisibilityTimeout",
            f"Attribute.{index}.Value": "5",
        }
        rows.append((f"list index in {label} digits (Attribute.{index}.Name)", query(url, params)))
    topic = client(url, "sns").create_topic(Name="edges")["TopicArn"]
    publish = {"Action": "Publish", "Version": "2010-03-31", "TopicArn": topic}
    rows.append(
        ("SNS Publish of a message with U+0000", query(url, {**publish, "Message": "a\x00b"}))
    )
    big = 9 * 1024 * 1024
    body = json.dumps({"QueueUrl": queue, "MessageBody": "x" * big}).encode()
    status, kind, answer = post(
        url, body, {"Content-Type": JSON_TYPE, "X-Amz-Target": "AmazonSQS.SendMessage"}
    )
    code = json.loads(answer).get("__type", "-") if kind.startswith(JSON_TYPE) else "-"
    rows.append(("9 MiB request body, JSON protocol", f"{status} {code} ({kind})"))
    form = urlencode({"Action": "SendMessage", "QueueUrl": queue, "MessageBody": "x" * big})
    status, kind, answer = post(url, form.encode(), {"Content-Type": FORM_TYPE})
    text = answer.decode(errors="replace")
    code = text.split("<Code>", 1)[1].split("</Code>", 1)[0] if "<Code>" in text else "-"
    rows.append(("9 MiB request body, Query protocol", f"{status} {code} ({kind})"))
    return rows


def file_modes(data_dir: Path) -> Row:
    modes = sorted(
        {
            f"{path.name} {stat.S_IMODE(path.stat().st_mode):04o}"
            for path in data_dir.rglob("*")
            if path.is_file() and ".db" in path.name
        }
    )
    return ("database and WAL file modes", ", ".join(modes) or "no database files")


def open_files(store: str | None) -> Row:
    """2,000 long polls against a server whose open-file limit is 1,024 (hard limit too),
    while another client keeps sending."""
    data_dir = tempfile.mkdtemp(prefix="densho-bench-data-")
    argv = servers.densho_argv(data_dir, store)
    server = servers.start(
        "densho-nofile", ["prlimit", "--nofile=1024:1024", "--", *argv], url=None, timeout_s=30
    )
    server.data_dir = Path(data_dir)  # removed by stop()
    socks: list[socket.socket] = []
    try:
        sqs = client(server.url, "sqs")
        queue = sqs.create_queue(QueueName="polls")["QueueUrl"]
        payload = json.dumps({"QueueUrl": queue, "WaitTimeSeconds": 5}).encode()
        request = (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " + JSON_TYPE.encode() + b"\r\n"
            b"X-Amz-Target: AmazonSQS.ReceiveMessage\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload
        )
        parts = urlsplit(server.url)
        refused = 0
        for _ in range(2000):
            try:
                sock = socket.create_connection((parts.hostname or "", parts.port or 0), 5)
                sock.sendall(request)
                socks.append(sock)
            except OSError:
                refused += 1
        sends: Counter[str] = Counter()
        for n in range(20):
            try:
                sqs.send_message(QueueUrl=queue, MessageBody=f"m{n}")
                sends["ok"] += 1
            except ClientError as exc:
                sends[exc.response["Error"]["Code"]] += 1
            except Exception as exc:  # a reset or timeout: what the issue saw before
                sends[type(exc).__name__] += 1
        answers: Counter[str] = Counter()
        for sock in socks:
            sock.settimeout(15)
            head = b""
            with contextlib.suppress(OSError):
                head = sock.recv(12)
            answers[head[9:12].decode() or "reset"] += 1
            sock.close()
        socks.clear()
        shed_logged = "shedding load" in server.log_tail(100_000)
        polls = ", ".join(f"{n} x {k}" for k, n in sorted(answers.items()))
        sent = ", ".join(f"{n} x {k}" for k, n in sorted(sends.items()))
        return (
            "2,000 long polls, open-file limit 1,024 (hard)",
            f"polls: {polls}; connect refused {refused}; 20 sends meanwhile: {sent}; "
            f"shedding logged: {shed_logged}",
        )
    finally:
        for sock in socks:
            sock.close()
        servers.stop(server)
        servers.cleanup_logs(server)


def disk_full() -> Row:
    """SQLite on an 8 MiB tmpfs: fill it through the API, then free space."""
    name = "disk full (SQLite on an 8 MiB tmpfs)"
    if os.geteuid() != 0:
        return (name, "not run: mounting a tmpfs needs root")
    disk = Path(tempfile.mkdtemp(prefix="densho-bench-disk-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], check=True)
    server = None
    try:
        filler = disk / "filler"
        filler.write_bytes(b"\0" * 3_000_000)
        server = servers.start(
            "densho-disk", servers.densho_argv(str(disk / "data"), None), url=None, timeout_s=30
        )
        sqs = client(server.url, "sqs")
        queue = sqs.create_queue(QueueName="disk")["QueueUrl"]
        acknowledged: list[str] = []
        refusals: Counter[str] = Counter()
        for n in range(200):
            try:
                sqs.send_message(QueueUrl=queue, MessageBody=f"{n:06d}" + "x" * 200_000)
                acknowledged.append(f"{n:06d}")
            except ClientError as exc:
                status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
                refusals[f"{status} {exc.response['Error']['Code']}"] += 1
                if sum(refusals.values()) >= 5:
                    break
        ready = _status(server.url + "/_densho/ready")
        reads_ok = sqs.get_queue_url(QueueName="disk")["QueueUrl"] == queue
        filler.unlink()
        recovered = _eventually(lambda: _sends(sqs, queue), 20)
        log = server.log_tail(100_000)
        kept = _count(sqs, queue)
        return (
            name,
            f"writes: {', '.join(f'{n} x {k}' for k, n in refusals.items())}; "
            f"ready probe {ready}; reads answer: {reads_ok}; log lines: "
            f"{log.count('store writes failing')} at the start, "
            f"{log.count('store writes succeed again')} at the end, "
            f"{log.count('Traceback')} tracebacks; "
            f"recovered without restart: {recovered}; acknowledged {len(acknowledged)}, "
            f"all kept: {kept >= len(acknowledged)}",
        )
    finally:
        if server is not None:
            servers.stop(server)
            servers.cleanup_logs(server)
        subprocess.run(["umount", "-l", str(disk)], check=False)
        disk.rmdir()


def _status(url: str) -> int:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request("GET", parts.path)
        return conn.getresponse().status
    finally:
        conn.close()


def _sends(sqs: Any, queue: str) -> bool:
    try:
        sqs.send_message(QueueUrl=queue, MessageBody="after")
        return True
    except ClientError:
        return False


def _eventually(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


def _count(sqs: Any, queue: str) -> int:
    attrs = sqs.get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


def pg_terminations(url: str, database: str, seconds: float) -> Row:
    """Producers and consumers for ``seconds`` while every densho connection to ``database``
    is terminated twice a second; the statuses clients saw."""
    sqs = client(url, "sqs")
    queue = sqs.create_queue(QueueName="terminated")["QueueUrl"]
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def work(n: int) -> None:
        mine = client(url, "sqs")
        for i in range(100_000):
            if time.monotonic() > stop_at:
                return
            try:
                mine.send_message(QueueUrl=queue, MessageBody=f"{n}-{i}")
                got = mine.receive_message(QueueUrl=queue, MaxNumberOfMessages=1)
                for m in got.get("Messages", []):
                    mine.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
                key = "200"
            except ClientError as exc:
                key = f"{exc.response['ResponseMetadata']['HTTPStatusCode']}"
                key += f" {exc.response['Error']['Code']}"
            with lock:
                statuses[key] += 1

    async def terminate() -> int:
        import asyncpg

        conn = await asyncpg.connect(servers.admin_url(database), timeout=10)
        killed = 0
        try:
            while time.monotonic() < stop_at:
                killed += int(
                    await conn.fetchval(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = $1 AND pid <> pg_backend_pid()",
                        servers.database_name(database),
                    )
                )
                await asyncio.sleep(0.5)
        finally:
            await conn.close()
        return killed

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    killed = asyncio.run(terminate())
    for thread in threads:
        thread.join(60)
    seen = ", ".join(f"{n} x {k}" for k, n in sorted(statuses.items()))
    return (f"PostgreSQL connections terminated under load ({killed} terminations)", seen)


def run_all(store: str | None, database: str | None) -> list[Row]:
    """Every probe, on SQLite (``store`` None) or on the throw-away PostgreSQL ``database``."""
    server = servers.start_densho(store=database)
    try:
        rows = bad_input(server.url)
        if database is None and server.data_dir is not None:
            rows.append(file_modes(server.data_dir))
        if database is not None:
            rows.append(pg_terminations(server.url, database, 15))
    finally:
        servers.stop(server)
        servers.cleanup_logs(server)
    rows.append(open_files(database))
    if database is None:
        rows.append(disk_full())
    return rows


def report(store: str | None, rows: list[Row]) -> None:
    print(f"\ndensho at the edges ({store or 'SQLite'})")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--store", help="postgresql://… : a server where a throw-away database is made"
    )
    args = parser.parse_args(argv)
    database = servers.create_database(args.store) if args.store else None
    try:
        report(args.store, run_all(args.store, database))
    finally:
        if database is not None:
            servers.drop_database(args.store, database)


if __name__ == "__main__":
    main()
