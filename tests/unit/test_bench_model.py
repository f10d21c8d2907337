"""The bench's node model (bench/model.py): its arithmetic on the figures of a real run.

The runs below are four of bench/results/bench-20261204T203432Z.json (scripts/bench --targets
densho --densho-store postgresql://... --densho-nodes 1,2 --rounds 1 --duration 4, on this
2-core machine), trimmed to the fields the model reads. Every expected figure is worked out by
hand in the comments, so a change of the model's formulas shows here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bench import model

NODES = {"pg-1node": 1, "pg-2node": 2}


def run(
    scenario: str,
    target: str,
    msgs: int,
    rate: float,
    server_s: float,
    loader_s: float,
    pct: tuple[float, float],
    counters: dict[str, float],
    verdict: str = "PASS",
) -> dict[str, Any]:
    return {
        "scenario": scenario,
        "target": target,
        "msgs": msgs,
        "msgs_per_s": rate,
        "verdict": verdict,
        "details": {
            "server_cpu_s": server_s,
            "loader_cpu_s": loader_s,
            "cpu_pct": {"idle_servers": pct[0], "foreign": pct[1]},
            "counters": counters,
        },
    }


def pg(backends: float, walwriter: float, sync: float, commits: float) -> dict[str, float]:
    return {
        "db_cpu_backends": backends,
        "db_cpu_walwriter": walwriter,
        "db_cpu_checkpointer": 0.0,
        "db_cpu_other": 0.01,
        "db_cpu_foreign": 0.0,
        "wal_sync": sync,
        "xact_commit": commits,
        "wal_bytes": 20_301_205.0,
    }


RUNS = [
    run("send", "pg-1node", 20429, 5103.5, 3.08, 0.6236, (0.2, 34.4), pg(1.53, 0.05, 2946, 8026)),
    run("send", "pg-2node", 15724, 3928.7, 3.02, 0.5132, (0.0, 61.5), pg(1.69, 0.06, 2773, 13555)),
    run("fifo", "pg-1node", 3821, 946.2, 2.29, 0.2977, (0.4, 99.1), pg(2.40, 0.02, 1986, 3935)),
    run("fifo", "pg-2node", 4781, 1186.0, 2.88, 0.3602, (0.2, 79.9), pg(2.68, 0.05, 1851, 6490)),
]


def costs() -> list[model.Costs]:
    return model.costs_from_runs(RUNS, NODES)


def one(scenario: str, nodes: int) -> model.Costs:
    return next(c for c in costs() if c.scenario == scenario and c.nodes == nodes)


def test_costs_per_message_from_the_runs() -> None:
    send = one("send", 1)
    assert send.node_us == pytest.approx(150.77, abs=0.01)  # 3.08 s / 20,429 msgs
    assert send.db_us["backends"] == pytest.approx(74.89, abs=0.01)  # 1.53 s / 20,429
    assert send.db_us["walwriter"] == pytest.approx(2.45, abs=0.01)  # 0.05 s / 20,429
    assert send.db_total_us == pytest.approx(77.83, abs=0.01)  # (1.53 + 0.05 + 0.01) s
    assert send.loader_us == pytest.approx(30.53, abs=0.01)  # 0.6236 s / 20,429
    assert send.commits_per_msg == pytest.approx(0.3929, abs=1e-4)  # 8,026 / 20,429
    assert send.flushes_per_msg == pytest.approx(0.1442, abs=1e-4)  # 2,946 / 20,429
    assert send.others_cores == pytest.approx(0.346)  # (0.2 + 34.4) % of a core
    # Two nodes: each commits its own, smaller groups, so more commits per message.
    assert one("send", 2).commits_per_msg == pytest.approx(0.8621, abs=1e-4)  # 13,555 / 15,724


def test_failed_runs_and_other_targets_are_left_out() -> None:
    failed = run("send", "pg-1node", 10, 1.0, 9.0, 0.1, (0, 0), pg(9, 0, 1, 1), verdict="FAIL")
    sqlite = run("send", "densho", 10, 1.0, 9.0, 0.1, (0, 0), pg(9, 0, 1, 1))
    no_pg = run("send", "pg-1node", 10, 1.0, 9.0, 0.1, (0, 0), {})
    again = model.costs_from_runs([*RUNS, failed, sqlite, no_pg], NODES)
    assert again == costs()


def test_projection_is_the_least_of_the_bounds() -> None:
    p = model.Params(cores=2, db_cores=2, flush_ms=0.09, fifo_groups=10)
    rows = {(r.scenario, r.nodes): r for r in model.project(costs(), p)}
    n1 = rows[("send", 1)]
    assert n1.costs_from == 1
    assert n1.bounds["nodes_cpu"] == pytest.approx(13_265, abs=1)  # 2 cores / 150.77 us
    assert n1.bounds["db_cpu"] == pytest.approx(25_697, abs=1)  # 2 cores / 77.83 us
    assert n1.bounds["wal_flush"] == pytest.approx(77_050, abs=1)  # 20,429 / (2,946 * 90 us)
    assert (n1.msgs_per_s, n1.limit) == (n1.bounds["nodes_cpu"], "nodes_cpu")
    # Four nodes: the 2-node costs (192.06 us on the nodes, 111.93 us on PostgreSQL); four
    # cores of nodes outrun PostgreSQL's two.
    n4 = rows[("send", 4)]
    assert n4.costs_from == 2
    assert n4.bounds["nodes_cpu"] == pytest.approx(41_653, abs=1)  # 8 cores / 192.06 us
    assert (n4.limit, round(n4.msgs_per_s)) == ("db_cpu", 17_868)  # 2 cores / 111.93 us
    assert n4.cpu_only == n4.msgs_per_s
    assert [n for s, n in rows if s == "send"] == [1, 2, 4, 8]


def test_fifo_queue_lock_tightens_with_the_producer_nodes() -> None:
    # A slow disk (1.21 ms a flush, measured here under others' load): one FIFO queue takes one
    # send call per flush, each carrying at most the groups' sends one node has waiting.
    p = model.Params(cores=2, db_cores=16, flush_ms=1.21, fifo_groups=10)
    rows = {(r.scenario, r.nodes): r for r in model.project(costs(), p)}
    assert rows[("fifo", 2)].bounds["fifo_lock"] == pytest.approx(8_264, abs=1)  # 10/1.21ms
    eight = rows[("fifo", 8)]  # producers on 4 nodes: 10 / (4 * 1.21 ms)
    assert eight.bounds["fifo_lock"] == pytest.approx(2_066, abs=1)
    # ... and 0.387 flushes per message (1,851 / 4,781) at 1.21 ms each: 2,135 msgs/s.
    assert eight.bounds["wal_flush"] == pytest.approx(2_135, abs=1)
    assert eight.limit == "fifo_lock"
    assert "fifo_lock" not in rows[("send", 8)].bounds
    assert model.producer_nodes("fifo", 1) == 1
    assert model.producer_nodes("send", 8) == 8


def test_a_nodes_own_process_uses_one_core() -> None:
    # SNS on one node (bench-20261204T204210Z.json, medians of 2 rounds): of the 1,078.4 us a
    # publish cost the node, its own process (one event loop) took 756.7 us, its signing child
    # the rest. The process caps the node at 1e6 / 756.7 = 1,322 publishes/s, below what the
    # machine's 2 cores allow the two together (2e6 / 1,078.4 = 1,855).
    sns = model.Costs("sns", 1, 2, 475.0, 1078.4, dict.fromkeys(model.ROLES, 0.0))
    sns = dataclasses.replace(sns, node_main_us=756.7)
    p = model.Params(cores=2, db_cores=2)
    assert model.per_node(sns, p) == pytest.approx(1_322, abs=1)
    # Not split (the main process unknown): all the machine's cores count.
    assert model.per_node(dataclasses.replace(sns, node_main_us=None), p) == pytest.approx(
        1_855, abs=1
    )
    # Half a core: the machine caps it first (0.5e6 / 1,078.4).
    assert model.per_node(sns, model.Params(cores=0.5, db_cores=2)) == pytest.approx(464, abs=1)
    # A node that could use 2 cores for its process: the machine's 2 cores bind.
    two = model.Params(cores=2, db_cores=2, node_cores=2)
    assert model.per_node(sns, two) == pytest.approx(1_855, abs=1)


def test_without_a_flush_time_only_cpu_bounds() -> None:
    p = model.Params(cores=4, db_cores=8)
    row = model.project(costs(), p, counts=[8])[0]
    assert set(row.bounds) == {"nodes_cpu", "db_cpu"}


def test_check_against_two_nodes_on_the_shared_cores() -> None:
    p = model.Params(cores=2, db_cores=2, flush_ms=0.09, here_cores=2)
    checks = {(c.scenario, c.costs_from): c for c in model.shared_check(costs(), p, 2, 1)}
    send = checks[("send", 1)]
    # 2 cores / (150.77 + 77.83 + 30.53 us) = 7,718 msgs/s against 3,928.7 measured.
    assert (send.limit, round(send.predicted)) == ("shared_cpu", 7_718)
    assert send.error == pytest.approx(0.965, abs=0.001)
    # Others used 0.615 of a core during the 2-node run: 1.385 cores left, 5,345 msgs/s.
    assert send.pool_left == pytest.approx(1.385)
    assert send.predicted_left == pytest.approx(5_345, abs=1)
    assert send.error_left == pytest.approx(0.3605, abs=0.001)


def test_build_and_report() -> None:
    p = model.Params(cores=2, db_cores=2, flush_ms=0.09, here_cores=2)
    result = model.build(costs(), p)
    assert len(result["checks"]) == 4  # send, fifo: from the 1-node costs and the 2-node ones
    assert {c["costs_from"] for c in result["checks"]} == {1, 2}
    send8 = next(r for r in result["projection"] if r["scenario"] == "send" and r["nodes"] == 8)
    assert (send8["limit"], round(send8["msgs_per_s"])) == ("db_cpu", 17_868)
    text = "\n".join(model.report(result))
    assert "N=8" in text
    assert "17,868" in text
    assert "+96%" in text  # the send check, from the 1-node costs


def test_a_slower_flush_in_the_run_wins() -> None:
    # The disk probe said 0.09 ms, the run's own flushes averaged 1.5 ms: the bounds use 1.5.
    send = dataclasses.replace(one("send", 1), flush_ms_in_run=1.5)
    p = model.Params(cores=2, db_cores=2, flush_ms=0.09)
    bounds = model.serial_bounds(send, 1, p)
    assert bounds["wal_flush"] == pytest.approx(4_623, abs=1)  # 20,429 / (2,946 * 1.5 ms)
    slower_probe = model.Params(cores=2, db_cores=2, flush_ms=3.0)
    assert model.serial_bounds(send, 1, slower_probe)["wal_flush"] == pytest.approx(2_312, abs=1)
