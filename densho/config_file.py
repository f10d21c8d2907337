"""The configuration file (``densho serve --config FILE``): TOML into typed, checked values.

Owns: reading the file with ``tomllib``, mapping its ``[server]``/``[sns]`` keys to the settings
``OPTIONS`` names, checking ``[sns] http_endpoints`` (allow/deny lists of where SNS may deliver),
turning ``[[credentials]]`` into ``Credential`` records, and ``[[queues]]`` / ``[[topics]]`` into
``Declared`` ones (``densho.config_declared``) — every mistake reported as a ``ConfigError``
naming the file and the key (and the line, where tomllib or ``densho.config_lines`` finds it).
Must not know: the command line, the environment, or what the server does with the values.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from densho import config_declared, config_lines
from densho.config import OPTIONS, ConfigError, Credential, Declared, Option, parse_bool
from densho.sns import endpoint_rules

__all__ = ["ConfigError", "Loaded", "load"]

ACCOUNT = re.compile(r"\d{12}")
# An IAM principal of the account: its root, or a user (with an optional path).
PRINCIPAL = re.compile(r"arn:aws:iam::(\d{12}):(root|user/[\w+=,.@/-]+)")
CREDENTIAL_KEYS = frozenset(
    {
        "access_key_id",
        "secret_access_key",
        "secret_access_key_env",
        "account_id",
        "principal",
        "policy",
        "session_token",
        "session_token_env",
    }
)


class Loaded:
    """What a file holds: option values by Settings field, the credentials, and the settings
    only a file gives (``file_only``, by Settings field: ``[sns] http_endpoints``), and the
    declared resources (accounts and regions not yet resolved)."""

    def __init__(
        self,
        values: dict[str, Any],
        credentials: tuple[Credential, ...],
        file_only: dict[str, Any] | None = None,
        declared: Declared | None = None,
    ) -> None:
        self.values = values
        self.credentials = credentials
        self.file_only = file_only or {}
        self.declared = declared or Declared()


_AT_LINE = re.compile(r"at line (\d+)")


def load(path: Path) -> Loaded:
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:  # its message names the line and column
        line = _AT_LINE.search(str(exc))
        where = f"{path}:{line.group(1)}" if line else str(path)
        raise ConfigError(f"{where}: {exc}") from None
    declared = config_declared.parse(path, text, raw)
    file = _File(path, text)
    endpoints = _http_endpoints(file, raw)
    credentials = _credentials(file, raw.pop("credentials", []))
    return Loaded(_options(file, raw), credentials, endpoints, declared)


class _File:
    """The file for messages: ``at(key)`` is ``FILE:LINE`` where ``key`` is written."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def at(self, key: str) -> str:
        line = config_lines.locate(self.text, key)
        return str(self.path) if line is None else f"{self.path}:{line}"


def _http_endpoints(path: _File, raw: dict[str, Any]) -> dict[str, Any]:
    """``[sns] http_endpoints = { allow = [...], deny = [...] }`` (taken out of ``raw``): the
    lists as Settings fields, each entry checked by ``densho.sns.endpoint_rules``."""
    sns = raw.get("sns")
    if not isinstance(sns, dict) or "http_endpoints" not in sns:
        return {}
    table = sns.pop("http_endpoints")
    key = "sns.http_endpoints"
    if not isinstance(table, dict):
        raise ConfigError(
            f"{path.at(key)}: {key} must be a table: {{ allow = [...], deny = [...] }}"
        )
    unknown = sorted(set(table) - {"allow", "deny"})
    if unknown:
        raise ConfigError(f"{path.at(key)}: unknown key {key}.{unknown[0]} (allow, deny)")
    out: dict[str, Any] = {}
    for name in ("allow", "deny"):
        entries = table.get(name, [])
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise ConfigError(f"{path.at(key)}: {key}.{name} must be an array of strings")
        for entry in entries:
            try:
                endpoint_rules.parse_entry(entry)
            except ValueError as exc:
                raise ConfigError(f"{path.at(key)}: {key}.{name}: {exc}") from None
        out[f"http_endpoints_{name}"] = tuple(entries)
    return out


def _options(path: _File, raw: dict[str, Any]) -> dict[str, Any]:
    sections: dict[str, dict[str, Option]] = {}
    for option in OPTIONS:
        sections.setdefault(option.section, {})[option.name] = option
    values: dict[str, Any] = {}
    for section, table in raw.items():
        if section == "credentials":
            continue
        known = sections.get(section)
        if known is None:
            raise ConfigError(f"{path.at(section)}: unknown table [{section}]")
        if not isinstance(table, dict):
            raise ConfigError(f"{path.at(section)}: {section} must be a table ([{section}])")
        for key, value in table.items():
            found = known.get(key)
            if found is None:
                raise ConfigError(f"{path.at(f'{section}.{key}')}: unknown key {section}.{key}")
            values[key] = _value(path, f"{section}.{key}", found.parse, found.choices, value)
    return values


def _value(path: _File, key: str, parse: Any, choices: tuple[str, ...], value: Any) -> Any:
    # A file value is typed already; booleans are a switch's only, tables never a scalar.
    if isinstance(value, bool) and parse is parse_bool:
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConfigError(f"{path.at(key)}: {key} must be a string or a number")
    try:
        parsed = parse(str(value))
    except ValueError as exc:
        raise ConfigError(f"{path.at(key)}: {key}: invalid value {value!r} ({exc})") from None
    if choices and parsed not in choices:
        raise ConfigError(f"{path.at(key)}: {key} must be one of {', '.join(choices)}")
    return parsed


def _credentials(path: _File, entries: Any) -> tuple[Credential, ...]:
    if not isinstance(entries, list):
        raise ConfigError(
            f"{path.at('credentials')}: credentials must be an array of tables ([[credentials]])"
        )
    seen: set[str] = set()
    out = []
    for index, entry in enumerate(entries):
        where = f"{path.at(f'credentials[{index}]')}: credentials[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a table")
        unknown = sorted(set(entry) - CREDENTIAL_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]}")
        key_id = _text(entry, "access_key_id", where)
        if key_id in seen:
            raise ConfigError(f"{where}: access_key_id {key_id} is configured twice")
        seen.add(key_id)
        account = _text(entry, "account_id", where)
        if not ACCOUNT.fullmatch(account):
            raise ConfigError(f"{where}: account_id must be twelve digits")
        principal = entry.get("principal", f"arn:aws:iam::{account}:root")
        match = PRINCIPAL.fullmatch(principal) if isinstance(principal, str) else None
        if match is None or match.group(1) != account:
            raise ConfigError(
                f"{where}: principal must be arn:aws:iam::{account}:root or "
                f"arn:aws:iam::{account}:user/NAME"
            )
        policy = entry.get("policy")
        if policy is not None:
            if not isinstance(policy, str):
                raise ConfigError(f"{where}: policy must be a string of IAM policy JSON")
            try:
                json.loads(policy)
            except ValueError as exc:
                raise ConfigError(f"{where}: policy is not valid JSON: {exc}") from None
        secret = _secret(entry, where, "secret_access_key")
        token = _optional_secret(entry, where, "session_token")
        out.append(Credential(key_id, secret, account, principal, policy, token))
    return tuple(out)


def _secret(entry: dict[str, Any], where: str, key: str) -> str:
    value = _optional_secret(entry, where, key)
    if value is None:
        raise ConfigError(f"{where}: give {key} or {key}_env, one of them")
    return value


def _optional_secret(entry: dict[str, Any], where: str, key: str) -> str | None:
    """``key`` written in the file or, with ``key_env``, read from the variable it names."""
    if key in entry and f"{key}_env" in entry:
        raise ConfigError(f"{where}: give {key} or {key}_env, one of them")
    if key in entry:
        return _text(entry, key, where)
    if f"{key}_env" not in entry:
        return None
    name = _text(entry, f"{key}_env", where)
    value = os.environ.get(name, "")
    if not value:
        raise ConfigError(f"{where}: {key}_env names {name}, which is not set")
    return value


def _text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: {key} must be a non-empty string")
    return value
