"""Authentication end to end: a server whose config file names two credentials in two accounts.

Real boto3 clients (SQS over JSON and Query, SNS over Query), plain HTTP requests, presigned URLs
and the aws CLI against the real server on each store: what a signed caller may do, every refusal
AWS answers (code, status, message), accounts as tenants, and densho's own endpoints.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from tests.conftest import REGION, server_with_config, unique_name
from tests.e2e.helpers import expect_error
from tests.support.query_client import make_sqs_query_client
from tests.support.server import DenshoServer

ALICE_KEY, ALICE_SECRET, ALICE_ACCOUNT = "AKIAALICE00000001", "alice-secret/+=", "111111111111"
BOB_KEY, BOB_SECRET, BOB_ACCOUNT = "AKIABOB0000000002", "bob-secret", "222222222222"
TEMP_KEY, TEMP_SECRET, TEMP_TOKEN = "ASIATEMP0000000003", "temp-secret", "temp-session-token"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)
CONFIG = f"""
[[credentials]]
access_key_id = "{ALICE_KEY}"
secret_access_key = "{ALICE_SECRET}"
account_id = "{ALICE_ACCOUNT}"
principal = "arn:aws:iam::{ALICE_ACCOUNT}:user/alice"
# An IAM user may do only what a policy allows (tests/e2e/test_policies.py checks the rest).
policy = '{{"Statement": {{"Effect": "Allow", "Action": ["sqs:*", "sns:*"], "Resource": "*"}}}}'

[[credentials]]
access_key_id = "{BOB_KEY}"
secret_access_key = "{BOB_SECRET}"
account_id = "{BOB_ACCOUNT}"

# Temporary credentials: requests with this key must carry this session token.
[[credentials]]
access_key_id = "{TEMP_KEY}"
secret_access_key = "{TEMP_SECRET}"
session_token = "{TEMP_TOKEN}"
account_id = "{BOB_ACCOUNT}"
"""


@pytest.fixture(scope="module")
def auth_server(
    store_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DenshoServer]:
    base: Path = tmp_path_factory.mktemp(f"densho-auth-{store_kind}")
    with server_with_config(store_kind, base, CONFIG) as server:
        yield server


@pytest.fixture(scope="module")
def endpoint(auth_server: DenshoServer) -> str:
    return auth_server.endpoint


def client(service: str, endpoint: str, key: str, secret: str, token: str | None = None) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )


def sqs_client(
    protocol: str, endpoint: str, key: str, secret: str, token: str | None = None
) -> Any:
    if protocol == "json":
        return client("sqs", endpoint, key, secret, token)
    return make_sqs_query_client(
        endpoint, REGION, access_key=key, secret_key=secret, session_token=token
    )


@pytest.fixture(params=["json", "query"])
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def alice(protocol: str, endpoint: str) -> Any:
    return sqs_client(protocol, endpoint, ALICE_KEY, ALICE_SECRET)


@pytest.fixture
def bob(protocol: str, endpoint: str) -> Any:
    return sqs_client(protocol, endpoint, BOB_KEY, BOB_SECRET)


def http(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def signed_http(
    url: str, service: str, data: bytes, headers: dict[str, str], key: str, secret: str
) -> tuple[int, dict[str, str], bytes]:
    request = AWSRequest(method="POST", url=url, data=data, headers=headers)
    SigV4Auth(Credentials(key, secret), service, REGION).add_auth(request)
    prepared = request.prepare()
    return http(prepared.url, prepared.body, dict(prepared.headers.items()), "POST")


FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
JSON_LIST = {"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"}


# --- signed callers ---


def test_signed_clients_work(alice: Any, endpoint: str) -> None:
    url = alice.create_queue(QueueName=unique_name("auth-ok"))["QueueUrl"]
    assert f"/{ALICE_ACCOUNT}/" in url
    alice.send_message(QueueUrl=url, MessageBody="signed")
    got = alice.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ["signed"]
    sns = client("sns", endpoint, ALICE_KEY, ALICE_SECRET)
    arn = sns.create_topic(Name=unique_name("auth-topic"))["TopicArn"]
    assert f":{ALICE_ACCOUNT}:" in arn
    assert sns.publish(TopicArn=arn, Message="hi")["MessageId"]


# --- refusals ---


def test_unknown_key(protocol: str, endpoint: str) -> None:
    sqs = sqs_client(protocol, endpoint, "AKIAUNKNOWN000000", "whatever")
    response = expect_error(sqs.list_queues, code="InvalidClientTokenId", status=403)
    assert response["Error"]["Message"] == "The security token included in the request is invalid."
    sns = client("sns", endpoint, "AKIAUNKNOWN000000", "whatever")
    expect_error(sns.list_topics, code="InvalidClientTokenId", status=403)


def test_wrong_secret(protocol: str, endpoint: str) -> None:
    sqs = sqs_client(protocol, endpoint, ALICE_KEY, "not-the-secret")
    response = expect_error(sqs.list_queues, code="SignatureDoesNotMatch", status=403)
    assert response["Error"]["Message"] == MISMATCH
    sns = client("sns", endpoint, BOB_KEY, "not-the-secret")
    expect_error(sns.list_topics, code="SignatureDoesNotMatch", status=403)


def test_session_token_refused(protocol: str, endpoint: str) -> None:
    sqs = sqs_client(protocol, endpoint, ALICE_KEY, ALICE_SECRET, token="a-session-token")
    expect_error(sqs.list_queues, code="InvalidClientTokenId", status=403)


def test_configured_session_token_is_required_and_checked(protocol: str, endpoint: str) -> None:
    sqs = sqs_client(protocol, endpoint, TEMP_KEY, TEMP_SECRET, token=TEMP_TOKEN)
    url = sqs.create_queue(QueueName=unique_name("temp"))["QueueUrl"]
    assert f"/{BOB_ACCOUNT}/" in url
    for token in (None, TEMP_TOKEN + "x"):
        other = sqs_client(protocol, endpoint, TEMP_KEY, TEMP_SECRET, token=token)
        expect_error(other.list_queues, code="InvalidClientTokenId", status=403)


def test_sender_id_names_the_signer(protocol: str, endpoint: str) -> None:
    # A root's messages carry its account id, a user's an IAM-style unique id (AIDA…), as on AWS.
    for key, secret, expected in (
        (BOB_KEY, BOB_SECRET, BOB_ACCOUNT),
        (ALICE_KEY, ALICE_SECRET, None),
    ):
        sqs = sqs_client(protocol, endpoint, key, secret)
        url = sqs.create_queue(QueueName=unique_name("sender"))["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="who")
        got = sqs.receive_message(QueueUrl=url, AttributeNames=["SenderId"], WaitTimeSeconds=2)
        sender = got["Messages"][0]["Attributes"]["SenderId"]
        if expected is not None:
            assert sender == expected
        else:
            assert sender.startswith("AIDA") and len(sender) == 21 and sender.isalnum()
            assert key not in sender


def test_unsigned_query_post(endpoint: str) -> None:
    status, _, body = http(endpoint + "/", b"Action=ListQueues", FORM, "POST")
    assert status == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in body
    assert b"<Message>Request is missing Authentication Token</Message>" in body
    status, _, body = http(endpoint + "/", b"Action=ListTopics&Version=2010-03-31", FORM, "POST")
    assert status == 403 and b"MissingAuthenticationToken" in body


def test_unsigned_json_post(endpoint: str) -> None:
    status, headers, body = http(endpoint + "/", b"{}", JSON_LIST, "POST")
    assert status == 403
    document = json.loads(body)
    assert document["__type"].endswith("MissingAuthenticationTokenException")
    assert document["message"] == "Request is missing Authentication Token"
    lowered = {k.lower(): v for k, v in headers.items()}
    assert lowered["x-amzn-query-error"] == "MissingAuthenticationToken;Sender"


def test_unsigned_invalid_action_reveals_nothing(endpoint: str) -> None:
    status, _, body = http(endpoint + "/", b"Action=NoSuchAction", FORM, "POST")
    assert status == 403 and b"MissingAuthenticationToken" in body


def test_signature_scoped_to_the_other_service(endpoint: str) -> None:
    status, _, body = signed_http(
        endpoint + "/",
        "sns",
        b"Action=ListQueues&Version=2012-11-05",
        FORM,
        ALICE_KEY,
        ALICE_SECRET,
    )
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body
    assert b"Credential should be scoped to correct service: &apos;sqs&apos;." in body or (
        b"Credential should be scoped to correct service: 'sqs'." in body
    )


def test_clock_skew(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    past = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(minutes=20)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: past)
    status, _, body = signed_http(endpoint + "/", "sqs", b"{}", JSON_LIST, ALICE_KEY, ALICE_SECRET)
    assert status == 403
    document = json.loads(body)
    assert document["message"].startswith("Signature expired: ")
    assert document["message"].endswith(" - 15 min.)")


def test_tampered_body_after_signing(endpoint: str) -> None:
    request = AWSRequest(
        method="POST", url=endpoint + "/", data=b'{"QueueNamePrefix": "a"}', headers=JSON_LIST
    )
    SigV4Auth(Credentials(ALICE_KEY, ALICE_SECRET), "sqs", REGION).add_auth(request)
    prepared = request.prepare()
    status, _, body = http(
        prepared.url, b'{"QueueNamePrefix": "b"}', dict(prepared.headers.items()), "POST"
    )
    assert status == 403 and json.loads(body)["message"] == MISMATCH


def test_subscribe_and_unsubscribe_urls_stay_unsigned(endpoint: str) -> None:
    """The SubscribeURL / UnsubscribeURL of SNS messages are plain GETs, as on AWS: answered
    by SNS itself (here: about the bogus token and ARN), never refused as unsigned."""
    sns = client("sns", endpoint, ALICE_KEY, ALICE_SECRET)
    arn = sns.create_topic(Name=unique_name("unsigned-urls"))["TopicArn"]
    status, _, body = http(f"{endpoint}/?Action=ConfirmSubscription&TopicArn={arn}&Token=bogus")
    assert status != 403 and b"MissingAuthenticationToken" not in body, body
    assert b"<Code>InvalidParameter</Code>" in body
    status, _, body = http(f"{endpoint}/?Action=Unsubscribe&SubscriptionArn={arn}:no-such-sub")
    assert b"MissingAuthenticationToken" not in body, body
    status, _, body = http(f"{endpoint}/?Action=ListTopics")
    assert status == 403 and b"MissingAuthenticationToken" in body


# --- presigned URLs ---


def _presigned_send(endpoint: str, url: str, body: str, expires: int) -> str:
    query = make_sqs_query_client(endpoint, REGION, access_key=ALICE_KEY, secret_key=ALICE_SECRET)
    presigned: str = query.generate_presigned_url(
        "send_message",
        Params={"QueueUrl": url, "MessageBody": body},
        ExpiresIn=expires,
        HttpMethod="GET",  # a link to follow; the model's POST would be signed otherwise
    )
    return presigned


def test_presigned_url_valid_tampered_expired(endpoint: str) -> None:
    sqs = sqs_client("json", endpoint, ALICE_KEY, ALICE_SECRET)
    url = sqs.create_queue(QueueName=unique_name("presigned"))["QueueUrl"]
    valid = _presigned_send(endpoint, url, "by-url", 300)
    assert "X-Amz-Signature=" in valid
    status, _, body = http(valid)
    assert status == 200, body
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ["by-url"]

    tampered = valid.replace("MessageBody=by-url", "MessageBody=forged")
    assert tampered != valid
    status, _, body = http(tampered)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body

    short = _presigned_send(endpoint, url, "late", 1)
    time.sleep(2.2)
    status, _, body = http(short)
    assert status == 400 and b"<Code>RequestExpired</Code>" in body
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []) == []


# --- accounts are tenants ---


def test_accounts_are_tenants(alice: Any, bob: Any) -> None:
    name = unique_name("tenant")
    a_url = alice.create_queue(QueueName=name)["QueueUrl"]
    b_url = bob.create_queue(QueueName=name)["QueueUrl"]  # the same name, another account
    assert a_url != b_url and f"/{BOB_ACCOUNT}/{name}" in b_url
    alice.send_message(QueueUrl=a_url, MessageBody="for alice")
    assert a_url in alice.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    assert b_url not in alice.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    assert bob.list_queues(QueueNamePrefix=name).get("QueueUrls", []) == [b_url]
    # Bob's queue is his own, empty: Alice's message is not in it.
    assert bob.receive_message(QueueUrl=b_url, WaitTimeSeconds=0).get("Messages", []) == []
    assert bob.get_queue_url(QueueName=name)["QueueUrl"] == b_url


def test_other_accounts_queue_url_names_that_queue(alice: Any, bob: Any) -> None:
    """Bob using Alice's queue URL addresses Alice's queue (never one of his own). Without a
    policy granting him access, AWS answers AccessDenied; until policies are enforced densho
    lets the call through to Alice's queue."""
    a_url = alice.create_queue(QueueName=unique_name("cross"))["QueueUrl"]
    try:
        bob.send_message(QueueUrl=a_url, MessageBody="from bob")
    except bob.exceptions.ClientError as err:
        assert err.response["Error"]["Code"] == "AccessDenied"
        return
    got = alice.receive_message(QueueUrl=a_url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ["from bob"]


def test_topics_are_tenants(endpoint: str) -> None:
    alice_sns = client("sns", endpoint, ALICE_KEY, ALICE_SECRET)
    bob_sns = client("sns", endpoint, BOB_KEY, BOB_SECRET)
    name = unique_name("tenant-topic")
    a_arn = alice_sns.create_topic(Name=name)["TopicArn"]
    b_arn = bob_sns.create_topic(Name=name)["TopicArn"]
    assert a_arn == f"arn:aws:sns:{REGION}:{ALICE_ACCOUNT}:{name}"
    assert b_arn == f"arn:aws:sns:{REGION}:{BOB_ACCOUNT}:{name}"
    bob_topics = [t["TopicArn"] for t in bob_sns.list_topics()["Topics"]]
    assert b_arn in bob_topics and a_arn not in bob_topics
    owner = bob_sns.get_topic_attributes(TopicArn=b_arn)["Attributes"]["Owner"]
    assert owner == BOB_ACCOUNT


def test_subscription_principal_is_the_subscriber(endpoint: str) -> None:
    # AWS: SubscriptionPrincipal is "the authenticated IAM principal that called the Subscribe
    # API" (SNS Developer Guide, data protection policies): an IAM user, or an account's root.
    for key, secret, principal in (
        (ALICE_KEY, ALICE_SECRET, f"arn:aws:iam::{ALICE_ACCOUNT}:user/alice"),
        (BOB_KEY, BOB_SECRET, f"arn:aws:iam::{BOB_ACCOUNT}:root"),
    ):
        sns = client("sns", endpoint, key, secret)
        topic = sns.create_topic(Name=unique_name("principal"))["TopicArn"]
        sub = sns.subscribe(
            TopicArn=topic, Protocol="sms", Endpoint="+15555550100", ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        assert attrs["SubscriptionPrincipal"] == principal
        sns.delete_topic(TopicArn=topic)


# --- densho's own endpoints ---


def test_admin_endpoint_needs_a_signature(endpoint: str) -> None:
    status, _, body = http(endpoint + "/_densho/sns/recorded")
    assert status == 403
    assert json.loads(body)["__type"] == "MissingAuthenticationToken"
    request = AWSRequest(method="GET", url=endpoint + "/_densho/sns/recorded")
    SigV4Auth(Credentials(BOB_KEY, BOB_SECRET), "densho", REGION).add_auth(request)
    prepared = request.prepare()
    status, _, body = http(prepared.url, None, dict(prepared.headers.items()))
    assert status == 200 and isinstance(json.loads(body), list)
    request = AWSRequest(method="GET", url=endpoint + "/_densho/sns/recorded")
    SigV4Auth(Credentials(BOB_KEY, "wrong"), "densho", REGION).add_auth(request)
    prepared = request.prepare()
    status, _, body = http(prepared.url, None, dict(prepared.headers.items()))
    assert status == 403 and json.loads(body)["__type"] == "SignatureDoesNotMatch"


def test_signing_certificate_stays_public(endpoint: str) -> None:
    status, _, _ = http(endpoint + "/_densho/sns/cert/SimpleNotificationService-none.pem")
    assert status == 404  # answered (no such certificate), not refused


# --- the aws CLI ---


def _aws_cli() -> Path | None:
    candidate = Path(sys.executable).parent / "aws"
    return candidate if candidate.exists() else None


def test_aws_cli(endpoint: str, tmp_path: Path) -> None:
    cli = _aws_cli()
    if cli is None:
        pytest.skip("the aws CLI is not installed next to this Python (pip install awscli)")
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": BOB_KEY,
        "AWS_SECRET_ACCESS_KEY": BOB_SECRET,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    env.pop("AWS_SESSION_TOKEN", None)
    name = unique_name("cli")
    ok = subprocess.run(
        [str(cli), "sqs", "create-queue", "--queue-name", name, "--endpoint-url", endpoint],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert f"/{BOB_ACCOUNT}/{name}" in json.loads(ok.stdout)["QueueUrl"]
    env["AWS_SECRET_ACCESS_KEY"] = "wrong"
    bad = subprocess.run(
        [str(cli), "sqs", "list-queues", "--endpoint-url", endpoint],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0 and "SignatureDoesNotMatch" in bad.stderr
