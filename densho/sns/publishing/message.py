"""What one published message is, validated.

Owns: AWS's rules on Publish / PublishBatch entries (message, subject, structure, message
attributes, size, FIFO ids) and the views of a valid message that filtering and delivery use
(per-protocol texts, filter attributes, the parsed JSON body, FIFO ids).
Must not know: the wire, storage, subscriptions.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from densho.core.sqs_model import Attr
from densho.sns.errors import (
    AttributeRefusal,
    Refusal,
    SnsInvalidMessageAttribute,
    SnsInvalidParameter,
)
from densho.sqs.messages import invalid_character

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
    # The publisher's X-Ray trace header: SQS deliveries carry it as AWSTraceHeader.
    trace_header: str | None = None


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
    """Validate ``m`` for a topic; raises ``SnsInvalidParameter`` or
    ``SnsInvalidMessageAttribute``."""
    if m.message == "":
        raise SnsInvalidParameter("Message", Refusal.EMPTY_MESSAGE)
    if invalid_character(m.message) is not None:  # as SQS: XML 1.0's characters only
        raise SnsInvalidParameter("Message", Refusal.INVALID_CHARACTERS)
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
        raise SnsInvalidParameter("Message", Refusal.MESSAGE_TOO_LONG)
    group_id, dedup_id = _fifo_ids(m, fifo=fifo, content_dedup=content_dedup)
    body = per_protocol["default"] if per_protocol is not None else m.message
    return Checked(m, per_protocol, filter_attrs, _payload(body), size, group_id, dedup_id)


def _structure(m: Message) -> dict[str, str]:
    if m.structure != "json":
        raise SnsInvalidParameter("MessageStructure")
    try:
        doc = json.loads(m.message)
    except ValueError:
        raise SnsInvalidParameter("Message", Refusal.STRUCTURE_NOT_JSON) from None
    if not isinstance(doc, dict) or "default" not in doc:
        raise SnsInvalidParameter("Message", Refusal.STRUCTURE_NO_DEFAULT)
    out: dict[str, str] = {}
    for key, value in doc.items():
        if not isinstance(value, str):
            raise SnsInvalidParameter("Message", Refusal.STRUCTURE_NOT_STRINGS)
        out[key] = value
    return out


def _check_attribute_name(name: str) -> None:
    """AWS's refusals of a message attribute name, in the order AWS checks them."""
    if len(name.encode()) > 256:
        raise SnsInvalidMessageAttribute(AttributeRefusal.NAME_TOO_LONG, name)
    if name.startswith("."):
        raise SnsInvalidMessageAttribute(AttributeRefusal.NAME_LEADING_DOT, name)
    if name.endswith("."):
        raise SnsInvalidMessageAttribute(AttributeRefusal.NAME_TRAILING_DOT, name)
    for char in name:
        if not (char.isascii() and (char.isalnum() or char in "_.-")):
            raise SnsInvalidMessageAttribute(AttributeRefusal.NAME_CHARACTER, name, character=char)
    if ".." in name:
        raise SnsInvalidMessageAttribute(AttributeRefusal.NAME_SUCCESSIVE_DOTS, name)
    if not name or name.startswith(("AWS.", "Amazon.")):
        raise SnsInvalidMessageAttribute(AttributeRefusal.NAME_RESERVED, name)


def _check_attributes(attrs: Mapping[str, Attr]) -> dict[str, tuple[str, object]]:
    view: dict[str, tuple[str, object]] = {}
    for name, a in attrs.items():
        _check_attribute_name(name)
        base = a.data_type.split(".", 1)[0]
        if base not in _TYPES:
            raise SnsInvalidMessageAttribute(AttributeRefusal.TYPE, name, a.data_type)
        # A value given only in the other field (StringValue for Binary, BinaryValue else).
        used, other = (
            (a.binary_value, a.string_value)
            if base == "Binary"
            else (a.string_value, a.binary_value)
        )
        if used is None and other is not None:
            raise SnsInvalidMessageAttribute(AttributeRefusal.WRONG_FIELD, name, a.data_type)
        if base == "Binary":
            if not a.binary_value:
                raise SnsInvalidMessageAttribute(AttributeRefusal.EMPTY_VALUE, name, a.data_type)
            view[name] = (a.data_type, "")
            continue
        value = a.string_value
        if value is None or value == "":
            raise SnsInvalidMessageAttribute(AttributeRefusal.EMPTY_VALUE, name, a.data_type)
        if base == "Number":
            try:
                Decimal(value)
            except InvalidOperation:
                raise SnsInvalidMessageAttribute(
                    AttributeRefusal.NOT_A_NUMBER, name, a.data_type
                ) from None
        if a.data_type == "String.Array":
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
            if not isinstance(parsed, list):
                raise SnsInvalidMessageAttribute(AttributeRefusal.NOT_AN_ARRAY, name, a.data_type)
        view[name] = (a.data_type, value)
    return view


def _fifo_ids(m: Message, *, fifo: bool, content_dedup: bool) -> tuple[str | None, str | None]:
    for parameter, value in (
        ("MessageGroupId", m.group_id),
        ("MessageDeduplicationId", m.dedup_id),
    ):
        if value is not None and not _FIFO_ID.fullmatch(value):
            raise SnsInvalidParameter(parameter, Refusal.FIFO_ID_CHARACTERS)
    if not fifo:
        if m.dedup_id is not None:
            raise SnsInvalidParameter("MessageDeduplicationId", Refusal.DEDUP_ID_ON_STANDARD_TOPIC)
        return m.group_id, None  # standard topics pass a group on (fair queues)
    if m.group_id is None:
        raise SnsInvalidParameter("MessageGroupId", Refusal.GROUP_ID_REQUIRED)
    if m.dedup_id is not None:
        return m.group_id, m.dedup_id
    if not content_dedup:
        raise SnsInvalidParameter("MessageDeduplicationId", Refusal.DEDUP_ID_REQUIRED)
    return m.group_id, hashlib.sha256(m.message.encode("utf-8")).hexdigest()


def _payload(body: str) -> dict[str, object] | None:
    if not body.lstrip().startswith("{"):
        return None
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None
