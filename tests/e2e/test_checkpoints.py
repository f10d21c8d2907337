"""SQLite's WAL checkpoints run in densho's checkpoint thread soon after commits, not on the
event loop when the WAL reaches SQLite's threshold (densho.storage.checkpointer): the database
file takes in what was written within a second or two, long before the writer's own backstop
(64 MiB of WAL) would have copied anything."""

from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import json_client
from tests.support.server import DenshoServer

BODY = "x" * 250_000
MESSAGES = 96  # 24 MB: past SQLite's default threshold (16 MiB here), short of the backstop


def test_the_wal_is_checkpointed_off_the_loop_soon_after_commits(tmp_path: Path) -> None:
    server = DenshoServer(tmp_path / "data", log_dir=tmp_path)
    try:
        server.start()
        database = tmp_path / "data" / "densho.db"
        sqs = json_client(server.endpoint)
        url = sqs.create_queue(QueueName="checkpointed")["QueueUrl"]
        before = database.stat().st_size
        for _ in range(MESSAGES // 4):
            entries = [{"Id": str(i), "MessageBody": BODY} for i in range(4)]
            assert not sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")
        written = MESSAGES * len(BODY)
        deadline = time.monotonic() + 10
        while database.stat().st_size - before < written * 0.9 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert database.stat().st_size - before >= written * 0.9
        # Every message is there, read back through the API after the checkpoints.
        counts = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        assert int(counts["ApproximateNumberOfMessages"]) == MESSAGES
    finally:
        server.close()
