"""Fixtures of the storage contract suite: one ``backend`` per store (``DENSHO_TEST_STORES``).

SQLite gets a fresh file per test; PostgreSQL one database for the whole session
(``densho_test_<random>``, dropped at the end), emptied before each test (TRUNCATE of every table
but the migrations record), so a test never sees another's rows and migrations run once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from densho.storage.open import AnyStore, from_url
from tests.support import pg


@dataclass
class Backend:
    kind: str
    url: str

    def store(self) -> AnyStore:
        """A new (unopened) store on this backend's database: a second one is another node."""
        return from_url(self.url, synchronous="NORMAL", pg_pool_size=4)

    @contextlib.asynccontextmanager
    async def opened(self) -> AsyncIterator[AnyStore]:
        store = self.store()
        await store.open()
        try:
            yield store
        finally:
            await store.close()


@pytest.fixture(scope="session")
def contract_pg() -> Iterator[str]:
    with pg.fresh_database() as url:
        yield url


async def _truncate(url: str) -> None:
    conn = await asyncpg.connect(url, timeout=5)
    try:
        tables = [
            r[0]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename <> 'densho_schema_migrations'"
            )
        ]
        if tables:
            await conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
    finally:
        await conn.close()


@pytest.fixture(params=pg.test_stores())
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", f"sqlite:///{tmp_path / 'contract.db'}")
    if request.param == "memory":  # DENSHO_TEST_STORES=memory: a store reopened starts empty
        return Backend("memory", "memory")
    url: str = request.getfixturevalue("contract_pg")
    asyncio.run(_truncate(url))
    return Backend("postgresql", url)
