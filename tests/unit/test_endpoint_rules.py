"""Where SNS may deliver: ``densho.sns.endpoint_rules`` and the ``[sns] http_endpoints`` key of
the configuration file."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from densho.config_file import ConfigError, load
from densho.sns.endpoint_rules import DEFAULT, EndpointRules, parse_entry

PRODUCTION = EndpointRules.parse(
    deny=["127.0.0.0/8", "::1", "10.0.0.0/8", "*.internal"],
    allow=["169.254.10.0/24"],
)


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "169.254.0.1",
        "fd00:ec2::254",
        "fe80::1",
        "fe80::1%eth0",
        "::ffff:169.254.169.254",
    ],
)
def test_default_refuses_link_local_and_metadata(address: str) -> None:
    assert not DEFAULT.address_allowed(address)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "::1", "10.1.2.3", "192.168.0.1", "8.8.8.8", "2001:db8::1", "fd00:ec2::253"],
)
def test_default_allows_the_rest_loopback_included(address: str) -> None:
    assert DEFAULT.address_allowed(address)
    assert DEFAULT.address_allowed(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://169.254.169.254/latest/meta-data/", False),
        ("http://[fd00:ec2::254]/latest/", False),
        ("http://[fe80::1]:8080/", False),
        # Legacy IPv4 spellings a resolver reads as 169.254.169.254.
        ("http://2852039166/", False),
        ("http://0xa9.0xfe.0xa9.0xfe/", False),
        ("http://0251.0376.0251.0376/", False),
        ("http://169.254.169.254.nip.io/", True),  # a name: its addresses are checked at delivery
        ("https://user:pw@hooks.example.com:8443/x", True),
        ("http://127.0.0.1:9000/", True),
        ("http://localhost/", True),
    ],
)
def test_urls_by_default(url: str, allowed: bool) -> None:
    assert DEFAULT.url_allowed(url) is allowed


def test_deny_wins_over_allow() -> None:
    rules = EndpointRules.parse(allow=["10.0.0.0/8"], deny=["10.1.0.0/16"])
    assert rules.address_allowed("10.2.0.1")
    assert not rules.address_allowed("10.1.0.1")


def test_explicit_allow_reopens_a_default_denied_range() -> None:
    assert PRODUCTION.address_allowed("169.254.10.7")
    assert not PRODUCTION.address_allowed("169.254.169.254")
    whole = EndpointRules.parse(allow=["169.254.0.0/16"])
    assert whole.address_allowed("169.254.169.254")


def test_production_rules() -> None:
    assert not PRODUCTION.url_allowed("http://127.0.0.1:8080/")
    assert not PRODUCTION.url_allowed("http://127.9.9.9/")
    assert not PRODUCTION.url_allowed("http://[::1]/")
    assert not PRODUCTION.url_allowed("http://[::ffff:127.0.0.1]/")
    assert not PRODUCTION.url_allowed("http://127.1/")
    assert not PRODUCTION.url_allowed("https://10.9.8.7/")
    assert not PRODUCTION.url_allowed("https://db.internal/")
    assert not PRODUCTION.url_allowed("https://a.b.INTERNAL./")
    assert PRODUCTION.url_allowed("https://internal.example.com/")
    assert PRODUCTION.url_allowed("https://hooks.example.com/")
    # Names are not resolved here: "localhost" passes, and is checked when delivered.
    assert PRODUCTION.url_allowed("http://localhost/")


def test_host_patterns() -> None:
    rules = EndpointRules.parse(deny=["*.internal", "metadata.google.internal", "evil.example"])
    assert not rules.name_allowed("metadata.google.internal")
    assert not rules.name_allowed("x.internal")
    assert rules.name_allowed("internal")
    assert not rules.name_allowed("Evil.Example")
    assert rules.name_allowed("notevil.example")
    assert not EndpointRules.parse(deny=["*"]).name_allowed("anything.at.all")


def test_email_domains() -> None:
    rules = EndpointRules.parse(deny=["*.internal", "10.0.0.0/8"])
    assert rules.email_allowed("alice@example.com")
    assert not rules.email_allowed("alice@mail.corp.internal")
    assert not rules.email_allowed("alice@[10.0.0.1]")
    assert not DEFAULT.email_allowed("x@[169.254.169.254]")
    assert DEFAULT.email_allowed("x@[IPv6:2001:db8::1]")


@pytest.mark.parametrize(
    "text", ["10.0.0.0/8", "fd00::/8", "127.0.0.1", "::1", "*.internal", "*", "a-b.example.com."]
)
def test_entries_parse(text: str) -> None:
    parse_entry(text)


@pytest.mark.parametrize(
    "text", ["10.0.0.1/8", "10.0.0.0/33", "300.1.1.1", "http://x/", "a b", "*.*", "", "fe80::zz"]
)
def test_bad_entries_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_entry(text)


# --- the configuration file ---


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "densho.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_file_reads_the_lists(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        '[sns]\nsmtp_relay = "127.0.0.1:25"\n'
        'http_endpoints = { allow = ["169.254.10.0/24"], deny = ["127.0.0.0/8", "*.internal"] }\n',
    )
    loaded = load(path)
    assert loaded.values == {"smtp_relay": "127.0.0.1:25"}
    assert loaded.file_only == {
        "http_endpoints_allow": ("169.254.10.0/24",),
        "http_endpoints_deny": ("127.0.0.0/8", "*.internal"),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('http_endpoints = ["10.0.0.0/8"]', "sns.http_endpoints must be a table"),
        ("http_endpoints = { permit = [] }", "unknown key sns.http_endpoints.permit"),
        ('http_endpoints = { deny = "10.0.0.0/8" }', "sns.http_endpoints.deny must be an array"),
        ('http_endpoints = { deny = ["10.0.0.1/8"] }', "sns.http_endpoints.deny: '10.0.0.1/8'"),
        ('http_endpoints = { allow = ["a b"] }', "sns.http_endpoints.allow: 'a b'"),
    ],
)
def test_config_file_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = _config(tmp_path, f"[sns]\n{text}\n")
    with pytest.raises(ConfigError) as error:
        load(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)
