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

    @property
    def database(self) -> Path:
        return self.data_dir / "densho.db"


# flag name -> (environment variable, type)
ENV = {
    "host": ("DENSHO_HOST", str),
    "port": ("DENSHO_PORT", int),
    "data_dir": ("DENSHO_DATA_DIR", Path),
    "account_id": ("DENSHO_ACCOUNT_ID", str),
    "region": ("DENSHO_REGION", str),
    "synchronous": ("DENSHO_SYNCHRONOUS", str),
    "log_level": ("DENSHO_LOG_LEVEL", str),
}
