"""Fan-out as a pure function: a publication and a topic's subscriptions in, every delivery out
(SQS sends, outbox entries, recorded deliveries) — no store, no queues, no clock. Also the typed
views it reads (built once from the stored attribute strings).
"""

from __future__ import annotations

import json

import pytest

from densho.core.sns_model import Subscription
from densho.core.sqs_model import Attr
from densho.sns import envelope
from densho.sns.outbox.delivery_policy import parse_topic_policy
from densho.sns.publishing import fanout
from densho.sns.publishing.message import Checked, Message, check
from densho.sns.signing.signer import Signer
from densho.sns.views import SubscriptionView, subscription_view
from densho.sqs.md5 import md5_of_body
from densho.sqs.messages import invalid_character

TOPIC = "arn:aws:sns:us-east-1:000000000000:t"
ENDPOINT = "http://127.0.0.1:9324"
SIGNING = envelope.Signing(Signer.generate(now_ms=1_700_000_000_000), 1, f"{ENDPOINT}/cert.pem")
NOW = 1_700_000_000_123


def sub(
    n: int, protocol: str = "sqs", endpoint: str = "", confirmed: bool = True, **attributes: str
) -> SubscriptionView:
    record = Subscription(
        arn=f"{TOPIC}:{n}",
        topic_arn=TOPIC,
        owner="000000000000",
        protocol=protocol,
        endpoint=endpoint or f"arn:aws:sqs:us-east-1:000000000000:q{n}",
        attributes=attributes,
        confirmed=confirmed,
        created_ms=0,
    )
    return subscription_view(record, None)


def publication(
    message: Checked, *, signing: envelope.Signing | None = SIGNING, relay_email: bool = False
) -> fanout.Publication:
    return fanout.Publication(
        message=message,
        topic_arn=TOPIC,
        message_id="m-1",
        timestamp_ms=NOW,
        sequence_number=None,
        endpoint=ENDPOINT,
        signing=signing,
        relay_email=relay_email,
    )


def checked(message: Message) -> Checked:
    return check(message, fifo=False, content_dedup=False)


def test_only_confirmed_subscriptions_whose_filter_matches_are_reached() -> None:
    message = checked(Message("hello", attributes={"colour": Attr("String", "red")}))
    subs = [
        sub(1),
        sub(2, confirmed=False),
        sub(3, FilterPolicy='{"colour": ["red"]}'),
        sub(4, FilterPolicy='{"colour": ["blue"]}'),
        sub(5, FilterPolicy='{"size": ["big"]}', FilterPolicyScope="MessageBody"),
    ]
    assert [s.sub.arn[-1] for s in subs if fanout.reaches(s, message)] == ["1", "3"]
    body = checked(Message('{"size": "big"}'))
    assert [s.sub.arn[-1] for s in subs if fanout.reaches(s, body)] == ["1", "5"]


def test_sqs_subscriptions_share_one_envelope_but_for_the_unsubscribe_url() -> None:
    message = checked(Message("hello", subject="s", attributes={"a": Attr("String", "1")}))
    out = fanout.fan_out(publication(message), [sub(1), sub(2), sub(3, RawMessageDelivery="true")])
    assert out.outbox == [] and out.recorded == []
    first, second, raw = out.sqs
    one, two = json.loads(first.body), json.loads(second.body)
    assert one["UnsubscribeURL"].endswith(f"SubscriptionArn={TOPIC}:1")
    assert two["UnsubscribeURL"].endswith(f"SubscriptionArn={TOPIC}:2")
    del one["UnsubscribeURL"], two["UnsubscribeURL"]
    assert one == two
    assert one["Message"] == "hello" and one["Subject"] == "s" and one["Signature"]
    assert one["MessageAttributes"] == {"a": {"Type": "String", "Value": "1"}}
    assert first.attributes == {} and first.subscription.sub.arn == f"{TOPIC}:1"
    assert (raw.body, raw.attributes) == ("hello", {"a": Attr("String", "1")})


@pytest.mark.parametrize(
    ("message", "envelope_checked", "raw_checked"),
    [
        (Message("hello", attributes={"a": Attr("String", "1")}), True, True),
        # SNS lets an attribute value hold U+FFFF; the envelope carries it, SQS refuses it.
        (Message("hello", attributes={"a": Attr("String", "x\uffff")}), False, True),
        # A protocol's text from MessageStructure was never checked as a message.
        (Message(json.dumps({"default": "d", "sqs": "\x01"}), structure="json"), True, False),
    ],
)
def test_bodies_known_valid_for_sqs_are_marked_checked(
    message: Message, envelope_checked: bool, raw_checked: bool
) -> None:
    """A delivery's body is marked checked only when every character of it is one SQS takes,
    as the queue's own check would find: then the queue does not scan it again."""
    out = fanout.fan_out(
        publication(checked(message)), [sub(1), sub(2), sub(3, RawMessageDelivery="true")]
    )
    first, second, raw = out.sqs
    assert (first.checked, second.checked, raw.checked) == (
        envelope_checked,
        envelope_checked,
        raw_checked,
    )
    for send in out.sqs:
        if send.checked:
            assert invalid_character(send.body) is None
        # An envelope's MD5OfMessageBody is made here (its head hashed once per publish).
        assert send.md5_body == (md5_of_body(send.body) if send is not raw else None)


def test_a_fifo_publication_is_unsigned_and_numbered() -> None:
    message = check(Message("hi", group_id="g", dedup_id="d"), fifo=True, content_dedup=False)
    p = fanout.Publication(
        message, TOPIC, "m-2", NOW, "10000000000000000001", ENDPOINT, None, False
    )
    (send,) = fanout.fan_out(p, [sub(1)]).sqs
    document = json.loads(send.body)
    assert document["SequenceNumber"] == "10000000000000000001"
    assert "Signature" not in document and "SigningCertURL" not in document


def test_outside_subscribers_get_outbox_rows_or_recorded_deliveries() -> None:
    text = json.dumps({"default": "d", "http": "h", "sms": "s"})
    message = checked(Message(text, structure="json"))
    http = sub(
        1,
        "http",
        "http://h/",
        DeliveryPolicy='{"requestPolicy": {"headerContentType": "application/json"}}',
    )
    raw_https = sub(2, "https", "https://h/", RawMessageDelivery="true")
    email, sms, lam = sub(3, "email", "a@b"), sub(4, "sms", "+15550001111"), sub(5, "lambda", "f")
    out = fanout.fan_out(publication(message), [http, raw_https, email, sms, lam])
    assert out.sqs == []
    posted, posted_raw = out.outbox
    assert json.loads(posted.body)["Message"] == "h"
    assert ("Content-Type", "application/json") in posted.headers
    assert posted_raw.body == "d" and ("x-amz-sns-rawdelivery", "true") in posted_raw.headers
    assert ("Content-Type", "text/plain; charset=UTF-8") in posted_raw.headers
    assert [(r.protocol, r.endpoint) for r in out.recorded] == [
        ("email", "a@b"),
        ("sms", "+15550001111"),
        ("lambda", "f"),
    ]
    assert out.recorded[1].payload == "s"
    relayed = fanout.fan_out(publication(message, relay_email=True), [email])
    assert [e.protocol for e in relayed.outbox] == ["email"] and relayed.recorded == []


@pytest.mark.parametrize(
    ("fifo", "subs", "signed", "ahead"),
    [
        (False, [sub(1)], True, True),
        (False, [sub(1, RawMessageDelivery="true")], False, False),
        (False, [sub(1, RawMessageDelivery="true"), sub(2, "http", "http://h/")], True, False),
        (True, [sub(1)], False, False),
        (False, [], False, False),
    ],
)
def test_what_is_signed(
    fifo: bool, subs: list[SubscriptionView], signed: bool, ahead: bool
) -> None:
    assert fanout.signed(fifo, subs) is signed
    assert fanout.sqs_envelope_signed(fifo, subs) is ahead


def test_views_parse_the_stored_strings_once() -> None:
    topic_policy = parse_topic_policy(
        '{"http": {"defaultHealthyRetryPolicy": '
        '{"minDelayTarget": 5, "maxDelayTarget": 5, "numRetries": 7}}}'
    )
    record = Subscription(
        f"{TOPIC}:1",
        TOPIC,
        "000000000000",
        "https",
        "https://h/",
        {
            "RawMessageDelivery": "true",
            "FilterPolicy": '{"a": ["b"]}',
            "RedrivePolicy": '{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq"}',
        },
        True,
        0,
    )
    view = subscription_view(record, topic_policy)
    assert view.raw and view.filter is not None
    assert view.delivery is not None and view.delivery.retry.num_retries == 7
    assert view.dead_letter_arn == "arn:aws:sqs:us-east-1:000000000000:dlq"
    assert sub(2).delivery is None and sub(2).filter is None and not sub(2).raw
