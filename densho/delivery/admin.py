"""densho's own HTTP endpoints for SNS delivery, under ``/_densho/sns/``.

Owns: ``GET /_densho/sns/cert/<SigningCertURL file name>`` (the signing certificate, PEM, so
standard SNS message validators can fetch it), ``GET /_densho/sns/recorded`` (deliveries densho
recorded instead of sending, as a JSON list, oldest first; filters ``protocol``, ``endpoint``,
``topic_arn``; ``limit``, default 1000, keeps the newest), ``DELETE /_densho/sns/recorded``
(forget them) and ``GET /_densho/sns/outbox`` (HTTP/S and email deliveries still owed, next due
first; ``limit``, default 1000) — and the data functions behind them, which the console shows
too (``recorded_rows``, ``outbox_rows``).
Must not know: ASGI, SQL, the AWS wire protocols.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import orjson

from densho.core.sns_model import Pending, RecordedRow
from densho.sns import envelope
from densho.sns.engine import SnsEngine
from densho.sns.outbox.deliveries import Deliveries

PREFIX = "/_densho/sns/"
CERT_PREFIX = PREFIX + "cert/"
RECORDED = PREFIX + "recorded"
OUTBOX = PREFIX + "outbox"
MAX_LIMIT = 100_000

JSON = b"application/json"
TEXT = b"text/plain; charset=utf-8"
PEM = b"application/x-pem-file"

Answer = tuple[int, bytes, bytes]  # status, content type, body


def is_public(path: str) -> bool:
    """The signing certificate is public (validators fetch it unsigned), as AWS's is."""
    return path.startswith(CERT_PREFIX)


def _json(status: int, document: Any) -> Answer:
    return status, JSON, orjson.dumps(document)


def _row(row: RecordedRow) -> dict[str, Any]:
    d = row.delivery
    return {
        "id": row.row_id,
        "protocol": d.protocol,
        "endpoint": d.endpoint,
        "topicArn": d.topic_arn,
        "subscriptionArn": d.subscription_arn,
        "type": d.kind,
        "messageId": d.message_id,
        "subject": d.subject,
        "payload": d.payload,
        "timestamp": envelope.iso_timestamp(d.created_ms),
        "timestampMs": d.created_ms,
        "recordedMs": row.recorded_ms,
    }


def _pending(row: Pending) -> dict[str, Any]:
    return {
        "id": row.row_id,
        "protocol": row.protocol,
        "endpoint": row.endpoint,
        "topicArn": row.topic_arn,
        "subscriptionArn": row.subscription_arn,
        "type": row.kind,
        "messageId": row.message_id,
        "timestampMs": row.created_ms,
        "nextAttemptMs": row.due_ms,
        "attempts": row.attempts,
        "lastError": row.last_error,
    }


async def recorded_rows(
    deliveries: Deliveries,
    protocol: str | None = None,
    endpoint: str | None = None,
    topic_arn: str | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """The newest ``limit`` recorded deliveries matching the filters, oldest first."""
    return [_row(r) for r in await deliveries.recorded(protocol, endpoint, topic_arn, limit)]


async def outbox_rows(deliveries: Deliveries, limit: int = 1000) -> list[dict[str, Any]]:
    """Up to ``limit`` deliveries still owed, next due first."""
    return [_pending(r) for r in await deliveries.pending(limit)]


def _limit(query: bytes) -> tuple[dict[str, str], int]:
    """The query's parameters and its ``limit``; ValueError when either is malformed."""
    try:
        params = {k: v[-1] for k, v in parse_qs(query.decode("utf-8")).items()}
        limit = int(params.get("limit", "1000"))
    except ValueError:  # UnicodeDecodeError is one
        raise ValueError("Bad query string") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError("limit must be between 1 and 100000")
    return params, limit


async def handle(
    method: str, path: str, query: bytes, engine: SnsEngine, deliveries: Deliveries
) -> Answer:
    if path.startswith(CERT_PREFIX):
        if method not in ("GET", "HEAD"):
            return 405, TEXT, b"Method not allowed"
        signer = engine.signatures.signer()
        if path[len(CERT_PREFIX) :] != signer.certificate_file_name:
            return 404, TEXT, b"No such certificate"
        return 200, PEM, signer.certificate_pem()
    if path == RECORDED and method == "DELETE":
        return _json(200, {"deleted": await deliveries.clear_recorded()})
    if path == RECORDED:
        return await _listing(
            method,
            query,
            lambda params, limit: recorded_rows(
                deliveries,
                params.get("protocol"),
                params.get("endpoint"),
                params.get("topic_arn"),
                limit,
            ),
        )
    if path == OUTBOX:
        return await _listing(method, query, lambda _, limit: outbox_rows(deliveries, limit))
    return 404, TEXT, b"Not found"


async def _listing(
    method: str,
    query: bytes,
    rows: Callable[[dict[str, str], int], Awaitable[list[dict[str, Any]]]],
) -> Answer:
    """A GET of a JSON list: the method checked, the query's ``limit`` read, ``rows`` asked."""
    if method != "GET":
        return 405, TEXT, b"Method not allowed"
    try:
        params, limit = _limit(query)
    except ValueError as exc:
        return 400, TEXT, str(exc).encode()
    return _json(200, await rows(params, limit))
