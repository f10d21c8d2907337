"""The console with authentication on, in a real browser on each store: signing in with an
access key and secret (a wrong secret refused), the session cookie's flags, each viewer seeing
only their own account, every action authorized as the signed-in identity (an IAM user whose
policy does not allow PurgeQueue is refused, on the page), and signing out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from playwright.sync_api import Page, expect

from tests.conftest import REGION, servers_on, unique_name
from tests.support.server import DenshoServer

pytestmark = pytest.mark.timeout(120)

CONSOLE = "/_densho/console"
ALICE_KEY, ALICE_SECRET, ALICE = "AKIACONSOLEALICE0001", "alice-console-secret", "111111111111"
BOB_KEY, BOB_SECRET, BOB = "AKIACONSOLEBOB000002", "bob-console-secret", "222222222222"
CAROL_KEY, CAROL_SECRET = "AKIACONSOLECAROL0003", "carol-console-secret"
DAVE_KEY, DAVE_SECRET = "AKIACONSOLEDAVE00004", "dave-console-secret"
LOOK_AND_SEND = '["sqs:Get*", "sqs:List*", "sqs:ReceiveMessage", "sqs:SendMessage"]'
CONFIG = f"""
[[credentials]]
access_key_id = "{ALICE_KEY}"
secret_access_key = "{ALICE_SECRET}"
account_id = "{ALICE}"

[[credentials]]
access_key_id = "{BOB_KEY}"
secret_access_key = "{BOB_SECRET}"
account_id = "{BOB}"

# A user of Alice's account who may look but not purge.
[[credentials]]
access_key_id = "{CAROL_KEY}"
secret_access_key = "{CAROL_SECRET}"
account_id = "{ALICE}"
principal = "arn:aws:iam::{ALICE}:user/carol"
policy = '{{"Statement": {{"Effect": "Allow", "Resource": "*", "Action": {LOOK_AND_SEND}}}}}'

# A user of Alice's account who may use SNS only.
[[credentials]]
access_key_id = "{DAVE_KEY}"
secret_access_key = "{DAVE_SECRET}"
account_id = "{ALICE}"
principal = "arn:aws:iam::{ALICE}:user/dave"
policy = '{{"Statement": {{"Effect": "Allow", "Resource": "*", "Action": "sns:*"}}}}'
"""


@pytest.fixture(scope="module")
def auth_server(
    store_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DenshoServer]:
    base: Path = tmp_path_factory.mktemp(f"densho-console-auth-{store_kind}")
    config = base / "densho.toml"
    config.write_text(CONFIG, encoding="utf-8")
    with servers_on(store_kind, base) as make:
        yield make(extra_args=("--config", str(config))).start()


def _sqs(endpoint: str, key: str, secret: str) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": 1}),
    )


def _sign_in(page: Page, endpoint: str, key: str, secret: str) -> None:
    page.goto(endpoint + CONSOLE)
    expect(page).to_have_url(endpoint + CONSOLE + "/signin")
    page.fill("input[name=access_key]", key)
    page.fill("input[name=secret]", secret)
    page.click("button.primary")


def test_sign_in_shows_only_the_viewers_account(auth_server: DenshoServer, page: Page) -> None:
    endpoint = auth_server.endpoint
    alice, bob = _sqs(endpoint, ALICE_KEY, ALICE_SECRET), _sqs(endpoint, BOB_KEY, BOB_SECRET)
    alice_queue, bob_queue = unique_name("alice-console"), unique_name("bob-console")
    alice.create_queue(QueueName=alice_queue)
    bob.create_queue(QueueName=bob_queue)

    # Every page asks for a sign-in first; a wrong secret is refused.
    page.goto(endpoint + CONSOLE + f"/queues/{ALICE}/{alice_queue}")
    expect(page).to_have_url(endpoint + CONSOLE + "/signin")
    _sign_in(page, endpoint, ALICE_KEY, "not-the-secret")
    expect(page.locator(".notice.error")).to_have_text("Wrong access key or secret.")
    _sign_in(page, endpoint, "AKIANOBODY0000000000", ALICE_SECRET)
    expect(page.locator(".notice.error")).to_have_text("Wrong access key or secret.")

    _sign_in(page, endpoint, ALICE_KEY, ALICE_SECRET)
    expect(page).to_have_url(endpoint + CONSOLE)
    expect(page.locator(".viewer")).to_contain_text(f"arn:aws:iam::{ALICE}:root")
    table = page.locator("#queues")
    expect(table).to_contain_text(alice_queue)
    expect(table).not_to_contain_text(bob_queue)
    expect(table).not_to_contain_text(BOB)
    cookie = next(c for c in page.context.cookies() if c["name"] == "densho_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # Another account's queue is not found, even by its address.
    page.goto(endpoint + CONSOLE + f"/queues/{BOB}/{bob_queue}")
    expect(page.locator("h1")).to_have_text("Nothing here")

    page.goto(endpoint + CONSOLE)
    page.click("text=Sign out")
    expect(page).to_have_url(endpoint + CONSOLE + "/signin")
    page.goto(endpoint + CONSOLE)
    expect(page).to_have_url(endpoint + CONSOLE + "/signin")

    _sign_in(page, endpoint, BOB_KEY, BOB_SECRET)
    expect(page.locator("#queues")).to_contain_text(bob_queue)
    expect(page.locator("#queues")).not_to_contain_text(alice_queue)


def test_actions_are_authorized_as_the_signed_in_identity(
    auth_server: DenshoServer, page: Page
) -> None:
    endpoint = auth_server.endpoint
    alice = _sqs(endpoint, ALICE_KEY, ALICE_SECRET)
    name = unique_name("carol-console")
    url = alice.create_queue(QueueName=name)["QueueUrl"]
    alice.send_message(QueueUrl=url, MessageBody="look, do not purge")
    page.on("dialog", lambda dialog: dialog.accept())

    _sign_in(page, endpoint, CAROL_KEY, CAROL_SECRET)
    page.goto(endpoint + CONSOLE + f"/queues/{ALICE}/{name}")
    expect(page.locator("article.message")).to_contain_text("look, do not purge")
    page.click("#purge")
    expect(page.locator(".notice.error")).to_contain_text("AccessDenied")
    expect(page.locator(".notice.error")).to_contain_text("sqs:purgequeue")  # as AWS words it
    page.fill("#send textarea[name=body]", "carol was here")
    page.click("#send-button")
    expect(page.locator(".notice.ok")).to_contain_text("sent")
    got = alice.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert got["Attributes"]["ApproximateNumberOfMessages"] == "2"


def test_listing_is_authorized_too(auth_server: DenshoServer, page: Page) -> None:
    endpoint = auth_server.endpoint
    alice = _sqs(endpoint, ALICE_KEY, ALICE_SECRET)
    name = unique_name("dave-console")
    alice.create_queue(QueueName=name)
    _sign_in(page, endpoint, DAVE_KEY, DAVE_SECRET)
    expect(page.locator(".notice.error")).to_contain_text("sqs:listqueues")
    expect(page.locator("#queues")).not_to_contain_text(name)
    page.goto(endpoint + CONSOLE + "/topics")
    expect(page.locator(".notice.error")).to_have_count(0)
