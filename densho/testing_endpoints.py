"""Endpoints for test suites: densho's reset, and the helper paths of moto and LocalStack that
test fixtures call (so suites written for them keep working).

Owns: ``POST /_densho/reset`` (and moto's ``POST /moto-api/reset``, the same), LocalStack's
``GET /_localstack/health``, and when they are served: always without authentication; with it,
only under ``--allow-test-endpoints`` and then to signed requests (any configured key) —
otherwise they answer 404, as if absent.
Must not know: SQL (``Store.reset`` deletes), protocol encodings, other densho endpoints.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

import orjson

import densho
from densho.protocol.errors import AwsError
from densho.protocol.http import HttpRequest
from densho.protocol.sigv4 import Verifier

RESET = "/_densho/reset"
MOTO_RESET = "/moto-api/reset"
LOCALSTACK_HEALTH = "/_localstack/health"
PATHS = frozenset({RESET, MOTO_RESET, LOCALSTACK_HEALTH})
JSON = b"application/json"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content_type: bytes
    body: bytes


def _not_found() -> Answer:
    return Answer(404, JSON, orjson.dumps({"message": "not found"}))


async def handle(
    app: Any, request: HttpRequest, verifier: Verifier | None, allowed: bool
) -> Answer:
    """``app``: the server's App (its store and engines). ``verifier``: None without
    authentication; ``allowed``: --allow-test-endpoints."""
    if verifier is not None:
        if not allowed:
            return _not_found()
        try:
            verifier.verify(request, None)
        except AwsError as err:
            return Answer(403, JSON, orjson.dumps({"__type": err.code, "message": err.message}))
    if request.path == LOCALSTACK_HEALTH:
        if request.method not in ("GET", "HEAD"):
            return _not_found()
        return Answer(200, JSON, orjson.dumps(_health()))
    if request.method != "POST":
        return Answer(405, JSON, orjson.dumps({"message": "use POST"}))
    query = urllib.parse.parse_qs(request.query_string.decode("latin-1"))
    account = query.get("account", [None])[0]
    region = query.get("region", [None])[0]
    counts = await reset(app, account, region)
    if request.path == MOTO_RESET:
        return Answer(200, JSON, orjson.dumps({"status": "ok"}))  # moto's answer, as it is
    deleted = {
        "queues": counts.queues,
        "topics": counts.topics,
        "subscriptions": counts.subscriptions,
        "messages": counts.messages,
    }
    return Answer(200, JSON, orjson.dumps({"reset": True, "deleted": deleted}))


async def reset(app: Any, account: str | None, region: str | None) -> Any:
    """Delete, then drop every cache of what was deleted; waiting long polls answer empty."""
    everything = account is None and region is None
    if everything:
        await app.moves.stop_all()  # their rows go; a filtered reset's runners find theirs gone
    counts = await app.store.reset(account, region)
    app.engine.reset()
    app.sns.reset()
    return counts


def _health() -> dict[str, Any]:
    """LocalStack's health document, for the two services densho serves."""
    return {
        "services": {"sqs": "running", "sns": "running"},
        "edition": "community",
        "version": densho.__version__,
    }
