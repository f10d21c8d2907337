"""A task queued through SQS runs on a real Celery worker: densho's pytest plugin starts densho,
the worker runs in a subprocess against it, and the task's own message proves it ran."""

import importlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.fixture
def tasks(densho_clean, monkeypatch):
    """The app, configured (as at import) for the densho under test."""
    monkeypatch.setenv("SQS_ENDPOINT_URL", densho_clean.endpoint_url)
    sys.modules.pop("tasks", None)
    return importlib.import_module("tasks")


@pytest.fixture
def worker(tasks, densho_clean):
    env = {**os.environ, "SQS_ENDPOINT_URL": densho_clean.endpoint_url}
    command = [sys.executable, "-m", "celery", "-A", "tasks", "worker", "-P", "solo"]
    quiet = ["--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "warning"]
    process = subprocess.Popen([*command, *quiet], cwd=HERE, env=env)
    yield process
    process.terminate()
    process.wait(timeout=20)


def test_a_queued_task_runs_on_the_worker(tasks, worker, densho_clean):
    sqs = densho_clean.client("sqs")
    done = sqs.create_queue(QueueName=tasks.DONE_QUEUE)["QueueUrl"]

    tasks.make_thumbnail.delay(42)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the celery worker exited"
        got = sqs.receive_message(QueueUrl=done, WaitTimeSeconds=2).get("Messages", [])
        if got:
            assert json.loads(got[0]["Body"]) == {"image": 42, "size": 128}
            return
    pytest.fail("the task did not run within 60 s")
