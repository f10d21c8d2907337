"""What the Prometheus metrics cost: a scraper beside the load, and a scrape's latency.

Owns: ``Scraper`` — a thread that GETs every densho target's ``/metrics`` every few seconds
while the bench runs (``--metrics-ab``: densho with metrics on, scraped, takes turns with
``densho-nometrics``, started with ``--metrics off``), recording each scrape's latency; and
``scrape_latency`` (``--scrape-latency N``): a densho with N queues, each holding a message,
scraped after a refresh of its gauges, timed.
Must not know: the scenarios; densho's internals beyond its flags and the metric names.
"""

from __future__ import annotations

import statistics
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from bench import loadgen, servers

METRICS_OFF = "densho-nometrics"
VISIBLE = "densho_sqs_approximate_number_of_messages_visible"
SCRAPE_GOAL_MS = 100.0
OPENMETRICS = "application/openmetrics-text; version=1.0.0"


def get(url: str, accept: str | None = None, timeout_s: float = 10.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


class Scraper:
    """Scrapes ``urls`` (their /metrics) every ``every_s`` seconds until stopped."""

    def __init__(self, urls: Sequence[str], every_s: float) -> None:
        self._urls = list(urls)
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="metrics-scraper", daemon=True)
        self.latencies_ms: dict[str, list[float]] = {url: [] for url in self._urls}
        self.failures = 0

    def __enter__(self) -> Scraper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            for url in self._urls:
                started = time.perf_counter()
                try:
                    status, _ = get(url + "/metrics")
                except OSError:
                    status = 0
                if status == 200:
                    self.latencies_ms[url].append((time.perf_counter() - started) * 1000)
                elif status != 404:  # 404: a densho with --metrics off
                    self.failures += 1

    def report(self) -> str:
        samples = sorted(ms for values in self.latencies_ms.values() for ms in values)
        if not samples:
            return "scrapes during the load: none answered 200"
        p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
        return (
            f"scrapes during the load (every {self._every_s:g} s): {len(samples)}, "
            f"median {statistics.median(samples):.1f} ms, p99 {p99:.1f} ms, "
            f"max {samples[-1]:.1f} ms, failures {self.failures}"
        )


def scrape_latency(
    queues: int, densho_args: Sequence[str], timeout_s: float, scrapes: int = 50
) -> dict[str, Any]:
    """Start densho (metrics on, gauges refreshed every second), make ``queues`` queues with
    one message each, wait until a refresh shows them all, then time ``scrapes`` scrapes of
    each format. Returns the figures (also printed)."""
    server = servers.start_densho(timeout_s, [*densho_args, "--metrics-interval", "1"])
    try:
        print(f"scrape latency: densho {server.url}, making {queues} queues", flush=True)
        loadgen.run(_fill(server.url, queues))
        deadline = time.monotonic() + 60
        while True:
            status, body = get(server.url + "/metrics")
            series = body.count(f"\n{VISIBLE}{{".encode())
            if status == 200 and series >= queues:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gauges show {series} of {queues} queues after 60 s")
            time.sleep(0.2)
        out: dict[str, Any] = {"queues": queues, "bytes": len(body), "series_lines": 0}
        out["series_lines"] = sum(
            1 for line in body.splitlines() if line and not line.startswith(b"#")
        )
        for name, accept in (("prometheus", None), ("openmetrics", OPENMETRICS)):
            times = []
            for _ in range(scrapes):
                started = time.perf_counter()
                status, _ = get(server.url + "/metrics", accept)
                times.append((time.perf_counter() - started) * 1000)
                assert status == 200
            times.sort()
            out[name] = {
                "median_ms": round(statistics.median(times), 2),
                "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
                "max_ms": round(times[-1], 2),
            }
        _, body = get(server.url + "/metrics")
        for line in body.decode().splitlines():
            if line.startswith("densho_metrics_refresh_duration_seconds "):
                out["refresh_ms"] = round(float(line.split()[1]) * 1000, 2)
        goal = "met" if out["prometheus"]["p99_ms"] < SCRAPE_GOAL_MS else "MISSED"
        print(
            f"scrape with {queues} queues ({out['series_lines']} samples, {out['bytes']} bytes): "
            f"text median {out['prometheus']['median_ms']} ms p99 {out['prometheus']['p99_ms']} "
            f"ms; OpenMetrics median {out['openmetrics']['median_ms']} ms p99 "
            f"{out['openmetrics']['p99_ms']} ms; gauges' refresh {out.get('refresh_ms')} ms "
            f"(goal p99 < {SCRAPE_GOAL_MS:.0f} ms: {goal})",
            flush=True,
        )
        return out
    finally:
        servers.stop(server)
        servers.cleanup_logs(server)


async def _fill(url: str, queues: int) -> None:
    pool = loadgen.ClientPool.open(url, "raw", 8)
    try:
        names = [f"scrape-{i:05}" for i in range(queues)]

        async def worker(client: loadgen.Client, mine: list[str]) -> None:
            for name in mine:
                made = await loadgen.sqs_call(client, "CreateQueue", {"QueueName": name})
                body = {"QueueUrl": made["QueueUrl"], "MessageBody": "x"}
                await loadgen.sqs_call(client, "SendMessage", body)

        clients = pool.clients
        await loadgen.run_workers(
            [worker(c, names[i :: len(clients)]) for i, c in enumerate(clients)], 120
        )
    finally:
        await pool.aclose()
