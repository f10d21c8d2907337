"""Fan-out, pure: one published message and a topic's subscriptions in, every delivery out.

Owns: which confirmed subscriptions a message reaches (their filter policies), and what each
one receives — for SQS subscriptions the body and message attributes of the SQS message (the
Notification envelope, rendered and signed once per publish, or the raw message), for HTTP/S
and email an outbox entry, for the rest a recorded delivery.
Must not know: I/O of any kind — queues (the publisher resolves each SQS send to its queue),
storage, the signing process (a signature is made ahead or inline by the given signer), time
and ids (the publication carries them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from densho.core.sns_model import OutboxEntry, Recorded
from densho.core.sqs_model import Attr
from densho.sns import envelope, payloads, protocols
from densho.sns.filter.policy import MESSAGE_BODY
from densho.sns.publishing.message import Checked
from densho.sns.views import SubscriptionView
from densho.sqs.md5 import SharedPrefix
from densho.sqs.messages import invalid_character


@dataclass(slots=True)
class Publication:
    """What every delivery of one published message shares. (This and ``SqsSend`` are built
    per publish: plain dataclasses, as a frozen one's ``__init__`` costs several times more.)"""

    message: Checked
    topic_arn: str
    message_id: str
    timestamp_ms: int
    sequence_number: str | None  # FIFO topics: the SequenceNumber as the wire shows it
    endpoint: str  # the service URL the publisher used (UnsubscribeURL)
    signing: envelope.Signing | None  # None: unsigned (FIFO topics; raw SQS deliveries only)
    relay_email: bool  # emails go to the outbox (an SMTP relay is configured) or are recorded
    # The SQS envelope's Signature when made ahead (``Signatures.sign_ahead``): rendering takes
    # it as it is instead of rebuilding the string to sign to look it up.
    signature: str | None = None


@dataclass(slots=True)
class SqsSend:
    """One SQS message owed to one ``sqs`` subscription's queue."""

    subscription: SubscriptionView
    body: str
    attributes: dict[str, Attr]
    # The body holds only characters SQS accepts (``invalid_character``): checked per publish
    # for what the deliveries share, per delivery only for its own UnsubscribeURL. False: not
    # known, the queue checks it.
    checked: bool = False
    md5_body: str | None = None  # the body's MD5OfMessageBody, when made here


@dataclass(slots=True)
class Fanout:
    sqs: list[SqsSend] = field(default_factory=list)
    outbox: list[OutboxEntry] = field(default_factory=list)  # HTTP/S and email, sent later
    recorded: list[Recorded] = field(default_factory=list)  # kept, never sent


def reaches(view: SubscriptionView, c: Checked) -> bool:
    """Whether a subscription receives the message: confirmed, and its filter policy (if any)
    matches."""
    if not view.sub.confirmed:
        return False
    policy = view.filter
    if policy is None:
        return True
    if policy.scope == MESSAGE_BODY:
        return c.payload is not None and policy.matches_payload(c.payload)
    return policy.matches_attributes(c.filter_attributes)


def signed(fifo: bool, reached: Sequence[SubscriptionView]) -> bool:
    """Whether the deliveries are signed: a standard topic signs everything but raw SQS
    deliveries; a FIFO topic signs nothing."""
    return not fifo and any(v.sub.protocol != "sqs" or not v.raw for v in reached)


def sqs_envelope_signed(fifo: bool, reached: Sequence[SubscriptionView]) -> bool:
    """Whether the signed SQS envelope is rendered (its signature is worth making ahead)."""
    return not fifo and any(v.sub.protocol == "sqs" and not v.raw for v in reached)


def fan_out(p: Publication, reached: Sequence[SubscriptionView]) -> Fanout:
    """Every delivery of the publication to the subscriptions it ``reaches``, in their order."""
    out = Fanout()
    c = p.message
    template: envelope.Notification | None = None  # the SQS envelope, rendered once
    shared_valid = False  # the template's characters are all valid in SQS
    digests: SharedPrefix | None = None  # the envelopes' MD5s, the template's head hashed once
    for view in reached:
        sub = view.sub
        if sub.protocol != "sqs":
            _outside(out, p, view)
        elif view.raw:
            # A message without MessageStructure was checked whole (``check``); a protocol's
            # text from a JSON structure was not.
            text = c.text_for("sqs")
            attributes = dict(c.source.attributes)
            out.sqs.append(SqsSend(view, text, attributes, checked=c.per_protocol is None))
        else:
            if template is None:
                template = envelope.notification_template(
                    message_id=p.message_id,
                    topic_arn=p.topic_arn,
                    message=c.text_for("sqs"),
                    timestamp_ms=p.timestamp_ms,
                    signing=p.signing,
                    subject=c.source.subject,
                    attributes=c.source.attributes or None,
                    sequence_number=p.sequence_number,
                    signature=p.signature,
                )
                shared_valid = (
                    invalid_character(template.head) is None
                    and invalid_character(template.tail) is None
                )
                digests = SharedPrefix(template.head)
            url = envelope.unsubscribe_url(p.endpoint, sub.arn)
            # Escaping in the document only takes characters out: a valid URL stays valid.
            valid = shared_valid and invalid_character(url) is None
            body = template.for_subscription(url)
            assert digests is not None  # made with the template
            md5 = digests.md5_of_body(body[len(template.head) :])
            out.sqs.append(SqsSend(view, body, {}, checked=valid, md5_body=md5))
    return out


def _outside(out: Fanout, p: Publication, view: SubscriptionView) -> None:
    """The delivery to a subscriber outside densho: an outbox row (HTTP/S, email with a
    relay) or a recorded delivery (the rest)."""
    sub = view.sub
    assert p.signing is not None  # FIFO topics have SQS subscriptions only
    to = payloads.Addressed(
        protocol=sub.protocol,
        endpoint=sub.endpoint,
        subscription_arn=sub.arn,
        topic_arn=p.topic_arn,
        message_id=p.message_id,
        timestamp_ms=p.timestamp_ms,
        unsubscribe_url=envelope.unsubscribe_url(p.endpoint, sub.arn),
        signing=p.signing,
    )
    if sub.protocol in protocols.HTTP_PROTOCOLS:
        assert view.delivery is not None  # an HTTP/S subscription's view has its policy
        out.outbox.append(
            payloads.http_notification(
                p.message, to, raw=view.raw, content_type=view.delivery.header_content_type
            )
        )
    elif sub.protocol in protocols.EMAIL_PROTOCOLS:
        send, keep = payloads.route(
            [payloads.email_notification(p.message, to)], relay_email=p.relay_email
        )
        out.outbox.extend(send)
        out.recorded.extend(keep)
    else:
        out.recorded.append(payloads.recorded_notification(p.message, to, raw=view.raw))
