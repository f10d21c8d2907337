"""densho benchmark: densho vs MiniStack vs moto vs a bare-ASGI ceiling, in one run.

    scripts/bench [--rounds 2] [--duration 5] [--targets densho,ministack,moto,ceiling] ...
    scripts/bench --targets densho --densho-store postgresql://postgres@127.0.0.1/postgres \
        --densho-nodes 1,2

Starts every target as a subprocess on a free 127.0.0.1 port, then for each
round runs every scenario against every target in turn (densho, ministack,
moto, ceiling, then the reverse, ...), verifies each run (PASS/FAIL), prints a
table with the server CPU per request and per message, the ratios
densho/ministack, densho/moto and densho/ceiling and the performance targets,
writes the full results as JSON under bench/results/, and stops the servers
by PID, also on error or ^C. With ``--densho-store`` densho also runs on
PostgreSQL, once per ``--densho-nodes`` count (N nodes on a fresh database of
their own, the load spread over them), beside densho on SQLite (``--no-sqlite``
drops it), and the tables show PostgreSQL / SQLite and the scaling N nodes /
1 node. So one run gives every goal of bench/README.md. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import orjson

from bench import loadgen, metrics_ab, model, pgstats, servers
from bench.scenarios import (
    FOREIGN_CPU_WARN_PCT,
    RUNNERS,
    SCENARIO_TARGETS,
    SCENARIO_TITLES,
    SCENARIOS,
    CpuProbe,
    CpuSample,
    Outcome,
    Settings,
    client_nodes,
)

TARGETS = ("densho", "ministack", "moto", "ceiling")
# The other SQS implementations densho is compared with: yardsticks, so their own failures
# (bugs, missing features) are reported but do not fail the run.
PEERS = ("ministack", "moto")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The goals (issue 16; bench/README.md).
GOAL_SEND_VS_CEILING = 0.5
GOAL_SEND_CPU_US = 50.0  # server CPU per SendMessage request
GOAL_BATCH_RATE = 50_000
GOAL_DRAIN_RATE = 25_000
GOAL_PC_RATE = 5_000
GOAL_PC_P50_MS = 2.0
GOAL_FIFO_RATE = 4_000
GOAL_FIFO_ORDER_VIOLATIONS = 0
GOAL_SNS_RATE = 3_000  # publishes/s to a topic with 3 SQS subscribers
GOAL_VS_MINISTACK = 2.0
GOAL_VS_MOTO = 20.0
GOAL_PG_VS_SQLITE = 0.8  # PostgreSQL, one node, against SQLite, every scenario
GOAL_PG_FIFO_P50_MS = 5.0


# --------------------------------------------------------------------------- helpers


def descendants(pid: int) -> list[int]:
    """Child processes of ``pid``, recursively (densho's fdatasync helper, for one)."""
    out: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{parent}/task/{tid}/children", "rb") as f:
                    kids = [int(v) for v in f.read().split()]
            except (OSError, ValueError):
                continue
            out.extend(kids)
            todo.extend(kids)
    return out


def tree_cpu_s(pid: int | None) -> float:
    """CPU seconds of a process and its live descendants."""
    if pid is None:
        return 0.0
    return pgstats.process_cpu_s(pid) + sum(pgstats.process_cpu_s(p) for p in descendants(pid))


def machine_busy_s() -> float:
    """Non-idle CPU seconds of the whole machine (all cores), from /proc/stat."""
    try:
        with open("/proc/stat", "rb") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    return (sum(ticks) - ticks[3] - ticks[4]) / CLK_TCK  # minus idle and iowait


def make_probe(
    pids: Sequence[int],
    others: Sequence[int],
    databases: Collection[str],
    pg: tuple[str, str] | None = None,
) -> CpuProbe:
    """CPU use of the target's nodes, the loader, the idle targets and, when any target uses
    PostgreSQL, its server's processes that serve the bench databases (all of them: ``db``;
    per role among the counters). ``pg``: (server URL, the target's database) when the target
    runs on PostgreSQL: then the first call (before the measured phase) and the second (after
    it) also read PostgreSQL's commit and WAL counters, each after letting its statistics
    settle, the first before the CPU sample and the second after it, so the settling is
    outside the measured wall time."""
    calls = 0

    def read_pg() -> dict[str, float]:
        if pg is None:
            return {}
        time.sleep(pgstats.SETTLE_S)  # the loader is quiet: nothing else is sent meanwhile
        return pgstats.counters(*pg)

    def probe() -> CpuSample:
        nonlocal calls
        calls += 1
        extra = read_pg() if calls == 1 else {}
        idle = sum(tree_cpu_s(p) for p in others)
        loader = time.process_time()
        server = sum(tree_cpu_s(p) for p in pids)
        roles = pgstats.cpu_by_role(databases) if databases else {}
        db = sum(v for k, v in roles.items() if k in pgstats.ROLES)
        sample = (server, loader, idle, db, machine_busy_s(), time.perf_counter())
        extra.update({f"db_cpu_{k}": v for k, v in roles.items()})
        # The nodes' own processes without their children: one event loop each, one core.
        extra["node_main_cpu"] = sum(pgstats.process_cpu_s(p) for p in pids)
        if calls == 2:
            extra.update(read_pg())
        return (*sample, extra)

    return probe


def csv(value: str, allowed: Sequence[str], what: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        raise argparse.ArgumentTypeError(f"{what}: choose from {', '.join(allowed)}")
    return [v for v in allowed if v in items]  # canonical order


def loopback_url(value: str) -> str:
    if not value.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise argparse.ArgumentTypeError("only loopback URLs (http://127.0.0.1:PORT)")
    return value.rstrip("/")


def pg_store(value: str) -> str:
    try:
        return servers.check_pg_url(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def node_counts(value: str) -> list[int]:
    try:
        counts = sorted({int(v) for v in value.split(",") if v.strip()})
    except ValueError:
        counts = []
    if not counts or not all(1 <= n <= 16 for n in counts):
        raise argparse.ArgumentTypeError("--densho-nodes: a comma list of counts 1..16, e.g. 1,2")
    return counts


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=servers.REPO,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def fmt_ms(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.2f}"


def fmt_us(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


# --------------------------------------------------------------------------- running


class Target:
    """One server under test: one process, or several densho nodes on one database."""

    def __init__(
        self,
        name: str,
        kind: str,
        urls: list[str],
        procs: list[servers.Server],
        database: str | None = None,
        signer: loadgen.Signer | None = None,
    ) -> None:
        self.signer = signer  # its clients sign every request (an authenticating densho)
        self.name = name  # its label in the table: densho, moto, ceiling, pg-1node, ...
        self.kind = kind  # what the scenarios are told: densho, moto or ceiling
        self.urls = urls  # one per node
        self.procs = procs  # empty when --NAME-url pointed at a server we did not start
        self.database = database  # the PostgreSQL database its nodes share (dropped at the end)

    @property
    def url(self) -> str:
        return self.urls[0]

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def dead(self) -> bool:
        return any(not p.alive() for p in self.procs)


async def run_one(
    scenario: str,
    target: Target,
    round_no: int,
    settings: Settings,
    client_kind: str,
    others: Sequence[int] = (),
    databases: Collection[str] = (),
    pg_server: str | None = None,
) -> Outcome:
    if target.dead():
        outcome = Outcome(scenario, target.name, round_no)
        outcome.problems.append("server is no longer running")
        return outcome
    nodes = client_nodes(scenario, settings, len(target.urls))
    pool = loadgen.ClientPool.open_spread(
        [target.urls[n] for n in nodes], client_kind, target.signer
    )
    bound = settings.duration_s + 3 * settings.drain_timeout_s + 120
    pg = None
    if pg_server is not None and target.database is not None:
        pg = (pg_server, servers.database_name(target.database))
    probe = make_probe(target.pids, others, databases, pg)
    try:
        outcome = await asyncio.wait_for(
            RUNNERS[scenario](pool, target.kind, round_no, settings, probe), timeout=bound
        )
        outcome.target = target.name
        return outcome
    except Exception as exc:  # one broken run must not stop the others
        outcome = Outcome(scenario, target.name, round_no)
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        outcome.problems.append(f"aborted: {detail}")
        if target.dead():
            outcome.problems.append("server exited")
        return outcome
    finally:
        await pool.aclose()


def progress_line(o: Outcome) -> str:
    p50, p99 = loadgen.latency_ms(o.latencies_ns)
    cpu = o.details.get("cpu_pct") or {}
    cpu_text = ""
    if cpu:
        db = f" db {cpu['db']:.0f}%" if cpu.get("db") else ""  # PostgreSQL's processes
        cpu_text = (
            f"  cpu: server {cpu['server']:.0f}%{db} loader {cpu['loader']:.0f}%"
            f" other {cpu['idle_servers'] + cpu['foreign']:.0f}%"
        )
        per_request = o.cpu_us("request")
        if per_request is not None:
            cpu_text += f" server {per_request:.0f} us/req"
    if o.details.get("noisy"):
        cpu_text += "  (busy machine: figures suspect)"
    line = (
        f"  r{o.round} {o.scenario:<5} {o.target:<9} {fmt_rate(o.rate):>9} msg/s"
        f"  p50 {fmt_ms(p50):>7} ms  p99 {fmt_ms(p99):>7} ms  {o.verdict}{cpu_text}"
    )
    if o.scenario == "fifo" and "order_violations" in o.details:
        line += f"  order violations {o.details['order_violations']}"
    if o.problems:
        line += "\n" + "\n".join(f"      ! {p}" for p in o.problems)
    return line


async def run_all(
    targets: dict[str, Target],
    scenarios: list[str],
    rounds: int,
    settings: Settings,
    client_kind: str,
    outcomes: list[Outcome],
    pg_server: str | None = None,
) -> None:
    databases = [servers.database_name(t.database) for t in targets.values() if t.database]
    for round_no in range(1, rounds + 1):
        print(f"round {round_no}/{rounds}", flush=True)
        # Even rounds take the targets in reverse order, so none always runs first (A/B runs
        # of two densho targets were biased by the order).
        order = list(targets.values())
        if round_no % 2 == 0:
            order.reverse()
        for scenario in scenarios:
            for target in order:
                if target.kind not in SCENARIO_TARGETS[scenario]:
                    continue
                others = [p for t in targets.values() if t is not target for p in t.pids]
                outcome = await run_one(
                    scenario, target, round_no, settings, client_kind, others, databases, pg_server
                )
                outcomes.append(outcome)
                print(progress_line(outcome), flush=True)


# --------------------------------------------------------------------------- reporting


def aggregate(outcomes: list[Outcome]) -> dict[tuple[str, str], dict[str, Any]]:
    groups: dict[tuple[str, str], list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault((o.scenario, o.target), []).append(o)
    summary = {}
    for key, group in groups.items():
        samples = [ns for o in group for ns in o.latencies_ns]
        p50, p99 = loadgen.latency_ms(samples)
        rates = [o.rate for o in group]
        summary[key] = {
            "scenario": key[0],
            "target": key[1],
            "rounds": len(group),
            "msgs_per_s": statistics.median(rates),
            "msgs_per_s_by_round": [round(r, 1) for r in rates],
            # What the ceiling is compared on: it answers bare requests, not messages.
            "requests_per_s": statistics.median(
                o.requests / o.elapsed_s if o.elapsed_s > 0 else 0.0 for o in group
            ),
            "p50_ms": None if p50 != p50 else p50,
            "p99_ms": None if p99 != p99 else p99,
            "latency_kind": group[0].latency_kind,
            "verdict": "PASS" if all(o.verdict == "PASS" for o in group) else "FAIL",
            "noisy_rounds": sum(1 for o in group if o.details.get("noisy")),
            # Server CPU: steadier than msgs/s when other work shares the machine.
            "cpu_us_per_request": _median(o.cpu_us("request") for o in group),
            "cpu_us_per_msg": _median(o.cpu_us("msg") for o in group),
        }
        if key[0] == "fifo":
            # None when a run ended before its order could be checked (it FAILed anyway).
            counts = [o.details.get("order_violations") for o in group]
            summary[key]["order_violations"] = (
                None if any(c is None for c in counts) else sum(c for c in counts if c)
            )
    return summary


def _median(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _ratio(
    row: dict[str, Any] | None, ref: dict[str, Any] | None, key: str = "msgs_per_s"
) -> float | None:
    if row is None or ref is None or not ref.get(key) or row.get(key) is None:
        return None
    return float(row[key] / ref[key])


def ratios(
    summary: dict[tuple[str, str], dict[str, Any]], labels: dict[str, str], nodes: dict[str, int]
) -> dict[str, dict[str, float | None]]:
    """Per scenario, for every densho target LABEL: "LABEL/ministack" and "LABEL/moto" (msgs/s),
    "LABEL/ceiling" (requests/s against the ceiling's SendMessage requests/s: the ceiling
    answers bare requests, so this is the share of the bare HTTP stack's request rate a
    scenario's requests reach), and for densho on PostgreSQL "LABEL/densho" (against densho on
    SQLite) and, with N > 1 nodes, "LABEL/pg-1node"."""
    densho = [label for label, kind in labels.items() if kind == "densho"]
    one = next((label for label in densho if pg_node_count(label, nodes) == 1), None)
    ceiling = summary.get(("send", "ceiling"))
    out: dict[str, dict[str, float | None]] = {}
    for scenario in SCENARIOS:
        row: dict[str, float | None] = {}
        for label in densho:
            base = summary.get((scenario, label))
            for other in ("ministack", "moto"):
                row[f"{label}/{other}"] = _ratio(base, summary.get((scenario, other)))
            row[f"{label}/ceiling"] = _ratio(base, ceiling, "requests_per_s")
            count = pg_node_count(label, nodes)
            if count is None:
                continue
            if "densho" in densho:
                row[f"{label}/densho"] = _ratio(base, summary.get((scenario, "densho")))
            if one is not None and count > 1:
                row[f"{label}/{one}"] = _ratio(base, summary.get((scenario, one)))
        if any((scenario, label) in summary for label in labels):
            out[scenario] = row
    return out


def pg_node_count(label: str, nodes: dict[str, int]) -> int | None:
    """A PostgreSQL densho target's node count (its label is pg-Nnode); None for others."""
    return nodes.get(label, 1) if label.startswith("pg-") else None


def goals(
    summary: dict[tuple[str, str], dict[str, Any]],
    ratio: dict[str, dict[str, float | None]],
    scenarios: Sequence[str] = SCENARIOS,
    densho: str = "densho",
    pg: str | None = None,
) -> list[dict[str, Any]]:
    """The goals, checked on the ``densho`` target (the first densho configuration); with
    ``pg`` (densho on PostgreSQL, one node) also PostgreSQL's against it."""

    def rate(scenario: str) -> float | None:
        row = summary.get((scenario, densho))
        return row["msgs_per_s"] if row else None

    def p50(scenario: str, label: str) -> float | None:
        row = summary.get((scenario, label))
        return row["p50_ms"] if row else None

    checks: list[dict[str, Any]] = []
    first_words = {
        "send": "SendMessage",
        "batch": "SendMessageBatch",
        "drain": "drain",
        "pc": "producers+consumers",
        "fifo": "FIFO",
        "sns": "SNS",
    }
    run_names = {first_words[s] for s in scenarios} | set(scenarios)

    def add(name: str, actual: float | None, goal: float, text: str, lower: bool = False) -> None:
        if name.split()[0] not in run_names:
            return
        met = None if actual is None else (actual <= goal if lower else actual >= goal)
        checks.append({"goal": name, "actual": actual, "wanted": text, "met": met})

    send_ratio = ratio.get("send", {}).get(f"{densho}/ceiling")
    add("SendMessage vs ceiling", send_ratio, GOAL_SEND_VS_CEILING, ">= 0.50x")
    add("SendMessageBatch msgs/s", rate("batch"), GOAL_BATCH_RATE, f">= {GOAL_BATCH_RATE:,}")
    add("drain msgs/s", rate("drain"), GOAL_DRAIN_RATE, f">= {GOAL_DRAIN_RATE:,}")
    add("producers+consumers msgs/s", rate("pc"), GOAL_PC_RATE, f">= {GOAL_PC_RATE:,}")
    pc_p50 = p50("pc", densho)
    add("producers+consumers p50 ms", pc_p50, GOAL_PC_P50_MS, f"<= {GOAL_PC_P50_MS:g}", lower=True)
    add("FIFO msgs/s", rate("fifo"), GOAL_FIFO_RATE, f">= {GOAL_FIFO_RATE:,}")
    fifo = summary.get(("fifo", densho))
    add(
        "FIFO order violations",
        fifo.get("order_violations") if fifo else None,
        GOAL_FIFO_ORDER_VIOLATIONS,
        f"= {GOAL_FIFO_ORDER_VIOLATIONS}",
        lower=True,
    )
    add("SNS publishes/s", rate("sns"), GOAL_SNS_RATE, f">= {GOAL_SNS_RATE:,}")
    send = summary.get(("send", densho))
    add(
        "SendMessage server CPU us/req",
        send.get("cpu_us_per_request") if send else None,
        GOAL_SEND_CPU_US,
        f"<= {GOAL_SEND_CPU_US:g}",
        lower=True,
    )
    # (ratio key, goal name, goal): densho against each peer, then PostgreSQL against SQLite.
    wanted = [
        (f"{densho}/ministack", "vs ministack", GOAL_VS_MINISTACK),
        (f"{densho}/moto", "vs moto", GOAL_VS_MOTO),
    ]
    if pg is not None and pg != densho:
        wanted.append((f"{pg}/{densho}", "PostgreSQL/SQLite", GOAL_PG_VS_SQLITE))
    for key, name, goal in wanted:
        for scenario in SCENARIOS:
            if scenario in ratio and ratio[scenario].get(key) is not None:
                add(f"{scenario} {name}", ratio[scenario].get(key), goal, f">= {goal:g}x")
    if pg is None or pg == densho:
        return checks
    pg_p50 = p50("fifo", pg)
    add(
        "FIFO PostgreSQL p50 ms",
        pg_p50,
        GOAL_PG_FIFO_P50_MS,
        f"<= {GOAL_PG_FIFO_P50_MS:g}",
        lower=True,
    )
    return checks


def print_report(
    summary: dict[tuple[str, str], dict[str, Any]],
    ratio: dict[str, dict[str, float | None]],
    checks: list[dict[str, Any]],
    unavailable: dict[str, str],
    scenarios: Sequence[str] = SCENARIOS,
    labels: dict[str, str] | None = None,
    densho: str = "densho",
) -> None:
    """``labels``: every target's label and kind (densho, moto, ceiling), in table order;
    ``densho``: the label the goals were checked on."""
    labels = labels or {t: t for t in TARGETS}
    print()
    header = (
        f"{'scenario':<24} {'target':<10} {'msgs/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'us/req':>7} {'us/msg':>7}  verify"
    )
    print(header)
    print("-" * len(header))
    for scenario in scenarios:
        for target, kind in labels.items():
            row = summary.get((scenario, target))
            if row is None:
                if target in unavailable and kind in SCENARIO_TARGETS[scenario]:
                    print(f"{SCENARIO_TITLES[scenario]:<24} {target:<10} {'unavailable':>10}")
                continue
            mark = "" if row["latency_kind"] == "request" else " *"
            print(
                f"{SCENARIO_TITLES[scenario]:<24} {target:<10} {fmt_rate(row['msgs_per_s']):>10}"
                f" {fmt_ms(row['p50_ms']):>8} {fmt_ms(row['p99_ms']):>8}"
                f" {fmt_us(row['cpu_us_per_request']):>7} {fmt_us(row['cpu_us_per_msg']):>7}"
                f"  {row['verdict']}{mark}"
            )
    print("  msgs/s: median over rounds; p50/p99: per request over all rounds;")
    print("  us/req, us/msg: server CPU (utime+stime from /proc) per request, per message;")
    print("  median over rounds (- : not a process the bench started).")
    print("  * producers+consumers and FIFO latency is send-to-receive of each message.")
    for target in labels:
        row = summary.get(("fifo", target))
        if row is not None:
            found = row.get("order_violations")
            shown = "not checked (run aborted)" if found is None else f"{found:,}"
            print(f"  FIFO order + group-lock violations, {target}, all rounds: {shown}")
    print()
    print_ratios(ratio, [label for label, kind in labels.items() if kind == "densho"])
    print(f"goals ({densho}):")
    for check in checks:
        status = {True: "met", False: "MISSED", None: "n/a"}[check["met"]]
        actual = check["actual"]
        if actual is None:
            shown = "-"
        elif isinstance(actual, int):  # a count, e.g. order violations
            shown = f"{actual:,}"
        else:
            shown = f"{actual:,.2f}" if actual < 100 else f"{actual:,.0f}"
        print(f"  {check['goal']:<30} {shown:>10}  (want {check['wanted']})  {status}")
    for name, why in unavailable.items():
        lines = why.splitlines()
        print(f"\n{name} unavailable: {lines[0]}")
        for line in lines[1:][-12:]:
            print(f"    {line}")


def print_ratios(ratio: dict[str, dict[str, float | None]], densho: Sequence[str]) -> None:
    """One line per scenario and densho target: its ratio to each reference this run has
    (no moto target: no moto column, ...)."""
    refs = [
        ref
        for ref in ("ministack", "moto", "ceiling", "densho", "pg-1node")
        if any(row.get(f"{label}/{ref}") is not None for row in ratio.values() for label in densho)
    ]
    if not refs:
        return
    titles = {"ceiling": "ceiling req/s", "densho": "SQLite", "pg-1node": "1 node"}
    print(f"{'scenario':<24} {'target':<10}" + "".join(f" {titles.get(r, r):>14}" for r in refs))
    for scenario, row in ratio.items():
        for label in densho:
            cells = [row.get(f"{label}/{ref}") for ref in refs]
            if any(c is not None for c in cells):
                shown = "".join(f" {fmt_ratio(c):>14}" for c in cells)
                print(f"{SCENARIO_TITLES[scenario]:<24} {label:<10}{shown}")
    print("  ratios of msgs/s, but ceiling: of requests/s, to the ceiling's bare requests/s.")
    print()


def _server_us_per_msg(outcomes: list[Outcome], scenario: str, target: str) -> float | None:
    """Median server CPU per message over the rounds: steadier than msgs/s on a busy machine."""
    values = []
    for o in outcomes:
        cpu = (o.details.get("cpu_pct") or {}).get("server")
        if o.scenario == scenario and o.target == target and cpu and o.rate:
            values.append(cpu / 100 / o.rate * 1e6)
    return statistics.median(values) if values else None


def print_auth_ab(
    summary: dict[tuple[str, str], dict[str, Any]], outcomes: list[Outcome], scenarios: list[str]
) -> None:
    """--auth-ab: what verifying SigV4 costs, per scenario (medians over the rounds)."""
    print("\nauthentication A/B (densho-auth vs densho; medians over the rounds):")
    print_ab(summary, outcomes, scenarios, ("densho", "open"), ("densho-auth", "auth"))


def print_metrics_ab(
    summary: dict[tuple[str, str], dict[str, Any]], outcomes: list[Outcome], scenarios: list[str]
) -> None:
    """--metrics-ab: what the metrics cost, per scenario (medians over the rounds)."""
    print(f"\nmetrics A/B (densho, metrics on and scraped, vs {metrics_ab.METRICS_OFF}):")
    print_ab(summary, outcomes, scenarios, (metrics_ab.METRICS_OFF, "off"), ("densho", "on"))


def print_ab(
    summary: dict[tuple[str, str], dict[str, Any]],
    outcomes: list[Outcome],
    scenarios: list[str],
    base: tuple[str, str],
    other: tuple[str, str],
) -> None:
    """One line per scenario: the two targets' msgs/s, other/base, and server CPU/msg."""
    (base_label, base_name), (other_label, other_name) = base, other
    for scenario in scenarios:
        b = summary.get((scenario, base_label), {}).get("msgs_per_s")
        o = summary.get((scenario, other_label), {}).get("msgs_per_s")
        if not b or not o:
            continue
        line = (
            f"  {scenario:<6} msgs/s {base_name} {fmt_rate(b):>9}  {other_name} "
            f"{fmt_rate(o):>9}  ratio {o / b:.3f}"
        )
        cpu_b = _server_us_per_msg(outcomes, scenario, base_label)
        cpu_o = _server_us_per_msg(outcomes, scenario, other_label)
        if cpu_b and cpu_o:
            line += (
                f"  |  server CPU/msg {base_name} {cpu_b:.0f} us  {other_name} {cpu_o:.0f} us"
                f"  ({100 * (cpu_o / cpu_b - 1):+.1f}%)"
            )
        print(line)


def print_failures(outcomes: list[Outcome]) -> None:
    failed = [o for o in outcomes if o.verdict != "PASS"]
    if failed:
        print("\nfailed verification:")
    for o in failed:
        for problem in o.problems or ["(no detail)"]:
            print(f"  r{o.round} {o.scenario} {o.target}: {problem}")


def write_json(
    path_dir: Path, payload: dict[str, Any], stamp: str
) -> Path:  # pragma: no cover - I/O
    path_dir.mkdir(parents=True, exist_ok=True)
    path = path_dir / f"bench-{stamp}.json"
    path.write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))
    return path


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--targets",
        type=lambda v: csv(v, TARGETS, "--targets"),
        default=list(TARGETS),
        help="comma list of densho,ministack,moto,ceiling (default: all)",
    )
    p.add_argument(
        "--scenarios",
        type=lambda v: csv(v, SCENARIOS, "--scenarios"),
        default=list(SCENARIOS),
        help="comma list of send,batch,drain,pc,fifo,sns (default: all)",
    )
    p.add_argument("--rounds", type=int, default=2, help="alternating rounds (default 2)")
    p.add_argument("--duration", type=float, default=5.0, help="seconds per timed run (5)")
    p.add_argument("--concurrency", type=int, default=16, help="requests in flight (16)")
    p.add_argument("--client", choices=loadgen.CLIENT_KINDS, default=loadgen.DEFAULT_CLIENT)
    p.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop", help="loader loop")
    p.add_argument("--body-size", type=int, default=1024, help="message body bytes (1024)")
    p.add_argument("--max-msgs", type=int, default=2_000_000, help="count bound per send run")
    p.add_argument(
        "--drain-msgs", type=int, default=20_000, help="prefill for densho, MiniStack (20000)"
    )
    p.add_argument("--moto-drain-msgs", type=int, default=500, help="prefill for moto (500)")
    p.add_argument("--pc-producers", type=int, help="pc producers (default concurrency/2)")
    p.add_argument("--pc-consumers", type=int, help="pc/fifo consumers (default concurrency/2)")
    p.add_argument("--pc-wait", type=int, default=1, help="consumers' WaitTimeSeconds (1)")
    p.add_argument(
        "--fifo-groups", type=int, default=10, help="message groups in the fifo scenario (10)"
    )
    p.add_argument(
        "--fifo-backlog",
        type=int,
        default=100,
        help="fifo: messages per group in the untimed backlog check, densho and MiniStack"
        " (100; 0: skip)",
    )
    p.add_argument(
        "--moto-fifo-backlog", type=int, default=20, help="the same for moto (20; 0: skip)"
    )
    p.add_argument(
        "--fifo-hold-ms",
        type=float,
        default=2.0,
        help="fifo backlog check: consumers hold each answer this long before deleting (2)",
    )
    p.add_argument(
        "--verify",
        choices=("drain", "count"),
        default="drain",
        help="after send runs: drain and compare ids (default) or compare counts only",
    )
    p.add_argument("--drain-timeout", type=float, default=180.0, help="bound on one drain (s)")
    p.add_argument(
        "--sse",
        choices=("on", "off"),
        default="on",
        help="on (AWS's default, SqsManagedSseEnabled=true: densho encrypts messages at rest) "
        "or off (SqsManagedSseEnabled=false) for every queue the bench creates",
    )
    p.add_argument(
        "--densho-args",
        type=shlex.split,
        default=[],
        help='extra "densho serve" flags, e.g. --densho-args="--synchronous NORMAL"',
    )
    p.add_argument(
        "--densho-store",
        type=pg_store,
        help="run densho on PostgreSQL: postgresql://[user@]127.0.0.1[:port][/db] of a server on"
        " this machine; each --densho-nodes count gets a fresh database there (db only serves"
        " to create and drop them; default postgres), dropped at the end",
    )
    p.add_argument(
        "--densho-nodes",
        type=node_counts,
        default=[1],
        help="with --densho-store: comma list of node counts, e.g. 1,2 (default 1); each count"
        " is a target pg-Nnode whose clients are spread over its N nodes",
    )
    p.add_argument(
        "--sqlite",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with --densho-store: also run densho on SQLite in the same run, the baseline of"
        " the PostgreSQL/SQLite goal (default: on)",
    )
    p.add_argument(
        "--model",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="with --densho-store: print and save the node model (CPU per message on the nodes"
        " and on PostgreSQL, the projected throughput of 1, 2, 4, 8 nodes on machines of their"
        " own, the check against this machine); default: on with several --densho-nodes",
    )
    p.add_argument(
        "--model-cores",
        type=float,
        help="the model's cores per node machine (default: this machine's)",
    )
    p.add_argument(
        "--model-node-cores",
        type=float,
        default=1.0,
        help="the model's cores one node can use (default 1: a node is one process, one event"
        " loop)",
    )
    p.add_argument(
        "--model-db-cores",
        type=float,
        help="the model's cores of PostgreSQL's machine (default: --model-cores)",
    )
    p.add_argument(
        "--auth-ab",
        action="store_true",
        help="also run densho-auth: densho with SigV4 verification on (a config file with one"
        " credential), its requests signed for real; prints auth/open per scenario",
    )
    p.add_argument(
        "--metrics-ab",
        action="store_true",
        help=f"also run {metrics_ab.METRICS_OFF}: densho with --metrics off; densho (metrics on)"
        " is scraped every --scrape-every s meanwhile; prints on/off per scenario",
    )
    p.add_argument(
        "--scrape-every",
        type=float,
        default=1.0,
        help="with --metrics-ab: seconds between scrapes of /metrics (default 1)",
    )
    p.add_argument(
        "--scrape-latency",
        type=int,
        metavar="QUEUES",
        help="only measure a /metrics scrape of a densho with this many queues, then exit",
    )
    p.add_argument("--densho-url", type=loopback_url, help="use this running densho")
    p.add_argument("--ministack-url", type=loopback_url, help="use this running MiniStack")
    p.add_argument("--moto-url", type=loopback_url, help="use this running moto")
    p.add_argument("--ceiling-url", type=loopback_url, help="use this running ceiling")
    p.add_argument("--startup-timeout", type=float, default=60.0, help="per server (s)")
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    p.add_argument("--no-json", action="store_true", help="do not write a results file")
    p.add_argument("--keep-logs", action="store_true", help="keep server logs (tmp dirs)")
    p.add_argument("--strict", action="store_true", help="exit 3 when a goal is missed")
    args = p.parse_args(argv)
    for name in ("rounds", "concurrency", "duration", "drain_msgs", "moto_drain_msgs"):
        if getattr(args, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be positive")
    if args.concurrency < 2 and {"pc", "fifo"} & set(args.scenarios):
        p.error("producers+consumers and fifo need --concurrency >= 2")
    if not 1 <= args.fifo_groups <= 100:
        p.error("--fifo-groups must be 1..100")
    if min(args.fifo_backlog, args.moto_fifo_backlog, args.fifo_hold_ms) < 0:
        p.error("--fifo-backlog, --moto-fifo-backlog and --fifo-hold-ms must be >= 0")
    if args.densho_store and args.densho_url:
        p.error("--densho-store starts densho nodes of its own: not with --densho-url")
    if args.densho_nodes != [1] and not args.densho_store:
        p.error("several densho nodes share a PostgreSQL database: give --densho-store")
    if args.model and not args.densho_store:
        p.error("--model is the model of densho on PostgreSQL: give --densho-store")
    if args.model is None:  # by default whenever there are several node counts to compare
        args.model = bool(args.densho_store) and len(args.densho_nodes) > 1
    if min(args.model_cores or 1, args.model_db_cores or 1, args.model_node_cores) <= 0:
        p.error("--model-cores, --model-db-cores and --model-node-cores must be positive")
    return args


def settings_from(args: argparse.Namespace) -> Settings:
    producers = args.pc_producers or max(1, args.concurrency // 2)
    consumers = args.pc_consumers or max(1, args.concurrency - producers)
    return Settings(
        client=args.client,
        concurrency=args.concurrency,
        duration_s=args.duration,
        body_size=args.body_size,
        max_msgs=args.max_msgs,
        # MiniStack gets densho's load; moto its own, smaller one (it slows with depth).
        drain_msgs={
            "densho": args.drain_msgs,
            "ministack": args.drain_msgs,
            "moto": args.moto_drain_msgs,
        },
        pc_producers=producers,
        pc_consumers=consumers,
        pc_wait_s=args.pc_wait,
        fifo_groups=args.fifo_groups,
        fifo_backlog={
            "densho": args.fifo_backlog,
            "ministack": args.fifo_backlog,
            "moto": args.moto_fifo_backlog,
        },
        fifo_hold_s=args.fifo_hold_ms / 1000,
        verify=args.verify,
        drain_timeout_s=args.drain_timeout,
        queue_attributes={} if args.sse == "on" else {"SqsManagedSseEnabled": "false"},
    )


STARTERS = {
    "ministack": servers.start_ministack,
    "moto": servers.start_moto,
    "ceiling": servers.start_ceiling,
}


def _sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def densho_configs(args: argparse.Namespace) -> list[tuple[str, int]]:
    """(label, nodes) of each densho configuration to run: one SQLite densho (and its A/B
    twins), then with ``--densho-store`` one PostgreSQL configuration per ``--densho-nodes``
    count (with ``--no-sqlite`` those alone)."""
    if args.densho_store is None:
        return [
            ("densho", 1),
            *([("densho-auth", 1)] if args.auth_ab else []),
            *([(metrics_ab.METRICS_OFF, 1)] if args.metrics_ab else []),
        ]
    sqlite = [("densho", 1)] if args.sqlite else []
    return [*sqlite, *((f"pg-{n}node", n) for n in args.densho_nodes)]


AUTH_CONFIG = f"""
[[credentials]]
access_key_id = "{loadgen.BENCH_KEY}"
secret_access_key = "{loadgen.BENCH_SECRET}"
account_id = "{loadgen.BENCH_ACCOUNT}"
"""


def start_auth_target(label: str, args: argparse.Namespace) -> Target:
    """densho with authentication on; its clients sign every request."""
    config = Path(tempfile.mkdtemp(prefix="densho-bench-auth-")) / "densho.toml"
    config.write_text(AUTH_CONFIG, encoding="utf-8")
    server = servers.start_densho(
        args.startup_timeout, [*args.densho_args, "--config", str(config)]
    )
    return Target(label, "densho", [server.url], [server], signer=loadgen.Signer())


def start_densho_target(label: str, nodes: int, args: argparse.Namespace) -> Target:
    """One densho configuration: a node on SQLite, or ``nodes`` nodes sharing a PostgreSQL
    database made for them here (dropped by :func:`stop_target`)."""
    if not label.startswith("pg-"):
        if label == "densho-auth":
            return start_auth_target(label, args)
        extra = ["--metrics", "off"] if label == metrics_ab.METRICS_OFF else []
        server = servers.start_densho(args.startup_timeout, [*args.densho_args, *extra])
        return Target(label, "densho", [server.url], [server])
    database = servers.create_database(args.densho_store)
    target = Target(label, "densho", [], [], database)
    try:
        if args.model:
            pgstats.time_wal_io(args.densho_store, servers.database_name(database))
        for _ in range(nodes):
            server = servers.start_densho(args.startup_timeout, args.densho_args, database)
            target.procs.append(server)
            target.urls.append(server.url)
    except BaseException:
        stop_target(target, args.densho_store)
        for server in target.procs:
            servers.cleanup_logs(server)
        raise
    return target


def stop_target(target: Target, pg_server: str | None) -> list[int | None]:
    """Stop the target's processes (by PID), then drop its database; their exit statuses."""
    exits = [servers.stop(proc) for proc in target.procs]
    if target.database is not None and pg_server is not None:
        try:
            servers.drop_database(pg_server, target.database)
        except Exception as exc:
            print(f"could not drop {target.database}: {exc!r}", file=sys.stderr)
    return exits


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.scrape_latency:
        metrics_ab.scrape_latency(args.scrape_latency, args.densho_args, args.startup_timeout)
        return 0
    settings = settings_from(args)
    signal.signal(signal.SIGTERM, _sigterm)
    started_at = dt.datetime.now(dt.UTC)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    wanted = [t for t in args.targets if any(t in SCENARIO_TARGETS[s] for s in args.scenarios)]

    targets: dict[str, Target] = {}
    labels: dict[str, str] = {}  # every target's label -> kind, in table order
    nodes: dict[str, int] = {}  # label -> densho nodes
    unavailable: dict[str, str] = {}
    outcomes: list[Outcome] = []
    exits: dict[str, list[int | None]] = {}
    interrupted = False
    scraper = metrics_ab.Scraper([], args.scrape_every)  # --metrics-ab: the targets' below
    flush_ms = None
    if args.model:
        # Timed before any server starts, so nothing else writes meanwhile.
        flush_ms = pgstats.fsync_ms()
        print(f"one WAL flush (8 KiB write + fdatasync) here: {fmt_ms(flush_ms)} ms", flush=True)
    try:
        for name in wanted:
            given = getattr(args, f"{name}_url")
            if given:
                labels[name], nodes[name] = name, 1
                targets[name] = Target(name, name, [given], [])
                print(f"{name:<8} {given} (already running)", flush=True)
                continue
            for label, count in densho_configs(args) if name == "densho" else [(name, 1)]:
                labels[label], nodes[label] = name, count
                try:
                    if name == "densho":
                        target = start_densho_target(label, count, args)
                    else:
                        server = STARTERS[name](timeout_s=args.startup_timeout)
                        target = Target(label, name, [server.url], [server])
                except servers.ServerError as exc:
                    unavailable[label] = str(exc)
                    print(f"{label:<8} UNAVAILABLE: {exc}", flush=True)
                    continue
                targets[label] = target
                pids = ", ".join(str(pid) for pid in target.pids)
                where = ""
                if target.database:
                    where = f" on database {servers.database_name(target.database)}"
                print(f"{label:<8} {' '.join(target.urls)} (pid {pids}){where}", flush=True)
        print(
            f"client={args.client} loop={args.loop} concurrency={args.concurrency} "
            f"duration={args.duration}s rounds={args.rounds} body={args.body_size}B sse={args.sse} "
            f"cpus={os.cpu_count()}",
            flush=True,
        )
        scraped = [u for t in targets.values() if t.kind == "densho" for u in t.urls]
        scraper = metrics_ab.Scraper(scraped if args.metrics_ab else [], args.scrape_every)
        if targets:
            with scraper:
                loadgen.run(
                    run_all(
                        targets,
                        args.scenarios,
                        args.rounds,
                        settings,
                        args.client,
                        outcomes,
                        args.densho_store,
                    ),
                    args.loop,
                )
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted: stopping servers", file=sys.stderr)
    finally:
        for target in targets.values():
            exits[target.name] = stop_target(target, args.densho_store)

    densho = next((label for label, kind in labels.items() if kind == "densho"), "densho")
    summary = aggregate(outcomes)
    ratio = ratios(summary, labels, nodes)
    pg_one = next((label for label in labels if pg_node_count(label, nodes) == 1), None)
    checks = goals(summary, ratio, args.scenarios, densho, pg_one)
    print_report(summary, ratio, checks, unavailable, args.scenarios, labels, densho)
    print_failures(outcomes)
    if "densho-auth" in labels:
        print_auth_ab(summary, outcomes, args.scenarios)
    if metrics_ab.METRICS_OFF in labels:
        print_metrics_ab(summary, outcomes, args.scenarios)
        print("  " + scraper.report())
    node_model = None
    if args.model and outcomes:
        # Again now the servers are stopped: on a disk others share, a flush's time drifts
        # with their writes; the model takes the slower of the two (its serial bounds lower).
        after_ms = pgstats.fsync_ms()
        print(f"\none WAL flush here, after the runs: {fmt_ms(after_ms)} ms")
        known = [v for v in (flush_ms, after_ms) if v is not None]
        flush_ms = max(known) if known else None
        cores = float(os.cpu_count() or 1)
        params = model.Params(
            cores=args.model_cores or cores,
            db_cores=args.model_db_cores or args.model_cores or cores,
            flush_ms=flush_ms,
            fifo_groups=args.fifo_groups,
            here_cores=cores,
            node_cores=args.model_node_cores,
        )
        runs = [o.to_json() for o in outcomes]
        pg_nodes = {label: count for label, count in nodes.items() if label.startswith("pg-")}
        node_model = model.build(model.costs_from_runs(runs, pg_nodes), params)
        print()
        print("\n".join(model.report(node_model)))
    noisy = sum(1 for o in outcomes if o.details.get("noisy"))
    if noisy:
        print(
            f"\nwarning: in {noisy} of {len(outcomes)} runs other processes on this machine used"
            f" more than {FOREIGN_CPU_WARN_PCT:.0f}% of a core; treat those figures as suspect"
        )
    failed = [o for o in outcomes if o.verdict != "PASS"]
    # The peers are only yardsticks: their own bugs are reported but do not fail the run.
    blocking = [o for o in failed if labels.get(o.target) not in PEERS]
    if failed and not blocking:
        print("  (only the peers failed: exit status unaffected)")

    for target in targets.values():
        failed_here = any(o.target == target.name for o in blocking)
        for server, code in zip(target.procs, exits.get(target.name, []), strict=False):
            crashed = code not in (0, -signal.SIGTERM)
            if crashed:
                print(f"\n{target.name} (pid {server.pid}) exited with status {code}")
                print(server.log_tail())
            if crashed or interrupted or args.keep_logs or failed_here:
                print(f"{target.name} logs kept in {server.workdir}")
            else:
                servers.cleanup_logs(server)

    if not args.no_json and outcomes:
        payload = {
            "started_at": started_at.isoformat(),
            "finished_at": dt.datetime.now(dt.UTC).isoformat(),
            "commit": git_commit(),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "argv": list(sys.argv[1:] if argv is None else argv),
            "settings": {k: v for k, v in vars(settings).items()},
            "loop": args.loop,
            "densho_args": args.densho_args,
            "targets": {
                n: {
                    "kind": t.kind,
                    "urls": t.urls,
                    "pids": t.pids,
                    "exit": exits.get(n),
                    "store": "postgresql"
                    if t.database
                    else "sqlite"
                    if t.kind == "densho"
                    else None,
                    "database": servers.database_name(t.database) if t.database else None,
                    "nodes": len(t.urls),
                }
                for n, t in targets.items()
            },
            "unavailable": unavailable,
            "summary": list(summary.values()),
            "ratios": ratio,
            "goals": checks,
            "runs": [o.to_json() for o in outcomes],
            "model": node_model,
            "interrupted": interrupted,
        }
        with contextlib.suppress(OSError):
            path = write_json(args.results_dir, payload, stamp)
            print(f"\nresults: {path}")

    if interrupted:
        return 130
    if blocking or unavailable:
        return 1
    if args.strict and any(c["met"] is False for c in checks):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
