"""densho benchmark: densho vs moto vs a bare-ASGI ceiling, in one run.

    scripts/bench [--rounds 2] [--duration 5] [--targets densho,moto,ceiling] ...

Starts every target as a subprocess on a free 127.0.0.1 port, then for each
round runs every scenario against every target in turn (densho, moto,
ceiling, densho, moto, ...), verifies each run (PASS/FAIL), prints a table
with the ratios densho/moto and densho/ceiling and the performance targets,
writes the full results as JSON under bench/results/, and stops the servers
by PID, also on error or ^C. See bench/README.md.
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
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import orjson

from bench import loadgen, servers
from bench.scenarios import (
    FOREIGN_CPU_WARN_PCT,
    RUNNERS,
    SCENARIO_TARGETS,
    SCENARIO_TITLES,
    SCENARIOS,
    CpuProbe,
    Outcome,
    Settings,
    pool_size,
)

TARGETS = ("densho", "moto", "ceiling")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The goals from the project brief (bench/README.md).
GOAL_SEND_VS_CEILING = 0.5
GOAL_BATCH_RATE = 25_000
GOAL_DRAIN_RATE = 15_000
GOAL_PC_RATE = 3_000
GOAL_PC_P50_MS = 5.0
GOAL_FIFO_RATE = 3_000
GOAL_FIFO_ORDER_VIOLATIONS = 0
GOAL_SNS_RATE = 2_000  # publishes/s to a topic with 3 SQS subscribers
GOAL_VS_MOTO = 20.0


# --------------------------------------------------------------------------- helpers


def process_cpu_s(pid: int | None) -> float:
    """utime + stime of a process (all its threads), from /proc; 0 if unknown."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


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
    return process_cpu_s(pid) + sum(process_cpu_s(p) for p in descendants(pid))


def machine_busy_s() -> float:
    """Non-idle CPU seconds of the whole machine (all cores), from /proc/stat."""
    try:
        with open("/proc/stat", "rb") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    return (sum(ticks) - ticks[3] - ticks[4]) / CLK_TCK  # minus idle and iowait


def make_probe(pid: int | None, others: Sequence[int | None]) -> CpuProbe:
    def probe() -> tuple[float, float, float, float, float]:
        idle = sum(tree_cpu_s(p) for p in others)
        loader = time.process_time()
        return tree_cpu_s(pid), loader, idle, machine_busy_s(), time.perf_counter()

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


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


# --------------------------------------------------------------------------- running


class Target:
    def __init__(self, name: str, url: str, server: servers.Server | None) -> None:
        self.name = name
        self.url = url
        self.server = server  # None when --NAME-url pointed at a server we did not start

    @property
    def pid(self) -> int | None:
        return self.server.pid if self.server else None

    def dead(self) -> bool:
        return self.server is not None and not self.server.alive()


async def run_one(
    scenario: str,
    target: Target,
    round_no: int,
    settings: Settings,
    client_kind: str,
    others: Sequence[int | None] = (),
) -> Outcome:
    if target.dead():
        outcome = Outcome(scenario, target.name, round_no)
        outcome.problems.append("server is no longer running")
        return outcome
    pool = loadgen.ClientPool.open(target.url, client_kind, pool_size(scenario, settings))
    bound = settings.duration_s + 3 * settings.drain_timeout_s + 120
    try:
        return await asyncio.wait_for(
            RUNNERS[scenario](
                pool, target.name, round_no, settings, make_probe(target.pid, others)
            ),
            timeout=bound,
        )
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
    cpu_text = (
        f"  cpu: server {cpu['server']:.0f}% loader {cpu['loader']:.0f}%"
        f" other {cpu['idle_servers'] + cpu['foreign']:.0f}%"
        if cpu
        else ""
    )
    if o.details.get("noisy"):
        cpu_text += "  (busy machine: figures suspect)"
    line = (
        f"  r{o.round} {o.scenario:<5} {o.target:<8} {fmt_rate(o.rate):>9} msg/s"
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
) -> None:
    for round_no in range(1, rounds + 1):
        print(f"round {round_no}/{rounds}", flush=True)
        for scenario in scenarios:
            for name in SCENARIO_TARGETS[scenario]:
                target = targets.get(name)
                if target is None:
                    continue
                others = [t.pid for t in targets.values() if t is not target]
                outcome = await run_one(scenario, target, round_no, settings, client_kind, others)
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
            "p50_ms": None if p50 != p50 else p50,
            "p99_ms": None if p99 != p99 else p99,
            "latency_kind": group[0].latency_kind,
            "verdict": "PASS" if all(o.verdict == "PASS" for o in group) else "FAIL",
            "noisy_rounds": sum(1 for o in group if o.details.get("noisy")),
        }
        if key[0] == "fifo":
            # None when a run ended before its order could be checked (it FAILed anyway).
            counts = [o.details.get("order_violations") for o in group]
            summary[key]["order_violations"] = (
                None if any(c is None for c in counts) else sum(c for c in counts if c)
            )
    return summary


def ratios(summary: dict[tuple[str, str], dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {}
    for scenario in SCENARIOS:
        densho = summary.get((scenario, "densho"))
        row: dict[str, float | None] = {}
        for other in ("moto", "ceiling"):
            ref = summary.get((scenario, other))
            ok = densho and ref and ref["msgs_per_s"] > 0
            row[f"densho/{other}"] = densho["msgs_per_s"] / ref["msgs_per_s"] if ok else None
        if densho or any((scenario, t) in summary for t in TARGETS):
            out[scenario] = row
    return out


def goals(
    summary: dict[tuple[str, str], dict[str, Any]],
    ratio: dict[str, dict[str, float | None]],
    scenarios: Sequence[str] = SCENARIOS,
) -> list[dict[str, Any]]:
    def rate(scenario: str) -> float | None:
        row = summary.get((scenario, "densho"))
        return row["msgs_per_s"] if row else None

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

    send_ratio = ratio.get("send", {}).get("densho/ceiling")
    add("SendMessage vs ceiling", send_ratio, GOAL_SEND_VS_CEILING, ">= 0.50x")
    add("SendMessageBatch msgs/s", rate("batch"), GOAL_BATCH_RATE, f">= {GOAL_BATCH_RATE:,}")
    add("drain msgs/s", rate("drain"), GOAL_DRAIN_RATE, f">= {GOAL_DRAIN_RATE:,}")
    add("producers+consumers msgs/s", rate("pc"), GOAL_PC_RATE, f">= {GOAL_PC_RATE:,}")
    pc = summary.get(("pc", "densho"))
    add(
        "producers+consumers p50 ms",
        pc["p50_ms"] if pc else None,
        GOAL_PC_P50_MS,
        f"<= {GOAL_PC_P50_MS:g}",
        lower=True,
    )
    add("FIFO msgs/s", rate("fifo"), GOAL_FIFO_RATE, f">= {GOAL_FIFO_RATE:,}")
    fifo = summary.get(("fifo", "densho"))
    add(
        "FIFO order violations",
        fifo.get("order_violations") if fifo else None,
        GOAL_FIFO_ORDER_VIOLATIONS,
        f"= {GOAL_FIFO_ORDER_VIOLATIONS}",
        lower=True,
    )
    add("SNS publishes/s", rate("sns"), GOAL_SNS_RATE, f">= {GOAL_SNS_RATE:,}")
    for scenario in SCENARIOS:
        if scenario in ratio:
            add(
                f"{scenario} vs moto",
                ratio[scenario].get("densho/moto"),
                GOAL_VS_MOTO,
                f">= {GOAL_VS_MOTO:g}x",
            )
    return checks


def print_report(
    summary: dict[tuple[str, str], dict[str, Any]],
    ratio: dict[str, dict[str, float | None]],
    checks: list[dict[str, Any]],
    unavailable: dict[str, str],
    scenarios: Sequence[str] = SCENARIOS,
) -> None:
    print()
    header = f"{'scenario':<24} {'target':<8} {'msgs/s':>10} {'p50 ms':>8} {'p99 ms':>8}  verify"
    print(header)
    print("-" * len(header))
    for scenario in scenarios:
        for target in TARGETS:
            row = summary.get((scenario, target))
            if row is None:
                if target in unavailable and target in SCENARIO_TARGETS[scenario]:
                    print(f"{SCENARIO_TITLES[scenario]:<24} {target:<8} {'unavailable':>10}")
                continue
            mark = "" if row["latency_kind"] == "request" else " *"
            print(
                f"{SCENARIO_TITLES[scenario]:<24} {target:<8} {fmt_rate(row['msgs_per_s']):>10}"
                f" {fmt_ms(row['p50_ms']):>8} {fmt_ms(row['p99_ms']):>8}  {row['verdict']}{mark}"
            )
    print("  msgs/s: median over rounds; p50/p99: per request over all rounds;")
    print("  * producers+consumers and FIFO latency is send-to-receive of each message.")
    for target in TARGETS:
        row = summary.get(("fifo", target))
        if row is not None:
            found = row.get("order_violations")
            shown = "not checked (run aborted)" if found is None else f"{found:,}"
            print(f"  FIFO order + group-lock violations, {target}, all rounds: {shown}")
    print()
    print(f"{'scenario':<24} {'densho/moto':>12} {'densho/ceiling':>15}")
    for scenario, row in ratio.items():
        print(
            f"{SCENARIO_TITLES[scenario]:<24} {fmt_ratio(row['densho/moto']):>12}"
            f" {fmt_ratio(row['densho/ceiling']):>15}"
        )
    print()
    print("goals (densho):")
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
        help="comma list of densho,moto,ceiling (default: all)",
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
    p.add_argument("--drain-msgs", type=int, default=20_000, help="prefill for densho (20000)")
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
        help="fifo: messages per group in the untimed backlog check, densho (100; 0: skip)",
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
        "--densho-args",
        type=shlex.split,
        default=[],
        help='extra "densho serve" flags, e.g. --densho-args="--synchronous NORMAL"',
    )
    p.add_argument("--densho-url", type=loopback_url, help="use this running densho")
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
        drain_msgs={"densho": args.drain_msgs, "moto": args.moto_drain_msgs},
        pc_producers=producers,
        pc_consumers=consumers,
        pc_wait_s=args.pc_wait,
        fifo_groups=args.fifo_groups,
        fifo_backlog={"densho": args.fifo_backlog, "moto": args.moto_fifo_backlog},
        fifo_hold_s=args.fifo_hold_ms / 1000,
        verify=args.verify,
        drain_timeout_s=args.drain_timeout,
    )


STARTERS = {"moto": servers.start_moto, "ceiling": servers.start_ceiling}


def _sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_from(args)
    signal.signal(signal.SIGTERM, _sigterm)
    started_at = dt.datetime.now(dt.UTC)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    wanted = [t for t in args.targets if any(t in SCENARIO_TARGETS[s] for s in args.scenarios)]

    targets: dict[str, Target] = {}
    unavailable: dict[str, str] = {}
    outcomes: list[Outcome] = []
    interrupted = False
    try:
        for name in wanted:
            given = getattr(args, f"{name}_url")
            if given:
                targets[name] = Target(name, given, None)
                print(f"{name:<8} {given} (already running)", flush=True)
                continue
            try:
                if name == "densho":
                    server = servers.start_densho(args.startup_timeout, args.densho_args)
                else:
                    server = STARTERS[name](timeout_s=args.startup_timeout)
            except servers.ServerError as exc:
                unavailable[name] = str(exc)
                print(f"{name:<8} UNAVAILABLE: {exc}", flush=True)
                continue
            targets[name] = Target(name, server.url, server)
            print(f"{name:<8} {server.url} (pid {server.pid})", flush=True)
        print(
            f"client={args.client} loop={args.loop} concurrency={args.concurrency} "
            f"duration={args.duration}s rounds={args.rounds} body={args.body_size}B "
            f"cpus={os.cpu_count()}",
            flush=True,
        )
        if targets:
            loadgen.run(
                run_all(targets, args.scenarios, args.rounds, settings, args.client, outcomes),
                args.loop,
            )
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted: stopping servers", file=sys.stderr)
    finally:
        exits = {}
        for target in targets.values():
            if target.server is not None:
                exits[target.name] = servers.stop(target.server)

    summary = aggregate(outcomes)
    ratio = ratios(summary)
    checks = goals(summary, ratio, args.scenarios)
    print_report(summary, ratio, checks, unavailable, args.scenarios)
    print_failures(outcomes)
    noisy = sum(1 for o in outcomes if o.details.get("noisy"))
    if noisy:
        print(
            f"\nwarning: in {noisy} of {len(outcomes)} runs other processes on this machine used"
            f" more than {FOREIGN_CPU_WARN_PCT:.0f}% of a core; treat those figures as suspect"
        )
    failed = [o for o in outcomes if o.verdict != "PASS"]
    # moto is only a yardstick: its own bugs are reported but do not fail the run.
    blocking = [o for o in failed if o.target != "moto"]
    if failed and not blocking:
        print("  (only the moto reference failed: exit status unaffected)")

    for target in targets.values():
        server = target.server
        if server is None:
            continue
        crashed = exits.get(target.name) not in (0, -signal.SIGTERM)
        if crashed:
            print(f"\n{target.name} exited with status {exits.get(target.name)}")
            print(server.log_tail())
        if (
            crashed
            or interrupted
            or args.keep_logs
            or any(o.target == target.name for o in blocking)
        ):
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
                n: {"url": t.url, "pid": t.pid, "exit": exits.get(n)} for n, t in targets.items()
            },
            "unavailable": unavailable,
            "summary": list(summary.values()),
            "ratios": ratio,
            "goals": checks,
            "runs": [o.to_json() for o in outcomes],
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
