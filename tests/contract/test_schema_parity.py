"""The two schemas describe one set of tables: SQLite's (``sql/schema*.sql``, applied on open)
and PostgreSQL's (the migrations in ``sql/pg/``, whose result ``schema.snapshot`` records and
``test_postgres`` proves). The store's SQL is written once against these tables, so a column
added to one schema and not the other breaks a backend: this test says where, before that.

What only PostgreSQL has is listed here, with why. Types are compared by family: SQLite stores
every integer as INTEGER, a binary as BLOB, and a row-id array as a JSON text.
"""

from __future__ import annotations

import sqlite3
from importlib import resources

from densho.storage import sql

# Several nodes: the migrations record, the shared signing key, a move task's lease, and the
# row-count changes the triggers append (one counter row per queue would be a lock every node's
# sends and deletes queue on; SQLite's single writer adds them to queue_counts in place).
ONLY_POSTGRES_TABLES = {"densho_schema_migrations", "sns_signing", "queue_count_deltas"}
ONLY_POSTGRES_COLUMNS = {("move_tasks", "owner"), ("move_tasks", "lease_until_ms")}
# Maintenance on several nodes deletes expired rows by index; SQLite's single writer scans
# (FIFO windows excepted: those it forgets in chunks, by index).
ONLY_POSTGRES_INDEXES = {
    "sns_dedup_by_expiry",
    "queue_count_deltas_by_queue",  # its table is PostgreSQL's only
}
FAMILY = {
    "smallint": "INTEGER",
    "bigint": "INTEGER",
    "integer": "INTEGER",
    "bytea": "BLOB",
    "text": "TEXT",
    "ARRAY": "TEXT",
}

Columns = dict[str, list[tuple[str, str, bool]]]  # table -> (column, type family, not null)


def _postgres() -> tuple[Columns, set[str]]:
    snapshot = resources.files("densho.storage.sql").joinpath("pg", "schema.snapshot")
    tables: Columns = {}
    indexes: set[str] = set()
    table = ""
    for line in snapshot.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words[0] == "table":
            table = words[1]
            tables[table] = []
        elif words[0] == "column" and (table, words[1]) not in ONLY_POSTGRES_COLUMNS:
            not_null = "not null" in line or "identity" in line
            tables[table].append((words[1], FAMILY[words[2]], not_null))
        elif words[0] == "index" and "UNIQUE" not in line:
            indexes.add(words[1].rstrip(":"))
    for name in ONLY_POSTGRES_TABLES:
        del tables[name]
    return tables, indexes - ONLY_POSTGRES_INDEXES


def _sqlite() -> tuple[Columns, set[str]]:
    conn = sqlite3.connect(":memory:")
    conn.executescript(sql.schema())
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    tables: Columns = {}
    for table in names:
        if table.startswith("sqlite_"):
            continue
        info = conn.execute(f"PRAGMA table_info({table})").fetchall()
        # A column of the primary key is NOT NULL in PostgreSQL by definition.
        tables[table] = [
            (name, kind, bool(notnull or pk)) for _, name, kind, notnull, _, pk in info
        ]
    indexes = {
        r[0]
        for r in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        if r[1] is not None and not r[1].startswith("CREATE UNIQUE")
    }
    conn.close()
    return tables, indexes


def test_both_schemas_have_the_same_tables_columns_and_indexes() -> None:
    pg_tables, pg_indexes = _postgres()
    lite_tables, lite_indexes = _sqlite()
    assert sorted(lite_tables) == sorted(pg_tables)
    for table, columns in pg_tables.items():
        assert lite_tables[table] == columns, table
    assert lite_indexes == pg_indexes
