"""What each subscriber outside densho's own queues receives of a message, as AWS shapes it.

Owns: the bytes (and HTTP headers or email subject) of a delivery to HTTP/S, email,
email-json, SMS, Lambda, Firehose and mobile-push (application) subscriptions, and of the
confirmation messages sent at Subscribe and Unsubscribe; and which of them are recorded
instead of sent (email while no SMTP relay is configured).
Must not know: storage, transports, how tokens and URLs are minted (the engine passes them).

Sources (developer guide): the HTTP/S headers and JSON formats (``envelope``); raw message
delivery (the message alone, plus ``x-amz-sns-rawdelivery: true``); the Lambda event
(``Records[0].Sns`` with ``SigningCertUrl`` / ``UnsubscribeUrl`` spelled as Lambda spells them,
``Subject`` null when absent); Firehose records (the notification without signature fields, or
the raw message). Email bodies follow what AWS sends in spirit (the message, then a footer
with the unsubscribe link); their wording is densho's.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass

from densho.core.sns_model import OutboxEntry, Recorded
from densho.core.sqs_model import Attr
from densho.sns import envelope, protocols
from densho.sns.publishing.message import Checked

DEFAULT_EMAIL_SUBJECT = "AWS Notification Message"
CONFIRMATION_SUBJECT = "AWS Notification - Subscription Confirmation"


@dataclass(frozen=True, slots=True)
class Addressed:
    """One published message addressed to one subscription: what every payload carries."""

    protocol: str
    endpoint: str
    subscription_arn: str
    topic_arn: str
    message_id: str
    timestamp_ms: int
    unsubscribe_url: str
    signing: envelope.Signing


def _attributes_json(attributes: Mapping[str, Attr]) -> dict[str, dict[str, str]]:
    return {
        name: {
            "Type": a.data_type,
            "Value": base64.b64encode(a.binary_value or b"").decode("ascii")
            if a.is_binary
            else a.string_value or "",
        }
        for name, a in attributes.items()
    }


def _notification(c: Checked, to: Addressed, text: str, signing: envelope.Signing | None) -> str:
    """The Notification JSON document of ``text`` (unsigned when ``signing`` is None)."""
    return envelope.notification(
        message_id=to.message_id,
        topic_arn=to.topic_arn,
        message=text,
        timestamp_ms=to.timestamp_ms,
        unsubscribe_url=to.unsubscribe_url,
        signing=signing,
        subject=c.source.subject,
        attributes=c.source.attributes or None,
    )


def http_notification(c: Checked, to: Addressed, *, raw: bool, content_type: str) -> OutboxEntry:
    """The POST an HTTP/S subscription receives for a published message."""
    text = c.text_for(to.protocol)
    body = text if raw else _notification(c, to, text, to.signing)
    headers = envelope.http_headers(
        envelope.NOTIFICATION,
        to.message_id,
        to.topic_arn,
        to.subscription_arn,
        content_type=content_type,
        raw=raw,
    )
    return OutboxEntry(
        subscription_arn=to.subscription_arn,
        topic_arn=to.topic_arn,
        protocol=to.protocol,
        endpoint=to.endpoint,
        kind=envelope.NOTIFICATION,
        message_id=to.message_id,
        body=body,
        created_ms=to.timestamp_ms,
        headers=headers,
        attributes=dict(c.source.attributes) if raw else {},
    )


def email_notification(c: Checked, to: Addressed) -> OutboxEntry:
    """The email an ``email`` (text) or ``email-json`` (the signed JSON document) subscription
    receives."""
    text = c.text_for(to.protocol)
    if to.protocol == "email-json":
        body = _notification(c, to, text, to.signing)
    else:
        body = (
            f"{text}\n\n--\nTo stop receiving notifications from this topic, open this link:\n"
            f"{to.unsubscribe_url}\n"
        )
    return OutboxEntry(
        subscription_arn=to.subscription_arn,
        topic_arn=to.topic_arn,
        protocol=to.protocol,
        endpoint=to.endpoint,
        kind=envelope.NOTIFICATION,
        message_id=to.message_id,
        body=body,
        created_ms=to.timestamp_ms,
        subject=c.source.subject or DEFAULT_EMAIL_SUBJECT,
    )


def recorded_notification(c: Checked, to: Addressed, *, raw: bool) -> Recorded:
    """What an SMS, Lambda, Firehose or application subscription would have received."""
    if to.protocol == "lambda":
        payload = lambda_event(c, to)
    elif to.protocol == "firehose":
        payload = (
            c.text_for(to.protocol) if raw else _notification(c, to, c.text_for(to.protocol), None)
        )
    elif to.protocol == "application":
        payload = c.text_for(platform_of(to.endpoint))
    else:  # sms
        payload = c.text_for(to.protocol)
    return Recorded(
        protocol=to.protocol,
        endpoint=to.endpoint,
        topic_arn=to.topic_arn,
        subscription_arn=to.subscription_arn,
        kind=envelope.NOTIFICATION,
        message_id=to.message_id,
        payload=payload,
        created_ms=to.timestamp_ms,
        subject=c.source.subject,
    )


def platform_of(endpoint_arn: str) -> str:
    """``GCM`` of ``arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/uuid``: the key a
    MessageStructure=json message uses for that platform ("default" when unknown)."""
    resource = endpoint_arn.split(":", 5)[-1]
    parts = resource.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "endpoint" else "default"


def lambda_event(c: Checked, to: Addressed) -> str:
    """The event a Lambda function subscribed to the topic is invoked with."""
    timestamp = envelope.iso_timestamp(to.timestamp_ms)
    text = c.text_for("lambda")
    signed = {
        "Type": envelope.NOTIFICATION,
        "MessageId": to.message_id,
        "TopicArn": to.topic_arn,
        "Subject": c.source.subject,
        "Message": text,
        "Timestamp": timestamp,
    }
    sns = {
        **signed,
        "SignatureVersion": str(to.signing.version),
        "Signature": to.signing.signer.sign(signed, to.signing.version),
        "SigningCertUrl": to.signing.cert_url,
        "UnsubscribeUrl": to.unsubscribe_url,
        "MessageAttributes": _attributes_json(c.source.attributes),
    }
    record = {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": to.subscription_arn,
        "Sns": sns,
    }
    return json.dumps({"Records": [record]}, ensure_ascii=False)


# --- confirmations ---


def subscription_confirmation(
    *,
    protocol: str,
    endpoint: str,
    subscription_arn: str,
    topic_arn: str,
    message_id: str,
    token: str,
    subscribe_url: str,
    timestamp_ms: int,
    signing: envelope.Signing,
) -> OutboxEntry:
    """The message that asks an HTTP/S or email endpoint's owner to confirm a subscription."""
    document = envelope.subscription_confirmation(
        message_id=message_id,
        topic_arn=topic_arn,
        token=token,
        subscribe_url=subscribe_url,
        timestamp_ms=timestamp_ms,
        signing=signing,
    )
    headers: list[tuple[str, str]] = []
    subject: str | None = None
    if protocol in ("http", "https"):
        # No x-amz-sns-subscription-arn: the subscription is not confirmed yet.
        body = document
        headers = envelope.http_headers(envelope.SUBSCRIPTION_CONFIRMATION, message_id, topic_arn)
    else:
        subject = CONFIRMATION_SUBJECT
        body = (
            document
            if protocol == "email-json"
            else (
                f"You have chosen to subscribe to the topic:\n{topic_arn}\n\n"
                "To confirm this subscription, open the link below (if this was a mistake, do "
                f"nothing):\n{subscribe_url}\n"
            )
        )
    return OutboxEntry(
        subscription_arn=subscription_arn,
        topic_arn=topic_arn,
        protocol=protocol,
        endpoint=endpoint,
        kind=envelope.SUBSCRIPTION_CONFIRMATION,
        message_id=message_id,
        body=body,
        created_ms=timestamp_ms,
        headers=headers,
        subject=subject,
    )


def unsubscribe_confirmation(
    *,
    protocol: str,
    endpoint: str,
    subscription_arn: str,
    topic_arn: str,
    message_id: str,
    token: str,
    subscribe_url: str,
    timestamp_ms: int,
    signing: envelope.Signing,
) -> OutboxEntry:
    """The final cancellation message an HTTP/S endpoint receives when its subscription is
    deleted by someone other than its owner; its SubscribeURL restores the subscription."""
    body = envelope.unsubscribe_confirmation(
        message_id=message_id,
        topic_arn=topic_arn,
        subscription_arn=subscription_arn,
        token=token,
        subscribe_url=subscribe_url,
        timestamp_ms=timestamp_ms,
        signing=signing,
    )
    return OutboxEntry(
        subscription_arn=subscription_arn,
        topic_arn=topic_arn,
        protocol=protocol,
        endpoint=endpoint,
        kind=envelope.UNSUBSCRIBE_CONFIRMATION,
        message_id=message_id,
        body=body,
        created_ms=timestamp_ms,
        headers=envelope.http_headers(
            envelope.UNSUBSCRIBE_CONFIRMATION, message_id, topic_arn, subscription_arn
        ),
    )


def route(
    entries: list[OutboxEntry], *, relay_email: bool
) -> tuple[list[OutboxEntry], list[Recorded]]:
    """Which entries go to the outbox and which are recorded instead (email without an SMTP
    relay)."""
    if relay_email:
        return entries, []
    send = [e for e in entries if e.protocol not in protocols.EMAIL_PROTOCOLS]
    keep = [as_recorded(e) for e in entries if e.protocol in protocols.EMAIL_PROTOCOLS]
    return send, keep


def as_recorded(entry: OutboxEntry) -> Recorded:
    """An email densho records instead of sending (no SMTP relay configured)."""
    return Recorded(
        protocol=entry.protocol,
        endpoint=entry.endpoint,
        topic_arn=entry.topic_arn,
        subscription_arn=entry.subscription_arn,
        kind=entry.kind,
        message_id=entry.message_id,
        payload=entry.body,
        created_ms=entry.created_ms,
        seal=entry.seal,
        subject=entry.subject,
    )
