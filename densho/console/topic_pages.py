"""The console's SNS pages: topics, a topic with its subscriptions, publishing a test
message, and the deliveries outside densho (the outbox and the recorded ones).

Owns: what those pages show and the publish form does, through the API's operations as the
viewer (ListTopics' records, GetTopicAttributes, ListSubscriptionsByTopic,
GetSubscriptionAttributes, Publish); the delivery tables come from ``densho.delivery.admin``'s
data functions, as its JSON endpoints do.
Must not know: ASGI, SQL, templates' markup.
"""

from __future__ import annotations

from typing import Any

from densho.console.render import render
from densho.console.visit import Answer, Visit, attribute_fields, topic_path
from densho.core.sns_model import Topic
from densho.delivery import admin
from densho.protocol.errors import AwsError

MAX_SUBSCRIPTIONS = 100
DELIVERIES = 100


async def _accounts(visit: Visit) -> list[str]:
    """The accounts whose topics the viewer sees: theirs, or (authentication off) every
    account that holds a queue, and the default one."""
    if visit.account is not None:
        return [visit.account]
    queues = await visit.services.store.all_queues()
    return sorted({q.account for q in queues} | {visit.services.default_account})


async def topic_list(visit: Visit) -> Answer:
    topics: list[Topic] = []
    errors: list[str] = []
    accounts = await _accounts(visit)
    if visit.session.identity is not None:
        # Listing is ListTopics: a signed-in identity its policy refuses sees no topic.
        try:
            await visit.act("sns", "ListTopics", [], visit.services.region)
        except AwsError as err:
            errors.append(f"{err.code}: {err.message}")
            accounts = []
    for account in accounts:
        topics += await visit.services.sns.topics.of_account(account, None)
    rows = []
    for topic in sorted(topics, key=lambda t: (t.account, t.region, t.name)):
        subs = await visit.services.sns.subscriptions.of_topic(topic.arn)
        rows.append({"topic": topic, "subscriptions": len(subs)})
    return render(visit, "topics.html", rows=rows, errors=errors)


def _region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[3] else "us-east-1"


def _account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


async def topic_page(visit: Visit) -> Answer:
    arn = visit.query.get("arn", "")
    if not visit.may_see(_account(arn)):
        return render(visit, "missing.html", status=404, what=f"topic {arn}")
    region = _region(arn)
    errors: list[str] = []
    attributes: dict[str, str] = {}
    subscriptions: list[dict[str, Any]] = []
    try:
        got = await visit.act("sns", "GetTopicAttributes", [("TopicArn", arn)], region)
        attributes = got.get("Attributes", {})
        listed = await visit.act("sns", "ListSubscriptionsByTopic", [("TopicArn", arn)], region)
        for sub in listed.get("Subscriptions", [])[:MAX_SUBSCRIPTIONS]:
            sub_arn = sub["SubscriptionArn"]
            details: dict[str, str] = {}
            if sub_arn.startswith("arn:"):  # "PendingConfirmation" names no subscription yet
                details = (
                    await visit.act(
                        "sns", "GetSubscriptionAttributes", [("SubscriptionArn", sub_arn)], region
                    )
                ).get("Attributes", {})
            subscriptions.append({**sub, "attributes": details})
    except AwsError as err:
        errors.append(f"{err.code}: {err.message}")
    return render(
        visit,
        "topic.html",
        arn=arn,
        name=arn.rsplit(":", 1)[-1],
        fifo=arn.endswith(".fifo"),
        attributes=attributes,
        subscriptions=subscriptions,
        errors=errors,
    )


async def publish(visit: Visit) -> Answer:
    form = visit.form
    arn = form.get("arn", "")
    if visit.may_see(_account(arn)):
        fields = [("TopicArn", arn), ("Message", form.get("message", ""))]
        for key, field_name in (
            ("subject", "Subject"),
            ("group_id", "MessageGroupId"),
            ("dedup_id", "MessageDeduplicationId"),
        ):
            if form.get(key, "").strip():
                fields.append((field_name, form[key].strip()))
        fields += attribute_fields(form.get("attributes", ""), "MessageAttributes.entry")
        try:
            got = await visit.act("sns", "Publish", fields, _region(arn))
            visit.session.notice("ok", f"Message {got['MessageId']} published.")
        except AwsError as err:
            visit.session.notice("error", f"{err.code}: {err.message}")
    return Answer.redirect(topic_path(arn))


async def deliveries(visit: Visit) -> Answer:
    def mine(row: dict[str, Any]) -> bool:
        return visit.may_see(_account(row["topicArn"]))

    outbox = [r for r in await admin.outbox_rows(visit.services.deliveries, DELIVERIES) if mine(r)]
    recorded = await admin.recorded_rows(visit.services.deliveries, limit=DELIVERIES)
    return render(
        visit,
        "deliveries.html",
        outbox=outbox,
        recorded=[r for r in reversed(recorded) if mine(r)],  # newest first
    )
