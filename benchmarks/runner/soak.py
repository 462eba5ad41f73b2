"""Part 6: soak. A steady PutRecords load for SPATE_BENCH_SOAK_MINUTES (30) on one spated
(fsync batch): its RSS, sampled every 5 s, must stay flat within 5% after the warm-up, with no
error."""

from __future__ import annotations

import json
import subprocess
import time

from .context import status_mib


def run(ctx) -> dict:
    print(f"\n== soak: PutRecords at {ctx.soak_rate} records/s for {ctx.soak_minutes:g} minutes "
          "(fsync batch), RSS every 5 s", flush=True)
    seconds = ctx.soak_minutes * 60
    server = ctx.spated("batch")
    samples = []
    try:
        load = subprocess.Popen([str(ctx.tool("spate-bench")), "--endpoint", server.endpoint,
                                 "--shards", "4", "--concurrency", "8", "--rate", str(ctx.soak_rate),
                                 "--warmup", "0", "--duration", str(seconds), "--json"],
                                stdout=subprocess.PIPE, text=True)
        start = time.monotonic()
        while load.poll() is None:
            samples.append((time.monotonic() - start, status_mib(server.pid, "VmRSS")))
            time.sleep(5)  # the sampling period, not a wait for a condition
        result = json.loads(load.stdout.read() or "{}")
    finally:
        ctx.drop(server)
    warm = [m for t, m in samples if t >= min(120, seconds * 0.1)] or [m for _, m in samples]
    lo, hi = min(warm), max(warm)
    by_minute = [round(m) for t, m in samples if int(t) % 60 < 5]
    print(f"RSS after the warm-up: min {lo:.1f} MiB, max {hi:.1f} MiB, spread {(hi - lo) / lo:.1%}; "
          f"first sample {samples[0][1]:.1f} MiB, last {samples[-1][1]:.1f} MiB")
    print(f"RSS each minute (MiB): {by_minute}")
    errors = result.get("failed_requests", -1) + result.get("failed_records", 0)
    print(f"load: {result.get('records_per_s', 0):,.0f} records/s acknowledged, PutRecords p99 "
          f"{result.get('latency_us', {}).get('p99', 0) / 1e3:.2f} ms, errors {errors}")
    ok = (hi - lo) / lo <= 0.05 and errors == 0
    print(f"  {'met    ' if ok else 'NOT MET'} RSS flat within 5% after the warm-up, no error")
    return {"rss_mib_min": lo, "rss_mib_max": hi, "spread": (hi - lo) / lo, "errors": errors,
            "records_per_s": result.get("records_per_s", 0), "flat": ok,
            "samples": [[round(t, 1), round(m, 1)] for t, m in samples]}
