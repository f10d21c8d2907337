"""The configuration file: its keys, its credentials, precedence flag > env > file > default, and
errors that name the file and the key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from densho.cli import parse
from densho.config import OPTIONS, Credential
from densho.config_file import ConfigError, load
from tests.support.tls import self_signed


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for option in OPTIONS:
        monkeypatch.delenv(option.env, raising=False)
    monkeypatch.delenv("DENSHO_CONFIG", raising=False)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "densho.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_flag_has_a_file_key(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    values = {
        "host": '"0.0.0.0"',
        "port": "9400",
        "data_dir": f'"{tmp_path}"',
        "account_id": '"123456789012"',
        "region": '"eu-west-1"',
        "synchronous": '"normal"',
        "log_level": '"info"',
        "client_timeout": "7",
        "log_format": '"json"',
        "smtp_relay": '"127.0.0.1:25"',
        "store": '"sqlite:///x.db"',
        "pg_pool_size": "3",
        "max_inflight": "500",
        "auth": '"open"',
        "master_key_file": f'"{tmp_path / "master.key"}"',
        "tls_cert": f'"{cert}"',
        "tls_key": f'"{key}"',
        "public_url": '"HTTPS://Queues.Example.com:8443/"',
        "trusted_proxies": '"10.0.0.0/8, 192.168.1.7"',
        "metrics": '"off"',
        "metrics_interval": "2.5",  # a TOML float
        "metrics_token": '"s3cret"',
        "node_name": '"node-a"',
        "clock": '"controlled"',
        "allow_test_endpoints": "true",
    }
    assert set(values) == {option.name for option in OPTIONS}
    tables: dict[str, list[str]] = {}
    for option in OPTIONS:
        tables.setdefault(option.section, []).append(f"{option.name} = {values[option.name]}")
    text = "\n".join(f"[{name}]\n" + "\n".join(lines) for name, lines in tables.items())
    _, settings = parse(["serve", "--config", str(_write(tmp_path, text))])
    assert (settings.host, settings.port, settings.data_dir) == ("0.0.0.0", 9400, tmp_path)
    assert (settings.account_id, settings.region, settings.synchronous) == (
        "123456789012",
        "eu-west-1",
        "NORMAL",
    )
    assert (settings.log_level, settings.log_format, settings.smtp_relay, settings.store) == (
        "info",
        "json",
        "127.0.0.1:25",
        "sqlite:///x.db",
    )
    assert (settings.pg_pool_size, settings.auth) == (3, "open")
    assert settings.max_inflight == 500
    assert settings.master_key_file == tmp_path / "master.key"
    assert (settings.tls_cert, settings.tls_key) == (cert, key)
    assert settings.public_url == "https://queues.example.com:8443"
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.168.1.7/32")
    assert (settings.metrics, settings.metrics_interval) == ("off", 2.5)
    assert (settings.metrics_token, settings.node_name) == ("s3cret", "node-a")
    assert (settings.clock, settings.allow_test_endpoints) == ("controlled", True)


def test_precedence_flag_then_env_then_file_then_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, '[server]\nport = 9500\nregion = "eu-west-1"\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("DENSHO_CONFIG", str(path))
    monkeypatch.setenv("DENSHO_REGION", "ap-south-1")
    _, settings = parse(["serve", "--port", "9600"])
    assert settings.port == 9600  # flag over file
    assert settings.region == "ap-south-1"  # environment over file
    assert settings.host == "0.0.0.0"  # file over default
    assert settings.account_id == "000000000000"  # default
    assert settings.config_file == path


def test_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOB_SECRET", "bob-secret")
    monkeypatch.setenv("BOB_TOKEN", "bob-token")
    path = _write(
        tmp_path,
        """
[[credentials]]
access_key_id = "AKIAALICE"
secret_access_key = "alice-secret"
account_id = "111111111111"

[[credentials]]
access_key_id = "AKIABOB"
secret_access_key_env = "BOB_SECRET"
account_id = "222222222222"
principal = "arn:aws:iam::222222222222:user/team/bob"
policy = '''{"Version": "2012-10-17", "Statement": []}'''
session_token_env = "BOB_TOKEN"
""",
    )
    _, settings = parse(["serve", "--config", str(path)])
    assert settings.auth_enabled
    alice, bob = settings.credentials
    assert alice == Credential(
        "AKIAALICE", "alice-secret", "111111111111", "arn:aws:iam::111111111111:root"
    )
    assert (bob.secret_access_key, bob.principal) == (
        "bob-secret",
        "arn:aws:iam::222222222222:user/team/bob",
    )
    assert bob.policy is not None and "Statement" in bob.policy
    assert (alice.session_token, bob.session_token) == (None, "bob-token")
    assert "bob-token" not in repr(settings)
    assert "alice-secret" not in repr(settings)  # secrets stay out of logs and tracebacks
    _, settings = parse(["serve", "--config", str(path), "--auth", "open"])
    assert not settings.auth_enabled


def test_no_credentials_means_open(tmp_path: Path) -> None:
    _, settings = parse(["serve", "--config", str(_write(tmp_path, "[server]\n"))])
    assert not settings.auth_enabled and settings.credentials == ()
    _, settings = parse(["serve"])
    assert not settings.auth_enabled


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[server]\nport = 'x'\n", "server.port: invalid value 'x'"),
        ("[server]\nprot = 1\n", "unknown key server.prot"),
        ("[srever]\n", "unknown table [srever]"),
        ("[server]\nsynchronous = 'OFF'\n", "server.synchronous must be one of FULL, NORMAL"),
        ("[server]\nport = true\n", "server.port must be a string or a number"),
        ("[server\n", ":1: Expected ']' at the end of a table declaration (at line 1"),
        ("credentials = 1\n", "credentials must be an array of tables"),
        (
            "[[credentials]]\naccess_key_id = 'A'\naccount_id = '111111111111'\n",
            "credentials[0]: give secret_access_key or secret_access_key_env",
        ),
        (
            "[[credentials]]\naccess_key_id = 'A'\nsecret_access_key = 's'\n"
            "account_id = '111111111111'\nsession_token = 't'\nsession_token_env = 'T'\n",
            "credentials[0]: give session_token or session_token_env, one of them",
        ),
        (
            "[[credentials]]\naccess_key_id = 'A'\nsecret_access_key = 's'\naccount_id = '1'\n",
            "credentials[0]: account_id must be twelve digits",
        ),
        (
            "[[credentials]]\naccess_key_id = 'A'\nsecret_access_key = 's'\n"
            "account_id = '111111111111'\nprincipal = 'arn:aws:iam::222222222222:root'\n",
            "credentials[0]: principal must be arn:aws:iam::111111111111:root",
        ),
        (
            "[[credentials]]\naccess_key_id = 'A'\nsecret_access_key = 's'\n"
            "account_id = '111111111111'\npolicy = '{'\n",
            "credentials[0]: policy is not valid JSON",
        ),
        (
            "[[credentials]]\naccess_key_id = 'A'\nsecret_access_key_env = 'DENSHO_NO_SUCH_VAR'\n"
            "account_id = '111111111111'\n",
            "names DENSHO_NO_SUCH_VAR, which is not set",
        ),
        (
            "[[credentials]]\naccess_key_id = 'A'\nsecret_access_key = 's'\n"
            "account_id = '111111111111'\nsecret = 'x'\n",
            "credentials[0]: unknown key secret",
        ),
        (
            "[[credentials]]\naccess_key_id = 'A'\nsecret_access_key = 's'\n"
            "account_id = '111111111111'\n"
            "[[credentials]]\naccess_key_id = 'A'\nsecret_access_key = 't'\n"
            "account_id = '111111111111'\n",
            "credentials[1]: access_key_id A is configured twice",
        ),
    ],
)
def test_mistakes_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}:")  # then the line, when it is known
    assert message in str(caught.value)


def test_the_command_exits_2_with_the_reason(tmp_path: Path) -> None:
    path = _write(tmp_path, "[server]\nport = 'x'\n")
    cases = [
        (["--config", str(path)], "server.port: invalid value 'x'"),
        (["--config", str(tmp_path / "missing.toml")], "cannot read"),
        (["--auth", "sigv4"], "--auth sigv4 needs at least one [[credentials]]"),
    ]
    for args, message in cases:
        proc = subprocess.run(
            [sys.executable, "-m", "densho", "serve", "--port", "0", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 2, proc.stderr
        assert message in proc.stderr
        assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("host", "warned"), [("0.0.0.0", True), ("127.0.0.1", False)])
def test_open_server_off_loopback_warns_once(tmp_path: Path, host: str, warned: bool) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "densho", "serve", "--host", host, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**_env_without_densho(), "DENSHO_DATA_DIR": str(tmp_path)},
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("densho ready:")
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert stderr.count("authentication is off") == (1 if warned else 0), stderr


def _env_without_densho() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DENSHO_")}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# settings\n[server]\nhost = 'x'\nport = 'x'\n", ":4: server.port: invalid value 'x'"),
        ("[server]\n\nprot = 1\n", ":3: unknown key server.prot"),
        (
            "[[credentials]]\naccess_key_id = 'A'\nsecret_access_key = 's'\n"
            "account_id = '111111111111'\n\n[[credentials]]\naccess_key_id = 'B'\n"
            "account_id = '1'\nsecret_access_key = 's'\n",
            ":6: credentials[1]: account_id must be twelve digits",
        ),
        ("[sns]\nhttp_endpoints = { allow = 1 }\n", ":2: sns.http_endpoints.allow must be"),
    ],
)
def test_mistakes_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}{message}")
