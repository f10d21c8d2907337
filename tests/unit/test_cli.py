"""The command line: flags, their DENSHO_* environment variables, and precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from densho.cli import parse


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORT", "HOST", "DATA_DIR", "ACCOUNT_ID", "REGION", "SYNCHRONOUS"):
        monkeypatch.delenv(f"DENSHO_{name}", raising=False)
    command, settings = parse(["serve"])
    assert command == "serve"
    assert (settings.host, settings.port) == ("127.0.0.1", 9324)
    assert (settings.account_id, settings.region, settings.synchronous) == (
        "000000000000",
        "us-east-1",
        "FULL",
    )


def test_environment_then_flags(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DENSHO_PORT", "9999")
    monkeypatch.setenv("DENSHO_HOST", "0.0.0.0")
    monkeypatch.setenv("DENSHO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DENSHO_ACCOUNT_ID", "123456789012")
    monkeypatch.setenv("DENSHO_REGION", "eu-west-1")
    monkeypatch.setenv("DENSHO_SYNCHRONOUS", "normal")
    _, settings = parse(["serve"])
    assert (settings.host, settings.port, settings.data_dir) == ("0.0.0.0", 9999, tmp_path)
    assert (settings.account_id, settings.region, settings.synchronous) == (
        "123456789012",
        "eu-west-1",
        "NORMAL",
    )
    _, settings = parse(["serve", "--port", "1234", "--region", "ap-south-1"])
    assert (settings.port, settings.region) == (1234, "ap-south-1")
