"""Durability and lifecycle of the server process: crash (SIGKILL), restart, graceful stop.

Each test runs its own server on its own data directory. The promise tested: a send that
was acknowledged survives ``kill -9``; message state (in flight, deleted, attributes,
receipt handles) survives a restart; SIGTERM and SIGINT shut down cleanly with exit code 0.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerFactory, json_client
from tests.e2e.helpers import ALL_TYPES_ATTRIBUTES, counts, md5_of_attributes
from tests.support.server import DenshoServer

pytestmark = pytest.mark.timeout(150)

WRITERS = 8
SEND_FOR_S = 2.0


@pytest.fixture
def server(new_server: ServerFactory) -> DenshoServer:
    """A server of the test's own, on the store under test (closed by ``new_server``)."""
    return new_server().start()


def _crash_client(endpoint: str) -> Any:
    """No retries and short timeouts: a dead server must fail a call quickly."""
    return json_client(endpoint, connect_timeout=2, read_timeout=10)


def _drain(sqs: Any, url: str, *, limit_s: float = 90.0) -> dict[str, str]:
    """Receive everything (hiding it for 10 min); return MessageId -> Body."""
    got: dict[str, str] = {}
    deadline = time.monotonic() + limit_s
    empty_in_a_row = 0
    while empty_in_a_row < 2:
        assert time.monotonic() < deadline, f"drain did not finish; {len(got)} so far"
        resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600)
        messages = resp.get("Messages", [])
        empty_in_a_row = 0 if messages else empty_in_a_row + 1
        for m in messages:
            got[m["MessageId"]] = m["Body"]
    return got


def test_acknowledged_sends_survive_kill9(server: DenshoServer) -> None:
    admin = json_client(server.endpoint)
    url = admin.create_queue(QueueName="crash-durability")["QueueUrl"]

    acked: list[list[tuple[str, str]]] = [[] for _ in range(WRITERS)]
    early_errors: list[BaseException] = []
    killed = threading.Event()
    clients = [_crash_client(server.endpoint) for _ in range(WRITERS)]

    def writer(i: int) -> None:
        for n in range(1_000_000):  # bounded; ends at the crash
            body = f"w{i}-{n}"
            try:
                resp = clients[i].send_message(QueueUrl=url, MessageBody=body)
            except Exception as exc:  # the crash: connection reset or refused
                if not killed.is_set():
                    early_errors.append(exc)
                return
            acked[i].append((resp["MessageId"], body))

    threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(WRITERS)]
    for t in threads:
        t.start()
    time.sleep(SEND_FOR_S)
    killed.set()
    server.kill9()
    for t in threads:
        t.join(timeout=30)
    assert all(not t.is_alive() for t in threads), "a writer hung after the crash"
    assert not early_errors, f"sends failed before the crash: {early_errors[:3]}"
    total_acked = sum(len(a) for a in acked)
    assert total_acked >= WRITERS, f"only {total_acked} sends acknowledged in {SEND_FOR_S} s"

    server.start()
    sqs = json_client(server.endpoint)
    url = sqs.get_queue_url(QueueName="crash-durability")["QueueUrl"]
    drained = _drain(sqs, url)

    missing = [(mid, body) for per in acked for mid, body in per if mid not in drained]
    assert not missing, (
        f"{len(missing)} of {total_acked} acknowledged messages lost, e.g. {missing[:5]}"
    )
    for per in acked:
        for mid, body in per:
            assert drained[mid] == body
    # Anything else must be a send that was in flight at the crash (one per writer at most).
    extra = set(drained) - {mid for per in acked for mid, _ in per}
    assert len(extra) <= WRITERS, f"{len(extra)} unexpected messages after restart"
    assert all(drained[mid].startswith("w") for mid in extra)


def test_in_flight_message_and_receipt_handle_survive_kill9(server: DenshoServer) -> None:
    sqs = json_client(server.endpoint)
    url = sqs.create_queue(QueueName="crash-in-flight")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="deleted before the crash")
    gone = sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"][0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=gone["ReceiptHandle"])
    sqs.send_message(QueueUrl=url, MessageBody="in flight at the crash")
    held = sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"][0]
    assert held["Body"] == "in flight at the crash"
    assert counts(sqs, url) == (0, 1, 0)

    server.restart(crash=True)
    sqs = json_client(server.endpoint)
    url = sqs.get_queue_url(QueueName="crash-in-flight")["QueueUrl"]

    assert counts(sqs, url) == (0, 1, 0)
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    # The receipt handle from before the crash still works.
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=held["ReceiptHandle"], VisibilityTimeout=120
    )
    assert counts(sqs, url) == (0, 1, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=held["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_graceful_stop_exits_zero_and_keeps_state(server: DenshoServer, sig: int) -> None:
    sqs = json_client(server.endpoint)
    attrs = {"VisibilityTimeout": "77", "DelaySeconds": "0", "MaximumMessageSize": "4096"}
    tags = {"kept": "yes"}
    url = sqs.create_queue(QueueName="graceful", Attributes=attrs, tags=tags)["QueueUrl"]
    sent = sqs.send_message(
        QueueUrl=url, MessageBody="survives a restart", MessageAttributes=ALL_TYPES_ATTRIBUTES
    )

    assert server.stop(sig=sig) == 0
    assert not server.running
    server.start()

    sqs = json_client(server.endpoint)
    url = sqs.get_queue_url(QueueName="graceful")["QueueUrl"]
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(attrs))["Attributes"]
    assert got == attrs
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == tags
    [msg] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert msg["MessageId"] == sent["MessageId"]
    assert msg["Body"] == "survives a restart"
    assert msg["MessageAttributes"] == ALL_TYPES_ATTRIBUTES
    assert msg["MD5OfMessageAttributes"] == md5_of_attributes(ALL_TYPES_ATTRIBUTES)


def test_sigterm_during_long_poll_exits_zero(server: DenshoServer) -> None:
    sqs = _crash_client(server.endpoint)
    url = sqs.create_queue(QueueName="stop-while-polling")["QueueUrl"]
    done = threading.Event()

    def poll() -> None:
        try:
            sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)
        except Exception:  # the server may cut the poll short while stopping
            pass
        finally:
            done.set()

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    time.sleep(0.5)
    start = time.monotonic()
    assert server.stop(timeout=12) == 0
    assert time.monotonic() - start < 12
    assert done.wait(timeout=15)
    thread.join(timeout=5)


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[DenshoServer]:
    srv = DenshoServer(tmp_path / "data", log_dir=tmp_path)
    srv.start()
    try:
        yield srv
    finally:
        srv.close()


def test_second_server_on_the_same_data_dir_refuses_to_start(
    sqlite_server: DenshoServer,
) -> None:
    # SQLite only: one server owns a data directory. (Several servers on one PostgreSQL
    # database is the point of that store.)
    import subprocess
    import sys

    server = sqlite_server

    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "densho",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(server.data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert second.returncode != 0
    assert "in use by another densho process" in second.stderr
    assert "Traceback" not in second.stderr
    # The first server is unharmed.
    sqs = json_client(server.endpoint)
    assert sqs.create_queue(QueueName="still-serving")["QueueUrl"]
