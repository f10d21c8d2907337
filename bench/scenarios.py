"""The five measured scenarios and the drain that verifies each of them.

Every scenario runs against one target on a fresh queue, returns an
:class:`Outcome` with its rate, latencies and a PASS/FAIL verdict, and deletes
its queue afterwards. Verification is by message identity: every body carries
a run tag and a sequence id, so the set of ids the server acknowledged is
compared with the set a full drain hands back (nothing lost, nothing
duplicated, nothing foreign, every MD5 right, every delete accepted, queue
empty at the end). The FIFO scenario also checks the order within each message
group as the consumers saw it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from bench.envelopes import signature_problem
from bench.loadgen import (
    SNS_PREFIX,
    Bodies,
    Client,
    ClientPool,
    HttpError,
    LoadResult,
    SendRequests,
    SqsError,
    closed_loop,
    latency_ms,
    run_workers,
    sns_call,
    sns_form,
    sqs_call,
    xml_field,
)

SCENARIOS = ("send", "batch", "drain", "pc", "fifo", "sns")
SCENARIO_TITLES = {
    "send": "SendMessage",
    "batch": "SendMessageBatch x10",
    "drain": "drain (recv10+delbatch)",
    "pc": "producers+consumers",
    "fifo": "FIFO prod+cons, groups",
    "sns": "SNS Publish, 3 SQS subs",
}
# Which targets take part in which scenario: the ceiling only knows SendMessage.
SCENARIO_TARGETS = {
    "send": ("densho", "ministack", "moto", "ceiling"),
    "batch": ("densho", "ministack", "moto"),
    "drain": ("densho", "ministack", "moto"),
    "pc": ("densho", "ministack", "moto"),
    "fifo": ("densho", "ministack", "moto"),
    "sns": ("densho", "ministack", "moto"),
}
VISIBILITY_TIMEOUT = 600  # long enough that nothing reappears during a run

# () -> CPU seconds so far of (server under test, loader, idle servers, database server,
# whole machine), the wall clock and further cumulative counters by name (with PostgreSQL: its
# CPU per role, its commits and WAL counters, for the node model); sampled around the measured
# phase of a scenario, once before it and once after.
CpuSample = tuple[float, float, float, float, float, float, dict[str, float]]
CpuProbe = Callable[[], CpuSample]
FOREIGN_CPU_WARN_PCT = 20.0  # other processes using more than this: figures are suspect


def no_probe() -> CpuSample:
    return 0.0, time.process_time(), 0.0, 0.0, 0.0, time.perf_counter(), {}


@dataclass
class Settings:
    client: str = "raw"
    concurrency: int = 16
    duration_s: float = 5.0
    body_size: int = 1024
    max_msgs: int = 2_000_000  # count bound on the duration-bounded send scenarios
    drain_msgs: dict[str, int] = field(
        default_factory=lambda: {"densho": 20_000, "ministack": 20_000, "moto": 500}
    )
    pc_producers: int = 8
    pc_consumers: int = 8
    pc_wait_s: int = 1  # WaitTimeSeconds of the consumers' long polls
    # Message groups of the FIFO scenario; each group has its own producer sending in order, as
    # a FIFO user would (per-group order is defined by one sequential sender).
    fifo_groups: int = 10
    # FIFO: messages per group in the untimed backlog check after the timed phase (0: none),
    # and how long its consumers hold each answer before deleting it.
    fifo_backlog: dict[str, int] = field(
        default_factory=lambda: {"densho": 100, "ministack": 100, "moto": 20}
    )
    fifo_hold_s: float = 0.002
    verify: str = "drain"  # or "count": compare ApproximateNumberOfMessages only
    drain_timeout_s: float = 180.0  # hard bound on any single drain
    max_errors: int = 100
    # Attributes every queue the bench creates gets (--sse off: SqsManagedSseEnabled=false, so
    # densho stores messages unencrypted; on: AWS's default, encrypted at rest).
    queue_attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    scenario: str
    target: str
    round: int
    msgs: int = 0
    requests: int = 0  # HTTP requests sent over the measured phase (server CPU per request)
    elapsed_s: float = 0.0
    latencies_ns: list[int] = field(default_factory=list, repr=False)
    latency_kind: str = "request"  # or "send-to-receive"
    verdict: str = "FAIL"
    problems: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.msgs / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def cpu_us(self, per: str) -> float | None:
        """Server CPU (utime + stime of its processes over the measured phase) per
        ``"request"`` or per ``"msg"``, in microseconds; None when unknown (a server the bench
        did not start, or nothing counted)."""
        cpu_s = self.details.get("server_cpu_s")
        count = self.requests if per == "request" else self.msgs
        if not cpu_s or not count:
            return None
        return float(cpu_s / count * 1e6)

    def cpu(self, before: CpuSample, after: CpuSample) -> None:
        """Record CPU use over the measured phase, in % of one core: the server under
        test (all its nodes), the load generator, the idle servers (should be ~0), the
        database server (PostgreSQL, when the server uses it) and everything else on the
        machine ("foreign": other people's processes; should be ~0 too)."""
        wall = after[5] - before[5]
        if wall <= 0:
            return
        # A process that ended during the run takes its CPU time with it: never below 0.
        pct = [max(0.0, 100 * (a - b) / wall) for a, b in zip(after[:5], before[:5], strict=True)]
        foreign = max(0.0, pct[4] - sum(pct[:4])) if pct[4] else 0.0
        if after[0] > before[0]:
            self.details["server_cpu_s"] = round(after[0] - before[0], 4)
        self.details["loader_cpu_s"] = round(max(0.0, after[1] - before[1]), 4)
        if after[6] and before[6]:
            # Differences of the cumulative counters over the measured phase (bench/model.py).
            self.details["counters"] = {
                k: round(after[6][k] - before[6][k], 4) for k in after[6] if k in before[6]
            }
        self.details["cpu_pct"] = {
            "server": round(pct[0], 1),
            "loader": round(pct[1], 1),
            "idle_servers": round(pct[2], 1),
            "db": round(pct[3], 1),
            "foreign": round(foreign, 1),
        }
        if foreign > FOREIGN_CPU_WARN_PCT:
            self.details["noisy"] = True

    def judge(self, verified: bool = True) -> None:
        self.verdict = "PASS" if verified and not self.problems else "FAIL"

    def to_json(self) -> dict[str, Any]:
        p50, p99 = latency_ms(self.latencies_ns)
        return {
            "scenario": self.scenario,
            "target": self.target,
            "round": self.round,
            "msgs": self.msgs,
            "requests": self.requests,
            "elapsed_s": round(self.elapsed_s, 4),
            "msgs_per_s": round(self.rate, 1),
            "latency_kind": self.latency_kind,
            "server_cpu_us_per_request": _round(self.cpu_us("request"), 2),
            "server_cpu_us_per_msg": _round(self.cpu_us("msg"), 2),
            "latency_samples": len(self.latencies_ns),
            "p50_ms": None if p50 != p50 else round(p50, 3),
            "p99_ms": None if p99 != p99 else round(p99, 3),
            "verdict": self.verdict,
            "problems": self.problems,
            "details": self.details,
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# --------------------------------------------------------------------------- queue helpers


@contextlib.asynccontextmanager
async def fresh_queue(
    client: Client,
    target: str,
    name: str,
    attributes: dict[str, str] | None = None,
    *,
    settings: Settings,
) -> AsyncIterator[str]:
    """Create a queue (standard unless ``attributes`` say otherwise; with the settings'
    ``queue_attributes``), yield its URL, delete it afterwards (best effort)."""
    if target == "ceiling":  # answers everything with a fixed SendMessage document
        yield "http://127.0.0.1/000000000000/ceiling"
        return
    request: dict[str, Any] = {"QueueName": name}
    attributes = {**settings.queue_attributes, **(attributes or {})}
    if attributes:
        request["Attributes"] = attributes
    answer = await sqs_call(client, "CreateQueue", request)
    url: str = answer["QueueUrl"]
    try:
        yield url
    finally:
        with contextlib.suppress(HttpError, SqsError):
            await sqs_call(client, "DeleteQueue", {"QueueUrl": url})


async def queue_counts(client: Client, queue_url: str) -> dict[str, int]:
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    answer = await sqs_call(
        client, "GetQueueAttributes", {"QueueUrl": queue_url, "AttributeNames": names}
    )
    attrs = answer.get("Attributes") or {}
    return {name: int(attrs.get(name, 0)) for name in names}


def queue_name(scenario: str, target: str, round_no: int) -> str:
    return f"bench-{scenario}-{target}-r{round_no}-{os.urandom(4).hex()}"


# --------------------------------------------------------------------------- consumer / drain


@dataclass
class Consumed:
    seen: set[int] = field(default_factory=set)
    receives: int = 0  # answered ReceiveMessage calls that returned messages
    received: int = 0
    duplicates: int = 0
    foreign: int = 0
    bad_md5: int = 0
    deleted: int = 0
    delete_failures: int = 0
    empty_receives: int = 0
    errors: int = 0
    first_error: str | None = None
    latencies_ns: list[int] = field(default_factory=list)  # per request
    e2e_ns: list[int] = field(default_factory=list)  # send-to-receive, first receipt only
    started_ns: int = 0
    last_delete_ns: int = 0
    finished_ns: int = 0
    stop_reason: str = ""
    timed_out: bool = False

    def error(self, message: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = message

    @property
    def busy_s(self) -> float:
        """Start to the last accepted delete: the time the consuming actually took."""
        end = self.last_delete_ns or self.finished_ns
        return max(0.0, (end - self.started_ns) / 1e9)

    def problems(self) -> list[str]:
        out = []
        if self.duplicates:
            out.append(f"{self.duplicates} duplicate deliveries")
        if self.foreign:
            out.append(f"{self.foreign} foreign messages")
        if self.bad_md5:
            out.append(f"{self.bad_md5} MD5OfBody mismatches")
        if self.delete_failures:
            out.append(f"{self.delete_failures} deletes not accepted")
        if self.errors:
            out.append(f"{self.errors} consumer errors (first: {self.first_error})")
        if self.timed_out:
            out.append("consumers hit the hard time limit")
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "unique": len(self.seen),
            "receives": self.receives,
            "received": self.received,
            "duplicates": self.duplicates,
            "foreign": self.foreign,
            "bad_md5": self.bad_md5,
            "deleted": self.deleted,
            "delete_failures": self.delete_failures,
            "empty_receives": self.empty_receives,
            "errors": self.errors,
            "first_error": self.first_error,
            "stop_reason": self.stop_reason,
            "busy_s": round(self.busy_s, 4),
        }


async def consume(
    clients: list[Client],
    queue_url: str,
    bodies: Bodies,
    *,
    expected: Callable[[], int | None],
    wait_s: int,
    timeout_s: float,
    empty_limit: int,
    max_errors: int = 100,
    record_e2e: bool = False,
    unwrap: Callable[[str], str] | None = None,
    observe: Callable[[list[int]], None] | None = None,
    release: Callable[[list[int]], None] | None = None,
    hold_s: float = 0.0,
) -> Consumed:
    """Receive 10 + DeleteMessageBatch on every client until everything expected is in.

    ``expected()`` is the number of unique messages to wait for, or ``None``
    while producers are still running (then only the time limit stops us).
    Once it is known, ``empty_limit`` consecutive empty receives across all
    consumers also stop the drain (the rest is reported as lost).
    ``observe(seqs)`` is called with the ids of this run's messages of every
    answer (duplicates included, in the server's order) as the loader handles
    it; the consumer then waits ``hold_s`` ("processing") and calls
    ``release(seqs)`` just before it sends the DeleteMessageBatch.
    ``unwrap(body)`` gives the run's body inside a delivered one (an SNS envelope).
    """
    out = Consumed()
    seen = out.seen
    clock = time.perf_counter_ns
    md5 = Bodies.md5
    parse = bodies.parse
    receive_body = orjson.dumps(
        {
            "QueueUrl": queue_url,
            "MaxNumberOfMessages": 10,
            "VisibilityTimeout": VISIBILITY_TIMEOUT,
            "WaitTimeSeconds": wait_s,
        }
    )
    delete_head = b'{"QueueUrl":' + orjson.dumps(queue_url) + b',"Entries":'
    empty_streak = 0
    out.started_ns = clock()
    deadline = out.started_ns + int(timeout_s * 1e9)

    def should_stop() -> bool:
        nonlocal empty_streak
        want = expected()
        if want is not None:
            if len(seen) >= want:
                out.stop_reason = out.stop_reason or "all expected messages consumed"
                return True
            if empty_streak >= empty_limit:
                out.stop_reason = out.stop_reason or f"{empty_streak} empty receives in a row"
                return True
        if out.errors >= max_errors:
            out.stop_reason = out.stop_reason or "too many errors"
            return True
        if clock() >= deadline:
            out.stop_reason = out.stop_reason or "time limit"
            return True
        return False

    async def worker(client: Client) -> None:
        nonlocal empty_streak
        while not should_stop():
            t0 = clock()
            try:
                status, resp = await client.call("ReceiveMessage", receive_body)
            except HttpError as exc:
                out.error(str(exc))
                continue
            t1 = clock()
            out.latencies_ns.append(t1 - t0)
            if status != 200:
                out.error(f"ReceiveMessage: HTTP {status}: {resp[:200]!r}")
                continue
            messages = orjson.loads(resp).get("Messages") or []
            if not messages:
                out.empty_receives += 1
                empty_streak += 1
                continue
            empty_streak = 0
            out.receives += 1
            entries = []
            uids: list[int] = []
            for n, message in enumerate(messages):
                body = message["Body"]
                out.received += 1
                parsed = parse(unwrap(body) if unwrap is not None else body)
                if parsed is None:
                    out.foreign += 1
                else:
                    seq, ts_ns = parsed
                    uids.append(seq)
                    if seq in seen:
                        out.duplicates += 1
                    else:
                        seen.add(seq)
                        if record_e2e:
                            out.e2e_ns.append(t1 - ts_ns)
                if message.get("MD5OfBody") != md5(body):
                    out.bad_md5 += 1
                entries.append({"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]})
            if observe is not None:
                observe(uids)
            if hold_s > 0:
                await asyncio.sleep(hold_s)
            if release is not None:
                release(uids)
            t2 = clock()
            try:
                status, resp = await client.call(
                    "DeleteMessageBatch", delete_head + orjson.dumps(entries) + b"}"
                )
            except HttpError as exc:
                out.error(str(exc))
                out.delete_failures += len(entries)
                continue
            t3 = clock()
            out.latencies_ns.append(t3 - t2)
            if status != 200:
                out.error(f"DeleteMessageBatch: HTTP {status}: {resp[:200]!r}")
                out.delete_failures += len(entries)
                continue
            answer = orjson.loads(resp)
            accepted = len(answer.get("Successful") or [])
            out.deleted += accepted
            out.delete_failures += len(entries) - accepted
            out.last_delete_ns = t3

    if not await run_workers([worker(c) for c in clients], timeout_s + wait_s + 30):
        out.timed_out = True
        out.stop_reason = "requests still outstanding after the time limit"
    out.finished_ns = clock()
    return out


async def verify_queue(
    pool: ClientPool,
    queue_url: str,
    bodies: Bodies,
    acked: set[int],
    settings: Settings,
    outcome: Outcome,
) -> None:
    """Check that the queue holds exactly the ``acked`` messages; records problems."""
    client = pool.clients[0]
    if settings.verify == "count":
        counts = await queue_counts(client, queue_url)
        outcome.details["verify"] = {"mode": "count", "counts": counts, "acked": len(acked)}
        visible = counts["ApproximateNumberOfMessages"]
        if visible != len(acked):
            outcome.problems.append(f"queue holds {visible} messages, {len(acked)} acknowledged")
        return
    drained = await consume(
        pool.clients,
        queue_url,
        bodies,
        expected=lambda: len(acked),
        wait_s=0,
        timeout_s=settings.drain_timeout_s,
        empty_limit=3 * len(pool.clients),
        max_errors=settings.max_errors,
    )
    await check_drained(client, queue_url, acked, drained, outcome)
    outcome.details["verify"] = {"mode": "drain", **drained.summary()}


async def check_drained(
    client: Client, queue_url: str, acked: set[int], drained: Consumed, outcome: Outcome
) -> None:
    lost = len(acked - drained.seen)
    unexpected = len(drained.seen - acked)
    if lost:
        outcome.problems.append(f"{lost} acknowledged messages never delivered")
    if unexpected:
        outcome.problems.append(f"{unexpected} delivered messages never acknowledged")
    outcome.problems.extend(drained.problems())
    # One more look: nothing may be left behind, visible or in flight.
    extra = await sqs_call(
        client,
        "ReceiveMessage",
        {"QueueUrl": queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0},
    )
    if extra.get("Messages"):
        outcome.problems.append("messages still receivable after the drain")
    counts = await queue_counts(client, queue_url)
    outcome.details["final_counts"] = counts
    if any(counts.values()):
        outcome.problems.append(f"queue not empty after the drain: {counts}")


# --------------------------------------------------------------------------- scenarios


def _load_problems(result: Any, outcome: Outcome) -> None:
    if result.errors:
        outcome.problems.append(f"{result.errors} failed requests (first: {result.first_error})")
    if result.timed_out:
        outcome.problems.append("requests still outstanding after the time limit")


async def produce_while_consuming(
    producing: Awaitable[LoadResult],
    consumers: Callable[[Callable[[], int | None]], Awaitable[Consumed]],
    acked: set[int],
) -> tuple[LoadResult, Consumed]:
    """Run ``producing`` with the consumers receiving alongside it.

    ``consumers`` is handed the ``expected`` for ``consume``: no bound while the producers run,
    then everything acknowledged. Should the producers fail, the consumers are cancelled.
    """
    running = True
    consumer_task = asyncio.ensure_future(consumers(lambda: None if running else len(acked)))
    try:
        result = await producing
    except BaseException:
        consumer_task.cancel()
        with contextlib.suppress(BaseException):
            await consumer_task
        raise
    finally:
        running = False
    return result, await consumer_task


def record_consumed(
    outcome: Outcome,
    producing: LoadResult,
    consumed: Consumed,
    acked: set[int],
    before: CpuSample,
    after: CpuSample,
) -> None:
    """The timed result of a send-to-receive run: what the consumers got of what was acked."""
    outcome.msgs = len(consumed.seen & acked)
    outcome.requests = producing.requests + len(consumed.latencies_ns)
    outcome.elapsed_s = consumed.busy_s
    outcome.cpu(before, after)
    outcome.latencies_ns = consumed.e2e_ns


def send_summary(result: LoadResult) -> dict[str, Any]:
    """The producers' side of a send-to-receive run, for ``outcome.details``."""
    return {
        "sent": result.ok,
        "errors": result.errors,
        "elapsed_s": round(result.elapsed_s, 4),
        "send_rate": round(result.ok / result.elapsed_s, 1) if result.elapsed_s else 0,
        "request_p50_p99_ms": [round(v, 3) for v in latency_ms(result.latencies_ns)],
    }


async def scenario_send(
    pool: ClientPool, target: str, round_no: int, settings: Settings, probe: CpuProbe = no_probe
) -> Outcome:
    outcome = Outcome("send", target, round_no)
    bodies = Bodies(settings.body_size)
    client = pool.clients[0]
    async with fresh_queue(
        client, target, queue_name("send", target, round_no), settings=settings
    ) as url:
        requests = SendRequests(url, bodies)
        acked: set[int] = set()

        def check(i: int, status: int, resp: bytes) -> bool:
            if status == 200 and b"MessageId" in resp:
                acked.add(i)
                return True
            return False

        before = probe()
        result = await closed_loop(
            pool.clients,
            "SendMessage",
            requests.single,
            check,
            duration_s=settings.duration_s,
            max_requests=settings.max_msgs,
            max_errors=settings.max_errors,
        )
        outcome.msgs = result.ok
        outcome.requests = result.requests
        outcome.elapsed_s = result.elapsed_s
        outcome.cpu(before, probe())
        outcome.latencies_ns = result.latencies_ns
        outcome.details["load"] = {"requests": result.requests, "errors": result.errors}
        _load_problems(result, outcome)
        if target == "ceiling":
            outcome.details["verify"] = {"mode": "none: the ceiling stores nothing"}
        else:
            await verify_queue(pool, url, bodies, acked, settings, outcome)
    outcome.judge()
    return outcome


async def scenario_batch(
    pool: ClientPool, target: str, round_no: int, settings: Settings, probe: CpuProbe = no_probe
) -> Outcome:
    outcome = Outcome("batch", target, round_no)
    bodies = Bodies(settings.body_size)
    client = pool.clients[0]
    async with fresh_queue(
        client, target, queue_name("batch", target, round_no), settings=settings
    ) as url:
        requests = SendRequests(url, bodies)
        acked: set[int] = set()
        before = probe()
        result = await closed_loop(
            pool.clients,
            "SendMessageBatch",
            lambda i: requests.batch(i * 10, 10),
            batch_checker(acked),
            duration_s=settings.duration_s,
            max_requests=max(1, settings.max_msgs // 10),
            max_errors=settings.max_errors,
        )
        outcome.msgs = len(acked)
        outcome.requests = result.requests
        outcome.elapsed_s = result.elapsed_s
        outcome.cpu(before, probe())
        outcome.latencies_ns = result.latencies_ns
        outcome.details["load"] = {"requests": result.requests, "errors": result.errors}
        _load_problems(result, outcome)
        await verify_queue(pool, url, bodies, acked, settings, outcome)
    outcome.judge()
    return outcome


def batch_checker(
    acked: set[int], size: Callable[[int], int] = lambda _i: 10
) -> Callable[[int, int, bytes], bool]:
    """Accept a SendMessageBatch answer only if all its entries succeeded; note which did.

    Request ``i`` carries sequence ids ``10*i .. 10*i + size(i) - 1``.
    """

    def check(i: int, status: int, resp: bytes) -> bool:
        if status != 200:
            return False
        answer = orjson.loads(resp)
        ok = answer.get("Successful") or []
        for entry in ok:
            acked.add(i * 10 + int(entry["Id"]))
        return len(ok) == size(i) and not answer.get("Failed")

    return check


async def prefill(
    pool: ClientPool, url: str, bodies: Bodies, count: int, settings: Settings
) -> tuple[set[int], list[str]]:
    """Put exactly ``count`` messages in the queue with SendMessageBatch."""
    requests = SendRequests(url, bodies)
    acked: set[int] = set()
    full, rest = divmod(count, 10)
    n_requests = full + (1 if rest else 0)

    def size(i: int) -> int:
        return 10 if i < full else rest

    result = await closed_loop(
        pool.clients,
        "SendMessageBatch",
        lambda i: requests.batch(i * 10, size(i)),
        batch_checker(acked, size),
        duration_s=settings.drain_timeout_s,
        max_requests=n_requests,
        max_errors=settings.max_errors,
    )
    problems = []
    if result.errors or len(acked) != count:
        problems.append(
            f"prefill: {len(acked)}/{count} messages accepted "
            f"({result.errors} errors, first: {result.first_error})"
        )
    return acked, problems


async def scenario_drain(
    pool: ClientPool, target: str, round_no: int, settings: Settings, probe: CpuProbe = no_probe
) -> Outcome:
    outcome = Outcome("drain", target, round_no)
    bodies = Bodies(settings.body_size)
    count = settings.drain_msgs.get(target, 500)
    client = pool.clients[0]
    async with fresh_queue(
        client, target, queue_name("drain", target, round_no), settings=settings
    ) as url:
        t0 = time.perf_counter()
        acked, problems = await prefill(pool, url, bodies, count, settings)
        outcome.details["prefill_s"] = round(time.perf_counter() - t0, 3)
        outcome.problems.extend(problems)
        before = probe()
        drained = await consume(
            pool.clients,
            url,
            bodies,
            expected=lambda: len(acked),
            wait_s=0,
            timeout_s=settings.drain_timeout_s,
            empty_limit=3 * len(pool.clients),
            max_errors=settings.max_errors,
        )
        outcome.msgs = len(drained.seen & acked)
        outcome.requests = len(drained.latencies_ns)  # receives and deletes answered
        outcome.elapsed_s = drained.busy_s
        outcome.cpu(before, probe())
        outcome.latencies_ns = drained.latencies_ns
        outcome.details["prefilled"] = len(acked)
        outcome.details["drain"] = drained.summary()
        await check_drained(client, url, acked, drained, outcome)
    outcome.judge()
    return outcome


async def scenario_pc(
    pool: ClientPool, target: str, round_no: int, settings: Settings, probe: CpuProbe = no_probe
) -> Outcome:
    """N producers (SendMessage) and M long-polling consumers on one queue at once."""
    outcome = Outcome("pc", target, round_no, latency_kind="send-to-receive")
    bodies = Bodies(settings.body_size)
    producers = pool.clients[: settings.pc_producers]
    consumers = pool.clients[settings.pc_producers :]
    client = pool.clients[0]
    async with fresh_queue(
        client, target, queue_name("pc", target, round_no), settings=settings
    ) as url:
        requests = SendRequests(url, bodies)
        acked: set[int] = set()
        clock = time.perf_counter_ns

        def check(i: int, status: int, resp: bytes) -> bool:
            if status == 200 and b"MessageId" in resp:
                acked.add(i)
                return True
            return False

        before = probe()
        result, consumed = await produce_while_consuming(
            closed_loop(
                producers,
                "SendMessage",
                lambda i: requests.single(i, clock()),
                check,
                duration_s=settings.duration_s,
                max_requests=settings.max_msgs,
                max_errors=settings.max_errors,
            ),
            lambda expected: consume(
                consumers,
                url,
                bodies,
                expected=expected,
                wait_s=settings.pc_wait_s,
                timeout_s=settings.duration_s + settings.drain_timeout_s,
                empty_limit=2 * len(consumers),
                max_errors=settings.max_errors,
                record_e2e=True,
            ),
            acked,
        )
        record_consumed(outcome, result, consumed, acked, before, probe())
        outcome.details["producers"] = {"clients": len(producers), **send_summary(result)}
        outcome.details["consumers"] = {"clients": len(consumers), **consumed.summary()}
        _load_problems(result, outcome)
        await check_drained(client, url, acked, consumed, outcome)
    outcome.judge()
    return outcome


# FIFO: a message's id is ``group * GROUP_STRIDE + seq``, ``seq`` counting 0, 1, 2, ... per
# group; in the body's 12-digit id field the first two digits are the group.
GROUP_STRIDE = 10**10
MAX_GROUPS = 100
MAX_EXAMPLES = 5


@dataclass
class GroupOrder:
    """Per-group receive order of a FIFO run, fed by the consumers as they handle answers.

    Each group was sent by one producer, one message at a time, so its order is
    ``start``, ``start + 1``, ... (a send that failed is retried with the same
    seq and deduplication id before the group moves on). A message is *in
    order* when its seq is exactly one more than the highest seq received so
    far in its group; every other receipt is an order violation: a *gap* (seq
    jumps ahead, something was skipped) or a *step back* (seq at or below one
    already received: a late message, or a redelivery). For a correct server
    this view is exact: a group stays locked while any of its messages is in
    flight, so its next messages are received only after the loader has
    handled the previous answer and sent its delete.

    The same reasoning gives the *group lock* check: from the moment the loader
    handles an answer until it sends that answer's delete, the answer's groups
    are held; no other answer may contain a held group (the server cannot have
    seen the delete yet). It can only fire when consumers hold messages for a
    while (``consume(hold_s=...)``); with no hold the window is empty.
    """

    groups: int
    acked: list[int]  # per group: sends acknowledged so far (the producers update it)
    start: list[int] | None = None  # per group: the first seq to expect (default 0)
    next_seq: list[int] = field(default_factory=list)
    received: list[int] = field(default_factory=list)
    gaps: int = 0
    steps_back: int = 0
    lock_violations: int = 0
    examples: list[str] = field(default_factory=list)
    held: list[int] = field(default_factory=list)  # per group: answers holding it
    # How much the order was put to the test: receipts while later messages of the
    # same group were already acknowledged (a server ignoring the order could have
    # handed out one of those instead), and the most such messages at once.
    with_later_waiting: int = 0
    most_later_waiting: int = 0

    def __post_init__(self) -> None:
        self.next_seq = list(self.start) if self.start else [0] * self.groups
        self.received = [0] * self.groups
        self.held = [0] * self.groups

    @property
    def violations(self) -> int:
        return self.gaps + self.steps_back

    def _example(self, text: str) -> None:
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(text)

    def see(self, uids: list[int]) -> None:
        """One answer's messages, in the server's order."""
        mine: set[int] = set()
        for uid in uids:
            group, seq = divmod(uid, GROUP_STRIDE)
            if group >= self.groups:
                continue  # not one of ours: the identity check reports it
            if group not in mine:
                mine.add(group)
                if self.held[group]:
                    self.lock_violations += 1
                    self._example(f"group {group}: seq {seq} handed out while the group was held")
            self.received[group] += 1
            later = self.acked[group] - seq - 1
            if later > 0:
                self.with_later_waiting += 1
                if later > self.most_later_waiting:
                    self.most_later_waiting = later
            want = self.next_seq[group]
            if seq == want:
                self.next_seq[group] = seq + 1
                continue
            self._example(f"group {group}: seq {seq} after seq {want - 1}")
            if seq > want:
                self.gaps += 1
                self.next_seq[group] = seq + 1
            else:
                self.steps_back += 1
        for group in mine:
            self.held[group] += 1

    def release(self, uids: list[int]) -> None:
        """The answer's delete is about to be sent."""
        for group in {uid // GROUP_STRIDE for uid in uids}:
            if group < self.groups and self.held[group]:
                self.held[group] -= 1

    def problems(self, phase: str) -> list[str]:
        out = []
        examples = "; ".join(self.examples)
        if self.violations:
            out.append(
                f"{phase}: {self.violations} order violations ({self.gaps} gaps,"
                f" {self.steps_back} steps back; e.g. {examples})"
            )
        if self.lock_violations:
            out.append(
                f"{phase}: {self.lock_violations} answers with a group another consumer still"
                f" held (e.g. {examples})"
            )
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "violations": self.violations,
            "gaps": self.gaps,
            "steps_back": self.steps_back,
            "lock_violations": self.lock_violations,
            "examples": self.examples,
            "received_per_group": self.received,
            "with_later_waiting": self.with_later_waiting,
            "most_later_waiting": self.most_later_waiting,
        }


@dataclass
class FifoSends:
    """What the FIFO producers got back, beyond the plain load figures."""

    acked_per_group: list[int]  # shared with GroupOrder.acked
    owners: list[list[int]]  # groups of each producer
    missing_sequence_numbers: int = 0  # a FIFO send's answer must carry one
    sequence_number_steps_back: int = 0  # and it must grow within a group
    last_sequence: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.last_sequence = [-1] * len(self.acked_per_group)

    def sequence(self, group: int, sequence: Any) -> None:
        if sequence is None:
            self.missing_sequence_numbers += 1
            return
        number = int(sequence)
        if number <= self.last_sequence[group]:
            self.sequence_number_steps_back += 1
        self.last_sequence[group] = number

    def problems(self) -> list[str]:
        out = []
        if self.missing_sequence_numbers:
            out.append(
                f"{self.missing_sequence_numbers} FIFO sends answered without SequenceNumber"
            )
        if self.sequence_number_steps_back:
            out.append(
                f"{self.sequence_number_steps_back} SequenceNumbers not greater than the"
                " previous one of the same group"
            )
        return out


def group_owners(producers: int, groups: int) -> list[list[int]]:
    """Producer ``p`` owns the groups ``g`` with ``g % producers == p``."""
    return [[g for g in range(groups) if g % producers == p] for p in range(producers)]


async def fifo_produce(
    clients: list[Client],
    requests: SendRequests,
    acked: set[int],
    sends: FifoSends,
    *,
    duration_s: float,
    max_msgs: int,
    max_errors: int,
    grace_s: float = 30.0,
) -> LoadResult:
    """Every producer sends to its groups round-robin, one SendMessage at a time, so
    every group's send order is well defined.

    Each message gets the next seq of its group, the send time in its body and a
    unique MessageDeduplicationId; a failed send is retried unchanged (same body,
    same deduplication id, so a send that was stored after all is not stored
    twice) before that group goes on. Bounded like :func:`closed_loop`.
    """
    result = LoadResult()
    lat = result.latencies_ns
    clock = time.perf_counter_ns
    per_group = sends.acked_per_group
    group_ids = [b"g%02d" % g for g in range(len(per_group))]
    issued = 0
    start = clock()
    deadline = start + int(duration_s * 1e9)

    async def producer(client: Client, mine: list[int]) -> None:
        nonlocal issued
        pending: dict[int, bytes] = {}  # group -> request to retry unchanged
        turn = 0
        while issued < max_msgs and result.errors < max_errors and clock() < deadline:
            group = mine[turn % len(mine)]
            turn += 1
            uid = group * GROUP_STRIDE + per_group[group]
            body = pending.get(group)
            if body is None:
                issued += 1
                body = requests.grouped(uid, clock(), group_ids[group], b"d%d" % uid)
                pending[group] = body
            t0 = clock()
            try:
                status, resp = await client.call("SendMessage", body)
            except HttpError as exc:
                result.error(f"SendMessage {uid}: {exc}")
                continue
            lat.append(clock() - t0)
            result.requests += 1
            if status != 200 or b"MessageId" not in resp:
                result.error(f"SendMessage {uid}: HTTP {status}: {resp[:200]!r}")
                continue
            result.ok += 1
            acked.add(uid)
            per_group[group] += 1
            del pending[group]
            sends.sequence(group, orjson.loads(resp).get("SequenceNumber"))

    workers = [producer(c, mine) for c, mine in zip(clients, sends.owners, strict=False)]
    if not await run_workers(workers, duration_s + grace_s):
        result.timed_out = True
        result.error(f"SendMessage: requests still outstanding {grace_s:.0f}s after the deadline")
    result.elapsed_s = (clock() - start) / 1e9
    return result


async def fifo_backlog_check(
    pool: ClientPool,
    url: str,
    bodies: Bodies,
    sends: FifoSends,
    per_group: int,
    consumers: list[Client],
    settings: Settings,
    outcome: Outcome,
) -> GroupOrder:
    """Untimed: give every group a backlog of ``per_group`` messages, then drain it with
    the consumers holding each answer ``fifo_hold_s`` before its delete, checking
    order and group locks. Under the timed load a group rarely has more than one
    message waiting, so this is where the order is really put to the test.

    The backlog goes out from one client in SendMessageBatch requests of 10, one
    at a time, the groups interleaved (entry ``k`` belongs to group ``k %
    groups``), so each group's order is well defined and a server that ignored
    group locks would hand the same groups to several consumers at once."""
    requests = SendRequests(url, bodies)
    counts = sends.acked_per_group
    groups = len(counts)
    order = GroupOrder(groups, counts, start=list(counts))
    acked: set[int] = set()
    failures: list[str] = []
    group_ids = [b"g%02d" % g for g in range(groups)]
    stream = [k % groups for k in range(per_group * groups)]  # the group of each message
    client = pool.clients[0]
    deadline = time.perf_counter() + settings.drain_timeout_s
    for first in range(0, len(stream), 10):
        if time.perf_counter() > deadline:
            failures.append("backlog not sent within the drain time limit")
            break
        entries: list[tuple[int, int]] = []  # (group, uid)
        taken = [0] * groups
        for group in stream[first : first + 10]:
            entries.append((group, group * GROUP_STRIDE + counts[group] + taken[group]))
            taken[group] += 1
        body = requests.grouped_batch([(uid, group_ids[g]) for g, uid in entries])
        try:
            status, resp = await client.call("SendMessageBatch", body)
        except HttpError as exc:
            failures.append(f"SendMessageBatch: {exc}")
            break
        if status != 200:
            failures.append(f"SendMessageBatch: HTTP {status}: {resp[:200]!r}")
            break
        answer = orjson.loads(resp)
        ok = sorted(answer.get("Successful") or [], key=lambda e: int(e["Id"]))
        for entry in ok:
            group, uid = entries[int(entry["Id"])]
            acked.add(uid)
            sends.sequence(group, entry.get("SequenceNumber"))
        if answer.get("Failed") or len(ok) != len(entries):
            failures.append(f"SendMessageBatch: {len(ok)}/{len(entries)} entries accepted")
            break
        for group in range(groups):
            counts[group] += taken[group]
    drained = await consume(
        consumers,
        url,
        bodies,
        expected=lambda: len(acked),
        wait_s=settings.pc_wait_s,
        timeout_s=settings.drain_timeout_s,
        empty_limit=2 * len(consumers),
        max_errors=settings.max_errors,
        observe=order.see,
        release=order.release,
        hold_s=settings.fifo_hold_s,
    )
    scratch = Outcome("fifo", outcome.target, outcome.round)
    await check_drained(pool.clients[0], url, acked, drained, scratch)
    outcome.problems.extend(f"backlog check: {p}" for p in failures + scratch.problems)
    outcome.details["backlog_check"] = {
        "per_group": per_group,
        "sent": len(acked),
        "hold_ms": settings.fifo_hold_s * 1000,
        "consumers": drained.summary(),
        "order": order.summary(),
        "final_counts": scratch.details.get("final_counts"),
    }
    return order


async def scenario_fifo(
    pool: ClientPool, target: str, round_no: int, settings: Settings, probe: CpuProbe = no_probe
) -> Outcome:
    """Producers and long-polling consumers on a FIFO queue with ``fifo_groups`` groups;
    besides identity, checks each group's order as the consumers received it, then
    (untimed) the order and group locks under a deep backlog."""
    outcome = Outcome("fifo", target, round_no, latency_kind="send-to-receive")
    groups = settings.fifo_groups
    if not 1 <= groups <= MAX_GROUPS:
        raise ValueError(f"fifo_groups must be 1..{MAX_GROUPS}")
    bodies = Bodies(settings.body_size)
    producers = pool.clients[:groups]  # one sequential producer per message group
    consumers = pool.clients[groups:]
    client = pool.clients[0]
    name = queue_name("fifo", target, round_no) + ".fifo"
    async with fresh_queue(client, target, name, {"FifoQueue": "true"}, settings=settings) as url:
        requests = SendRequests(url, bodies)
        acked: set[int] = set()
        sends = FifoSends([0] * groups, [o for o in group_owners(len(producers), groups) if o])
        order = GroupOrder(groups, sends.acked_per_group)

        before = probe()
        result, consumed = await produce_while_consuming(
            fifo_produce(
                producers,
                requests,
                acked,
                sends,
                duration_s=settings.duration_s,
                max_msgs=settings.max_msgs,
                max_errors=settings.max_errors,
            ),
            lambda expected: consume(
                consumers,
                url,
                bodies,
                expected=expected,
                wait_s=settings.pc_wait_s,
                timeout_s=settings.duration_s + settings.drain_timeout_s,
                empty_limit=2 * len(consumers),
                max_errors=settings.max_errors,
                record_e2e=True,
                observe=order.see,
                release=order.release,
            ),
            acked,
        )
        record_consumed(outcome, result, consumed, acked, before, probe())
        outcome.details["producers"] = {
            "clients": len(sends.owners),
            "groups": groups,
            "groups_per_producer": sends.owners,
            "sent_per_group": list(sends.acked_per_group),
            **send_summary(result),
        }
        outcome.details["consumers"] = {"clients": len(consumers), **consumed.summary()}
        outcome.details["order"] = order.summary()
        _load_problems(result, outcome)
        outcome.problems.extend(order.problems("timed phase"))
        await check_drained(client, url, acked, consumed, outcome)
        backlog = settings.fifo_backlog.get(target, 0)
        violations = order.violations + order.lock_violations
        if backlog > 0:
            checked = await fifo_backlog_check(
                pool, url, bodies, sends, backlog, consumers, settings, outcome
            )
            outcome.problems.extend(checked.problems("backlog check"))
            violations += checked.violations + checked.lock_violations
        outcome.details["sequence_numbers"] = {
            "missing": sends.missing_sequence_numbers,
            "steps_back": sends.sequence_number_steps_back,
        }
        outcome.problems.extend(sends.problems())
        outcome.details["order_violations"] = violations
    outcome.judge()
    return outcome


# --------------------------------------------------------------------------- SNS fan-out

SNS_SUBSCRIBERS = 3


def envelope_message(
    topic_arn: str, sample: list[dict[str, Any]] | None = None
) -> Callable[[str], str]:
    """The published message inside an SNS notification envelope of ``topic_arn``; '' (a
    foreign body) for anything else. The first such envelope is added to ``sample`` (its
    signature is checked afterwards: once per queue, off the clock)."""

    def unwrap(body: str) -> str:
        try:
            envelope = orjson.loads(body)
        except orjson.JSONDecodeError:
            return ""
        if not isinstance(envelope, dict):
            return ""
        if envelope.get("Type") != "Notification" or envelope.get("TopicArn") != topic_arn:
            return ""
        if not envelope.get("Signature") or not envelope.get("MessageId"):
            return ""
        message = envelope.get("Message")
        if not isinstance(message, str):
            return ""
        if sample is not None and not sample:
            sample.append(envelope)
        return message

    return unwrap


async def scenario_sns(
    pool: ClientPool, target: str, round_no: int, settings: Settings, probe: CpuProbe = no_probe
) -> Outcome:
    """Publish to a topic with three SQS subscriptions (default: signed JSON envelope); every
    queue must then hold every acknowledged message exactly once."""
    outcome = Outcome("sns", target, round_no)
    bodies = Bodies(settings.body_size)
    client = pool.clients[0]
    name = queue_name("sns", target, round_no)
    topic_arn = xml_field(await sns_call(client, "CreateTopic", {"Name": name}), "TopicArn")
    try:
        async with contextlib.AsyncExitStack() as stack:
            urls = [
                await stack.enter_async_context(
                    fresh_queue(client, target, f"{name}-{n}", settings=settings)
                )
                for n in range(SNS_SUBSCRIBERS)
            ]
            for url in urls:
                answer = await sqs_call(
                    client,
                    "GetQueueAttributes",
                    {"QueueUrl": url, "AttributeNames": ["QueueArn"]},
                )
                await sns_call(
                    client,
                    "Subscribe",
                    {
                        "TopicArn": topic_arn,
                        "Protocol": "sqs",
                        "Endpoint": answer["Attributes"]["QueueArn"],
                    },
                )
            # Bodies are URL-safe ASCII (tag, digits, '-', 'x'), so they go in unescaped.
            head = sns_form("Publish", {"TopicArn": topic_arn}) + b"&Message="
            acked: set[int] = set()

            def check(i: int, status: int, resp: bytes) -> bool:
                if status == 200 and b"<MessageId>" in resp:
                    acked.add(i)
                    return True
                return False

            before = probe()
            result = await closed_loop(
                pool.clients,
                SNS_PREFIX + "Publish",
                lambda i: head + bodies.body(i),
                check,
                duration_s=settings.duration_s,
                max_requests=settings.max_msgs,
                max_errors=settings.max_errors,
            )
            outcome.msgs = result.ok
            outcome.requests = result.requests
            outcome.elapsed_s = result.elapsed_s
            outcome.cpu(before, probe())
            outcome.latencies_ns = result.latencies_ns
            outcome.details["load"] = {"requests": result.requests, "errors": result.errors}
            _load_problems(result, outcome)
            drains = []
            for url in urls:
                sample: list[dict[str, Any]] = []
                drained = await consume(
                    pool.clients,
                    url,
                    bodies,
                    expected=lambda: len(acked),
                    wait_s=0,
                    timeout_s=settings.drain_timeout_s,
                    empty_limit=3 * len(pool.clients),
                    max_errors=settings.max_errors,
                    unwrap=envelope_message(topic_arn, sample),
                )
                await check_drained(client, url, acked, drained, outcome)
                for envelope in sample:  # a subscriber's check: the signature verifies
                    problem = await signature_problem(envelope)
                    line = f"envelope not validly signed: {problem}"
                    if problem is not None and line not in outcome.problems:
                        outcome.problems.append(line)
                drains.append(drained.summary())
            outcome.details["verify"] = {"mode": "drain every subscribed queue", "queues": drains}
    finally:
        with contextlib.suppress(HttpError, SqsError):
            await sns_call(client, "DeleteTopic", {"TopicArn": topic_arn})
    outcome.judge()
    return outcome


RUNNERS = {
    "send": scenario_send,
    "batch": scenario_batch,
    "drain": scenario_drain,
    "pc": scenario_pc,
    "fifo": scenario_fifo,
    "sns": scenario_sns,
}


def pool_size(scenario: str, settings: Settings) -> int:
    if scenario == "fifo":
        return settings.fifo_groups + settings.pc_consumers
    if scenario == "pc":
        return settings.pc_producers + settings.pc_consumers
    return settings.concurrency


def client_nodes(scenario: str, settings: Settings, nodes: int) -> list[int]:
    """The node (0 .. nodes-1) each of a scenario's clients talks to, for a server of several
    nodes on one database. The clients go round-robin over the nodes, except that in the
    scenarios with producers and consumers (``pc``, ``fifo``: producers are the first clients)
    the producers go round-robin over the first half of the nodes and the consumers over the
    rest: every message then crosses from one node to another, and the consumers' long polls
    are woken by another node's notification, the path a multi-node deployment adds."""
    size = pool_size(scenario, settings)
    if nodes < 2 or scenario not in ("pc", "fifo"):
        return [i % nodes for i in range(size)]
    producers = settings.fifo_groups if scenario == "fifo" else settings.pc_producers
    split = nodes // 2
    return [i % split for i in range(producers)] + [
        split + i % (nodes - split) for i in range(size - producers)
    ]
