"""How densho writes its log: plain text or one JSON object per line, and the access line.

Owns: the log format (``--log-format text|json``), and turning each ``RequestRecord`` into one
access line at info level (the health probes and metric scrapes at debug: load balancers and
Prometheus ask every few seconds).
Must not know: what requests do. Never logs a message body, a header or a secret: the access
line is built only from the record's fields.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import orjson

from densho.observe import RequestRecord

ACCESS = logging.getLogger("densho.access")
PROBES = frozenset({"/_densho/health", "/_densho/ready", "/metrics"})
# The fields of an access line, in the order the text format writes them.
_FIELDS = (
    "request_id",
    "account",
    "service",
    "action",
    "resource",
    "status",
    "error",
    "ms",
    "client",
    "method",
    "path",
)
# LogRecord attributes every record has: anything else was passed with ``extra=``.
# (uvicorn adds "color_message", the same text with terminal colours.)
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the fields given as ``extra``,
    and the stack trace of an exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            # An access line's fields stand on their own below; its text would repeat them.
            "message": "access" if record.name == ACCESS.name else record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD:
                entry[key] = value
        if record.exc_info:
            entry["trace"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure(level: str, log_format: str = "text") -> None:
    """Route every logger (densho's and uvicorn's) to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        formatter: logging.Formatter = JsonFormatter()
        formatter.converter = _utc
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


def _utc(seconds: float | None) -> time.struct_time:
    return time.gmtime(seconds)


def access(record: RequestRecord) -> None:
    """The access line of one request (an ``Observer``)."""
    level = (
        logging.DEBUG if record.service == "densho" and record.action in PROBES else logging.INFO
    )
    if not ACCESS.isEnabledFor(level):
        return
    fields = {
        "request_id": record.request_id or "-",
        "account": record.account or "-",
        "service": record.service or "-",
        "action": record.action or "-",
        "resource": record.resource or "-",
        "status": record.status,
        "error": record.error_code or "-",
        "ms": round(record.latency_s * 1000, 2),
        "client": record.client or "-",
        "method": record.method or "-",
        "path": record.path or "-",
    }
    text = " ".join(f"{name}={fields[name]}" for name in _FIELDS)
    ACCESS.log(level, "%s", text, extra=fields)
