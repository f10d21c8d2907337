"""Rows to models and models to rows, shared by both stores (SQLite and PostgreSQL).

Owns: how a record becomes the argument dict of a named statement, and how a fetched row (in the
column order of the named queries, which both backends keep alike) becomes a model.
Must not know: a database driver; SQS or SNS semantics; HTTP; AWS errors.
"""

from __future__ import annotations

import base64
from dataclasses import asdict
from typing import Any

import orjson

from densho.core.seal import Seal
from densho.core.sns_model import (
    OutboxEntry,
    PlatformApp,
    PlatformEndpoint,
    Recorded,
    RecordedRow,
    Subscription,
    Token,
    Topic,
)
from densho.core.sqs_model import Attr, NewMessage, Queue, ReceivedMessage
from densho.storage.tx import Row


def dumps(value: dict[str, str]) -> str:
    """A string map as the JSON text its column holds."""
    return orjson.dumps(value).decode()


# --- message attributes ---


def attr_list(attrs: dict[str, Attr]) -> list[list[Any]]:
    """Attributes as JSON-ready ``[name, type, string, base64 binary]`` lists."""
    return [
        [
            name,
            a.data_type,
            a.string_value,
            None if a.binary_value is None else base64.b64encode(a.binary_value).decode(),
        ]
        for name, a in attrs.items()
    ]


def attrs_from_list(items: list[list[Any]]) -> dict[str, Attr]:
    """The inverse of ``attr_list``."""
    return {
        name: Attr(dtype, sval, None if bval is None else base64.b64decode(bval))
        for name, dtype, sval, bval in items
    }


def pack_attrs(attrs: dict[str, Attr]) -> bytes | None:
    if not attrs:
        return None
    return orjson.dumps(attr_list(attrs))


def unpack_attrs(blob: bytes | None) -> dict[str, Attr]:
    if not blob:
        return {}
    return attrs_from_list(orjson.loads(blob))


# --- queues and messages ---


def queue_from_row(row: Row) -> Queue:
    # id, account, name, region, attributes, tags, created_ms, modified_ms, purged_ms
    j = orjson.loads
    return Queue(row[0], row[1], row[2], row[3], j(row[4]), j(row[5]), row[6], row[7], row[8])


def message_row(queue_id: int, m: NewMessage) -> dict[str, Any]:
    """A message's row in ``messages``, as the named insert binds it."""
    return {
        "queue_id": queue_id,
        "message_id": m.message_id,
        "body": m.body,
        # No call for the attributes most messages lack (pack_attrs answers None for those).
        "attrs": pack_attrs(m.attributes) if m.attributes else None,
        "sys_attrs": pack_attrs(m.system_attributes) if m.system_attributes else None,
        "md5_body": m.md5_body,
        "md5_attrs": m.md5_attributes,
        "md5_sys": m.md5_system_attributes,
        "sender_id": m.sender_id,
        "sent_ms": m.sent_ms,
        "visible_ms": m.visible_ms,
        "group_id": m.group_id,
        "dedup_id": m.dedup_id,
        "fifo_seq": None,
    }


def received_from_row(r: Row) -> ReceivedMessage:
    # Positional, in the field order: keywords cost ~1.5 µs more for these 18 fields, and this
    # runs for every message received.
    return ReceivedMessage(
        r[1],  # message_id
        "",  # receipt_handle
        r[2],  # body
        r[5],  # md5_body
        unpack_attrs(r[3]) if r[3] else {},  # attributes (most messages have none)
        r[6],  # md5_attributes
        unpack_attrs(r[4]) if r[4] else {},  # system_attributes
        r[7],  # md5_system_attributes
        r[9],  # sent_ms
        r[11],  # first_receive_ms
        r[10],  # receive_count
        r[8],  # sender_id
        r[12] or None,  # group_id ('': a fair queue's message without a group)
        r[13],  # dedup_id
        r[14],  # sequence_number
        r[0],  # row
        r[16],  # nonce
        r[15],  # dead_letter_source_id
    )


# --- SNS ---


def topic_args(topic: Topic) -> dict[str, Any]:
    """The arguments of ``sns_topic_insert`` / ``sns_topic_get``."""
    return {**asdict(topic), "attributes": dumps(topic.attributes), "tags": dumps(topic.tags)}


def sub_args(sub: Subscription) -> dict[str, Any]:
    """The arguments of ``sns_sub_insert`` / ``sns_sub_find``."""
    return {**asdict(sub), "attributes": dumps(sub.attributes), "confirmed": int(sub.confirmed)}


# Rows to records: the columns of the named queries are in each record's field order.


def topic_from_row(row: Row) -> Topic:
    j = orjson.loads
    return Topic(row[0], row[1], row[2], row[3], j(row[4]), j(row[5]), row[6], row[7])


def sub_from_row(row: Row) -> Subscription:
    j = orjson.loads
    return Subscription(row[0], row[1], row[2], row[3], row[4], j(row[5]), bool(row[6]), row[7])


def outbox_row(entry: OutboxEntry, subscription_arn: str | None = None) -> dict[str, Any]:
    """An outbox row as ``sns_outbox_insert`` binds it, due at its creation;
    ``subscription_arn`` overrides the entry's."""
    return {
        "subscription_arn": subscription_arn or entry.subscription_arn,
        "topic_arn": entry.topic_arn,
        "protocol": entry.protocol,
        "endpoint": entry.endpoint,
        "kind": entry.kind,
        "message_id": entry.message_id,
        "payload": outbox_payload(entry),
        "created_ms": entry.created_ms,
        "due_ms": entry.created_ms,
    }


def recorded_row(
    r: Recorded, subscription_arn: str | None = None, now_ms: int | None = None
) -> dict[str, Any]:
    """A recorded delivery as ``sns_recorded_insert`` binds it; ``now_ms`` None records it at
    its creation time, ``subscription_arn`` overrides its own."""
    return {
        "protocol": r.protocol,
        "endpoint": r.endpoint,
        "topic_arn": r.topic_arn,
        "subscription_arn": subscription_arn or r.subscription_arn,
        "kind": r.kind,
        "message_id": r.message_id,
        "subject": r.subject,
        "payload": r.payload,
        "created_ms": r.created_ms,
        "recorded_ms": r.created_ms if now_ms is None else now_ms,
    }


def token_row(token: Token, subscription_arn: str | None = None) -> dict[str, Any]:
    """A confirmation token as ``sns_token_insert`` binds it; ``subscription_arn`` overrides
    its own."""
    return {**asdict(token), "subscription_arn": subscription_arn or token.subscription_arn}


def outbox_payload(entry: OutboxEntry) -> str:
    """The ``payload`` column of an outbox row: what of the entry is not a column of its own."""
    document: dict[str, Any] = {"body": entry.body}
    if entry.headers:
        document["headers"] = [list(h) for h in entry.headers]
    if entry.subject is not None:
        document["subject"] = entry.subject
    if entry.attributes:
        document["attributes"] = attr_list(entry.attributes)
    return orjson.dumps(document).decode()


def outbox_entry(row: Row, seal: Seal | None = None) -> OutboxEntry:
    # row: subscription_arn, topic_arn, protocol, endpoint, kind, message_id, payload, created_ms
    document = orjson.loads(row[6])
    return OutboxEntry(
        subscription_arn=row[0],
        topic_arn=row[1],
        protocol=row[2],
        endpoint=row[3],
        kind=row[4],
        message_id=row[5],
        body=document["body"],
        created_ms=row[7],
        headers=[(k, v) for k, v in document.get("headers", [])],
        subject=document.get("subject"),
        attributes=attrs_from_list(document.get("attributes", [])),
        seal=seal,
    )


def recorded_from_row(row: Row) -> RecordedRow:
    return RecordedRow(row[0], row[1], Recorded(*row[2:]))


# --- SNS management ---


def app_from_row(row: Row) -> PlatformApp:
    j = orjson.loads
    return PlatformApp(row[0], row[1], row[2], row[3], row[4], j(row[5]), j(row[6]), row[7])


def endpoint_from_row(row: Row) -> PlatformEndpoint:
    return PlatformEndpoint(row[0], row[1], row[2], orjson.loads(row[3]), row[4])
