"""Smoke test with the real aws CLI (v1, from the venv) pointed at densho."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import unique_name
from tests.e2e.helpers import md5_of_body

AWS = Path(sys.executable).parent / "aws"

pytestmark = pytest.mark.timeout(120)


def _aws(endpoint: str, home: Path, *args: str) -> Any:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k not in {"PYTHONWARNINGS"}
    }
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
        AWS_PAGER="",
        HOME=str(home),
    )
    proc = subprocess.run(
        [str(AWS), "--endpoint-url", endpoint, "--output", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"aws {' '.join(args)} failed: {proc.stderr}"
    return json.loads(proc.stdout) if proc.stdout.strip() else None


def test_aws_cli_queue_lifecycle(endpoint: str, tmp_path: Path) -> None:
    assert AWS.exists(), f"{AWS} is missing (install the dev extra)"
    name = unique_name("cli")
    created = _aws(endpoint, tmp_path, "sqs", "create-queue", "--queue-name", name)
    url = created["QueueUrl"]
    assert url.endswith(f"/{name}")
    try:
        body = "hello from the aws cli ✓"
        sent = _aws(
            endpoint,
            tmp_path,
            "sqs",
            "send-message",
            "--queue-url",
            url,
            "--message-body",
            body,
            "--message-attributes",
            json.dumps({"via": {"DataType": "String", "StringValue": "cli"}}),
        )
        assert sent["MD5OfMessageBody"] == md5_of_body(body)

        received = _aws(
            endpoint,
            tmp_path,
            "sqs",
            "receive-message",
            "--queue-url",
            url,
            "--wait-time-seconds",
            "2",
            "--message-attribute-names",
            "All",
        )
        [msg] = received["Messages"]
        assert msg["MessageId"] == sent["MessageId"]
        assert msg["Body"] == body
        assert msg["MessageAttributes"]["via"]["StringValue"] == "cli"

        _aws(
            endpoint,
            tmp_path,
            "sqs",
            "delete-message",
            "--queue-url",
            url,
            "--receipt-handle",
            msg["ReceiptHandle"],
        )
        listed = _aws(endpoint, tmp_path, "sqs", "list-queues", "--queue-name-prefix", name)
        assert listed["QueueUrls"] == [url]
    finally:
        _aws(endpoint, tmp_path, "sqs", "delete-queue", "--queue-url", url)
    listed = _aws(endpoint, tmp_path, "sqs", "list-queues", "--queue-name-prefix", name)
    assert not (listed or {}).get("QueueUrls")


def test_server_configured_by_environment(tmp_path: Path) -> None:
    """DENSHO_* variables alone configure `densho serve`; the ready line names the endpoint."""
    import re

    import boto3

    env = {
        **os.environ,
        "DENSHO_PORT": "0",
        "DENSHO_DATA_DIR": str(tmp_path / "data"),
        "DENSHO_ACCOUNT_ID": "123456789012",
    }
    with subprocess.Popen(
        [sys.executable, "-m", "densho", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            found = re.search(r"http://\S+", line)
            assert found, line
            assert str(tmp_path / "data") in line
            sqs = boto3.client(
                "sqs",
                endpoint_url=found.group(),
                region_name="eu-west-1",
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )
            url = sqs.create_queue(QueueName="from-env")["QueueUrl"]
            assert url.endswith("/123456789012/from-env")
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            # The region comes from the request's SigV4 scope, the account from
            # DENSHO_ACCOUNT_ID.
            assert arn["Attributes"]["QueueArn"] == "arn:aws:sqs:eu-west-1:123456789012:from-env"
            sqs.close()
        finally:
            proc.terminate()
            assert proc.wait(timeout=30) == 0


def test_help_names_every_flag_with_its_variable_and_default() -> None:
    from densho.config import OPTIONS

    proc = subprocess.run(
        [sys.executable, "-m", "densho", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={**os.environ, "COLUMNS": "2000"},  # no wrapping inside a flag's text
    )
    text = " ".join(proc.stdout.split())
    for option in OPTIONS:
        assert option.flag in text
        assert " ".join(option.help_text.split()) in text, option.name
    assert "[env DENSHO_CONFIG; default: none]" in text
    top = subprocess.run(
        [sys.executable, "-m", "densho", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "serve" in top.stdout and "migrate" in top.stdout and "``" not in top.stdout
