"""Policies enforced end to end: a real server with authentication on (a config file naming
three credentials), boto3 over JSON and Query, on each store.

Account A's root, a user of A whose identity policy allows only sqs:ReceiveMessage on one queue,
and account B's root. Checked: a denied call answers AccessDenied (SQS) or AuthorizationError
(SNS) with 403 and IAM's wording; another account reaches a queue only once AddPermission names
it; an explicit Deny in a queue policy beats the root's implicit allow; a batch is one
authorization of its base action; SNS delivers to a queue only when the queue's policy allows
``sns.amazonaws.com``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import REGION, servers_on, unique_name
from tests.e2e.helpers import expect_error
from tests.support.query_client import make_sqs_query_client
from tests.support.server import DenshoServer

A, B = "111111111111", "222222222222"
INBOX = "inbox"  # the one queue the restricted user may receive from
ALICE = f"arn:aws:iam::{A}:user/alice"
KEYS = {
    "root_a": ("AKIAROOTA0000000000A", "secret-root-a"),
    "alice": ("AKIAALICE000000000A0", "secret-alice"),
    "root_b": ("AKIAROOTB0000000000B", "secret-root-b"),
}
ALICE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sqs:ReceiveMessage",
                "Resource": f"arn:aws:sqs:{REGION}:{A}:{INBOX}",
            }
        ],
    }
)
CONFIG = f"""
[[credentials]]
access_key_id = "{KEYS["root_a"][0]}"
secret_access_key = "{KEYS["root_a"][1]}"
account_id = "{A}"

[[credentials]]
access_key_id = "{KEYS["alice"][0]}"
secret_access_key = "{KEYS["alice"][1]}"
account_id = "{A}"
principal = "{ALICE}"
policy = '''{ALICE_POLICY}'''

[[credentials]]
access_key_id = "{KEYS["root_b"][0]}"
secret_access_key = "{KEYS["root_b"][1]}"
account_id = "{B}"
"""

Client = Any


@pytest.fixture(scope="module")
def server(store_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DenshoServer]:
    base = tmp_path_factory.mktemp(f"policies-{store_kind}")
    config = base / "densho.toml"
    config.write_text(CONFIG, "utf-8")
    with servers_on(store_kind, base) as make:
        yield make(extra_args=("--config", str(config))).start()


def _config() -> Config:
    return Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)


def sqs_as(who: str, protocol: str, endpoint: str) -> Client:
    key, secret = KEYS[who]
    if protocol == "json":
        return boto3.client(
            "sqs",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=_config(),
        )
    return make_sqs_query_client(endpoint, REGION, access_key=key, secret_key=secret)


def sns_as(who: str, endpoint: str) -> Client:
    key, secret = KEYS[who]
    return boto3.client(
        "sns",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=_config(),
    )


@pytest.fixture
def clients(server: DenshoServer, protocol: str) -> dict[str, Client]:
    return {who: sqs_as(who, protocol, server.endpoint) for who in KEYS}


@pytest.fixture
def sns(server: DenshoServer) -> dict[str, Client]:
    return {who: sns_as(who, server.endpoint) for who in KEYS}


def queue_arn(url: str) -> str:
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{REGION}:{account}:{name}"


def denied(call: Any, /, *args: Any, **kwargs: Any) -> str:
    """Require SQS's AccessDenied (403); its message."""
    response = expect_error(call, *args, code="AccessDenied", status=403, **kwargs)
    message: str = response["Error"]["Message"]
    return message


# --- SQS ---


def test_restricted_user_may_only_receive(clients: dict[str, Client]) -> None:
    url = clients["root_a"].create_queue(QueueName=INBOX)["QueueUrl"]
    clients["root_a"].send_message(QueueUrl=url, MessageBody="for alice")
    alice = clients["alice"]
    message = denied(alice.send_message, QueueUrl=url, MessageBody="x")
    assert message == (
        f"User: {ALICE} is not authorized to perform: sqs:sendmessage on resource: "
        f"{queue_arn(url)} because no identity-based policy allows the sqs:sendmessage action"
    )
    got = alice.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
    assert got, "ReceiveMessage is what alice's policy allows"
    # Her policy names one queue and one action: nothing else.
    denied(alice.delete_message, QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    denied(alice.get_queue_attributes, QueueUrl=url, AttributeNames=["All"])
    denied(alice.create_queue, QueueName=unique_name("alice"))
    denied(alice.list_queues)
    other = clients["root_a"].create_queue(QueueName=unique_name("other"))["QueueUrl"]
    denied(alice.receive_message, QueueUrl=other)


def test_other_account_is_denied_until_add_permission(clients: dict[str, Client]) -> None:
    a, b = clients["root_a"], clients["root_b"]
    url = a.create_queue(QueueName=unique_name("shared"))["QueueUrl"]
    message = denied(b.send_message, QueueUrl=url, MessageBody="x")
    assert message.endswith("because no resource-based policy allows the sqs:sendmessage action")
    a.add_permission(QueueUrl=url, Label="b-sends", AWSAccountIds=[B], Actions=["SendMessage"])
    b.send_message(QueueUrl=url, MessageBody="from b")
    # Granted SendMessage only.
    denied(b.receive_message, QueueUrl=url)
    got = a.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ["from b"]
    a.remove_permission(QueueUrl=url, Label="b-sends")
    denied(b.send_message, QueueUrl=url, MessageBody="x")


def test_explicit_deny_in_queue_policy_beats_identity_allow(clients: dict[str, Client]) -> None:
    a = clients["root_a"]
    url = a.create_queue(QueueName=unique_name("deny"))["QueueUrl"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": queue_arn(url)},
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:SendMessage",
                "Resource": queue_arn(url),
            },
        ],
    }
    a.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    message = denied(a.send_message, QueueUrl=url, MessageBody="x")
    assert message.endswith("with an explicit deny in a resource-based policy")
    a.receive_message(QueueUrl=url)  # only SendMessage is denied
    # The Allow for "*" lets account B in (the Deny still holds for it).
    clients["root_b"].receive_message(QueueUrl=url)
    denied(clients["root_b"].send_message, QueueUrl=url, MessageBody="x")


def test_batches_authorize_once_as_their_base_action(clients: dict[str, Client]) -> None:
    a, b = clients["root_a"], clients["root_b"]
    url = a.create_queue(QueueName=unique_name("batch"))["QueueUrl"]
    entries = [{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)]
    # One refusal for the call, not one failed entry per message.
    message = denied(b.send_message_batch, QueueUrl=url, Entries=entries)
    assert "perform: sqs:sendmessage on resource" in message
    a.add_permission(
        QueueUrl=url,
        Label="b",
        AWSAccountIds=[B],
        Actions=["SendMessage", "ReceiveMessage"],
    )
    sent = b.send_message_batch(QueueUrl=url, Entries=entries)
    assert len(sent["Successful"]) == 3
    got = b.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    handles = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
    message = denied(b.delete_message_batch, QueueUrl=url, Entries=handles)
    assert "perform: sqs:deletemessage on resource" in message
    denied(
        b.change_message_visibility_batch,
        QueueUrl=url,
        Entries=[{**h, "VisibilityTimeout": 0} for h in handles],
    )
    a.add_permission(
        QueueUrl=url,
        Label="b-delete",
        AWSAccountIds=[B],
        Actions=["DeleteMessage", "ChangeMessageVisibility"],
    )
    assert len(b.delete_message_batch(QueueUrl=url, Entries=handles)["Successful"]) == len(got)


# --- SNS ---


def test_publish_denied_is_authorization_error(sns: dict[str, Client]) -> None:
    topic = sns["root_a"].create_topic(Name=unique_name("t"))["TopicArn"]
    sns["root_a"].publish(TopicArn=topic, Message="owner publishes")
    for who, arn in (("root_b", f"arn:aws:iam::{B}:root"), ("alice", ALICE)):
        response = expect_error(
            sns[who].publish, TopicArn=topic, Message="x", code="AuthorizationError", status=403
        )
        assert response["Error"]["Message"].startswith(
            f"User: {arn} is not authorized to perform: SNS:Publish on resource: {topic}"
        )
    expect_error(
        sns["root_b"].publish_batch,
        TopicArn=topic,
        PublishBatchRequestEntries=[{"Id": "1", "Message": "x"}],
        code="AuthorizationError",
        status=403,
    )
    sns["root_a"].add_permission(
        TopicArn=topic, Label="b", AWSAccountId=[B], ActionName=["Publish"]
    )
    sns["root_b"].publish(TopicArn=topic, Message="granted")


def test_sns_delivers_to_a_queue_only_when_its_policy_allows(
    sns: dict[str, Client], clients: dict[str, Client]
) -> None:
    a = clients["root_a"]
    topic = sns["root_a"].create_topic(Name=unique_name("fanout"))["TopicArn"]
    url = a.create_queue(QueueName=unique_name("subscriber"))["QueueUrl"]
    sns["root_a"].subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(url))
    sns["root_a"].publish(TopicArn=topic, Message="dropped")
    assert not a.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")
    # A policy for another topic is no help.
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn(url),
        "Condition": {"ArnEquals": {"aws:SourceArn": topic + "-other"}},
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    a.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    sns["root_a"].publish(TopicArn=topic, Message="dropped too")
    assert not a.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")
    statement["Condition"] = {"ArnEquals": {"aws:SourceArn": topic}}
    a.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    sns["root_a"].publish(TopicArn=topic, Message="delivered")
    got = a.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"]
    assert [json.loads(m["Body"])["Message"] for m in got] == ["delivered"]


def test_sns_to_another_accounts_queue(sns: dict[str, Client], clients: dict[str, Client]) -> None:
    """B's queue subscribed to A's topic by B (the queue owner: no confirmation needed, as on
    AWS), once A's topic policy lets B subscribe; delivered once B's queue policy allows A's
    topic."""
    topic = sns["root_a"].create_topic(Name=unique_name("cross"))["TopicArn"]
    b = clients["root_b"]
    url = b.create_queue(QueueName=unique_name("b-sub"))["QueueUrl"]
    expect_error(
        sns["root_b"].subscribe,
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn(url),
        code="AuthorizationError",
        status=403,
    )
    sns["root_a"].add_permission(
        TopicArn=topic, Label="b-subscribes", AWSAccountId=[B], ActionName=["Subscribe"]
    )
    sns["root_b"].subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(url))
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn(url),
                "Condition": {"StringEquals": {"aws:SourceAccount": A}},
            }
        ],
    }
    b.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    sns["root_a"].publish(TopicArn=topic, Message="across")
    got = b.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"]
    assert [json.loads(m["Body"])["Message"] for m in got] == ["across"]


def test_config_file_is_valid(tmp_path: Path) -> None:
    """The credentials above load (a typo would fail every test with a start-up error)."""
    from densho.config_file import load

    path = tmp_path / "c.toml"
    path.write_text(CONFIG, "utf-8")
    loaded = load(path)
    assert [c.principal for c in loaded.credentials][1] == ALICE


def test_topic_owner_subscribing_another_accounts_queue_needs_its_confirmation(
    sns: dict[str, Client], clients: dict[str, Client]
) -> None:
    """A's topic, B's queue, subscribed by A: pending until B confirms with the token SNS put
    in the queue (which B's queue policy must let SNS send)."""
    topic = sns["root_a"].create_topic(Name=unique_name("owner-subs"))["TopicArn"]
    b = clients["root_b"]
    url = b.create_queue(QueueName=unique_name("b-confirms"))["QueueUrl"]
    policy = {
        "Statement": {
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn(url),
            "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
        }
    }
    b.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    answer = sns["root_a"].subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(url))
    assert answer["SubscriptionArn"] == "pending confirmation"
    sns["root_a"].publish(TopicArn=topic, Message="before confirmation")
    got = b.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"]
    document = json.loads(got[0]["Body"])
    assert [document["Type"]] == ["SubscriptionConfirmation"] and len(got) == 1
    sns["root_b"].confirm_subscription(TopicArn=topic, Token=document["Token"])
    sns["root_a"].publish(TopicArn=topic, Message="after confirmation")
    got = b.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"]
    assert [json.loads(m["Body"])["Message"] for m in got] == ["after confirmation"]
