"""The providers' policy checks over the real SQLite store, calling the handler tables as the
server does with a verified identity on the call: which IAM action and resource each operation
is decided on (a batch once, as its base action), account-level operations by the identity
policy alone, and the errors a refusal raises (their AWS wording is in test_error_table and the
e2e suite). Without an identity (authentication off) nothing is checked.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from densho.core import errors
from densho.core.clock import FakeClock
from densho.core.identity import Identity
from densho.protocol.call import Call
from densho.providers import sns as sns_provider
from densho.providers import sqs as sqs_provider
from densho.providers.context import SnsContext, SqsContext
from densho.sns.engine import SnsEngine
from densho.sns.errors import SnsAccessDenied
from densho.sns.signing.signer import Signer
from densho.sqs.engine import SqsEngine
from densho.storage.sqlite import SqliteStore

A, B, REGION = "111111111111", "222222222222", "us-east-1"
ROOT_A = Identity(A, f"arn:aws:iam::{A}:root", "KA")
ROOT_B = Identity(B, f"arn:aws:iam::{B}:root", "KB")
SENDER = Identity(
    A,
    f"arn:aws:iam::{A}:user/sender",
    "KS",
    json.dumps({"Statement": {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}}),
)
URL = f"http://localhost/{A}/q"
ARN = f"arn:aws:sqs:{REGION}:{A}:q"
SIGNER = Signer.generate(now_ms=1_700_000_000_000)

Run = Callable[[str, str, Identity | None, dict[str, Any]], Awaitable[Any]]


def with_engines(body: Callable[[Run], Awaitable[None]], tmp_path: Path) -> None:
    async def main() -> None:
        store = SqliteStore(tmp_path / "t.db", "NORMAL")
        await store.open()
        clock = FakeClock()
        sqs = SqsEngine(store, clock)
        sns = SnsEngine(store, sqs, clock, lambda: SIGNER, queue_policies=True)

        async def run(service: str, op: str, who: Identity | None, params: dict[str, Any]) -> Any:
            account = who.account_id if who is not None else A
            call = Call(service, "json", op, params, REGION, "http://localhost", None, who)
            if service == "sqs":
                return await sqs_provider.HANDLERS[op](SqsContext(sqs, account, call), params)
            return await sns_provider.HANDLERS[op](SnsContext(sns, account, call), params)

        try:
            await sqs.queues.create_queue(A, REGION, "q", {}, {})
            await body(run)
        finally:
            await sns.close()
            await store.close()

    asyncio.run(main())


async def refused(run: Run, *args: Any) -> errors.AccessDenied:
    with pytest.raises(errors.AccessDenied) as info:
        await run(*args)
    return info.value


def test_batches_are_decided_once_as_their_base_action(tmp_path: Path) -> None:
    async def body(run: Run) -> None:
        entries = [{"Id": str(i), "MessageBody": "m"} for i in range(3)]
        sent = await run("sqs", "SendMessageBatch", SENDER, {"QueueUrl": URL, "Entries": entries})
        assert len(sent["Successful"]) == 3  # allowed as sqs:SendMessage
        got = await run(
            "sqs", "ReceiveMessage", ROOT_A, {"QueueUrl": URL, "MaxNumberOfMessages": 3}
        )
        handles = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
            for i, m in enumerate(got["Messages"])
        ]
        for op, action, params in (
            ("DeleteMessageBatch", "sqs:DeleteMessage", {"Entries": handles}),
            ("ChangeMessageVisibilityBatch", "sqs:ChangeMessageVisibility", {"Entries": handles}),
            ("ReceiveMessage", "sqs:ReceiveMessage", {}),
            ("GetQueueAttributes", "sqs:GetQueueAttributes", {}),
        ):
            denied = await refused(run, "sqs", op, SENDER, {"QueueUrl": URL, **params})
            assert (denied.caller, denied.action, denied.resource) == (SENDER.arn, action, ARN)
            assert denied.reason == "no_identity_allow"

    with_engines(body, tmp_path)


def test_account_level_operations_use_the_identity_policy(tmp_path: Path) -> None:
    async def body(run: Run) -> None:
        denied = await refused(run, "sqs", "CreateQueue", SENDER, {"QueueName": "new"})
        assert (denied.action, denied.resource) == (
            "sqs:CreateQueue",
            f"arn:aws:sqs:{REGION}:{A}:new",
        )
        denied = await refused(run, "sqs", "ListQueues", SENDER, {})
        assert denied.resource == f"arn:aws:sqs:{REGION}:{A}:"
        assert await run("sqs", "ListQueues", ROOT_A, {})
        await run("sqs", "CreateQueue", ROOT_B, {"QueueName": "mine"})  # its own account

    with_engines(body, tmp_path)


def test_cross_account_needs_the_queue_policy(tmp_path: Path) -> None:
    async def body(run: Run) -> None:
        send = {"QueueUrl": URL, "MessageBody": "m"}
        denied = await refused(run, "sqs", "SendMessage", ROOT_B, send)
        assert denied.reason == "no_resource_allow"
        denied = await refused(
            run, "sqs", "GetQueueUrl", ROOT_B, {"QueueName": "q", "QueueOwnerAWSAccountId": A}
        )
        assert denied.action == "sqs:GetQueueUrl"
        grant = {"QueueUrl": URL, "Label": "b", "AWSAccountIds": [B], "Actions": ["SendMessage"]}
        await run("sqs", "AddPermission", ROOT_A, grant)
        await run("sqs", "SendMessage", ROOT_B, send)
        # Without an identity (authentication off) nothing is checked.
        await run("sqs", "ReceiveMessage", None, {"QueueUrl": URL})

    with_engines(body, tmp_path)


def test_sns_refusals(tmp_path: Path) -> None:
    async def body(run: Run) -> None:
        topic = (await run("sns", "CreateTopic", ROOT_A, {"Name": "t"}))["TopicArn"]
        for op, params in (
            ("Publish", {"TopicArn": topic, "Message": "m"}),
            (
                "PublishBatch",
                {"TopicArn": topic, "PublishBatchRequestEntries": [{"Id": "1", "Message": "m"}]},
            ),
            ("GetTopicAttributes", {"TopicArn": topic}),
            ("ListTagsForResource", {"ResourceArn": topic}),
        ):
            with pytest.raises(SnsAccessDenied) as info:
                await run("sns", op, ROOT_B, params)
            action = "SNS:Publish" if op.startswith("Publish") else f"SNS:{op}"
            assert (info.value.action, info.value.resource) == (action, topic)
        with pytest.raises(SnsAccessDenied) as info:
            await run("sns", "CreateTopic", SENDER, {"Name": "nope"})
        assert info.value.resource == f"arn:aws:sns:{REGION}:{A}:nope"
        await run("sns", "ListTopics", ROOT_B, {})  # B's own account: its root may

    with_engines(body, tmp_path)
