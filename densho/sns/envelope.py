"""The JSON documents SNS delivers, written as AWS writes them, and the headers of an HTTP POST.

Owns: the Notification envelope (the body of a non-raw SQS or HTTP/S delivery), the
SubscriptionConfirmation and UnsubscribeConfirmation documents, their fixed Message texts, the
SubscribeURL/UnsubscribeURL shapes, the ISO timestamp, and the ``x-amz-sns-*`` headers.
Must not know: HTTP clients, storage, how ids, tokens and endpoint URLs are minted, the
signature algorithm itself (``densho.sns.signing.signer``).

Formatting is AWS's, byte for byte, as seen in real deliveries and the developer guide
(https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html): Jackson's
pretty printer, i.e. ``{``, one ``  "Name" : value`` per line joined by ``,\\n``, then ``}``;
MessageAttributes as a nested object whose entries are compact ``{"Type":…,"Value":…}``.
Field order:

    Notification               Type, MessageId, [SequenceNumber], TopicArn, [Subject], Message,
                               Timestamp, [SignatureVersion, Signature, SigningCertURL],
                               UnsubscribeURL, [MessageAttributes]
    Subscription/Unsubscribe   Type, MessageId, Token, TopicArn, Message, SubscribeURL,
      Confirmation             Timestamp, SignatureVersion, Signature, SigningCertURL

FIFO topics (which deliver to SQS only) carry SequenceNumber and no signature fields; the
MessageGroupId and MessageDeduplicationId become the SQS message's own, not body fields.
"""

from __future__ import annotations

import base64
import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass

from densho.core.sqs_model import Attr
from densho.sns.signing.signer import Signer

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"

DEFAULT_CONTENT_TYPE = "text/plain; charset=UTF-8"
USER_AGENT = "Amazon Simple Notification Service Agent"


@dataclass(frozen=True, slots=True)
class Signing:
    """How a document is signed: the key, the topic's SignatureVersion, where the cert is."""

    signer: Signer
    version: int  # the topic's SignatureVersion attribute: 1 (SHA1) or 2 (SHA256)
    cert_url: str  # SigningCertURL


# Jackson's default escaping: quote, backslash, the five short forms, other C0 controls as
# \u00XX with upper-case hex; everything else (non-ASCII, '/', DEL) verbatim.
_ESCAPES: dict[int, str] = {c: f"\\u{c:04X}" for c in range(0x20)}
_ESCAPES.update(
    {
        ord('"'): '\\"',
        ord("\\"): "\\\\",
        ord("\b"): "\\b",
        ord("\t"): "\\t",
        ord("\n"): "\\n",
        ord("\f"): "\\f",
        ord("\r"): "\\r",
    }
)


_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


# What JSON escapes among ASCII characters: long ASCII texts (a message) are checked by
# deleting these from their bytes, several times cheaper than the regex's scan.
_ESCAPED_ASCII = bytes(range(0x20)) + b'"\\'
_LONG_TEXT = 64


def _q(text: str) -> str:
    # Most texts need no escaping; finding that out in C is far cheaper than translating.
    if len(text) >= _LONG_TEXT and text.isascii():
        if len(text.encode("ascii").translate(None, _ESCAPED_ASCII)) == len(text):
            return '"' + text + '"'
    elif _NEEDS_ESCAPE.search(text) is None:
        return '"' + text + '"'
    return '"' + text.translate(_ESCAPES) + '"'


_last_second: list[tuple[int, str]] = [(-1, "")]  # the last second formatted, and its text


def iso_timestamp(epoch_ms: int) -> str:
    """``2012-05-02T00:54:06.655Z``: UTC, always three fractional digits."""
    seconds, millis = divmod(epoch_ms, 1000)
    last, text = _last_second[0]
    if seconds != last:  # a publish formats the same second several times
        moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
        text = f"{moment:%Y-%m-%dT%H:%M:%S}"
        _last_second[0] = (seconds, text)
    return f"{text}.{millis:03d}Z"


def subscribe_url(endpoint: str, topic_arn: str, token: str) -> str:
    """The SubscribeURL of a confirmation; ``endpoint`` is the service URL without a slash.

    AWS writes the ARN and token unencoded; neither can hold ``&``, ``=`` or spaces.
    """
    return f"{endpoint}/?Action=ConfirmSubscription&TopicArn={topic_arn}&Token={token}"


def unsubscribe_url(endpoint: str, subscription_arn: str) -> str:
    """The UnsubscribeURL of a notification (``endpoint`` as for ``subscribe_url``)."""
    return f"{endpoint}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}"


def subscribe_message(topic_arn: str) -> str:
    return (
        f"You have chosen to subscribe to the topic {topic_arn}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message."
    )


def unsubscribe_message(subscription_arn: str) -> str:
    return (
        f"You have chosen to deactivate subscription {subscription_arn}.\n"
        "To cancel this operation and restore the subscription, visit the SubscribeURL "
        "included in this message."
    )


def _attribute_value(attr: Attr) -> str:
    if attr.is_binary:
        return base64.b64encode(attr.binary_value or b"").decode("ascii")
    return attr.string_value or ""


def _lines(fields: list[tuple[str, str]]) -> list[str]:
    return [f"  {_q(name)} : {_q(value)}" for name, value in fields]


def _attributes_line(attributes: Mapping[str, Attr]) -> str:
    entries = ",\n".join(
        f'    {_q(name)} : {{"Type":{_q(attr.data_type)},"Value":{_q(_attribute_value(attr))}}}'
        for name, attr in attributes.items()
    )
    return f'  "MessageAttributes" : {{\n{entries}\n  }}'


def _render(fields: list[tuple[str, str]], attributes: Mapping[str, Attr] | None = None) -> str:
    lines = _lines(fields)
    if attributes:
        lines.append(_attributes_line(attributes))
    return "{\n" + ",\n".join(lines) + "\n}"


def _signature_fields(signing: Signing, signature: str) -> list[tuple[str, str]]:
    return [
        ("SignatureVersion", str(signing.version)),
        ("Signature", signature),
        ("SigningCertURL", signing.cert_url),
    ]


@dataclass(frozen=True, slots=True)
class Notification:
    """A rendered Notification document but for its UnsubscribeURL, the one field that differs
    between the subscriptions one publish reaches: rendered (and signed) once per publish."""

    head: str
    tail: str

    def for_subscription(self, unsubscribe_url: str) -> str:
        return self.head + _q(unsubscribe_url) + self.tail


def notification(
    *,
    message_id: str,
    topic_arn: str,
    message: str,
    timestamp_ms: int,
    unsubscribe_url: str,
    signing: Signing | None,
    subject: str | None = None,
    attributes: Mapping[str, Attr] | None = None,
    sequence_number: str | None = None,
) -> str:
    """The Notification document: the body of a non-raw delivery to SQS or HTTP/S.

    ``signing`` None leaves out SignatureVersion, Signature and SigningCertURL, as AWS does for
    FIFO topics; standard topics always sign. ``attributes`` keep the caller's order (AWS's
    own order is not sorted). ``sequence_number`` is for FIFO topics.
    """
    return notification_template(
        message_id=message_id,
        topic_arn=topic_arn,
        message=message,
        timestamp_ms=timestamp_ms,
        signing=signing,
        subject=subject,
        attributes=attributes,
        sequence_number=sequence_number,
    ).for_subscription(unsubscribe_url)


def notification_template(
    *,
    message_id: str,
    topic_arn: str,
    message: str,
    timestamp_ms: int,
    signing: Signing | None,
    subject: str | None = None,
    attributes: Mapping[str, Attr] | None = None,
    sequence_number: str | None = None,
    signature: str | None = None,
) -> Notification:
    """``notification`` without its UnsubscribeURL yet (the same arguments otherwise;
    ``signature``: the Signature of these fields, already made with ``signing``)."""
    timestamp = iso_timestamp(timestamp_ms)
    # The document's lines written out (as ``_render`` would write them): the names and the
    # Type are constants, so only the values go through ``_q``.
    head = ['{\n  "Type" : "Notification",\n  "MessageId" : ', _q(message_id)]
    if sequence_number is not None:
        head += [',\n  "SequenceNumber" : ', _q(sequence_number)]
    head += [',\n  "TopicArn" : ', _q(topic_arn)]
    if subject is not None:
        head += [',\n  "Subject" : ', _q(subject)]
    head += [',\n  "Message" : ', _q(message), ',\n  "Timestamp" : ', _q(timestamp)]
    if signing is not None:
        if signature is None:
            signed = notification_signed(message_id, topic_arn, message, timestamp, subject)
            signature = signing.signer.sign(signed, signing.version)
        head += [
            f',\n  "SignatureVersion" : "{signing.version}",\n  "Signature" : ',
            _q(signature),
            ',\n  "SigningCertURL" : ',
            _q(signing.cert_url),
        ]
    head.append(',\n  "UnsubscribeURL" : ')
    tail = (",\n" + _attributes_line(attributes) if attributes else "") + "\n}"
    return Notification("".join(head), tail)


def notification_signed(
    message_id: str, topic_arn: str, message: str, timestamp: str, subject: str | None
) -> dict[str, str | None]:
    """The fields a Notification's signature covers (``timestamp`` as ``iso_timestamp``)."""
    return {
        "Type": NOTIFICATION,
        "MessageId": message_id,
        "TopicArn": topic_arn,
        "Subject": subject,
        "Message": message,
        "Timestamp": timestamp,
    }


def _confirmation(
    kind: str,
    *,
    message_id: str,
    topic_arn: str,
    token: str,
    message: str,
    subscribe_url: str,
    timestamp_ms: int,
    signing: Signing,
) -> str:
    timestamp = iso_timestamp(timestamp_ms)
    fields = [
        ("Type", kind),
        ("MessageId", message_id),
        ("Token", token),
        ("TopicArn", topic_arn),
        ("Message", message),
        ("SubscribeURL", subscribe_url),
        ("Timestamp", timestamp),
    ]
    signature = signing.signer.sign(dict(fields), signing.version)
    return _render(fields + _signature_fields(signing, signature))


def subscription_confirmation(
    *,
    message_id: str,
    topic_arn: str,
    token: str,
    subscribe_url: str,
    timestamp_ms: int,
    signing: Signing,
) -> str:
    """The SubscriptionConfirmation document POSTed to a new HTTP/S subscription."""
    return _confirmation(
        SUBSCRIPTION_CONFIRMATION,
        message_id=message_id,
        topic_arn=topic_arn,
        token=token,
        message=subscribe_message(topic_arn),
        subscribe_url=subscribe_url,
        timestamp_ms=timestamp_ms,
        signing=signing,
    )


def unsubscribe_confirmation(
    *,
    message_id: str,
    topic_arn: str,
    subscription_arn: str,
    token: str,
    subscribe_url: str,
    timestamp_ms: int,
    signing: Signing,
) -> str:
    """The UnsubscribeConfirmation document; its SubscribeURL re-confirms the subscription."""
    return _confirmation(
        UNSUBSCRIBE_CONFIRMATION,
        message_id=message_id,
        topic_arn=topic_arn,
        token=token,
        message=unsubscribe_message(subscription_arn),
        subscribe_url=subscribe_url,
        timestamp_ms=timestamp_ms,
        signing=signing,
    )


def http_headers(
    message_type: str,
    message_id: str,
    topic_arn: str,
    subscription_arn: str | None = None,
    *,
    content_type: str = DEFAULT_CONTENT_TYPE,
    raw: bool = False,
) -> list[tuple[str, str]]:
    """The headers of an HTTP/S delivery POST, in AWS's order (the client adds Host, length).

    AWS sends ``x-amz-sns-subscription-arn`` with Notification and UnsubscribeConfirmation, not
    with SubscriptionConfirmation: pass ``subscription_arn`` accordingly. ``content_type`` is
    the effective DeliveryPolicy's headerContentType; ``raw`` marks a raw-delivery body
    (https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html).
    """
    if message_type not in (NOTIFICATION, SUBSCRIPTION_CONFIRMATION, UNSUBSCRIBE_CONFIRMATION):
        raise ValueError(f"unknown SNS message type {message_type!r}")
    headers = [
        ("x-amz-sns-message-type", message_type),
        ("x-amz-sns-message-id", message_id),
        ("x-amz-sns-topic-arn", topic_arn),
    ]
    if subscription_arn is not None:
        headers.append(("x-amz-sns-subscription-arn", subscription_arn))
    if raw:
        headers.append(("x-amz-sns-rawdelivery", "true"))
    headers += [("Content-Type", content_type), ("User-Agent", USER_AGENT)]
    return headers
