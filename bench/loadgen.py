"""A cheap SQS JSON 1.0 load generator.

Two interchangeable HTTP/1.1 clients drive the servers:

* ``raw`` -- an ``asyncio.Protocol`` per keep-alive connection, the request
  bytes assembled from a pre-built header block, responses parsed by
  httptools' C parser. This is the default: on a 2-core box the loader and
  the server share the CPU, and this client costs the least per request.
* ``aiohttp`` -- a lean ``aiohttp.ClientSession`` (no cookie jar, no auto
  headers beyond what HTTP needs), kept for comparison.

Both clients reconnect transparently when the server closes the connection
(moto's Werkzeug server answers every request with ``Connection: close``).

Run it on its own against any SQS-JSON endpoint (e.g. the ceiling app)::

    python -m bench.loadgen --url http://127.0.0.1:PORT --client raw --duration 5
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast
from urllib.parse import urlencode, urlsplit

import httptools
import orjson

AUTHORIZATION = (
    b"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, "
    b"SignedHeaders=host, Signature=00"
)
CONTENT_TYPE = b"application/x-amz-json-1.0"
# SNS speaks only the Query protocol; its credential scope tells a server which service is meant.
SNS_PREFIX = "SNS."
SNS_AUTHORIZATION = (
    b"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sns/aws4_request, "
    b"SignedHeaders=host, Signature=00"
)
FORM_CONTENT_TYPE = b"application/x-www-form-urlencoded; charset=utf-8"
# The credential of ``scripts/bench --auth-ab``'s authenticated densho (a throw-away config).
BENCH_KEY, BENCH_SECRET, BENCH_ACCOUNT = "AKIABENCH0000000001", "bench-secret", "000000000000"


class Signer:
    """Real SigV4 header signatures, as an SDK computes them (host;x-amz-date signed, the body
    hashed), for benchmarking a densho that verifies them. The derived key is cached per day
    and service, as SDKs do."""

    def __init__(self, key: str = BENCH_KEY, secret: str = BENCH_SECRET) -> None:
        self._key = key
        self._secret = secret
        self._keys: dict[tuple[str, str], bytes] = {}

    def _derived(self, date: str, service: str) -> bytes:
        found = self._keys.get((date, service))
        if found is None:
            found = hmac.digest(("AWS4" + self._secret).encode(), date.encode(), "sha256")
            for part in ("us-east-1", service, "aws4_request"):
                found = hmac.digest(found, part.encode(), "sha256")
            self._keys[date, service] = found
        return found

    def headers(self, service: str, host: bytes, body: bytes) -> bytes:
        """``X-Amz-Date`` and ``Authorization`` header lines for a POST to ``/``."""
        amz = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        date = amz[:8]
        scope = f"{date}/us-east-1/{service}/aws4_request"
        canonical = (
            f"POST\n/\n\nhost:{host.decode()}\nx-amz-date:{amz}\n\nhost;x-amz-date\n"
            f"{hashlib.sha256(body).hexdigest()}"
        )
        to_sign = (
            f"AWS4-HMAC-SHA256\n{amz}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        )
        signature = hmac.new(self._derived(date, service), to_sign.encode(), "sha256").hexdigest()
        return (
            f"X-Amz-Date: {amz}\r\nAuthorization: AWS4-HMAC-SHA256 Credential={self._key}/"
            f"{scope}, SignedHeaders=host;x-amz-date, Signature={signature}\r\n"
        ).encode()


CLIENT_KINDS = ("raw", "aiohttp")
DEFAULT_CLIENT = "raw"


class HttpError(Exception):
    """A transport-level failure (connection refused/reset, malformed response)."""


class SqsError(Exception):
    """A non-200 answer from the endpoint (SQS, or SNS by :func:`sns_call`)."""

    def __init__(self, action: str, status: int, body: bytes) -> None:
        super().__init__(f"{action}: HTTP {status}: {body[:300]!r}")
        self.action = action
        self.status = status
        self.body = body


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname or parts.port is None:
            raise ValueError(f"need http://host:port, got {url!r}")
        return cls(parts.hostname, parts.port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"


# --------------------------------------------------------------------------- clients


class Client(Protocol):
    async def call(self, action: str, body: bytes) -> tuple[int, bytes]: ...

    def close(self) -> None: ...


class _HeaderCache:
    """Pre-built request heads: everything up to the Content-Length value."""

    def __init__(self, endpoint: Endpoint, signer: Signer | None = None) -> None:
        self._host = f"{endpoint.host}:{endpoint.port}".encode()
        self._heads: dict[str, bytes] = {}
        self._signer = signer
        self._unsigned: dict[str, bytes] = {}

    def signed_head(self, action: str, body: bytes) -> bytes:
        """The head of a request signed for its body (``--auth-ab``), or the cached one."""
        if self._signer is None:
            return self.head(action)
        prefix = self._unsigned.get(action)
        if prefix is None:
            sns = action.startswith(SNS_PREFIX)
            prefix = b"".join(
                (
                    b"POST / HTTP/1.1\r\nHost: ",
                    self._host,
                    b"\r\nContent-Type: ",
                    FORM_CONTENT_TYPE if sns else CONTENT_TYPE,
                    b"" if sns else b"\r\nX-Amz-Target: AmazonSQS." + action.encode(),
                    b"\r\n",
                )
            )
            self._unsigned[action] = prefix
        service = "sns" if action.startswith(SNS_PREFIX) else "sqs"
        return prefix + self._signer.headers(service, self._host, body) + b"Content-Length: "

    def head(self, action: str) -> bytes:
        head = self._heads.get(action)
        if head is None and action.startswith(SNS_PREFIX):
            head = b"".join(
                (
                    b"POST / HTTP/1.1\r\nHost: ",
                    self._host,
                    b"\r\nContent-Type: ",
                    FORM_CONTENT_TYPE,
                    b"\r\nAuthorization: ",
                    SNS_AUTHORIZATION,
                    b"\r\nContent-Length: ",
                )
            )
            self._heads[action] = head
        elif head is None:
            head = b"".join(
                (
                    b"POST / HTTP/1.1\r\nHost: ",
                    self._host,
                    b"\r\nX-Amz-Target: AmazonSQS.",
                    action.encode(),
                    b"\r\nContent-Type: ",
                    CONTENT_TYPE,
                    b"\r\nAuthorization: ",
                    AUTHORIZATION,
                    b"\r\nContent-Length: ",
                )
            )
            self._heads[action] = head
        return head


class _RawProtocol(asyncio.Protocol):
    """One HTTP/1.1 connection with at most one request outstanding."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self._parts: list[bytes] = []
        self._in_message = False
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.open = True

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HttpError(f"bad HTTP response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if self._in_message and self.waiter is not None and not self.waiter.done():
            # A close-delimited body (no Content-Length): EOF completes it.
            try:
                status = self._parser.get_status_code()
            except Exception:  # pragma: no cover - parser state dependent
                status = 0
            if status:
                self._finish(status)
                return
        self._fail(HttpError(f"connection lost: {exc}" if exc else "connection closed"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._in_message = True
        self._parts.clear()

    def on_body(self, body: bytes) -> None:
        self._parts.append(body)

    def on_message_complete(self) -> None:
        keep = self._parser.should_keep_alive()
        self._finish(self._parser.get_status_code())
        if not keep:
            self.open = False
            if self.transport is not None:
                self.transport.close()

    def _finish(self, status: int) -> None:
        self._in_message = False
        body = b"".join(self._parts) if len(self._parts) != 1 else self._parts[0]
        self._parts = []
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((status, body))

    def _fail(self, exc: Exception) -> None:
        self.open = False
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.close()


class RawClient:
    """A keep-alive connection that reconnects whenever the server closes it."""

    def __init__(self, endpoint: Endpoint, heads: _HeaderCache | None = None) -> None:
        self._endpoint = endpoint
        self._heads = heads or _HeaderCache(endpoint)
        self._proto: _RawProtocol | None = None
        self.connects = 0

    async def _connect(self) -> _RawProtocol:
        loop = asyncio.get_running_loop()
        try:
            _, proto = await loop.create_connection(
                lambda: _RawProtocol(loop), self._endpoint.host, self._endpoint.port
            )
        except OSError as exc:
            raise HttpError(f"connect {self._endpoint.url}: {exc}") from exc
        self.connects += 1
        self._proto = proto
        return proto

    async def call(self, action: str, body: bytes) -> tuple[int, bytes]:
        proto = self._proto
        if proto is None or not proto.open:
            proto = await self._connect()
        waiter: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        proto.waiter = waiter
        assert proto.transport is not None
        proto.transport.write(
            b"".join(
                (self._heads.signed_head(action, body), str(len(body)).encode(), b"\r\n\r\n", body)
            )
        )
        try:
            return await waiter
        except asyncio.CancelledError:
            # The connection's state is unknown now: never reuse it.
            proto.open = False
            if proto.transport is not None:
                proto.transport.close()
            raise

    def close(self) -> None:
        if self._proto is not None and self._proto.transport is not None:
            self._proto.transport.close()
        self._proto = None


class AiohttpClient:
    """The same interface over a shared, lean aiohttp session."""

    def __init__(self, session: Any, endpoint: Endpoint) -> None:
        self._session = session
        self._url = endpoint.url
        self._headers: dict[str, dict[str, str]] = {}

    async def call(self, action: str, body: bytes) -> tuple[int, bytes]:
        import aiohttp

        headers = self._headers.get(action)
        if headers is None and action.startswith(SNS_PREFIX):
            headers = {
                "Content-Type": FORM_CONTENT_TYPE.decode(),
                "Authorization": SNS_AUTHORIZATION.decode(),
            }
            self._headers[action] = headers
        elif headers is None:
            headers = {
                "X-Amz-Target": f"AmazonSQS.{action}",
                "Content-Type": CONTENT_TYPE.decode(),
                "Authorization": AUTHORIZATION.decode(),
            }
            self._headers[action] = headers
        try:
            async with self._session.post(self._url, data=body, headers=headers) as resp:
                return resp.status, await resp.read()
        except aiohttp.ClientError as exc:
            raise HttpError(f"{action}: {exc!r}") from exc

    def close(self) -> None:
        pass


class ClientPool:
    """Clients of one kind, each against its endpoint; ``aclose`` releases them all."""

    def __init__(self, clients: list[Client], session: Any = None) -> None:
        self.clients = clients
        self._session = session

    @classmethod
    def open(cls, url: str, kind: str, n: int) -> ClientPool:
        """``n`` clients against one endpoint."""
        return cls.open_spread([url] * n, kind)

    @classmethod
    def open_spread(
        cls, urls: Sequence[str], kind: str, signer: Signer | None = None
    ) -> ClientPool:
        """One client per entry of ``urls`` (the nodes of a server may repeat in it);
        ``signer``: sign every request for real (raw clients only)."""
        endpoints = {url: Endpoint.parse(url) for url in urls}
        n = len(urls)
        if signer is not None and kind != "raw":
            raise ValueError("signed requests (--auth-ab) need the raw client")
        if kind == "raw":
            heads = {url: _HeaderCache(endpoint, signer) for url, endpoint in endpoints.items()}
            return cls([RawClient(endpoints[url], heads[url]) for url in urls])
        if kind == "aiohttp":
            import aiohttp

            connector = aiohttp.TCPConnector(
                limit=n, use_dns_cache=True, ttl_dns_cache=None, happy_eyeballs_delay=None
            )
            session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
                auto_decompress=False,
                timeout=aiohttp.ClientTimeout(total=None),
            )
            return cls([AiohttpClient(session, endpoints[url]) for url in urls], session)
        raise ValueError(f"unknown client kind {kind!r} (choose from {CLIENT_KINDS})")

    async def aclose(self) -> None:
        for client in self.clients:
            client.close()
        if self._session is not None:
            await self._session.close()


async def sqs_call(client: Client, action: str, payload: dict[str, Any] | bytes) -> Any:
    """One SQS JSON call; returns the decoded answer or raises :class:`SqsError`."""
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    status, resp = await client.call(action, body)
    if status != 200:
        raise SqsError(action, status, resp)
    return orjson.loads(resp) if resp else {}


def sns_form(action: str, params: dict[str, str]) -> bytes:
    """A Query-protocol SNS request body."""
    return urlencode({"Action": action, "Version": "2010-03-31", **params}).encode()


async def sns_call(client: Client, action: str, params: dict[str, str]) -> str:
    """One SNS Query call; returns the XML answer or raises :class:`SqsError`."""
    status, resp = await client.call(SNS_PREFIX + action, sns_form(action, params))
    if status != 200:
        raise SqsError(action, status, resp)
    return resp.decode()


def xml_field(document: str, name: str) -> str:
    """The text of the first ``<name>`` element (the answers are flat enough for this)."""
    match = re.search(f"<{name}>([^<]*)</{name}>", document)
    if match is None:
        raise ValueError(f"no <{name}> in {document[:300]!r}")
    return match.group(1)


# --------------------------------------------------------------------------- bodies


class Bodies:
    """Fixed-size message bodies that each carry a run tag, a sequence id and a timestamp.

    Layout (ASCII, JSON-safe, exactly ``size`` bytes)::

        <tag:8>-<seq:012d>-<perf_counter_ns:020d>-xxxxx...

    ``perf_counter_ns`` is CLOCK_MONOTONIC on Linux, so a consumer in the same
    process can compute send-to-receive latency from it.
    """

    PREFIX_LEN = 8 + 1 + 12 + 1 + 20 + 1

    def __init__(self, size: int = 1024, tag: str | None = None) -> None:
        if size < self.PREFIX_LEN:
            raise ValueError(f"body size must be >= {self.PREFIX_LEN}")
        self.tag = tag or os.urandom(4).hex()
        if len(self.tag) != 8 or not self.tag.isalnum():
            raise ValueError("tag must be 8 alphanumeric characters")
        self.size = size
        self._tag = self.tag.encode()
        self._pad = b"-" + b"x" * (size - self.PREFIX_LEN)

    def body(self, seq: int, ts_ns: int = 0) -> bytes:
        return b"%s-%012d-%020d%s" % (self._tag, seq, ts_ns, self._pad)

    def parse(self, body: str) -> tuple[int, int] | None:
        """``(seq, ts_ns)`` for a body of this run, ``None`` for anything else."""
        if len(body) != self.size or body[:8] != self.tag:
            return None
        try:
            return int(body[9:21]), int(body[22:42])
        except ValueError:
            return None

    @staticmethod
    def md5(body: str) -> str:
        return hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()


class SendRequests:
    """Pre-built SendMessage / SendMessageBatch request bodies for one queue."""

    def __init__(self, queue_url: str, bodies: Bodies) -> None:
        self.bodies = bodies
        url = orjson.dumps(queue_url)
        self._single_head = b'{"QueueUrl":' + url + b',"MessageBody":"'
        self._batch_head = b'{"QueueUrl":' + url + b',"Entries":['
        self._entry_heads = [b'{"Id":"%d","MessageBody":"' % i for i in range(10)]

    def single(self, seq: int, ts_ns: int = 0) -> bytes:
        return self._single_head + self.bodies.body(seq, ts_ns) + b'"}'

    def grouped(self, seq: int, ts_ns: int, group_id: bytes, dedup_id: bytes) -> bytes:
        """SendMessage for a FIFO queue; both ids must be JSON-safe ASCII (no escaping)."""
        return b"".join(
            (
                self._single_head,
                self.bodies.body(seq, ts_ns),
                b'","MessageGroupId":"',
                group_id,
                b'","MessageDeduplicationId":"',
                dedup_id,
                b'"}',
            )
        )

    def grouped_batch(self, entries: Sequence[tuple[int, bytes]], ts_ns: int = 0) -> bytes:
        """SendMessageBatch for a FIFO queue: ``(seq, group_id)`` per entry, deduplication
        id ``d<seq>``; the group ids must be JSON-safe ASCII."""
        body = self.bodies.body
        parts = b",".join(
            b'{"Id":"%d","MessageBody":"%s","MessageGroupId":"%s","MessageDeduplicationId":"d%d"}'
            % (i, body(seq, ts_ns), group_id, seq)
            for i, (seq, group_id) in enumerate(entries)
        )
        return self._batch_head + parts + b"]}"

    def batch(self, first_seq: int, n: int, ts_ns: int = 0) -> bytes:
        body = self.bodies.body
        heads = self._entry_heads
        entries = b",".join(heads[i] + body(first_seq + i, ts_ns) + b'"}' for i in range(n))
        return self._batch_head + entries + b"]}"


# --------------------------------------------------------------------------- stats


def percentile(sorted_values: Sequence[int], q: float) -> float:
    """Nearest-rank percentile of already-sorted values (``q`` in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, int(-(-q * len(sorted_values) // 100)))  # ceil without floats drift
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


def latency_ms(samples_ns: Sequence[int]) -> tuple[float, float]:
    """``(p50, p99)`` in milliseconds."""
    ordered = sorted(samples_ns)
    return percentile(ordered, 50) / 1e6, percentile(ordered, 99) / 1e6


@dataclass(slots=True)
class LoadResult:
    requests: int = 0  # answered, whatever the status
    ok: int = 0  # answered and accepted by the check
    errors: int = 0  # transport errors + rejected answers
    elapsed_s: float = 0.0
    latencies_ns: list[int] = field(default_factory=list)
    first_error: str | None = None
    timed_out: bool = False

    def error(self, message: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = message


async def run_workers(workers: Sequence[Coroutine[Any, Any, None]], timeout_s: float) -> bool:
    """Run ``workers`` concurrently; ``False`` if they had to be cut off at ``timeout_s``.

    If one of them raises, the others are cancelled (so no stray worker keeps
    loading a server after its run ended) and the exception propagates.
    """
    tasks = [asyncio.ensure_future(w) for w in workers]
    try:
        done, pending = await asyncio.wait(
            tasks, timeout=timeout_s, return_when=asyncio.FIRST_EXCEPTION
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        exc = None if task.cancelled() else task.exception()
        if exc is not None:
            raise exc
    return not pending


MakeRequest = Callable[[int], bytes]
CheckResponse = Callable[[int, int, bytes], bool]


async def closed_loop(
    clients: Sequence[Client],
    action: str,
    make: MakeRequest,
    check: CheckResponse,
    *,
    duration_s: float,
    max_requests: int,
    max_errors: int = 100,
    grace_s: float = 30.0,
) -> LoadResult:
    """Every client keeps exactly one request in flight until time or count runs out.

    ``make(i)`` builds request ``i`` (0-based, unique across clients);
    ``check(i, status, body)`` says whether the answer is a success. Bounded by
    ``duration_s`` (no new request after it), ``max_requests``, ``max_errors``
    and a hard ``duration_s + grace_s`` for requests that never come back.
    """
    result = LoadResult()
    issued = 0
    lat = result.latencies_ns
    clock = time.perf_counter_ns
    start = clock()
    deadline = start + int(duration_s * 1e9)

    async def worker(client: Client) -> None:
        nonlocal issued
        while issued < max_requests and result.errors < max_errors and clock() < deadline:
            i = issued
            issued += 1
            body = make(i)
            t0 = clock()
            try:
                status, resp = await client.call(action, body)
            except HttpError as exc:
                result.error(str(exc))
                continue
            lat.append(clock() - t0)
            result.requests += 1
            if check(i, status, resp):
                result.ok += 1
            else:
                result.error(f"{action} #{i}: HTTP {status}: {resp[:200]!r}")

    if not await run_workers([worker(c) for c in clients], duration_s + grace_s):
        result.timed_out = True
        result.error(f"{action}: requests still outstanding {grace_s:.0f}s after the deadline")
    result.elapsed_s = (clock() - start) / 1e9
    return result


# --------------------------------------------------------------------------- event loop


def new_event_loop(kind: str = "uvloop") -> asyncio.AbstractEventLoop:
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run(coro: Awaitable[Any], loop_kind: str = "uvloop") -> Any:
    with asyncio.Runner(loop_factory=lambda: new_event_loop(loop_kind)) as runner:
        return runner.run(coro)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- CLI


async def _cli_send(args: argparse.Namespace) -> LoadResult:
    """SendMessage load at ``--url``; the queue URL is created unless ``--queue-url``."""
    pool = ClientPool.open(args.url, args.client, args.concurrency)
    try:
        queue_url = args.queue_url
        if queue_url is None:
            answer = await sqs_call(
                pool.clients[0], "CreateQueue", {"QueueName": f"loadgen-{os.urandom(4).hex()}"}
            )
            # The ceiling answers everything with a SendMessage document: any URL will do.
            queue_url = answer.get("QueueUrl") or f"{args.url.rstrip('/')}/000000000000/ceiling"
        requests = SendRequests(queue_url, Bodies(args.body_size))
        return await closed_loop(
            pool.clients,
            "SendMessage",
            requests.single,
            lambda _i, status, resp: status == 200 and b"MessageId" in resp,
            duration_s=args.duration,
            max_requests=args.max_requests,
        )
    finally:
        await pool.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__)
    parser.add_argument("--url", required=True, help="endpoint, e.g. http://127.0.0.1:4566")
    parser.add_argument("--queue-url", help="skip CreateQueue and send to this queue URL")
    parser.add_argument("--client", choices=CLIENT_KINDS, default=DEFAULT_CLIENT)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--max-requests", type=int, default=10_000_000)
    parser.add_argument("--body-size", type=int, default=1024)
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://127.", "http://localhost")):
        parser.error("the load generator only talks to loopback addresses")
    result: LoadResult = run(_cli_send(args), args.loop)
    p50, p99 = latency_ms(result.latencies_ns)
    rate = result.ok / result.elapsed_s if result.elapsed_s else 0.0
    print(
        f"client={args.client} loop={args.loop} c={args.concurrency}: "
        f"{result.ok} ok / {result.errors} errors in {result.elapsed_s:.2f}s = {rate:,.0f} req/s, "
        f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"
    )
    if result.first_error:
        print(f"first error: {result.first_error}", file=sys.stderr)
    return 0 if result.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
