"""PostgreSQL schema migrations: numbered SQL files applied once each, in order, safely from
several nodes starting at once.

Owns: the migration files in ``densho/storage/sql/pg/`` (``NNNN_name.sql``), the
``densho_schema_migrations`` table that records which ran, the advisory lock that makes one node
apply them while the others wait, the refusal to run against a schema newer than this code, and
a canonical description of the schema (``describe``) that tests compare with the committed
``schema.snapshot``.
Must not know: what the tables mean.

Each migration runs in its own transaction together with its record, so a crash leaves it either
applied and recorded or neither.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from importlib import resources

import asyncpg

# pg_advisory_lock key held while migrating ("densho" in ASCII). Session-level: released when the
# connection ends, so a node that dies mid-migration never leaves the lock behind.
LOCK_KEY = 0x64656E73686F
_FILE = re.compile(r"^(\d{4})_(\w+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Every migration shipped with this code, oldest first."""
    folder = resources.files("densho.storage.sql").joinpath("pg")
    found = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(
                Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8"))
            )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    assert versions == list(range(1, len(found) + 1)), f"migration numbers have gaps: {versions}"
    return found


def latest() -> int:
    return len(migrations())


async def migrate(conn: asyncpg.Connection) -> list[int]:
    """Bring the database up to this code's schema; return the versions applied now.

    Raises RuntimeError (and changes nothing) when the database was migrated by a newer densho.
    """
    known = migrations()
    await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS densho_schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)"
        )
        applied = {r[0] for r in await conn.fetch("SELECT version FROM densho_schema_migrations")}
        newest = max(applied, default=0)
        if newest > len(known):
            raise RuntimeError(
                f"the database was migrated by a newer densho (schema {newest}; this one knows "
                f"{len(known)}); refusing to use it"
            )
        done = []
        for m in known:
            if m.version in applied:
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute(
                    "INSERT INTO densho_schema_migrations (version, name, applied_ms)"
                    " VALUES ($1, $2, $3)",
                    m.version,
                    m.name,
                    int(time.time() * 1000),
                )
            done.append(m.version)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)


async def describe(conn: asyncpg.Connection) -> str:
    """The schema of the current database's ``public`` schema as stable text: tables with their
    columns (type, nullability, default), constraints and indexes, each sorted by name; then
    its functions (name, arguments, result)."""
    lines: list[str] = []
    tables = await conn.fetch(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    for (table,) in tables:
        lines.append(f"table {table}")
        for name, dtype, nullable, default, identity in await conn.fetch(
            "SELECT column_name, data_type, is_nullable, column_default, is_identity"
            " FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1"
            " ORDER BY ordinal_position",
            table,
        ):
            extra = " identity" if identity == "YES" else ""
            extra += "" if nullable == "YES" else " not null"
            extra += f" default {default}" if default is not None else ""
            lines.append(f"  column {name} {dtype}{extra}")
        for name, definition in await conn.fetch(
            "SELECT conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
            " JOIN pg_class t ON t.oid = c.conrelid"
            " JOIN pg_namespace n ON n.oid = t.relnamespace"
            " WHERE n.nspname = 'public' AND t.relname = $1 ORDER BY conname",
            table,
        ):
            lines.append(f"  constraint {name} {definition}")
        for name, definition in await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = 'public' AND tablename = $1 ORDER BY indexname",
            table,
        ):
            lines.append(f"  index {name}: {definition}")
    for name, arguments, result in await conn.fetch(
        "SELECT p.proname, pg_get_function_identity_arguments(p.oid),"
        " pg_get_function_result(p.oid) FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'public' ORDER BY p.proname, 2"
    ):
        lines.append(f"function {name}({arguments}) returns {result}")
    return "\n".join(lines) + "\n"


async def migrate_url(url: str) -> list[int]:
    """Connect to ``url`` and migrate (``densho migrate``); RuntimeError when unreachable."""
    if not url.startswith(("postgresql://", "postgres://")):
        raise ValueError(f"not a PostgreSQL URL: {url!r}")
    try:
        conn = await asyncpg.connect(url, timeout=10)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise RuntimeError(f"cannot connect to the database: {exc}") from None
    try:
        return await migrate(conn)
    finally:
        await conn.close()
