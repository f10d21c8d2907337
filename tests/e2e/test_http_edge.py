"""The HTTP edge under hostile clients, on a real server over raw sockets: an oversized request
head is refused with 431 before it is buffered, a head or body that stalls is cut off after
``--client-timeout``, and ordinary clients are served meanwhile. (Independent of the store: one
SQLite server.)"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import json_client, servers_on
from tests.support.server import DenshoServer

TIMEOUT_S = 2  # the server's --client-timeout in these tests


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DenshoServer]:
    with servers_on("sqlite", tmp_path_factory.mktemp("edge")) as make:
        yield make(extra_args=("--client-timeout", str(TIMEOUT_S))).start()


def _connect(server: DenshoServer) -> socket.socket:
    parts = urlsplit(server.endpoint)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    return sock


def _read_all(sock: socket.socket, limit_s: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes (bytes, seconds it took)."""
    started = time.monotonic()
    sock.settimeout(limit_s)
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks), time.monotonic() - started


def _list_queues_request(extra_header: bytes = b"") -> bytes:
    body = b"Action=ListQueues"
    return (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + extra_header
        + b"Content-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )


def test_a_head_under_the_cap_is_served(server: DenshoServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_list_queues_request(b"X-Junk: " + b"a" * 60_000 + b"\r\n"))
        answer, _ = _read_all(sock, 10)
    assert answer.startswith(b"HTTP/1.1 200") and b"ListQueuesResponse" in answer


def test_an_oversized_head_is_refused_before_it_is_buffered(server: DenshoServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Huge: ")
        sent = 0
        try:  # 64 MiB of one header, as in the issue; the server hangs up long before
            for _ in range(1024):
                sock.sendall(b"a" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer, _ = _read_all(sock, 10)
    assert sent < 64 * 1024 * 1024
    assert answer.startswith(b"HTTP/1.1 431") and b"RequestHeaderFieldsTooLarge" in answer
    assert json_client(server.endpoint).list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # a connection that never says anything
        b"POST / HTTP/1.1\r\nHost: x\r\n",  # slowloris: a head that never ends
        _list_queues_request()[:-5],  # a body shorter than its Content-Length
    ],
    ids=["silent", "slow-head", "short-body"],
)
def test_a_stalled_client_is_cut_off(server: DenshoServer, sent: bytes) -> None:
    with _connect(server) as sock:
        sock.sendall(sent)
        answer, took = _read_all(sock, TIMEOUT_S + 8)
    assert answer == b"" and took < TIMEOUT_S + 5  # closed, not left waiting


def test_slow_clients_do_not_hold_up_others(server: DenshoServer) -> None:
    idle = [_connect(server) for _ in range(200)]
    try:
        for sock in idle:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
        sqs = json_client(server.endpoint)
        assert sqs.list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200
    finally:
        for sock in idle:
            sock.close()


class LimitedServer(DenshoServer):
    """A server started under ``prlimit``: 256 open files at most, hard limit included."""

    def command(self) -> list[str]:
        return ["prlimit", "--nofile=256:256", "--", *super().command()]


def test_beyond_the_open_file_limit_requests_are_shed_with_503(tmp_path: Path) -> None:
    server = LimitedServer(tmp_path / "data", log_dir=tmp_path)
    socks: list[socket.socket] = []
    try:
        server.start()
        url = json_client(server.endpoint).create_queue(QueueName="shed")["QueueUrl"]
        body = json.dumps({"QueueUrl": url, "WaitTimeSeconds": 3}).encode()
        request = (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
            b"X-Amz-Target: AmazonSQS.ReceiveMessage\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        for _ in range(200):  # more long polls than 256 files less the reserve allow
            sock = _connect(server)
            sock.sendall(request)
            socks.append(sock)
        answers = [_read_all(sock, 15)[0] for sock in socks]
        served = [a for a in answers if a.startswith(b"HTTP/1.1 200")]
        shed = [a for a in answers if a.startswith(b"HTTP/1.1 503")]
        assert len(served) + len(shed) == len(answers)  # every request answered, none reset
        assert served and shed
        assert all(b'"__type"' in a and b"ServiceUnavailable" in a for a in shed)
        # Once the crowd has gone, the server serves everyone again.
        assert json_client(server.endpoint).list_queues()["QueueUrls"] == [url]
        log = server.stderr_tail(10_000_000)
        assert log.count("shedding load") == 1 and "Exceeded concurrency limit" not in log
    finally:
        for sock in socks:
            sock.close()
        server.close()
