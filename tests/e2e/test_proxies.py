"""densho behind a TLS-terminating proxy, and ``--public-url``: the URLs densho returns carry the
scheme and host its clients used, so they work where the client is.

A real TLS proxy (``tests/support/tls_proxy.py``, a certificate made here) forwards to densho
over plain HTTP, adding X-Forwarded-Proto/Host/For; densho trusts it (``--trusted-proxies``).
Through it: queue URLs say ``https://localhost:PROXYPORT`` and a request sent to that URL itself
(as the JavaScript SDK v2 sends every request) works; an HTTP subscriber confirms by visiting
SubscribeURL; a notification's signature is verified by a validator written here from the SNS
Developer Guide ("Verifying the signatures of Amazon SNS messages"), which, like AWS's own
validators, accepts only an https SigningCertURL and fetches the certificate through the proxy.
With authentication on, signatures verify through the proxy (it passes Host unchanged) and
aws:SourceIp is the address the proxy forwarded. A peer that is not trusted gets its forwarded
headers ignored. ``--public-url`` names the URLs whatever the request said; bad values stop
the start with one line.
"""

from __future__ import annotations

import json
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import ACCOUNT_ID, REGION, json_client, servers_on, sns_client
from tests.support.query_client import make_sqs_query_client
from tests.support.server import DenshoServer, serve_refused
from tests.support.sns_endpoints import HttpSubscriber
from tests.support.sns_validator import NotVerified, validate
from tests.support.tls import self_signed
from tests.support.tls_proxy import TlsProxy

CLIENT_IP = "203.0.113.7"  # the address the proxy reports for its client
SQS_XMLNS = "{http://queue.amazonaws.com/doc/2012-11-05/}"


def _name(hint: str) -> str:
    return f"{hint}-{uuid.uuid4().hex[:10]}"


def _client(
    service: str, endpoint: str, cert: Path, key_id: str = "test", secret: str = "test"
) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        verify=str(cert),
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )


def _fetch(url: str, cert: Path, data: bytes | None = None) -> tuple[int, bytes]:
    """GET (or POST ``data``) ``url``, trusting the test certificate for https."""
    context = ssl.create_default_context(cafile=str(cert))
    request = urllib.request.Request(url, data=data)
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# --- fixtures ---


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("proxy-tls"))


@pytest.fixture(scope="module")
def cert(tls_files: tuple[Path, Path]) -> Path:
    return tls_files[0]


@pytest.fixture(scope="module")
def behind(store_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DenshoServer]:
    """densho trusting the proxy's address (everything here runs on 127.0.0.1)."""
    base = tmp_path_factory.mktemp(f"behind-proxy-{store_kind}")
    with servers_on(store_kind, base) as make:
        args = ("--trusted-proxies", "127.0.0.1", "--log-level", "info")
        yield make(extra_args=args).start()


@pytest.fixture(scope="module")
def proxy(behind: DenshoServer, tls_files: tuple[Path, Path]) -> Iterator[TlsProxy]:
    with TlsProxy(behind.endpoint, *tls_files, client_address=CLIENT_IP) as running:
        yield running


@pytest.fixture(scope="module")
def subscriber() -> Iterator[HttpSubscriber]:
    server = HttpSubscriber()
    yield server
    server.close()


# --- through the proxy ---


@pytest.mark.parametrize("protocol", ["json", "query"])
def test_queue_urls_name_the_proxy_and_work_through_it(
    proxy: TlsProxy, cert: Path, protocol: str
) -> None:
    base = proxy.url()  # https://localhost:PORT: another scheme, host and port than densho's
    sqs = (
        _client("sqs", base, cert)
        if protocol == "json"
        else make_sqs_query_client(base, REGION, verify=str(cert))
    )
    name = _name(f"proxied-{protocol}")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url == f"{base}/{ACCOUNT_ID}/{name}"
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    assert sqs.list_queues(QueueNamePrefix=name)["QueueUrls"] == [url]
    sqs.send_message(QueueUrl=url, MessageBody="via the SDK")
    # The JavaScript SDK v2 sends each request to the queue URL itself: so does this one.
    status, body = _fetch(url, cert, b"Action=SendMessage&MessageBody=to+the+queue+url")
    assert status == 200, body
    assert ET.fromstring(body).find(f".//{SQS_XMLNS}MessageId") is not None
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    bodies = sorted(m["Body"] for m in got.get("Messages", []))
    if len(bodies) < 2:  # a second receive for what the first did not return
        more = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
        bodies = sorted(bodies + [m["Body"] for m in more.get("Messages", [])])
    assert bodies == ["to the queue url", "via the SDK"]
    sqs.close()


def test_direct_clients_still_get_densho_own_urls(behind: DenshoServer) -> None:
    # No forwarded headers (the client reached densho directly): the Host it used.
    sqs = json_client(behind.endpoint)
    name = _name("direct")
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == f"{behind.endpoint}/{ACCOUNT_ID}/{name}"


def test_subscribe_url_confirms_through_the_proxy_and_signatures_verify(
    proxy: TlsProxy, cert: Path, subscriber: HttpSubscriber
) -> None:
    base = proxy.url()
    sns = _client("sns", base, cert)
    topic = sns.create_topic(Name=_name("proxied"))["TopicArn"]
    path = f"/{_name('sub')}"
    pending = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=subscriber.url + path)
    assert pending["SubscriptionArn"] == "pending confirmation"
    (confirmation,) = subscriber.wait_for(path, "SubscriptionConfirmation")
    doc = json.loads(confirmation.body)
    assert doc["SubscribeURL"].startswith(f"{base}/?Action=ConfirmSubscription&")
    assert doc["SigningCertURL"].startswith(f"{base}/_densho/sns/cert/")
    validate(doc, lambda url: _fetch(url, cert), https_only=True)

    # The subscriber confirms as an HTTP endpoint does: it visits SubscribeURL.
    status, body = _fetch(doc["SubscribeURL"], cert)
    assert status == 200, body
    (sub,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert sub["SubscriptionArn"].startswith(topic + ":")

    sns.publish(TopicArn=topic, Message="signed behind a proxy", Subject="proxied")
    (delivered,) = subscriber.wait_for(path, "Notification")
    note = json.loads(delivered.body)
    assert note["Message"] == "signed behind a proxy"
    assert note["UnsubscribeURL"] == (
        f"{base}/?Action=Unsubscribe&SubscriptionArn={sub['SubscriptionArn']}"
    )
    validate(note, lambda url: _fetch(url, cert), https_only=True)
    with pytest.raises(NotVerified, match="bad signature"):
        validate({**note, "Message": "tampered"}, lambda url: _fetch(url, cert), https_only=True)
    # The validator refuses a plain-http certificate URL, as AWS's validators do.
    plain = note["SigningCertURL"].replace("https://", "http://", 1)
    with pytest.raises(NotVerified, match="https"):
        validate({**note, "SigningCertURL": plain}, lambda url: _fetch(url, cert), https_only=True)
    sns.close()


def test_the_access_line_names_the_forwarded_client(
    proxy: TlsProxy, cert: Path, behind: DenshoServer
) -> None:
    sqs = _client("sqs", proxy.url(), cert)
    marker = _name("logged")
    sqs.create_queue(QueueName=marker)
    sqs.close()
    line = _wait_for_line(behind, f"resource={marker}")
    assert f"client={CLIENT_IP} method=POST path=/" in line


def _wait_for_line(server: DenshoServer, text: str) -> str:
    """The server's log line holding ``text`` (written just after the answer: bounded wait)."""
    deadline = time.monotonic() + 5
    while True:
        lines = [ln for ln in server.stderr_tail(10_000_000).splitlines() if text in ln]
        if lines or time.monotonic() > deadline:
            assert lines, f"no log line with {text!r}"
            return lines[-1]
        time.sleep(0.05)


# --- authentication on, through the proxy ---

# One user may use SQS only from 203.0.113.0/24; the other from anywhere.
_CREDENTIALS = """
[[credentials]]
access_key_id = "AKIAFROMOFFICE000001"
secret_access_key = "office-secret"
account_id = "123456789012"
principal = "arn:aws:iam::123456789012:user/office"
policy = '''{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*",
  "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}'''

[[credentials]]
access_key_id = "AKIAANYWHERE00000001"
secret_access_key = "anywhere-secret"
account_id = "123456789012"
"""


def _office(endpoint: str, cert: Path) -> Any:
    return _client("sqs", endpoint, cert, "AKIAFROMOFFICE000001", "office-secret")


def test_signed_requests_and_source_ip_through_the_proxy(
    tmp_path: Path, tls_files: tuple[Path, Path]
) -> None:
    cert = tls_files[0]
    config = tmp_path / "densho.toml"
    config.write_text(_CREDENTIALS, "utf-8")
    args = ("--config", str(config), "--trusted-proxies", "127.0.0.0/8")
    with DenshoServer(tmp_path / "data", log_dir=tmp_path, extra_args=args) as server:
        # The office's address, forwarded by the trusted proxy: allowed, and signatures made
        # for the proxy's host verify (it passes Host through).
        with TlsProxy(server.endpoint, *tls_files, client_address=CLIENT_IP) as office_proxy:
            sqs = _office(office_proxy.url(), cert)
            url = sqs.create_queue(QueueName="from-office")["QueueUrl"]
            assert url == f"{office_proxy.url()}/123456789012/from-office"
            sqs.send_message(QueueUrl=url, MessageBody="signed through TLS")
            sqs.close()
        # Another address behind the same proxy: the policy's condition fails.
        with TlsProxy(server.endpoint, *tls_files, client_address="198.51.100.9") as elsewhere:
            sqs = _office(elsewhere.url(), cert)
            with pytest.raises(ClientError) as denied:
                sqs.get_queue_url(QueueName="from-office")
            assert denied.value.response["Error"]["Code"] == "AccessDenied"
            sqs.close()


def test_an_untrusted_peers_forwarded_headers_are_ignored(tmp_path: Path, cert: Path) -> None:
    config = tmp_path / "densho.toml"
    config.write_text(_CREDENTIALS, "utf-8")
    # Only 10.0.0.0/8 is trusted: this test (127.0.0.1) is not.
    args = ("--config", str(config), "--trusted-proxies", "10.0.0.0/8")
    with DenshoServer(tmp_path / "data", log_dir=tmp_path, extra_args=args) as server:
        forged = {
            "X-Forwarded-For": CLIENT_IP,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "forged.example.com",
        }

        def add_forged(request: Any, **_: Any) -> None:  # after signing, as a proxy would
            request.headers.update(forged)

        anywhere = _client("sqs", server.endpoint, cert, "AKIAANYWHERE00000001", "anywhere-secret")
        anywhere.meta.events.register("before-send.sqs", add_forged)
        url = anywhere.create_queue(QueueName="not-forged")["QueueUrl"]
        assert url == f"{server.endpoint}/123456789012/not-forged"
        office = _office(server.endpoint, cert)
        office.meta.events.register("before-send.sqs", add_forged)
        with pytest.raises(ClientError) as denied:  # the claimed office address is not believed
            office.get_queue_url(QueueName="not-forged")
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
        anywhere.close()
        office.close()


# --- --public-url ---


def test_public_url_names_every_url(tmp_path: Path, subscriber: HttpSubscriber) -> None:
    public = "https://queues.example.com:8443"
    config = tmp_path / "densho.toml"
    path = f"/{_name('declared')}"
    config.write_text(
        f"""
[server]
public_url = "{public}/"

[[topics]]
name = "declared-topic"
[[topics.subscriptions]]
protocol = "http"
endpoint = "{subscriber.url}{path}"
""",
        "utf-8",
    )
    with DenshoServer(
        tmp_path / "data", log_dir=tmp_path, extra_args=("--config", str(config))
    ) as server:
        # A declared subscription's confirmation, sent at start, names the public URL too.
        (declared,) = subscriber.wait_for(path, "SubscriptionConfirmation")
        assert json.loads(declared.body)["SubscribeURL"].startswith(f"{public}/?Action=")
        sqs = json_client(server.endpoint)
        name = _name("public")
        assert sqs.create_queue(QueueName=name)["QueueUrl"] == f"{public}/{ACCOUNT_ID}/{name}"
        # Whatever host the request names: the URL a queue is reached at is the public one,
        # and a URL of any host still finds the queue.
        assert sqs.list_queues(QueueNamePrefix=name)["QueueUrls"] == [
            f"{public}/{ACCOUNT_ID}/{name}"
        ]
        local_url = f"{server.endpoint}/{ACCOUNT_ID}/{name}"
        sqs.send_message(QueueUrl=local_url, MessageBody="found by name")
        sns = sns_client(server.endpoint)
        topic = sns.create_topic(Name=_name("public"))["TopicArn"]
        sub_path = f"/{_name('sub')}"
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=subscriber.url + sub_path)
        (confirmation,) = subscriber.wait_for(sub_path, "SubscriptionConfirmation")
        doc = json.loads(confirmation.body)
        assert doc["SubscribeURL"].startswith(f"{public}/?Action=ConfirmSubscription&")
        assert doc["SigningCertURL"].startswith(f"{public}/_densho/sns/cert/")
        sns.confirm_subscription(TopicArn=topic, Token=doc["Token"])
        sns.publish(TopicArn=topic, Message="hello")
        (note,) = subscriber.wait_for(sub_path, "Notification")
        assert json.loads(note.body)["UnsubscribeURL"].startswith(f"{public}/?Action=Unsubscribe&")
        sqs.close()
        sns.close()
    ready = (tmp_path / "densho-1.stdout.log").read_text("utf-8")
    assert f"public URL: {public}" in ready


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (("--public-url", "ftp://q.example.com"), {}, "argument --public-url: must be http://"),
        (("--public-url", "https://q.example.com/sqs"), {}, "no path, query or user"),
        ((), {"DENSHO_PUBLIC_URL": "q.example.com"}, "DENSHO_PUBLIC_URL: must be http://"),
        (
            ("--trusted-proxies", "10.0.0.0/8,proxy"),
            {},
            "argument --trusted-proxies: not an IP address or CIDR block: 'proxy'",
        ),
    ],
    ids=["scheme", "path", "env", "proxies"],
)
def test_bad_values_stop_the_start_with_one_line(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], says: str
) -> None:
    done = serve_refused(*args, data_dir=tmp_path, env=env)
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_public_url_in_the_file_names_the_line(tmp_path: Path) -> None:
    config = tmp_path / "densho.toml"
    config.write_text('[server]\npublic_url = "https://q.example.com/?x=1"\n', "utf-8")
    done = serve_refused("--config", str(config), data_dir=tmp_path)
    assert done.returncode == 2
    assert re.search(r"densho.toml:2: server.public_url: invalid value .*no path", done.stderr)
