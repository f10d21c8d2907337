"""densho's pytest plugin, used the way users use it: pytester writes a user's test file and a
pytest in a subprocess runs it, with the plugin loaded through its entry point (nothing passed
with ``-p``) — plain, under pytest-xdist (``-n 2``: one server per worker), against a densho
already running (``--densho-endpoint``) and on PostgreSQL (``--densho-store``).

Each user test records which server it saw (worker, endpoint, pid) in the file
``DENSHO_PLUGIN_RECORD`` names, so these tests can check what the plugin started and that it
stopped it. The clock and reset checks need the test endpoints (``/_densho/reset``,
``/_densho/clock``) and ``densho serve --clock controlled``.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

import densho.testing
from densho.testing import Densho, DenshoError
from tests.support import pg

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.timeout(120)

USER_TESTS = """
import datetime
import os

import pytest


def _record(densho):
    with open(os.environ["DENSHO_PLUGIN_RECORD"], "a") as out:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        out.write(f"{worker} {densho.endpoint_url} {densho.pid}\\n")


def test_send_and_receive(densho_clean):
    _record(densho_clean)
    sqs = densho_clean.client("sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "hello"


def test_each_clean_test_starts_empty(densho_clean):
    _record(densho_clean)
    sqs = densho_clean.client("sqs")
    assert "QueueUrls" not in sqs.list_queues()
    sqs.create_queue(QueueName="left-behind")


def test_an_hour_passes_at_once(densho_clean):
    _record(densho_clean)
    sqs = densho_clean.client("sqs")
    url = sqs.create_queue(QueueName="slow", Attributes={"VisibilityTimeout": "3600"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="again")
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    before = densho_clean.now()
    after = densho_clean.advance(3600)
    assert after - before >= datetime.timedelta(seconds=3600)
    assert densho_clean.now() >= after
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "again"


def test_sns_client(densho):
    _record(densho)
    assert densho.region == "us-east-1"
    sns = densho.client("sns")
    assert sns.create_topic(Name="events")["TopicArn"].endswith(":events")


@pytest.mark.parametrize("n", range(4))
def test_more_work(densho, n):
    _record(densho)
    densho.client("sqs").create_queue(QueueName=f"more-{n}")
"""

NO_SERVER_NEEDED = """
def test_without_densho():
    assert True
"""


def _records(path: Path) -> list[tuple[str, str, str]]:
    lines = path.read_text().split("\n") if path.exists() else []
    return [(w, e, p) for w, e, p in (line.split() for line in lines if line)]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "seen.txt"
    monkeypatch.setenv("DENSHO_PLUGIN_RECORD", str(path))
    return path


def test_plain_run_one_server_stopped_at_the_end(pytester: pytest.Pytester, record: Path) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess(timeout=90)
    result.assert_outcomes(passed=8)
    seen = _records(record)
    assert len(seen) == 8 and len({(e, p) for _, e, p in seen}) == 1
    assert _gone(int(seen[0][2]))


def test_under_xdist_each_worker_has_its_own_server(
    pytester: pytest.Pytester, record: Path
) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-n", "2", timeout=90)
    result.assert_outcomes(passed=8)
    seen = _records(record)
    by_worker = {w: {(e, p) for ww, e, p in seen if ww == w} for w, _, _ in seen}
    assert sorted(by_worker) == ["gw0", "gw1"]
    assert all(len(servers) == 1 for servers in by_worker.values())
    (a,), (b,) = by_worker.values()
    assert a != b
    assert _gone(int(a[1])) and _gone(int(b[1]))


def test_against_a_running_densho(pytester: pytest.Pytester, record: Path) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    with densho.testing.server() as running:
        result = pytester.runpytest_subprocess(
            "--densho-endpoint", running.endpoint_url, timeout=90
        )
        result.assert_outcomes(passed=8)
        assert {(e, p) for _, e, p in _records(record)} == {(running.endpoint_url, "None")}
        # The run left its queues in this server, and did not stop it.
        assert running.pid is not None and not _gone(running.pid)
        urls = running.client("sqs").list_queues()["QueueUrls"]
        assert {u.rsplit("/", 1)[1] for u in urls} >= {"more-0", "more-3"}


def test_no_server_is_started_for_a_run_that_does_not_ask(pytester: pytest.Pytester) -> None:
    # A store densho refuses: starting a server would fail the run.
    pytester.makepyfile(test_plain=NO_SERVER_NEEDED)
    result = pytester.runpytest_subprocess("--densho-store", "nowhere://", timeout=60)
    result.assert_outcomes(passed=1)


def test_a_server_that_cannot_start_fails_the_tests_with_its_reason(
    pytester: pytest.Pytester, record: Path
) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("--densho-store", "nowhere://", timeout=60)
    result.assert_outcomes(errors=8)
    result.stdout.fnmatch_lines(["*unknown store URL*nowhere://*"])


def test_on_a_sqlite_file_the_state_outlives_the_run(
    pytester: pytest.Pytester, record: Path, tmp_path: Path
) -> None:
    db = tmp_path / "state" / "densho.db"
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("--densho-store", f"sqlite:///{db}", timeout=90)
    result.assert_outcomes(passed=8)
    # Its key beside it, as densho serve keeps it: the next run reads what this one sealed.
    assert sorted(p.name for p in db.parent.glob("*.key")) == ["master.key"]
    with densho.testing.server(store=f"sqlite:///{db}") as again:
        urls = again.client("sqs").list_queues()["QueueUrls"]
        assert {"more-0", "more-3"} <= {u.rsplit("/", 1)[1] for u in urls}


@pg.only_with_postgresql
def test_on_postgresql(pytester: pytest.Pytester, record: Path) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    with pg.fresh_database() as url:
        result = pytester.runpytest_subprocess("--densho-store", url, timeout=90)
        result.assert_outcomes(passed=8)
        # The run's queues are in that database: another server on it lists them.
        with densho.testing.server(store=url) as again:
            urls = again.client("sqs").list_queues()["QueueUrls"]
            assert {"more-0", "more-3"} <= {u.rsplit("/", 1)[1] for u in urls}


def test_context_manager() -> None:
    with densho.testing.server() as d:
        assert isinstance(d, Densho) and d.pid is not None
        sqs = d.client("sqs")
        sqs.create_queue(QueueName="a")
        d.reset()
        assert "QueueUrls" not in sqs.list_queues()
        assert d.clock()["mode"] == "controlled"
        before = d.now()
        assert d.advance(datetime.timedelta(days=4)) - before >= datetime.timedelta(days=4)
        assert d.advance(0.5) > before
        pid = d.pid
    assert _gone(pid)
    with (
        pytest.raises(DenshoError, match="unknown store URL"),
        densho.testing.server(store="nowhere://"),
    ):
        pass
