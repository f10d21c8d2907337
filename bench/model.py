"""The node model of densho on PostgreSQL: CPU per message on the nodes and on PostgreSQL, from
measured runs, and the throughput it projects for N nodes on machines of their own.

Owns: the arithmetic only — per scenario and node count, the per-message costs (medians over the
rounds) from the runs' JSON (``Outcome.to_json``: the nodes' CPU, PostgreSQL's CPU per role, the
loader's CPU, the database's commits and the server's WAL flushes over the measured phase); the
bounds and the projection; the check against a run of several nodes on this machine's shared
cores; and its text table. ``python -m bench.model RESULTS.json`` prints it again from a
results file.
Must not know: how the figures were measured (bench/run.py, bench/pgstats.py), HTTP, densho.

The model (bench/README.md, "The node model"): a scenario's throughput with N nodes, each on a
machine of C cores, and PostgreSQL on one of C_db cores, is the least of

* N · min(C / node CPU per message, c_node / node process CPU per message): the nodes are
  CPU-bound and share the load evenly; a node's own process (one event loop, one GIL) can use
  c_node = 1 core, its child processes (SNS signing) the machine's other cores. To use a
  bigger machine, run more nodes on it;
* C_db / (PostgreSQL CPU per message): its backends, WAL writer, checkpointer and the rest;
* 1 / (WAL flushes per message · one flush's time): flushes are serial (one at a time, the
  committers waiting meanwhile join the next); at the measured number of messages per flush,
  which grows as more commits wait for each flush, so this bound is a conservative one;
* for ``fifo``: the queue's row lock, which a FIFO send call holds through its commit's flush,
  so one queue takes one send call per flush; a call carries the sends one node has waiting,
  at most the groups' one each, spread over the producers' nodes: groups / (producer nodes ·
  flush time).

The per-message costs of N nodes are those measured with the most nodes not above N (for N = 4
and 8: those of 2 nodes, which include the cross-node notifications; that their fan-out grows
with N is not in the model).
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

ROLES = ("backends", "walwriter", "checkpointer", "other")
PROJECT_NODES = (1, 2, 4, 8)
BOUND_NAMES = {
    "nodes_cpu": "nodes' CPU",
    "db_cpu": "PostgreSQL CPU",
    "wal_flush": "WAL flushes",
    "fifo_lock": "FIFO queue lock",
    "shared_cpu": "shared CPU",
}


@dataclass(frozen=True)
class Costs:
    """One scenario on one node count: the measured rate and the costs per message (medians
    over the rounds). CPU in microseconds; None where not measured."""

    scenario: str
    nodes: int
    rounds: int
    msgs_per_s: float
    node_us: float  # the nodes' processes and their children (SNS signing)
    db_us: dict[str, float]  # per role: backends, walwriter, checkpointer, other
    loader_us: float | None = None
    node_main_us: float | None = None  # the nodes' own processes (children not included)
    # Backends of other databases meanwhile (someone else's work: not in db_us, but their WAL
    # flushes are in pg_stat_wal's counts), per message of this run.
    db_foreign_us: float | None = None
    commits_per_msg: float | None = None  # the bench database's commits
    flushes_per_msg: float | None = None  # the server's WAL fsyncs (pg_stat_wal: all databases)
    wal_bytes_per_msg: float | None = None
    # A WAL flush's mean time during the runs (pg_stat_wal: wal_sync_time / wal_sync; only the
    # bench database's sessions are timed, so a lower bound).
    flush_ms_in_run: float | None = None
    # Cores other processes used meanwhile (other people's work, idle targets, the kernel's
    # threads, e.g. its I/O for the flushes): what this machine's pool did not give the run.
    others_cores: float | None = None

    @property
    def db_total_us(self) -> float:
        return sum(self.db_us.values())


@dataclass(frozen=True)
class Params:
    """The machines the projection is for, and what was measured about the disk and the load."""

    cores: float  # C: cores of each node's machine
    db_cores: float  # C_db: cores of PostgreSQL's machine
    flush_ms: float | None = None  # one WAL flush (write + fdatasync), measured on this disk
    fifo_groups: int = 10  # the fifo scenario's message groups (one sequential producer each)
    here_cores: float | None = None  # the cores this machine's loader, nodes, PostgreSQL share
    node_cores: float = 1.0  # cores a node's own process can use: one event loop, one GIL


@dataclass
class Projection:
    scenario: str
    nodes: int
    costs_from: int  # the node count whose measured costs were used
    bounds: dict[str, float] = field(default_factory=dict)  # msgs/s, per bound name

    @property
    def msgs_per_s(self) -> float:
        return min(self.bounds.values())

    @property
    def limit(self) -> str:
        return min(self.bounds, key=lambda k: self.bounds[k])

    @property
    def cpu_only(self) -> float:
        return min(v for k, v in self.bounds.items() if k in ("nodes_cpu", "db_cpu"))


def _per_msg(value: Any, msgs: int, scale: float = 1e6) -> float | None:
    if value is None or msgs <= 0:
        return None
    return float(value) / msgs * scale


def _median(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def costs_from_runs(runs: Iterable[Mapping[str, Any]], nodes: Mapping[str, int]) -> list[Costs]:
    """Per (scenario, node count) the costs of the passed runs of the targets in ``nodes``
    (target label -> node count), from ``Outcome.to_json`` dicts. Runs without server CPU or
    PostgreSQL CPU per role (not a PostgreSQL target, or aborted) are left out."""
    groups: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
    for run in runs:
        details = run.get("details") or {}
        counters = details.get("counters") or {}
        if (
            run.get("target") not in nodes
            or run.get("verdict") != "PASS"
            or not run.get("msgs")
            or not details.get("server_cpu_s")
            or f"db_cpu_{ROLES[0]}" not in counters
        ):
            continue
        groups.setdefault((run["scenario"], nodes[run["target"]]), []).append(run)
    out = []
    for (scenario, count), group in sorted(groups.items()):

        def med(get: Any, rows: list[Mapping[str, Any]] = group) -> float | None:
            return _median(get(r, r["msgs"], r["details"], r["details"]["counters"]) for r in rows)

        node_us = med(lambda r, m, d, c: _per_msg(d["server_cpu_s"], m))
        assert node_us is not None  # every run in the group has it
        out.append(
            Costs(
                scenario=scenario,
                nodes=count,
                rounds=len(group),
                msgs_per_s=statistics.median(float(r["msgs_per_s"]) for r in group),
                node_us=node_us,
                node_main_us=med(lambda r, m, d, c: _per_msg(c.get("node_main_cpu"), m)),
                db_foreign_us=med(lambda r, m, d, c: _per_msg(c.get("db_cpu_foreign"), m)),
                db_us={
                    # Never below 0: a process that ended (an autovacuum worker) takes its CPU
                    # time with it.
                    k: max(
                        0.0,
                        med(lambda r, m, d, c, k=k: _per_msg(c.get(f"db_cpu_{k}", 0.0), m)) or 0.0,
                    )
                    for k in ROLES
                },
                loader_us=med(lambda r, m, d, c: _per_msg(d.get("loader_cpu_s"), m)),
                commits_per_msg=med(lambda r, m, d, c: _per_msg(c.get("xact_commit"), m, 1)),
                flushes_per_msg=med(lambda r, m, d, c: _per_msg(c.get("wal_sync"), m, 1)),
                wal_bytes_per_msg=med(lambda r, m, d, c: _per_msg(c.get("wal_bytes"), m, 1)),
                others_cores=_median(_others_cores(r) for r in group),
                flush_ms_in_run=med(
                    lambda r, m, d, c: (
                        c["wal_sync_time"] / c["wal_sync"]
                        if c.get("wal_sync_time") and c.get("wal_sync")
                        else None
                    )
                ),
            )
        )
    return out


def _others_cores(run: Mapping[str, Any]) -> float | None:
    pct = run["details"].get("cpu_pct")
    if not pct:
        return None
    return float(pct.get("foreign", 0.0) + pct.get("idle_servers", 0.0)) / 100


def producer_nodes(scenario: str, nodes: int) -> int:
    """The nodes the producers talk to (bench.scenarios.client_nodes): the first half of the
    nodes in ``pc`` and ``fifo`` with several nodes, else all of them."""
    if scenario in ("pc", "fifo") and nodes >= 2:
        return nodes // 2
    return nodes


def serial_bounds(c: Costs, nodes: int, p: Params) -> dict[str, float]:
    """The bounds that more cores do not lift (msgs/s): the WAL flushes, FIFO's queue lock; a
    flush takes the slower of the disk's time (``p.flush_ms``) and the run's own mean."""
    out: dict[str, float] = {}
    flush_ms = max((v for v in (p.flush_ms, c.flush_ms_in_run) if v), default=None)
    if flush_ms and flush_ms > 0:
        flush_s = flush_ms / 1000
        if c.flushes_per_msg and c.flushes_per_msg > 0:
            out["wal_flush"] = 1 / (c.flushes_per_msg * flush_s)
        if c.scenario == "fifo":
            out["fifo_lock"] = p.fifo_groups / (producer_nodes(c.scenario, nodes) * flush_s)
    return out


def per_node(c: Costs, p: Params) -> float:
    """Messages a second one node can handle on its machine of ``p.cores``: all of them for the
    node and its children, at most ``p.node_cores`` for its own process."""
    rate = p.cores * 1e6 / c.node_us
    if c.node_main_us:
        rate = min(rate, min(p.cores, p.node_cores) * 1e6 / c.node_main_us)
    return rate


def pick(costs: Sequence[Costs], scenario: str, nodes: int) -> Costs | None:
    """The costs measured for ``scenario`` with the most nodes not above ``nodes``."""
    fitting = [c for c in costs if c.scenario == scenario and c.nodes <= nodes]
    return max(fitting, key=lambda c: c.nodes) if fitting else None


def project(
    costs: Sequence[Costs], p: Params, counts: Sequence[int] = PROJECT_NODES
) -> list[Projection]:
    """Per scenario and node count: the bounds on separate machines, and so the throughput."""
    out = []
    for scenario in dict.fromkeys(c.scenario for c in costs):
        for n in counts:
            c = pick(costs, scenario, n)
            if c is None or c.node_us <= 0:
                continue
            bounds = {"nodes_cpu": n * per_node(c, p)}
            if c.db_total_us > 0:
                bounds["db_cpu"] = p.db_cores * 1e6 / c.db_total_us
            bounds.update(serial_bounds(c, n, p))
            out.append(Projection(scenario, n, c.nodes, bounds))
    return out


@dataclass
class Check:
    """The model for this machine, whose loader, nodes and PostgreSQL share ``here_cores``,
    against what ``nodes`` nodes measured here."""

    scenario: str
    nodes: int
    measured: float
    costs_from: int
    predicted: float  # all of here_cores for the loader, nodes and PostgreSQL
    limit: str
    pool_left: float | None = None  # here_cores less the others' cores of the measured run
    predicted_left: float | None = None  # with only pool_left cores

    @property
    def error(self) -> float:
        """predicted / measured - 1 (+0.25: the model said 25 % more than was measured)."""
        return self.predicted / self.measured - 1

    @property
    def error_left(self) -> float | None:
        if self.predicted_left is None:
            return None
        return self.predicted_left / self.measured - 1


def shared_check(costs: Sequence[Costs], p: Params, nodes: int, costs_from: int) -> list[Check]:
    """Predict the ``nodes``-node throughput on this machine, all CPU (loader, nodes,
    PostgreSQL) from one pool of ``p.here_cores``, from the costs measured with ``costs_from``
    nodes; against the measured ``nodes``-node figure. With ``costs_from`` < ``nodes`` the
    prediction is out of sample (the 2-node run's costs are not used); with ``costs_from`` ==
    ``nodes`` its error shows how far the run was from using the whole pool."""
    out: list[Check] = []
    if not p.here_cores:
        return out
    for c in costs:
        if c.nodes != costs_from:
            continue
        measured = next((m for m in costs if m.scenario == c.scenario and m.nodes == nodes), None)
        per_msg = c.node_us + c.db_total_us + (c.loader_us or 0.0)
        if measured is None or measured.msgs_per_s <= 0 or per_msg <= 0:
            continue
        serial = serial_bounds(c, nodes, p)
        bounds = {"shared_cpu": p.here_cores * 1e6 / per_msg, **serial}
        limit = min(bounds, key=lambda k: bounds[k])
        check = Check(c.scenario, nodes, measured.msgs_per_s, costs_from, bounds[limit], limit)
        if measured.others_cores is not None:
            check.pool_left = max(0.0, p.here_cores - measured.others_cores)
            check.predicted_left = min([check.pool_left * 1e6 / per_msg, *serial.values()])
        out.append(check)
    return out


def build(costs: Sequence[Costs], p: Params) -> dict[str, Any]:
    """Everything the model says, as the results JSON holds it."""
    counts = sorted({c.nodes for c in costs})
    checks: list[Check] = []
    if len(counts) >= 2:
        top = counts[-1]
        checks = shared_check(costs, p, top, counts[0]) + shared_check(costs, p, top, top)
    return {
        "params": asdict(p),
        "costs": [{**asdict(c), "db_total_us": c.db_total_us} for c in costs],
        "projection": [
            {
                "scenario": pr.scenario,
                "nodes": pr.nodes,
                "costs_from_nodes": pr.costs_from,
                "bounds": pr.bounds,
                "msgs_per_s": pr.msgs_per_s,
                "cpu_only_msgs_per_s": pr.cpu_only,
                "limit": pr.limit,
            }
            for pr in project(costs, p)
        ],
        "checks": [{**asdict(ch), "error": ch.error, "error_left": ch.error_left} for ch in checks],
    }


def _num(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def report(result: Mapping[str, Any]) -> list[str]:
    """The model as text lines (printed after the bench's normal table)."""
    p = result["params"]
    lines = [
        "node model (PostgreSQL): per message, medians over the rounds; CPU in us",
        f"{'scenario':<9}{'nodes':>6}{'msgs/s':>9}{'node':>8}{'pg all':>8}{'backend':>8}"
        f"{'walwr':>7}{'ckpt':>6}{'other':>7}{'loader':>8}{'commit':>8}{'flush':>7}"
        f"{'fl ms':>7}{'WAL B':>7}",
    ]
    for c in result["costs"]:
        db = c["db_us"]
        lines.append(
            f"{c['scenario']:<9}{c['nodes']:>6}{_num(c['msgs_per_s']):>9}{_num(c['node_us'], 1):>8}"
            f"{_num(c['db_total_us'], 1):>8}{_num(db['backends'], 1):>8}"
            f"{_num(db['walwriter'], 1):>7}{_num(db['checkpointer'], 1):>6}"
            f"{_num(db['other'], 1):>7}{_num(c['loader_us'], 1):>8}"
            f"{_num(c['commits_per_msg'], 3):>8}{_num(c['flushes_per_msg'], 3):>7}"
            f"{_num(c.get('flush_ms_in_run'), 2):>7}"
            f"{_num(c['wal_bytes_per_msg']):>7}"
        )
    lines.append(
        "  node: the densho nodes; pg all = backend (the bench database's) + walwr (WAL writer)"
        " + ckpt (checkpointer) + other (postmaster, bgwriter, autovacuum, ...); loader: the"
        " bench's client; commit: the database's commits per message; flush: WAL fsyncs per"
        " message (pg_stat_wal, the whole server); fl ms: a flush's mean time in the run (the"
        " bench database's sessions timed: a lower bound); WAL B: WAL bytes per message"
    )
    shared = [
        f"{c['scenario']} {c['nodes']}"
        for c in result["costs"]
        if (c.get("db_foreign_us") or 0) > 0.1 * max(c["db_us"]["backends"], 1e-9)
    ]
    if shared:
        lines.append(
            "  other databases' backends used over 10% of the bench's backend CPU in: "
            + ", ".join(shared)
            + " (their WAL flushes are in the flush counts)"
        )
    flush = p.get("flush_ms")
    lines += [
        "",
        f"projected msgs/s, each node on its own machine of C={p['cores']:g} cores (a node uses"
        f" {min(p['cores'], p.get('node_cores', 1.0)):g} for its process), PostgreSQL on one of"
        f" C_db={p['db_cores']:g}; one WAL flush {_num(flush, 2)} ms (measured here):",
        f"{'scenario':<9}"
        + "".join(f"{f'N={n}':>10}" for n in PROJECT_NODES)
        + f"  {'limit at N=8':<16}{'CPU only N=8':>13}",
    ]
    by_scenario: dict[str, dict[int, Mapping[str, Any]]] = {}
    for pr in result["projection"]:
        by_scenario.setdefault(pr["scenario"], {})[pr["nodes"]] = pr
    for scenario, rows in by_scenario.items():
        last = rows[max(rows)]
        lines.append(
            f"{scenario:<9}"
            + "".join(
                f"{_num(rows[n]['msgs_per_s']) if n in rows else '-':>10}" for n in PROJECT_NODES
            )
            + f"  {BOUND_NAMES[last['limit']]:<16}{_num(last['cpu_only_msgs_per_s']):>13}"
        )
    lines.append(
        "  least of: N*min(C/node CPU, 1 core/node process CPU), C_db/PostgreSQL CPU,"
        " WAL flushes (serial; at the measured messages per flush), FIFO queue lock"
        " (groups / (producer nodes * flush)); N >= 2 from the costs measured with the most"
        " nodes; CPU only: the first two alone"
    )
    if result["checks"]:
        here = p.get("here_cores")
        lines += [
            "",
            f"check: the model for this machine (loader, nodes, PostgreSQL on {here:g} shared"
            " cores) vs the measured figure:",
            f"{'scenario':<9}{'nodes':>6}{'measured':>10}{'costs of':>10}{'predicted':>11}"
            f"{'error':>8}  {'limit':<16}{'cores left':>11}{'predicted':>11}{'error':>8}",
        ]
        for ch in result["checks"]:
            left = ch["error_left"]
            lines.append(
                f"{ch['scenario']:<9}{ch['nodes']:>6}{_num(ch['measured']):>10}"
                f"{str(ch['costs_from']) + ' node':>10}{_num(ch['predicted']):>11}"
                f"{100 * ch['error']:>+7.0f}%  {BOUND_NAMES[ch['limit']]:<16}"
                f"{_num(ch['pool_left'], 2):>11}{_num(ch['predicted_left']):>11}"
                + (f"{100 * left:>+7.0f}%" if left is not None else f"{'-':>8}")
            )
        lines.append(
            "  predicted: least of shared cores / (node + PostgreSQL + loader CPU per message)"
            " and the serial bounds; error = predicted / measured - 1; cores left: the shared"
            " cores less what other processes (other work, the kernel's threads) used in the"
            " measured run"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - a thin CLI
    """Re-print the model of a results file: ``python -m bench.model FILE [CORES [DB_CORES]]``."""
    import orjson

    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(main.__doc__)
        return 2
    with open(args[0], "rb") as f:
        data = orjson.loads(f.read())
    saved = data.get("model", {}).get("params", {})
    here = saved.get("here_cores") or data.get("machine", {}).get("cpus")
    cores = float(args[1]) if len(args) > 1 else saved.get("cores") or here
    p = Params(
        node_cores=saved.get("node_cores", 1.0),
        cores=cores,
        db_cores=float(args[2]) if len(args) > 2 else saved.get("db_cores") or cores,
        flush_ms=saved.get("flush_ms"),
        fifo_groups=data.get("settings", {}).get("fifo_groups", 10),
        here_cores=here,
    )
    nodes = {name: t["nodes"] for name, t in data["targets"].items() if t.get("database")}
    print("\n".join(report(build(costs_from_runs(data["runs"], nodes), p))))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
