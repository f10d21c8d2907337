"""Endpoints for test suites: densho's reset, and the helper paths of moto and LocalStack that
test fixtures call (so suites written for them keep working).

Owns: ``POST /_densho/reset`` (and moto's ``POST /moto-api/reset``, the same), LocalStack's
``GET /_localstack/health`` and its SQS developer endpoint ``GET /_aws/sqs/messages`` (a queue's
messages, read without changing them: ``SqsEngine.browse``, as the console does); and when they
are served: always without authentication; with it, only under ``--allow-test-endpoints`` and
then to signed requests (any configured key) — otherwise they answer 404, as if absent.
Must not know: SQL (``Store.reset`` deletes), the AWS wire protocols (these answers are
LocalStack's and moto's own shapes), densho's other endpoints.
"""

from __future__ import annotations

import base64
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from xml.sax.saxutils import escape

import orjson

import densho
from densho.config_declared import REGION
from densho.core.sqs_model import Attr, PeekCursor, ReceivedMessage
from densho.protocol.detect import header_scope
from densho.protocol.errors import AwsError
from densho.protocol.http import HttpRequest
from densho.protocol.sigv4 import Verifier
from densho.sqs.browse import MAX_PAGE

if TYPE_CHECKING:
    from densho.core.store import ResetCounts
    from densho.sns.engine import SnsEngine
    from densho.sqs.engine import SqsEngine
    from densho.sqs.move_tasks import MoveTasks
    from densho.storage.base import Store

RESET = "/_densho/reset"
MOTO_RESET = "/moto-api/reset"
LOCALSTACK_HEALTH = "/_localstack/health"
LOCALSTACK_MESSAGES = "/_aws/sqs/messages"
PATHS = frozenset({RESET, MOTO_RESET, LOCALSTACK_HEALTH, LOCALSTACK_MESSAGES})
# LocalStack's stand-in for a receipt handle: a peek receives nothing.
BACKDOOR_HANDLE = "SQS/BACKDOOR/ACCESS"
MAX_PEEKED = 1000  # messages one answer lists at most (pages of Browse.peek)
JSON = b"application/json"
XML = b"text/xml"
SQS_XMLNS = "http://queue.amazonaws.com/doc/2012-11-05/"


class Services(Protocol):
    """What these endpoints reach of the server: its store, engines and move tasks."""

    @property
    def store(self) -> Store: ...
    @property
    def engine(self) -> SqsEngine: ...
    @property
    def sns(self) -> SnsEngine: ...
    @property
    def moves(self) -> MoveTasks: ...


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content_type: bytes
    body: bytes


def refusal(request: HttpRequest, verifier: Verifier | None, allowed: bool) -> Answer | None:
    """The one rule of every test endpoint (these, and the clock's): served to anyone without
    authentication; with it, hidden (404) unless ``--allow-test-endpoints``, and then only to
    signed requests (any configured key). None: serve it."""
    if verifier is None:
        return None
    if not allowed:
        return _not_found()
    try:
        verifier.verify(request, None)
    except AwsError as err:
        return Answer(403, JSON, orjson.dumps({"__type": err.code, "message": err.message}))
    return None


def _not_found() -> Answer:
    return Answer(404, JSON, orjson.dumps({"message": "not found"}))


async def handle(services: Services, request: HttpRequest, default_region: str) -> Answer:
    """Answer one of ``PATHS``; the caller has applied ``refusal`` already. ``default_region``:
    the server's (``--region``), the region of an unsigned peek whose queue URL names none."""
    if request.path == LOCALSTACK_MESSAGES:
        if request.method != "GET":
            return _not_found()
        return await _messages(services, request, default_region)
    if request.path == LOCALSTACK_HEALTH:
        if request.method not in ("GET", "HEAD"):
            return _not_found()
        return Answer(200, JSON, orjson.dumps(_health()))
    if request.method != "POST":
        return Answer(405, JSON, orjson.dumps({"message": "use POST"}))
    query = urllib.parse.parse_qs(request.query_string.decode("latin-1"))
    account = query.get("account", [None])[0]
    region = query.get("region", [None])[0]
    counts = await reset(services, account, region)
    if request.path == MOTO_RESET:
        return Answer(200, JSON, orjson.dumps({"status": "ok"}))  # moto's answer, as it is
    deleted = {
        "queues": counts.queues,
        "topics": counts.topics,
        "subscriptions": counts.subscriptions,
        "messages": counts.messages,
    }
    return Answer(200, JSON, orjson.dumps({"reset": True, "deleted": deleted}))


async def reset(services: Services, account: str | None, region: str | None) -> ResetCounts:
    """Delete, then drop every cache of what was deleted; waiting long polls answer empty."""
    everything = account is None and region is None
    if everything:
        # Their rows go; a filtered reset's runners find theirs gone.
        await services.moves.stop_all()
    counts = await services.store.reset(account, region)
    services.engine.reset()
    services.sns.reset()
    return counts


async def _messages(services: Services, request: HttpRequest, default_region: str) -> Answer:
    """LocalStack's peek: a ReceiveMessage answer (JSON when the client accepts it, else XML)
    listing the queue's visible messages — and, with ShowInvisible / ShowDelayed, those in
    flight and delayed too, marked by the IsVisible / IsDelayed attributes. Nothing changes.
    The queue is the URL's account and name in the region of the request's signature, else
    the one the URL's host names (``sqs.<region>.…``, as AWS's and LocalStack's), else the
    server's default region."""
    query = urllib.parse.parse_qs(request.query_string.decode("latin-1"))
    as_json = "application/json" in request.headers.get("accept", "")
    url = query.get("QueueUrl", [""])[0]
    split = urllib.parse.urlsplit(url)
    parts = split.path.strip("/").split("/")
    region = header_scope(request.headers).region or _host_region(split.hostname or "")
    queue = None
    if len(parts) == 2:
        queue = await services.engine.queues.lookup(parts[0], region or default_region, parts[1])
    if queue is None:
        return _error(
            as_json,
            "AWS.SimpleQueueService.NonExistentQueue",
            "The specified queue does not exist.",
        )
    show_invisible = _flag(query, "ShowInvisible")
    show_delayed = _flag(query, "ShowDelayed")
    now = services.engine.now_ms()
    listed: list[dict[str, Any]] = []
    after = None
    while len(listed) < MAX_PEEKED:
        page = await services.engine.browse.peek(queue, after, MAX_PAGE, False)
        for peeked in page:
            delayed = not peeked.in_flight and peeked.visible_ms > now
            visible = not peeked.in_flight and not delayed
            if (peeked.in_flight and not show_invisible) or (delayed and not show_delayed):
                continue
            listed.append(_message(peeked.message, visible, delayed, show_invisible, show_delayed))
        if len(page) < MAX_PAGE:
            break
        last = page[-1]
        after = PeekCursor(last.visible_ms, last.message.row)
    request_id = str(uuid.uuid4())
    if as_json:
        body = {
            "ReceiveMessageResponse": {
                "ReceiveMessageResult": {"Message": listed[:MAX_PEEKED]},
                "ResponseMetadata": {"RequestId": request_id},
            }
        }
        return Answer(200, JSON, orjson.dumps(body))
    return Answer(200, XML, _xml(listed[:MAX_PEEKED], request_id))


def _host_region(host: str) -> str | None:
    """The region of a host ``sqs.<region>.<domain>``, if it is one."""
    labels = host.split(".")
    if len(labels) > 2 and labels[0] == "sqs" and REGION.fullmatch(labels[1]):
        return labels[1]
    return None


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return query.get(name, ["false"])[0].lower() == "true"


def _message(
    message: ReceivedMessage, visible: bool, delayed: bool, invisible: bool, show_delayed: bool
) -> dict[str, Any]:
    attributes = [
        ("SenderId", message.sender_id),
        ("SentTimestamp", str(message.sent_ms)),
        ("ApproximateReceiveCount", str(message.receive_count)),
        ("ApproximateFirstReceiveTimestamp", str(message.first_receive_ms)),
    ]
    if message.group_id is not None:
        attributes.append(("MessageGroupId", message.group_id))
    if message.dedup_id is not None:
        attributes.append(("MessageDeduplicationId", message.dedup_id))
    if message.sequence_number is not None:
        attributes.append(("SequenceNumber", str(message.sequence_number)))
    if invisible:
        attributes.append(("IsVisible", "true" if visible else "false"))
    if show_delayed:
        attributes.append(("IsDelayed", "true" if delayed else "false"))
    out: dict[str, Any] = {
        "MessageId": message.message_id,
        "ReceiptHandle": BACKDOOR_HANDLE,
        "MD5OfBody": message.md5_body,
        "Body": message.body,
        "Attribute": [{"Name": n, "Value": v} for n, v in attributes],
    }
    if message.attributes:
        out["MD5OfMessageAttributes"] = message.md5_attributes
        out["MessageAttribute"] = [
            {"Name": name, "Value": _attr_value(attr)} for name, attr in message.attributes.items()
        ]
    return out


def _attr_value(attr: Attr) -> dict[str, str]:
    value = {"DataType": attr.data_type}
    if attr.binary_value is not None:
        value["BinaryValue"] = base64.b64encode(attr.binary_value).decode()
    else:
        value["StringValue"] = attr.string_value or ""
    return value


def _xml(messages: list[dict[str, Any]], request_id: str) -> bytes:
    def element(tag: str, value: Any) -> str:
        if isinstance(value, dict):
            inner = "".join(element(k, v) for k, v in value.items())
        elif isinstance(value, list):
            return "".join(element(tag, item) for item in value)
        else:
            inner = escape(str(value))
        return f"<{tag}>{inner}</{tag}>"

    listed = "".join(element("Message", m) for m in messages)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ReceiveMessageResponse xmlns="{SQS_XMLNS}">'
        f"<ReceiveMessageResult>{listed}</ReceiveMessageResult>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</ReceiveMessageResponse>"
    ).encode()


def _error(as_json: bool, code: str, message: str) -> Answer:
    if as_json:
        return Answer(400, JSON, orjson.dumps({"__type": code, "message": message}))
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="{SQS_XMLNS}"><Error>'
        f"<Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
        "</ErrorResponse>"
    )
    return Answer(400, XML, body.encode())


def _health() -> dict[str, Any]:
    """LocalStack's health document, for the two services densho serves."""
    return {
        "services": {"sqs": "running", "sns": "running"},
        "edition": "community",
        "version": densho.__version__,
    }
