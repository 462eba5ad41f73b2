#!/usr/bin/python3
"""Runs Spate's benchmarks from a build folder: `make bench`, or
`/usr/bin/python3 benchmarks/run.py BUILD_DIR [--json FILE]`.

Each part (benchmarks/runner/*.py) prints its table and returns its figures; the figures of the
whole run, with the machine they were measured on, go to one JSON file (default
BUILD_DIR/bench-results.json). Benchmarks write to $TMPDIR (default /tmp) and clean up.

Parts: 1 storage and codec micro-benchmarks; 2 push latency (WebSocket, SubscribeToShard,
polling); 2b the consumer against raw GetRecords; 2c HTTP/2 against HTTP/1.1; 2d producers
beside stalled subscribers; 2e the Python package against boto3; 3 spated against kinesalite
end to end; 3a server CPU per record beside kinesalite and kinesis-mock, with its targets
(PASS or FAIL); 3b ingest with the dashboard off and with a page polling it; 4 overload;
5 attack storms; 6 soak.

Environment: SPATE_BENCH_SECONDS (measured seconds per workload, 8), SPATE_BENCH_WARMUP (2),
SPATE_BENCH_FILL (records read back by GetRecords, 200000), SPATE_BENCH_CONSUMER_RECORDS
(2000000), SPATE_BENCH_PY_RECORDS (500000), SPATE_BENCH_PY_RSS_RECORDS (5000000),
SPATE_BENCH_SOAK_MINUTES (30), SPATE_BENCH_SOAK_RATE (20000), and SPATE_BENCH_SKIP_<PART>=1
for STORAGE, PUSH, CONSUMER, HTTP2, SLOW_SUBSCRIBERS, PYTHON, KINESALITE, CPU, DASHBOARD,
OVERLOAD, STORMS, SOAK.
"""

from __future__ import annotations

import argparse
import datetime
import json
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from runner import (consumer, cpu_cost, dashboard, end_to_end, http2, overload,  # noqa: E402
                    push, python_package, soak, stalled, storage, storms)
from runner.context import REPO, Context, machine  # noqa: E402

PARTS = [("storage", storage), ("push", push), ("consumer", consumer), ("http2", http2),
         ("slow_subscribers", stalled), ("python", python_package), ("kinesalite", end_to_end),
         ("cpu", cpu_cost), ("dashboard", dashboard), ("overload", overload), ("storms", storms), ("soak", soak)]


def commit() -> str:
    return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip() or "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", nargs="?", default="build")
    parser.add_argument("--json", help="where the results go (default BUILD_DIR/bench-results.json)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))

    ctx = Context.from_environment(args.build_dir, [name for name, _ in PARTS])
    out_path = Path(args.json) if args.json else ctx.build_dir / "bench-results.json"
    facts = machine()
    print("== machine")
    print(f"cpu: {facts['cpu']}, {facts['cores']} cores")
    print(f"memory: {facts['memory_gib']} GiB; disk: {facts['disk']}")
    print(f"kernel: {facts['kernel']}; node: {facts['node']}\n", flush=True)
    results = {"machine": facts, "commit": commit(),
               "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "settings": {"seconds": ctx.seconds, "warmup": ctx.warmup, "fill": ctx.fill,
                            "skipped": sorted(ctx.skip)},
               "parts": {}}
    try:
        results["fdatasync_us"] = ctx.measure_fdatasync()
        for name, part in PARTS:
            if name in ctx.skip:
                continue
            try:
                results["parts"][name] = part.run(ctx)
            except Exception as e:  # noqa: BLE001 - one part failing does not stop the others
                print(f"!! part {name} failed: {e!r}", flush=True)
                results["parts"][name] = {"failed": repr(e)}
            sys.stdout.flush()
    finally:
        ctx.cleanup()
    out_path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"\nresults: {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
