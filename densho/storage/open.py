"""Choosing the store from its URL: ``sqlite:///path``, ``postgresql://user@host:port/db``, or
``memory`` (also ``sqlite://:memory:``): SQLite in memory, for test runs — nothing on disk.

Owns: parsing a store URL into a backend instance (not opened), and the one message for a URL
densho cannot use.
Must not know: the engine, the server, how a backend works inside.
"""

from __future__ import annotations

from pathlib import Path

from densho.storage.postgres import DEFAULT_POOL_SIZE, PostgresStore
from densho.storage.sqlite import SqliteStore

AnyStore = SqliteStore | PostgresStore
SCHEMES = ("sqlite:///", "postgresql://", "postgres://")
MEMORY_URLS = ("memory", "sqlite://:memory:", "sqlite:///:memory:")


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def is_memory(url: str) -> bool:
    """The throwaway store: gone with the process, so nothing of it may touch the disk."""
    return url in MEMORY_URLS


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def from_url(
    url: str, *, synchronous: str = "FULL", pg_pool_size: int = DEFAULT_POOL_SIZE
) -> AnyStore:
    """The backend ``url`` names; ValueError for any other URL."""
    if is_memory(url):
        # Nothing to make durable: no fsync whatever ``synchronous`` says.
        return SqliteStore(None, "NORMAL")
    if url.startswith("sqlite:///"):
        return SqliteStore(Path(url.removeprefix("sqlite:///")), synchronous)
    if is_postgres(url):
        if pg_pool_size < 1:
            raise ValueError("the PostgreSQL pool size must be at least 1")
        return PostgresStore(url, pg_pool_size)
    raise ValueError(
        f"unknown store URL {url!r}: use sqlite:///path/to/file.db, "
        "postgresql://user@host:port/database or memory"
    )
