"""Shared fixtures: one real densho server per session, SQS clients for both wire protocols.

The server is parametrized over stores (``sqlite``, ``postgresql``; ``DENSHO_TEST_STORES``
chooses, see ``tests/support/pg.py``): every e2e test runs against each, and each PostgreSQL
server gets a database of its own. The ``sqs`` fixture is parametrized over ``json`` (boto3's own
client, AWS JSON 1.0) and
``query`` (a botocore client built from the Query overlay model in
``tests/support/query_client.py``). The Query client is imported lazily so the JSON half
runs while it is being written; when it is missing the ``query`` cases *fail* (never skip).

Tests that crash or restart a server start their own through ``new_server`` (see
``tests/e2e/test_durability.py``), on the store under test.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support import pg
from tests.support.server import DenshoServer

REGION = "us-east-1"
ACCOUNT_ID = "000000000000"
PROTOCOLS = ["json", "query"]

SqsClient = Any  # botocore clients are generated at run time
ClientFactory = Callable[[], SqsClient]


def aws_client(
    service: str,
    endpoint: str,
    *,
    connect_timeout: float = 5,
    read_timeout: float = 45,
    region: str = REGION,
) -> Any:
    """A boto3 client of ``service`` on ``endpoint`` (signing for ``region``), retries off so
    server errors are never hidden."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(
            retries={"total_max_attempts": 1},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        ),
    )


def json_client(
    endpoint: str, *, connect_timeout: float = 5, read_timeout: float = 45
) -> SqsClient:
    """boto3's SQS client (AWS JSON 1.0), retries off so server errors are never hidden."""
    return aws_client("sqs", endpoint, connect_timeout=connect_timeout, read_timeout=read_timeout)


def sns_client(endpoint: str) -> Any:
    """boto3's SNS client, retries off."""
    return aws_client("sns", endpoint, read_timeout=30)


def query_client(endpoint: str, region: str = REGION) -> SqsClient:
    """A botocore SQS client speaking the Query protocol (must exist: never skipped)."""
    try:
        from tests.support.query_client import make_sqs_query_client
    except ImportError as exc:  # pragma: no cover - only while the helper is missing
        pytest.fail(
            f"tests/support/query_client.py is not usable ({exc}); the query protocol "
            "cases cannot run",
            pytrace=False,
        )
    return make_sqs_query_client(endpoint, region=region)


def make_client(protocol: str, endpoint: str, region: str = REGION) -> SqsClient:
    """An SQS client of ``protocol`` signing for ``region``."""
    if protocol == "json":
        return aws_client("sqs", endpoint, region=region)
    if protocol == "query":
        return query_client(endpoint, region)
    raise ValueError(protocol)


@pytest.fixture(scope="session", params=pg.test_stores())
def store_kind(request: pytest.FixtureRequest) -> str:
    """The store the e2e servers of this half of the session use: sqlite or postgresql."""
    return str(request.param)


ServerFactory = Callable[..., DenshoServer]


@contextlib.contextmanager
def servers_on(store_kind: str, base: Path) -> Iterator[ServerFactory]:
    """Makes servers (not started) on the store under test, each with its own data directory
    and, on PostgreSQL, its own database; closes them and drops their databases at the end."""
    made: list[tuple[DenshoServer, str | None]] = []

    def make(name: str = "data", **kwargs: Any) -> DenshoServer:
        url = pg.create_database() if store_kind == "postgresql" else None
        store = "memory" if store_kind == "memory" else url
        server = DenshoServer(base / name, log_dir=base, store=store, **kwargs)
        made.append((server, url))
        return server

    try:
        yield make
    finally:
        for server, url in made:
            server.close()
            if url is not None:
                pg.drop_database(url)


@contextlib.contextmanager
def server_with_config(store_kind: str, base: Path, config: str) -> Iterator[DenshoServer]:
    """A started server on the store under test, configured by the TOML text ``config``."""
    path = base / "densho.toml"
    path.write_text(config, encoding="utf-8")
    with servers_on(store_kind, base) as make:
        yield make(extra_args=("--config", str(path))).start()


@pytest.fixture
def new_server(store_kind: str, tmp_path: Path) -> Iterator[ServerFactory]:
    """``new_server()``: a server of this test's own (for crashes and restarts), not started."""
    with servers_on(store_kind, tmp_path) as make:
        yield make


@pytest.fixture(scope="session")
def densho_server(
    store_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DenshoServer]:
    """The server shared by every ordinary e2e test of the session (one per store)."""
    base: Path = tmp_path_factory.mktemp(f"densho-session-{store_kind}")
    with servers_on(store_kind, base) as make:
        server = make()
        server.start()
        yield server


@pytest.fixture(scope="session")
def endpoint(densho_server: DenshoServer) -> str:
    return densho_server.endpoint


@pytest.fixture(scope="session")
def admin_sqs(endpoint: str) -> SqsClient:
    """A JSON client for set-up and clean-up that must not depend on the protocol under test."""
    return json_client(endpoint)


@pytest.fixture(params=PROTOCOLS)
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client_factory(protocol: str, endpoint: str) -> ClientFactory:
    """Makes fresh clients of the protocol under test (e.g. one per thread)."""
    return lambda: make_client(protocol, endpoint)


_cached_clients: dict[tuple[str, str], SqsClient] = {}


@pytest.fixture(scope="module")
def sns(endpoint: str) -> Any:
    """An SNS client (Query, SNS's one protocol) of the server under test."""
    return sns_client(endpoint)


@pytest.fixture
def sqs(protocol: str, endpoint: str) -> SqsClient:
    """The SQS client under test, for ``json`` and for ``query``."""
    key = (protocol, endpoint)
    if key not in _cached_clients:
        _cached_clients[key] = make_client(protocol, endpoint)
    return _cached_clients[key]


def unique_name(hint: str, *, suffix: str = "") -> str:
    """A queue name unique to this run: ``[A-Za-z0-9_-]``, at most 80 characters."""
    token = uuid.uuid4().hex[:10]
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", hint).strip("-")
    room = 80 - len(token) - len(suffix) - 1
    return f"{clean[:room]}-{token}{suffix}"


@pytest.fixture
def queue_name(request: pytest.FixtureRequest) -> str:
    return unique_name(request.node.name)


class QueueMaker:
    """Creates queues through the client under test and deletes them afterwards."""

    def __init__(self, sqs: SqsClient, admin: SqsClient, hint: str) -> None:
        self._sqs = sqs
        self._admin = admin
        self._hint = hint
        self.created: list[str] = []

    def __call__(
        self,
        name: str | None = None,
        *,
        attributes: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
        fifo: bool = False,
    ) -> str:
        if name is None:
            name = unique_name(self._hint, suffix=".fifo" if fifo else "")
        kwargs: dict[str, Any] = {"QueueName": name}
        attrs = dict(attributes or {})
        if fifo:
            attrs.setdefault("FifoQueue", "true")
        if attrs:
            kwargs["Attributes"] = attrs
        if tags:
            kwargs["tags"] = tags
        url: str = self._sqs.create_queue(**kwargs)["QueueUrl"]
        self.created.append(url)
        return url

    def track(self, url: str) -> str:
        self.created.append(url)
        return url

    def cleanup(self) -> None:
        for url in reversed(self.created):
            # Already deleted by the test, or the server is gone: nothing to do.
            with contextlib.suppress(ClientError):
                self._admin.delete_queue(QueueUrl=url)


@pytest.fixture
def make_queue(
    sqs: SqsClient, admin_sqs: SqsClient, request: pytest.FixtureRequest
) -> Iterator[QueueMaker]:
    maker = QueueMaker(sqs, admin_sqs, request.node.name)
    try:
        yield maker
    finally:
        maker.cleanup()


@pytest.fixture
def queue(make_queue: QueueMaker) -> str:
    """The URL of a fresh, uniquely named standard queue, deleted after the test."""
    return make_queue()
