"""Named SQL: ``-- name: x`` blocks, shared by both backends, overridden by name for PostgreSQL.

Owns: loading the query files shipped in this folder — the shared ones (``SHARED``) and, for
PostgreSQL, the ``pg_`` file of each, whose queries replace the shared ones of the same name or
add those only PostgreSQL runs — and the SQLite schema.
Must not know: which backend runs them, what they do.
"""

from __future__ import annotations

import re
from importlib import resources

_NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)
SHARED = (
    "queries.sql",
    "moves.sql",
    "sns.sql",
    "sns_outbox.sql",
    "sns_manage.sql",
    "sealing.sql",
    "reset.sql",
)


def _parse(text: str) -> dict[str, str]:
    parts = _NAME.split(text)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}


def read(filename: str) -> str:
    return resources.files(__package__).joinpath(filename).read_text(encoding="utf-8")


def schema() -> str:
    """The whole schema: ``schema.sql``, then every ``schema_*.sql`` (one per feature area)."""
    folder = resources.files(__package__)
    extra = sorted(
        entry.name
        for entry in folder.iterdir()
        if entry.name.startswith("schema_") and entry.name.endswith(".sql")
    )
    return "\n".join(read(name) for name in ["schema.sql", *extra])


def queries(postgres: bool) -> dict[str, str]:
    """Every named query of one backend: the shared files', with PostgreSQL's overrides."""
    out: dict[str, str] = {}
    for filename in SHARED:
        part = _parse(read(filename))
        assert not part.keys() & out.keys(), f"{filename} repeats a query name"
        out.update(part)
    if postgres:
        for filename in SHARED:
            out.update(_parse(read(f"pg_{filename}")))
    return out
