"""A running densho as a test sees it: its endpoint, SDK clients, and the test endpoints.

Owns: ``Densho`` — the endpoint URL and region, boto3 clients with dummy credentials, and the calls
to densho's test endpoints (``POST /_densho/reset``, ``POST /_densho/clock/advance``,
``GET /_densho/clock``, ``GET /_densho/ready``) over plain HTTP with the standard library.
Must not know: how the server was started (``densho.testing.process``) or anything of densho's
insides: it is a client like any other, so it works against a densho started anywhere.
"""

from __future__ import annotations

import datetime
import json
import time
import urllib.error
import urllib.request
from typing import Any

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "000000000000"
# Any key works while densho's authentication is off (the default); SDKs insist on having one.
DUMMY_KEY = "test"
HTTP_TIMEOUT_S = 30.0


class DenshoError(RuntimeError):
    """densho answered a test endpoint with an error, or could not be reached."""


class Densho:
    """A densho server reachable at ``endpoint_url``.

    ``pid`` is the server's process id when this run started it, None for one started elsewhere
    (``--densho-endpoint``)."""

    def __init__(
        self,
        endpoint_url: str,
        *,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT,
        pid: int | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self.region = region
        self.account_id = account_id
        self.pid = pid

    def __repr__(self) -> str:
        return f"Densho({self.endpoint_url!r}, region={self.region!r}, pid={self.pid})"

    def client(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client of ``service`` ("sqs", "sns") on this densho, with dummy credentials;
        ``kwargs`` go to ``boto3.client`` (and win over these defaults)."""
        try:
            import boto3
        except ImportError as exc:
            raise DenshoError("Densho.client() needs boto3: pip install boto3") from exc
        options: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": DUMMY_KEY,
            "aws_secret_access_key": DUMMY_KEY,
            **kwargs,
        }
        return boto3.client(service, **options)

    def reset(self) -> dict[str, Any]:
        """Delete every queue, topic, subscription and message; answers when it is done."""
        return self._call("POST", "/_densho/reset")

    def advance(self, seconds: float | datetime.timedelta) -> datetime.datetime:
        """Move the server's clock forward by ``seconds`` (or a timedelta) on a densho started
        with ``--clock controlled``; the new time. Whatever was waiting for that time
        (visibility timeouts, delays, retention, long polls) happens at once."""
        if isinstance(seconds, datetime.timedelta):
            seconds = seconds.total_seconds()
        clock = self._call("POST", f"/_densho/clock/advance?seconds={_number(seconds)}")
        return _when(clock)

    def now(self) -> datetime.datetime:
        """The server's time (its clock's, which ``advance`` moves), in UTC."""
        return _when(self.clock())

    def clock(self) -> dict[str, Any]:
        """``GET /_densho/clock`` as sent: mode, now_ms, now (ISO 8601), offset_ms."""
        return self._call("GET", "/_densho/clock")

    def ready(self) -> bool:
        """Whether the server answers its ready probe (started, store reachable)."""
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/_densho/ready", timeout=5) as r:
                return bool(r.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self, timeout: float) -> None:
        """Return once the ready probe answers 200; DenshoError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not self.ready():
            if time.monotonic() > deadline:
                raise DenshoError(f"densho at {self.endpoint_url} not ready within {timeout:g} s")
            time.sleep(0.05)

    def _call(self, method: str, path: str) -> dict[str, Any]:
        url = f"{self.endpoint_url}{path}"
        request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:500]
            hint = _hint(path, exc.code)
            raise DenshoError(f"{method} {url}: {exc.code} {detail}{hint}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise DenshoError(f"{method} {url}: densho is not reachable ({exc})") from None
        answer: dict[str, Any] = json.loads(body) if body else {}
        return answer


def _hint(path: str, status: int) -> str:
    """What a test author may have missed, for an error answer."""
    if status == 404:
        return (
            " (the test endpoints are off while authentication is on, unless densho was "
            "started with --allow-test-endpoints)"
        )
    if path.startswith("/_densho/clock/advance"):
        return " (the clock moves only on a densho started with --clock controlled)"
    return ""


def _number(seconds: float) -> str:
    """``seconds`` as the query string takes it: an integer when it is one."""
    value = float(seconds)
    return str(int(value)) if value.is_integer() else repr(value)


def _when(clock: dict[str, Any]) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(int(clock["now_ms"]) / 1000, tz=datetime.UTC)
