"""The README's console screenshots: a server with a believable set of queues and topics,
photographed in headless Chromium.

Owns: the sample data (sent through boto3, as a user would) and the four pictures
(``console-queues.png``, ``console-queue.png``, ``console-redrive.png``, ``console-topic.png``).
``scripts/console-screenshots`` writes them to ``docs/``; ``test_console_screenshots`` takes
them into a temporary directory on each store, so the script keeps working.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, sync_playwright

from tests.browser.chromium import launch
from tests.conftest import ACCOUNT_ID, json_client, sns_client
from tests.support.server import DenshoServer

CONSOLE = "/_densho/console"
NAMES = ("console-queues.png", "console-queue.png", "console-redrive.png", "console-topic.png")


def _arn(name: str) -> str:
    return f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{name}"


def _send(sqs: Any, url: str, bodies: list[str], **extra: Any) -> None:
    for start in range(0, len(bodies), 10):
        entries = [
            {"Id": str(i), "MessageBody": body, **extra}
            for i, body in enumerate(bodies[start : start + 10])
        ]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def seed(endpoint: str) -> None:
    """Queues with depth, a dead-letter queue with poison messages, a FIFO queue, a topic
    with subscriptions."""
    sqs, sns = json_client(endpoint), sns_client(endpoint)
    url = {}
    for name, attributes in (
        ("orders-dlq", {}),
        (
            "orders",
            {
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": _arn("orders-dlq"), "maxReceiveCount": "1"}
                ),
                "VisibilityTimeout": "60",
            },
        ),
        ("payments.fifo", {"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
        ("email-outgoing", {"DelaySeconds": "0"}),
        ("image-resize", {}),
        ("audit-log", {"MessageRetentionPeriod": "1209600"}),
    ):
        url[name] = sqs.create_queue(
            QueueName=name, Attributes=attributes, tags={"team": "checkout"}
        )["QueueUrl"]
    # Poison messages: received twice, so redrive moves them to orders-dlq.
    _send(
        sqs, url["orders"], [json.dumps({"orderId": 9000 + n, "total": "oops"}) for n in range(7)]
    )
    for _ in range(3):
        sqs.receive_message(QueueUrl=url["orders"], MaxNumberOfMessages=10, VisibilityTimeout=0)
    orders = [
        json.dumps({"orderId": 10_000 + n, "customer": f"c-{n % 97:03d}", "total": 19.9 + n})
        for n in range(240)
    ]
    tagged: dict[str, Any] = {
        "source": {"DataType": "String", "StringValue": "web"},
        "priority": {"DataType": "Number", "StringValue": "2"},
    }
    _send(sqs, url["orders"], orders, MessageAttributes=tagged)
    sqs.receive_message(QueueUrl=url["orders"], MaxNumberOfMessages=10)  # some in flight
    sqs.receive_message(QueueUrl=url["orders"], MaxNumberOfMessages=10)
    for n in range(12):
        sqs.send_message(
            QueueUrl=url["payments.fifo"],
            MessageBody=json.dumps({"payment": n, "amount": 100 + n}),
            MessageGroupId=f"customer-{n % 3}",
        )
    _send(sqs, url["email-outgoing"], [f"welcome mail {n}" for n in range(18)], DelaySeconds=600)
    _send(sqs, url["image-resize"], [f"s3://uploads/img-{n}.jpg" for n in range(63)])
    topic = sns.create_topic(Name="order-events")["TopicArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=_arn("orders"),
        Attributes={"RawMessageDelivery": "true", "FilterPolicy": '{"type": ["order.created"]}'},
    )
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=_arn("audit-log"))
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15550100")
    sns.create_topic(Name="payments-settled.fifo", Attributes={"FifoTopic": "true"})


def photograph(browser: Browser, endpoint: str, out: Path) -> list[Path]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    shots = [out / name for name in NAMES]
    page.goto(endpoint + CONSOLE + "?sort=visible&desc=1")
    page.screenshot(path=str(shots[0]))
    page.goto(endpoint + CONSOLE + f"/queues/{ACCOUNT_ID}/orders")
    page.locator("article.message details").first.locator("summary").click()
    page.screenshot(path=str(shots[1]))
    page.goto(endpoint + CONSOLE + f"/queues/{ACCOUNT_ID}/orders-dlq")
    page.fill("#redrive input[name=rate]", "1")
    page.click("#start-redrive")
    page.wait_for_selector("#redrive progress")
    page.uncheck("#auto-refresh")
    page.wait_for_timeout(2500)  # a message or two moved
    page.reload()
    page.uncheck("#auto-refresh")
    page.screenshot(path=str(shots[2]))
    page.click("#cancel-redrive")
    page.goto(endpoint + CONSOLE + "/topics")
    page.click("text=order-events")
    page.fill("#publish input[name=subject]", "Order 10042 created")
    page.fill("#publish textarea[name=message]", '{"orderId": 10042, "type": "order.created"}')
    page.fill("#publish textarea[name=attributes]", "type=order.created")
    page.screenshot(path=str(shots[3]))
    context.close()
    return shots


def take(endpoint: str, out: Path) -> list[Path]:
    """Seed the (empty) server at ``endpoint`` and photograph its console into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    seed(endpoint)
    with sync_playwright() as driver:
        browser = launch(driver)
        try:
            return photograph(browser, endpoint, out)
        finally:
            browser.close()


def main() -> None:
    """``python -m tests.browser.screenshots [DIR]``: a fresh SQLite server's pictures in DIR
    (default ``docs``)."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs")
    with tempfile.TemporaryDirectory() as data, DenshoServer(Path(data) / "data") as server:
        for shot in take(server.endpoint, out):
            print(shot)


if __name__ == "__main__":
    main()
