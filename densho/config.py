"""Server settings and where each comes from: flag > environment (DENSHO_*) > config file > default.

Owns: the one ``Settings`` value a server starts from, the ``Credential`` records of the
configuration, the declared resources (``Declared``: queues, topics, subscriptions, each knowing
where in the file it is written, so a later refusal names the file, line and key; the
``ConfigError`` all such mistakes are), and ``OPTIONS`` — one row per setting naming its flag,
environment variable and config-file key, from which the command line, the environment and the
file are all read.
Must not know: how the server uses them, or how a TOML file is read (``densho.config_file``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from densho import config_lines, proxies


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "densho"


@dataclass(frozen=True, slots=True)
class Credential:
    """One ``[[credentials]]`` entry: an access key and who it stands for."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    account_id: str
    principal: str  # an IAM ARN; the loader fills in the account root when none is given
    policy: str | None = None  # the identity policy (IAM JSON), as written
    # Requests signed with this key must carry this X-Amz-Security-Token (temporary
    # credentials); None: a request carrying any token is refused.
    session_token: str | None = field(default=None, repr=False)


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class DeclaredQueue:
    """A ``[[queues]]`` entry; ``key`` is where it is written (``queues[1]``)."""

    key: str
    name: str
    account: str  # the server's account id when the file names none
    region: str
    attributes: dict[str, str]
    tags: dict[str, str]

    @property
    def arn(self) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account}:{self.name}"


@dataclass(frozen=True, slots=True)
class DeclaredSubscription:
    """A ``[[topics.subscriptions]]`` entry (``topics[0].subscriptions[1]``)."""

    key: str
    protocol: str
    endpoint: str
    attributes: dict[str, str]


@dataclass(frozen=True, slots=True)
class DeclaredTopic:
    key: str
    name: str
    account: str
    region: str
    attributes: dict[str, str]
    tags: dict[str, str]
    subscriptions: tuple[DeclaredSubscription, ...] = ()

    @property
    def arn(self) -> str:
        return f"arn:aws:sns:{self.region}:{self.account}:{self.name}"


@dataclass(frozen=True, slots=True)
class Declared:
    """The resources a configuration file declares, and the file's text, to name the line of
    a key when one of them is refused."""

    queues: tuple[DeclaredQueue, ...] = ()
    topics: tuple[DeclaredTopic, ...] = ()
    file: Path | None = None
    text: str = field(default="", repr=False)

    def error(self, key: str, message: str) -> ConfigError:
        """``FILE:LINE: key: message`` (without the line when it cannot be found)."""
        line = config_lines.locate(self.text, key)
        return ConfigError(f"{self.file}{'' if line is None else f':{line}'}: {key}: {message}")

    def resolved(self, account: str, region: str) -> Declared:
        """Entries that name no account or region get the server's (``""`` until now: the
        file is read before flags and the environment decide them)."""
        queues = tuple(
            replace(q, account=q.account or account, region=q.region or region) for q in self.queues
        )
        topics = tuple(
            replace(t, account=t.account or account, region=t.region or region) for t in self.topics
        )
        return replace(self, queues=queues, topics=topics)

    @property
    def subscriptions(self) -> int:
        return sum(len(t.subscriptions) for t in self.topics)


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 9324
    data_dir: Path = Path()
    account_id: str = "000000000000"
    region: str = "us-east-1"
    # FULL: an acknowledged write survives power loss. NORMAL: survives a process crash only.
    synchronous: str = "FULL"
    log_level: str = "warning"
    log_format: str = "text"  # or "json": one object per line
    # Seconds a client may take to send a request's head (from its first byte), and may pause
    # within its body, before densho closes the connection (slowloris, truncated bodies).
    client_timeout: int = 20
    # SNS email / email-json deliveries go through this SMTP relay ("host:port"); None: they
    # are recorded (GET /_densho/sns/recorded) instead of sent.
    smtp_relay: str | None = None

    # The store's URL: "" for SQLite in data_dir (densho.db), sqlite:///path, or
    # postgresql://user@host:port/database. The PostgreSQL pool holds at most pg_pool_size
    # connections (plus one that listens for other nodes' notifications).
    store: str = ""
    pg_pool_size: int = 10
    # Messages in flight per queue before receives get no more (AWS: 120,000; short polls of a
    # standard queue then answer OverLimit).
    max_inflight: int = 120_000

    # Authentication: "sigv4", "open", or "" — on exactly when credentials are configured.
    auth: str = ""
    credentials: tuple[Credential, ...] = ()
    config_file: Path | None = None  # where the settings were read from, for messages
    declared: Declared = Declared()  # queues, topics, subscriptions to hold at start

    # Encryption at rest: the master key, from a file or (base64, never from the config file)
    # DENSHO_MASTER_KEY; neither: master.key in data_dir (SQLite), created on first start.
    master_key_file: Path | None = None
    master_key: str | None = field(default=None, repr=False)
    # HTTPS: both or neither (PEM files; the certificate file may hold the chain).
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # The base URL densho writes into the URLs it returns (queue URLs, SubscribeURL, ...);
    # None: the scheme and host the request came with (densho.proxies).
    public_url: str | None = None
    # Peers (CIDR blocks) whose X-Forwarded-Proto, -Host and -For headers are believed.
    trusted_proxies: tuple[str, ...] = ()
    # Where SNS may deliver (HTTP/S, email): ``[sns] http_endpoints = {allow=[...], deny=[...]}``
    # entries (CIDRs, addresses, host patterns), checked by densho.sns.endpoint_rules.
    http_endpoints_allow: tuple[str, ...] = ()
    http_endpoints_deny: tuple[str, ...] = ()
    # Prometheus metrics at GET /metrics ("on" or "off"); the gauges read from the database are
    # refreshed every metrics_interval seconds. With metrics_token set, a scrape must carry
    # "Authorization: Bearer <token>"; without it /metrics is public, like the health probes.
    metrics: str = "on"
    metrics_interval: float = 15.0
    metrics_token: str | None = field(default=None, repr=False)
    # The ``node`` label of this node's counters ("": host name and port).
    node_name: str = ""
    # Test suites: "controlled" puts AWS time on a clock they can push forward
    # (POST /_densho/clock/advance); never the default. Test endpoints (the clock, reset) are
    # served without authentication; with it on, only if allow_test_endpoints.
    clock: str = "system"
    allow_test_endpoints: bool = False

    @property
    def database(self) -> Path:
        return self.data_dir / "densho.db"

    @property
    def store_url(self) -> str:
        return self.store or f"sqlite:///{self.database}"

    @property
    def auth_enabled(self) -> bool:
        return self.auth == "sigv4" or (self.auth == "" and bool(self.credentials))


_SETTINGS_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in fields(Settings) if f.default is not MISSING
}


def _upper(text: str) -> str:
    return text.upper()


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise ValueError(f"must be more than 0, not {text}")
    return value


def parse_bool(text: str) -> bool:
    """A switch's value: a bare flag is true; ``true``/``false`` (any case), 1/0, yes/no."""
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"must be true or false, not {text}")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(f"must be at least 1, not {text}")
    return value


@dataclass(frozen=True, slots=True)
class Option:
    """A setting read from a flag, an environment variable and a key of the config file."""

    name: str  # the Settings field
    parse: Callable[[str], Any]  # a flag's or variable's text -> the value
    help: str
    section: str = "server"  # the config-file table holding the key (the key is ``name``)
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    default: Callable[[], Any] | None = None  # when the Settings default is not a constant
    default_text: str | None = None  # the default as --help says it; None: the Settings default

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return "DENSHO_" + self.name.upper()

    @property
    def help_text(self) -> str:
        """The help line ``--help`` shows: what it does, its variable and its default."""
        default = self.default_text
        if default is None:
            value = _SETTINGS_DEFAULTS.get(self.name)
            default = "none" if value in (None, "") else str(value)
        return f"{self.help} [env {self.env}; default: {default}]"


OPTIONS: tuple[Option, ...] = (
    Option("host", str, "address to listen on"),
    Option("port", int, "port to listen on (0: any free port)"),
    Option(
        "data_dir",
        Path,
        "where the SQLite store and keys live",
        metavar="DIR",
        default=default_data_dir,
        default_text="$XDG_DATA_HOME/densho or ~/.local/share/densho",
    ),
    Option(
        "account_id",
        str,
        "the account of unsigned requests (authentication off)",
        metavar="ID",
    ),
    Option("region", str, "the region of requests whose signature names none"),
    Option(
        "synchronous",
        _upper,
        "FULL: acknowledged writes survive power loss; NORMAL: faster, survives process "
        "crashes only",
        choices=("FULL", "NORMAL"),
    ),
    Option(
        "log_level",
        str,
        "debug, info (adds one access line per request), warning, error",
        metavar="LEVEL",
    ),
    Option(
        "log_format",
        str,
        "text, or json: one JSON object per line",
        choices=("text", "json"),
    ),
    Option(
        "client_timeout",
        int,
        "seconds a client may take to send a request's headers, or pause in its body, "
        "before the connection is closed",
        metavar="SECONDS",
    ),
    Option(
        "smtp_relay",
        str,
        "send SNS email deliveries through this SMTP relay",
        section="sns",
        metavar="HOST:PORT",
        default_text="none: emails are recorded, GET /_densho/sns/recorded",
    ),
    Option(
        "store",
        str,
        "sqlite:///path/densho.db, postgresql://user@host:port/database, or memory (SQLite "
        "in memory, nothing on disk: for test runs)",
        metavar="URL",
        default_text="SQLite, densho.db in --data-dir",
    ),
    Option("pg_pool_size", int, "PostgreSQL: connections per node", metavar="N"),
    Option(
        "max_inflight",
        _positive_int,
        "messages in flight (received, not deleted) per queue before receives get no more; "
        "a short poll of a standard queue then answers OverLimit, as on AWS",
        metavar="N",
    ),
    Option(
        "auth",
        str,
        "sigv4: verify signatures; open: accept any key",
        choices=("open", "sigv4"),
        default_text="sigv4 exactly when the config file names [[credentials]]",
    ),
    Option(
        "master_key_file",
        Path,
        "the master key encrypting messages at rest (or the key itself, base64, in "
        "DENSHO_MASTER_KEY); several PostgreSQL nodes must share one",
        metavar="FILE",
        default_text="master.key in --data-dir, created on first start (SQLite only)",
    ),
    Option(
        "tls_cert",
        Path,
        "serve HTTPS with this PEM certificate (needs --tls-key)",
        metavar="FILE",
        default_text="none: plain HTTP",
    ),
    Option("tls_key", Path, "the PEM private key of --tls-cert", metavar="FILE"),
    Option(
        "public_url",
        proxies.public_url,
        "the base URL (http(s)://HOST[:PORT]) of the queue, subscribe, unsubscribe and "
        "certificate URLs densho returns, e.g. a TLS proxy's in front of it",
        metavar="URL",
        default_text="the scheme and host each request came with",
    ),
    Option(
        "trusted_proxies",
        proxies.trusted_proxies,
        "addresses or CIDR blocks of proxies whose X-Forwarded-Proto, -Host and -For headers "
        "densho believes (the client's scheme, host and address)",
        metavar="CIDR,...",
        default_text="none: forwarded headers are ignored",
    ),
    Option(
        "metrics",
        str,
        "Prometheus metrics at GET /metrics: on (default) or off",
        choices=("on", "off"),
    ),
    Option(
        "metrics_interval",
        _positive_float,
        "seconds between reads of the metrics' queue and outbox gauges from the store (default 15)",
        metavar="SECONDS",
    ),
    Option(
        "metrics_token",
        str,
        "require 'Authorization: Bearer TOKEN' on GET /metrics (default: public, like the "
        "health probes); prefer the environment variable to the flag",
        metavar="TOKEN",
    ),
    Option(
        "node_name",
        str,
        "this node's name in the metrics' node label (default: host name:port)",
        metavar="NAME",
    ),
    Option(
        "clock",
        str,
        "AWS time: system, or controlled (tests: POST /_densho/clock/advance?seconds=N pushes "
        "it forward)",
        choices=("system", "controlled"),
    ),
    Option(
        "allow_test_endpoints",
        parse_bool,
        "serve the test endpoints (/_densho/clock, /_densho/reset) with authentication on",
        metavar="BOOL",
    ),
)

BY_NAME = {option.name: option for option in OPTIONS}
