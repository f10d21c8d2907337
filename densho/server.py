"""The ASGI application: lifecycle (store, engine, maintenance) and the HTTP <-> wire hand-off.

Owns: reading requests into ``HttpRequest``, writing ``HttpResponse``, routing a decoded ``Call``
to its provider, start-up and graceful shutdown.
Must not know: protocol details (the wire layer decodes) or SQL (the store does).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from densho import clock_admin, logs, proxies, testing_endpoints
from densho.config import ConfigError, Settings
from densho.console import visit as console_visit
from densho.console.app import Console
from densho.core import clock as clocks
from densho.core import errors, private_files
from densho.core.clock import SystemClock
from densho.core.identity import Identity
from densho.core.store import EVERYTHING, QUEUE, TOPIC, StoreUnavailable
from densho.delivery import admin as delivery_admin
from densho.delivery.http import HttpSender
from densho.delivery.smtp import SmtpSender
from densho.delivery.worker import DeliveryWorker
from densho.metrics.service import Metrics
from densho.observe import Observer, RequestRecord, resource_of
from densho.protocol.call import Call
from densho.protocol.errors import AwsError
from densho.protocol.http import HttpRequest, HttpResponse
from densho.protocol.sigv4 import Secret, Verifier
from densho.protocol.wire import Wire
from densho.providers import browse, declared, sqs
from densho.providers import sns as sns_provider
from densho.providers.context import SnsContext, SqsContext
from densho.providers.errors import to_aws
from densho.sns.endpoint_rules import EndpointRules
from densho.sns.engine import SnsEngine
from densho.sns.manage.engine import SnsManage
from densho.sns.outbox.deliveries import Deliveries
from densho.sns.signing.keys import shared_signer
from densho.sns.signing.signer import Signer
from densho.sqs.engine import SqsEngine
from densho.sqs.move_tasks import ADOPT_EVERY_S, MoveTasks
from densho.storage.open import from_url, is_memory
from densho.storage.sealed import start_sealing

log = logging.getLogger("densho")

MAX_BODY = 8 * 1024 * 1024
# Probes for load balancers and Kubernetes (public: a probe cannot sign).
HEALTH = "/_densho/health"
READY = "/_densho/ready"
READY_TIMEOUT_S = 2.0
CONSOLE = console_visit.PREFIX
# Prometheus scrapes (public unless --metrics-token: Prometheus cannot sign requests).
METRICS = "/metrics"
# Retention, deduplication windows, tokens. Every node sharing a store runs this: each step
# deletes what has expired, which is the same whichever node does it first (the DLQ moves of
# redrive are no maintenance: they happen inside the receive's own transaction).
MAINTENANCE_INTERVAL_S = 30.0
SHED_LOG_EVERY_S = 60.0


class App:
    def __init__(self, settings: Settings, endpoint: str) -> None:
        self.settings = settings
        self.endpoint = endpoint
        self.store = from_url(
            settings.store_url,
            synchronous=settings.synchronous,
            pg_pool_size=settings.pg_pool_size,
        )
        # Where this node keeps its files (keys); None for the in-memory store: nothing on disk.
        self.files: Path | None = None if is_memory(settings.store_url) else settings.data_dir
        self.metrics = (
            _metrics(settings, endpoint, self.store.url) if settings.metrics == "on" else None
        )
        if self.metrics is not None:
            self.store.on_commit = self.metrics.commits.observe
        # AWS time: every engine's and every wait's (--clock controlled: pushed by the tests).
        self.clock = clocks.make(settings.clock)
        self.engine = SqsEngine(
            self.store,
            self.clock,
            **({"events": self.metrics.sqs} if self.metrics else {}),
            max_in_flight=settings.max_inflight,
        )
        self.moves = MoveTasks(self.engine, self.store)
        self._shared_signer: Signer | None = None  # several nodes: loaded at start-up
        rules = EndpointRules.parse(settings.http_endpoints_allow, settings.http_endpoints_deny)
        self.sns = SnsEngine(
            self.store,
            self.engine,
            self.clock,
            self._signer,
            relay_email=settings.smtp_relay is not None,
            endpoint_rules=rules,
            queue_policies=settings.auth_enabled,
            **({"events": self.metrics.sns} if self.metrics else {}),
        )
        if self.store.cluster is not None:
            # Other nodes' commits wake this node's long polls, as this node's own sends do,
            # and their changes to queues and topics drop this node's cached copies.
            self.store.cluster.set_wake(self.engine.wake)
            self.store.cluster.set_forget(self._forget)
        # SNS deliveries outside densho (HTTP/S, email) from the durable outbox.
        self.deliveries = Deliveries(self.sns, self.store, self.clock)
        self.delivery = DeliveryWorker(
            self.deliveries,
            HttpSender(rules=rules),
            SmtpSender(settings.smtp_relay) if settings.smtp_relay else None,
        )
        self.sns.on_outbox = self.delivery.wake
        self.sns_manage = SnsManage(self.store, self.sns.topics, self.clock)
        self.verifier = _verifier(settings) if settings.auth_enabled else None
        # Whose X-Forwarded-* headers to believe, and the base URL of densho's own URLs.
        self.edge = proxies.Edge(settings.public_url, settings.trusted_proxies)
        self.wire = Wire(default_region=settings.region, verifier=self.verifier)
        self.console = Console(
            console_visit.Services(
                dispatch=self.dispatch_console,
                decode=self.wire.decode_form,
                store=self.store,
                sqs=self.engine,
                sns=self.sns,
                deliveries=self.deliveries,
                region=settings.region,
                default_account=settings.account_id,
                auth=settings.auth_enabled,
            ),
            _credentials(settings) if settings.auth_enabled else None,
        )
        self._maintenance: asyncio.Task[None] | None = None
        self._phase = "starting"  # then "serving", then "shutting down" (the ready probe)
        self._shed_logged_at = -SHED_LOG_EVERY_S
        # Told of every request answered: the access log, and the metrics when they are on.
        self.observers: list[Observer] = [logs.access]
        if self.metrics is not None:
            self.observers.append(self.metrics.requests.observe)
        # Why the configuration file stopped the start (a declared resource refused), if it did.
        self.refused: str | None = None

    def _signer(self) -> Signer:
        """The SNS signing key: the one the nodes sharing the database keep there, or this
        node's own in its data directory, created on first use (the first signed message)."""
        if self._shared_signer is not None:
            return self._shared_signer
        if self.files is None:
            return Signer.generate(now_ms=SystemClock().now_ms())
        return Signer.load_or_create(self.files)

    def _forget(self, kind: str | None, key: str) -> None:
        """Another node changed a queue or a topic (``kind`` None: changes may have been
        missed)."""
        if kind == EVERYTHING:  # a reset on another node
            self.engine.reset()
            self.sns.reset()
        elif kind is None:
            self.engine.forget_all()
            self.sns.forget_all()
        elif kind == QUEUE:
            self.engine.forget_queue(int(key))
        elif kind == TOPIC:
            self.sns.forget_topic(key)

    async def startup(self) -> None:
        # Files an older densho (or a copy) left readable to others: owner only from now on.
        if self.files is not None:
            private_files.tighten_data_dir(self.files)
        await self.store.open()
        await start_sealing(
            self.store,
            key=self.settings.master_key,
            key_file=self.settings.master_key_file,
            data_dir=self.files,
            now_ms=SystemClock().now_ms(),
        )
        if self.store.cluster is not None:  # several nodes sign with the key they share
            self._shared_signer = await shared_signer(self.store.cluster, SystemClock().now_ms())
        # The configuration file's queues, topics and subscriptions, before anything is served.
        public = self.settings.public_url or self.endpoint  # declared subscriptions' SubscribeURL
        await declared.apply(self.settings.declared, self.engine, self.sns, public)
        await self.moves.adopt()  # message move tasks a restart interrupted carry on
        self.delivery.start()  # SNS outbox; rows a crash interrupted are retried
        if self.metrics is not None:
            self.metrics.start(
                self.store, self.clock.now_ms
            )  # the gauges, read from the store in the background
        self._maintenance = asyncio.create_task(self._maintain())
        self._phase = "serving"
        public = f", public URL: {self.settings.public_url}" if self.settings.public_url else ""
        print(f"densho ready: {self.endpoint} (store: {self.store.url}{public})", flush=True)

    def begin_shutdown(self) -> None:
        """Answer waiting long polls now (empty), so shutdown does not wait up to 20 s."""
        self._phase = "shutting down"
        self.engine.close()

    async def shutdown(self) -> None:
        self._phase = "shutting down"
        self.engine.close()
        await self.moves.close()  # before the store closes: runners write through it
        await self.delivery.close()  # likewise
        await self.sns.close()
        if self.metrics is not None:
            await self.metrics.close()
        if self._maintenance is not None:
            self._maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._maintenance
        await self.store.close()

    async def _maintain(self) -> None:
        loop = asyncio.get_running_loop()
        # Several nodes: move tasks whose node died are looked for more often than expiry runs.
        tick = ADOPT_EVERY_S if self.engine.shared else MAINTENANCE_INTERVAL_S
        expire_at = loop.time() + MAINTENANCE_INTERVAL_S
        while True:
            await asyncio.sleep(tick)
            try:
                if self.engine.shared:
                    await self.moves.adopt()
                if loop.time() >= expire_at:
                    expire_at = loop.time() + MAINTENANCE_INTERVAL_S
                    await self.expire()
            except StoreUnavailable as exc:  # logged by the store; the next tick tries again
                log.warning("maintenance skipped: %s", exc)
            except Exception:
                log.exception("maintenance failed")

    async def expire(self) -> None:
        """Delete what is past its time (retention, FIFO windows, tokens): every
        ``MAINTENANCE_INTERVAL_S``, and after each advance of a controlled clock."""
        await self.engine.expire_all()
        await self.sns.expire()

    def dispatch(self, call: Call) -> Awaitable[dict[str, Any]]:
        # Not a coroutine of its own: the wire awaits ``_run``'s, one frame fewer per request.
        return self._run(call, sqs.HANDLERS, sns_provider.HANDLERS)

    async def dispatch_console(self, call: Call) -> dict[str, Any]:
        """The console's own operations (``densho.providers.browse``), which no wire reaches,
        or any AWS action: authorized and answered as ``dispatch`` does."""
        if call.service == "sqs" and call.operation in browse.HANDLERS:
            return await self._run(call, browse.HANDLERS, {})
        return await self.dispatch(call)

    async def _run(
        self, call: Call, sqs_handlers: Mapping[str, Any], sns_handlers: Mapping[str, Any]
    ) -> dict[str, Any]:
        context: Any  # each service's handlers take their own Context
        handler: Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]] | None
        # The signer's account when authenticated; else the one account of open mode.
        account = call.identity.account_id if call.identity else self.settings.account_id
        service = call.service
        if service == "sqs":
            handler = sqs_handlers.get(call.operation)
            context = SqsContext(self.engine, account, call, self.moves)
        elif service == "sns":
            handler = sns_handlers.get(call.operation)
            context = SnsContext(self.sns, account, call, self.sns_manage)
        else:
            handler = None
        if handler is None:
            raise AwsError(
                "InvalidAction", f"The action {call.operation} is not valid for this endpoint."
            )
        try:
            result: dict[str, Any] = await handler(context, call.params)  # the operation's Result
            return result
        except errors.DomainError as exc:
            raise to_aws(exc) from None
        except StoreUnavailable:
            raise _unavailable() from None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except ConfigError as exc:  # a declared resource refused: the command says it
                    self.refused = str(exc)
                    await self.store.close()
                    await send({"type": "lifespan.startup.failed", "message": ""})
                    return
                except RuntimeError as exc:  # a reason a person can act on; no trace needed
                    log.error("start-up failed: %s", exc)
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                except Exception as exc:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def shed(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """An ASGI app answering a request beyond the connection limit: AWS's retryable 503,
        and a warning at most once a minute."""
        started = time.perf_counter()
        now = time.monotonic()
        if now >= self._shed_logged_at + SHED_LOG_EVERY_S:
            self._shed_logged_at = now
            log.warning(
                "shedding load: too many connections for the open-file limit; requests "
                "answer 503 until some close (raise `ulimit -n`)"
            )
        headers = _headers(scope)
        seen = _Seen.of(self.edge, scope, headers)
        await self._answer(send, self.wire.refuse(headers, _unavailable()), started, seen)

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = time.perf_counter()
        headers = _headers(scope)
        seen = _Seen.of(self.edge, scope, headers)
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body = message.get("body", b"")
        if message.get("more_body"):  # a body in several reads (the common one arrives whole)
            chunks = [body]
            size = len(body)
            while size <= MAX_BODY:  # past it, the rest is not read: refused below
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                chunks.append(chunk)
                if not message.get("more_body"):
                    break
            body = b"".join(chunks)
        if len(body) > MAX_BODY:
            await self._answer(send, self.wire.refuse(headers, _too_large()), started, seen)
            return
        view = seen.view
        request = HttpRequest(
            scope["method"],
            scope["path"],
            scope.get("query_string", b""),
            headers,
            body,
            view.client,
            view.secure,
            seen.path,
            view.base_url,
        )
        if request.path == "/" and request.method == "POST":
            # An SDK's call (both protocols POST to the root): none of densho's own endpoints.
            await self._answer(send, await self.wire.handle(request, self.dispatch), started, seen)
            return
        if request.path in (HEALTH, READY):  # probes: public, even with authentication on
            status, body = await self._probe(request.path)
            await _respond(send, status, b"application/json", body)
            self._observe_own(seen, request.path, status, started)
            return
        if request.path == METRICS and request.method == "GET":
            status = await self._scrape(request, send)
            self._observe_own(seen, request.path, status, started)
            return
        if request.path == CONSOLE or request.path.startswith(CONSOLE + "/"):
            # The console signs its viewers in itself (a browser cannot sign requests).
            answer = await self.console.handle(request)
            await _respond(send, answer.status, answer.content_type, answer.body, answer.headers)
            self._observe_own(seen, request.path, answer.status, started)
            return
        if request.path in testing_endpoints.PATHS or request.path in clock_admin.PATHS:
            status, content_type, body = await self._test_endpoint(request)
            await _respond(send, status, content_type, body)
            self._observe_own(seen, request.path, status, started)
            return
        if _is_browser_visit(request):
            await _respond(send, 302, b"text/plain", b"", [(b"location", CONSOLE.encode())])
            self._observe_own(seen, request.path, 302, started)
            return
        if request.path.startswith(delivery_admin.PREFIX):
            refused = self._admin_refusal(request)
            if refused is not None:
                await _respond(send, 403, b"application/json", refused)
                self._observe_own(seen, request.path, 403, started)
                return
            status, content_type, body = await delivery_admin.handle(
                request.method, request.path, request.query_string, self.sns, self.deliveries
            )
            await _respond(send, status, content_type, body)
            self._observe_own(seen, request.path, status, started)
            return
        await self._answer(send, await self.wire.handle(request, self.dispatch), started, seen)

    async def _answer(self, send: Any, response: HttpResponse, started: float, seen: _Seen) -> None:
        """Send an AWS API answer, then tell the observers about it."""
        await _respond(
            send, response.status, response.content_type, response.body, response.headers
        )
        call = response.call
        if call is None:
            account = ""
        else:
            account = call.identity.account_id if call.identity else self.settings.account_id
        self._observe(
            RequestRecord(
                response.request_id,
                response.service,
                response.action,
                account,
                resource_of(call.params) if call is not None else "",
                response.status,
                response.error_code,
                time.perf_counter() - started,
                seen.view.client,
                seen.method,
                seen.path,
            )
        )

    def _observe_own(self, seen: _Seen, path: str, status: int, started: float) -> None:
        """A request to densho's own endpoints (probes, admin, console)."""
        latency = time.perf_counter() - started
        record = RequestRecord("", "densho", path, "", "", status, "", latency, *seen.fields)
        self._observe(record)

    def _observe(self, record: RequestRecord) -> None:
        for observer in self.observers:
            try:
                observer(record)
            except Exception:  # a watcher's fault never fails the request it watched
                log.exception("request observer failed")

    async def _scrape(self, request: HttpRequest, send: Any) -> int:
        """GET /metrics: the registry as the scraper's Accept header asks (never the
        database: the gauges are the background refresher's last read). The status."""
        if self.metrics is None:
            await _respond(send, 404, b"text/plain", b"metrics are off (--metrics off)\n")
            return 404
        token = self.settings.metrics_token
        if token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                await _respond(
                    send,
                    401,
                    b"text/plain",
                    b"a bearer token is required\n",
                    [(b"www-authenticate", b'Bearer realm="densho metrics"')],
                )
                return 401
        content_type, body = await self.metrics.render(request.headers.get("accept", ""))
        await _respond(send, 200, content_type.encode(), body)
        return 200

    async def _probe(self, path: str) -> tuple[int, bytes]:
        """Health: the process answers. Ready: it can serve — started (the store open, so its
        schema current), not shutting down, and the database answering within a deadline."""
        if path == HEALTH:
            return 200, orjson.dumps({"status": "ok"})
        reason = None
        if self._phase != "serving":
            reason = self._phase  # "starting" or "shutting down"
        else:
            try:
                await asyncio.wait_for(self.store.ping(), READY_TIMEOUT_S)
            except StoreUnavailable as exc:
                reason = f"store unreachable: {exc}"
            except (TimeoutError, OSError) as exc:
                reason = f"store unreachable: {type(exc).__name__}"
        if reason is None:
            return 200, orjson.dumps({"status": "ready"})
        return 503, orjson.dumps({"status": "not ready", "reason": reason})

    async def _test_endpoint(self, request: HttpRequest) -> tuple[int, bytes, bytes]:
        """Reset, the migration aids and the clock: all under the test endpoints' one rule."""
        refused = testing_endpoints.refusal(
            request, self.verifier, self.settings.allow_test_endpoints
        )
        if refused is not None:
            return refused.status, refused.content_type, refused.body
        if request.path in clock_admin.PATHS:
            return await clock_admin.handle(
                request.method, request.path, request.query_string, self.clock, self.expire
            )
        got = await testing_endpoints.handle(self, request, self.settings.region)
        return got.status, got.content_type, got.body

    def _admin_refusal(self, request: HttpRequest) -> bytes | None:
        """With authentication on, densho's own endpoints answer only signed requests (any
        configured key, any service scope); the SNS signing certificate stays public, as
        AWS's is. The refusal's body, or None to serve."""
        if self.verifier is None or delivery_admin.is_public(request.path):
            return None
        try:
            self.verifier.verify(request, None)
        except AwsError as err:
            return orjson.dumps({"__type": err.code, "message": err.message})
        return None


# Not frozen, though never changed: made per request (why: densho/core/store.py, Claim).
@dataclass(slots=True)
class _Seen:
    """Who sent a request and what it asked for, as read before its body (the access line)."""

    view: proxies.View
    method: str
    path: str  # as sent, percent-encoded

    @classmethod
    def of(cls, edge: proxies.Edge, scope: dict[str, Any], headers: dict[str, str]) -> _Seen:
        peer = (scope.get("client") or ("",))[0]
        view = edge.view(peer, headers, scope.get("scheme") == "https")
        raw = scope.get("raw_path")
        path = raw.decode("latin-1") if raw else scope.get("path", "")
        return cls(view, scope.get("method", ""), path)

    @property
    def fields(self) -> tuple[str, str, str]:
        """``RequestRecord``'s client, method and path."""
        return self.view.client, self.method, self.path


def _metrics(settings: Settings, endpoint: str, store_url: str) -> Metrics:
    # The node label: as configured, else this host and the port it serves.
    node = settings.node_name or f"{socket.gethostname()}:{endpoint.rsplit(':', 1)[-1]}"
    kind = "postgresql" if store_url.startswith("postgres") else "sqlite"
    return Metrics(node, settings.metrics_interval, kind)


def _credentials(settings: Settings) -> Callable[[str], Secret | None]:
    """What each configured access key stands for (the verifier's and the console's)."""
    known = {
        c.access_key_id: Secret(
            c.secret_access_key,
            Identity(c.account_id, c.principal, c.access_key_id, c.policy),
            session_token=c.session_token,
        )
        for c in settings.credentials
    }
    return known.get


def _verifier(settings: Settings) -> Verifier:
    return Verifier(_credentials(settings))


def _is_browser_visit(request: HttpRequest) -> bool:
    """A person's browser opening the endpoint: ``GET /`` asking for HTML, with no action, no
    query parameters and no signature. SDKs never send that (they always name an action, and
    sign), so they keep AWS's answers; the browser is sent to the console."""
    return (
        request.method == "GET"
        and request.path == "/"
        and not request.query_string
        and "text/html" in request.headers.get("accept", "")
        and "authorization" not in request.headers
        and "x-amz-target" not in request.headers
    )


# Header names as ``_headers`` keys them, by the bytes the server gave: the same few names come
# with every request, and one lookup costs less than decoding and lower-casing each again.
_HEADER_NAMES: dict[bytes, str] = {}
_HEADER_NAMES_MAX = 1024  # names a client makes up are decoded each time beyond this many


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    """The request's headers, names lower-cased, repeated ones joined with ","."""
    headers: dict[str, str] = {}
    names = _HEADER_NAMES
    for raw_name, raw_value in scope["headers"]:
        name = names.get(raw_name)
        if name is None:
            name = raw_name.decode("latin-1").lower()
            if len(names) < _HEADER_NAMES_MAX:
                names[raw_name] = name
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def _too_large() -> AwsError:
    return AwsError("RequestEntityTooLarge", f"Request body must be at most {MAX_BODY} bytes.", 413)


def _unavailable() -> AwsError:
    # The database is unreachable (PostgreSQL store): AWS's 503 ServiceUnavailable, which every
    # SDK retries. Nothing of the request was acknowledged.
    return AwsError(
        "ServiceUnavailable",
        "The request has failed due to a temporary failure of the server.",
        503,
        sender=False,
    )


async def _respond(
    send: Any,
    status: int,
    content_type: bytes,
    body: bytes,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", b"%d" % len(body)),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
