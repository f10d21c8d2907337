"""The bench's ratios and goal checks (bench/run.py): one run with densho on SQLite and on
PostgreSQL (1 and 2 nodes), MiniStack, moto and the ceiling gives every goal of issue 16.

The summary rows are shaped as ``bench.run.aggregate`` makes them; the figures are round
numbers so each expected ratio can be checked by hand.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench import report, run

LABELS = {
    "densho": "densho",
    "pg-1node": "densho",
    "pg-2node": "densho",
    "ministack": "ministack",
    "moto": "moto",
    "ceiling": "ceiling",
}
NODES = {"densho": 1, "pg-1node": 1, "pg-2node": 2, "ministack": 1, "moto": 1, "ceiling": 1}


def row(msgs: float, requests: float, p50: float | None = 1.0, **extra: Any) -> dict[str, Any]:
    return {"msgs_per_s": msgs, "requests_per_s": requests, "p50_ms": p50, **extra}


SUMMARY = {
    ("send", "densho"): row(10_000, 10_000, cpu_us_per_request=100.0),
    ("send", "pg-1node"): row(8_000, 8_000),
    ("send", "pg-2node"): row(12_000, 12_000),
    ("send", "ministack"): row(2_500, 2_500),
    ("send", "moto"): row(100, 100),
    ("send", "ceiling"): row(40_000, 40_000),
    # FIFO: a message takes a send and (a tenth of) a receive and a delete.
    ("fifo", "densho"): row(3_000, 6_000, 4.0, order_violations=0),
    ("fifo", "pg-1node"): row(1_500, 3_000, 9.0, order_violations=0),
    ("fifo", "ministack"): row(1_000, 2_000, order_violations=0),
}


def test_ratios_compare_each_densho_target_with_the_peers_sqlite_and_one_node() -> None:
    ratios = run.ratios(SUMMARY, LABELS, NODES)
    send, fifo = ratios["send"], ratios["fifo"]
    assert send["densho/ministack"] == 4.0
    assert send["densho/moto"] == 100.0
    assert send["densho/ceiling"] == 0.25
    assert send["pg-1node/densho"] == 0.8
    assert send["pg-2node/pg-1node"] == 1.5
    assert send["pg-2node/densho"] == 1.2
    assert "densho/densho" not in send and "pg-1node/pg-1node" not in send
    # The ceiling is compared on requests/s: FIFO's 6,000 requests/s against 40,000.
    assert fifo["densho/ceiling"] == 0.15
    assert fifo["densho/moto"] is None  # moto did not run FIFO here
    assert fifo["pg-1node/densho"] == 0.5
    assert fifo["pg-2node/densho"] is None
    assert set(ratios) == {"send", "fifo"}


def test_goals_include_postgresql_against_sqlite_and_its_fifo_latency() -> None:
    ratios = run.ratios(SUMMARY, LABELS, NODES)
    checks = {
        c["goal"]: c for c in run.goals(SUMMARY, ratios, ["send", "fifo"], "densho", "pg-1node")
    }
    assert checks["send PostgreSQL/SQLite"]["met"] is True  # 0.8 exactly
    assert checks["fifo PostgreSQL/SQLite"]["met"] is False
    assert checks["FIFO PostgreSQL p50 ms"] == {
        "goal": "FIFO PostgreSQL p50 ms",
        "actual": 9.0,
        "wanted": "<= 5",
        "met": False,
    }
    assert checks["SendMessage vs ceiling"]["actual"] == 0.25
    assert checks["SendMessage vs ceiling"]["met"] is False
    assert checks["SendMessage server CPU us/req"]["met"] is False
    assert checks["send vs ministack"]["met"] is True
    assert checks["fifo vs ministack"]["actual"] == 3.0
    assert checks["FIFO order violations"]["met"] is True


@pytest.mark.parametrize("pg", [None, "pg-1node"])
def test_without_sqlite_or_postgresql_there_is_no_postgresql_goal(pg: str | None) -> None:
    labels = {"pg-1node": "densho", "ministack": "ministack"} if pg else LABELS
    ratios = run.ratios(SUMMARY, labels, NODES)
    densho = "pg-1node" if pg else "densho"
    checks = run.goals(SUMMARY, ratios, ["send", "fifo"], densho, pg)
    assert not [c for c in checks if "PostgreSQL" in c["goal"]]
    assert {c["goal"] for c in checks} >= {"send vs ministack", "fifo vs ministack"}


def test_the_readme_tables_show_every_goal_with_its_figure_and_ratios() -> None:
    ratios = run.ratios(SUMMARY, LABELS, NODES)
    summary = [{"scenario": s, "target": t, **r} for (s, t), r in SUMMARY.items()]
    targets = {
        "densho": {"store": "sqlite", "nodes": 1},
        "pg-1node": {"store": "postgresql", "nodes": 1},
        "pg-2node": {"store": "postgresql", "nodes": 2},
        "ministack": {"store": None, "nodes": 1},
    }
    payload = {
        "summary": summary,
        "ratios": ratios,
        "goals": run.goals(SUMMARY, ratios, ["send", "fifo"], "densho", "pg-1node"),
        "targets": targets,
    }
    lines = report.tables(payload)
    X = report.TIMES
    send = next(line for line in lines if line.startswith("| SendMessage |"))
    assert f"| 10,000, p50 1.00 ms | 2,500 | 100 | 4.00{X} | 100.00{X} | 0.25{X} |" in send
    assert f"SendMessage vs ceiling 0.25 (≥ 0.50{X}): **missed**" in send
    assert f"send vs ministack 4.00 (≥ 2{X}): met" in send
    assert "PostgreSQL" not in send
    pg_fifo = [line for line in lines if line.startswith("| FIFO")][1]
    assert pg_fifo.startswith(f"| FIFO prod+cons, groups | 1,500, p50 9.00 ms | 3,000 | 0.50{X} |")
    assert "FIFO PostgreSQL p50 ms 9.00 (≤ 5): **missed**" in pg_fifo
    assert any("answered 40,000 requests/s" in line for line in lines)


def test_the_cpu_table_sets_each_scenarios_cpu_per_message_against_what_its_goal_allows() -> None:
    def one_run(server: float, loader: float) -> dict[str, Any]:
        return {
            "scenario": "send",
            "target": "densho",
            "details": {"cpu_pct": {"server": server, "loader": loader}},
        }

    payload = {
        "summary": [
            {"scenario": "send", "target": "densho", "cpu_us_per_msg": 100.0, "msgs_per_s": 9_900},
            {"scenario": "send", "target": "ceiling", "requests_per_s": 40_000},
        ],
        "runs": [one_run(98, 20), one_run(100, 22)],
        "model": {"costs": [{"scenario": "send", "nodes": 1, "node_us": 120, "db_total_us": 60.4}]},
    }
    send = next(line for line in report.cpu_table(payload) if line.startswith("| SendMessage"))
    # Half the ceiling's 40,000 requests/s: 20,000 msgs/s, so 50 µs per message on one core.
    # 100 µs per message at 9,900 msgs/s: 0.99 of a core.
    assert send == "| SendMessage | 0.99 | 21 | 100.0 | 20,000 | 50.0 | 120 + 60 = 180 |"
