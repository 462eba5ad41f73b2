"""Part 3b: what the dashboard costs the data path. The same PutRecords load (spate-bench,
500 x 100 B, 4 connections, --fsync batch) against spated with `--dashboard off` (no sampler
at all) and with the dashboard on and polled as an open page polls it (GET /v1/stats and
GET /v1/stats?stream=NAME for every stream, once a second). Runs alternate in ABBA order,
three of each, and the medians are compared: the target is ingest within 2% with the
dashboard open."""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import urllib.request
from pathlib import Path

from .context import Spated, run_json

ROUNDS = 3
TARGET = 0.98  # polled ingest at least this share of ingest with the dashboard off


class Poller:
    """Polls the dashboard's endpoints once a second, as the stream page and the streams
    page do, from a thread, until stopped."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.stop = threading.Event()
        self.polls = 0
        self.failures = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(self.endpoint + path, timeout=5) as answer:
            return json.loads(answer.read())

    def run(self) -> None:
        while not self.stop.wait(1.0):
            try:
                for s in self.get("/v1/stats")["streams"]:
                    self.get(f"/v1/stats?stream={s['name']}")
                self.polls += 1
            except Exception:  # noqa: BLE001 - counted and reported
                self.failures += 1

    def __enter__(self) -> "Poller":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


def measure(ctx, dashboard: str, round_: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"spated-dash-{dashboard}-", dir=ctx.work))
    server = Spated(folder, fsync="batch", extra_args=["--dashboard", dashboard]).start()
    label = f"dashboard {dashboard} #{round_}"
    try:
        args = [ctx.tool("spate-bench"), "--endpoint", server.endpoint, "--server-pid", server.pid,
                "--json", "--duration", ctx.seconds, "--warmup", ctx.warmup, "--label", label,
                "--mode", "put-records", "--shards", 4, "--batch", 500, "--record-size", 100,
                "--concurrency", 4]
        if dashboard == "off":
            r, why = run_json(args, ctx.work / "bench.stderr")
            polls = failures = 0
        else:
            with Poller(server.endpoint) as poller:
                r, why = run_json(args, ctx.work / "bench.stderr")
            polls, failures = poller.polls, poller.failures
        if r is None:
            raise RuntimeError(f"spate-bench failed: {why}")
        cpu_us = r["server_cpu_cores"] / r["records_per_s"] * 1e6 if r.get("server_cpu_cores") else None
        print(f"  {label:<24} {r['records_per_s']:>12,.0f} records/s  "
              f"server CPU {cpu_us or 0:.3f} us/record  polls {polls} (failed {failures})",
              flush=True)
        return {"records_per_s": r["records_per_s"], "server_cpu_us_per_record": cpu_us,
                "polls": polls, "poll_failures": failures}
    finally:
        ctx.drop(server)


def run(ctx) -> dict:
    print("== dashboard cost: PutRecords ingest with the dashboard off, and on with a page polling")
    runs: dict[str, list[dict]] = {"off": [], "on": []}
    for i in range(ROUNDS):
        # off-on, then on-off, ...: whatever the order of a pair costs falls on both sides.
        for mode in ("off", "on") if i % 2 == 0 else ("on", "off"):
            runs[mode].append(measure(ctx, mode, i + 1))
    off = statistics.median(r["records_per_s"] for r in runs["off"])
    on = statistics.median(r["records_per_s"] for r in runs["on"])
    cpu_off = statistics.median(r["server_cpu_us_per_record"] or 0 for r in runs["off"])
    cpu_on = statistics.median(r["server_cpu_us_per_record"] or 0 for r in runs["on"])
    ratio = on / off if off else 0.0
    verdict = "PASS" if ratio >= TARGET else "FAIL"
    print(f"  median ingest: off {off:,.0f}, on and polled {on:,.0f} records/s: "
          f"{ratio:.3f} of off (target >= {TARGET}) {verdict}")
    print(f"  median server CPU per record: off {cpu_off:.3f} us, on and polled {cpu_on:.3f} us\n")
    return {"runs": runs, "median_off": off, "median_on": on, "ratio": ratio,
            "cpu_us_off": cpu_off, "cpu_us_on": cpu_on, "target": TARGET, "verdict": verdict}
