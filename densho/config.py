"""Server settings: defaults, environment variables (DENSHO_*) and command-line flags.

Owns: the one ``Settings`` value a server starts from.
Must not know: how the server uses them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "densho"


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
    # SNS email / email-json deliveries go through this SMTP relay ("host:port"); None: they
    # are recorded (GET /_densho/sns/recorded) instead of sent.
    smtp_relay: str | None = None

    # The store's URL: "" for SQLite in data_dir (densho.db), sqlite:///path, or
    # postgresql://user@host:port/database. The PostgreSQL pool holds at most pg_pool_size
    # connections (plus one that listens for other nodes' notifications).
    store: str = ""
    pg_pool_size: int = 10

    @property
    def database(self) -> Path:
        return self.data_dir / "densho.db"

    @property
    def store_url(self) -> str:
        return self.store or f"sqlite:///{self.database}"


# flag name -> (environment variable, type)
ENV = {
    "host": ("DENSHO_HOST", str),
    "port": ("DENSHO_PORT", int),
    "data_dir": ("DENSHO_DATA_DIR", Path),
    "account_id": ("DENSHO_ACCOUNT_ID", str),
    "region": ("DENSHO_REGION", str),
    "synchronous": ("DENSHO_SYNCHRONOUS", str),
    "log_level": ("DENSHO_LOG_LEVEL", str),
    "store": ("DENSHO_STORE", str),
    "pg_pool_size": ("DENSHO_PG_POOL_SIZE", int),
    "smtp_relay": ("DENSHO_SMTP_RELAY", str),
}
