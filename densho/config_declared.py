"""The ``[[queues]]`` and ``[[topics]]`` (with ``[[topics.subscriptions]]``) of a configuration
file: their shape into ``Declared`` records.

Owns: the keys each entry may have, their types (names and attribute values are strings, as on
the wire), account ids of twelve digits — every mistake a ``ConfigError`` naming the file, the
line and the key path (``queues[1].attributes.VisibilityTimeout``).
Must not know: what an attribute value may be or how declared resources are applied
(``densho.providers.declared``), the command line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from densho.config import Declared, DeclaredQueue, DeclaredSubscription, DeclaredTopic

ACCOUNT = re.compile(r"\d{12}")
REGION = re.compile(r"[a-z]{2}(-[a-z0-9]+)+")
QUEUE_KEYS = ("name", "account", "region", "attributes", "tags")
TOPIC_KEYS = (*QUEUE_KEYS, "subscriptions")
SUBSCRIPTION_KEYS = ("protocol", "endpoint", "attributes")


def parse(path: Path, text: str, raw: dict[str, Any]) -> Declared:
    """The declarations of ``raw`` (the parsed file, whose ``queues`` and ``topics`` are taken
    out), accounts and regions left ``""`` where the file names none."""
    empty = Declared(file=path, text=text)
    queues = tuple(
        DeclaredQueue(key, *_resource(empty, key, entry, QUEUE_KEYS))
        for key, entry in _entries(empty, "queues", raw.pop("queues", []))
    )
    topics = []
    for key, entry in _entries(empty, "topics", raw.pop("topics", [])):
        subs = tuple(
            _subscription(empty, sub_key, sub)
            for sub_key, sub in _entries(
                empty, f"{key}.subscriptions", entry.get("subscriptions", [])
            )
        )
        topics.append(DeclaredTopic(key, *_resource(empty, key, entry, TOPIC_KEYS), subs))
    return Declared(queues, tuple(topics), path, text)


def _entries(file: Declared, key: str, value: Any) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise file.error(key, f"must be an array of tables ([[{key.split('[')[0]}]])")
    return [(f"{key}[{index}]", entry) for index, entry in enumerate(value)]


def _unknown(file: Declared, key: str, entry: dict[str, Any], known: tuple[str, ...]) -> None:
    for name in entry:
        if name not in known:
            raise file.error(f"{key}.{name}", f"unknown key (known: {', '.join(known)})")


def _resource(
    file: Declared, key: str, entry: dict[str, Any], known: tuple[str, ...]
) -> tuple[str, str, str, dict[str, str], dict[str, str]]:
    """name, account, region, attributes, tags of a queue or topic entry."""
    _unknown(file, key, entry, known)
    name = _text(file, key, entry, "name")
    account = _text(file, key, entry, "account", required=False)
    if account and not ACCOUNT.fullmatch(account):
        raise file.error(f"{key}.account", "must be twelve digits")
    region = _text(file, key, entry, "region", required=False)
    if region and not REGION.fullmatch(region):
        raise file.error(f"{key}.region", f"{region!r} is not a region name (us-east-1)")
    return (
        name,
        account,
        region,
        _strings(file, key, entry, "attributes"),
        _strings(file, key, entry, "tags"),
    )


def _subscription(file: Declared, key: str, entry: dict[str, Any]) -> DeclaredSubscription:
    _unknown(file, key, entry, SUBSCRIPTION_KEYS)
    return DeclaredSubscription(
        key,
        _text(file, key, entry, "protocol"),
        _text(file, key, entry, "endpoint"),
        _strings(file, key, entry, "attributes"),
    )


def _text(
    file: Declared, key: str, entry: dict[str, Any], name: str, *, required: bool = True
) -> str:
    value = entry.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value:
        raise file.error(
            f"{key}.{name}" if name in entry else key,
            f"{name} must be a non-empty string" if name in entry else f"{name} is missing",
        )
    return value


def _strings(file: Declared, key: str, entry: dict[str, Any], name: str) -> dict[str, str]:
    """A table of strings (attributes as AWS names them, tags); ``{}`` when absent."""
    table = entry.get(name, {})
    if not isinstance(table, dict):
        raise file.error(f"{key}.{name}", 'must be a table: { Name = "value", ... }')
    for item, value in table.items():
        if not isinstance(value, str):
            shown = str(value).lower() if isinstance(value, bool) else value
            raise file.error(
                f"{key}.{name}.{item}",
                f'must be a string, as on the wire ({item} = "{shown}")',
            )
    return dict(table)
