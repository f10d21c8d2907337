"""A full disk under the SQLite store (a small tmpfs of the test's own): writes answer AWS's
retryable 503 ServiceUnavailable, never 500; the log says so once when it starts and once when
it ends; the ready probe fails meanwhile; reads keep answering; nothing acknowledged is lost, and
the server recovers by itself once space is freed. (Mounting needs root, as CI has here.)"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.conftest import json_client
from tests.support.server import DenshoServer

pytestmark = pytest.mark.timeout(120)
BODY = "x" * 200_000


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _ready(endpoint: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(endpoint + "/_densho/ready", timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_a_full_disk_answers_503_and_recovers(small_disk: Path, tmp_path: Path) -> None:
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * 3_000_000)  # freed later, to end the outage
    server = DenshoServer(small_disk / "data", log_dir=tmp_path)
    try:
        server.start()
        sqs = json_client(server.endpoint)
        url = sqs.create_queue(QueueName="disk")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="before")
        acknowledged = 1
        refused = None
        for _ in range(100):
            try:
                sqs.send_message(QueueUrl=url, MessageBody=BODY)
                acknowledged += 1
            except ClientError as exc:
                refused = exc.response
                break
        assert refused is not None, "the disk never filled"
        assert refused["Error"]["Code"] == "ServiceUnavailable"
        assert refused["ResponseMetadata"]["HTTPStatusCode"] == 503
        status, answer = _ready(server.endpoint)
        assert status == 503 and "SQLITE_FULL" in answer["reason"]
        # Reads answer meanwhile.
        assert sqs.get_queue_url(QueueName="disk")["QueueUrl"] == url
        assert sqs.list_queues()["QueueUrls"] == [url]
        # More writes fail the same way, without more lines in the log.
        for _ in range(3):
            with pytest.raises(ClientError) as err:
                sqs.send_message(QueueUrl=url, MessageBody=BODY)
            assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        filler.unlink()
        deadline = time.monotonic() + 20
        while True:
            try:
                sqs.send_message(QueueUrl=url, MessageBody="after")
                acknowledged += 1
                break
            except ClientError as exc:
                assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 503
                assert time.monotonic() < deadline, "writes did not recover"
                time.sleep(0.2)
        assert _ready(server.endpoint) == (200, {"status": "ready"})
        count = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        assert int(count) == acknowledged
        log = server.stderr_tail(10_000_000)
        assert log.count("store writes failing") == 1
        assert log.count("store writes succeed again") == 1
        assert "Traceback" not in log
        server.restart()  # and what was acknowledged is on the disk
        count = json_client(server.endpoint).get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        assert int(count) == acknowledged
    finally:
        server.close()
