"""Named SQL: ``-- name: x`` blocks in ``queries.sql``, overridable per backend.

Owns: loading the query files shipped in this folder.
Must not know: which backend runs them.
"""

from __future__ import annotations

import re
from importlib import resources

_NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


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


def queries(*override_files: str) -> dict[str, str]:
    """The shared queries, each overridden by the same name in ``override_files`` (in order)."""
    out = _parse(read("queries.sql"))
    for filename in override_files:
        out.update(_parse(read(filename)))
    return out
