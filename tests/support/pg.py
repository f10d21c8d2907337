"""PostgreSQL for tests: which stores the suite runs against, and throw-away databases.

Owns: ``test_stores()`` (``DENSHO_TEST_STORES``, default both; ``memory``, the throwaway
store, only when named: restarts and crashes lose its data by design), creating a uniquely named
database (``densho_test_<random>``) through the maintenance database and dropping it (even with
connections left open) at the end. PostgreSQL is expected on 127.0.0.1:5432 (``DENSHO_TEST_PG``
overrides the maintenance URL); when it is unreachable the PostgreSQL half *fails* with a message
that says how to run SQLite alone — it is never skipped silently.
Knows nothing of densho's schema: the server (or store) migrates its database itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import urllib.parse
import uuid
from collections.abc import Iterator

import asyncpg
import pytest

ADMIN_URL = os.environ.get("DENSHO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
ALL_STORES = ("sqlite", "postgresql")
KNOWN_STORES = (*ALL_STORES, "memory")


def test_stores() -> list[str]:
    raw = os.environ.get("DENSHO_TEST_STORES", ",".join(ALL_STORES))
    stores = [s.strip() for s in raw.split(",") if s.strip()]
    unknown = set(stores) - set(KNOWN_STORES)
    if unknown or not stores:
        raise ValueError(f"DENSHO_TEST_STORES={raw!r}: use a list of {KNOWN_STORES}")
    return stores


test_stores.__test__ = False  # type: ignore[attr-defined]  # not a test, despite its name

# For modules that need PostgreSQL: they run when ``postgresql`` is among DENSHO_TEST_STORES and
# then fail (never skip) when it is not reachable.
only_with_postgresql = pytest.mark.skipif(
    "postgresql" not in test_stores(), reason="DENSHO_TEST_STORES excludes postgresql"
)


def url_of(database: str) -> str:
    parts = urllib.parse.urlsplit(ADMIN_URL)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{database}"))


async def _admin(sql: str) -> None:
    try:
        conn = await asyncpg.connect(ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {ADMIN_URL} ({exc}). Start it, point "
            "DENSHO_TEST_PG at one, or run SQLite alone with DENSHO_TEST_STORES=sqlite.",
            pytrace=False,
        )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_database(prefix: str = "densho_test") -> str:
    """A new empty database; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    return url_of(name)


def drop_database(url: str) -> None:
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A new empty database for the block (its URL), dropped afterwards."""
    url = create_database()
    try:
        yield url
    finally:
        drop_database(url)
