"""Files densho keeps in its data directory are its user's alone: the directory 0700, the
database, its WAL, the SNS signing key and certificate 0600 — on a fresh start, and tightened on
start when an older densho (or a copy) left them readable to others. (SQLite store: the data
directory holds the database.)"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.conftest import json_client, sns_client
from tests.e2e.helpers import wait_until
from tests.support.server import DenshoServer

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def _modes(directory: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.lstat().st_mode) for p in directory.iterdir()}


def _send_and_sign(endpoint: str, data_dir: Path) -> None:
    """A send (the WAL fills) and an SNS publish to a queue (the signing key is made)."""
    sqs = json_client(endpoint)
    sns = sns_client(endpoint)
    url = sqs.create_queue(QueueName="files")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    topic = sns.create_topic(Name="files")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="signed")
    wait_until(
        lambda: (data_dir / "sns-signing-key.pem").exists(), message="the signing key", timeout=10
    )
    wait_until(
        lambda: sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages"
        ),
        message="a message",
    )
    sqs.close()
    sns.close()


def test_every_file_is_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with DenshoServer(data, log_dir=tmp_path) as server:
        _send_and_sign(server.endpoint, data)
        modes = _modes(data)
        assert {"densho.db", "densho.db-wal", "sns-signing-key.pem", "sns-signing-cert.pem"} <= set(
            modes
        ), modes
        assert {name: oct(mode) for name, mode in modes.items() if mode & 0o077} == {}
        assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_readable_files_are_tightened_on_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with DenshoServer(data, log_dir=tmp_path) as server:
        _send_and_sign(server.endpoint, data)
    # As an older densho, a backup restore or a careless chmod leaves them.
    os.chmod(data, 0o755)
    for path in data.iterdir():
        os.chmod(path, 0o644)
    (tmp_path / "elsewhere.txt").write_text("not densho's")
    os.chmod(tmp_path / "elsewhere.txt", 0o644)
    with DenshoServer(data, log_dir=tmp_path) as server:
        sqs = json_client(server.endpoint)
        url = sqs.get_queue_url(QueueName="files")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="again")
        sqs.close()
        modes = _modes(data)
        assert {name: oct(mode) for name, mode in modes.items() if mode & 0o077} == {}
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "elsewhere.txt").stat().st_mode) == 0o644


def test_a_preexisting_readable_database_is_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    (data / "densho.db").touch(mode=0o644)  # an empty file is an empty SQLite database
    os.chmod(data / "densho.db", 0o644)
    with DenshoServer(data, log_dir=tmp_path) as server:
        sqs = json_client(server.endpoint)
        url = sqs.create_queue(QueueName="tight")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="x")
        sqs.close()
        modes = _modes(data)
        assert modes["densho.db"] == 0o600
        assert modes["densho.db-wal"] == 0o600
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
