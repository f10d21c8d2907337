"""Store selection: the store URL (flag or DENSHO_STORE) picks the backend; SQLite by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from densho.cli import parse
from densho.storage.open import from_url
from densho.storage.postgres import PostgresStore, redact
from densho.storage.sqlite import SqliteStore


def test_default_is_sqlite_in_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DENSHO_STORE", raising=False)
    _, settings = parse(["serve", "--data-dir", str(tmp_path)])
    assert settings.store_url == f"sqlite:///{tmp_path / 'densho.db'}"
    store = from_url(settings.store_url)
    assert isinstance(store, SqliteStore) and store.url == settings.store_url


def test_postgres_from_flag_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql://densho@db.example:5433/queues"
    _, settings = parse(["serve", "--store", url, "--pg-pool-size", "3"])
    store = from_url(settings.store_url, pg_pool_size=settings.pg_pool_size)
    assert isinstance(store, PostgresStore) and store.url == url
    monkeypatch.setenv("DENSHO_STORE", url)
    monkeypatch.setenv("DENSHO_PG_POOL_SIZE", "7")
    _, settings = parse(["serve"])
    assert (settings.store, settings.pg_pool_size) == (url, 7)
    command, settings = parse(["migrate"])
    assert (command, settings.store) == ("migrate", url)


def test_bad_urls_and_redaction() -> None:
    with pytest.raises(ValueError, match="unknown store URL"):
        from_url("mysql://x/y")
    with pytest.raises(ValueError, match="pool size"):
        from_url("postgresql://x/y", pg_pool_size=0)
    assert redact("postgresql://u:secret@h:1/d") == "postgresql://u:***@h:1/d"


@pytest.mark.parametrize("url", ["memory", "sqlite://:memory:", "sqlite:///:memory:"])
def test_the_throwaway_store(url: str) -> None:
    _, settings = parse(["serve", "--store", url])
    store = from_url(settings.store_url)
    assert isinstance(store, SqliteStore) and store.url == "memory"
