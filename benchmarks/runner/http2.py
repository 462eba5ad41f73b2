"""Part 2c: PutRecords over HTTP/2 against HTTP/1.1 on spated: the same requests from the same
load tool (h2load from nghttp2-client, which speaks both), 16 requests in flight each. The four
workloads run in turn, three rounds of them, and each is judged by its median: on this machine
one run differs from the next by 10 to 20%, and a single run of each in a fixed order made the
first workload's hour the baseline of the others'."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from .context import status_mib  # first: it puts the test harness on the path
from spate_harness import JSON_CONTENT_TYPE, TARGET_PREFIX, api

WORKLOADS = [("HTTP/1.1, 16 connections", ["--h1", "-c", "16"]),
             ("HTTP/2, 1 connection x 16 streams", ["-c", "1", "-m", "16"]),
             ("HTTP/2, 16 connections", ["-c", "16", "-m", "1"]),
             ("HTTP/2, 4 connections x 4 streams", ["-c", "4", "-m", "4"])]


def parse(label: str, out: str, rss_mib: float) -> dict:
    rate = re.search(r"finished in [^,]+, ([0-9.]+) req/s", out)
    codes = re.search(r"status codes: (\d+) 2xx, \d+ 3xx, (\d+) 4xx, (\d+) 5xx", out)
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", out)
    ok = bool(rate and codes and codes.group(2) == "0" and codes.group(3) == "0")
    return {"label": label, "ok": ok, "req_s": float(rate.group(1)) if rate else 0.0,
            "records_per_s": float(rate.group(1)) * 500 if rate else 0.0,
            "mean": mean.group(1) if mean else "?", "rss_mib": rss_mib,
            "tail": "" if ok else out[-400:]}


ROUNDS = 3


def run_one(ctx, body, label: str, flags: list[str]) -> dict:
    """One workload on a fresh spated; its data is dropped and synced before the next starts."""
    server = ctx.spated("batch")
    try:
        api(server.endpoint, "CreateStream", StreamName="h2-bench", ShardCount=4)
        out = subprocess.run(["h2load", *flags, "-D", str(ctx.seconds), "--warm-up-time",
                              str(ctx.warmup), "-d", str(body), "-H",
                              f"x-amz-target: {TARGET_PREFIX}.PutRecords", "-H",
                              f"content-type: {JSON_CONTENT_TYPE}", server.endpoint + "/"],
                             capture_output=True, text=True).stdout
        rss = status_mib(server.pid, "VmHWM")
    finally:
        # Each workload writes about a gigabyte: drop it before the next one starts, so the
        # kernel's writeback of one workload's log does not slow the next one's fsyncs.
        ctx.drop(server)
        os.sync()
    return parse(label, out, rss)


def median_row(each: list[dict]) -> dict:
    """The run of the median rate (of an odd number) stands for the workload; any failed run
    fails it."""
    failed = next((r for r in each if not r["ok"]), None)
    if failed:
        return failed
    return sorted(each, key=lambda r: r["req_s"])[len(each) // 2]


def run(ctx) -> dict:
    print("== PutRecords over HTTP/2 and HTTP/1.1 (h2load): batches of 500 x 100 bytes, 4 shards, "
          "fsync batch")
    if not shutil.which("h2load"):
        print("h2load (nghttp2-client) is missing; no HTTP/2 figures.\n")
        return {"failed": "h2load missing"}
    body = ctx.work / "put-records.json"
    records = [{"PartitionKey": f"key-{i}", "Data": base64.b64encode(os.urandom(100)).decode()}
               for i in range(500)]
    body.write_text(json.dumps({"StreamName": "h2-bench", "Records": records}))
    runs: dict[str, list[dict]] = {label: [] for label, _ in WORKLOADS}
    for _ in range(ROUNDS):
        for label, flags in WORKLOADS:
            runs[label].append(run_one(ctx, body, label, flags))
    rows = [median_row(runs[label]) for label, _ in WORKLOADS]
    print(f"{'workload':<36} {'records/s':>12} {'mean latency':>13} {'peak RSS':>12}  "
          f"(median of {ROUNDS} alternated runs; records/s of each)")
    for r in rows:
        if not r["ok"]:
            print(f"{r['label']:<36} FAILED: {r['tail']}")
            continue
        each = ", ".join(f"{x['records_per_s']:,.0f}" for x in runs[r["label"]])
        print(f"{r['label']:<36} {r['records_per_s']:>12,.0f} {r['mean']:>13} "
              f"{r['rss_mib']:>8.1f} MiB  ({each})")
    base = next((r for r in rows if r["label"].startswith("HTTP/1.1") and r["ok"]), None)
    for r in rows:
        if base and r["ok"] and r is not base:
            ratio = r["req_s"] / base["req_s"]
            print(f"{r['label']} / HTTP/1.1: {ratio:.2f}x (target >= 0.90: "
                  f"{'PASS' if ratio >= 0.9 else 'FAIL'})")
    print()
    return {"runs": rows, "each": runs}
