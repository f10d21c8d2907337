"""Health and readiness probes (``/_densho/health``, ``/_densho/ready``) on the real server, on
both stores: JSON answers a load balancer or Kubernetes reads, public even with authentication on
(a probe cannot sign). The store-unreachable case is in test_postgres_outage.py."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import servers_on
from tests.support.server import DenshoServer


def get(url: str) -> tuple[int, Any]:
    """An unsigned GET: its status and its JSON body (None when the body is not JSON)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as err:
        status, body = err.code, err.read()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


def test_health_and_ready(densho_server: DenshoServer) -> None:
    assert get(densho_server.endpoint + "/_densho/health") == (200, {"status": "ok"})
    assert get(densho_server.endpoint + "/_densho/ready") == (200, {"status": "ready"})


def test_probes_are_public_when_authentication_is_on(store_kind: str, tmp_path: Path) -> None:
    config = tmp_path / "densho.toml"
    config.write_text(
        '[[credentials]]\naccess_key_id = "AKIAPROBE00000000001"\n'
        'secret_access_key = "probe-secret"\naccount_id = "111111111111"\n',
        "utf-8",
    )
    with servers_on(store_kind, tmp_path) as make:
        server = make(extra_args=("--config", str(config))).start()
        assert get(server.endpoint + "/_densho/health") == (200, {"status": "ok"})
        assert get(server.endpoint + "/_densho/ready") == (200, {"status": "ready"})
        # densho's other endpoints still need a signature
        status, body = get(server.endpoint + "/_densho/sns/recorded")
        assert status == 403 and body["__type"] == "MissingAuthenticationToken"


@pytest.mark.parametrize("path", ["/_densho/healthz", "/_densho/ready/x"])
def test_near_misses_are_not_probes(densho_server: DenshoServer, path: str) -> None:
    status, body = get(densho_server.endpoint + path)
    assert status != 200 and body != {"status": "ok"}
