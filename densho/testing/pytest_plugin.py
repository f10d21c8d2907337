"""densho's pytest plugin, registered by installing densho (entry point ``pytest11``).

Owns: the fixtures ``densho`` (a server for the session — or the scope ``--densho-scope`` says —
on the in-memory store and the controlled clock, or the one ``--densho-endpoint`` names) and
``densho_clean`` (the same server, reset before the test), and the command-line options.
Under pytest-xdist each worker is a session of its own, so each gets its own server.
Must not know: how a server is started or spoken to (``densho.testing.process``, ``.handle``).
Nothing here starts a server until a test asks for a fixture: a test run that uses neither
pays nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal, cast

import pytest

from densho.testing.handle import Densho
from densho.testing.process import connect, server

Scope = Literal["session", "package", "module", "class", "function"]
SCOPES = ("session", "package", "module", "class", "function")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("densho", "densho (SQS + SNS) server for tests")
    group.addoption(
        "--densho-endpoint",
        metavar="URL",
        default=None,
        help="use the densho running at URL instead of starting one",
    )
    group.addoption(
        "--densho-store",
        metavar="URL",
        default="memory",
        help="the store of the densho started for the tests: memory (default), "
        "sqlite:///path or postgresql://user@host:port/database",
    )
    group.addoption(
        "--densho-scope",
        choices=SCOPES,
        default="session",
        help="how long one densho server lives: session (default), package, module, class or "
        "function",
    )


def _scope(fixture_name: str, config: pytest.Config) -> Scope:
    return cast(Scope, config.getoption("densho_scope"))


@pytest.fixture(scope=_scope)
def densho(request: pytest.FixtureRequest) -> Iterator[Densho]:
    """A densho server: ``.endpoint_url``, ``.region``, ``.client("sqs")``, ``.reset()``,
    ``.advance(seconds)``, ``.now()``."""
    endpoint = request.config.getoption("densho_endpoint")
    if endpoint:
        yield connect(str(endpoint))
        return
    with server(store=str(request.config.getoption("densho_store"))) as running:
        yield running


@pytest.fixture
def densho_clean(densho: Densho) -> Densho:
    """The ``densho`` server, emptied (every queue, topic and message deleted) before the test."""
    densho.reset()
    return densho
