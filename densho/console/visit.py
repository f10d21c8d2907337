"""One console request as the pages see it: the HTTP request, the viewer's session, and how
to act as the viewer through the same providers as the API.

Owns: ``Visit`` (form fields, query parameters, the viewer's account, building a ``Call`` as the
viewer and running it — validated as the wire validates a request, authorized as the API
authorizes one), ``Answer`` (what a page returns) and ``Services`` (what the server lends the
console).
Must not know: ASGI, SQL, how pages look.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from densho.console.sessions import Session
from densho.protocol.call import Call
from densho.protocol.http import HttpRequest
from densho.sns.engine import SnsEngine
from densho.sns.outbox.deliveries import Deliveries
from densho.sqs.engine import SqsEngine
from densho.storage.base import Store

PREFIX = "/_densho/console"
Dispatch = Callable[[Call], Awaitable[dict[str, Any]]]
Decode = Callable[[str, str, list[tuple[str, str]]], dict[str, Any]]


@dataclass(frozen=True)
class Services:
    """What the server lends the console."""

    dispatch: Dispatch  # App.dispatch_console: the API's providers and the console's own
    decode: Decode  # Wire.decode_form: the wire's validation of a request's parameters
    store: Store  # listing every queue (the queue list)
    sqs: SqsEngine
    sns: SnsEngine
    deliveries: Deliveries
    region: str  # the server's default region (account-level actions: ListQueues, ListTopics)
    default_account: str  # open mode's one account
    auth: bool  # authentication on: sign in, one account per viewer


@dataclass
class Answer:
    status: int
    body: bytes = b""
    content_type: bytes = b"text/html; charset=utf-8"
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    @staticmethod
    def redirect(location: str) -> Answer:
        # 303: the browser follows a form's POST with a GET (redirect-after-POST).
        return Answer(303, headers=[(b"location", location.encode())])


@dataclass
class Visit:
    request: HttpRequest
    session: Session
    services: Services
    query: dict[str, str] = field(init=False)
    form: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        qs = self.request.query_string.decode("utf-8", "replace")
        self.query = dict(parse_qsl(qs, keep_blank_values=True))
        self.form = {}
        if self.request.method == "POST":
            body = self.request.body.decode("utf-8", "replace")
            self.form = dict(parse_qsl(body, keep_blank_values=True))

    @property
    def account(self) -> str | None:
        """The viewer's account; None: every account (authentication off)."""
        identity = self.session.identity
        return None if identity is None else identity.account_id

    def may_see(self, account: str) -> bool:
        return self.account is None or self.account == account

    def queue_url(self, account: str, name: str) -> str:
        return f"{self.request.endpoint}/{account}/{name}"

    def call(self, service: str, operation: str, params: dict[str, Any], region: str) -> Call:
        identity = self.session.identity
        return Call(
            service,
            "query",
            operation,
            params,
            region,
            self.request.endpoint,
            identity.access_key if identity is not None else None,
            identity,
            source_ip=self.request.client,
            secure=self.request.secure,
        )

    async def act(
        self, service: str, operation: str, fields: list[tuple[str, str]], region: str
    ) -> dict[str, Any]:
        """Run an AWS action as the viewer, its parameters given as Query form fields:
        validated, authorized and answered as a client's request is (``AwsError`` if not)."""
        params = self.services.decode(service, operation, fields)
        return await self.services.dispatch(self.call(service, operation, params, region))

    async def console(self, operation: str, params: dict[str, Any], region: str) -> dict[str, Any]:
        """Run one of the console's own SQS operations as the viewer (authorized alike)."""
        return await self.services.dispatch(self.call("sqs", operation, params, region))


def attribute_fields(text: str, prefix: str) -> list[tuple[str, str]]:
    """A form's attribute lines, ``name=value`` (a String) or ``name:Number=42``, as a
    request's Query fields under ``prefix`` (``MessageAttribute`` for SQS,
    ``MessageAttributes.entry`` for SNS): ``<prefix>.N.Name``, ``.Value.DataType``,
    ``.Value.StringValue``. Blank lines are skipped; the API judges the rest."""
    fields: list[tuple[str, str]] = []
    n = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        key, _, value = line.partition("=")
        name, _, kind = key.strip().partition(":")
        n += 1
        fields += [
            (f"{prefix}.{n}.Name", name),
            (f"{prefix}.{n}.Value.DataType", kind.strip() or "String"),
            (f"{prefix}.{n}.Value.StringValue", value.strip()),
        ]
    return fields


def queue_path(account: str, region: str, name: str) -> str:
    """A queue's page: a queue is its account's, region's and name's (as in AWS)."""
    parts = (quote(part, safe="") for part in (account, region, name))
    return f"{PREFIX}/queues/" + "/".join(parts)


def topic_path(arn: str) -> str:
    return f"{PREFIX}/topic?arn={quote(arn, safe='')}"
