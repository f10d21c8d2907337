"""The web console in a real browser (headless Chromium) against the real server, on each store:
clicking through the queue list, a queue's page (browsing without consuming, send, delete one,
purge), a dead-letter queue's redrive (start, progress, cancel), a topic (publish), checking
each effect with boto3; and the browser's ``GET /`` redirect next to the SDK's unchanged answer.
Sign-in with authentication on is in test_console_auth.py.
"""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.browser import screenshots
from tests.browser.chromium import launch
from tests.conftest import ACCOUNT_ID, json_client, servers_on, sns_client, unique_name
from tests.e2e.test_encryption_at_rest import _key_file, holds
from tests.support.server import DenshoServer

pytestmark = pytest.mark.timeout(120)

CONSOLE = "/_densho/console"


def _accept(page: Page) -> None:
    """Confirm dialogs (purge, delete, redrive) are answered yes."""
    page.on("dialog", lambda dialog: dialog.accept())


def _counts(sqs: Any, url: str) -> tuple[int, int]:
    got = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(got["ApproximateNumberOfMessages"]), int(
        got["ApproximateNumberOfMessagesNotVisible"]
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as err:
        with err:  # it holds the connection open until closed
            return err.code, dict(err.headers), err.read()


def test_a_browser_at_the_endpoint_goes_to_the_console_sdks_keep_aws_answers(
    densho_server: DenshoServer, page: Page
) -> None:
    endpoint = densho_server.endpoint
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    status, headers, _ = _get(endpoint + "/", {"Accept": browser_accept})
    assert status == 302 and headers["location"] == CONSOLE
    # Not a browser's plain visit: AWS's answer, as before.
    status, _, body = _get(endpoint + "/", {"Accept": "*/*"})
    assert status == 400 and b"MissingAction" in body
    status, _, body = _get(endpoint + "/?Action=ListQueues", {"Accept": browser_accept})
    assert status == 200 and b"ListQueuesResponse" in body
    sdk = json_client(endpoint).list_queues()  # boto3 at the endpoint: unchanged
    assert sdk["ResponseMetadata"]["HTTPStatusCode"] == 200
    page.goto(endpoint + "/")
    assert page.url == endpoint + CONSOLE
    expect(page.locator("h1")).to_contain_text("Queues")


def test_queue_list_queue_page_peek_send_delete_purge(
    densho_server: DenshoServer, page: Page, tmp_path: Path
) -> None:
    endpoint = densho_server.endpoint
    sqs = json_client(endpoint)
    name = unique_name("console-orders")
    url = sqs.create_queue(QueueName=name, tags={"team": "checkout"})["QueueUrl"]
    for n in range(3):
        sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps({"order": n, "item": "book"}),
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "order"}},
        )
    _accept(page)

    # The list: filtered by name, with the queue's counts; a click opens its page.
    page.goto(endpoint + CONSOLE)
    page.fill("input[name=filter]", name)
    page.click("text=Filter")
    row = page.locator("#queues tbody tr", has_text=name)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(3)).to_have_text("3")
    page.screenshot(path=str(tmp_path / "console-queues.png"))
    row.locator("a.qname").click()
    expect(page.locator("h1")).to_contain_text(name)

    # Browsing shows every message, its attributes and receive count, and consumes nothing.
    messages = page.locator("article.message")
    expect(messages).to_have_count(3)
    expect(messages.first).to_contain_text('"order": 0')
    expect(messages.first).to_contain_text("receive count 0")
    expect(page.locator("#attributes")).to_contain_text("team")
    page.click("text=Newest first")
    expect(messages.first).to_contain_text('"order": 2')
    assert _counts(sqs, url) == (3, 0)  # still all visible, none in flight
    got = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"]
    )["Messages"]
    assert len(got) == 3
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in got} == {"1"}  # first receive
    sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for i, m in enumerate(got)
        ],
    )

    # Send, with an attribute, through the form.
    page.goto(endpoint + CONSOLE + f"/queues/{ACCOUNT_ID}/{name}")
    page.fill("#send textarea[name=body]", '{"order": 99}')
    page.fill("#send textarea[name=attributes]", "priority:Number=5")
    page.click("#send-button")
    expect(page.locator(".notice.ok")).to_contain_text("sent")
    assert _counts(sqs, url)[0] == 4
    page.click("text=Newest first")
    newest = page.locator("article.message").first
    expect(newest).to_contain_text('"order": 99')
    newest.locator("summary").click()
    expect(newest).to_contain_text("priority")
    page.screenshot(path=str(tmp_path / "console-queue.png"), full_page=True)

    # Delete that one message.
    sent_id = newest.get_attribute("data-message-id")
    newest.locator("button", has_text="Delete").click()
    expect(page.locator(".notice.ok")).to_contain_text(f"{sent_id} deleted")
    assert _counts(sqs, url)[0] == 3
    bodies = [
        m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    ]
    assert '{"order": 99}' not in bodies and len(bodies) == 3

    # An AWS error is shown on the page: an attribute of no known data type.
    page.fill("#send textarea[name=body]", "x")
    page.fill("#send textarea[name=attributes]", "size:Weight=3")
    page.click("#send-button")
    expect(page.locator(".notice.error")).to_contain_text("InvalidParameterValue")
    assert sum(_counts(sqs, url)) == 3  # nothing sent (the three are in flight)

    # Purge, confirmed.
    page.click("#purge")
    expect(page.locator(".notice.ok")).to_contain_text("purged")
    assert _counts(sqs, url) == (0, 0)
    expect(page.locator("article.message")).to_have_count(0)
    sqs.delete_queue(QueueUrl=url)


def test_peek_pages_through_a_longer_queue(densho_server: DenshoServer, page: Page) -> None:
    endpoint = densho_server.endpoint
    sqs = json_client(endpoint)
    name = unique_name("console-long")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    for start in range(0, 25, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(n), "MessageBody": f"m{n}"} for n in range(start, min(start + 10, 25))
            ],
        )
    page.goto(endpoint + CONSOLE + f"/queues/{ACCOUNT_ID}/{name}")
    expect(page.locator("article.message")).to_have_count(20)
    page.click("#next-page")
    expect(page.locator("article.message")).to_have_count(5)
    expect(page.locator("article.message").last).to_contain_text("m24")
    assert _counts(sqs, url) == (25, 0)
    sqs.delete_queue(QueueUrl=url)


def _fill_dead_letter_queue(sqs: Any, source: str, count: int) -> None:
    """Messages received past maxReceiveCount (1) move to the dead-letter queue."""
    for start in range(0, count, 10):
        sqs.send_message_batch(
            QueueUrl=source,
            Entries=[
                {"Id": str(n), "MessageBody": f"poison {n}"} for n in range(start, start + 10)
            ],
        )
    deadline = time.monotonic() + 30
    while _counts(sqs, source) != (0, 0) and time.monotonic() < deadline:
        sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10, VisibilityTimeout=0)


def test_dead_letter_redrive_start_progress_cancel(
    densho_server: DenshoServer, page: Page, tmp_path: Path
) -> None:
    endpoint = densho_server.endpoint
    sqs = json_client(endpoint)
    dlq_name = unique_name("console-dlq")
    dlq = sqs.create_queue(QueueName=dlq_name)["QueueUrl"]
    dlq_arn = f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{dlq_name}"
    source = sqs.create_queue(
        QueueName=unique_name("console-source"),
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"})
        },
    )["QueueUrl"]
    _fill_dead_letter_queue(sqs, source, 30)
    assert _counts(sqs, dlq)[0] == 30
    _accept(page)

    page.goto(endpoint + CONSOLE + f"/queues/{ACCOUNT_ID}/{dlq_name}")
    expect(page.locator("h1 .tag.dlq")).to_have_text("DLQ")
    # Slowly (1 message a second), so it is still running when cancelled.
    page.fill("#redrive input[name=rate]", "1")
    page.click("#start-redrive")
    expect(page.locator(".notice.ok")).to_contain_text("Redrive started")
    expect(page.locator("#redrive .task.running")).to_be_visible()
    expect(page.locator("#redrive progress")).to_have_attribute("max", "30")
    page.uncheck("#auto-refresh")  # stop following, so the page stays put for the click
    page.screenshot(path=str(tmp_path / "console-redrive.png"), full_page=True)
    page.click("#cancel-redrive")
    expect(page.locator(".notice.ok")).to_contain_text("Redrive cancelled")
    tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert tasks[0]["Status"] in ("CANCELLING", "CANCELLED")
    expect(page.locator("#tasks tbody tr").first).to_contain_text("CANCEL")

    # Again, at full speed: progress shows, and the messages are back in their source.
    page.goto(endpoint + CONSOLE + f"/queues/{ACCOUNT_ID}/{dlq_name}")
    page.click("#start-redrive")
    expect(page.locator(".notice.ok")).to_contain_text("Redrive started")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page.goto(endpoint + CONSOLE + f"/queues/{ACCOUNT_ID}/{dlq_name}")
        if "COMPLETED" in page.locator("#tasks tbody tr").first.inner_text():
            break
        time.sleep(0.5)
    expect(page.locator("#tasks tbody tr").first).to_contain_text("COMPLETED")
    assert _counts(sqs, dlq) == (0, 0)
    assert _counts(sqs, source)[0] == 30
    sqs.delete_queue(QueueUrl=source)
    sqs.delete_queue(QueueUrl=dlq)


def test_topic_subscriptions_and_publish(
    densho_server: DenshoServer, page: Page, tmp_path: Path
) -> None:
    endpoint = densho_server.endpoint
    sqs = json_client(endpoint)
    sns = sns_client(endpoint)
    queue_name = unique_name("console-sub")
    queue = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    topic_name = unique_name("console-events")
    topic = sns.create_topic(Name=topic_name)["TopicArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:{queue_name}",
        Attributes={"RawMessageDelivery": "true", "FilterPolicy": '{"type": ["order"]}'},
    )
    page.goto(endpoint + CONSOLE + "/topics")
    page.click(f"text={topic_name}")
    subscriptions = page.locator("#subscriptions tbody tr")
    expect(subscriptions).to_have_count(1)
    expect(subscriptions.first).to_contain_text("sqs")
    expect(subscriptions.first).to_contain_text("confirmed")
    expect(subscriptions.first.locator("td").nth(3)).to_have_text("yes")
    expect(subscriptions.first).to_contain_text('"order"')
    page.fill("#publish input[name=subject]", "hello")
    page.fill("#publish textarea[name=message]", "order 7 placed")
    page.fill("#publish textarea[name=attributes]", "type=order")
    page.screenshot(path=str(tmp_path / "console-topic.png"), full_page=True)
    page.click("#publish-button")
    expect(page.locator(".notice.ok")).to_contain_text("published")
    got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"]
    assert [m["Body"] for m in got] == ["order 7 placed"]  # raw delivery, filter matched

    # An HTTP subscriber nobody answers: its confirmation waits in the outbox, shown with its
    # attempts and error, as the JSON endpoint lists it.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        hook = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook)
    deadline = time.monotonic() + 15
    owed: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        status, _, body = _get(endpoint + "/_densho/sns/outbox", {})
        owed = [r for r in json.loads(body) if r["endpoint"] == hook] if status == 200 else []
        if owed and owed[0]["attempts"] >= 1 and owed[0]["lastError"]:
            break
        time.sleep(0.2)
    assert owed and owed[0]["type"] == "SubscriptionConfirmation"
    page.goto(endpoint + CONSOLE + "/deliveries")
    row = page.locator("#outbox tbody tr", has_text=hook)
    expect(row).to_contain_text("SubscriptionConfirmation")
    expect(row.locator("td").nth(3)).to_have_text(re.compile(r"[1-9][0-9]*"))  # attempts
    sns.delete_topic(TopicArn=topic)
    sqs.delete_queue(QueueUrl=queue)


def test_forms_need_the_session_token(densho_server: DenshoServer) -> None:
    """A cross-site form post (no session, no CSRF token) changes nothing."""
    endpoint = densho_server.endpoint
    sqs = json_client(endpoint)
    name = unique_name("console-csrf")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="keep me")
    request = urllib.request.Request(
        endpoint + CONSOLE + f"/queues/{ACCOUNT_ID}/{name}/purge",
        data=b"csrf=guess",
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    refused.value.close()
    assert refused.value.code == 403
    assert _counts(sqs, url) == (1, 0)
    sqs.delete_queue(QueueUrl=url)


def test_encrypted_messages_are_shown_decrypted(store_kind: str, tmp_path: Path) -> None:
    """Encryption at rest on (SQLite's own key; PostgreSQL's shared key given): the store holds
    no body as sent, and the console shows it as sent."""
    marker = f"MARKER-{uuid.uuid4().hex}"
    with servers_on(store_kind, tmp_path) as make:
        server = make()
        if server.store is not None:
            server.extra_args = ("--master-key-file", str(_key_file(tmp_path / "shared.key")))
        server.start()
        sqs = json_client(server.endpoint)
        url = sqs.create_queue(QueueName="sealed")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"secret": marker}))
        assert not holds(server, marker)  # before any browser: see tests/browser/conftest.py
        with sync_playwright() as driver:
            browser = launch(driver)
            try:
                page = browser.new_page()
                page.goto(server.endpoint + CONSOLE + f"/queues/{ACCOUNT_ID}/sealed")
                expect(page.locator("article.message pre.body")).to_contain_text(marker)
            finally:
                browser.close()


def test_console_screenshots(store_kind: str, tmp_path: Path) -> None:
    """The README's pictures (scripts/console-screenshots) can be taken, on each store."""
    with servers_on(store_kind, tmp_path) as make:
        server = make().start()  # before any browser: see tests/browser/conftest.py
        shots = screenshots.take(server.endpoint, tmp_path / "shots")
        assert [s.name for s in shots] == list(screenshots.NAMES)
        assert all(s.stat().st_size > 10_000 for s in shots)
        dlq = json_client(server.endpoint).list_message_move_tasks(
            SourceArn=f"arn:aws:sqs:us-east-1:{ACCOUNT_ID}:orders-dlq"
        )["Results"]
        assert dlq[0]["Status"] in ("CANCELLING", "CANCELLED")  # the pictured redrive


def test_the_consoles_own_operations_are_not_on_the_wire(densho_server: DenshoServer) -> None:
    """ConsolePeek and ConsoleDeleteMessage run only for the console, never for a client."""
    for operation in ("ConsolePeek", "ConsoleDeleteMessage"):
        request = urllib.request.Request(
            densho_server.endpoint + "/",
            data=json.dumps({"QueueUrl": "q"}).encode(),
            headers={
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": f"AmazonSQS.{operation}",
            },
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        with refused.value as answer:
            assert answer.code == 400
            assert json.loads(answer.read())["__type"].endswith("UnknownOperationException")
