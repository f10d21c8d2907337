"""The bench's PostgreSQL roles (bench/pgstats.py): which process does what, from the titles
PostgreSQL 15 gives its processes on this machine (``ps``), and the flush timer."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import pgstats

BENCH = {"densho_bench_3799029deddd"}


@pytest.mark.parametrize(
    ("title", "role"),
    [
        ("postgres: 15/main: postgres densho_bench_3799029deddd 127.0.0.1(41822) idle", "backends"),
        ("postgres: 15/main: postgres densho_bench_3799029deddd [local] COMMIT", "backends"),
        ("postgres: 15/main: postgres pgperf_a 127.0.0.1(40012) idle", "foreign"),
        ("postgres: 15/main: walwriter", "walwriter"),
        ("postgres: 15/main: checkpointer", "checkpointer"),
        ("postgres: 15/main: background writer", "other"),
        ("postgres: 15/main: autovacuum worker densho_bench_3799029deddd", "other"),
        ("postgres: 15/main: logical replication launcher", "other"),
        (
            "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main -c"
            " config_file=/etc/postgresql/15/main/postgresql.conf",
            "other",
        ),
    ],
)
def test_role_of_a_process_title(title: str, role: str) -> None:
    assert pgstats.role(title, BENCH) == role


def test_flush_timer_measures_this_disk(tmp_path: Path) -> None:
    ms = pgstats.fsync_ms(str(tmp_path), count=5, max_s=2.0)
    assert ms is not None
    assert 0 < ms < 2000


def test_flush_timer_without_a_directory_says_so() -> None:
    assert pgstats.fsync_ms("/nonexistent/densho-bench", count=5) is None
