"""The README's performance tables, in Markdown, from one results file of ``scripts/bench``.

    python -m bench.report bench/results/bench-<UTC time>.json

Owns: the layout of the tables the README shows — per scenario every target's msgs/s, densho's
ratios to MiniStack, moto and the ceiling, the server CPU per message and each goal with its
figure and met or missed; the same for densho on PostgreSQL against SQLite; where the CPU went
(how busy the server's one core was, the CPU per message a goal allows it, PostgreSQL's CPU per
message beside the node's); the node model's projection when the run has one. Printing them
from the file keeps the README's figures those of one run, copied by no hand.
Must not know: how the figures were measured or checked (bench/run.py: only its goals), or the
model's arithmetic (bench/model.py).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from bench import model, run
from bench.scenarios import SCENARIO_TITLES, SCENARIOS

# The goal names bench/run.py gives start with one of these (or the scenario's own key).
GOAL_SCENARIO = {
    "SendMessage": "send",
    "SendMessageBatch": "batch",
    "drain": "drain",
    "producers+consumers": "pc",
    "FIFO": "fifo",
    "SNS": "sns",
}


def goal_scenario(name: str) -> str | None:
    first = name.split()[0]
    return first if first in SCENARIOS else GOAL_SCENARIO.get(first)


NONE = "\u2013"  # an en dash: no figure
TIMES = "\u00d7"


def _rate(value: float | None) -> str:
    return NONE if value is None else f"{value:,.0f}"


def _ratio(value: float | None) -> str:
    return NONE if value is None else f"{value:.2f}{TIMES}"


def _actual(value: float | int | None) -> str:
    if value is None:
        return NONE
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def _goal(check: Mapping[str, Any]) -> str:
    """ "drain msgs/s 21,284 (≥ 25,000): **missed**"."""
    wanted = str(check["wanted"]).replace(">=", "≥").replace("<=", "≤")
    if wanted.endswith("x"):  # a ratio
        wanted = wanted[:-1] + TIMES
    verdict = {True: "met", False: "**missed**", None: "n/a"}[check["met"]]
    return f"{check['goal']} {_actual(check['actual'])} ({wanted}): {verdict}"


def _cell(row: Mapping[str, Any] | None, latency: bool = True) -> str:
    """msgs/s, with the p50 and FIFO order violations where they say something."""
    if row is None:
        return NONE
    text = _rate(row.get("msgs_per_s"))
    if latency and row.get("p50_ms") is not None:
        text += f", p50 {row['p50_ms']:.2f} ms"
    if row.get("order_violations"):
        text += f", {row['order_violations']:,} order violations"
    if row.get("verdict") == "FAIL":
        text += " (FAIL)"
    return text


def _cpu(row: Mapping[str, Any] | None) -> str:
    if row is None or row.get("cpu_us_per_msg") is None:
        return NONE
    return f"{row['cpu_us_per_msg']:,.1f}"


def _median_of_runs(
    runs: Sequence[Mapping[str, Any]], scenario: str, target: str, key: str
) -> float | None:
    """The median over a target's runs of one scenario of ``details.cpu_pct[key]``."""
    values = sorted(
        float(r["details"]["cpu_pct"][key])
        for r in runs
        if r.get("scenario") == scenario
        and r.get("target") == target
        and key in (r.get("details", {}).get("cpu_pct") or {})
    )
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def goal_rates(ceiling_rps: float | None) -> dict[str, float | None]:
    """Each scenario's msgs/s goal (SendMessage's: half the ceiling's requests/s)."""
    return {
        "send": None if ceiling_rps is None else run.GOAL_SEND_VS_CEILING * ceiling_rps,
        "batch": run.GOAL_BATCH_RATE,
        "drain": run.GOAL_DRAIN_RATE,
        "pc": run.GOAL_PC_RATE,
        "fifo": run.GOAL_FIFO_RATE,
        "sns": run.GOAL_SNS_RATE,
    }


def cpu_table(payload: Mapping[str, Any]) -> list[str]:
    """Where the CPU went, per scenario: the cores the densho server kept busy while it moved
    the messages (its CPU per message times msgs/s: its event loop is one thread, so 1.0 is its
    limit; SNS signs in a child process beside it), the loader's CPU in % of one core, the
    server's CPU per message against what the goal's rate allows on one core; with a PostgreSQL
    run, the node's and PostgreSQL's CPU per message (the model's costs, 1 node)."""
    summary = {(r["scenario"], r["target"]): r for r in payload.get("summary", [])}
    runs: Sequence[Mapping[str, Any]] = payload.get("runs", [])
    ceiling = summary.get(("send", "ceiling"))
    wanted = goal_rates(ceiling.get("requests_per_s") if ceiling else None)
    costs = {
        c["scenario"]: c
        for c in (payload.get("model") or {}).get("costs", [])
        if c.get("nodes") == 1
    }
    pg = bool(costs)
    lines = [
        f"| scenario | densho server, cores busy (CPU per message {TIMES} msgs/s)"
        " | loader, % of a core"
        " | server CPU µs per message"
        " | the goal's msgs/s | µs per message it allows on one core"
        + (" | PostgreSQL, 1 node: node + PostgreSQL CPU µs per message" if pg else "")
        + " |",
        "|---|---|---|---|---|---" + ("|---" if pg else "") + "|",
    ]
    for s in SCENARIOS:
        row = summary.get((s, "densho"))
        if row is None:
            continue
        per_msg, rate = row.get("cpu_us_per_msg"), row.get("msgs_per_s")
        cores = None if per_msg is None or rate is None else f"{per_msg * rate / 1e6:.2f}"
        loader = _median_of_runs(runs, s, "densho", "loader")
        goal = wanted.get(s)
        line = (
            f"| {SCENARIO_TITLES[s]} | {cores or NONE} | {_rate(loader)} | {_cpu(row)}"
            f" | {_rate(goal)} | {NONE if not goal else f'{1e6 / goal:,.1f}'}"
        )
        if pg:
            c = costs.get(s)
            if c is None:
                line += f" | {NONE}"
            else:
                node, db = c["node_us"], c["db_total_us"]
                line += f" | {node:,.0f} + {db:,.0f} = {node + db:,.0f}"
        lines.append(line + " |")
    return lines


def tables(payload: Mapping[str, Any]) -> list[str]:
    """The Markdown lines: the peers table, the PostgreSQL table (if the run had it), the
    node model (if it had one)."""
    summary = {(r["scenario"], r["target"]): r for r in payload.get("summary", [])}
    ratios: Mapping[str, Mapping[str, float | None]] = payload.get("ratios", {})
    checks: Sequence[Mapping[str, Any]] = payload.get("goals", [])
    targets: Mapping[str, Mapping[str, Any]] = payload.get("targets", {})
    sqlite = next((n for n, t in targets.items() if t.get("store") == "sqlite"), None)
    pg = next(
        (n for n, t in targets.items() if t.get("store") == "postgresql" and t.get("nodes") == 1),
        None,
    )
    primary = sqlite or pg or "densho"
    scenarios = [s for s in SCENARIOS if s in ratios]
    by_scenario: dict[str | None, list[Mapping[str, Any]]] = {}
    for check in checks:
        by_scenario.setdefault(goal_scenario(str(check["goal"])), []).append(check)
    ceiling = summary.get(("send", "ceiling"))

    lines = [
        f"| scenario | {primary} | MiniStack | moto | ÷ MiniStack | ÷ moto | ÷ ceiling"
        " (requests/s) | server CPU µs per message: densho · MiniStack | goals |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in scenarios:
        row = ratios[s]
        mine = [c for c in by_scenario.get(s, []) if "PostgreSQL" not in str(c["goal"])]
        lines.append(
            f"| {SCENARIO_TITLES[s]} | {_cell(summary.get((s, primary)))}"
            f" | {_cell(summary.get((s, 'ministack')), latency=False)}"
            f" | {_cell(summary.get((s, 'moto')), latency=False)}"
            f" | {_ratio(row.get(f'{primary}/ministack'))} | {_ratio(row.get(f'{primary}/moto'))}"
            f" | {_ratio(row.get(f'{primary}/ceiling'))}"
            f" | {_cpu(summary.get((s, primary)))} · {_cpu(summary.get((s, 'ministack')))}"
            f" | {'; '.join(_goal(c) for c in mine) or NONE} |"
        )
    if ceiling is not None:
        lines.append("")
        lines.append(
            f"The ceiling (a bare ASGI app on densho's HTTP stack) answered"
            f" {_rate(ceiling.get('requests_per_s'))} requests/s with"
            f" {_cpu(ceiling)} µs of server CPU per request."
        )
    if pg is not None and sqlite is not None:
        more = [
            n
            for n, t in targets.items()
            if t.get("store") == "postgresql" and (t.get("nodes") or 1) > 1
        ]
        lines += [
            "",
            f"| scenario | {pg} | {sqlite} (SQLite) | ÷ SQLite | ÷ MiniStack | ÷ moto"
            " | ÷ ceiling (requests/s) | node CPU µs per message"
            + "".join(f" | {n} | ÷ {pg}" for n in more)
            + " | goals |",
            "|---|---|---|---|---|---|---|---" + "|---|---" * len(more) + "|---|",
        ]
        for s in scenarios:
            row = ratios[s]
            mine = [c for c in by_scenario.get(s, []) if "PostgreSQL" in str(c["goal"])]
            extra = "".join(
                f" | {_cell(summary.get((s, n)), latency=False)} | {_ratio(row.get(f'{n}/{pg}'))}"
                for n in more
            )
            lines.append(
                f"| {SCENARIO_TITLES[s]} | {_cell(summary.get((s, pg)))}"
                f" | {_cell(summary.get((s, sqlite)), latency=False)}"
                f" | {_ratio(row.get(f'{pg}/{sqlite}'))} | {_ratio(row.get(f'{pg}/ministack'))}"
                f" | {_ratio(row.get(f'{pg}/moto'))} | {_ratio(row.get(f'{pg}/ceiling'))}"
                f" | {_cpu(summary.get((s, pg)))}{extra}"
                f" | {'; '.join(_goal(c) for c in mine) or NONE} |"
            )
    lines += ["", *cpu_table(payload)]
    if payload.get("model"):
        lines += ["", "```text", *model.report(payload["model"]), "```"]
    return lines


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - a thin CLI
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m bench.report RESULTS.json", file=sys.stderr)
        return 2
    payload = orjson.loads(Path(args[0]).read_bytes())
    print(
        f"<!-- {Path(args[0]).name}: {payload.get('started_at')} to {payload.get('finished_at')},"
        f" commit {payload.get('commit')} -->"
    )
    print("\n".join(tables(payload)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
