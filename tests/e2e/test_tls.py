"""HTTPS: ``--tls-cert`` / ``--tls-key`` serve TLS with a certificate generated here, on both
stores; queue URLs then say https, over both protocols; plain HTTP to the port fails; the flags
go together and a file that cannot be read is one clear line (exit 2), no trace; and
aws:SecureTransport follows the connection."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import REGION, servers_on
from tests.support.query_client import make_sqs_query_client
from tests.support.server import DenshoServer, serve_refused
from tests.support.tls import self_signed


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_server(
    tls_files: tuple[Path, Path], store_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DenshoServer]:
    cert, key = tls_files
    base = tmp_path_factory.mktemp(f"tls-server-{store_kind}")
    with servers_on(store_kind, base) as make:
        yield make(extra_args=("--tls-cert", str(cert), "--tls-key", str(key))).start()


def _json_client(endpoint: str, cert: Path) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        verify=str(cert),
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )


def test_ready_line_says_https(tls_server: DenshoServer) -> None:
    assert tls_server.endpoint.startswith("https://127.0.0.1:")


@pytest.mark.parametrize("protocol", ["json", "query"])
def test_queue_urls_are_https_and_messages_flow(
    tls_server: DenshoServer, tls_files: tuple[Path, Path], protocol: str
) -> None:
    cert = tls_files[0]
    endpoint = tls_server.endpoint
    sqs = (
        _json_client(endpoint, cert)
        if protocol == "json"
        else make_sqs_query_client(endpoint, REGION, verify=str(cert))
    )
    url = sqs.create_queue(QueueName=f"tls-{protocol}")["QueueUrl"]
    assert url == f"{endpoint}/000000000000/tls-{protocol}"
    assert url.startswith("https://")
    assert sqs.get_queue_url(QueueName=f"tls-{protocol}")["QueueUrl"] == url
    assert url in sqs.list_queues(QueueNamePrefix="tls-")["QueueUrls"]
    sqs.send_message(QueueUrl=url, MessageBody="over tls")
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"]
    assert [m["Body"] for m in got] == ["over tls"]
    sqs.close()


def test_plain_http_to_the_tls_port_fails(tls_server: DenshoServer) -> None:
    host, port = tls_server.endpoint.removeprefix("https://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("POST", "/", body=b"Action=ListQueues")
        status: int | None = conn.getresponse().status
    except (OSError, http.client.HTTPException):
        status = None  # the TLS port drops a plaintext request: no HTTP answer
    finally:
        conn.close()
    assert status is None


@pytest.mark.parametrize("flag", ["--tls-cert", "--tls-key"])
def test_one_flag_alone_exits_2(tls_files: tuple[Path, Path], tmp_path: Path, flag: str) -> None:
    cert, key = tls_files
    done = serve_refused(flag, str(cert if flag == "--tls-cert" else key), data_dir=tmp_path)
    assert done.returncode == 2
    other = "--tls-key" if flag == "--tls-cert" else "--tls-cert"
    assert f"{flag} needs {other} too" in done.stderr
    assert "Traceback" not in done.stderr


def test_unreadable_files_are_one_clear_line(tls_files: tuple[Path, Path], tmp_path: Path) -> None:
    cert, key = tls_files
    missing = tmp_path / "missing.pem"
    done = serve_refused("--tls-cert", str(missing), "--tls-key", str(key), data_dir=tmp_path)
    assert done.returncode == 2
    assert f"--tls-cert {missing}: cannot read: No such file or directory" in done.stderr
    assert "Traceback" not in done.stderr
    # A key where the certificate should be: not a certificate.
    done = serve_refused("--tls-cert", str(key), "--tls-key", str(key), data_dir=tmp_path)
    assert done.returncode == 2
    assert "not a PEM certificate and its private key" in done.stderr
    assert "Traceback" not in done.stderr
    # The environment works as the flags do.
    done = subprocess.run(
        [sys.executable, "-m", "densho", "serve", "--port", "0", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DENSHO_TLS_CERT": str(cert)},
    )
    assert done.returncode == 2
    assert "--tls-cert needs --tls-key too" in done.stderr


# A user allowed everything in SQS only over TLS: the same credentials file served once over
# HTTPS and once over plain HTTP shows that aws:SecureTransport follows the connection.
_SECURE_ONLY = """
[[credentials]]
access_key_id = "AKIASECUREONLY000001"
secret_access_key = "secure-only-secret"
account_id = "123456789012"
principal = "arn:aws:iam::123456789012:user/tls-only"
policy = '''{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*",
  "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}'''
"""


@pytest.mark.parametrize("secure", [True, False], ids=["https", "http"])
def test_secure_transport_condition_follows_the_connection(
    tls_files: tuple[Path, Path], tmp_path: Path, secure: bool
) -> None:
    cert, key = tls_files
    config = tmp_path / "densho.toml"
    config.write_text(_SECURE_ONLY, "utf-8")
    tls = ("--tls-cert", str(cert), "--tls-key", str(key)) if secure else ()
    with DenshoServer(
        tmp_path / "data", log_dir=tmp_path, extra_args=("--config", str(config), *tls)
    ) as server:
        sqs = boto3.client(
            "sqs",
            endpoint_url=server.endpoint,
            region_name=REGION,
            aws_access_key_id="AKIASECUREONLY000001",
            aws_secret_access_key="secure-only-secret",
            verify=str(cert),
            config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30),
        )
        if secure:
            url = sqs.create_queue(QueueName="tls-only")["QueueUrl"]
            assert url == f"{server.endpoint}/123456789012/tls-only"
            sqs.send_message(QueueUrl=url, MessageBody="sealed in transit")
            got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"]
            assert [m["Body"] for m in got] == ["sealed in transit"]
        else:
            with pytest.raises(ClientError) as denied:
                sqs.create_queue(QueueName="tls-only")
            error = denied.value.response
            assert error["Error"]["Code"] == "AccessDenied"
            assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
            assert "arn:aws:iam::123456789012:user/tls-only" in error["Error"]["Message"]
        sqs.close()
