"""SNS JSON documents and HTTP headers, compared with AWS's published examples text for text.

Examples: https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html (HTTP/S
headers, SubscriptionConfirmation, Notification, UnsubscribeConfirmation) and the SQS-subscriber
page. Their Signature values are placeholders ("EXAMPLE..."), so each test takes densho's
signature, verifies it independently against the certificate, and then requires the whole
document, signature substituted, to equal AWS's text.
"""

from __future__ import annotations

import base64
import datetime
import json
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

from densho.core.sqs_model import Attr
from densho.sns import envelope
from densho.sns.envelope import Signing
from densho.sns.signing.signer import Signer

CERT_URL = (
    "https://sns.us-west-2.amazonaws.com/"
    "SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
)
ENDPOINT = "https://sns.us-west-2.amazonaws.com"
TOPIC = "arn:aws:sns:us-west-2:123456789012:MyTopic"


def ms(iso: str) -> int:
    moment = datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return round(moment.timestamp() * 1000)


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate(now_ms=ms("2012-01-01T00:00:00.000Z"))


def independently_verified(signer: Signer, document: str) -> str:
    """The document's Signature, after checking it without densho's string-to-sign code."""
    fields = json.loads(document)
    if fields["Type"] == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    signed = "".join(f"{n}\n{fields[n]}\n" for n in names if n in fields).encode()
    algorithm = hashes.SHA1() if fields["SignatureVersion"] == "1" else hashes.SHA256()
    public = x509.load_pem_x509_certificate(signer.certificate_pem()).public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(base64.b64decode(fields["Signature"]), signed, PKCS1v15(), algorithm)
    signature = fields["Signature"]
    assert isinstance(signature, str)
    return signature


def with_signature(example: str, signature: str) -> str:
    return re.sub(r'"Signature" : "EXAMPLE[^"]*"', f'"Signature" : "{signature}"', example)


# The developer guide's Notification example, verbatim.
NOTIFICATION_EXAMPLE = """{
  "Type" : "Notification",
  "MessageId" : "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
  "TopicArn" : "arn:aws:sns:us-west-2:123456789012:MyTopic",
  "Subject" : "My First Message",
  "Message" : "Hello world!",
  "Timestamp" : "2012-05-02T00:54:06.655Z",
  "SignatureVersion" : "1",
  "Signature" : "EXAMPLEw6JRNwm1LFQL4ICB0bnXrdB8ClRMTQFGBqwLpGbM78tJ4etTwC5zU7O3tS6tGpey3ejedNdOJ+1fkIp9F2/LmNVKb5aFlYq+9rk9ZiPph5YlLmWsDcyC5T+Sy9/umic5S0UQc2PEtgdpVBahwNOdMW4JPwk0kAJJztnc=",
  "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
  "UnsubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96"
}"""  # noqa: E501


def test_notification_matches_the_guides_example(signer: Signer) -> None:
    subscription = f"{TOPIC}:c9135db0-26c4-47ec-8998-413945fb5a96"
    document = envelope.notification(
        message_id="22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        topic_arn=TOPIC,
        subject="My First Message",
        message="Hello world!",
        timestamp_ms=ms("2012-05-02T00:54:06.655Z"),
        unsubscribe_url=envelope.unsubscribe_url(ENDPOINT, subscription),
        signing=Signing(signer, 1, CERT_URL),
    )
    signature = independently_verified(signer, document)
    assert document == with_signature(NOTIFICATION_EXAMPLE, signature)


def test_a_signature_made_ahead_is_the_one_the_document_carries(signer: Signer) -> None:
    """The SQS envelope's signature, made in the signing process, goes in as it is: the same
    document as one signed while rendering."""

    def template(signature: str | None) -> envelope.Notification:
        return envelope.notification_template(
            message_id="22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
            topic_arn=TOPIC,
            subject="My First Message",
            message="Hello world!",
            timestamp_ms=ms("2012-05-02T00:54:06.655Z"),
            signing=Signing(signer, 1, CERT_URL),
            signature=signature,
        )

    url = envelope.unsubscribe_url(ENDPOINT, f"{TOPIC}:c9135db0")
    signed_now = template(None).for_subscription(url)
    ahead = template(independently_verified(signer, signed_now))
    assert ahead.for_subscription(url) == signed_now


# The SQS-subscriber page's example, indented by 2 as AWS delivers it (the page uses 3) and
# with SignatureVersion 2 where the page has 1.
SQS_EXAMPLE = """{
  "Type" : "Notification",
  "MessageId" : "63a3f6b6-d533-4a47-aef9-fcf5cf758c76",
  "TopicArn" : "arn:aws:sns:us-west-2:123456789012:MyTopic",
  "Message" : "Hello world!",
  "Timestamp" : "2012-03-29T05:12:16.901Z",
  "SignatureVersion" : "2",
  "Signature" : "EXAMPLEnTrFPa3...",
  "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
  "UnsubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c7fe3a54-ab0e-4ec2-88e0-db410a0f2bee"
}"""


def test_notification_without_subject_and_signature_version_2(signer: Signer) -> None:
    document = envelope.notification(
        message_id="63a3f6b6-d533-4a47-aef9-fcf5cf758c76",
        topic_arn=TOPIC,
        message="Hello world!",
        timestamp_ms=ms("2012-03-29T05:12:16.901Z"),
        unsubscribe_url=envelope.unsubscribe_url(
            ENDPOINT, f"{TOPIC}:c7fe3a54-ab0e-4ec2-88e0-db410a0f2bee"
        ),
        signing=Signing(signer, 2, CERT_URL),
    )
    assert '"Subject"' not in document
    assert document == with_signature(SQS_EXAMPLE, independently_verified(signer, document))


def test_message_attributes_as_aws_writes_them(signer: Signer) -> None:
    # As SQS subscribers receive them: each attribute compact, on its own line, caller's order,
    # the full data type (custom suffixes included), Binary values in base64.
    document = envelope.notification(
        message_id="m",
        topic_arn=TOPIC,
        message="hello",
        timestamp_ms=0,
        unsubscribe_url="u",
        signing=Signing(signer, 1, CERT_URL),
        attributes={
            "Service": Attr("String", "AWS::IAM::Policy"),
            "timestamp": Attr("Number.java.lang.Long", "1723202440316"),
            "blob": Attr("Binary", binary_value=b"\x00\xffdata"),
            "names": Attr("String.Array", '["a","b"]'),
        },
    )
    assert document.endswith(
        '  "UnsubscribeURL" : "u",\n'
        '  "MessageAttributes" : {\n'
        '    "Service" : {"Type":"String","Value":"AWS::IAM::Policy"},\n'
        '    "timestamp" : {"Type":"Number.java.lang.Long","Value":"1723202440316"},\n'
        '    "blob" : {"Type":"Binary","Value":"AP9kYXRh"},\n'
        '    "names" : {"Type":"String.Array","Value":"[\\"a\\",\\"b\\"]"}\n'
        "  }\n"
        "}"
    )
    parsed = json.loads(document)
    assert list(parsed) == [
        "Type",
        "MessageId",
        "TopicArn",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
        "MessageAttributes",
    ]
    assert parsed["MessageAttributes"]["names"]["Value"] == '["a","b"]'
    independently_verified(signer, document)  # attributes are not signed


def test_no_attributes_means_no_message_attributes_field(signer: Signer) -> None:
    document = envelope.notification(
        message_id="m",
        topic_arn=TOPIC,
        message="hello",
        timestamp_ms=0,
        unsubscribe_url="u",
        signing=Signing(signer, 1, CERT_URL),
        attributes={},
    )
    assert "MessageAttributes" not in document


def test_fifo_topic_notification() -> None:
    # Field for field as an SQS FIFO queue receives it from an SNS FIFO topic: SequenceNumber
    # after MessageId, no signature fields, group and deduplication ids not in the body.
    topic = "arn:aws:sns:us-east-2:123456789012:events.fifo"
    document = envelope.notification(
        message_id="bd0ff884-73c8-5106-bf98-a7cba1ea884c",
        sequence_number="10000000000000027000",
        topic_arn=topic,
        subject="order-alarm",
        message='{"orderId":"1001"}',
        timestamp_ms=ms("2024-09-02T14:46:58.708Z"),
        unsubscribe_url=envelope.unsubscribe_url(
            "https://sns.us-east-2.amazonaws.com", f"{topic}:bb37548a"
        ),
        signing=None,
    )
    assert document == (
        "{\n"
        '  "Type" : "Notification",\n'
        '  "MessageId" : "bd0ff884-73c8-5106-bf98-a7cba1ea884c",\n'
        '  "SequenceNumber" : "10000000000000027000",\n'
        '  "TopicArn" : "arn:aws:sns:us-east-2:123456789012:events.fifo",\n'
        '  "Subject" : "order-alarm",\n'
        '  "Message" : "{\\"orderId\\":\\"1001\\"}",\n'
        '  "Timestamp" : "2024-09-02T14:46:58.708Z",\n'
        '  "UnsubscribeURL" : "https://sns.us-east-2.amazonaws.com/?Action=Unsubscribe'
        '&SubscriptionArn=arn:aws:sns:us-east-2:123456789012:events.fifo:bb37548a"\n'
        "}"
    )


SUBSCRIPTION_CONFIRMATION_EXAMPLE = """{
  "Type" : "SubscriptionConfirmation",
  "MessageId" : "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
  "Token" : "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
  "TopicArn" : "arn:aws:sns:us-west-2:123456789012:MyTopic",
  "Message" : "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.\\nTo confirm the subscription, visit the SubscribeURL included in this message.",
  "SubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736",
  "Timestamp" : "2012-04-26T20:45:04.751Z",
  "SignatureVersion" : "1",
  "Signature" : "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
  "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
}"""  # noqa: E501


def test_subscription_confirmation_matches_the_guides_example(signer: Signer) -> None:
    # The guide closes this example with "\n  }", a typesetting slip; AWS closes with "\n}".
    token = (
        "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3"
        "beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6f"
        "db82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736"
    )
    document = envelope.subscription_confirmation(
        message_id="165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        topic_arn=TOPIC,
        token=token,
        subscribe_url=envelope.subscribe_url(ENDPOINT, TOPIC, token),
        timestamp_ms=ms("2012-04-26T20:45:04.751Z"),
        signing=Signing(signer, 1, CERT_URL),
    )
    signature = independently_verified(signer, document)
    assert document == with_signature(SUBSCRIPTION_CONFIRMATION_EXAMPLE, signature)


UNSUBSCRIBE_CONFIRMATION_EXAMPLE = """{
  "Type" : "UnsubscribeConfirmation",
  "MessageId" : "47138184-6831-46b8-8f7c-afc488602d7d",
  "Token" : "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f7948a98bac386edfe3e10314e873973b3e0a3c09119b722dedf2b5e31c59b13edbb26417c19f109351e6f2169efa9085ffe97e10535f4179ac1a03590b0f541f209c190f9ae23219ed6c470453e06c19b5ba9fcbb27daeb7c7",
  "TopicArn" : "arn:aws:sns:us-west-2:123456789012:MyTopic",
  "Message" : "You have chosen to deactivate subscription arn:aws:sns:us-west-2:123456789012:MyTopic:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55.\\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.",
  "SubscribeURL" : "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37fb687f5d51e6e241d09c805a5a57b30d712f7948a98bac386edfe3e10314e873973b3e0a3c09119b722dedf2b5e31c59b13edbb26417c19f109351e6f2169efa9085ffe97e10535f4179ac1a03590b0f541f209c190f9ae23219ed6c470453e06c19b5ba9fcbb27daeb7c7",
  "Timestamp" : "2012-04-26T20:06:41.581Z",
  "SignatureVersion" : "2",
  "Signature" : "EXAMPLEHXgJmXqnqsHTlqOCk7TIZsnk8zpJJoQbr8leD+8kAHcke3ClC4VPOvdpZo9s/vR9GOznKab6sjGxE8uwqDI9HwpDm8lGxSlFGuwCruWeecnt7MdJCNh0XK4XQCbtGoXB762ePJfaSWi9tYwzW65zAFU04WkNBkNsIf60=",
  "SigningCertURL" : "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
}"""  # noqa: E501


def test_unsubscribe_confirmation_matches_the_guides_example(signer: Signer) -> None:
    # The guide's example is SignatureVersion 1; version 2 here, the layout is the same.
    token = (
        "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f7948a98bac386edfe3e10314e873973b3e"
        "0a3c09119b722dedf2b5e31c59b13edbb26417c19f109351e6f2169efa9085ffe97e10535f4179ac"
        "1a03590b0f541f209c190f9ae23219ed6c470453e06c19b5ba9fcbb27daeb7c7"
    )
    document = envelope.unsubscribe_confirmation(
        message_id="47138184-6831-46b8-8f7c-afc488602d7d",
        topic_arn=TOPIC,
        subscription_arn=f"{TOPIC}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
        token=token,
        subscribe_url=envelope.subscribe_url(ENDPOINT, TOPIC, token),
        timestamp_ms=ms("2012-04-26T20:06:41.581Z"),
        signing=Signing(signer, 2, CERT_URL),
    )
    signature = independently_verified(signer, document)
    assert document == with_signature(UNSUBSCRIBE_CONFIRMATION_EXAMPLE, signature)


def test_strings_are_escaped_as_jackson_does_and_round_trip(signer: Signer) -> None:
    tricky = 'a "quote" \\ back\nnew\ttab\r\b\f\x00\x1f/slash \x7f é ✓ 😀 \u2028'
    document = envelope.notification(
        message_id="m",
        topic_arn=TOPIC,
        subject="subject\nline",
        message=tricky,
        timestamp_ms=0,
        unsubscribe_url="u",
        signing=Signing(signer, 2, CERT_URL),
        attributes={'k"ey': Attr("String", tricky)},
    )
    assert (
        '"Message" : "a \\"quote\\" \\\\ back\\nnew\\ttab\\r\\b\\f\\u0000\\u001F/slash'
        ' \x7f é ✓ 😀 \u2028"'
    ) in document
    parsed = json.loads(document)
    assert parsed["Message"] == tricky
    assert parsed["Subject"] == "subject\nline"
    assert parsed["MessageAttributes"]['k"ey']["Value"] == tricky
    independently_verified(signer, document)


@pytest.mark.parametrize(
    ("epoch_ms", "text"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (ms("2012-05-02T00:54:06.655Z"), "2012-05-02T00:54:06.655Z"),
        (ms("2021-02-16T21:41:19.978Z"), "2021-02-16T21:41:19.978Z"),
        (1_700_000_000_007, "2023-11-14T22:13:20.007Z"),
        (999, "1970-01-01T00:00:00.999Z"),
    ],
)
def test_timestamps(epoch_ms: int, text: str) -> None:
    assert envelope.iso_timestamp(epoch_ms) == text


def test_urls_match_the_examples() -> None:
    assert envelope.unsubscribe_url(ENDPOINT, f"{TOPIC}:c9135db0") == (
        "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe"
        "&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0"
    )
    assert envelope.subscribe_url(ENDPOINT, TOPIC, "2336") == (
        "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription"
        "&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336"
    )


def test_notification_headers_match_the_guides_example() -> None:
    headers = envelope.http_headers(
        envelope.NOTIFICATION,
        "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        TOPIC,
        f"{TOPIC}:c9135db0-26c4-47ec-8998-413945fb5a96",
    )
    assert headers == [
        ("x-amz-sns-message-type", "Notification"),
        ("x-amz-sns-message-id", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"),
        ("x-amz-sns-topic-arn", "arn:aws:sns:us-west-2:123456789012:MyTopic"),
        (
            "x-amz-sns-subscription-arn",
            "arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96",
        ),
        ("Content-Type", "text/plain; charset=UTF-8"),
        ("User-Agent", "Amazon Simple Notification Service Agent"),
    ]


def test_subscription_confirmation_headers_carry_no_subscription_arn() -> None:
    headers = dict(
        envelope.http_headers(
            envelope.SUBSCRIPTION_CONFIRMATION, "165545c9-2a5c-472c-8df2-7ff2be2b3b1b", TOPIC
        )
    )
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert "x-amz-sns-subscription-arn" not in headers


def test_raw_delivery_and_content_type_headers() -> None:
    headers = envelope.http_headers(
        envelope.NOTIFICATION, "m", TOPIC, f"{TOPIC}:s", content_type="application/json", raw=True
    )
    assert ("x-amz-sns-rawdelivery", "true") in headers
    assert ("Content-Type", "application/json") in headers
    with pytest.raises(ValueError, match="message type"):
        envelope.http_headers("Other", "m", TOPIC)
