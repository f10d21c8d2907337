"""What one published message is, validated, and what each SQS subscription receives of it.

Owns: AWS's rules on Publish / PublishBatch entries (message, subject, structure, message
attributes, size, FIFO ids), filter matching of one message against a subscription, and the
body + attributes of its SQS delivery (the Notification envelope, or raw).
Must not know: the wire, storage, queues (the engine resolves them).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from densho.core.sqs_model import Attr
from densho.sns import envelope
from densho.sns.errors import SnsInvalidParameter, SnsInvalidParameterValue
from densho.sns.filter.policy import MESSAGE_BODY, FilterPolicy

MAX_MESSAGE_BYTES = 262_144  # message plus attributes
_FIFO_ID = re.compile(r"[\x21-\x7e]{1,128}")
_TYPES = ("String", "Number", "Binary")


@dataclass(slots=True)
class Message:
    """One message a caller publishes (already decoded from the wire)."""

    message: str
    subject: str | None = None
    structure: str | None = None  # "json" or None
    attributes: dict[str, Attr] = field(default_factory=dict)
    group_id: str | None = None
    dedup_id: str | None = None


@dataclass(frozen=True, slots=True)
class Checked:
    """A validated message: per-protocol texts, the filter view of its attributes, FIFO ids."""

    source: Message
    per_protocol: dict[str, str] | None  # MessageStructure=json: protocol -> message
    filter_attributes: dict[str, tuple[str, object]]
    payload: dict[str, object] | None  # the message parsed as a JSON object (body filtering)
    size: int
    group_id: str | None
    dedup_id: str | None

    def text_for(self, protocol: str) -> str:
        if self.per_protocol is None:
            return self.source.message
        return self.per_protocol.get(protocol, self.per_protocol["default"])


def size_of(m: Message) -> int:
    size = len(m.message.encode("utf-8"))
    for name, a in m.attributes.items():
        size += len(name.encode()) + len(a.data_type.encode())
        size += (
            len(a.binary_value)
            if a.binary_value is not None
            else len((a.string_value or "").encode())
        )
    return size


def check(m: Message, *, fifo: bool, content_dedup: bool) -> Checked:
    """Validate ``m`` for a topic; raises ``SnsInvalidParameter`` / ``SnsInvalidParameterValue``."""
    if m.message == "":
        raise SnsInvalidParameter("Empty message")
    if m.subject is not None and (
        not m.subject
        or len(m.subject) > 100
        or not m.subject.isascii()
        or any(c in m.subject for c in "\r\n")
    ):
        raise SnsInvalidParameter("Subject")
    per_protocol = _structure(m) if m.structure is not None else None
    filter_attrs = _check_attributes(m.attributes)
    size = size_of(m)
    if size > MAX_MESSAGE_BYTES:
        raise SnsInvalidParameter("Message too long")
    group_id, dedup_id = _fifo_ids(m, fifo=fifo, content_dedup=content_dedup)
    body = per_protocol["default"] if per_protocol is not None else m.message
    return Checked(m, per_protocol, filter_attrs, _payload(body), size, group_id, dedup_id)


def _structure(m: Message) -> dict[str, str]:
    if m.structure != "json":
        raise SnsInvalidParameter("MessageStructure")
    try:
        doc = json.loads(m.message)
    except ValueError:
        raise SnsInvalidParameter("Message Structure - JSON message body failed to parse") from None
    if not isinstance(doc, dict) or "default" not in doc:
        raise SnsInvalidParameter("Message Structure - No default entry in JSON message body")
    out: dict[str, str] = {}
    for key, value in doc.items():
        if not isinstance(value, str):
            raise SnsInvalidParameter(
                "Message Structure - Message must be a string for each protocol"
            )
        out[key] = value
    return out


def _check_attribute_name(name: str) -> None:
    """AWS's refusals of a message attribute name, in its words (recorded against AWS in
    LocalStack's SNS snapshots, test_empty_or_wrong_message_attributes)."""
    if len(name.encode()) > 256:
        raise SnsInvalidParameterValue(
            "Length of message attribute name must be less than 256 bytes."
        )
    if name.startswith("."):
        raise SnsInvalidParameterValue(
            "Invalid message attribute name starting with character '.' was found."
        )
    if name.endswith("."):
        raise SnsInvalidParameterValue(
            "Invalid message attribute name ending with character '.' was found."
        )
    for char in name:
        if not (char.isascii() and (char.isalnum() or char in "_.-")):
            raise SnsInvalidParameterValue(
                f"Invalid non-alphanumeric character '#x{ord(char):X}' was found in the message "
                "attribute name. Can only include alphanumeric characters, hyphens, underscores, "
                "or dots."
            )
    if ".." in name:
        raise SnsInvalidParameterValue(
            "Message attribute name can not have successive '.' character."
        )
    if not name or name.startswith(("AWS.", "Amazon.")):
        raise SnsInvalidParameterValue(f"The message attribute name '{name}' is invalid.")


def _check_attributes(attrs: Mapping[str, Attr]) -> dict[str, tuple[str, object]]:
    view: dict[str, tuple[str, object]] = {}
    for name, a in attrs.items():
        _check_attribute_name(name)
        base = a.data_type.split(".", 1)[0]
        if base not in _TYPES:
            raise SnsInvalidParameterValue(
                f"The message attribute '{name}' has an invalid message attribute type, the set "
                "of supported type prefixes is Binary, Number, and String."
            )
        # A value given only in the other field (StringValue for Binary, BinaryValue else).
        field = "Binary" if base == "Binary" else "String"
        used, other = (
            (a.binary_value, a.string_value)
            if field == "Binary"
            else (a.string_value, a.binary_value)
        )
        if used is None and other is not None:
            raise SnsInvalidParameterValue(
                f"The message attribute '{name}' with type '{a.data_type}' must use field "
                f"'{field}'."
            )
        if base == "Binary":
            if not a.binary_value:
                raise SnsInvalidParameterValue(
                    f"The message attribute '{name}' must contain non-empty message attribute "
                    f"value for message attribute type '{a.data_type}'."
                )
            view[name] = (a.data_type, "")
            continue
        value = a.string_value
        if value is None or value == "":
            raise SnsInvalidParameterValue(
                f"The message attribute '{name}' must contain non-empty message attribute value "
                f"for message attribute type '{a.data_type}'."
            )
        if base == "Number":
            try:
                Decimal(value)
            except InvalidOperation:
                raise SnsInvalidParameterValue(
                    f"Could not cast message attribute '{name}' value to number."
                ) from None
        if a.data_type == "String.Array":
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            if not isinstance(parsed, list):
                raise SnsInvalidParameterValue(
                    f"The message attribute '{name}' with type 'String.Array' must contain a "
                    "JSON array."
                )
        view[name] = (a.data_type, value)
    return view


def _fifo_ids(m: Message, *, fifo: bool, content_dedup: bool) -> tuple[str | None, str | None]:
    for parameter, value in (
        ("MessageGroupId", m.group_id),
        ("MessageDeduplicationId", m.dedup_id),
    ):
        if value is not None and not _FIFO_ID.fullmatch(value):
            raise SnsInvalidParameter(
                f"{parameter} Reason: {parameter} can only include alphanumeric and punctuation "
                "characters. 1 to 128 in length."
            )
    if not fifo:
        if m.dedup_id is not None:
            raise SnsInvalidParameter(
                "MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
                "parameter that is not valid for this topic type"
            )
        return m.group_id, None  # standard topics pass a group on (fair queues)
    if m.group_id is None:
        raise SnsInvalidParameter("The MessageGroupId parameter is required for FIFO topics")
    if m.dedup_id is not None:
        return m.group_id, m.dedup_id
    if not content_dedup:
        raise SnsInvalidParameter(
            "The topic should either have ContentBasedDeduplication enabled or "
            "MessageDeduplicationId provided explicitly"
        )
    return m.group_id, hashlib.sha256(m.message.encode("utf-8")).hexdigest()


def _payload(body: str) -> dict[str, object] | None:
    if not body.lstrip().startswith("{"):
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def matches(policy: FilterPolicy | None, c: Checked) -> bool:
    """Whether a subscription with ``policy`` (None: no policy) receives the message."""
    if policy is None:
        return True
    if policy.scope == MESSAGE_BODY:
        return c.payload is not None and policy.matches_payload(c.payload)
    return policy.matches_attributes(c.filter_attributes)


@dataclass(frozen=True, slots=True)
class SqsBody:
    body: str
    attributes: dict[str, Attr]


def sqs_raw(c: Checked) -> SqsBody:
    """What a raw ``sqs`` subscription receives: the message itself, its SNS message
    attributes as SQS message attributes."""
    return SqsBody(c.text_for("sqs"), dict(c.source.attributes))


def sqs_notification(
    c: Checked,
    *,
    message_id: str,
    topic_arn: str,
    timestamp_ms: int,
    signing: envelope.Signing | None,
    sequence_number: str | None,
) -> envelope.Notification:
    """The envelope every non-raw ``sqs`` subscription receives, but for its UnsubscribeURL."""
    return envelope.notification_template(
        message_id=message_id,
        topic_arn=topic_arn,
        message=c.text_for("sqs"),
        timestamp_ms=timestamp_ms,
        signing=signing,
        subject=c.source.subject,
        attributes=c.source.attributes or None,
        sequence_number=sequence_number,
    )
