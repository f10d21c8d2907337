"""SNS to SQS with authentication on, over the real SQLite store: a topic delivers to a queue
only when the queue's policy allows ``sns.amazonaws.com`` sqs:SendMessage (conditions read
against the topic's ARN and account); a refused delivery is dropped, counted and, when the
subscription has a dead-letter queue whose policy allows SNS, dead-lettered. Authentication
off: every subscribed queue receives, as before.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from densho.core.clock import FakeClock
from densho.sns.engine import SnsEngine
from densho.sns.publishing.message import Message
from densho.sns.signing.signer import Signer
from densho.sqs.engine import SqsEngine
from densho.storage.sqlite import SqliteStore

ACCOUNT, REGION = "111111111111", "us-east-1"
SIGNER = Signer.generate(now_ms=1_700_000_000_000)


def sns_allowed(queue_arn: str, topic_arn: str) -> str:
    return json.dumps(
        {
            "Statement": {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnLike": {"aws:SourceArn": topic_arn}},
            }
        }
    )


@pytest.mark.parametrize("enforced", [True, False])
def test_queue_policy_gates_delivery(tmp_path: Path, enforced: bool) -> None:
    async def main() -> None:
        store = SqliteStore(tmp_path / "t.db", "NORMAL")
        await store.open()
        clock = FakeClock()
        sqs = SqsEngine(store, clock)
        sns = SnsEngine(store, sqs, clock, lambda: SIGNER, queue_policies=enforced)
        try:
            queue = await sqs.queues.create_queue(ACCOUNT, REGION, "q", {}, {})
            dlq = await sqs.queues.create_queue(ACCOUNT, REGION, "dlq", {}, {})
            topic = (await sns.topics.create(ACCOUNT, REGION, "t", {}, {})).arn
            redrive = json.dumps({"deadLetterTargetArn": dlq.arn})
            await sns.subscriptions.subscribe(
                ACCOUNT, topic, "sqs", queue.arn, {"RedrivePolicy": redrive}
            )

            async def publish() -> tuple[int, int]:
                """Publish one message; how many each queue then holds (both drained)."""
                await sns.publisher.publish(topic, Message(message="m"), "http://x")
                counts = []
                for name in ("q", "dlq"):
                    current = await sqs.queues.get_queue(ACCOUNT, REGION, name)
                    counts.append(len(await sqs.messages.receive(current, 10, None, 0)))
                return counts[0], counts[1]

            # Refused by the queue, and by its dead-letter queue: two deliveries dropped.
            assert await publish() == ((0, 0) if enforced else (1, 0))
            assert sns.publisher.refused_deliveries == (2 if enforced else 0)
            # Dead-lettered where the dead-letter queue's policy allows SNS.
            await sqs.queues.set_attributes(dlq, {"Policy": sns_allowed(dlq.arn, topic)})
            assert await publish() == ((0, 1) if enforced else (1, 0))
            queue = await sqs.queues.get_queue(ACCOUNT, REGION, "q")
            await sqs.queues.set_attributes(
                queue, {"Policy": sns_allowed(queue.arn, "arn:aws:sns:*:*:t")}
            )
            assert await publish() == (1, 0)
            assert sns.publisher.refused_deliveries == (3 if enforced else 0)
        finally:
            await sns.close()
            await store.close()

    asyncio.run(main())
