"""The catalog of cached topic and subscription views over the real SQLite store: a view is built
once per change of its record (or of its topic's DeliveryPolicy), not once per reload, and a
subscription list is never served under another topic view than the one it was built with.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from densho.core.clock import FakeClock
from densho.sns.engine import SnsEngine
from densho.sns.signing.signer import Signer
from densho.sqs.engine import SqsEngine
from densho.storage.sqlite import SqliteStore

ACCOUNT, REGION = "000000000000", "us-east-1"
SIGNER = Signer.generate(now_ms=1_700_000_000_000)


def test_views_are_rebuilt_only_when_their_record_changes(tmp_path: Path) -> None:
    async def main() -> None:
        store = SqliteStore(tmp_path / "t.db", "NORMAL")
        await store.open()
        clock = FakeClock()
        sqs = SqsEngine(store, clock)
        sns = SnsEngine(store, sqs, clock, lambda: SIGNER)
        try:
            await sqs.queues.create_queue(ACCOUNT, REGION, "q", {}, {})
            topics, subscriptions = sns.topics, sns.subscriptions
            arn = (await topics.create(ACCOUNT, REGION, "t", {}, {})).arn
            filtered = {"FilterPolicy": '{"a": ["b"]}'}
            queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:q"
            first = await subscriptions.subscribe(ACCOUNT, arn, "sqs", queue, filtered)
            before = await subscriptions.get(first.arn)
            # Another subscription drops the topic's cached list; the first keeps its view.
            pending = await subscriptions.subscribe(ACCOUNT, arn, "http", "http://h/", {})
            assert await subscriptions.get(first.arn) is before
            await subscriptions.set_attribute(before, "RawMessageDelivery", "true")
            changed = await subscriptions.get(first.arn)
            assert changed is not before and changed.raw and changed.filter is not None
            # The topic's DeliveryPolicy reaches its HTTP/S subscriptions' effective policy.
            policy = {"http": {"defaultRequestPolicy": {"headerContentType": "text/html"}}}
            await topics.set_attribute(await topics.get(arn), "DeliveryPolicy", json.dumps(policy))
            http = await subscriptions.get(pending.arn)
            assert http.delivery is not None and http.delivery.header_content_type == "text/html"
            assert await subscriptions.get(first.arn) is changed
        finally:
            await store.close()

    asyncio.run(main())
